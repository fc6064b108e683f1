"""The ``psr-sched`` command: demo, solve, batch, validate, report, whatif, schema."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from psr_sched.domain.money import format_money
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem, load_problem
from psr_sched.result import Result
from psr_sched.solver import Progress, SolveOptions, solve

if TYPE_CHECKING:
    from psr_sched.batch import BatchItem

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class _UserError(Exception):
    """An error to report in one line, without a traceback."""


class _ProgressPrinter:
    """Prints a progress line at most every ``every_s`` seconds, and at each phase change."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self.last_time = -1e9
        self.last_phase = ""

    def __call__(self, event: Progress) -> None:
        if event.phase == self.last_phase and event.elapsed_s - self.last_time < self.every_s:
            return
        self.last_time, self.last_phase = event.elapsed_s, event.phase
        _print_progress(event)


def _print_progress(event: Progress) -> None:
    bound = "—" if event.bound is None else f"{event.bound:,}"
    objective = "—" if event.objective is None else f"{event.objective:,}"
    placed = "" if event.scheduled is None else f"  scheduled {event.scheduled:,}"
    print(
        f"  {event.elapsed_s:6.1f}s  {event.phase:<6}  objective {objective:>12}  "
        f"bound {bound:>12}{placed}",
        file=sys.stderr,
        flush=True,
    )


def _seconds(text: str) -> float:
    """An option's number of seconds: finite and positive (``nan``, ``inf``, ``0`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a positive, finite number of seconds, got {text!r}"
        )
    return value


def _check_out(out: str | Path) -> Path:
    """Check, before any work, that the output folder ``out`` can be written.

    The folders written atomically stage their files in a temporary folder beside ``out``,
    so the nearest existing folder at or above ``out``'s parent must take a new folder: it
    is tried for real (permission bits do not tell, for root or on a read-only mount).
    Nothing is left behind.
    """
    target = Path(out).absolute()
    if target.exists() and not target.is_dir():
        raise _UserError(f"{out}: exists and is not a folder")
    probe = target.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise _UserError(f"{out}: {probe} is not a folder")
    try:
        Path(tempfile.mkdtemp(prefix=".psr-sched-probe.", dir=probe)).rmdir()
    except OSError as exc:
        raise _UserError(
            f"cannot write to {out}: {(exc.strerror or 'not writable').lower()}"
        ) from None
    return target


def _options(args: argparse.Namespace, *, quiet: bool) -> SolveOptions:
    if args.workers < 1:
        raise _UserError(f"--workers must be at least 1, got {args.workers}")
    return SolveOptions(
        time_limit_s=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        deterministic=args.deterministic,
        callback=None if quiet else _ProgressPrinter(),
    )


def write_outputs(
    out: Path,
    problem: Problem,
    result: Result,
    *,
    with_problem: bool = False,
    extra_files: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write schedule.csv, unscheduled.csv, summary.json (and problem.json) atomically.

    ``extra_files`` (file name → text, such as the demo's ``collections.csv``) are written
    with them.  Everything is rendered first, written to a temporary folder beside ``out``,
    then moved into place, so a failure leaves no half-written set of files.

    Raises
    ------
    ValueError
        If an extra file's name is not a plain file name, or is one of the files above.
    """
    files = {
        "schedule.csv": _schedule_csv(problem, result),
        "unscheduled.csv": result.unscheduled_frame().to_csv(index=False),
        "summary.json": json.dumps(result.summary(), indent=2, default=str) + "\n",
    }
    if with_problem:
        files["problem.json"] = problem.to_json() + "\n"
    for name, text in (extra_files or {}).items():
        if name in files or name in ("", ".", "..") or Path(name).name != name:
            raise ValueError(f"extra file {name!r}: not a plain file name, or written already")
        files[name] = text
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        out.mkdir(exist_ok=True)
        for name in files:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in files]


def _schedule_csv(problem: Problem, result: Result) -> str:
    frame = result.to_frame(problem)
    for column in ("start", "end"):
        if not frame.empty:
            frame[column] = frame[column].map(lambda t: t.isoformat())
    return frame.to_csv(index=False)


def _fmt(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def render_summary(problem: Problem, result: Result) -> str:
    """A readable summary: counts, reasons, objective terms beside the greedy baseline."""
    terms, base = result.terms, result.baseline_terms
    n = len(problem.requests)
    lines = [
        f"{problem.name}: {len(problem.horizon.dates)} days, {len(problem.providers)} providers, "
        f"{len(problem.rooms)} rooms, {n:,} requests",
        f"status {result.status.value} in {result.wall_time_s:.1f}s "
        f"(first schedule after {_fmt(result.time_to_first_s, 2)}s)",
        "",
        f"{'':34}{'greedy':>14}{'psr_sched':>14}",
    ]

    def row(label: str, before: float | int | None, after: float | int | None) -> None:
        lines.append(f"{label:34}{_fmt(before):>14}{_fmt(after):>14}")

    def base_term(name: str) -> int | None:
        return None if base is None else int(getattr(base, name))

    row(
        "requests scheduled",
        None if base is None else n - base.unscheduled_count,
        len(result.assignments),
    )
    for label, name in (
        ("priority-weighted unscheduled", "unscheduled_priority"),
        ("priority-weighted wait (min)", "access_wait"),
        ("provider idle gaps (min)", "idle_gap"),
        ("provider preference misses", "provider_preference_misses"),
        ("time preference misses", "time_preference_misses"),
        ("pinned visits moved", "pinned_moves"),
    ):
        row(label, base_term(name), getattr(terms, name))
    row("weighted objective", result.baseline_objective, result.objective)
    if result.baseline_objective:
        change = 100.0 * (result.objective - result.baseline_objective) / result.baseline_objective
        lines.append(f"{'objective change vs greedy':34}{'':>14}{change:>13.1f}%")
    bound = "—" if result.best_bound is None else f"{result.best_bound:,}"
    gap = "—" if result.gap is None else f"{100 * result.gap:.1f}%"
    lines.append(f"{'proven lower bound / gap':34}{bound:>14}{gap:>14}")
    lines.append("")
    if result.unscheduled:
        lines.append(f"unscheduled: {len(result.unscheduled)}")
        for reason, count in result.summary()["unscheduled_by_reason"].items():
            lines.append(f"  {reason:32}{count:>6}")
    else:
        lines.append("every request is scheduled")
    return "\n".join(lines)


def render_collections(
    problem: Problem, result: Result, worklist: pd.DataFrame, counseling_visit_type: str
) -> str:
    """Two summary lines: what check-in should collect, and the counselling visits booked.

    A prior balance is counted once per patient, though the worklist shows it on the
    patient's first visit of each day.
    """
    expected = sum(worklist["expected_patient_amount"], Decimal("0.00"))
    owing = worklist[worklist["prior_balance"] != 0].drop_duplicates("patient_id")
    prior = sum(owing["prior_balance"], Decimal("0.00"))
    requested = sum(r.visit_type == counseling_visit_type for r in problem.requests)
    booked = sum(a.visit_type == counseling_visit_type for a in result.assignments)
    return "\n".join(
        [
            f"{'time-of-service collections':34}{format_money(expected):>14}  over "
            f"{len(worklist):,} visits, prior balances {format_money(prior)}",
            f"{'financial counselling visits':34}{booked:>14,}  scheduled of {requested:,}",
        ]
    )


# -- commands --------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from psr_sched.billing import collection_worklist, estimate_schedule
    from psr_sched.demo_intake import demo_problem_with_intake
    from psr_sched.intake.facts import IntakePolicy

    if args.out is not None:
        _check_out(args.out)
    problem, intake = demo_problem_with_intake(seed=args.seed)
    result = _solve_valid(problem, args)
    estimates = estimate_schedule(problem, result, intake.fee_schedule, intake.benefits)
    worklist = collection_worklist(problem, result, estimates, intake.balances)
    print(render_summary(problem, result))
    print()
    print(render_collections(problem, result, worklist, IntakePolicy().counseling_visit_type))
    _write(
        args,
        problem,
        result,
        with_problem=True,
        extra_files={"collections.csv": worklist.to_csv(index=False)},
    )
    return EXIT_OK


def _cmd_solve(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem)
    _check_out(args.out)
    result = _solve_valid(problem, args)
    print(render_summary(problem, result))
    _write(args, problem, result, with_problem=False)
    return EXIT_OK


def _solve_valid(problem: Problem, args: argparse.Namespace) -> Result:
    """Solve with the command's options and check the schedule with the validator."""
    options = _options(args, quiet=args.quiet)
    if not args.quiet:
        print(
            f"solving {problem.name}: {len(problem.requests):,} requests, "
            f"time limit {options.time_limit_s:g}s, {options.workers} workers",
            file=sys.stderr,
        )
    result = solve(problem, options)
    from psr_sched.validate import validate

    report = validate(problem, result)
    if not report.ok:  # an engine bug, never a user error: say so loudly
        raise RuntimeError(
            "the engine produced an invalid schedule: "
            + "; ".join(v.message for v in report.violations[:3])
        )
    return result


def _write(
    args: argparse.Namespace,
    problem: Problem,
    result: Result,
    *,
    with_problem: bool,
    extra_files: Mapping[str, str] | None = None,
) -> None:
    """Write the outputs to ``--out``, when given, and say where."""
    if args.out is None:
        return
    try:
        written = write_outputs(
            Path(args.out), problem, result, with_problem=with_problem, extra_files=extra_files
        )
    except OSError as exc:
        raise _UserError(f"cannot write to {args.out}: {exc.strerror}") from None
    print(f"\nwrote {', '.join(str(p) for p in written)}")


def _cmd_validate(args: argparse.Namespace) -> int:
    from psr_sched.validate import read_schedule_csv, validate

    problem = load_problem(args.problem)
    frame = read_schedule_csv(args.schedule, problem)
    report = validate(problem, frame)
    if report.ok:
        print(f"valid: {len(frame):,} visits, objective {report.objective(problem.weights):,}")
        return EXIT_OK
    print(f"invalid: {_count(len(report.violations), 'violation')}", file=sys.stderr)
    for violation in report.violations[:20]:
        print(f"  [{violation.rule}] {violation.message}", file=sys.stderr)
    return EXIT_INVALID


def _cmd_report(args: argparse.Namespace) -> int:
    try:
        from psr_sched.reporting.report import read_schedule_dir, render_report, write_report
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "matplotlib":
            raise
        raise _UserError("the report's plots need matplotlib: pip install matplotlib") from None

    problem = load_problem(args.problem)
    _check_out(args.out)
    folder = read_schedule_dir(args.schedule_dir, problem)
    files = render_report(
        problem, folder.schedule, unscheduled=folder.unscheduled, worklist=folder.worklist
    )
    try:
        written = write_report(Path(args.out), files)
    except OSError as exc:
        raise _UserError(f"cannot write to {args.out}: {exc.strerror}") from None
    tables = sum(p.suffix == ".csv" for p in written)
    print(
        f"report of {len(folder.schedule):,} visits: wrote {tables} tables and "
        f"{len(written) - tables} plots to {written[0].parent}"
    )
    return EXIT_OK


def _cmd_whatif(args: argparse.Namespace) -> int:
    from psr_sched.scenarios import (
        DEFAULT_TIME_LIMIT_S,
        compare,
        load_scenario_file,
        write_comparison,
    )

    if args.workers is not None and args.workers < 1:
        raise _UserError(f"--workers must be at least 1, got {args.workers}")
    spec, base = load_scenario_file(args.scenarios)
    _check_out(args.out)
    time_limit = args.time_limit or spec.time_limit_s or DEFAULT_TIME_LIMIT_S
    options = SolveOptions(
        time_limit_s=time_limit, workers=args.workers or os.cpu_count() or 1, seed=args.seed
    )
    solves = len(spec.scenarios) + spec.include_base
    print(
        f"comparing {solves} scenarios of {base.name} ({len(base.requests):,} requests), "
        f"time limit {time_limit:g}s each",
        file=sys.stderr,
    )
    comparison = compare(base, spec.scenarios, options=options, include_base=spec.include_base)
    columns = ["scenario", "status", "scheduled", "unscheduled", "median_wait_minutes"]
    columns += ["idle_gap", "objective"]
    print(comparison.frame[columns].to_string(index=False))
    try:
        written = write_comparison(Path(args.out), comparison)
    except OSError as exc:
        raise _UserError(f"cannot write to {args.out}: {exc.strerror}") from None
    print(f"\nwrote {len(written)} files to {written[0].parent}")
    return EXIT_OK


def _problem_files(folder: str) -> list[Path]:
    """The ``*.json`` files of the batch's input folder (not hidden ones), sorted by name."""
    path = Path(folder)
    if not path.is_dir():
        raise _UserError(f"{folder}: no such folder")
    try:
        files = sorted(p for p in path.glob("*.json") if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        raise _UserError(f"cannot read {folder}: {exc.strerror}") from None
    if not files:
        raise _UserError(f"{folder}: no *.json problem files")
    return files


def _one_line(message: str) -> str:
    """The first line of a (possibly multi-line) error, and how many more follow."""
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) <= 1:
        return message.strip()
    more = len(lines) - 1
    tail = re.fullmatch(r"\.\.\. and (\d+) more", lines[-1].strip())
    if tail:
        more += int(tail.group(1)) - 1
    return f"{lines[0]} (and {more} more)"


def _dask_client(address: str) -> Any:
    """A ``dask.distributed`` client connected to ``address``; one clear line if not."""
    import importlib

    try:  # imported by name: Dask is an optional dependency
        distributed = importlib.import_module("distributed")
    except ImportError:
        raise _UserError(
            "--dask-scheduler needs dask.distributed: pip install 'psr_sched[dask]'"
        ) from None
    try:
        return distributed.Client(address, timeout=_DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _UserError(f"cannot connect to the Dask scheduler at {address}: {reason}") from None


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


#: Seconds ``psr-sched batch --dask-scheduler`` waits for the scheduler to answer.
_DASK_CONNECT_TIMEOUT_S = 10


class _Terminated(BaseException):
    """SIGTERM arrived: raised like KeyboardInterrupt, so ``except Exception`` lets it by."""


class _StopSignals:
    """While entered, SIGINT and SIGTERM stop ``psr-sched batch``, except when held.

    In the main thread SIGINT raises KeyboardInterrupt and SIGTERM :class:`_Terminated`, so
    that :func:`psr_sched.solve_many` terminates its workers and nothing is written.  After
    :meth:`hold` (the writing, once every solve ended) a signal waits for :meth:`release`,
    so ``--out`` is either untouched or complete.  A signal ignored when the command started
    (``nohup``, a background job) stays ignored; outside the main thread nothing changes.
    """

    def __init__(self) -> None:
        self._held = False
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(signum) not in (signal.SIG_IGN, None):
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        import signal

        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self._held:
            self._pending = self._pending or signum
        else:
            self._raise(signum)

    @staticmethod
    def _raise(signum: int) -> None:
        import signal

        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Terminated

    def hold(self) -> None:
        """Keep signals from now until :meth:`release`."""
        self._held = True

    def release(self) -> None:
        """Stop keeping signals, and act on the first one kept."""
        self._held = False
        if self._pending is not None:
            self._raise(self._pending)


def _cmd_batch(args: argparse.Namespace) -> int:
    with _StopSignals() as signals:
        return _run_batch(args, signals)


def _run_batch(args: argparse.Namespace, signals: _StopSignals) -> int:
    from psr_sched.batch import (
        batch_frame,
        check_folder_names,
        default_processes,
        peak_memory_mib,
        solve_many,
        write_batch,
    )

    options = _options(args, quiet=True)
    if args.jobs is not None and args.jobs < 1:
        raise _UserError(f"--jobs must be at least 1, got {args.jobs}")
    if args.jobs is not None and args.dask_scheduler is not None:
        raise _UserError("--jobs sets the local process pool; it does not go with --dask-scheduler")
    out = _check_out(args.out)
    # Every input is read and checked before anything is solved or written.
    problems: dict[str, Problem] = {}
    for path in _problem_files(args.input_dir):
        try:
            problems[path.stem] = load_problem(path)
        except ProblemError as exc:
            message = _one_line(str(exc))
            raise _UserError(message if str(path) in message else f"{path}: {message}") from None
    try:
        check_folder_names(problems)
    except ValueError as exc:
        raise _UserError(f"{args.input_dir}: {exc}") from None
    client = None if args.dask_scheduler is None else _dask_client(args.dask_scheduler)
    try:
        if client is None:
            jobs = args.jobs or default_processes(len(problems), options.workers)
            processes = min(jobs, len(problems))
            where = f"{_count(processes, 'process')} × {_count(options.workers, 'CP-SAT worker')}"
        else:
            where = (
                f"the Dask cluster at {args.dask_scheduler}, "
                f"{_count(options.workers, 'CP-SAT worker')} per solve"
            )
        requests = sum(len(p.requests) for p in problems.values())
        if not args.quiet:
            print(
                f"solving {len(problems)} clinics ({requests:,} requests) on {where}, "
                f"time limit {options.time_limit_s:g}s each",
                file=sys.stderr,
            )

        def progress(item: BatchItem, done: int, total: int) -> None:
            if args.quiet:
                return
            if item.result is None:
                what = f"ERROR: {item.error}"
            else:
                what = (
                    f"{item.result.status.value}, {len(item.result.assignments):,} scheduled, "
                    f"{len(item.result.unscheduled):,} unscheduled, objective "
                    f"{item.result.objective:,}"
                )
            seconds = "" if item.wall_time_s is None else f" in {item.wall_time_s:.1f}s"
            print(f"  [{done}/{total}] {item.name}: {what}{seconds}", file=sys.stderr, flush=True)

        items = solve_many(
            problems,
            options,
            executor=client,
            max_workers=None if client is not None else args.jobs,
            progress=progress,
        )
    finally:
        if client is not None:
            client.close()
    frame = batch_frame(items)
    signals.hold()  # every solve ended: a signal now waits until --out is complete
    try:
        written = write_batch(out, items)
    except OSError as exc:
        raise _UserError(f"cannot write to {args.out}: {exc.strerror}") from None
    signals.release()
    print(frame.drop(columns="error").to_string(index=False))
    failed = [item for item in items if not item.ok]
    for item in failed:
        print(f"{item.name}: {item.error}")
    memory = peak_memory_mib()
    if memory is not None:
        own, child = memory
        where = (
            "the Dask workers not counted"
            if client is not None
            else f"largest solver process {child:,.0f} MiB"
        )
        print(f"\npeak memory (max RSS): this process {own:,.0f} MiB, {where}")
    print(
        f"wrote {len(written) - 1} clinic folders and {written[-1].name} to "
        f"{written[-1].parent}"
        + (f"; {len(failed)} of {len(items)} clinics failed" if failed else "")
    )
    return EXIT_INVALID if failed else EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(Problem.model_json_schema(), indent=2))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psr-sched", description="Outpatient appointment scheduling with CP-SAT."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log solver details")
    sub = parser.add_subparsers(dest="command", required=True)

    def solve_flags(p: argparse.ArgumentParser, default_limit: float) -> None:
        p.add_argument(
            "--time-limit",
            type=_seconds,
            default=default_limit,
            metavar="S",
            help=f"wall-clock limit in seconds (default {default_limit:g})",
        )
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument(
            "--workers", type=int, default=2, metavar="K", help="CP-SAT workers (default 2)"
        )
        p.add_argument(
            "--deterministic",
            action="store_true",
            help="same problem, seed and workers give the same schedule",
        )
        p.add_argument("--quiet", action="store_true", help="no progress lines")

    demo = sub.add_parser("demo", help="solve the embedded demo clinic and print a summary")
    demo.add_argument(
        "--out",
        metavar="DIR",
        help="also write the problem, the results and the collection worklist here",
    )
    solve_flags(demo, 30.0)
    demo.set_defaults(func=_cmd_demo)

    solve_cmd = sub.add_parser("solve", help="solve a problem JSON file")
    solve_cmd.add_argument("problem", metavar="PROBLEM.json")
    solve_cmd.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="write schedule.csv, unscheduled.csv, summary.json here",
    )
    solve_flags(solve_cmd, 60.0)
    solve_cmd.set_defaults(func=_cmd_solve)

    validate_cmd = sub.add_parser("validate", help="check a schedule against its problem")
    validate_cmd.add_argument("problem", metavar="PROBLEM.json")
    validate_cmd.add_argument("schedule", metavar="SCHEDULE.csv")
    validate_cmd.set_defaults(func=_cmd_validate)

    report_cmd = sub.add_parser(
        "report", help="write KPI tables (CSV) and plots (PNG) of a written schedule"
    )
    report_cmd.add_argument("problem", metavar="PROBLEM.json")
    report_cmd.add_argument(
        "schedule_dir",
        metavar="SCHEDULE_DIR",
        help="folder with schedule.csv (and unscheduled.csv, collections.csv if present)",
    )
    report_cmd.add_argument("--out", metavar="DIR", required=True, help="write the report here")
    report_cmd.set_defaults(func=_cmd_report)

    whatif = sub.add_parser(
        "whatif", help="solve the scenarios of a scenario file (JSON or YAML) and compare them"
    )
    whatif.add_argument("scenarios", metavar="SCENARIOS", help="a .json, .yaml or .yml file")
    whatif.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="write comparison.csv, comparison.png and summary-<scenario>.json here",
    )
    whatif.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        metavar="S",
        help="seconds per solve (default: the file's time_limit_s, else 20)",
    )
    whatif.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="at most K CP-SAT workers per solve; the cores are shared among the solves "
        "run in parallel (default: all cores)",
    )
    whatif.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    whatif.set_defaults(func=_cmd_whatif)

    batch = sub.add_parser(
        "batch",
        help="solve every *.json problem of a folder (many clinics), in parallel",
        description="Solve every *.json problem file of INPUT_DIR (sorted by name).  Each "
        "clinic's schedule.csv, unscheduled.csv and summary.json go to DIR/<file stem>/ as "
        "with 'psr-sched solve', and DIR/batch_summary.csv gets one row per clinic.  Every "
        "file is checked before anything is solved.  Exit status 0 when every clinic was "
        "solved, 1 when some failed (their rows say why), 2 on bad input.",
    )
    batch.add_argument("input_dir", metavar="INPUT_DIR", help="folder of problem JSON files")
    batch.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="write DIR/<stem>/{schedule.csv,unscheduled.csv,summary.json} and "
        "DIR/batch_summary.csv",
    )
    batch.add_argument(
        "--time-limit",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="wall-clock limit of each clinic's solve in seconds (default 60)",
    )
    batch.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    batch.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="K",
        help="CP-SAT workers of each solve (default 1: the cores go to solving clinics "
        "side by side)",
    )
    batch.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="clinics solved at once in local processes (default: cores // K, at least 1)",
    )
    batch.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        default=None,
        help="solve on this Dask cluster (e.g. tcp://10.0.0.5:8786) instead of local "
        "processes; needs pip install 'psr_sched[dask]' here and psr_sched on the workers",
    )
    batch.add_argument(
        "--deterministic",
        action="store_true",
        help="same problem, seed and workers give the same schedule",
    )
    batch.add_argument("--quiet", action="store_true", help="no progress lines")
    batch.set_defaults(func=_cmd_batch)

    schema = sub.add_parser("schema", help="print the problem's JSON Schema")
    schema.set_defaults(func=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``psr-sched``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        status: int = args.func(args)
    except (ProblemError, _UserError) as exc:
        print(f"psr-sched: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("psr-sched: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("psr-sched: terminated", file=sys.stderr)
        return 143  # 128 + SIGTERM: the status a shell shows for a process SIGTERM ended
    except BrokenPipeError:  # output piped into a command that stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return status


if __name__ == "__main__":
    sys.exit(main())
