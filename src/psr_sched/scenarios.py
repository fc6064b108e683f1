"""What-if scenarios: named variants of a problem, solved side by side and compared.

A :class:`Scenario` is a name and a sequence of changes (add or remove provider sessions,
add a provider, close a room on some dates, scale demand, change weights, add a visit
type).  :meth:`Scenario.apply` rebuilds the variant through validation, never by mutating
or copying records unchecked, so a variant is exactly as valid as a problem read from a
file.  :func:`compare` solves a base problem and its variants in parallel and returns a
:class:`Comparison`: one tidy row of KPIs per scenario, the results, and a plot.

Scenario files (JSON or YAML) describe a base problem and its scenarios; see
:func:`load_scenario_file`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import replace as replace_options
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from psr_sched.domain import (
    AppointmentRequest,
    DatedHours,
    DomainModel,
    Identifier,
    Provider,
    Room,
    VisitType,
    WeeklyHours,
    Weights,
)
from psr_sched.errors import ProblemError, describe_validation_error
from psr_sched.io.text import read_text
from psr_sched.problem import Problem, load_problem
from psr_sched.result import Result
from psr_sched.solver import SolveOptions, solve

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BASELINE",
    "COMPARISON_COLUMNS",
    "AddProvider",
    "AddSessions",
    "AddVisitType",
    "Change",
    "CloseRoom",
    "Comparison",
    "RemoveSessions",
    "ScaleDemand",
    "Scenario",
    "ScenarioFile",
    "SetWeights",
    "compare",
    "load_scenario_file",
    "write_comparison",
]

#: Name of the unchanged base problem's row in a comparison.
BASELINE = "baseline"

#: Columns of :attr:`Comparison.frame`, in order.
COMPARISON_COLUMNS = [
    "scenario",
    "status",
    "requests",
    "scheduled",
    "unscheduled",
    "unscheduled_priority",
    "access_wait",
    "median_wait_minutes",
    "p90_wait_minutes",
    "idle_gap",
    "provider_preference_misses",
    "time_preference_misses",
    "pinned_moves",
    "objective",
    "best_bound",
    "gap",
    "wall_time_s",
]

#: Time limit of each solve when neither the options nor a scenario file give one.
DEFAULT_TIME_LIMIT_S = 20.0


# -- changes ---------------------------------------------------------------------------------


def _provider(problem: Problem, provider_id: str) -> Provider:
    index = problem.provider_index.get(provider_id)
    if index is None:
        raise ProblemError(f"provider_id: unknown provider {provider_id!r}")
    return problem.providers[index]


def _with_provider(problem: Problem, provider: Provider) -> Problem:
    index = problem.provider_index[provider.id]
    providers = (*problem.providers[:index], provider, *problem.providers[index + 1 :])
    return problem.replace(providers=providers)


def _rebuilt(record: Provider | Room, **changes: Any) -> Any:
    """A record of the same type with some fields changed, validated like a new one."""
    try:
        return type(record).model_validate({**record.model_dump(), **changes})
    except ValidationError as exc:
        raise ProblemError(describe_validation_error(exc)) from None


class AddSessions(DomainModel):
    """Give a provider more clinic hours: weekly sessions and/or dated extra sessions.

    Parameters
    ----------
    provider_id : str
        The provider.
    weekly : tuple of WeeklyHours
        Recurring sessions added to the provider's weekly pattern.
    dated : tuple of DatedHours
        Sessions on given dates (start and end required), added to ``extra_sessions``.
    """

    kind: Literal["add_sessions"] = "add_sessions"
    provider_id: Identifier
    weekly: tuple[WeeklyHours, ...] = ()
    dated: tuple[DatedHours, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> AddSessions:
        if not self.weekly and not self.dated:
            raise ValueError("give weekly or dated sessions to add")
        return self

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with the sessions added."""
        provider = _provider(problem, self.provider_id)
        return _with_provider(
            problem,
            _rebuilt(
                provider,
                sessions=[*provider.sessions, *self.weekly],
                extra_sessions=[*provider.extra_sessions, *self.dated],
            ),
        )


class RemoveSessions(DomainModel):
    """Take clinic hours from a provider: weekly sessions on some weekdays, or whole dates.

    Parameters
    ----------
    provider_id : str
        The provider.
    weekdays : tuple of int
        Weekdays (Monday = 0) whose weekly sessions are removed; the provider must have a
        session on each.
    dates : tuple of datetime.date
        Dates the provider is away: the whole day becomes unavailable, and extra sessions
        on it are removed.  Each must be an open date of the horizon.
    reason : str
        Reason recorded on the added unavailability.
    """

    kind: Literal["remove_sessions"] = "remove_sessions"
    provider_id: Identifier
    weekdays: tuple[Annotated[int, Field(ge=0, le=6)], ...] = ()
    dates: tuple[dt.date, ...] = ()
    reason: str = "scenario"

    @model_validator(mode="after")
    def _something(self) -> RemoveSessions:
        if not self.weekdays and not self.dates:
            raise ValueError("give weekdays or dates to remove")
        return self

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` without the sessions."""
        provider = _provider(problem, self.provider_id)
        worked = {s.weekday for s in provider.sessions}
        for weekday in self.weekdays:
            if weekday not in worked:
                raise ProblemError(
                    f"weekdays: provider {provider.id} has no weekly session on weekday {weekday}"
                )
        _check_dates(problem, self.dates)
        away = set(self.dates)
        return _with_provider(
            problem,
            _rebuilt(
                provider,
                sessions=[s for s in provider.sessions if s.weekday not in self.weekdays],
                extra_sessions=[s for s in provider.extra_sessions if s.date not in away],
                unavailable=[
                    *provider.unavailable,
                    *(DatedHours(date=day, reason=self.reason) for day in self.dates),
                ],
            ),
        )


class AddProvider(DomainModel):
    """Add a provider (a locum, a new hire) with their sessions.

    Parameters
    ----------
    provider : Provider
        The new provider; the id must be new.
    """

    kind: Literal["add_provider"] = "add_provider"
    provider: Provider

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with the provider added."""
        return problem.replace(providers=(*problem.providers, self.provider))


class CloseRoom(DomainModel):
    """Close a room on some dates, all day or between two times.

    Parameters
    ----------
    room_id : str
        The room.
    dates : tuple of datetime.date
        Open dates of the horizon on which the room is closed.
    start, end : datetime.time, optional
        Closed span on each date; both left out close the whole day.
    reason : str
        Reason recorded on the closure.
    """

    kind: Literal["close_room"] = "close_room"
    room_id: Identifier
    dates: tuple[dt.date, ...] = Field(min_length=1)
    start: dt.time | None = None
    end: dt.time | None = None
    reason: str = "scenario"

    @model_validator(mode="after")
    def _span(self) -> CloseRoom:
        # The same rule as DatedHours: both times or neither, end after start.
        DatedHours(date=self.dates[0], start=self.start, end=self.end)
        return self

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with the room closed."""
        index = problem.room_index.get(self.room_id)
        if index is None:
            raise ProblemError(f"room_id: unknown room {self.room_id!r}")
        _check_dates(problem, self.dates)
        room = problem.rooms[index]
        closures = [
            DatedHours(date=day, start=self.start, end=self.end, reason=self.reason)
            for day in self.dates
        ]
        closed = _rebuilt(room, closed=[*room.closed, *closures])
        return problem.replace(rooms=(*problem.rooms[:index], closed, *problem.rooms[index + 1 :]))


class ScaleDemand(DomainModel):
    """Scale the number of requests by ``factor``, drawing which ones with ``seed``.

    Below 1, a seeded random subset of the requests that are not pinned is dropped, with
    every request linked to a dropped one (which could not be kept without it); requests
    that pinned visits depend on are kept.  Above 1, seeded random requests are duplicated
    as new patients: the copy of request ``R7`` for patient ``pt9`` is request ``R7-S<n>``
    for patient ``pt9-S<n>`` (``n`` counts the copies from 1), without links.

    Parameters
    ----------
    factor : float
        Requests after / requests before, positive; about ``round(factor × requests)``
        remain (a few more are dropped when links pull them along).
    seed : int
        Seed of ``numpy.random.default_rng``.
    """

    kind: Literal["scale_demand"] = "scale_demand"
    factor: float = Field(gt=0, le=10)
    seed: int = 0

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with demand scaled."""
        rng = np.random.default_rng(self.seed)
        requests = problem.requests
        if self.factor < 1:
            target = round((1 - self.factor) * len(requests))
            dropped = self._drop(problem, rng, target)
            return problem.replace(requests=tuple(r for r in requests if r.id not in dropped))
        copies = round((self.factor - 1) * len(requests))
        if copies == 0 or not requests:
            return problem
        picks = rng.choice(len(requests), size=copies, replace=copies > len(requests))
        added = [
            AppointmentRequest.model_validate(
                {
                    **requests[i].model_dump(),
                    "id": f"{requests[i].id}-S{n}",
                    "patient_id": f"{requests[i].patient_id}-S{n}",
                    "links": (),
                }
            )
            for n, i in enumerate(sorted(picks), start=1)
        ]
        return problem.replace(requests=(*requests, *added))

    @staticmethod
    def _drop(problem: Problem, rng: np.random.Generator, target: int) -> set[str]:
        """Ids of about ``target`` requests to drop, closed under "links to a dropped one"."""
        dependents: dict[str, list[str]] = {}
        for request in problem.requests:
            for link in request.links:
                dependents.setdefault(link.request_id, []).append(request.id)

        def closure(rid: str) -> set[str]:
            found, stack = {rid}, [rid]
            while stack:
                for other in dependents.get(stack.pop(), ()):
                    if other not in found:
                        found.add(other)
                        stack.append(other)
            return found

        pinned = set(problem.pin_by_request)
        dropped: set[str] = set()
        for i in rng.permutation(len(problem.requests)):
            if len(dropped) >= target:
                break
            rid = problem.requests[i].id
            if rid in dropped or rid in pinned:
                continue
            group = closure(rid)
            if not group & pinned:
                dropped |= group
        return dropped


class SetWeights(DomainModel):
    """Change some objective weights; the others keep the base problem's values.

    Parameters
    ----------
    weights : dict of str to value
        Field of :class:`~psr_sched.domain.Weights` → new value, checked like ``Weights``.
    """

    kind: Literal["set_weights"] = "set_weights"
    weights: dict[str, Any] = Field(min_length=1)

    @field_validator("weights")
    @classmethod
    def _known(cls, value: dict[str, Any]) -> dict[str, Any]:
        Weights.model_validate(value)  # unknown fields and bad values fail here, early
        return value

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with the weights changed."""
        try:
            weights = Weights.model_validate({**problem.weights.model_dump(), **self.weights})
        except ValidationError as exc:
            raise ProblemError(describe_validation_error(exc)) from None
        return problem.replace(weights=weights)


class AddVisitType(DomainModel):
    """Add a visit type (a new service line), and optionally requests for it.

    Parameters
    ----------
    visit_type : VisitType
        The new visit type; the code must be new.
    requests : tuple of AppointmentRequest
        New requests (of this or any visit type), ids new.
    """

    kind: Literal["add_visit_type"] = "add_visit_type"
    visit_type: VisitType
    requests: tuple[AppointmentRequest, ...] = ()

    def apply(self, problem: Problem) -> Problem:
        """Return the variant of ``problem`` with the visit type (and requests) added."""
        return problem.replace(
            visit_types=(*problem.visit_types, self.visit_type),
            requests=(*problem.requests, *self.requests),
        )


#: One change of a scenario, told apart by its ``kind``.
Change = Annotated[
    AddSessions
    | RemoveSessions
    | AddProvider
    | CloseRoom
    | ScaleDemand
    | SetWeights
    | AddVisitType,
    Field(discriminator="kind"),
]


def _check_dates(problem: Problem, dates: Sequence[dt.date]) -> None:
    open_dates = set(problem.horizon.dates)
    for day in dates:
        if day not in open_dates:
            raise ProblemError(f"dates: {day} is not an open date of the horizon")


# -- scenarios -------------------------------------------------------------------------------


class Scenario(DomainModel):
    """A named variant of a base problem: the changes, applied in order.

    Parameters
    ----------
    name : str
        Name of the scenario, its row in a comparison.
    changes : tuple of Change
        :class:`AddSessions`, :class:`RemoveSessions`, :class:`AddProvider`,
        :class:`CloseRoom`, :class:`ScaleDemand`, :class:`SetWeights`,
        :class:`AddVisitType`; in a file, each a mapping with its ``kind``.

    Examples
    --------
    >>> closed = Scenario(  # doctest: +SKIP
    ...     name="exam room 1 closed Tuesday",
    ...     changes=[CloseRoom(room_id="EX01", dates=[dt.date(2025, 3, 4)])],
    ... )
    >>> variant = closed.apply(base)  # doctest: +SKIP
    """

    name: Annotated[str, Field(min_length=1, max_length=80)]
    changes: tuple[Change, ...] = ()

    def apply(self, base: Problem) -> Problem:
        """Build the variant of ``base``, validated like a new problem.

        Raises
        ------
        ProblemError
            If a change does not fit the problem; the message names the scenario, the
            change (its position and kind) and the field.
        """
        problem = base.replace(name=f"{base.name}: {self.name}")
        for position, change in enumerate(self.changes, start=1):
            try:
                problem = change.apply(problem)
            except ProblemError as exc:
                lines = str(exc).splitlines() or [""]
                where = f"scenario {self.name!r}: change {position} ({change.kind})"
                raise ProblemError("\n".join(f"{where}: {line}" for line in lines)) from None
        return problem


# -- comparing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Scenarios solved side by side.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per scenario, in the order solved (the baseline first), columns
        :data:`COMPARISON_COLUMNS`: ``scenario`` and ``status`` (str); counts and
        objective terms (int64); ``median_wait_minutes``, ``p90_wait_minutes`` over the
        scheduled visits and ``wall_time_s`` (float64); ``best_bound`` (Int64) and ``gap``
        (Float64), missing without a bound.
    results : dict of str to Result
        Scenario name → its result, each validated against its problem.
    problems : dict of str to Problem
        Scenario name → the problem solved.
    """

    frame: pd.DataFrame
    results: Mapping[str, Result]
    problems: Mapping[str, Problem]

    def plot(self, metric: str | Sequence[str], ax: Axes | None = None) -> Axes:
        """Bar chart of one KPI column (or several) by scenario; see
        :func:`~psr_sched.reporting.plots.scenario_comparison`."""
        from psr_sched.reporting.plots import scenario_comparison

        return scenario_comparison(self.frame, metric, ax=ax)


def _solve_json(problem_json: str, options: SolveOptions) -> str:
    """Solve in a worker: JSON in, JSON out, so nothing unpicklable crosses processes."""
    return solve(Problem.model_validate_json(problem_json), options).model_dump_json()


def _kpis(name: str, problem: Problem, result: Result) -> dict[str, Any]:
    from psr_sched.reporting import access_wait

    overall = access_wait(problem, result).iloc[0]
    terms = result.terms
    return {
        "scenario": name,
        "status": result.status.value,
        "requests": len(problem.requests),
        "scheduled": len(result.assignments),
        "unscheduled": len(result.unscheduled),
        "unscheduled_priority": terms.unscheduled_priority,
        "access_wait": terms.access_wait,
        "median_wait_minutes": overall["median_wait_minutes"],
        "p90_wait_minutes": overall["p90_wait_minutes"],
        "idle_gap": terms.idle_gap,
        "provider_preference_misses": terms.provider_preference_misses,
        "time_preference_misses": terms.time_preference_misses,
        "pinned_moves": terms.pinned_moves,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "wall_time_s": result.wall_time_s,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    for column in COMPARISON_COLUMNS[2:]:
        if column in ("median_wait_minutes", "p90_wait_minutes", "wall_time_s"):
            frame[column] = frame[column].astype("float64")
        elif column == "best_bound":
            frame[column] = frame[column].astype("Int64")
        elif column == "gap":
            frame[column] = frame[column].astype("Float64")
        else:
            frame[column] = frame[column].astype("int64")
    return frame


def compare(
    base: Problem,
    scenarios: Sequence[Scenario],
    *,
    options: SolveOptions | None = None,
    executor: Executor | None = None,
    include_base: bool = True,
) -> Comparison:
    """Solve the base problem and each scenario's variant in parallel, and compare them.

    Every variant is built (and so checked) before any solve starts.

    Parameters
    ----------
    base : Problem
        The problem the scenarios change.
    scenarios : sequence of Scenario
        The variants, names unique and not ``"baseline"`` when the base is included.
    options : SolveOptions, optional
        Options of every solve; default ``SolveOptions(time_limit_s=20)``.  Its
        ``callback`` is not used: the solves run elsewhere and concurrently.
    executor : concurrent.futures.Executor, optional
        Where to solve; it is not shut down, and each solve uses ``options.workers``
        CP-SAT workers.  By default a process pool of ``min(solves, cores)`` processes,
        each solve using ``min(options.workers, cores // processes)`` workers (at least
        one): on 2 cores, 2 processes × 1 worker.  The pool starts processes the
        platform's default way; where that is not by forking (macOS, Windows, Python 3.14),
        a script must call ``compare`` under ``if __name__ == "__main__":``.
    include_base : bool
        Solve the unchanged base problem too, as the first row, named ``"baseline"``.

    Returns
    -------
    Comparison
        The KPI frame, the results and the problems, keyed by scenario name.

    Raises
    ------
    ProblemError
        If a scenario does not apply to the base problem.
    ValueError
        If scenario names repeat, or nothing is to be solved.
    RuntimeError
        If a solve fails or returns a schedule that does not validate.
    """
    from psr_sched.validate import validate

    options = replace_options(
        options or SolveOptions(time_limit_s=DEFAULT_TIME_LIMIT_S), callback=None
    )
    names = [BASELINE] if include_base else []
    names += [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"scenario {repeated[0]!r}: the name is used more than once")
    if not names:
        raise ValueError("scenarios: nothing to compare")
    problems = {BASELINE: base} if include_base else {}
    problems |= {s.name: s.apply(base) for s in scenarios}

    own = executor is None
    if executor is None:
        cores = os.cpu_count() or 1
        processes = min(len(problems), cores)
        options = replace_options(options, workers=max(1, min(options.workers, cores // processes)))
        executor = ProcessPoolExecutor(processes)
    try:
        futures: dict[str, Future[str]] = {
            name: executor.submit(_solve_json, problem.to_json(indent=None), options)
            for name, problem in problems.items()
        }
        results: dict[str, Result] = {}
        for name, future in futures.items():
            try:
                # JSON keeps UTC offsets, not the zone: back to the clinic's local times.
                result = Result.model_validate_json(future.result())
                results[name] = result.in_zone(problems[name].horizon.zone)
            except Exception as exc:
                for other in futures.values():
                    other.cancel()
                raise RuntimeError(f"scenario {name!r}: the solve failed: {exc}") from exc
    finally:
        if own:
            executor.shutdown(cancel_futures=True)

    for name, result in results.items():
        report = validate(problems[name], result)
        if not report.ok:  # an engine bug, never a user error: say so loudly
            raise RuntimeError(
                f"scenario {name!r}: the engine produced an invalid schedule: "
                + "; ".join(v.message for v in report.violations[:3])
            )
    frame = _frame([_kpis(name, problems[name], results[name]) for name in problems])
    return Comparison(frame=frame, results=results, problems=problems)


# -- scenario files --------------------------------------------------------------------------


class ScenarioFile(DomainModel):
    """A scenario file: the base problem, the solve's time limit and the scenarios.

    Parameters
    ----------
    base : str
        ``"demo"`` for the embedded demo clinic (:func:`psr_sched.demo.demo_problem`), or
        the path of a problem JSON file, relative to the scenario file's folder.
    demo_seed : int
        Seed of the demo clinic when ``base`` is ``"demo"``.
    time_limit_s : float, optional
        Time limit of each solve.
    include_base : bool
        Solve the unchanged base too, as the row ``"baseline"``.
    scenarios : tuple of Scenario
        At least one; names unique.

    Examples
    --------
    In YAML (times may go unquoted: the loader reads 13:00 as a time, not a number)::

        base: demo
        time_limit_s: 20
        scenarios:
          - name: locum on Tuesdays
            changes:
              - kind: add_provider
                provider: {id: LOCUM, skills: [primary_care],
                           sessions: [{weekday: 1, start: "08:00", end: "12:00"}]}
          - name: demand +10%
            changes: [{kind: scale_demand, factor: 1.1, seed: 1}]
    """

    base: str = Field(min_length=1)
    demo_seed: int = 0
    time_limit_s: float | None = Field(default=None, gt=0)
    include_base: bool = True
    scenarios: tuple[Scenario, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScenarioFile:
        names = [s.name for s in self.scenarios] + ([BASELINE] if self.include_base else [])
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"scenario {name!r}: the name is used more than once")
        return self

    def load_base(self, folder: str | Path = ".") -> Problem:
        """The base problem: the demo clinic, or the problem file relative to ``folder``."""
        if self.base == "demo":
            from psr_sched.demo import demo_problem

            return demo_problem(seed=self.demo_seed)
        return load_problem(Path(folder) / self.base)


def _read_yaml(text: str) -> Any:
    """Parse YAML safely, reading ``13:00`` as a string, not as YAML 1.1's base-60 780."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (int_tag, float_tag)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        int_tag, re.compile(r"^[-+]?(0|[1-9][0-9_]*)$"), list("-+0123456789")
    )
    Loader.add_implicit_resolver(
        float_tag,
        re.compile(
            r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1}"
        raise ProblemError(f"malformed YAML{where}") from None


def load_scenario_file(path: str | Path) -> tuple[ScenarioFile, Problem]:
    """Read a scenario file (``.json``, ``.yaml`` or ``.yml``) and its base problem.

    Every scenario is applied once to the base, so a file that loads is one whose
    scenarios all build.

    Returns
    -------
    (ScenarioFile, Problem)
        The file's contents and the base problem.

    Raises
    ------
    ProblemError
        If the file cannot be read or parsed, does not match :class:`ScenarioFile`, its
        base problem is invalid, or a scenario does not apply (the message names it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise ProblemError(f"{path}: a scenario file ends in .json, .yaml or .yml")
    text = read_text(path)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProblemError(
                f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    else:
        try:
            data = _read_yaml(text)
        except ProblemError as exc:
            raise ProblemError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ProblemError(f"{path}: a scenario file must hold a mapping")
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ProblemError(f"{path}: {_describe_file_error(exc, data)}") from None
    base = spec.load_base(path.parent)
    for scenario in spec.scenarios:
        scenario.apply(base)
    return spec, base


def _describe_file_error(exc: ValidationError, data: Mapping[str, Any]) -> str:
    """Name the scenario (and change) at fault, as ``scenarios.<name>.changes.2.kind: ...``."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        scenarios = data.get("scenarios")
        try:
            name = scenarios[loc[1]]["name"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            name = None
        label = f"scenario {name!r}" if isinstance(name, str) else f"scenario #{loc[1] + 1}"
        rest = loc[2:]
        if len(rest) >= 2 and rest[0] == "changes" and isinstance(rest[1], int):
            label += f": change {rest[1] + 1}"
            rest = rest[2:]
        msg = error["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in rest)
        line = f"{label}: {field}: {msg}" if field else f"{label}: {msg}"
    else:
        line = describe_validation_error(exc, data, limit=1).splitlines()[0]
    more = exc.error_count() - 1
    return line + (f" (and {more} more)" if more > 0 else "")


# -- writing ---------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower() or "scenario"


def write_comparison(out: str | Path, comparison: Comparison) -> list[Path]:
    """Write ``comparison.csv``, ``comparison.png`` and ``summary-<scenario>.json`` files.

    Everything is rendered first, written to a temporary folder beside ``out``, then moved
    into place, so a failure leaves no half-written set of files.

    Returns
    -------
    list of Path
        The files written.
    """
    from matplotlib.figure import Figure

    files: dict[str, bytes] = {
        "comparison.csv": comparison.frame.to_csv(index=False).encode("utf-8")
    }
    figure = Figure(figsize=(12.0, 7.0), layout="constrained")
    metrics = ("unscheduled", "median_wait_minutes", "idle_gap", "objective")
    for ax, metric in zip(figure.subplots(2, 2).flat, metrics, strict=True):
        comparison.plot(metric, ax=ax)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    files["comparison.png"] = buffer.getvalue()
    for name, result in comparison.results.items():
        file_name, n = f"summary-{_slug(name)}.json", 2
        while file_name in files:
            file_name, n = f"summary-{_slug(name)}-{n}.json", n + 1
        summary = {"scenario": name, **result.summary()}
        files[file_name] = (json.dumps(summary, indent=2, default=str) + "\n").encode("utf-8")
    target = Path(out).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for file_name, content in files.items():
            (staging / file_name).write_bytes(content)
        target.mkdir(exist_ok=True)
        for file_name in files:
            os.replace(staging / file_name, target / file_name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / file_name for file_name in files]
