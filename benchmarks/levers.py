"""The engine's levers, each measured on its own: the full engine against the same engine with
one lever switched, on the same problem, seed and time limit, back to back.

Run from the repository root::

    python -m benchmarks.levers --family M,L --time-limits M=60,L=120 --repeats 1 --seed 0
    python -m benchmarks.levers --family S --time-limits S=3 --levers lns,complete-hint \
        --out /tmp/levers.md

For every instance (``benchmarks.instances.family(name, seed)``) and every repeat *i* (solver
seed *i*), the full engine runs first ("all-on"), then one run per lever with only that lever
changed:

=======================  ==================================================================
lever                    the run
=======================  ==================================================================
lp-guided                ``SolveOptions(lp=False)``: no LP bound and no LP-guided
                         construction; the greedy construction seeds the search
randomized-rounding      ``psr_sched.solver.solve._GUIDED_TRIES = 0``: the LP-guided
                         construction once, without the noisy retries
lns                      ``SolveOptions(lns=False)``: no large-neighbourhood search (the
                         full model runs up to 30,000 options; above, the constructions stand)
complete-hint            ``psr_sched.solver.solve.add_hint`` a no-op: no CP-SAT model gets a
                         solution hint
presolve-probing-on      ``_parameters`` wrapped: ``cp_model_probing_level`` and
                         ``symmetry_level`` back to CP-SAT's defaults in every solve (the
                         engine sets both to 0 on large models)
rooms-unpooled           ``ModelBuilder._room_capacity`` replaced: a Boolean and an optional
                         interval per option and concrete room, a ``NoOverlap`` per room and
                         date, instead of one cumulative per pool of interchangeable rooms
loose-domains            ``psr_sched.solver.model._union`` returns the hull: a request's start
                         domain is [earliest, latest] of its options' ranges, not their union
greedy-only              ``SolveOptions(use_cpsat=False)``: the greedy construction alone
=======================  ==================================================================

Every monkeypatch is applied by a context manager and undone on exit, error or not.  Every
schedule goes through :func:`psr_sched.validate` (via :func:`benchmarks.compare.measure`); the
exit status is 1 when one fails, else 0.

The ratio objective / all-on objective is taken per repeat, then its median: above 1 means the
engine as shipped does better than with the lever changed (for ``presolve-probing-on``, that
the engine's choice to turn probing off pays).  The bound of a run is its own proven bound
(``result.best_bound``, source ``result.stats["bound_source"]``); a run that solved no LP
(``lp-guided``, ``greedy-only``) is compared with the larger of its own bound and the all-on
run's LP bound (same repeat), and the source column says so.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ortools.sat.python import cp_model

from benchmarks.compare import (
    ENGINE_KEYS,
    Bound,
    Run,
    _families,
    _time_limits,
    announce,
    fmt_int,
    fmt_pct,
    fmt_ratio,
    fmt_s,
    fmt_text,
    markdown_table,
    measure,
    median,
    problems,
    ratio,
    report_head,
    say,
    text_table,
    time_limit_for,
)
from benchmarks.instances import FAMILIES, Size, size_of
from psr_sched import Problem, SolveOptions, solve
from psr_sched.solver.model import ModelBuilder

#: The model module (``_union``, the start domains, lives there).
MODEL: ModuleType = importlib.import_module("psr_sched.solver.model")
#: The engine's start domains: the exact union of each request's option ranges.
UNION: Callable[[list[int], list[int]], list[int]] = MODEL._union

#: The engine module.  ``psr_sched.solver.solve`` as an attribute is the function (the package
#: re-exports it under the module's name), so the module is looked up by name.
ENGINE: ModuleType = importlib.import_module("psr_sched.solver.solve")

#: The reference run's name.
ALL_ON = "all-on"

Counts = Counter[str]
Patch = Callable[[Counts], AbstractContextManager[None]]


# -- monkeypatches ----------------------------------------------------------------------------


@contextmanager
def patched(target: ModuleType, name: str, value: object) -> Iterator[None]:
    """``target.name = value`` inside the block, the old value restored on exit.

    The attribute must exist: a renamed engine constant fails here, loudly, rather than
    silently measuring nothing.
    """
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


def no_guided_retries(counts: Counts) -> AbstractContextManager[None]:
    """The LP-guided construction once, without the randomized-rounding retries."""
    return patched(ENGINE, "_GUIDED_TRIES", 0)


def no_hint(counts: Counts) -> AbstractContextManager[None]:
    """``add_hint`` a no-op in the engine: no CP-SAT model gets a solution hint."""

    def skip_hint(*args: Any, **kwargs: Any) -> None:
        counts["models without hint"] += 1

    return patched(ENGINE, "add_hint", skip_hint)


def loose_domains(counts: Counts) -> AbstractContextManager[None]:
    """Each request's start domain as the hull of its options' start ranges, not their union.

    The options' own ranges still bind the start through ``_start_range`` (and a single
    option's range is its hull), so the model keeps the same solutions; only the start
    variables' domains, and what propagation starts from, get wider.
    """

    def hull(los: list[int], his: list[int]) -> list[int]:
        counts["start domains"] += 1
        merged = UNION(los, his)
        if len(merged) > 2:
            counts["start domains with holes, filled"] += 1
        return [min(los), max(his)]

    return patched(MODEL, "_union", hull)


def rooms_unpooled(counts: Counts) -> AbstractContextManager[None]:
    """Every CP-SAT model with one Boolean per option and concrete room of its pool, an
    optional interval per room and a ``NoOverlap`` per room and date, instead of one
    cumulative per pool and date.  Rooms are still given after the solve, by the engine's
    assignment (the per-room solution satisfies the pool's capacity), so only the model
    changes; the room Booleans get no hint.
    """

    def per_room(self: ModelBuilder) -> None:
        w, cand = self._w, self.cand
        by_room: dict[tuple[int, int], list[int]] = {}
        for rq in self._req.values():
            for o, lit in rq.present.items():
                opt = cand.options[o]
                if opt.pool < 0:
                    continue
                pool = cand.pools[opt.pool]
                size = opt.duration + pool.turnover
                choices = [w.bool() for _ in pool.rooms]
                w.linear([(lit, 1), *[(b, -1) for b in choices]], 0, 0, 0)
                for room, b in zip(pool.rooms, choices, strict=True):
                    by_room.setdefault((room, opt.day), []).append(w.interval(b, rq.start, 0, size))
                counts["room Booleans"] += len(choices)
        for intervals in by_room.values():
            if len(intervals) > 1:
                w.no_overlap(intervals)
        counts["models"] += 1

    return patched(ModelBuilder, "_room_capacity", per_room)


def cpsat_defaults() -> dict[str, int]:
    """CP-SAT's default probing and symmetry levels (read from a fresh solver)."""
    p = cp_model.CpSolver().parameters
    return {
        "cp_model_probing_level": int(p.cp_model_probing_level),
        "symmetry_level": int(p.symmetry_level),
    }


def probing_on(counts: Counts) -> AbstractContextManager[None]:
    """Every CP-SAT solve of the engine with CP-SAT's default probing and symmetry levels."""
    original = ENGINE._parameters
    defaults = cpsat_defaults()

    def with_probing(*args: Any, **kwargs: Any) -> cp_model.CpSolver:
        solver: cp_model.CpSolver = original(*args, **kwargs)
        p = solver.parameters
        counts["CP-SAT solves"] += 1
        if any(getattr(p, name) != value for name, value in defaults.items()):
            counts["solves with probing/symmetry restored"] += 1
        for name, value in defaults.items():
            setattr(p, name, value)
        return solver

    return patched(ENGINE, "_parameters", with_probing)


# -- levers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lever:
    """One lever: what its run changes, as ``SolveOptions`` fields and/or a monkeypatch."""

    name: str
    change: str
    options: dict[str, Any] = field(default_factory=dict)
    patch: Patch | None = None

    @contextmanager
    def applied(self, base: SolveOptions) -> Iterator[tuple[SolveOptions, Counts]]:
        """The run's options and a counter of what the patch did, with the patch active."""
        counts: Counts = Counter()
        with self.patch(counts) if self.patch is not None else nullcontext():
            yield replace(base, **self.options), counts


LEVERS: dict[str, Lever] = {
    lever.name: lever
    for lever in (
        Lever(
            "lp-guided",
            "`SolveOptions(lp=False)`: no LP bound, no LP-guided construction (the greedy "
            "construction seeds the search)",
            {"lp": False},
        ),
        Lever(
            "randomized-rounding",
            "`_GUIDED_TRIES = 0`: one LP-guided construction (LP-start order), without the "
            "priority order and the noisy retries",
            patch=no_guided_retries,
        ),
        Lever(
            "lns",
            "`SolveOptions(lns=False)`: no large-neighbourhood search (the full CP-SAT model "
            "gets the time up to 30,000 options; above, the constructions stand)",
            {"lns": False},
        ),
        Lever(
            "complete-hint",
            "`add_hint` a no-op: no CP-SAT model (full or neighbourhood) gets a hint",
            patch=no_hint,
        ),
        Lever(
            "presolve-probing-on",
            "`cp_model_probing_level`, `symmetry_level` back to CP-SAT's defaults "
            "in every solve (the engine sets 0 on large models)",
            patch=probing_on,
        ),
        Lever(
            "rooms-unpooled",
            "`ModelBuilder._room_capacity` replaced: a Boolean per option and concrete room, "
            "an optional interval per room and a `NoOverlap` per room and date, instead of "
            "one cumulative per interchangeable-room pool and date (rooms still assigned "
            "after the solve)",
            patch=rooms_unpooled,
        ),
        Lever(
            "loose-domains",
            "`model._union` returns the hull: each request's start domain is [earliest, "
            "latest] of its options instead of the union of their start ranges (holes "
            "at lunch, time off and between days filled)",
            patch=loose_domains,
        ),
        Lever(
            "greedy-only",
            "`SolveOptions(use_cpsat=False)`: the greedy construction alone",
            {"use_cpsat": False},
        ),
    )
}
REFERENCE = Lever(
    ALL_ON, "the engine as shipped: `SolveOptions(time_limit_s=T, workers=W, seed=i)`"
)


def effect(lever: str, run: Run, all_on: Run, counts: Counts) -> str:
    """What the lever changed in this run, from the counters and the engine's stats, so that
    a lever that did nothing on an instance is visible as such."""
    on, mine = all_on.stats, run.stats
    if lever == "lp-guided":
        if "lp_bound" not in on:
            return "none: the all-on run solved no LP"
        tries = len(on.get("lp_guided_objectives", []))
        return f"all-on solved the LP (bound {fmt_int(on['lp_bound'])}) and {tries} guided builds"
    if lever == "randomized-rounding":
        before = len(on.get("lp_guided_objectives", []))
        after = len(mine.get("lp_guided_objectives", []))
        return f"guided builds: all-on {before}, this run {after}"
    if lever == "lns":
        if not on.get("lns_iterations"):
            return "none: the all-on run did no LNS iteration"
        return (
            f"all-on: {on['lns_iterations']} LNS iterations, {on.get('lns_improvements')} "
            f"improving; this run's full model: {mine.get('cpsat_status', 'not run')}"
        )
    if lever == "complete-hint":
        return f"{counts['models without hint']} CP-SAT models without hint"
    if lever == "presolve-probing-on":
        return (
            f"restored in {counts['solves with probing/symmetry restored']} of "
            f"{counts['CP-SAT solves']} CP-SAT solves"
        )
    if lever == "rooms-unpooled":
        return f"{counts['room Booleans']:,} room Booleans in {counts['models']} CP-SAT models"
    if lever == "loose-domains":
        return (
            f"{counts['start domains with holes, filled']} of {counts['start domains']} "
            "start domains had holes (filled)"
        )
    if lever == "greedy-only":
        return "no LP, CP-SAT or LNS"
    return ""


# -- measurements -----------------------------------------------------------------------------


@dataclass(slots=True)
class LeverRun:
    """One run: the measured columns (a :class:`benchmarks.compare.Run`) and the lever's
    effect; ``ratio`` is objective / the all-on objective of the same repeat."""

    run: Run
    effect: str
    ratio: float | None


@dataclass(slots=True)
class Instance:
    """All runs on one problem."""

    family: str
    label: str
    name: str
    size: Size
    time_limit: float
    levers: list[str]
    runs: list[LeverRun] = field(default_factory=list)

    def of(self, lever: str) -> list[LeverRun]:
        return [r for r in self.runs if r.run.method == lever]

    @property
    def valid(self) -> bool:
        return all(r.run.valid for r in self.runs)


def lp_of(run: Run) -> Bound:
    """The all-on run's LP bound, for runs that solve no LP of their own."""
    value = run.stats.get("lp_bound")
    if value is None:
        return Bound(None, "none", note="the all-on run solved no LP")
    return Bound(value, "all-on run's LP bound")


def solve_one(
    problem: Problem, lever: Lever, base: SolveOptions, repeat: int, all_on: Run | None
) -> tuple[Run, Counts]:
    """Solve with ``lever`` applied, validate, and measure."""
    with lever.applied(base) as (options, counts):
        result = solve(problem, options)
    lp = Bound(None, "none")
    if all_on is not None and "lp_bound" not in result.stats:
        lp = lp_of(all_on)
    run = measure(problem, result, lever.name, repeat, lp)
    # measure() names a run's own bound "<method>: <source>"; the row already names the run.
    run.bound_source = run.bound_source.removeprefix(f"{lever.name}: ")
    return run, counts


def failed(problem: Problem, lever: Lever, repeat: int, exc: Exception, wall: float) -> Run:
    """A run that raised: no schedule, and a failure (the exit status becomes 1)."""
    return Run.without_schedule(
        lever.name,
        repeat,
        len(problem.requests),
        wall,
        bound=None,
        bound_source="none",
        valid=False,
        validation=f"solve raised {type(exc).__name__}: {exc}",
    )


def run_one(
    problem: Problem, lever: Lever, base: SolveOptions, repeat: int, all_on: Run | None
) -> tuple[Run, Counts]:
    """:func:`solve_one`, with an exception recorded as a failed run so that the other runs
    (minutes of them on L) still make the report."""
    t0 = time.perf_counter()
    try:
        return solve_one(problem, lever, base, repeat, all_on)
    except Exception as exc:  # a report: record it, go on, exit 1 at the end
        return failed(problem, lever, repeat, exc, time.perf_counter() - t0), Counter()


def run_levers(
    problem: Problem,
    *,
    time_limit: float,
    levers: list[str],
    repeats: int = 1,
    workers: int = 2,
    family_name: str = "",
    label: str = "",
    size: Size | None = None,
) -> Instance:
    """The all-on run and one run per lever, for repeats 0 … repeats−1 (solver seed = repeat)."""
    unknown = [name for name in levers if name not in LEVERS]
    if unknown:
        raise ValueError(f"unknown lever {', '.join(unknown)}; known: {', '.join(LEVERS)}")
    size = size or size_of(problem)
    label = label or problem.name
    instance = Instance(family_name, label, problem.name, size, time_limit, list(levers))
    for repeat in range(repeats):
        base = SolveOptions(time_limit_s=time_limit, workers=workers, seed=repeat)
        all_on, _ = run_one(problem, REFERENCE, base, repeat, None)
        instance.runs.append(LeverRun(all_on, "", 1.0 if all_on.found else None))
        report(all_on, "")
        for name in levers:
            run, counts = run_one(problem, LEVERS[name], base, repeat, all_on)
            what = effect(name, run, all_on, counts)
            instance.runs.append(LeverRun(run, what, ratio(run.objective, all_on.objective)))
            report(run, what)
    return instance


def report(run: Run, what: str) -> None:
    say(
        f"  seed {run.repeat} {run.method:<20} objective={fmt_int(run.objective)} "
        f"scheduled={fmt_int(run.scheduled)}/{run.requests} first={fmt_s(run.time_to_first_s)} "
        f"wall={run.wall_time_s:.1f}s bound={fmt_int(run.bound)} ({run.bound_source}) "
        f"validation={'ok' if run.valid else 'FAILED'}" + (f" [{what}]" if what else "")
    )
    if not run.valid:
        say(f"    VALIDATION FAILED ({run.method}, solver seed {run.repeat}): {run.validation}")


# -- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    value: Callable[[LeverRun], Any]
    show: Callable[[Any], str]
    text: bool = False  # the median row shows the most common value


COLUMNS = [
    Column("objective", lambda r: r.run.objective, fmt_int),
    Column("objective / all-on", lambda r: r.ratio, fmt_ratio),
    Column("scheduled", lambda r: r.run.scheduled, fmt_int),
    Column("prio-wtd unscheduled", lambda r: r.run.unscheduled_priority, fmt_int),
    Column("prio-wtd wait (min)", lambda r: r.run.access_wait, fmt_int),
    Column("idle gap (min)", lambda r: r.run.idle_gap, fmt_int),
    Column("first feasible (s)", lambda r: r.run.time_to_first_s, fmt_s),
    Column("wall (s)", lambda r: r.run.wall_time_s, fmt_s),
    Column("bound", lambda r: r.run.bound, fmt_int),
    Column("bound source", lambda r: r.run.bound_source, fmt_text, text=True),
    Column("gap to bound", lambda r: r.run.gap, fmt_pct),
]
HEADER = ["run", *[c.header for c in COLUMNS]]


def median_cell(column: Column, runs: list[LeverRun]) -> str:
    values = [column.value(r) for r in runs]
    if column.text:
        return column.show(Counter(values).most_common(1)[0][0])
    return column.show(median(values))


def median_rows(instance: Instance) -> list[list[str]]:
    rows = []
    for name in [ALL_ON, *instance.levers]:
        runs = instance.of(name)
        if runs:
            rows.append(
                [f"{name} (median of {len(runs)})"] + [median_cell(c, runs) for c in COLUMNS]
            )
    return rows


def repeat_rows(instance: Instance) -> list[list[str]]:
    return [
        [f"{r.run.method} (seed {r.run.repeat})"] + [c.show(c.value(r)) for c in COLUMNS]
        for r in instance.runs
    ]


SUMMARY_HEADER = [
    "instance",
    "lever",
    "all-on objective",
    "changed objective",
    "objective / all-on",
    "all-on gap",
    "changed gap",
    "changed first feasible (s)",
]


def summary_rows(instances: list[Instance]) -> list[list[str]]:
    """Per instance and lever: medians of the all-on and the changed run side by side."""
    rows = []
    for inst in instances:
        on = inst.of(ALL_ON)
        for name in inst.levers:
            runs = inst.of(name)
            rows.append(
                [
                    inst.label,
                    name,
                    fmt_int(median([r.run.objective for r in on])),
                    fmt_int(median([r.run.objective for r in runs])),
                    fmt_ratio(median([r.ratio for r in runs])),
                    fmt_pct(median([r.run.gap for r in on])),
                    fmt_pct(median([r.run.gap for r in runs])),
                    fmt_s(median([r.run.time_to_first_s for r in runs])),
                ]
            )
    return rows


def effect_lines(instance: Instance) -> list[str]:
    return [
        f"{r.run.method}, solver seed {r.run.repeat}: {r.effect}" for r in instance.runs if r.effect
    ]


def stat_lines(instance: Instance) -> list[str]:
    lines = []
    for r in instance.runs:
        shown = ", ".join(f"{k}={r.run.stats[k]}" for k in ENGINE_KEYS if k in r.run.stats)
        lines.append(f"{r.run.method}, solver seed {r.run.repeat}: {shown}")
    return lines


# -- what cannot be switched ------------------------------------------------------------------


def constraint_families() -> list[str]:
    """The constraint families ``ModelBuilder.build`` adds (the ``self._name()`` statements
    of its source), each with its docstring's first paragraph."""
    source = inspect.getsource(ModelBuilder.build)
    out = []
    for name in dict.fromkeys(re.findall(r"^\s*self\.(_\w+)\(\)\s*$", source, re.M)):
        doc = inspect.getdoc(getattr(ModelBuilder, name, None))
        summary = " ".join(doc.split("\n\n")[0].split()) if doc else ""
        out.append(f"`{name}`" + (f": {summary}" if summary else ""))
    return out


def issue_levers() -> list[str]:
    return [
        "How the levers the issue names map to the rows above:",
        "",
        "- **Pooled interchangeable rooms, concrete rooms assigned after the solve** is the "
        "engine as shipped; the `rooms-unpooled` lever undoes it. "
        "`psr_sched.solver.candidates.room_pools` groups rooms of one kind with the same "
        "open hours and turnover into a pool; the CP-SAT model (`ModelBuilder._room_capacity`) "
        "has no per-room variable, only one cumulative per pool and day (capacity = rooms in "
        "the pool, each visit holding one unit for its duration plus turnover, a `NoOverlap` "
        "for a one-room pool); `psr_sched.solver.extract.assign_rooms` gives each visit a "
        "concrete room after the solve (pinned room when free, else the free room of lowest "
        "index), and the pool's capacity guarantees one is free.",
        "- **Solver parameters (presolve)** is the `presolve-probing-on` lever, **a complete "
        "hint** the `complete-hint` lever, **a construction guided by the relaxation** the "
        "`lp-guided` and `randomized-rounding` levers, **large-neighbourhood search** the "
        "`lns` lever.",
        "- **Tighter domains** is the `loose-domains` lever: the engine's candidates give "
        "each option the exact start range its provider's block, the request's window, "
        "time off and room hours allow, and a request's start variable has the union of "
        "those ranges as its domain (`psr_sched.solver.model._union`); the lever widens it "
        "to their hull.",
        "- **Redundant per-provider-session capacity** (Σ duration · presence ≤ block length "
        "per provider session block) was measured as the `session-capacity-on` lever at git "
        "2398099 (M 0.998×, L 0.987×: noise) and removed, as the issue asks of levers that "
        "do not help; RESULTS.md keeps its rows.",
        "",
        "The constraint families `ModelBuilder.build` adds, read from its source when this "
        "report was written:",
        "",
        *[f"- {line}" for line in constraint_families()],
        "",
    ]


# -- report -----------------------------------------------------------------------------------


def protocol(args: argparse.Namespace) -> list[str]:
    limits = ", ".join(f"{name}: {time_limit_for(name, args):g} s" for name in args.family)
    defaults = cpsat_defaults()
    return [
        f"- Instances: families {', '.join(args.family)} of `benchmarks/instances.py` "
        f"(`family(name, {args.seed})`).",
        f"- Time limit T per solve: {limits}; CP-SAT workers W = {args.workers}.",
        f"- Repeats: {args.repeats}; repeat *i* uses solver seed *i*. In each repeat the "
        "all-on run comes first, then one run per lever, back to back in one process.",
        "- Each lever run changes that lever only (table below); monkeypatches are applied "
        "by a context manager and undone after the run, error or not.",
        "- `presolve-probing-on` sets "
        f"`cp_model_probing_level={defaults['cp_model_probing_level']}` and "
        f"`symmetry_level={defaults['symmetry_level']}` (the defaults of a fresh "
        "`cp_model.CpSolver()`) after the engine's `_parameters`.",
        "- Every schedule is checked by `psr_sched.validate` (no violation, recomputed terms "
        "equal `result.terms`, weighted terms equal the objective).",
        "- objective / all-on: per repeat, then the median. Above 1: the engine as shipped "
        "does better than with the lever changed.",
        "- Bound: the run's own `result.best_bound` (source `result.stats['bound_source']`). "
        "A run that solved no LP (`lp-guided`, `greedy-only`) uses the larger of its own "
        "bound and the all-on run's LP bound (`result.stats['lp_bound']`, same repeat); its "
        'source then reads "all-on run\'s LP bound". Gap = (objective − bound) / objective.',
        "- Headline numbers are medians over repeats. The machine is shared: compare runs "
        "within one report, not absolute times across reports.",
        "",
    ]


def render(
    instances: list[Instance], args: argparse.Namespace, host: dict[str, str], command: str
) -> tuple[str, str]:
    """The console report and the markdown report."""
    console: list[str] = []
    md = [
        *report_head(
            "psr_sched: the engine's levers, each measured on its own",
            "benchmarks/levers.py",
            command,
            host,
        ),
        *protocol(args),
        "## Levers",
        "",
        *markdown_table(
            ["run", "what it changes"],
            [[REFERENCE.name, REFERENCE.change]]
            + [[LEVERS[n].name, LEVERS[n].change] for n in args.levers],
        ),
        "",
        "## Levers of the issue",
        "",
        *issue_levers(),
        "## Summary (medians over repeats)",
        "",
        *markdown_table(SUMMARY_HEADER, summary_rows(instances)),
        "",
    ]
    for inst in instances:
        title = (
            f"{inst.label} — {inst.name}: {inst.size.requests:,} requests, "
            f"{inst.size.options:,} candidate options, time limit {inst.time_limit:g} s"
        )
        medians = median_rows(inst)
        per_repeat = repeat_rows(inst)
        console += ["", "=" * 100, title, "=" * 100, ""]
        console += ["Medians over repeats:", *text_table(HEADER, medians), ""]
        if args.repeats > 1:
            console += ["Per repeat:", *text_table(HEADER, per_repeat), ""]
        console += ["Lever effects:", *effect_lines(inst), ""]
        invalid = [r.run for r in inst.runs if not r.run.valid]
        console += [
            f"VALIDATION FAILED: {run.method}, solver seed {run.repeat}: {run.validation}"
            for run in invalid
        ]
        md += [f"## {title}", "", "### Medians over repeats", "", *markdown_table(HEADER, medians)]
        md += ["", "### Per repeat", "", *markdown_table(HEADER, per_repeat), ""]
        md += ["### Lever effects", "", *[f"- {line}" for line in effect_lines(inst)], ""]
        md += ["### Engine statistics", "", *[f"- {line}" for line in stat_lines(inst)], ""]
        valid = sum(r.run.valid for r in inst.runs)
        md += ["### Validation", "", f"- {valid}/{len(inst.runs)} schedules validated."]
        md += [
            f"- VALIDATION FAILED: {run.method}, solver seed {run.repeat}: {run.validation}"
            for run in invalid
        ]
        md += [""]
    console += ["", "Summary (medians over repeats):"]
    console += text_table(SUMMARY_HEADER, summary_rows(instances))
    return "\n".join(console), "\n".join(md)


# -- entry point ------------------------------------------------------------------------------


def _levers(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in LEVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown lever {', '.join(unknown) or '(none given)'}; known: {', '.join(LEVERS)}"
        )
    return list(dict.fromkeys(names))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.levers",
        description="The full engine against the engine with one lever switched, per lever.",
    )
    parser.add_argument(
        "--family",
        type=_families,
        default=["M", "L"],
        help=f"comma-separated instance families ({', '.join(FAMILIES)}); default M,L",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument(
        "--time-limits",
        type=_time_limits,
        default={},
        help="per-family limits overriding --time-limit, e.g. M=60,L=120",
    )
    parser.add_argument("--repeats", type=int, default=1, help="solver seeds 0..repeats-1")
    parser.add_argument("--seed", type=int, default=0, help="family seed of the instances")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument(
        "--levers",
        type=_levers,
        default=list(LEVERS),
        help=f"comma-separated levers (default all): {', '.join(LEVERS)}",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/LEVERS.md"), help="markdown report"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    args.seeds = [args.seed]  # for benchmarks.compare.problems
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command, host = announce("benchmarks.levers", argv)
    instances = []
    for family_name, label, problem in problems(args):
        limit = time_limit_for(family_name, args)
        size = size_of(problem)
        say(
            f"instance {label} — {problem.name}: {size.requests} requests, "
            f"{size.options:,} options, load {size.load:.3f}, time limit {limit:g} s"
        )
        instances.append(
            run_levers(
                problem,
                time_limit=limit,
                levers=args.levers,
                repeats=args.repeats,
                workers=args.workers,
                family_name=family_name,
                label=label,
                size=size,
            )
        )
    console, md = render(instances, args, host, command)
    say(console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md + "\n")
    say(f"\nWrote {args.out}")
    if not all(inst.valid for inst in instances):
        say("EXIT 1: at least one schedule failed validation (see above).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
