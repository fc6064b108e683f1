"""Greedy construction versus the engine on the demo week, with ratios measured in one run.

Run from the repository root::

    python -m benchmarks.compare --time-limit 60 --repeats 3 --workers 2 --seeds 0

For every instance (``demo_problem(seed)``) and every repeat (solver seed = repeat index),
the greedy construction alone and the full engine solve the same problem back to back; both
schedules go through :func:`psr_sched.validate`.  The report gives medians over repeats and
the engine/greedy ratios of each repeat's pair (their median), never a single absolute time
as the headline: the machine is shared and noisy.  A proven lower bound comes from the
time-indexed LP relaxation (``psr_sched.solver.bound``) when that module is available, else
from the solver's own bound.

The exit status is 0 when a performance target fails (this is a report) and 1 when a
schedule fails validation (that is a bug).
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from psr_sched import Problem, Result, SolveOptions, solve, validate
from psr_sched.demo import demo_problem
from psr_sched.solver.candidates import build_candidates

#: Target of the time to the first feasible schedule, in seconds.
FIRST_FEASIBLE_TARGET_S = 2.0


# -- measurements -------------------------------------------------------------------------


@dataclass(slots=True)
class Bound:
    """The lower bound used for the gaps of one instance."""

    value: float | None
    source: str
    wall_time_s: float | None = None
    note: str = ""


@dataclass(slots=True)
class Run:
    """One solve of one method: the columns of the table, and its validation."""

    method: str
    repeat: int
    scheduled: int
    requests: int
    unscheduled_priority: int
    access_wait: int
    idle_gap: int
    objective: int
    time_to_first_s: float | None
    wall_time_s: float
    bound: float | None
    bound_source: str
    valid: bool
    validation: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """(objective − bound) / objective, or None without a bound."""
        if self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return (self.objective - self.bound) / abs(self.objective)


@dataclass(slots=True)
class Instance:
    """All runs of one demo week."""

    seed: int
    name: str
    requests: int
    options: int
    bound: Bound
    runs: list[Run] = field(default_factory=list)

    def of(self, method: str) -> list[Run]:
        return [run for run in self.runs if run.method == method]


def lp_bound(problem: Problem, time_limit_s: float) -> Bound:
    """The LP relaxation's bound, or a Bound without value saying why there is none."""
    try:
        from psr_sched.solver.bound import lp_lower_bound
    except ImportError as exc:
        return Bound(None, "none", note=f"psr_sched.solver.bound is not importable ({exc})")
    cand = build_candidates(problem)
    t0 = time.perf_counter()
    try:
        lower = lp_lower_bound(problem, cand, time_limit_s=time_limit_s)
    except Exception as exc:  # a report: say what broke and go on with the solver's bound
        return Bound(
            None,
            "none",
            time.perf_counter() - t0,
            note=f"LP bound raised {type(exc).__name__}: {exc}",
        )
    elapsed = time.perf_counter() - t0
    if lower is None:
        return Bound(None, "none", elapsed, note="LP bound returned None (no bound in time)")
    value = lower.value
    return Bound(
        int(value) if float(value).is_integer() else value,
        f"LP ({lower.source})",
        float(getattr(lower, "wall_time_s", elapsed)),
    )


def measure(problem: Problem, result: Result, method: str, repeat: int, bound: Bound) -> Run:
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
    if bound.value is not None:
        value, source = bound.value, bound.source
    elif result.best_bound is not None:
        value, source = result.best_bound, "solver"
    else:
        value, source = None, "none"
    return Run(
        method=method,
        repeat=repeat,
        scheduled=len(result.assignments),
        requests=len(result.assignments) + len(result.unscheduled),
        unscheduled_priority=result.terms.unscheduled_priority,
        access_wait=result.terms.access_wait,
        idle_gap=result.terms.idle_gap,
        objective=result.objective,
        time_to_first_s=result.time_to_first_s,
        wall_time_s=result.wall_time_s,
        bound=value,
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


def run_instance(seed: int, args: argparse.Namespace) -> Instance:
    problem = demo_problem(seed)
    options = len(build_candidates(problem).options)
    say(f"instance demo_problem({seed}): {len(problem.requests)} requests, {options} options")
    if args.no_lp:
        bound = Bound(None, "none", note="LP bound skipped (--no-lp)")
    else:
        say(f"  LP bound (limit {args.lp_time_limit:g} s) ...")
        bound = lp_bound(problem, args.lp_time_limit)
        say(
            f"  bound: {fmt_int(bound.value)} from {bound.source}"
            + (f" in {bound.wall_time_s:.1f} s" if bound.wall_time_s is not None else "")
            + (f" — {bound.note}" if bound.note else "")
        )
    instance = Instance(seed, problem.name, len(problem.requests), options, bound)
    for repeat in range(args.repeats):
        for method, opts in (
            ("greedy", SolveOptions(use_cpsat=False, seed=repeat)),
            (
                "engine",
                SolveOptions(time_limit_s=args.time_limit, workers=args.workers, seed=repeat),
            ),
        ):
            result = solve(problem, opts)
            run = measure(problem, result, method, repeat, bound)
            instance.runs.append(run)
            say(
                f"  repeat {repeat} {method:<6} objective={run.objective:,} "
                f"scheduled={run.scheduled}/{run.requests} "
                f"first={fmt_s(run.time_to_first_s)} wall={run.wall_time_s:.1f}s "
                f"validation={'ok' if run.valid else 'FAILED'}"
            )
            if not run.valid:
                say(
                    f"    VALIDATION FAILED (instance seed {seed}, solver seed {repeat}): "
                    f"{run.validation}"
                )
    return instance


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


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    if denominator == 0:
        return 1.0 if numerator == 0 else None
    return numerator / denominator


#: Table columns: header, value of a run, formatter.
COLUMNS: list[tuple[str, Any, Any]] = [
    ("scheduled", lambda r: r.scheduled, fmt_int),
    ("prio-wtd unscheduled", lambda r: r.unscheduled_priority, fmt_int),
    ("prio-wtd wait (min)", lambda r: r.access_wait, fmt_int),
    ("idle gap (min)", lambda r: r.idle_gap, fmt_int),
    ("objective", lambda r: r.objective, fmt_int),
    ("first feasible (s)", lambda r: r.time_to_first_s, fmt_s),
    ("wall (s)", lambda r: r.wall_time_s, fmt_s),
    ("bound", lambda r: r.bound, fmt_int),
    ("gap to bound", lambda r: r.gap, fmt_pct),
]


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


@dataclass(slots=True)
class Tables:
    per_repeat: tuple[list[str], list[list[str]]]
    medians: tuple[list[str], list[list[str]]]
    ratios: tuple[list[str], list[list[str]]]


def tables(instance: Instance) -> Tables:
    header = ["method", *[c[0] for c in COLUMNS]]
    per_repeat = [
        [f"{run.method} (seed {run.repeat})", *[f(get(run)) for _, get, f in COLUMNS]]
        for run in instance.runs
    ]
    medians = [
        [
            f"{method} (median of {len(instance.of(method))})",
            *[f(median([get(r) for r in instance.of(method)])) for _, get, f in COLUMNS],
        ]
        for method in ("greedy", "engine")
    ]
    pairs = list(zip(instance.of("engine"), instance.of("greedy"), strict=True))
    ratio_row = ["engine/greedy (median ratio)"]
    for name, get, _f in COLUMNS:
        if name == "bound":  # the same bound for both methods: its ratio says nothing
            ratio_row.append("—")
            continue
        ratio_row.append(fmt_ratio(median([ratio(get(e), get(g)) for e, g in pairs])))
    return Tables((header, per_repeat), (header, medians), (header, [ratio_row]))


@dataclass(slots=True)
class Target:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def targets(instance: Instance) -> list[Target]:
    engine, greedy = instance.of("engine"), instance.of("greedy")
    pairs = list(zip(engine, greedy, strict=True))
    n = len(pairs)
    firsts = [e.time_to_first_s for e in engine]
    first_median = median(firsts)
    worst = max((f for f in firsts if f is not None), default=None)
    not_worse = sum(e.objective <= g.objective for e, g in pairs)
    fewer = sum(e.unscheduled_priority <= g.unscheduled_priority for e, g in pairs)
    strictly = sum(e.objective < g.objective for e, g in pairs)
    return [
        Target(
            f"first feasible < {FIRST_FEASIBLE_TARGET_S:g} s (engine's time_to_first_s)",
            first_median is not None and first_median < FIRST_FEASIBLE_TARGET_S,
            f"median {fmt_s(first_median)} s, worst {fmt_s(worst)} s over {n} repeats",
        ),
        Target(
            "engine objective ≤ greedy objective",
            not_worse == n,
            f"{not_worse}/{n} repeats",
        ),
        Target(
            "engine priority-weighted unscheduled ≤ greedy's",
            fewer == n,
            f"{fewer}/{n} repeats",
        ),
        Target(
            "engine strictly better on the objective",
            strictly == n,
            f"{strictly}/{n} repeats; median objective ratio "
            f"{fmt_ratio(median([ratio(e.objective, g.objective) for e, g in pairs]))}",
        ),
    ]


def remarks(instance: Instance) -> list[str]:
    """Surprises worth a line: failed validations, bounds above objectives, worse engines."""
    out = []
    for run in instance.runs:
        if not run.valid:
            out.append(
                f"VALIDATION FAILED: {run.method}, instance seed {instance.seed}, "
                f"solver seed {run.repeat}: {run.validation}"
            )
        if run.bound is not None and run.bound > run.objective:
            out.append(
                f"BOUND ABOVE OBJECTIVE: {run.method}, solver seed {run.repeat}: bound "
                f"{run.bound:,} > objective {run.objective:,} ({run.bound_source}): "
                "the bound is not valid"
            )
    for e, g in zip(instance.of("engine"), instance.of("greedy"), strict=True):
        if e.objective > g.objective:
            out.append(
                f"ENGINE WORSE THAN GREEDY: instance seed {instance.seed}, solver seed "
                f"{e.repeat}: {e.objective:,} > {g.objective:,}"
            )
    greedy_objectives = {g.objective for g in instance.of("greedy")}
    if len(greedy_objectives) > 1:
        out.append(f"greedy is not deterministic across repeats: {sorted(greedy_objectives)}")
    return out


def engine_stats(instance: Instance) -> list[str]:
    keys = (
        "status",
        "greedy_s",
        "full_model",
        "cpsat_status",
        "model_build_s",
        "lns_iterations",
        "lns_improvements",
        "lns_final_providers",
        "solver_bound",
        "baseline_objective",
    )
    lines = []
    for run in instance.of("engine"):
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
        "load average (1, 5, 15 min) at start": load,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "ortools": version("ortools"),
        "numpy / pandas / pydantic": (
            f"{version('numpy')} / {version('pandas')} / {version('pydantic')}"
        ),
        "psr_sched": f"{version('psr_sched')}, git {commit}",
    }


def render(
    instances: list[Instance], args: argparse.Namespace, host: dict[str, str], command: str
) -> tuple[str, str, int]:
    """The console report, the markdown report and the exit status."""
    console: list[str] = []
    md: list[str] = [
        "# psr_sched: greedy construction vs engine on the demo week",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/compare.py`.",
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
        f"- Instances: `demo_problem(seed)` for seeds {args.seeds}.",
        f"- Repeats: {args.repeats}; repeat *i* uses solver seed *i*. In each repeat the greedy "
        "construction (`SolveOptions(use_cpsat=False)`) and the engine "
        f"(`SolveOptions(time_limit_s={args.time_limit:g}, workers={args.workers}, seed=i)`) "
        "run back to back on the same problem.",
        "- Every schedule is checked by `psr_sched.validate` (no violation, recomputed terms "
        "equal `result.terms`).",
        "- Headline numbers are medians over repeats; ratios are engine/greedy of the same "
        "repeat, then their median.",
        "- Gap to bound = (objective − bound) / objective.",
        "",
    ]
    exit_code = 0
    for inst in instances:
        t = tables(inst)
        title = (
            f"demo_problem({inst.seed}) — {inst.name}: {inst.requests} requests, "
            f"{inst.options:,} candidate options"
        )
        b = inst.bound
        if b.value is not None:
            bound_line = (
                f"Lower bound {fmt_int(b.value)} from {b.source}, computed once in "
                f"{fmt_s(b.wall_time_s)} s."
            )
        else:
            bound_line = (
                f"No LP bound available: {b.note}. The bound column falls back to "
                "result.best_bound (the solver's own bound; n/a when it has none)."
            )
        checks = targets(inst)
        notes = remarks(inst)
        if any(not run.valid for run in inst.runs):
            exit_code = 1

        console += ["", "=" * 100, title, "=" * 100, bound_line, ""]
        console += ["Per repeat:", *text_table(*t.per_repeat), ""]
        console += ["Medians over repeats:", *text_table(*t.medians), ""]
        console += ["Ratios engine/greedy:", *text_table(*t.ratios), ""]
        console += ["Targets:", *[c.line() for c in checks], ""]
        console += ["Engine statistics:", *engine_stats(inst)]
        console += ["", "Remarks:", *(notes or ["none"])]

        md += [f"## {title}", "", bound_line, ""]
        md += ["### Medians over repeats", "", *markdown_table(*t.medians), ""]
        md += ["### Ratios engine/greedy (median of per-repeat ratios)", ""]
        md += [*markdown_table(*t.ratios), ""]
        md += ["### Targets", "", *[f"- **{c.line()[:4]}** {c.line()[6:]}" for c in checks], ""]
        md += ["### Per repeat", "", *markdown_table(*t.per_repeat), ""]
        md += ["### Engine statistics", "", *[f"- {line}" for line in engine_stats(inst)], ""]
        md += ["### Validation and remarks", ""]
        valid = sum(run.valid for run in inst.runs)
        md += [f"- {valid}/{len(inst.runs)} schedules validated."]
        md += [f"- {note}" for note in notes]
        md += [""]
    return "\n".join(console), "\n".join(md), exit_code


# -- entry point --------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description="Greedy construction vs the engine on the demo week.",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="engine limit, seconds")
    parser.add_argument("--repeats", type=int, default=3, help="solver seeds 0..repeats-1")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument(
        "--seeds",
        type=lambda text: [int(s) for s in text.split(",") if s.strip()],
        nargs="+",
        default=[[0]],
        help="demo instance seeds, e.g. --seeds 0 1 or --seeds 0,1",
    )
    parser.add_argument(
        "--lp-time-limit", type=float, default=60.0, help="time limit of the LP bound, seconds"
    )
    parser.add_argument("--no-lp", action="store_true", help="skip the LP bound")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/RESULTS.md"), help="markdown report"
    )
    args = parser.parse_args(argv)
    args.seeds = [seed for group in args.seeds for seed in group]
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raw = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", "benchmarks.compare", *raw])
    host = machine()
    say(f"$ {command}")
    for key, value in host.items():
        say(f"{key}: {value}")
    instances = [run_instance(seed, args) for seed in args.seeds]
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
