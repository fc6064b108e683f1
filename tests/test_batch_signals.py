"""Stopping a batch: SIGTERM, SIGINT and SIGKILL of ``psr-sched batch`` leave no solver
process behind and write nothing; an interrupted ``solve_many`` stops its pool at once.

Real processes, watched through ``/proc``: Linux only.  Every solve is given 60 s, so its
worker is certainly alive when the signal comes, and a worker left orphaned would outlive
each test's 10 s deadline by far.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from psr_sched import BatchItem, SolveOptions, solve_many
from psr_sched.demo import generate_clinic

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="watches processes through Linux's /proc"
)

#: Seconds within which every process of a stopped batch must be gone.
DEADLINE_S = 10.0
#: Seconds the workers solve before the signal, so that the signal finds them in CP-SAT.
SOLVING_S = 1.0


@pytest.fixture(scope="module")
def input_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small clinics that CP-SAT does not prove optimal within a minute."""
    folder = tmp_path_factory.mktemp("clinics")
    for seed in (1, 2):
        problem = generate_clinic(seed=seed, providers=4, exam_rooms=3, procedure_rooms=1, days=2)
        (folder / f"clinic-{seed}.json").write_text(problem.to_json())
    return folder


# -- processes, through /proc ------------------------------------------------------------------

#: A process as (pid, start time in clock ticks since boot): a reused pid is another process.
Proc = tuple[int, int]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _proc(pid: int) -> Proc | None:
    fields = _stat(pid)
    return None if fields is None else (pid, int(fields[19]))  # field 22: starttime


def _alive(proc: Proc) -> bool:
    """Whether the process still runs (an ended one not yet reaped is a zombie: gone)."""
    fields = _stat(proc[0])
    return fields is not None and fields[0] != "Z" and int(fields[19]) == proc[1]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            kids += [int(kid) for kid in tasks.read_text().split()]
    return kids


def _descendants(pid: int) -> dict[int, list[int]]:
    """Each descendant of ``pid`` with its children."""
    tree: dict[int, list[int]] = {}
    todo = _children(pid)
    while todo:
        kid = todo.pop()
        tree[kid] = _children(kid)
        todo += tree[kid]
    return tree


def _workers(pid: int) -> list[Proc]:
    """The solver processes under ``pid``: the leaves of its tree but a resource tracker.

    Children of the batch when the pool forks or spawns them, of a forkserver otherwise.
    """
    found = []
    for kid, kids in _descendants(pid).items():
        with contextlib.suppress(OSError):
            if kids or b"resource_tracker" in Path(f"/proc/{kid}/cmdline").read_bytes():
                continue
        proc = _proc(kid)
        if proc is not None:
            found.append(proc)
    return found


def _wait_gone(procs: list[Proc]) -> float:
    """Seconds until every process of ``procs`` has ended; fails after the deadline."""
    t0 = time.monotonic()
    while any(_alive(p) for p in procs):
        elapsed = time.monotonic() - t0
        assert elapsed < DEADLINE_S, f"still running after {elapsed:.1f}s: {procs}"
        time.sleep(0.05)
    return time.monotonic() - t0


# -- psr-sched batch ---------------------------------------------------------------------------


@contextlib.contextmanager
def _batch(input_dir: Path, out: Path) -> Iterator[tuple[subprocess.Popen[str], list[Proc]]]:
    """``psr-sched batch`` of two clinics at once in its own session, once both solve.

    Yields the batch and all its descendants then: the two solver processes, and a
    forkserver and a resource tracker where the platform starts those.  Whatever happens,
    they are killed on leaving.
    """
    command = [sys.executable, "-m", "psr_sched", "batch", str(input_dir), "--out", str(out)]
    command += ["--time-limit", "60", "--workers", "1", "--jobs", "2", "--quiet"]
    batch = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a Ctrl-C reaches it alone
    )
    workers: list[Proc] = []
    procs: list[Proc] = []
    try:
        deadline = time.monotonic() + 60  # imports and two forks, on a loaded machine
        while len(workers) < 2:
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the batch started no two solver processes"
            time.sleep(0.05)
            workers = _workers(batch.pid)
        time.sleep(SOLVING_S)
        procs = [p for p in map(_proc, _descendants(batch.pid)) if p is not None]
        yield batch, procs
    finally:
        # The group outlives its leader: orphaned workers are still in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(batch.pid, signal.SIGKILL)
        for proc in [*workers, *procs]:
            if _alive(proc):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc[0], signal.SIGKILL)
        batch.communicate(timeout=DEADLINE_S)


def _assert_nothing_written(out: Path) -> None:
    assert not out.exists() or list(out.iterdir()) == [], sorted(out.iterdir())


@pytest.mark.parametrize(
    ("signum", "to_group", "status", "line"),
    [
        pytest.param(signal.SIGTERM, False, 143, "psr-sched: terminated", id="SIGTERM"),
        pytest.param(signal.SIGINT, False, 130, "psr-sched: interrupted", id="SIGINT"),
        # As a Ctrl-C in a terminal: the workers get it too, and leave it to the batch.
        # (CP-SAT in a worker catches it as a time limit, so this passed before as well.)
        pytest.param(signal.SIGINT, True, 130, "psr-sched: interrupted", id="Ctrl-C"),
    ],
)
def test_a_stopped_batch_stops_its_workers_and_writes_nothing(
    signum: signal.Signals, to_group: bool, status: int, line: str, input_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with _batch(input_dir, out) as (batch, procs):
        if to_group:
            os.killpg(batch.pid, signum)
        else:
            batch.send_signal(signum)
        _wait_gone([*procs, *(p for p in [_proc(batch.pid)] if p)])
        _, err = batch.communicate(timeout=DEADLINE_S)
        assert batch.returncode == status, err
        assert err == line + "\n"  # one line, no traceback (of the batch or a worker)
    _assert_nothing_written(out)


def test_the_workers_of_a_killed_batch_end_by_themselves(input_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with _batch(input_dir, out) as (batch, procs):
        batch.kill()  # SIGKILL: the batch can do nothing; its workers must notice
        batch.wait(timeout=DEADLINE_S)
        _wait_gone(procs)
    _assert_nothing_written(out)


# -- solve_many ----------------------------------------------------------------------------

#: A script solving the folder's clinics with solve_many; the kernel's parent-death signal
#: (PR_SET_PDEATHSIG) made unavailable (option 0 is none), so the watcher thread is alone.
WATCHER_ONLY = """
import multiprocessing, sys
from pathlib import Path
from psr_sched import Problem, SolveOptions, solve_many
from psr_sched import batch
batch._PR_SET_PDEATHSIG = 0
if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    files = sorted(Path(sys.argv[2]).glob("*.json"))
    problems = {f.stem: Problem.model_validate_json(f.read_text()) for f in files}
    solve_many(problems, SolveOptions(time_limit_s=60, workers=1), max_workers=2)
"""


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_without_prctl_the_workers_of_a_killed_caller_still_end(
    method: str, input_dir: Path, tmp_path: Path
) -> None:
    # fork and spawn: the workers see their parent id change; forkserver: they are the
    # server's children and watch the caller itself.
    script = tmp_path / "caller.py"
    script.write_text(WATCHER_ONLY)
    caller = subprocess.Popen(
        [sys.executable, str(script), method, str(input_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # a resource tracker's warning about the killed caller
        start_new_session=True,
    )
    procs: list[Proc] = []
    try:
        deadline = time.monotonic() + 60
        while len(_workers(caller.pid)) < 2:
            assert caller.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(SOLVING_S)
        procs = [p for p in map(_proc, _descendants(caller.pid)) if p is not None]
        caller.kill()
        caller.wait(timeout=DEADLINE_S)
        _wait_gone(procs)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(caller.pid, signal.SIGKILL)
        for proc in procs:
            if _alive(proc):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc[0], signal.SIGKILL)
        caller.wait(timeout=DEADLINE_S)


def test_an_interrupted_solve_many_leaves_no_workers() -> None:
    # A tiny clinic done in a moment, whose progress call is interrupted while the other
    # one solves on (for up to a minute, if the interrupt waited for it).
    quick = generate_clinic(seed=2, providers=2, exam_rooms=2, procedure_rooms=1, days=1, load=0.3)
    slow = generate_clinic(seed=1, providers=4, exam_rooms=3, procedure_rooms=1, days=2)

    def interrupt(item: BatchItem, done: int, total: int) -> None:
        raise KeyboardInterrupt

    assert multiprocessing.active_children() == []
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        solve_many(
            {"quick": quick, "slow": slow},
            SolveOptions(time_limit_s=60, workers=1),
            max_workers=2,
            progress=interrupt,
        )
    assert time.monotonic() - t0 < DEADLINE_S
    assert multiprocessing.active_children() == []
