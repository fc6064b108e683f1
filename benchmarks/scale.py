"""Scale: the XL health system in one batch, and a scaling curve of wall time and memory.

Run from the repository root::

    python -m benchmarks.scale xl --time-limit 90 --jobs 2
    python -m benchmarks.scale curve --sizes 1000,3000,10000,30000 --gap 0.35 --time-cap 300

``xl`` solves the 20 clinics of family XL (:mod:`benchmarks.instances`) with
:func:`psr_sched.solve_many` on a process pool of ``--jobs`` processes, one CP-SAT worker
each, and reports the wall time of the whole batch and its peak memory.

``curve`` measures wall time and peak memory against the number of requests at a fixed gap
target: every solve stops once its objective is within ``--gap`` of its own proven bound
(``SolveOptions.relative_gap``; the bound is the engine's, the LP relaxation's where that is
tighter) or at ``--time-cap``.  Up to 3,000 requests one clinic is one problem (the M and L
families); 10,000 and 30,000 requests are health systems of 10 and 30 clinics of size M
solved as one batch, the way the nightly job runs them.  The plot goes to
``benchmarks/scaling.png``.

Peak memory is sampled every 0.2 s as the resident memory of this process plus all of its
child processes (Linux ``/proc``), so it is the concurrent total, not a per-process peak.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.compare import machine
from benchmarks.instances import family
from psr_sched import Problem, SolveOptions, solve_many
from psr_sched.demo import generate_clinic

HERE = Path(__file__).resolve().parent


# -- memory ------------------------------------------------------------------------------


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


class MemorySampler:
    """Largest resident memory of this process and its descendants, sampled in a thread."""

    def __init__(self, period_s: float = 0.2) -> None:
        self.period_s = period_s
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> float:
        me = os.getpid()
        total, stack, seen = 0.0, [me], set()
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            total += _rss_mib(pid)
            stack.extend(_children(pid))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._total())
            self._stop.wait(self.period_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, self._total())


# -- runs --------------------------------------------------------------------------------


@dataclass(slots=True)
class BatchRun:
    """One batch: its size and what it cost."""

    label: str
    clinics: int
    requests: int
    wall_s: float
    peak_mib: float
    scheduled: int
    objectives: list[int]
    gaps: list[float]
    reached: int
    failed: int

    @property
    def median_gap(self) -> float | None:
        return statistics.median(self.gaps) if self.gaps else None


def run_batch(label: str, problems: list[Problem], options: SolveOptions, jobs: int) -> BatchRun:
    """Solve ``problems`` with :func:`solve_many` and measure it."""
    t0 = time.perf_counter()
    with MemorySampler() as memory:
        items = solve_many(problems, options, max_workers=jobs)
    wall = time.perf_counter() - t0
    objectives, gaps, reached, scheduled, failed = [], [], 0, 0, 0
    for item in items:
        result = item.result
        if result is None:
            failed += 1
            continue
        scheduled += len(result.assignments)
        objectives.append(result.objective)
        gap = result.gap
        if gap is not None:
            gaps.append(gap)
            if options.relative_gap and gap <= options.relative_gap:
                reached += 1
    return BatchRun(
        label,
        len(problems),
        sum(len(p.requests) for p in problems),
        wall,
        memory.peak_mib,
        scheduled,
        objectives,
        gaps,
        reached,
        failed,
    )


def curve_problems(size: int, seed: int) -> tuple[str, list[Problem]]:
    """The problems of one point of the curve (see the module docstring)."""
    if size <= 1500:
        return "one clinic (family M)", list(family("M", seed).problems)
    if size <= 4500:
        return "one clinic (family L)", list(family("L", seed).problems)
    clinics = round(size / 1000)
    problems = [
        generate_clinic(
            seed=5000 + 100 * seed + k,
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=0.85,
            name=f"system clinic {k + 1:02d} of {clinics}",
        )
        for k in range(clinics)
    ]
    return f"{clinics} clinics of size M, one batch", problems


# -- report ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def table(runs: list[BatchRun], gap_target: float | None) -> list[str]:
    header = [
        "point",
        "clinics",
        "requests",
        "scheduled",
        "wall (s)",
        "peak memory (MiB)",
        "median gap",
        "worst gap",
    ]
    if gap_target:
        header.append(f"reached ≤ {100 * gap_target:.0f}%")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        row = [
            run.label,
            str(run.clinics),
            f"{run.requests:,}",
            f"{run.scheduled:,}",
            f"{run.wall_s:.0f}",
            f"{run.peak_mib:,.0f}",
            _pct(run.median_gap),
            _pct(max(run.gaps) if run.gaps else None),
        ]
        if gap_target:
            row.append(f"{run.reached}/{run.clinics - run.failed}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def plot(runs: list[BatchRun], path: Path, gap_target: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    x = [r.requests for r in runs]
    ax.plot(x, [r.wall_s for r in runs], "o-", color="tab:blue", label="wall time (s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("requests")
    ax.set_ylabel("wall time (s)", color="tab:blue")
    other = ax.twinx()
    other.plot(x, [r.peak_mib for r in runs], "s--", color="tab:red", label="peak memory")
    other.set_ylabel("peak memory (MiB)", color="tab:red")
    ax.set_title(f"psr_sched scaling, gap target {100 * gap_target:.0f}%, 2 cores")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    xl = sub.add_parser("xl", help="the XL family in one batch")
    xl.add_argument("--time-limit", type=float, default=90.0)
    xl.add_argument("--seed", type=int, default=0)
    curve = sub.add_parser("curve", help="wall time and memory against requests")
    curve.add_argument("--sizes", default="1000,3000,10000,30000")
    curve.add_argument("--gap", type=float, default=0.35)
    curve.add_argument("--time-cap", type=float, default=300.0)
    curve.add_argument("--seed", type=int, default=0)
    curve.add_argument("--plot", type=Path, default=HERE / "scaling.png")
    for p in (xl, curve):
        p.add_argument("--jobs", type=int, default=2, help="solver processes")
        p.add_argument("--workers", type=int, default=1, help="CP-SAT workers per solve")
        p.add_argument("--out", type=Path, default=None, help="markdown report")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.scale " + shlex.join(sys.argv[1:] if argv is None else argv)
    runs: list[BatchRun] = []
    if args.what == "xl":
        problems = list(family("XL", args.seed).problems)
        options = SolveOptions(time_limit_s=args.time_limit, workers=args.workers)
        print(f"XL: {len(problems)} clinics, {args.jobs} processes ...", flush=True)
        runs.append(run_batch("XL", problems, options, args.jobs))
        gap_target = None
    else:
        gap_target = args.gap
        options = SolveOptions(
            time_limit_s=args.time_cap, workers=args.workers, relative_gap=args.gap
        )
        for size in (int(s) for s in args.sizes.split(",")):
            label, problems = curve_problems(size, args.seed)
            print(f"{size}: {label} ...", flush=True)
            runs.append(run_batch(label, problems, options, args.jobs))
            print("\n".join(table(runs[-1:], gap_target)), flush=True)
        plot(runs, args.plot, args.gap)
    lines = table(runs, gap_target)
    described = machine()
    report = [
        f"Command: `{command}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in described.items()),
        "",
        *lines,
        "",
    ]
    if args.what == "xl":
        run = runs[0]
        report.append(
            f"XL: {run.clinics} clinics, {run.requests:,} requests, {run.scheduled:,} "
            f"scheduled, {run.failed} failed; wall {run.wall_s / 60:.1f} min (target 20), "
            f"peak memory {run.peak_mib / 1024:.2f} GiB (target < 4)."
        )
    text = "\n".join(report) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    return 0 if all(r.failed == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
