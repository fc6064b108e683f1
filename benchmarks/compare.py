"""Greedy construction, the first-available rule, the straightforward CP-SAT model and the
engine, measured in one run.

Run from the repository root::

    python -m benchmarks.compare --time-limit 60 --repeats 3 --workers 2 --seeds 0
    python -m benchmarks.compare --family S,M,L,M-over --time-limits S=10,M=60,L=120,M-over=60
    python -m benchmarks.compare --family S0,M0,L0,M0-110,M0-130 \
        --time-limits S0=10,M0=60,L0=120,M0-110=60,M0-130=60

Instances: by default the demo week, ``demo_problem(seed)`` for every ``--seeds``; with
``--family``, every problem of :func:`benchmarks.instances.family` for every family and seed.
For every instance and every repeat (solver seed = repeat index), four methods solve the same
problem back to back: the engine's greedy construction alone (``SolveOptions(use_cpsat=False)``),
the front desk's first-available rule (:func:`psr_sched.solver.greedy.first_available`, see
:func:`first_available_result`), the straightforward CP-SAT model of
:mod:`benchmarks.baseline_cpsat` (skip it with ``--no-baseline``) and the full engine; every
schedule goes through :func:`psr_sched.validate`.  The report gives medians over repeats and
each method's ratios to greedy and to first-available in the same repeat (their median), never
a single absolute time as the headline: the machine is shared and noisy.

The instance bound, computed once per instance unless ``--no-lp`` (:func:`instance_bound`), is
the largest of three proven LP bounds: the mean-busy-time LP of
:mod:`psr_sched.solver.relaxation` at one-grain slots, solved first with the whole
``--lp-time-limit``; the start-indexed LP of :mod:`psr_sched.solver.rounding` with every
request free, seeded by it, with :data:`START_LP_SHARE` of what is left; and the time-indexed
LP of :mod:`psr_sched.solver.bound` with the rest (finer start slots while time allows, see
:func:`lp_bound`).  The bound of a run is the larger of the instance bound and the run's own
proven bound (``result.best_bound``, whose source is ``result.stats["bound_source"]``); the
report lists the three LP values and names the source that won.  A baseline run that finds
no schedule in its time limit is a result, shown as "none".

The targets section checks, per instance, the engine against greedy, first-available and the
baseline on every repeat, and the gap targets of :data:`GAP_TARGETS` per family (median gap
of the repeats to the run's bound).  The exit status is 0 when a performance target fails
(this is a report) and 1 when a schedule fails validation (that is a bug).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.baseline_cpsat import BaselineOutcome, solve_baseline
from benchmarks.instances import FAMILIES, Size, family, size_of
from psr_sched import Problem, Result, SolveOptions, SolveStatus, solve, validate
from psr_sched.demo import demo_problem
from psr_sched.solver.candidates import Candidates, build_candidates, search_weights
from psr_sched.solver.extract import assignments, evaluate, unscheduled_reasons
from psr_sched.solver.greedy import first_available
from psr_sched.solver.solve import earliest_start_bound

#: Target of the time to the first feasible schedule, in seconds.
FIRST_FEASIBLE_TARGET_S = 2.0
#: Methods in the order they run and are shown.
METHODS = ("greedy", "first_available", "baseline", "engine")
#: How the report names each method in prose.
METHOD_NAMES = {
    "greedy": "greedy construction",
    "first_available": "first-available rule",
    "baseline": "straightforward CP-SAT",
    "engine": "engine",
}
#: The methods every other one is measured against, per repeat (ratio columns and rows).
REFERENCES = ("greedy", "first_available")
#: Family label of the demo instances (the default instance set).
DEMO = "demo"


# -- measurements -------------------------------------------------------------------------


@dataclass(slots=True)
class Bound:
    """A proven lower bound of one instance, or why there is none.

    The instance bound of :func:`instance_bound` keeps the bounds it was chosen from in
    ``parts`` (name → bound: the mean-busy-time LP, the time-indexed LP) and the name of the
    one it took in ``winner``.
    """

    value: float | None
    source: str
    wall_time_s: float | None = None
    note: str = ""
    parts: dict[str, Bound] = field(default_factory=dict)
    winner: str = ""


@dataclass(slots=True)
class Run:
    """One solve of one method: the columns of the table, and its validation.

    ``found`` is False when the method returned no schedule (the baseline, out of time):
    the schedule's columns are then ``None``.
    """

    method: str
    repeat: int
    requests: int
    found: bool
    scheduled: int | None
    unscheduled_priority: int | None
    access_wait: int | None
    idle_gap: int | None
    objective: int | None
    time_to_first_s: float | None
    wall_time_s: float
    bound: float | None
    bound_source: str
    valid: bool
    validation: str
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def without_schedule(
        cls,
        method: str,
        repeat: int,
        requests: int,
        wall_time_s: float,
        *,
        bound: float | None,
        bound_source: str,
        valid: bool,
        validation: str,
        stats: dict[str, Any] | None = None,
    ) -> Run:
        """A run that returned no schedule: every schedule column is ``None``."""
        return cls(
            method=method,
            repeat=repeat,
            requests=requests,
            found=False,
            scheduled=None,
            unscheduled_priority=None,
            access_wait=None,
            idle_gap=None,
            objective=None,
            time_to_first_s=None,
            wall_time_s=wall_time_s,
            bound=bound,
            bound_source=bound_source,
            valid=valid,
            validation=validation,
            stats=stats or {},
        )

    @property
    def gap(self) -> float | None:
        """(objective − bound) / objective, or None without a bound or a schedule."""
        if self.bound is None or self.objective is None:
            return None
        if self.objective == 0:
            return 0.0
        return (self.objective - self.bound) / abs(self.objective)


@dataclass(slots=True)
class Instance:
    """All runs on one problem."""

    family: str
    label: str
    name: str
    size: Size
    time_limit: float
    bound: Bound
    runs: list[Run] = field(default_factory=list)
    #: The problem's weights mode: ``"lexicographic"`` compares schedules on priority-weighted
    #: unscheduled first (see :func:`not_worse`).
    mode: str = "weighted"

    def of(self, method: str) -> list[Run]:
        return [run for run in self.runs if run.method == method]

    @property
    def methods(self) -> list[str]:
        return [m for m in METHODS if self.of(m)]


#: The runner's LP bound refines its slots while its time limit allows: after an LP reaches
#: its optimum, the next step of the ladder is solved with the time left, and the best proven
#: value is kept.
LP_SLOT_LADDER = (60, 30, 15, 10, 5)

#: Minutes of one-grain slots around each session start added to the 60-minute LP as a step
#: of its own, right after it: there many starts compete for check-in stations and rooms,
#: which hour-long slots cannot see.  On M (seed 0) they raise the 60-minute bound by 2.3 %
#: (1,112,135 → 1,137,170, 263 s), more than 30-minute slots everywhere do (1,128,464 in
#: 292 s); 5 and 10 minutes of them give 1,125,766 and 1,129,946, while 30 minutes of them
#: do not reach the LP optimum in 400 s.
LP_FINE_MINUTES = 15


def lp_ladder(first: int, fine_minutes: int = 0) -> list[tuple[int, int]]:
    """The LP steps (slot minutes, fine minutes) from ``first`` down.

    A 60-minute first step is followed by the same slots with :data:`LP_FINE_MINUTES` of
    fine slots, then the finer slot lengths; an explicit ``fine_minutes`` applies to every
    step instead.
    """
    slots = [m for m in LP_SLOT_LADDER if m <= first]
    if fine_minutes:
        return [(m, fine_minutes) for m in slots]
    steps = [(m, 0) for m in slots]
    if slots and slots[0] >= 60:
        steps.insert(1, (slots[0], LP_FINE_MINUTES))
    return steps


def lp_step_label(slot: int, fine: int) -> str:
    """How a report names one LP step, e.g. ``60 min + 15 min fine``."""
    return f"{slot} min" + (f" + {fine} min fine" if fine else "")


def lp_bound(
    problem: Problem,
    time_limit_s: float,
    slot_minutes: int | None = None,
    fine_minutes: int = 0,
    *,
    cand: Candidates | None = None,
) -> Bound:
    """The time-indexed LP relaxation's bound (:mod:`psr_sched.solver.bound`), or a Bound
    without value saying why there is none.

    ``slot_minutes`` None starts from the engine's first choice (30-minute slots up to 15,000
    options, 60-minute slots above) and then goes down :func:`lp_ladder` while the time limit
    allows: each next LP gets what is left of it, and the largest proven value of all the
    LPs solved is the bound (every one is a lower bound; an LP stopped by the limit still
    gives its best Lagrangian bound).  An explicit ``slot_minutes`` solves that LP only, with
    ``fine_minutes`` of one-grain slots around session starts.  ``cand`` saves building the
    candidates again.
    """
    try:
        from psr_sched.solver.bound import lp_lower_bound
    except ImportError as exc:
        return Bound(None, "none", note=f"psr_sched.solver.bound is not importable ({exc})")
    if cand is None:
        cand = build_candidates(problem)
    t0 = time.perf_counter()
    if slot_minutes:
        ladder = [(slot_minutes, fine_minutes)]
    else:
        ladder = lp_ladder(30 if len(cand.options) <= 15_000 else 60, fine_minutes)
    best = None
    tried: list[str] = []
    for slot, fine in ladder:
        left = time_limit_s - (time.perf_counter() - t0)
        if best is not None and left <= 1.0:
            break
        try:
            lower = lp_lower_bound(
                problem, cand, slot_minutes=slot, fine_minutes=fine, time_limit_s=left
            )
        except Exception as exc:  # a report: say what broke and go on with the solver's bound
            if best is not None:
                break
            return Bound(
                None,
                "none",
                time.perf_counter() - t0,
                note=f"LP bound raised {type(exc).__name__}: {exc}",
            )
        if lower is None:
            break
        tried.append(lp_step_label(slot, fine) + ("" if lower.lp_optimal else " (not optimal)"))
        if best is None or lower.value > best.value:
            best = lower
        if not lower.lp_optimal:
            break
    elapsed = time.perf_counter() - t0
    if best is None:
        return Bound(None, "none", elapsed, note="LP bound returned None (no bound in time)")
    value = best.value
    return Bound(
        int(value) if float(value).is_integer() else value,
        f"LP ({best.source})",
        elapsed,
        note=f"slots tried: {', '.join(tried)}" if len(ladder) > 1 else "",
    )


#: Seconds of ``--lp-time-limit`` that must be left after the mean-busy-time LP for the
#: time-indexed LP to start (its build is not interrupted; with less, it gives no bound).
LP_MIN_LEFT_S = 1.0
#: Names of the two LP bounds of :func:`instance_bound`, in the order they are solved.
MBT_LP = "mean-busy-time LP"
TIME_INDEXED_LP = "time-indexed LP"
START_LP = "start-indexed LP"
#: Share of what the mean-busy-time LP leaves of ``--lp-time-limit`` that the start-indexed
#: LP may take (the time-indexed LP's ladder gets the rest).
START_LP_SHARE = 0.75


def mean_busy_time_bound(problem: Problem, cand: Candidates, time_limit_s: float) -> Bound:
    """The mean-busy-time LP's bound at one-grain slots; see :func:`_mean_busy_time`."""
    return _mean_busy_time(problem, cand, time_limit_s)[0]


def _mean_busy_time(problem: Problem, cand: Candidates, time_limit_s: float) -> tuple[Bound, Any]:
    """The mean-busy-time LP's bound at one-grain slots (:mod:`psr_sched.solver.relaxation`),
    or a Bound without value saying why there is none; and the LP's outcome (its guide),
    ``None`` where it did not run.

    ``time_limit_s`` is the LP solver's limit (the LP's build is not interrupted); stopped
    early, the LP still gives a proven Lagrangian bound.  Lexicographic weights are not a sum
    the LP bounds: it is not solved then.
    """
    if problem.weights.mode == "lexicographic":
        return Bound(
            None, "none", note="not solved: lexicographic weights are not a sum it can bound"
        ), None
    try:
        from psr_sched.solver.relaxation import mean_busy_time
    except ImportError as exc:
        return Bound(
            None, "none", note=f"psr_sched.solver.relaxation is not importable ({exc})"
        ), None
    t0 = time.perf_counter()
    try:
        lower = mean_busy_time(problem, cand, slot_grains=1, time_limit_s=time_limit_s)
    except Exception as exc:  # a report: say what broke and go on with the other bounds
        return Bound(
            None,
            "none",
            time.perf_counter() - t0,
            note=f"mean-busy-time LP raised {type(exc).__name__}: {exc}",
        ), None
    elapsed = time.perf_counter() - t0
    detail = (
        f"{'optimal' if lower.optimal else 'not optimal'}, {lower.classes:,} request classes, "
        f"{lower.columns:,} columns, {lower.rows:,} rows"
    )
    if lower.value is None:
        return Bound(None, "none", elapsed, note=f"no dual values came back ({detail})"), None
    return Bound(
        lower.value,
        f"LP (mean-busy-time-{lower.slot_grains * cand.grain}min)",
        elapsed,
        note=detail,
    ), lower


def start_lp_bound(problem: Problem, cand: Candidates, guide: Any, time_limit_s: float) -> Bound:
    """The start-indexed LP's bound (:mod:`psr_sched.solver.rounding`, every request free,
    links and the front desk in its rows), its column generation seeded by ``guide`` (the
    mean-busy-time LP), or a Bound without value saying why there is none.  Stopped by the
    limit, it still gives the proven Lagrangian bound of its last duals."""
    try:
        from psr_sched.solver.rounding import start_lp
    except ImportError as exc:
        return Bound(None, "none", note=f"psr_sched.solver.rounding is not importable ({exc})")
    t0 = time.perf_counter()
    free = {r for r, opts in enumerate(cand.by_request) if opts and r not in cand.locked}
    try:
        lower = start_lp(problem, cand, {}, free, time_limit_s=time_limit_s, guide=guide)
    except Exception as exc:  # a report: say what broke and go on with the other bounds
        return Bound(
            None,
            "none",
            time.perf_counter() - t0,
            note=f"start-indexed LP raised {type(exc).__name__}: {exc}",
        )
    elapsed = time.perf_counter() - t0
    detail = (
        f"{'optimal' if lower.optimal else 'not optimal'} after {lower.rounds} rounds, "
        f"{lower.columns:,} columns ({lower.seeded:,} seeded), {lower.rows:,} rows"
    )
    if lower.bound is None:
        return Bound(None, "none", elapsed, note=f"no dual values came back ({detail})")
    return Bound(lower.bound, "LP (start-indexed)", elapsed, note=detail)


def instance_bound(
    problem: Problem, time_limit_s: float, slot_minutes: int | None = None, fine_minutes: int = 0
) -> Bound:
    """The runner's bound of one instance: the largest of three proven LP bounds.

    The mean-busy-time LP (one-grain slots) runs first, with the whole ``time_limit_s``;
    the start-indexed LP (:func:`start_lp_bound`, seeded by it) then gets
    :data:`START_LP_SHARE` of what is left, and the time-indexed LP (:func:`lp_bound`, its
    ladder or the ``slot_minutes`` LP alone) the rest; neither is started when less than
    :data:`LP_MIN_LEFT_S` is left.  On a tie the earlier LP's value counts.  ``parts``
    holds the three bounds (with a note where one gave none), ``winner`` the name of the
    one taken.
    """
    cand = build_candidates(problem)
    t0 = time.perf_counter()
    mbt, guide = _mean_busy_time(problem, cand, time_limit_s)
    left = time_limit_s - (time.perf_counter() - t0)
    if guide is None or left < LP_MIN_LEFT_S:
        start = Bound(
            None,
            "none",
            note="not started: no mean-busy-time LP to seed it"
            if guide is None
            else f"not started: {max(0.0, left):.1f} s of the {time_limit_s:g} s limit left "
            f"after the {MBT_LP}",
        )
    else:
        start = start_lp_bound(problem, cand, guide, START_LP_SHARE * left)
    left = time_limit_s - (time.perf_counter() - t0)
    if left < LP_MIN_LEFT_S:
        ladder = Bound(
            None,
            "none",
            note=f"not started: {max(0.0, left):.1f} s of the {time_limit_s:g} s limit left "
            f"after the {MBT_LP}",
        )
    else:
        ladder = lp_bound(problem, left, slot_minutes, fine_minutes, cand=cand)
    parts = {MBT_LP: mbt, START_LP: start, TIME_INDEXED_LP: ladder}
    elapsed = time.perf_counter() - t0
    found = [(b.value, name, b) for name, b in parts.items() if b.value is not None]
    if not found:
        why = "; ".join(f"{name}: {b.note or 'no bound'}" for name, b in parts.items())
        return Bound(None, "none", elapsed, note=f"no LP bound ({why})", parts=parts)
    value, winner, best = max(found, key=lambda item: item[0])  # on a tie the first
    return Bound(value, best.source, elapsed, parts=parts, winner=winner)


def run_bound(
    lp: Bound, own: float | None, method: str, stats: dict[str, Any]
) -> tuple[float | None, str]:
    """The larger of the instance's LP bound and the run's own bound, and its source."""
    found: list[tuple[float, str]] = []
    if lp.value is not None:
        found.append((lp.value, lp.source))
    if own is not None:
        found.append((own, f"{method}: {stats.get('bound_source', 'solver')}"))
    if not found:
        return None, "none"
    return max(found, key=lambda b: b[0])  # on a tie the LP, listed first


def measure(problem: Problem, result: Result, method: str, repeat: int, lp: Bound) -> Run:
    """Validate ``result`` and collect its columns."""
    report = validate(problem, result)
    problems = []
    if not report.ok:
        rules = ", ".join(f"{rule}×{n}" for rule, n in sorted(report.rules().items()))
        first = "; ".join(str(v) for v in report.violations[:3])
        problems.append(f"{len(report.violations)} violations ({rules}): {first}")
    if report.terms != result.terms:
        problems.append(f"terms differ: validator {report.terms!r} vs result {result.terms!r}")
    if result.terms.total(problem.weights) != result.objective:
        problems.append(
            f"objective {result.objective} != weighted terms {result.terms.total(problem.weights)}"
        )
    bound, source = run_bound(lp, result.best_bound, method, result.stats)
    return Run(
        method=method,
        repeat=repeat,
        requests=len(problem.requests),
        found=True,
        scheduled=len(result.assignments),
        unscheduled_priority=result.terms.unscheduled_priority,
        access_wait=result.terms.access_wait,
        idle_gap=result.terms.idle_gap,
        objective=result.objective,
        time_to_first_s=result.time_to_first_s,
        wall_time_s=result.wall_time_s,
        bound=bound,
        bound_source=source,
        valid=not problems,
        validation="ok" if not problems else " | ".join(problems),
        stats={
            **result.stats,
            "status": result.status.value,
            "solver_bound": result.best_bound,
            "baseline_objective": result.baseline_objective,
        },
    )


def measure_baseline(problem: Problem, outcome: BaselineOutcome, repeat: int, lp: Bound) -> Run:
    """The baseline's run: its schedule measured like the others, or a run without one."""
    if outcome.result is not None:
        run = measure(problem, outcome.result, "baseline", repeat, lp)
        run.stats["cpsat_status"] = outcome.status
        return run
    bound, source = run_bound(lp, outcome.best_bound, "baseline", outcome.stats)
    return Run.without_schedule(
        "baseline",
        repeat,
        len(problem.requests),
        outcome.wall_time_s,
        bound=bound,
        bound_source=source,
        valid=True,
        validation=f"no schedule (CP-SAT status {outcome.status})",
        stats={**outcome.stats, "status": "none", "solver_bound": outcome.best_bound},
    )


def first_available_result(problem: Problem) -> Result:
    """The front desk's first-available rule as a :class:`~psr_sched.Result`.

    :func:`psr_sched.solver.greedy.first_available` on ``build_candidates(problem)``, without
    a ``start``: the rule then books the locked pinned visits first, at their booked place,
    as the engine's floor does (the engine passes its locked core, the locked visits and the
    visits they force, which it places first).  The placement becomes a Result as ``solve``
    builds one: rooms, assignments, reasons for the unscheduled, the objective terms, and the
    earliest-start bound as the run's own bound when the search weights are the problem's
    (not in lexicographic mode).  Candidates are built inside the timing, as for the greedy
    run; ``time_to_first_s`` is the time to the placement.
    """
    t0 = time.perf_counter()
    cand = build_candidates(problem)
    candidates_s = time.perf_counter() - t0
    placement = first_available(problem, cand)
    first_s = time.perf_counter() - t0
    terms = evaluate(problem, cand, placement)
    objective = terms.total(problem.weights)
    stats: dict[str, Any] = {
        "options": len(cand.options),
        "candidates_s": round(candidates_s, 3),
        "construction_s": round(first_s - candidates_s, 3),
    }
    bound = None
    if search_weights(problem, cand) == problem.weights:
        bound = earliest_start_bound(problem, cand)
        stats["bound_source"] = "earliest-start"
    status = SolveStatus.OPTIMAL if bound is not None and bound >= objective else SolveStatus.GREEDY
    return Result(
        problem_name=problem.name,
        status=status,
        assignments=tuple(assignments(problem, cand, placement)),
        unscheduled=tuple(unscheduled_reasons(problem, cand, placement)),
        terms=terms,
        weights=problem.weights,
        objective=objective,
        best_bound=bound,
        wall_time_s=time.perf_counter() - t0,
        time_to_first_s=first_s,
        stats=stats,
    )


def run_instance(
    problem: Problem, family_name: str, label: str, args: argparse.Namespace
) -> Instance:
    limit = time_limit_for(family_name, args)
    size = size_of(problem)
    say(
        f"instance {label} — {problem.name}: {size.requests} requests, "
        f"{size.options:,} options, load {size.load:.3f}, time limit {limit:g} s"
    )
    if args.no_lp:
        bound = Bound(None, "none", note="LP bounds skipped (--no-lp)")
    else:
        say(f"  LP bounds (limit {args.lp_time_limit:g} s in all) ...")
        bound = instance_bound(
            problem, args.lp_time_limit, args.lp_slot_minutes, args.lp_fine_minutes
        )
        for name, part in bound.parts.items():
            say(f"  {name}: {part_text(part)}")
        say(
            f"  bound: {fmt_int(bound.value)} from {bound.source}"
            + (f" in {bound.wall_time_s:.1f} s" if bound.wall_time_s is not None else "")
            + (f" — {bound.note}" if bound.note else "")
        )
    instance = Instance(
        family_name, label, problem.name, size, limit, bound, mode=problem.weights.mode
    )
    for repeat in range(args.repeats):
        for method in METHODS:
            if method == "greedy":
                run = measure(
                    problem,
                    solve(problem, SolveOptions(use_cpsat=False, seed=repeat)),
                    method,
                    repeat,
                    bound,
                )
            elif method == "first_available":
                run = measure(problem, first_available_result(problem), method, repeat, bound)
            elif method == "baseline":
                if args.no_baseline:
                    continue
                outcome = solve_baseline(
                    problem, time_limit_s=limit, workers=args.workers, seed=repeat
                )
                run = measure_baseline(problem, outcome, repeat, bound)
            else:
                options = SolveOptions(time_limit_s=limit, workers=args.workers, seed=repeat)
                run = measure(problem, solve(problem, options), method, repeat, bound)
            instance.runs.append(run)
            say(
                f"  repeat {repeat} {method:<15} "
                + (
                    f"objective={run.objective:,} scheduled={run.scheduled}/{run.requests} "
                    if run.objective is not None
                    else "no schedule "
                )
                + f"first={fmt_s(run.time_to_first_s)} wall={run.wall_time_s:.1f}s "
                f"bound={fmt_int(run.bound)} ({run.bound_source}) "
                f"validation={'ok' if run.valid else 'FAILED'}"
            )
            if not run.valid:
                say(
                    f"    VALIDATION FAILED ({label}, {method}, solver seed {repeat}): "
                    f"{run.validation}"
                )
    return instance


def time_limit_for(family_name: str, args: argparse.Namespace) -> float:
    limit: float = args.time_limits.get(family_name, args.time_limit)
    return limit


# -- formatting ---------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def fmt_int(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def fmt_text(value: Any) -> str:
    return "n/a" if value is None else str(value)


def part_text(part: Bound) -> str:
    """One LP bound of an instance bound, e.g. ``155,418 from LP (mean-busy-time-5min) in
    0.1 s (optimal, ...)``, or ``none (why)``."""
    seconds = "" if part.wall_time_s is None else f" in {fmt_s(part.wall_time_s)} s"
    if part.value is None:
        return f"none{seconds}" + (f" ({part.note})" if part.note else "")
    return f"{fmt_int(part.value)} from {part.source}{seconds}" + (
        f" ({part.note})" if part.note else ""
    )


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    if denominator == 0:
        return 1.0 if numerator == 0 else None
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: header, value of a run, formatter."""

    header: str
    value: Callable[[Run], Any]
    show: Callable[[Any], str]
    #: The value exists only with a schedule: "none" for a run without one.
    schedule: bool = True
    #: Text: the median row shows the most common value, the ratio row a dash.
    text: bool = False
    #: A ratio to greedy or first-available says something (not for the bound, which all
    #: methods share).
    ratio: bool = True


COLUMNS: list[Column] = [
    Column("scheduled", lambda r: r.scheduled, fmt_int),
    Column("prio-wtd unscheduled", lambda r: r.unscheduled_priority, fmt_int),
    Column("prio-wtd wait (min)", lambda r: r.access_wait, fmt_int),
    Column("idle gap (min)", lambda r: r.idle_gap, fmt_int),
    Column("objective", lambda r: r.objective, fmt_int),
    Column("first feasible (s)", lambda r: r.time_to_first_s, fmt_s),
    Column("wall (s)", lambda r: r.wall_time_s, fmt_s, schedule=False),
    Column("bound", lambda r: r.bound, fmt_int, schedule=False, ratio=False),
    Column(
        "bound source", lambda r: r.bound_source, fmt_text, schedule=False, text=True, ratio=False
    ),
    Column("gap to bound", lambda r: r.gap, fmt_pct),
]


def cell(column: Column, run: Run) -> str:
    if column.schedule and not run.found:
        return "none"
    return column.show(column.value(run))


def median_cell(column: Column, runs: list[Run]) -> str:
    counted = [run for run in runs if run.found or not column.schedule]
    if not counted:
        return "none"
    if column.text:
        return column.show(Counter(column.value(run) for run in counted).most_common(1)[0][0])
    return column.show(median([column.value(run) for run in counted]))


def median_label(method: str, runs: list[Run]) -> str:
    found = sum(run.found for run in runs)
    if found == len(runs):
        return f"{method} (median of {len(runs)})"
    return f"{method} (median of {found} schedules in {len(runs)} runs)"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    first = [header[0].ljust(widths[0])] + [
        h.rjust(w) for h, w in zip(header[1:], widths[1:], strict=True)
    ]
    lines = ["  ".join(first), "  ".join("-" * w for w in widths)]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
    return lines


Table = tuple[list[str], list[list[str]]]


@dataclass(slots=True)
class Tables:
    per_repeat: Table
    medians: Table
    ratios: Table


def tables(instance: Instance) -> Tables:
    header = ["method", *[c.header for c in COLUMNS]]
    per_repeat = [
        [f"{run.method} (seed {run.repeat})", *[cell(c, run) for c in COLUMNS]]
        for run in sorted(instance.runs, key=lambda r: (r.repeat, METHODS.index(r.method)))
    ]
    medians = [
        [
            median_label(method, instance.of(method)),
            *[median_cell(c, instance.of(method)) for c in COLUMNS],
        ]
        for method in instance.methods
    ]
    ratio_rows = []
    for reference in REFERENCES:
        if not instance.of(reference):
            continue
        for method in instance.methods:
            if method == reference:
                continue
            pairs = list(zip(instance.of(method), instance.of(reference), strict=True))
            row = [f"{method}/{reference} (median ratio)"]
            for column in COLUMNS:
                if not column.ratio:
                    row.append("—")
                    continue
                ratios = [
                    ratio(column.value(m), column.value(g))
                    for m, g in pairs
                    if m.found or not column.schedule
                ]
                row.append("none" if not ratios else fmt_ratio(median(ratios)))
            ratio_rows.append(row)
    return Tables((header, per_repeat), (header, medians), (header, ratio_rows))


def objective_ratio(instance: Instance, method: str, reference: str) -> float | None:
    """Median over repeats of ``method``'s objective over ``reference``'s, same repeat
    (repeats where ``method`` found no schedule left out)."""
    pairs = zip(instance.of(method), instance.of(reference), strict=True)
    return median([ratio(m.objective, r.objective) for m, r in pairs if m.found])


SUMMARY_HEADER = [
    "instance",
    "method",
    "scheduled / requests",
    "prio-wtd unscheduled",
    "prio-wtd wait (min)",
    "idle gap (min)",
    "objective",
    "objective / greedy",
    "objective / first-available",
    "first feasible (s)",
    "wall (s)",
    "bound",
    "bound source",
    "gap to bound",
]
#: Summary columns summed over the clinics of a family with several (XL).
_ADDITIVE = ("scheduled", "prio-wtd unscheduled", "prio-wtd wait (min)", "idle gap (min)")


def summary_rows(instances: list[Instance]) -> list[list[str]]:
    """Medians of every instance and method, with the median ratios of its objective to
    greedy's and first-available's; a sum row per method for multi-clinic families (its
    ratios: the sum of the method's medians over the sum of the reference's)."""
    by_name = {c.header: c for c in COLUMNS}
    rows: list[list[str]] = []
    for inst in instances:
        for method in inst.methods:
            runs = inst.of(method)
            ratios = [
                fmt_ratio(objective_ratio(inst, method, reference)) if inst.of(reference) else "n/a"
                for reference in REFERENCES
            ]
            rows.append(
                [
                    inst.label,
                    median_label(method, runs),
                    f"{median_cell(by_name['scheduled'], runs)} / {inst.size.requests:,}",
                    *[median_cell(by_name[h], runs) for h in SUMMARY_HEADER[3:7]],
                    *ratios,
                    *[median_cell(by_name[h], runs) for h in SUMMARY_HEADER[9:]],
                ]
            )
    for family_name in dict.fromkeys(inst.family for inst in instances):
        members = [inst for inst in instances if inst.family == family_name]
        if len(members) < 2:
            continue
        objectives = {
            method: [median([r.objective for r in inst.of(method) if r.found]) for inst in members]
            for method in METHODS
        }
        for method in METHODS:
            sums: list[str] = []
            for header in (*_ADDITIVE, "objective"):
                values = [
                    median([by_name[header].value(r) for r in inst.of(method) if r.found])
                    for inst in members
                ]
                present = [v for v in values if v is not None]
                if not present:
                    sums.append("none")
                elif len(present) < len(values):
                    sums.append(f"{fmt_int(sum(present))} ({len(present)}/{len(values)} found)")
                else:
                    sums.append(fmt_int(sum(present)))
            if not any(inst.of(method) for inst in members):
                continue
            ratios = []
            for reference in REFERENCES:
                mine, theirs = objectives[method], objectives[reference]
                whole = None not in mine and None not in theirs
                ratios.append(
                    fmt_ratio(ratio(sum(v or 0 for v in mine), sum(v or 0 for v in theirs)))
                    if whole
                    else "—"
                )
            requests = sum(inst.size.requests for inst in members)
            rows.append(
                [
                    f"{family_name}: sum of {len(members)} clinics",
                    f"{method} (sum of medians)",
                    f"{sums[0]} / {requests:,}",
                    *sums[1:],
                    *ratios,
                    *["—"] * 5,
                ]
            )
    return rows


BOUND_HEADER = [
    "instance",
    "mean-busy-time LP",
    "its time (s)",
    "start-indexed LP",
    "its time (s)",
    "time-indexed LP",
    "its time (s)",
    "instance bound",
    "taken from",
]


def bound_rows(instances: list[Instance]) -> list[list[str]]:
    """Per instance: the three LP bounds (``none`` when one gave none), the largest, its
    source."""
    rows = []
    for inst in instances:
        cells = []
        for name in (MBT_LP, START_LP, TIME_INDEXED_LP):
            part = inst.bound.parts.get(name)
            cells += (
                ["—", "—"]
                if part is None
                else [
                    fmt_int(part.value) if part.value is not None else "none",
                    fmt_s(part.wall_time_s),
                ]
            )
        b = inst.bound
        taken = f"{b.winner}: {b.source}" if b.winner else b.note or "none"
        rows.append([inst.label, *cells, fmt_int(b.value), taken])
    return rows


SIZE_HEADER = [
    "family",
    "instance",
    "providers (seeing patients)",
    "rooms",
    "requests",
    "pinned",
    "links",
    "options",
    "load",
    "time limit (s)",
]


def size_table_rows(instances: list[Instance]) -> list[list[str]]:
    return [
        [
            inst.family,
            inst.label,
            f"{inst.size.providers} ({inst.size.seeing})",
            str(inst.size.rooms),
            f"{inst.size.requests:,}",
            str(inst.size.pinned),
            str(inst.size.links),
            f"{inst.size.options:,}",
            f"{inst.size.load:.3f}",
            f"{inst.time_limit:g}",
        ]
        for inst in instances
    ]


@dataclass(slots=True)
class Target:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def _objective(run: Run) -> int:
    assert run.objective is not None
    return run.objective


def not_worse(run: Run, other: Run, mode: str = "weighted") -> bool:
    """Whether ``run``'s schedule is at least as good as ``other``'s: on the objective, or in
    lexicographic mode on priority-weighted unscheduled first, then on the objective (at
    equal unscheduled the objectives differ by the other terms only).  A run without a
    schedule is never as good as one with."""
    if not run.found or not other.found:
        return not other.found
    if mode == "lexicographic":
        return (run.unscheduled_priority or 0, _objective(run)) <= (
            other.unscheduled_priority or 0,
            _objective(other),
        )
    return _objective(run) <= _objective(other)


def targets(instance: Instance) -> list[Target]:
    engine, greedy = instance.of("engine"), instance.of("greedy")
    pairs = list(zip(engine, greedy, strict=True))
    n = len(pairs)
    firsts = [e.time_to_first_s for e in engine]
    first_median = median(firsts)
    worst = max((f for f in firsts if f is not None), default=None)
    no_worse = sum(_objective(e) <= _objective(g) for e, g in pairs)
    fewer = sum((e.unscheduled_priority or 0) <= (g.unscheduled_priority or 0) for e, g in pairs)
    strictly = sum(_objective(e) < _objective(g) for e, g in pairs)
    out = [
        Target(
            f"first feasible < {FIRST_FEASIBLE_TARGET_S:g} s (engine's time_to_first_s)",
            first_median is not None and first_median < FIRST_FEASIBLE_TARGET_S,
            f"median {fmt_s(first_median)} s, worst {fmt_s(worst)} s over {n} repeats",
        ),
        Target(
            "engine objective ≤ greedy objective",
            no_worse == n,
            f"{no_worse}/{n} repeats",
        ),
        Target(
            "engine priority-weighted unscheduled ≤ greedy's",
            fewer == n,
            f"{fewer}/{n} repeats",
        ),
        Target(
            "engine strictly better than greedy on the objective",
            strictly == n,
            f"{strictly}/{n} repeats; median objective ratio "
            f"{fmt_ratio(median([ratio(e.objective, g.objective) for e, g in pairs]))}",
        ),
    ]
    floor = instance.of("first_available")
    if floor:
        against = list(zip(engine, floor, strict=True))
        kept = sum(not_worse(e, f, instance.mode) for e, f in against)
        lexicographic = instance.mode == "lexicographic"
        detail = (
            f"{kept}/{len(against)} repeats; median objective ratio "
            f"{fmt_ratio(median([ratio(e.objective, f.objective) for e, f in against]))}"
        )
        if lexicographic:
            unscheduled = [
                ratio(e.unscheduled_priority, f.unscheduled_priority) for e, f in against
            ]
            detail += f", priority-weighted unscheduled ratio {fmt_ratio(median(unscheduled))}"
        out.append(
            Target(
                "engine objective ≤ first-available objective"
                + (
                    " (lexicographic: priority-weighted unscheduled first, then the objective)"
                    if lexicographic
                    else ""
                ),
                kept == len(against),
                detail,
            )
        )
    out.extend(issue_targets(instance))
    baseline = instance.of("baseline")
    if baseline:
        against = list(zip(engine, baseline, strict=True))
        beaten = sum(not b.found or _objective(e) <= _objective(b) for e, b in against)
        found = sum(b.found for b in baseline)
        out.append(
            Target(
                "engine objective ≤ baseline objective (or the baseline found none)",
                beaten == len(against),
                f"{beaten}/{len(against)} repeats; the baseline found a schedule in "
                f"{found}/{len(baseline)}",
            )
        )
    return out


#: The gap targets per family, on 2 workers: (largest median gap of the engine to the run's
#: bound over the repeats, at a time limit of at most these seconds, the limits of the
#: protocol's commands).  M0-130 (and M-over, XL, the demo week) have none.
GAP_TARGETS: dict[str, tuple[float, float]] = {
    "S0": (0.01, 10),
    "M0": (0.04, 60),
    "L0": (0.04, 120),
    "M0-110": (0.15, 60),
    "S": (0.01, 10),
    "M": (0.15, 60),
    "L": (0.20, 120),
}
#: M's first feasible schedule, seconds; M-over's priority-weighted unscheduled / greedy's.
M_FIRST_FEASIBLE_S = 1.0
M_OVER_UNSCHEDULED_RATIO = 0.60


def issue_targets(instance: Instance) -> list[Target]:
    """The family's own targets: the engine's median gap to the run's bound within a time
    limit (:data:`GAP_TARGETS`), first feasible on M, unscheduled against greedy on M-over."""
    engine, greedy = instance.of("engine"), instance.of("greedy")
    out = []
    if instance.family in GAP_TARGETS:
        gap, seconds = GAP_TARGETS[instance.family]
        gaps = [e.gap for e in engine]
        median_gap = median(gaps)
        worst_gap = max((g for g in gaps if g is not None), default=None)
        within = instance.time_limit <= seconds
        out.append(
            Target(
                f"{instance.family}: gap to the bound ≤ {100 * gap:g}% within {seconds:g} s "
                "(median of repeats)",
                within and median_gap is not None and median_gap <= gap,
                f"median gap {fmt_pct(median_gap)}, worst {fmt_pct(worst_gap)} over "
                f"{len(engine)} repeats at a {instance.time_limit:g} s limit"
                + ("" if within else f" (above the target's {seconds:g} s)")
                + ("" if median_gap is not None else "; no bound"),
            )
        )
    if instance.family == "M":
        firsts = [e.time_to_first_s for e in engine]
        worst = max((f for f in firsts if f is not None), default=None)
        out.append(
            Target(
                f"M: first feasible < {M_FIRST_FEASIBLE_S:g} s",
                worst is not None and worst < M_FIRST_FEASIBLE_S,
                f"median {fmt_s(median(firsts))} s, worst {fmt_s(worst)} s",
            )
        )
    if instance.family == "M-over":
        ratios = [
            ratio(e.unscheduled_priority, g.unscheduled_priority)
            for e, g in zip(engine, greedy, strict=True)
        ]
        worst_ratio = max((r for r in ratios if r is not None), default=None)
        out.append(
            Target(
                "M-over: priority-weighted unscheduled ≤ "
                f"{100 * M_OVER_UNSCHEDULED_RATIO:g}% of greedy's",
                worst_ratio is not None and worst_ratio <= M_OVER_UNSCHEDULED_RATIO,
                f"engine/greedy median {fmt_ratio(median(ratios))}, worst {fmt_ratio(worst_ratio)}",
            )
        )
    return out


def remarks(instance: Instance) -> list[str]:
    """Surprises worth a line: failed validations, bounds above objectives, worse engines."""
    out = []
    for run in instance.runs:
        if not run.valid:
            out.append(
                f"VALIDATION FAILED: {run.method}, {instance.label}, "
                f"solver seed {run.repeat}: {run.validation}"
            )
        if run.bound is not None and run.objective is not None and run.bound > run.objective:
            out.append(
                f"BOUND ABOVE OBJECTIVE: {run.method}, solver seed {run.repeat}: bound "
                f"{run.bound:,} > objective {run.objective:,} ({run.bound_source}): "
                "the bound is not valid"
            )
    for e, g in zip(instance.of("engine"), instance.of("greedy"), strict=True):
        if _objective(e) > _objective(g):
            out.append(
                f"ENGINE WORSE THAN GREEDY: {instance.label}, solver seed "
                f"{e.repeat}: {e.objective:,} > {g.objective:,}"
            )
    floors = instance.of("first_available")
    for e, f in zip(instance.of("engine") if floors else [], floors, strict=True):
        if not not_worse(e, f, instance.mode):
            out.append(
                f"ENGINE WORSE THAN FIRST-AVAILABLE: {instance.label}, solver seed "
                f"{e.repeat}: objective {e.objective:,} vs {f.objective:,}, priority-weighted "
                f"unscheduled {e.unscheduled_priority} vs {f.unscheduled_priority}"
            )
        floor = e.stats.get("first_available_objective")
        if floor is not None and floor != f.objective:
            out.append(
                f"the engine's own first-available floor (stats first_available_objective "
                f"{floor:,}, around its locked core) differs from this runner's "
                f"first_available ({fmt_int(f.objective)}), solver seed {e.repeat}"
            )
    for method in REFERENCES:
        objectives = {_objective(r) for r in instance.of(method)}
        if len(objectives) > 1:
            out.append(f"{method} is not deterministic across repeats: {sorted(objectives)}")
    for b in instance.of("baseline"):
        if not b.found:
            out.append(
                f"baseline, solver seed {b.repeat}: {b.validation} within "
                f"{instance.time_limit:g} s (model built in {b.stats.get('model_build_s')} s)"
            )
    return out


#: Engine statistics shown per run (by this runner and by ``benchmarks.levers``).
ENGINE_KEYS = (
    "status",
    "greedy_s",
    "lp",
    "lp_bound",
    "lp_optimal",
    "lp_guided_objectives",
    "start_lp",
    "start_lp_objective",
    "full_model",
    "cpsat_status",
    "model_build_s",
    "lns_iterations",
    "lns_improvements",
    "lns_final_providers",
    "lns_outcomes",
    "solver_bound",
    "bound_source",
    "baseline_objective",
    "first_available_objective",
)
BASELINE_KEYS = (
    "status",
    "cpsat_status",
    "model_build_s",
    "cpsat_time_limit_s",
    "cpsat_wall_s",
    "variables",
    "constraints",
    "options",
    "solutions",
    "cpsat_objective",
    "solver_bound",
)


def method_stats(instance: Instance, method: str, keys: tuple[str, ...]) -> list[str]:
    lines = []
    for run in instance.of(method):
        shown = ", ".join(f"{k}={run.stats[k]}" for k in keys if k in run.stats)
        lines.append(f"solver seed {run.repeat}: {shown}")
    return lines


# -- machine and report -------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        usable = "n/a"
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except (OSError, ValueError):
        pass

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical, {usable} usable by this process",
        "memory": memory,
        "load average (1, 5, 15 min) at start": load,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "ortools": version("ortools"),
        "numpy / pandas / pydantic": (
            f"{version('numpy')} / {version('pandas')} / {version('pydantic')}"
        ),
        "psr_sched": f"{version('psr_sched')}, git {commit}",
    }


def protocol(args: argparse.Namespace) -> list[str]:
    if args.family:
        instances = (
            f"- Instances: families {', '.join(args.family)} of `benchmarks/instances.py` "
            f"(`family(name, seed)`) for family seeds {args.seeds}; sizes below."
        )
    else:
        instances = f"- Instances: `demo_problem(seed)` for seeds {args.seeds}."
    if args.without_desk:
        instances += (
            " Every instance without its front desk "
            '(`problem.model_copy(update={"front_desk": None})`, `--without-desk`).'
        )
    limits = f"{args.time_limit:g} s" + (
        " (" + ", ".join(f"{k}: {v:g} s" for k, v in args.time_limits.items()) + ")"
        if args.time_limits
        else ""
    )
    baseline = (
        ""
        if args.no_baseline
        else ", the straightforward CP-SAT model (`benchmarks/baseline_cpsat.py`: "
        "`solve_baseline(problem, time_limit_s=T, workers="
        f"{args.workers}, seed=i)`, default CP-SAT parameters otherwise)"
    )
    if args.no_lp:
        bound = "- Instance bound: skipped (`--no-lp`)."
    else:
        ladder = (
            f"the {args.lp_slot_minutes}-minute LP alone (`--lp-slot-minutes`)"
            if args.lp_slot_minutes
            else "from the first slot length (30 min up to 15,000 options, else 60) down the "
            "ladder "
            + ", ".join(lp_step_label(*step) for step in lp_ladder(60, args.lp_fine_minutes))
            + " (fine: one-grain slots around session starts) while time is left after an LP "
            "reaches its optimum, the largest proven value of them"
        )
        bound = (
            f"- Instance bound, computed once per instance with {args.lp_time_limit:g} s in "
            "all (`--lp-time-limit`): the largest of three proven LP bounds, (1) the "
            "mean-busy-time LP at one-grain slots (`psr_sched.solver.relaxation."
            "mean_busy_time(problem, cand, slot_grains=1, time_limit_s=L)`), solved first with "
            "the whole limit L (its LP solver's limit; its build is not interrupted), (2) the "
            "start-indexed LP of `psr_sched.solver.rounding.start_lp` with every request free "
            "(links and front desk in its rows), by column generation seeded with (1)'s "
            f"options, with {START_LP_SHARE:.0%} of what is left of L (the Lagrangian bound "
            "of its last duals), and (3) the time-indexed LP of `psr_sched.solver.bound` with "
            f"the rest (neither started with less than {LP_MIN_LEFT_S:g} s left), {ladder}. "
            "Each instance's section and the bounds table list the three values and name the "
            "one taken (on a tie the earlier LP's)."
        )
    return [
        instances,
        f"- Time limit T per solve: {limits}.",
        bound,
        f"- Repeats: {args.repeats}; repeat *i* uses solver seed *i*. In each repeat the greedy "
        "construction (`solve(problem, SolveOptions(use_cpsat=False, seed=i))`), the "
        "first-available rule (`psr_sched.solver.greedy.first_available(problem, "
        "build_candidates(problem))`: the front desk's rule, locked pins first; deterministic, "
        f"candidates built inside its timing){baseline} and the engine "
        f"(`SolveOptions(time_limit_s=T, workers={args.workers}, seed=i)`) run back to back on "
        "the same problem.",
        "- Every schedule is checked by `psr_sched.validate` (no violation, recomputed terms "
        'equal `result.terms`). A baseline run without a schedule is shown as "none".',
        "- Headline numbers are medians over repeats; ratios are method/greedy and "
        "method/first_available of the same repeat, then their median.",
        "- Bound of a run: the larger of the instance bound and the run's own proven "
        "bound (`result.best_bound`: CP-SAT's for the baseline, the earliest-start bound for "
        "first-available), with its source. Gap to bound = (objective − bound) / objective.",
        "- Gap targets per family (the engine's median gap over repeats, at a time limit of "
        "at most the target's): "
        + ", ".join(
            f"{name} ≤ {100 * gap:g}% ({seconds:g} s)"
            for name, (gap, seconds) in GAP_TARGETS.items()
        )
        + "; M0-130 has none. Engine ≤ first-available is checked on every repeat (in "
        "lexicographic mode on priority-weighted unscheduled first). A missed target is "
        "reported; the exit status stays 0.",
        "",
    ]


def report_head(title: str, script: str, command: str, host: dict[str, str]) -> list[str]:
    """Title, generation time, exact command and machine of a markdown report, up to the
    heading of its protocol section."""
    return [
        f"# {title}",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{script}`.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        command,
        "```",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in host.items()],
        "",
        "## Protocol",
        "",
    ]


def render(
    instances: list[Instance], args: argparse.Namespace, host: dict[str, str], command: str
) -> tuple[str, str, int]:
    """The console report, the markdown report and the exit status."""
    console: list[str] = []
    methods = " vs ".join(
        METHOD_NAMES[m] for m in METHODS if not (m == "baseline" and args.no_baseline)
    )
    what = "the demo week" if not args.family else f"instance families {', '.join(args.family)}"
    md: list[str] = [
        *report_head(
            f"psr_sched: {methods} on {what}",
            "benchmarks/compare.py",
            command,
            host,
        ),
        *protocol(args),
        "## Instances",
        "",
        *markdown_table(SIZE_HEADER, size_table_rows(instances)),
        "",
        "Providers: the roster, financial counselor included (in brackets, those with at least "
        "one candidate option). Load: requested / session minutes. Links: same-day sequences "
        "and follow-ups.",
        "",
        "## Bounds",
        "",
        *markdown_table(BOUND_HEADER, bound_rows(instances)),
        "",
        "## Summary (medians over repeats)",
        "",
        *markdown_table(SUMMARY_HEADER, summary_rows(instances)),
        "",
    ]
    exit_code = 0
    for inst in instances:
        t = tables(inst)
        title = (
            f"{inst.label} — {inst.name}: {inst.size.requests:,} requests, "
            f"{inst.size.options:,} candidate options, time limit {inst.time_limit:g} s"
        )
        b = inst.bound
        if b.value is not None:
            bound_line = (
                f"Instance bound {fmt_int(b.value)} from {b.source}"
                + (f", the {b.winner}'s, the larger of the two" if b.winner else "")
                + f", computed once in {fmt_s(b.wall_time_s)} s"
                + (f" ({b.note})" if b.note else "")
                + "; a run's own bound replaces it when larger."
            )
        else:
            bound_line = (
                f"No LP bound: {b.note}. The bound column is each run's own proven bound "
                "(result.best_bound; n/a when it has none)."
            )
        parts = [f"{name}: {part_text(part)}" for name, part in b.parts.items()]
        checks = targets(inst)
        notes = remarks(inst)
        if any(not run.valid for run in inst.runs):
            exit_code = 1

        console += ["", "=" * 100, title, "=" * 100, bound_line]
        console += [*[f"  {line}" for line in parts], ""]
        console += ["Per repeat:", *text_table(*t.per_repeat), ""]
        console += ["Medians over repeats:", *text_table(*t.medians), ""]
        console += ["Ratios to greedy and to first-available:", *text_table(*t.ratios), ""]
        console += ["Targets:", *[c.line() for c in checks], ""]
        console += ["Engine statistics:", *method_stats(inst, "engine", ENGINE_KEYS)]
        if inst.of("baseline"):
            console += ["Baseline statistics:", *method_stats(inst, "baseline", BASELINE_KEYS)]
        console += ["", "Remarks:", *(notes or ["none"])]

        md += [f"## {title}", "", bound_line, ""]
        if parts:
            md += [*[f"- {line}" for line in parts], ""]
        md += ["### Medians over repeats", "", *markdown_table(*t.medians), ""]
        md += ["### Ratios to greedy and to first-available (median of per-repeat ratios)", ""]
        md += [*markdown_table(*t.ratios), ""]
        md += ["### Targets", "", *[f"- **{c.line()[:4]}** {c.line()[6:]}" for c in checks], ""]
        md += ["### Per repeat", "", *markdown_table(*t.per_repeat), ""]
        md += ["### Engine statistics", ""]
        md += [*[f"- {line}" for line in method_stats(inst, "engine", ENGINE_KEYS)], ""]
        if inst.of("baseline"):
            md += ["### Baseline statistics", ""]
            md += [*[f"- {line}" for line in method_stats(inst, "baseline", BASELINE_KEYS)], ""]
        md += ["### Validation and remarks", ""]
        valid = sum(run.valid for run in inst.runs)
        found = sum(run.found for run in inst.runs)
        md += [f"- {valid}/{len(inst.runs)} runs validated ({found} with a schedule)."]
        md += [f"- {note}" for note in notes]
        md += [""]
    return "\n".join(console), "\n".join(md), exit_code


# -- entry point --------------------------------------------------------------------------


def _families(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FAMILIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown family {', '.join(unknown) or '(none given)'}; known: {', '.join(FAMILIES)}"
        )
    return names


def _time_limits(text: str) -> dict[str, float]:
    limits: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or (name not in FAMILIES and name != DEMO):
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected FAMILY=SECONDS with FAMILY one of "
                f"{', '.join([*FAMILIES, DEMO])}"
            )
        try:
            seconds = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: {value!r} is not a number") from None
        if seconds <= 0:
            raise argparse.ArgumentTypeError(f"{item!r}: the time limit must be positive")
        limits[name] = seconds
    return limits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description="Greedy construction vs the first-available rule vs straightforward "
        "CP-SAT vs the engine.",
    )
    parser.add_argument(
        "--family",
        type=_families,
        default=None,
        help=f"comma-separated instance families ({', '.join(FAMILIES)}); default: the demo week",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="baseline and engine limit, seconds"
    )
    parser.add_argument(
        "--time-limits",
        type=_time_limits,
        default={},
        help="per-family limits overriding --time-limit, e.g. S0=10,M0=60,L0=120,M0-110=60 "
        f"('{DEMO}' for the demo week)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="solver seeds 0..repeats-1")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument(
        "--seeds",
        type=lambda text: [int(s) for s in text.split(",") if s.strip()],
        nargs="+",
        default=[[0]],
        help="demo instance seeds, or family seeds with --family; --seeds 0 1 or --seeds 0,1",
    )
    parser.add_argument(
        "--lp-time-limit",
        type=float,
        default=60.0,
        help="time limit of the instance bound, seconds, in all: the mean-busy-time LP first "
        "with all of it, then the time-indexed LP with what is left",
    )
    parser.add_argument(
        "--lp-slot-minutes",
        type=int,
        default=None,
        help="start-slot length of the time-indexed LP, no refinement (default: 30 up to 15,000 "
        "options, else 60 and then 60 with 15 minutes of fine slots, then finer slots "
        "while the LP time limit allows)",
    )
    parser.add_argument(
        "--lp-fine-minutes",
        type=int,
        default=0,
        help="one-grain slots this many minutes around each session start, in every "
        "time-indexed LP "
        "(default: only the ladder's second step at 60-minute slots has them, 15 minutes)",
    )
    parser.add_argument("--no-lp", action="store_true", help="skip the instance bound (its LPs)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the straightforward CP-SAT model"
    )
    parser.add_argument(
        "--without-desk",
        action="store_true",
        help="solve every instance with its front desk removed (what the desk costs)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/RESULTS.md"), help="markdown report"
    )
    args = parser.parse_args(argv)
    args.seeds = [seed for group in args.seeds for seed in group]
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    return args


def problems(
    args: argparse.Namespace, *, without_desk: bool = False
) -> list[tuple[str, str, Problem]]:
    """(family, label, problem) of every instance, in the order they run; with
    ``without_desk``, each without its front desk (labelled so)."""
    out = []
    if not args.family:
        out = [(DEMO, f"demo_problem({seed})", demo_problem(seed)) for seed in args.seeds]
    for name in args.family or ():
        for seed in args.seeds:
            generated = family(name, seed).problems
            for k, problem in enumerate(generated):
                label = f"{name} seed {seed}"
                if len(generated) > 1:
                    label += f" clinic {k + 1:02d}"
                out.append((name, label, problem))
    if without_desk:
        out = [
            (name, f"{label} without desk", problem.model_copy(update={"front_desk": None}))
            for name, label, problem in out
        ]
    return out


def announce(module: str, argv: list[str] | None) -> tuple[str, dict[str, str]]:
    """The exact command of this run and the machine, printed as a run starts."""
    raw = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", module, *raw])
    host = machine()
    say(f"$ {command}")
    for key, value in host.items():
        say(f"{key}: {value}")
    return command, host


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command, host = announce("benchmarks.compare", argv)
    instances = [
        run_instance(problem, family_name, label, args)
        for family_name, label, problem in problems(args, without_desk=args.without_desk)
    ]
    console, md, exit_code = render(instances, args, host, command)
    say(console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md + "\n")
    say(f"\nWrote {args.out}")
    if exit_code:
        say("EXIT 1: at least one schedule failed validation (see above).")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
