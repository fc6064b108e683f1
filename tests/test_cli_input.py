"""Bad files and bad options are refused up front: one line, exit status 2, nothing written.

Each test here states a promise of the command line that a new user once found broken:
a file that is not UTF-8 text, a non-finite time limit, an output location that cannot be
written (found out only after the whole solve), a knock-on error after a duplicate id.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import psr_sched.cli as cli
from psr_sched import ProblemError, SolveOptions, load_problem
from psr_sched.cli import main, write_outputs
from psr_sched.demo import generate_clinic
from psr_sched.intake.fhir import read_fhir_eligibility
from psr_sched.intake.x12 import read_271
from psr_sched.io import decode_text, read_text
from psr_sched.io.tables import read_csv_strings
from psr_sched.solver import solve

#: Text that is valid Latin-1 but not UTF-8 ("é" as one byte), and bytes of no text at all.
LATIN_1 = '{"name": "Clinique Vétérinaire"}'.encode("latin-1")
BINARY = bytes(range(256))


def run(*argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``psr-sched ARGV`` (argparse's exit included)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse refuses an option this way
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small problem and its schedule as ``psr-sched solve`` writes them."""
    problem = generate_clinic(seed=5, providers=3, exam_rooms=2, procedure_rooms=1, days=1)
    folder = tmp_path_factory.mktemp("clinic")
    result = solve(problem, SolveOptions(time_limit_s=1, workers=1, use_cpsat=False))
    write_outputs(folder / "run", problem, result, with_problem=True)
    return folder / "run"


def _nothing_in(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


# -- 1. files that are not UTF-8 text ------------------------------------------------------


@pytest.mark.parametrize("content", [LATIN_1, BINARY], ids=["latin-1", "binary"])
def test_solve_refuses_a_problem_that_is_not_utf8(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "export.json"
    bad.write_bytes(content)
    out = tmp_path / "out"
    status, printed, err = run("solve", str(bad), "--out", str(out), "--quiet")
    assert status == 2
    assert err == f"psr-sched: error: {bad}: the file is not UTF-8 text\n"
    assert printed == ""
    assert not out.exists()


def test_validate_refuses_files_that_are_not_utf8(clinic: Path, tmp_path: Path) -> None:
    bad_problem = tmp_path / "problem.json"
    bad_problem.write_bytes(LATIN_1)
    status, _, err = run("validate", str(bad_problem), str(clinic / "schedule.csv"))
    assert (status, err) == (2, f"psr-sched: error: {bad_problem}: the file is not UTF-8 text\n")
    bad_schedule = tmp_path / "schedule.csv"
    bad_schedule.write_bytes(BINARY)
    status, _, err = run("validate", str(clinic / "problem.json"), str(bad_schedule))
    assert (status, err) == (2, f"psr-sched: error: {bad_schedule}: the file is not UTF-8 text\n")


def test_batch_refuses_a_problem_that_is_not_utf8(clinic: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clinics"
    folder.mkdir()
    (folder / "a.json").write_text((clinic / "problem.json").read_text())
    (folder / "b.json").write_bytes(LATIN_1)
    out = tmp_path / "out"
    status, printed, err = run("batch", str(folder), "--out", str(out), "--quiet")
    assert status == 2
    assert err == f"psr-sched: error: {folder / 'b.json'}: the file is not UTF-8 text\n"
    assert printed == ""
    assert not out.exists()


def test_one_reader_for_every_user_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes(LATIN_1)
    with pytest.raises(ProblemError, match=r"latin\.txt: the file is not UTF-8 text$"):
        read_text(latin)
    with pytest.raises(ProblemError, match=r"^cannot read .*none\.txt: no such file"):
        read_text(tmp_path / "none.txt")
    with pytest.raises(ProblemError, match=r"^cannot read .*: is a directory"):
        read_text(tmp_path)
    # A byte-order mark, as spreadsheet programs write it, is not part of the text.
    assert decode_text("\ufeffa,b\n".encode(), "x.csv") == "a,b\n"
    with pytest.raises(ProblemError, match=r"latin\.txt: the file is not UTF-8 text"):
        read_csv_strings(latin)
    with pytest.raises(ProblemError, match=r"latin\.txt: the file is not UTF-8 text"):
        load_problem(latin)
    # Intake files given as bytes go through the same decoding.
    with pytest.raises(ProblemError, match="the file is not UTF-8 text"):
        read_fhir_eligibility(LATIN_1, patient_id="PT1")
    with pytest.raises(ProblemError, match="271: the file is not UTF-8 text"):
        read_271(b"ISA*00*\xe9")


def test_csv_reader_names_a_repeated_column(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    path.write_text('request_id,"room_id",room_id\nR1,E1,E2\n')
    with pytest.raises(ProblemError, match=r"column\(s\) room_id appear more than once"):
        read_csv_strings(path)


# -- 2. numeric options are finite --------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3", "soon"])
@pytest.mark.parametrize("command", ["solve", "demo", "batch", "whatif"])
def test_time_limit_must_be_a_positive_finite_number(
    command: str, value: str, clinic: Path, tmp_path: Path
) -> None:
    target = {
        "solve": [str(clinic / "problem.json")],
        "demo": [],
        "batch": [str(clinic)],
        "whatif": [str(tmp_path / "scenarios.yaml")],
    }[command]
    out = tmp_path / "out"
    status, printed, err = run(command, *target, "--out", str(out), f"--time-limit={value}")
    assert status == 2
    assert "argument --time-limit: expected a" in err and repr(value) in err
    assert "Traceback" not in err and printed == ""
    assert not out.exists()


@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -1.0])
def test_solve_options_refuse_a_time_limit_that_is_not_positive_and_finite(value: float) -> None:
    with pytest.raises(ValueError, match="time_limit_s must be a positive number"):
        SolveOptions(time_limit_s=value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.1])
def test_solve_options_refuse_a_bad_relative_gap(value: float) -> None:
    with pytest.raises(ValueError, match="relative_gap must be a non-negative number"):
        SolveOptions(relative_gap=value)


# -- 3. the output location is checked before any work -------------------------------------


@pytest.fixture
def no_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any solve fail loudly: the commands below must stop before they solve."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the command solved before checking its output location")

    monkeypatch.setattr(cli, "solve", refuse)
    monkeypatch.setattr("psr_sched.scenarios.compare", refuse)
    monkeypatch.setattr("psr_sched.batch.solve_many", refuse)


def _out_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Output locations that cannot be folders, and what the message says of each."""
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a folder\n")
    return {
        "a file": (a_file, f"{a_file}: exists and is not a folder"),
        "below a file": (a_file / "out", f"{a_file / 'out'}: {a_file} is not a folder"),
    }


@pytest.mark.parametrize("case", ["a file", "below a file"])
@pytest.mark.parametrize("command", ["solve", "demo", "batch", "whatif", "report"])
def test_unwritable_out_is_refused_before_solving(
    command: str, case: str, clinic: Path, tmp_path: Path, no_solving: None
) -> None:
    out, message = _out_cases(tmp_path)[case]
    scenarios = tmp_path / "scenarios.json"
    scenarios.write_text(
        json.dumps({"base": str(clinic / "problem.json"), "scenarios": [{"name": "same"}]})
    )
    clinics = tmp_path / "clinics"
    clinics.mkdir()
    (clinics / "a.json").write_text((clinic / "problem.json").read_text())
    argv = {
        "solve": ["solve", str(clinic / "problem.json")],
        "demo": ["demo"],
        "batch": ["batch", str(clinics)],
        "whatif": ["whatif", str(scenarios)],
        "report": ["report", str(clinic / "problem.json"), str(clinic)],
    }[command]
    quiet = ["--quiet"] if command in ("solve", "demo", "batch") else []
    status, printed, err = run(*argv, "--out", str(out), *quiet)
    assert status == 2, err
    assert err == f"psr-sched: error: {message}\n"
    assert printed == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file.txt", "clinics", "scenarios.json"]


def test_a_writable_out_is_left_as_it_was(clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper"
    cli._check_out(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- 6. one root cause, one message -------------------------------------------------------


def test_duplicate_request_id_is_reported_once_without_knock_on(
    clinic: Path, tmp_path: Path
) -> None:
    data = json.loads((clinic / "problem.json").read_text())
    placed = pd.read_csv(clinic / "schedule.csv", dtype=str, keep_default_na=False).iloc[0]
    ids = [r["id"] for r in data["requests"]]
    pinned, other = placed["request_id"], next(i for i in ids if i != placed["request_id"])
    data["pinned"] = [
        {
            "request_id": pinned,
            "provider_id": placed["provider_id"],
            "room_id": placed["room_id"] or None,
            "start": placed["start"],
            "locked": True,
        }
    ]
    # The pinned request takes another's id: the pin's request is then "unknown", a
    # knock-on error that used to follow the real cause.
    data["requests"][ids.index(pinned)]["id"] = other
    bad = tmp_path / "dup.json"
    bad.write_text(json.dumps(data))
    status, _, err = run("solve", str(bad), "--out", str(tmp_path / "out"), "--quiet")
    assert status == 2
    assert err == f"psr-sched: error: request {other}: id is used 2 times\n"


def test_one_violation_is_singular(clinic: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(clinic / "schedule.csv", dtype=str)
    # One row names another patient than its request's: exactly one violation.
    frame.loc[0, "patient_id"] = frame.loc[1, "patient_id"]
    broken = tmp_path / "schedule.csv"
    frame.to_csv(broken, index=False)
    status, _, err = run("validate", str(clinic / "problem.json"), str(broken))
    assert status == 1
    assert err.splitlines()[0] == "invalid: 1 violation"
