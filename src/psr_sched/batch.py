"""Solve many clinics: on a process pool, on any executor, or on a Dask cluster.

:func:`solve_many` solves a batch of problems in parallel and returns one
:class:`BatchItem` per problem, in input order.  A problem whose solve fails becomes an
item with an error message (never patient data) while the others finish.
:func:`batch_frame` tabulates the items and :func:`write_batch` writes each clinic's files
the way ``psr-sched solve`` does, plus ``batch_summary.csv``.

Dask is optional: pass a ``dask.distributed.Client`` (or ``client.get_executor()``) as the
executor.  This module never imports Dask itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures import BrokenExecutor as _BrokenExecutor
from dataclasses import dataclass
from dataclasses import replace as replace_options
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.result import Result
from psr_sched.solver import SolveOptions, solve
from psr_sched.validate import validate

__all__ = [
    "BATCH_COLUMNS",
    "BATCH_SUMMARY",
    "ERROR_STATUS",
    "BatchItem",
    "BatchProgress",
    "DaskClientLike",
    "batch_frame",
    "check_folder_names",
    "default_processes",
    "peak_memory_mib",
    "solve_many",
    "write_batch",
]

#: Columns of :func:`batch_frame` (and of ``batch_summary.csv``), in order.
BATCH_COLUMNS = [
    "name",
    "status",
    "scheduled",
    "unscheduled",
    "objective",
    "best_bound",
    "gap",
    "wall_time_s",
    "error",
]
#: ``status`` of an item whose solve failed.
ERROR_STATUS = "ERROR"
#: Name of the batch's summary table in :func:`write_batch`'s folder.
BATCH_SUMMARY = "batch_summary.csv"

_CRASHED = "the solver process stopped abruptly (out of memory, or a crash in the solver)"


@dataclass(frozen=True, slots=True)
class BatchItem:
    """The outcome of one problem of a batch.

    Attributes
    ----------
    index : int
        Position of the problem in the input.
    name : str
        The name given with the problem, or the problem's own ``name``.
    problem : Problem
        The problem solved.
    result : Result or None
        Its result, validated against the problem; ``None`` when the solve failed.
    error : str or None
        Why the solve failed, ``None`` when it did not.  The message names the record at
        fault for a problem error and only the kind of failure otherwise; it never holds
        patient data.
    wall_time_s : float or None
        Seconds the solve and its validation took where they ran; ``None`` when that is
        unknown (the worker never answered).
    """

    index: int
    name: str
    problem: Problem
    result: Result | None
    error: str | None = None
    wall_time_s: float | None = None

    @property
    def ok(self) -> bool:
        """True when the problem was solved."""
        return self.result is not None

    @property
    def status(self) -> str:
        """The result's status (``OPTIMAL``, ``FEASIBLE``, ``GREEDY``), or ``ERROR``."""
        return ERROR_STATUS if self.result is None else self.result.status.value


class BatchProgress(Protocol):
    """Called in the caller's thread each time a problem of the batch is done."""

    def __call__(self, item: BatchItem, done: int, total: int) -> None: ...


class DaskClientLike(Protocol):
    """What :func:`solve_many` needs of a ``dask.distributed.Client``."""

    def get_executor(self, **kwargs: Any) -> Executor: ...


# -- where to solve ------------------------------------------------------------------------


def _usable_cores() -> int:
    """Cores this process may run on: ``os.cpu_count()``, or fewer under an affinity mask."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_processes(problems: int, workers: int, cores: int | None = None) -> int:
    """Processes of :func:`solve_many`'s default pool.

    ``max(1, min(problems, cores // workers))``: as many solves at once as there are
    problems, but no more than fit the cores when each solve runs ``workers`` CP-SAT
    workers, so that processes × workers never exceeds the cores (unless a single solve's
    ``workers`` already does).

    Parameters
    ----------
    problems : int
        Problems in the batch.
    workers : int
        CP-SAT workers of each solve (``SolveOptions.workers``).
    cores : int, optional
        Cores to fill; default the cores this process may use (``os.cpu_count()``, or
        fewer when the process is restricted to some of them).

    Returns
    -------
    int
        The number of processes, at least 1.
    """
    cores = _usable_cores() if cores is None else cores
    return max(1, min(problems, cores // max(1, workers)))


def _as_executor(executor: Executor | DaskClientLike) -> Executor:
    """An executor as is; a Dask ``Client`` as its ``concurrent.futures`` executor."""
    if isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)
    if callable(get_executor):
        # Solves depend on the clock: never let Dask merge two of them as one pure task.
        inner = get_executor(pure=False)
        if isinstance(inner, Executor):
            return inner
    raise TypeError(
        "executor: expected a concurrent.futures.Executor or a dask.distributed.Client, "
        f"got {type(executor).__name__}"
    )


# -- the solve in a worker -----------------------------------------------------------------

#: What a worker sends back: result JSON or None, error or None, seconds taken.
_Payload = tuple[str | None, str | None, float]


def _safe_error(exc: BaseException) -> str:
    """A message for a failed solve that cannot leak patient data.

    A :class:`ProblemError`'s message is written never to hold patient data, so it is
    kept (on one line); of any other exception only its type is told.
    """
    if isinstance(exc, ProblemError):
        return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, _BrokenExecutor):
        return _CRASHED
    if isinstance(exc, CancelledError):
        return "the solve was cancelled"
    return (
        f"the solve failed with an internal error ({type(exc).__name__}); its message is "
        "withheld because it may hold patient data"
    )


def _solve_one(problem_json: str, options: SolveOptions) -> _Payload:
    """Solve and validate one problem where the executor runs it: JSON in, JSON out.

    Every exception is caught here, so no message with patient data crosses processes
    or reaches a Dask worker's log.
    """
    t0 = time.perf_counter()
    try:
        problem = Problem.model_validate_json(problem_json)
        result = solve(problem, options)
        report = validate(problem, result)
    except Exception as exc:
        return None, _safe_error(exc), time.perf_counter() - t0
    if not report.ok:  # an engine bug, never a user error; rules only, no times
        rules = ", ".join(sorted({v.rule for v in report.violations}))
        error = (
            f"the engine produced an invalid schedule ({len(report.violations)} "
            f"violations of: {rules})"
        )
        return None, error, time.perf_counter() - t0
    return result.model_dump_json(), None, time.perf_counter() - t0


# -- the default pool's workers end with the batch -------------------------------------------

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1
#: Seconds between a worker's looks at whether the batch's process is still there.
_WATCH_POLL_S = 1.0
#: Seconds terminated workers get to end before they are killed.
_TERMINATE_GRACE_S = 5.0


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid now belongs to another user's process
        return False
    return True


def _creator_gone_test(creator_pid: int) -> Callable[[], bool]:
    """A test of whether the process that started the pool (``creator_pid``) has ended."""
    if sys.platform == "win32":  # a parent id never changes there; the parent's handle tells
        parent = multiprocessing.parent_process()
        return lambda: parent is not None and not parent.is_alive()
    if os.getppid() == creator_pid:  # forked or spawned by it: an orphan gets a new parent
        return lambda: os.getppid() != creator_pid
    # A forkserver's child (or the creator is gone already).  The forkserver is no guide:
    # its children hold its lifeline open, so it lives on as long as they do.
    if sys.platform == "linux":
        try:
            pidfd = os.pidfd_open(creator_pid)  # readable once the process ended
        except ProcessLookupError:
            return lambda: True
        except OSError:  # a kernel before 5.3
            pass
        else:
            return lambda: bool(select.select([pidfd], [], [], 0)[0])
    return lambda: not _exists(creator_pid)


def _watch_creator(gone: Callable[[], bool]) -> None:
    while not gone():
        time.sleep(_WATCH_POLL_S)
    os._exit(1)


def _init_worker(creator_pid: int) -> None:
    """Pool initializer: the worker ends with the batch's process, and leaves signals to it.

    Without this, a worker whose batch is killed (even by SIGKILL) solves on until its
    time limit.  On Linux the kernel kills the worker when the parent thread that started it
    ends (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), even inside CP-SAT's C++ code; that thread
    is the one that called :func:`solve_many`, which it cannot leave while the pool lives.
    Everywhere, a daemon thread looks every second whether the process that started the
    pool is gone, and then ends the worker: through its parent id when that process is the
    parent, through a pidfd (Linux) or ``kill(pid, 0)`` when a forkserver is.

    Parameters
    ----------
    creator_pid : int
        The process that started the pool.
    """
    # A Ctrl-C in a terminal reaches the whole process group: the parent stops the workers
    # (CP-SAT would catch it and go on as if at its time limit).  SIGTERM, which the parent
    # sends them, gets its default action back: a Python handler forked from the parent
    # would only run once the solve is back in Python.
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):  # no prctl: the thread still does
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    gone = _creator_gone_test(creator_pid)
    if gone():  # it ended before the kernel was told to follow it
        os._exit(1)
    threading.Thread(target=_watch_creator, args=(gone,), name="batch-watch", daemon=True).start()


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's processes now, and kill those still there after a grace."""
    # Private, but before Python 3.14 (terminate_workers) there is no public way.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + _TERMINATE_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


@contextlib.contextmanager
def _own_pool(processes: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers end with this process; shut down on leaving.

    When an exception leaves the block (KeyboardInterrupt, SIGTERM made an exception, a
    failing ``progress``) the workers are terminated first: shutting down alone would wait
    for the running solves, each up to its time limit.
    """
    pool = ProcessPoolExecutor(processes, initializer=_init_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        _terminate_workers(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)


# -- solve_many ----------------------------------------------------------------------------


def _named(
    problems: Mapping[str, Problem] | Iterable[Problem | tuple[str, Problem]],
) -> list[tuple[str, Problem]]:
    if isinstance(problems, Mapping):
        pairs = list(problems.items())
    else:
        pairs = []
        for i, entry in enumerate(problems):
            if isinstance(entry, Problem):
                pairs.append((entry.name, entry))
            elif (
                isinstance(entry, tuple)
                and len(entry) == 2
                and isinstance(entry[0], str)
                and isinstance(entry[1], Problem)
            ):
                pairs.append((entry[0], entry[1]))
            else:
                raise TypeError(
                    f"problems: entry {i + 1} is a {type(entry).__name__}, expected a "
                    "Problem or a (name, Problem) pair"
                )
    for name, problem in pairs:
        if not isinstance(name, str) or not isinstance(problem, Problem):
            raise TypeError("problems: a mapping must map names (str) to Problem objects")
    return pairs


def solve_many(
    problems: Mapping[str, Problem] | Iterable[Problem | tuple[str, Problem]],
    options: SolveOptions | None = None,
    *,
    executor: Executor | DaskClientLike | None = None,
    max_workers: int | None = None,
    progress: BatchProgress | None = None,
) -> list[BatchItem]:
    """Solve many problems in parallel; one failing problem does not stop the others.

    Each problem is solved exactly as :func:`psr_sched.solve` would solve it with the same
    options (it crosses to its worker as JSON, which reads back unchanged), so with
    ``deterministic=True`` a problem gets the same schedule in a batch as alone.  Every
    result is checked with :func:`psr_sched.validate` where it was solved.

    Parameters
    ----------
    problems : mapping of str to Problem, or iterable of Problem or (name, Problem)
        The problems; a bare :class:`Problem` is named by its ``name``.  Names label the
        items and need not be unique (:func:`write_batch` requires them to be).
    options : SolveOptions, optional
        Options of every solve; default ``SolveOptions()``.  Its ``callback`` is not used:
        the solves run elsewhere and concurrently (see ``progress``).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where to solve: any executor (a thread pool, a process pool,
        ``client.get_executor()``), or a Dask ``Client`` itself.  It is not shut down.
        Each solve uses ``options.workers`` CP-SAT threads, so on Dask give each worker
        process one thread (``threads_per_worker=1``) or size ``options.workers`` to its
        threads; ``psr_sched`` must be installed on the Dask workers.  By default a process
        pool of :func:`default_processes` processes (``max(1, min(problems, cores //
        options.workers))``) is started and shut down again; a problem whose process
        dies is retried alone once, so a crash only fails that problem.  Its processes
        never outlive the call: when an exception (KeyboardInterrupt included) leaves
        ``solve_many`` they are terminated at once, not left to their time limit, and when
        the calling process is killed they end by themselves within seconds (on Linux at
        once, through ``PR_SET_PDEATHSIG``); they ignore SIGINT, leaving it to the caller.
        A caller's executor is only asked to cancel what has not started.  The pool starts
        processes the platform's default way; where that is not by forking (macOS,
        Windows, Python 3.14), a script must call ``solve_many`` under
        ``if __name__ == "__main__":``.
    max_workers : int, optional
        Processes of the default pool, instead of the rule above.  Only without
        ``executor``.
    progress : callable, optional
        Called as ``progress(item, done, total)`` in the caller's thread as each problem
        is done, in completion order.

    Returns
    -------
    list of BatchItem
        One per problem, in input order.

    Raises
    ------
    TypeError
        If ``problems`` holds something else than problems, or ``executor`` is neither an
        executor nor a Dask client.
    ValueError
        If ``max_workers`` is not positive, or given together with ``executor``.

    Examples
    --------
    >>> from psr_sched.demo import generate_clinic
    >>> clinics = {f"clinic-{s}": generate_clinic(seed=s, providers=4, days=1) for s in (1, 2)}
    >>> items = solve_many(clinics, SolveOptions(time_limit_s=2, workers=1))  # doctest: +SKIP
    >>> [item.name for item in items], all(item.ok for item in items)  # doctest: +SKIP
    (['clinic-1', 'clinic-2'], True)
    """
    pairs = _named(problems)
    options = replace_options(options or SolveOptions(), callback=None)
    if max_workers is not None:
        if executor is not None:
            raise ValueError("max_workers: only for the default process pool, not with executor")
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    items: list[BatchItem | None] = [None] * len(pairs)
    if not pairs:
        return []
    jobs = [problem.to_json(indent=None) for _, problem in pairs]
    done = 0

    def finish(i: int, payload: _Payload | None, error: str | None = None) -> None:
        nonlocal done
        name, problem = pairs[i]
        if payload is None:
            item = BatchItem(i, name, problem, None, error or _CRASHED)
        else:
            result_json, error, seconds = payload
            result = None
            if result_json is not None:
                result = Result.model_validate_json(result_json).in_zone(problem.horizon.zone)
            item = BatchItem(i, name, problem, result, error, seconds)
        items[i] = item
        done += 1
        if progress is not None:
            progress(item, done, len(pairs))

    if executor is None:
        processes = max_workers or default_processes(len(pairs), options.workers)
        _run_own_pool(jobs, options, min(processes, len(pairs)), finish)
    else:
        _run_on(_as_executor(executor), jobs, options, finish)
    return [item for item in items if item is not None]


class _Finish(Protocol):
    def __call__(self, i: int, payload: _Payload | None, error: str | None = None) -> None: ...


def _run_on(
    executor: Executor, jobs: Sequence[str], options: SolveOptions, finish: _Finish
) -> None:
    """Submit everything to a caller's executor and collect as the solves end."""
    futures: dict[Future[_Payload], int] = {}
    try:
        for i, job in enumerate(jobs):
            futures[executor.submit(_solve_one, job, options)] = i
        for future in as_completed(futures):
            i = futures[future]
            try:
                payload = future.result()
            except Exception as exc:  # the executor failed, not the solve (caught there)
                finish(i, None, _safe_error(exc))
                continue
            finish(i, payload)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _run_own_pool(
    jobs: Sequence[str], options: SolveOptions, processes: int, finish: _Finish
) -> None:
    """Solve on a pool of ``processes``, keeping at most that many solves submitted.

    Since every submitted solve is running, the solves lost when a process dies (and
    breaks the pool) are exactly those in flight; the rest go on in a fresh pool, and each
    lost one is retried alone in a pool of its own, so only the one that crashes fails.
    """
    pending = deque(range(len(jobs)))
    lost: list[int] = []
    while pending:
        in_flight: dict[Future[_Payload], int] = {}
        with _own_pool(processes) as pool:
            broken = False
            while (pending or in_flight) and not broken:
                while pending and len(in_flight) < processes:
                    try:
                        future = pool.submit(_solve_one, jobs[pending[0]], options)
                    except _BrokenExecutor:  # a process died since the last look
                        broken = True
                        break
                    in_flight[future] = pending.popleft()
                if broken:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = in_flight.pop(future)
                    try:
                        payload = future.result()
                    except _BrokenExecutor:
                        broken = True
                        lost.append(i)
                        continue
                    except Exception as exc:  # the pool failed, not the solve (caught there)
                        finish(i, None, _safe_error(exc))
                        continue
                    finish(i, payload)
        for future, i in in_flight.items():  # settled now: solved before the break, or lost
            failure = None if future.cancelled() else future.exception()
            if future.cancelled() or isinstance(failure, _BrokenExecutor):
                lost.append(i)
            elif failure is None:
                finish(i, future.result())
            else:
                finish(i, None, _safe_error(failure))
    for i in sorted(lost):
        with _own_pool(1) as alone:
            try:
                payload = alone.submit(_solve_one, jobs[i], options).result()
            except Exception as exc:
                finish(i, None, _safe_error(exc))
                continue
        finish(i, payload)


# -- tables and files ----------------------------------------------------------------------


def batch_frame(items: Sequence[BatchItem]) -> pd.DataFrame:
    """One row per item: the columns of :data:`BATCH_COLUMNS`.

    ``scheduled``, ``unscheduled``, ``objective`` and ``best_bound`` are ``Int64``,
    ``gap`` ``Float64`` and ``wall_time_s`` ``float64``, missing where the item failed
    (or has no bound); ``error`` is missing where it did not fail.
    """
    rows = []
    for item in items:
        result = item.result
        rows.append(
            {
                "name": item.name,
                "status": item.status,
                "scheduled": None if result is None else len(result.assignments),
                "unscheduled": None if result is None else len(result.unscheduled),
                "objective": None if result is None else result.objective,
                "best_bound": None if result is None else result.best_bound,
                "gap": None if result is None else result.gap,
                "wall_time_s": (None if item.wall_time_s is None else round(item.wall_time_s, 3)),
                "error": item.error,
            }
        )
    frame = pd.DataFrame(rows, columns=BATCH_COLUMNS)
    for column in ("scheduled", "unscheduled", "objective", "best_bound"):
        frame[column] = frame[column].astype("Int64")
    frame["gap"] = frame["gap"].astype("Float64")
    frame["wall_time_s"] = frame["wall_time_s"].astype("float64")
    frame["error"] = frame["error"].astype("object")
    return frame


def check_folder_names(names: Iterable[str]) -> None:
    """Check that names can be :func:`write_batch`'s folders: plain names, each once.

    Raises
    ------
    ValueError
        Naming the first name that is empty, ``.`` or ``..``, holds a path separator, is
        ``batch_summary.csv``, or repeats.
    """
    seen: set[str] = set()
    for name in names:
        if name in ("", ".", "..", BATCH_SUMMARY) or Path(name).name != name or "/" in name:
            raise ValueError(f"batch item {name!r}: not a plain folder name")
        if name in seen:
            raise ValueError(f"batch item {name!r}: the name is used more than once")
        seen.add(name)


def write_batch(out: str | Path, items: Sequence[BatchItem]) -> list[Path]:
    """Write each solved item's files to ``out/<name>/`` and ``out/batch_summary.csv``.

    Each folder gets ``schedule.csv``, ``unscheduled.csv`` and ``summary.json``, written
    atomically by :func:`psr_sched.cli.write_outputs` exactly as ``psr-sched solve``
    writes them; a failed item gets no folder, only its row (the files an earlier run wrote
    for it are removed, so no stale schedule is left beside the ERROR row; other files in
    its folder are left alone).  ``batch_summary.csv`` (the
    rows of :func:`batch_frame`) is written last, atomically, so its presence means every
    folder it lists is complete.

    Returns
    -------
    list of Path
        The clinic folders written, then ``batch_summary.csv``.

    Raises
    ------
    ValueError
        If a name is not a plain folder name or repeats; checked before anything is
        written.
    OSError
        If a file cannot be written.
    """
    from psr_sched.cli import write_outputs

    check_folder_names([item.name for item in items])
    target = Path(out).resolve()
    written: list[Path] = []
    for item in items:
        if item.result is not None:
            write_outputs(target / item.name, item.problem, item.result)
            written.append(target / item.name)
        else:
            _remove_outputs(target / item.name)
    target.mkdir(parents=True, exist_ok=True)
    text = batch_frame(items).to_csv(index=False)
    handle, temporary = tempfile.mkstemp(prefix=f".{BATCH_SUMMARY}.", dir=target)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, target / BATCH_SUMMARY)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    written.append(target / BATCH_SUMMARY)
    return written


#: The files :func:`psr_sched.cli.write_outputs` writes into a clinic's folder.
_OUTPUT_FILES = ("schedule.csv", "unscheduled.csv", "summary.json")


def _remove_outputs(folder: Path) -> None:
    """Remove a failed clinic's outputs of an earlier run, and its folder if then empty."""
    if not folder.is_dir():
        return
    for name in _OUTPUT_FILES:
        (folder / name).unlink(missing_ok=True)
    if not any(folder.iterdir()):
        folder.rmdir()


def peak_memory_mib() -> tuple[float, float] | None:
    """Peak resident memory so far, in MiB: this process, and its largest ended child.

    From ``resource.getrusage`` (``ru_maxrss`` of ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``).
    The children's figure is the largest single child process that has ended and been
    waited for, such as a finished pool's solver processes; Dask workers are not counted.
    ``None`` where the ``resource`` module is missing (Windows).
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit / 2**20
    return own, children
