"""End-to-end tests of the ``psr-sched`` command: demo, solve, validate, schema, bad input."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from psr_sched import load_problem, validate
from psr_sched.cli import main
from psr_sched.demo import generate_clinic
from psr_sched.validate import read_schedule_csv


@pytest.fixture(scope="module")
def small_problem_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    problem = generate_clinic(seed=3, providers=6, exam_rooms=4, procedure_rooms=1, days=2)
    path = tmp_path_factory.mktemp("problem") / "problem.json"
    path.write_text(problem.to_json())
    return path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's output folder and what it printed."""
    out = tmp_path_factory.mktemp("demo") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(out), "--time-limit", "4", "--quiet"]) == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def demo_out(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


def test_demo_writes_problem_and_results(demo_out: Path) -> None:
    names = sorted(p.name for p in demo_out.iterdir())
    assert names == [
        "collections.csv",
        "problem.json",
        "schedule.csv",
        "summary.json",
        "unscheduled.csv",
    ]
    problem = load_problem(demo_out / "problem.json")
    schedule = pd.read_csv(demo_out / "schedule.csv")
    unscheduled = pd.read_csv(demo_out / "unscheduled.csv")
    # Nothing is lost: every request is in exactly one of the two files.
    ids = list(schedule["request_id"]) + list(unscheduled["request_id"])
    assert sorted(ids) == sorted(r.id for r in problem.requests)
    assert unscheduled["reason"].notna().all() and (unscheduled["message"].str.len() > 0).all()
    summary = json.loads((demo_out / "summary.json").read_text())
    assert summary["scheduled"] == len(schedule)
    assert summary["unscheduled"] == len(unscheduled)
    assert summary["objective"] <= summary["baseline_objective"]


def test_demo_collections_csv(demo_out: Path) -> None:
    collections = pd.read_csv(demo_out / "collections.csv", dtype=str, keep_default_na=False)
    assert list(collections.columns) == [
        "date",
        "patient_id",
        "request_id",
        "expected_patient_amount",
        "prior_balance",
        "verify_coverage",
    ]
    assert set(collections["verify_coverage"]) == {"False"}  # the demo's answers all say
    schedule = pd.read_csv(demo_out / "schedule.csv", dtype=str)
    # One row per scheduled visit, with the visit's patient and local date.
    assert len(collections) == len(schedule)
    assert sorted(collections["request_id"]) == sorted(schedule["request_id"])
    visits = schedule.set_index("request_id")
    for row in collections.itertuples():
        assert row.patient_id == visits.loc[row.request_id, "patient_id"]
        assert visits.loc[row.request_id, "start"].startswith(row.date)
    assert collections["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    for column in ("expected_patient_amount", "prior_balance"):
        assert collections[column].str.fullmatch(r"-?\d+\.\d{2}").all(), column
    assert (collections["expected_patient_amount"].map(Decimal) >= 0).all()
    assert (collections["expected_patient_amount"].map(Decimal) > 0).any()
    # A prior balance shows once per patient and day; some patients owe over $200.
    owing = collections[collections["prior_balance"] != "0.00"]
    assert not owing.duplicated(["date", "patient_id"]).any()
    assert (owing["prior_balance"].map(Decimal) > Decimal(200)).any()


def test_demo_unscheduled_shows_intake_reasons(demo_out: Path) -> None:
    problem = load_problem(demo_out / "problem.json")
    unscheduled = pd.read_csv(demo_out / "unscheduled.csv")
    reasons = set(unscheduled["reason"])
    assert {"COVERAGE_INACTIVE", "AUTH_PENDING", "OUT_OF_NETWORK"} <= reasons
    # The problem written is the one with intake facts and counselling visits.
    assert any(r.visit_type == "FINCOUNSEL" for r in problem.requests)
    assert any(r.facts.authorization_expected is not None for r in problem.requests)


def test_demo_prints_collections(demo_run: tuple[Path, str]) -> None:
    out, printed = demo_run
    collections = pd.read_csv(out / "collections.csv", dtype=str)
    expected = sum(collections["expected_patient_amount"].map(Decimal), Decimal("0.00"))
    line = next(s for s in printed.splitlines() if s.startswith("time-of-service collections"))
    assert f"${expected:,.2f}" in line and f"over {len(collections):,} visits" in line
    line = next(s for s in printed.splitlines() if s.startswith("financial counselling visits"))
    problem = load_problem(out / "problem.json")
    requested = sum(r.visit_type == "FINCOUNSEL" for r in problem.requests)
    assert line.endswith(f"scheduled of {requested}") and requested > 0
    assert "COVERAGE_INACTIVE" in printed and "AUTH_PENDING" in printed


def test_demo_schedule_validates_from_files(demo_out: Path) -> None:
    problem = load_problem(demo_out / "problem.json")
    frame = read_schedule_csv(demo_out / "schedule.csv", problem)
    report = validate(problem, frame)
    assert report.ok, report.violations[:3]
    summary = json.loads((demo_out / "summary.json").read_text())
    assert report.objective(problem.weights) == summary["objective"]
    assert main(["validate", str(demo_out / "problem.json"), str(demo_out / "schedule.csv")]) == 0


def test_validate_rejects_a_broken_schedule(demo_out: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(demo_out / "schedule.csv")
    frame.loc[1, "provider_id"] = frame.loc[0, "provider_id"]
    frame.loc[1, "start"] = frame.loc[0, "start"]
    frame.loc[1, "end"] = frame.loc[0, "end"]
    broken = tmp_path / "schedule.csv"
    frame.to_csv(broken, index=False)
    assert main(["validate", str(demo_out / "problem.json"), str(broken)]) == 1


def test_solve_writes_outputs(small_problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        ["solve", str(small_problem_file), "--out", str(out), "--time-limit", "3", "--quiet"]
    )
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"schedule.csv", "unscheduled.csv", "summary.json"}
    assert main(["validate", str(small_problem_file), str(out / "schedule.csv")]) == 0


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "requests" in schema["properties"]
    assert schema["additionalProperties"] is False


def _mutated(path: Path, change: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    change(data)
    return data


def _first_request(data: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = data["requests"][0]
    return request


BAD_INPUTS = {
    "unknown visit type": (
        lambda d: _first_request(d).update(visit_type="NOPE"),
        ["visit_type", "NOPE"],
    ),
    "duplicate request id": (
        lambda d: d["requests"][1].update(id=d["requests"][0]["id"]),
        ["id is used 2 times"],
    ),
    "window ends before it starts": (
        lambda d: _first_request(d).update(latest=_first_request(d)["earliest"]),
        ["latest"],
    ),
    "non-positive duration": (
        lambda d: d["visit_types"][0].update(duration_minutes=0),
        ["duration_minutes", "greater than 0"],
    ),
    "naive datetime": (
        lambda d: _first_request(d).update(earliest="2026-12-07T08:00:00"),
        ["earliest", "timezone"],
    ),
    "empty horizon": (
        lambda d: d["horizon"].update(closed_weekdays=[0, 1, 2, 3, 4, 5, 6]),
        ["horizon", "no open date"],
    ),
    "unknown provider in preferences": (
        lambda d: _first_request(d).update(preferred_provider_ids=["GHOST"]),
        ["preferred_provider_ids", "GHOST"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_error(
    case: str, small_problem_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, expected = BAD_INPUTS[case]
    data = _mutated(small_problem_file, change)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    out = tmp_path / "out"
    assert main(["solve", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("psr-sched: error:")
    for fragment in expected:
        assert fragment in err
    assert "Traceback" not in err
    if "request" in case or "window" in case or "datetime" in case:
        assert f"request {data['requests'][0]['id']}" in err
    assert not out.exists()


def test_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"horizon": ')
    assert main(["solve", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "malformed JSON at line 1" in err
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(tmp_path / "none.json"), "--out", str(tmp_path / "out")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_console_script_exit_status_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    run = subprocess.run(
        [sys.executable, "-m", "psr_sched", "solve", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == "psr-sched: error: a problem file must hold a JSON object"
