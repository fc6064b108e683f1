"""Batches of clinics: solve_many on a process pool, a thread pool and Dask, failures kept to
their own clinic, and ``psr-sched batch``."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from builders import at, make_problem, pin, request
from psr_sched import (
    BatchItem,
    Problem,
    Result,
    SolveOptions,
    solve,
    solve_many,
    validate,
)
from psr_sched import batch as batch_module
from psr_sched.batch import (
    BATCH_COLUMNS,
    BATCH_SUMMARY,
    batch_frame,
    default_processes,
    write_batch,
)
from psr_sched.cli import main
from psr_sched.demo import generate_clinic

#: Deterministic, one CP-SAT worker: a clinic gets the same schedule in a batch as alone.
#: These one-day clinics take 0.1-0.6 s each; the wall clock (2 s) only caps a loaded run.
OPTIONS = SolveOptions(time_limit_s=2, workers=1, seed=0, deterministic=True)
#: Seed and load of each clinic: two stopped by their deterministic budget, one (load 0.6)
#: proven optimal within a fraction of it, so never near the wall clock.
CLINICS = {"clinic-0": (0, 0.85), "clinic-1": (1, 0.85), "clinic-2": (2, 0.6)}
#: Stat of a deterministic run cut by the wall clock (a loaded machine): not reproducible.
CUT = "deterministic_run_cut_by_wall_clock"


def _clinic(seed: int, load: float) -> Problem:
    return generate_clinic(
        seed=seed, providers=4, exam_rooms=3, procedure_rooms=1, days=1, load=load
    )


def _clashing() -> Problem:
    """Valid as input, but its two locked visits overlap: the solve raises ProblemError."""
    return make_problem(
        requests=[request("R1"), request("R2")],
        pinned=[pin("R1", at("08:00")), pin("R2", at("08:00"))],
    )


@pytest.fixture(scope="module")
def clinics() -> dict[str, Problem]:
    return {name: _clinic(seed, load) for name, (seed, load) in CLINICS.items()}


@pytest.fixture(scope="module")
def serial(clinics: dict[str, Problem]) -> dict[str, Result]:
    """Each clinic solved alone with solve()."""
    return {name: solve(problem, OPTIONS) for name, problem in clinics.items()}


def _check_same_as_serial(
    items: list[BatchItem], clinics: dict[str, Problem], serial: dict[str, Result]
) -> None:
    assert [item.name for item in items] == list(clinics)
    assert [item.index for item in items] == list(range(len(clinics)))
    compared = 0
    for item in items:
        assert item.ok and item.error is None and item.result is not None, item.error
        assert item.problem is clinics[item.name]
        assert validate(item.problem, item.result).ok
        assert item.wall_time_s is not None and item.wall_time_s > 0
        alone = serial[item.name]
        if item.result.stats.get(CUT) or alone.stats.get(CUT):
            continue  # the solver promises the same schedule only when not cut
        assert item.result.assignments == alone.assignments, item.name
        assert item.result.unscheduled == alone.unscheduled
        assert item.result.objective == alone.objective
        compared += 1
    assert compared >= 1, "every run was cut by the wall clock: the machine is overloaded"


# -- solve_many ------------------------------------------------------------------------------


def test_default_process_pool_matches_serial_solves(
    clinics: dict[str, Problem], serial: dict[str, Result]
) -> None:
    seen: list[tuple[str, int, int]] = []
    items = solve_many(
        clinics, OPTIONS, progress=lambda item, done, total: seen.append((item.name, done, total))
    )
    _check_same_as_serial(items, clinics, serial)
    assert sorted(name for name, _, _ in seen) == sorted(clinics)
    assert [(done, total) for _, done, total in seen] == [(1, 3), (2, 3), (3, 3)]


def test_thread_pool_and_bare_problems(
    clinics: dict[str, Problem], serial: dict[str, Result]
) -> None:
    # Bare problems are named by their own name; pairs keep the name given.
    problems = list(clinics.values())
    with ThreadPoolExecutor(2) as pool:
        items = solve_many(problems, OPTIONS, executor=pool)
    assert [item.name for item in items] == [p.name for p in problems]
    renamed = [
        BatchItem(i.index, name, i.problem, i.result, i.error, i.wall_time_s)
        for i, name in zip(items, clinics, strict=True)
    ]
    _check_same_as_serial(renamed, clinics, serial)
    with ThreadPoolExecutor(1) as pool:
        pairs = solve_many([("only", problems[0])], OPTIONS, executor=pool)
    assert [item.name for item in pairs] == ["only"]


def test_local_times_survive_a_daylight_saving_change() -> None:
    # The week of 2026-11-01 (Chicago leaves daylight time): offsets -05:00, then -06:00.
    problem = generate_clinic(
        seed=0, providers=4, exam_rooms=3, procedure_rooms=1, days=3, start=dt.date(2026, 10, 29)
    )
    greedy = SolveOptions(time_limit_s=1, workers=1, use_cpsat=False)
    with ThreadPoolExecutor(1) as pool:
        [item] = solve_many([problem], greedy, executor=pool)
    assert item.result is not None
    expected = solve(problem, greedy).to_frame(problem)
    offsets = {t.utcoffset() for t in expected["start"]}
    assert offsets == {dt.timedelta(hours=-5), dt.timedelta(hours=-6)}
    pd.testing.assert_frame_equal(item.result.to_frame(problem), expected)


def test_a_failing_clinic_does_not_stop_the_others(clinics: dict[str, Problem]) -> None:
    problems = {"first": clinics["clinic-0"], "clash": _clashing(), "last": clinics["clinic-1"]}
    items = solve_many(problems, OPTIONS)
    assert [item.ok for item in items] == [True, False, True]
    failed = items[1]
    assert failed.name == "clash" and not failed.ok and failed.result is None
    assert failed.status == "ERROR"
    assert failed.error is not None and "pinned appointment" in failed.error
    assert "\n" not in failed.error
    frame = batch_frame(items)
    assert list(frame.columns) == BATCH_COLUMNS
    assert frame.loc[1, "status"] == "ERROR" and pd.isna(frame.loc[1, "scheduled"])
    assert frame["scheduled"].dtype == "Int64" and frame["gap"].dtype == "Float64"
    assert pd.isna(frame.loc[0, "error"]) and frame.loc[1, "error"] == failed.error


def test_an_internal_error_message_is_withheld(
    clinics: dict[str, Problem], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An exception other than ProblemError may echo patient data: only its type is told.
    def leaky_solve(problem: Problem, options: SolveOptions | None = None) -> Result:
        if problem.name == "tiny":
            raise ValueError("patient Jane Doe, born 1970-01-01, member id XK-1234")
        return solve(problem, options)

    monkeypatch.setattr(batch_module, "solve", leaky_solve)
    with ThreadPoolExecutor(2) as pool:
        items = solve_many([_clashing(), clinics["clinic-2"]], OPTIONS, executor=pool)
    assert items[1].ok
    error = items[0].error
    assert error is not None and "ValueError" in error
    for secret in ("Jane", "1970", "XK-1234"):
        assert secret not in error


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the patch reaches the pool by forking"
)
def test_a_crashed_process_fails_only_its_clinic(
    clinics: dict[str, Problem], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crashing_solve(problem: Problem, options: SolveOptions | None = None) -> Result:
        if problem.name == "tiny":
            os._exit(3)  # the solver process dies, breaking the pool
        return solve(problem, options)

    monkeypatch.setattr(batch_module, "solve", crashing_solve)
    greedy = SolveOptions(time_limit_s=1, workers=1, use_cpsat=False)
    problems = [
        ("a", clinics["clinic-0"]),
        ("crash", _clashing()),
        ("b", clinics["clinic-1"]),
        ("c", clinics["clinic-2"]),
    ]
    items = solve_many(problems, greedy, max_workers=2)
    assert [item.name for item in items] == ["a", "crash", "b", "c"]
    assert [item.ok for item in items] == [True, False, True, True]
    assert items[1].error is not None and "stopped abruptly" in items[1].error


def test_arguments_are_checked(clinics: dict[str, Problem]) -> None:
    problem = clinics["clinic-0"]
    with pytest.raises(TypeError, match="entry 2 is a str"):
        solve_many([problem, "clinic.json"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="executor"):
        solve_many([problem], executor=object())  # type: ignore[arg-type]
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="max_workers"):
        solve_many([problem], executor=pool, max_workers=2)
    with pytest.raises(ValueError, match="max_workers must be at least 1"):
        solve_many([problem], max_workers=0)
    assert solve_many([]) == []


def test_default_processes_never_oversubscribe() -> None:
    assert default_processes(10, workers=1, cores=8) == 8
    assert default_processes(10, workers=2, cores=8) == 4
    assert default_processes(3, workers=2, cores=8) == 3
    assert default_processes(10, workers=3, cores=8) == 2
    assert default_processes(10, workers=16, cores=8) == 1
    assert 1 <= default_processes(5, workers=1) <= (os.cpu_count() or 1)


def test_write_batch_refuses_unusable_names(clinics: dict[str, Problem], tmp_path: Path) -> None:
    item = BatchItem(0, "a/b", clinics["clinic-0"], None, "failed")
    with pytest.raises(ValueError, match="not a plain folder name"):
        write_batch(tmp_path / "out", [item])
    twice = [BatchItem(i, "same", clinics["clinic-0"], None, "failed") for i in range(2)]
    with pytest.raises(ValueError, match="used more than once"):
        write_batch(tmp_path / "out", twice)
    assert not (tmp_path / "out").exists()


def test_a_clinic_that_now_fails_loses_its_old_outputs(
    clinics: dict[str, Problem], tmp_path: Path
) -> None:
    problem = clinics["clinic-0"]
    out = tmp_path / "out"
    write_batch(out, solve_many({"a": problem, "b": clinics["clinic-1"]}, OPTIONS))
    assert (out / "a" / "schedule.csv").exists()
    (out / "b" / "notes.txt").write_text("kept\n")
    failed = [BatchItem(0, "a", problem, None, "failed"), BatchItem(1, "b", problem, None, "x")]
    write_batch(out, failed)
    assert not (out / "a").exists()  # nothing stale beside its ERROR row
    assert sorted(p.name for p in (out / "b").iterdir()) == ["notes.txt"]
    assert list(pd.read_csv(out / BATCH_SUMMARY)["status"]) == ["ERROR", "ERROR"]


def test_the_package_imports_without_dask() -> None:
    code = (
        "import sys\n"
        "sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import psr_sched, psr_sched.batch, psr_sched.cli\n"
        "assert callable(psr_sched.solve_many)\n"
        "assert 'dask' not in sys.modules or sys.modules['dask'] is None\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


# -- psr-sched batch -------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def input_dir(tmp_path: Path, clinics: dict[str, Problem]) -> Path:
    folder = tmp_path / "clinics"
    folder.mkdir()
    for name, problem in clinics.items():
        (folder / f"{name}.json").write_text(problem.to_json())
    (folder / "notes.txt").write_text("not a problem")
    return folder


_FLAGS = ("--time-limit", "2", "--workers", "1", "--deterministic", "--quiet")


def _check_written(out: Path, names: list[str]) -> pd.DataFrame:
    summary = pd.read_csv(out / BATCH_SUMMARY)
    assert list(summary.columns) == BATCH_COLUMNS
    assert list(summary["name"]) == names
    for row in summary.itertuples():
        if row.status == "ERROR":
            assert not (out / str(row.name)).exists()
            continue
        folder = out / str(row.name)
        assert {p.name for p in folder.iterdir()} == {
            "schedule.csv",
            "unscheduled.csv",
            "summary.json",
        }
        schedule = pd.read_csv(folder / "schedule.csv")
        assert len(schedule) == row.scheduled
        assert json.loads((folder / "summary.json").read_text())["objective"] == row.objective
    return summary


def test_batch_command_writes_every_clinic(
    input_dir: Path, tmp_path: Path, clinics: dict[str, Problem]
) -> None:
    out = tmp_path / "out"
    code, printed, _ = _run("batch", str(input_dir), "--out", str(out), "--jobs", "2", *_FLAGS)
    assert code == 0
    summary = _check_written(out, sorted(clinics))
    assert (summary["status"] != "ERROR").all() and summary["error"].isna().all()
    assert "peak memory (max RSS)" in printed and "wrote 3 clinic folders" in printed
    assert (
        main(["validate", str(input_dir / "clinic-1.json"), str(out / "clinic-1" / "schedule.csv")])
        == 0
    )
    # Exactly the files `psr-sched solve` writes for the clinic alone.
    alone = tmp_path / "alone"
    assert main(["solve", str(input_dir / "clinic-2.json"), "--out", str(alone), *_FLAGS]) == 0
    stats = [
        json.loads((d / "summary.json").read_text())["stats"] for d in (alone, out / "clinic-2")
    ]
    if not any(s.get(CUT) for s in stats):
        for name in ("schedule.csv", "unscheduled.csv"):
            assert (alone / name).read_text() == (out / "clinic-2" / name).read_text()


def test_batch_command_reports_a_failed_clinic(
    input_dir: Path, tmp_path: Path, clinics: dict[str, Problem]
) -> None:
    (input_dir / "clash.json").write_text(_clashing().to_json())
    out = tmp_path / "out"
    code, printed, err = _run("batch", str(input_dir), "--out", str(out), *_FLAGS)
    assert code == 1
    summary = _check_written(out, ["clash", *sorted(clinics)])
    assert summary.loc[0, "status"] == "ERROR"
    assert "pinned appointment" in summary.loc[0, "error"]
    assert "1 of 4 clinics failed" in printed and "Traceback" not in err


def _malformed(folder: Path) -> list[str]:
    (folder / "broken.json").write_text("{")
    return ["batch", str(folder)]


def _clashing_name(folder: Path) -> list[str]:
    (folder / "batch_summary.csv.json").write_text((folder / "clinic-0.json").read_text())
    return ["batch", str(folder)]


def _bad_problem(folder: Path) -> str:
    data = json.loads((folder / "clinic-1.json").read_text())
    data["requests"][0]["visit_type"] = "NOPE"
    (folder / "clinic-1.json").write_text(json.dumps(data))
    return f"clinic-1.json: request {data['requests'][0]['id']}: visit_type: 'NOPE' is unknown"


BAD_RUNS = {
    "missing folder": (lambda d: ["batch", str(d / "none")], "none: no such folder"),
    "no json files": (
        lambda d: ["batch", str(d / "empty")],
        "empty: no *.json problem files",
    ),
    "invalid problem": (lambda d: ["batch", str(d)], _bad_problem),
    "malformed json": (
        _malformed,
        "broken.json: malformed JSON at line 1",
    ),
    "folder name clash": (_clashing_name, "'batch_summary.csv': not a plain folder name"),
    "bad jobs": (lambda d: ["batch", str(d), "--jobs", "0"], "--jobs must be at least 1"),
    "bad workers": (lambda d: ["batch", str(d), "--workers", "0"], "--workers must be at least 1"),
    "jobs with dask": (
        lambda d: ["batch", str(d), "--jobs", "2", "--dask-scheduler", "tcp://127.0.0.1:1"],
        "--jobs sets the local process pool",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_batch_bad_input_exits_2_and_writes_nothing(
    case: str, input_dir: Path, tmp_path: Path
) -> None:
    (input_dir / "empty").mkdir()
    argv, expected = BAD_RUNS[case]
    message = expected(input_dir) if callable(expected) else expected
    out = tmp_path / "out"
    code, printed, err = _run(*argv(input_dir), "--out", str(out), "--quiet")
    assert code == 2
    assert err.startswith("psr-sched: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert printed == ""
    assert not out.exists()


def test_batch_dask_scheduler_without_dask(
    input_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    out = tmp_path / "out"
    code, _, err = _run(
        "batch", str(input_dir), "--out", str(out), "--dask-scheduler", "tcp://127.0.0.1:1"
    )
    assert code == 2 and "pip install 'psr_sched[dask]'" in err
    assert not out.exists()


def test_a_problem_crosses_to_its_worker_unchanged(clinics: dict[str, Problem]) -> None:
    # What makes a batch solve the same as a solve alone: JSON reads back equal.
    for problem in clinics.values():
        assert Problem.model_validate_json(problem.to_json(indent=None)) == problem


# -- Dask (last: its client's threads stay up until the module ends) ------------------------


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_client_and_its_executor(
    dask_client: Any, clinics: dict[str, Problem], serial: dict[str, Result]
) -> None:
    _check_same_as_serial(solve_many(clinics, OPTIONS, executor=dask_client), clinics, serial)
    executor = dask_client.get_executor()
    _check_same_as_serial(solve_many(clinics, OPTIONS, executor=executor), clinics, serial)


def test_dask_failure_stays_with_its_clinic(dask_client: Any, clinics: dict[str, Problem]) -> None:
    items = solve_many(
        {"clash": _clashing(), "ok": clinics["clinic-0"]}, OPTIONS, executor=dask_client
    )
    assert not items[0].ok and items[0].error is not None
    assert "pinned appointment" in items[0].error
    assert items[1].ok


def test_batch_command_on_a_dask_scheduler(
    dask_client: Any, input_dir: Path, tmp_path: Path, clinics: dict[str, Problem]
) -> None:
    out = tmp_path / "out"
    address = dask_client.scheduler.address
    code, printed, _ = _run(
        "batch", str(input_dir), "--out", str(out), "--dask-scheduler", address, *_FLAGS
    )
    assert code == 0, printed
    _check_written(out, sorted(clinics))
    assert "the Dask workers not counted" in printed
