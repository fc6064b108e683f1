"""``psr-sched report PROBLEM.json SCHEDULE_DIR --out DIR``: files written, or none on bad input."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest

from builders import at, desk, make_problem, provider, request, room, solve_checked, visit_type
from psr_sched import ProblemError, SolveOptions
from psr_sched.cli import main, write_outputs

TABLES = [
    "access_wait.csv",
    "equity_access_wait.csv",
    "front_desk_load.csv",
    "idle_gaps.csv",
    "provider_utilization.csv",
    "room_utilization.csv",
    "third_next_available.csv",
    "unscheduled_by_reason.csv",
]
PLOTS = [
    "access_wait_histogram.png",
    "provider_gantt_2026-12-07.png",
    "provider_gantt_2026-12-08.png",
    "provider_utilization.png",
    "room_gantt_2026-12-07.png",
    "room_gantt_2026-12-08.png",
    "room_utilization.png",
]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small solved problem written as ``psr-sched solve`` writes it, with problem.json."""
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("13:00", "17:00"))],
        rooms=[room("X1", turnover=10), room("X2")],
        visit_types=[
            visit_type("V30", 30, room_kind="exam", check_in=10),
            visit_type("TEL", 20),
            visit_type("PRC", 30, skill="surgery"),
        ],
        requests=[
            *(request(f"R{i}", "V30", payer="MEDICARE" if i % 2 else None) for i in range(6)),
            *(request(f"R{i}", "V30", earliest=at("08:00", 1)) for i in range(6, 8)),
            *(request(f"T{i}", "TEL", priority=3) for i in range(4)),
            request("U1", "PRC"),  # nobody has the skill: NO_SKILLED_PROVIDER
        ],
        front_desk=desk(("07:30", "17:00", 1)),
        days=2,
    )
    # Any valid schedule does: the report is checked, not the solver.
    result = solve_checked(problem, optimal=False, options=SolveOptions(time_limit_s=1, seed=0))
    folder = tmp_path_factory.mktemp("solved") / "run"
    write_outputs(folder, problem, result, with_problem=True)
    return folder


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_report_writes_every_table_and_plot(solved: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    status, printed, _ = run("report", str(solved / "problem.json"), str(solved), "--out", str(out))
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(TABLES + PLOTS)
    assert "wrote 8 tables and 7 plots" in printed
    for name in PLOTS:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    schedule = pd.read_csv(solved / "schedule.csv")
    providers = pd.read_csv(out / "provider_utilization.csv")
    assert providers["visits"].sum() == len(schedule)
    tnaa = pd.read_csv(out / "third_next_available.csv", dtype=str, keep_default_na=False)
    assert tnaa["as_of"].iloc[0] == "2026-12-07T00:00:00-06:00"
    reasons = pd.read_csv(out / "unscheduled_by_reason.csv")
    assert reasons["requests"].sum() + len(schedule) == 13
    assert reasons.loc[reasons["reason"] == "NO_SKILLED_PROVIDER", "requests"].item() == 1
    assert reasons.loc[reasons["reason"] == "UNLISTED", "requests"].item() == 0


def test_collections_csv_adds_collections_by_day(solved: Path, tmp_path: Path) -> None:
    folder = tmp_path / "with_collections"
    folder.mkdir()
    for name in ("schedule.csv", "unscheduled.csv"):
        (folder / name).write_bytes((solved / name).read_bytes())
    (folder / "collections.csv").write_text(
        "date,patient_id,request_id,expected_patient_amount,prior_balance\n"
        "2026-12-07,pt-R0,R0,25.00,10.10\n"
        "2026-12-07,pt-R1,R1,0.10,0.00\n"
    )
    out = tmp_path / "report"
    status, _, _ = run("report", str(solved / "problem.json"), str(folder), "--out", str(out))
    assert status == 0
    text = (out / "collections_by_day.csv").read_text()
    assert text.splitlines() == [
        "date,visits,patients,expected_patient_amount,prior_balance",
        "2026-12-07,2,2,25.10,10.10",
    ]


def test_collections_verify_coverage_column(solved: Path, tmp_path: Path) -> None:
    from psr_sched import load_problem
    from psr_sched.reporting.report import read_schedule_dir

    problem = load_problem(solved / "problem.json")
    folder = tmp_path / "flags"
    folder.mkdir()
    (folder / "schedule.csv").write_bytes((solved / "schedule.csv").read_bytes())
    header = "date,patient_id,request_id,expected_patient_amount,prior_balance"
    (folder / "collections.csv").write_text(
        f"{header},verify_coverage\n2026-12-07,pt-R0,R0,25.00,0.00,True\n"
        "2026-12-07,pt-R1,R1,0.10,0.00,False\n"
    )
    worklist = read_schedule_dir(folder, problem).worklist
    assert worklist is not None and list(worklist["verify_coverage"]) == [True, False]
    # A file written before the column existed reads as all False.
    (folder / "collections.csv").write_text(f"{header}\n2026-12-07,pt-R0,R0,25.00,0.00\n")
    worklist = read_schedule_dir(folder, problem).worklist
    assert worklist is not None and list(worklist["verify_coverage"]) == [False]
    (folder / "collections.csv").write_text(
        f"{header},verify_coverage\n2026-12-07,pt-R0,R0,25.00,0.00,maybe\n"
    )
    with pytest.raises(ProblemError, match="row 1 \\(line 2\\), column verify_coverage"):
        read_schedule_dir(folder, problem)


def bad_folder(tmp_path: Path, schedule: str) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "schedule.csv").write_text(schedule)
    return folder


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no folder", "not a folder"),
        ("unknown request", "request_id: request R99 is unknown"),
        ("missing column", "schedule.csv: missing column(s) end"),
        ("bad problem", "malformed JSON"),
        ("bad collections", "collections.csv: row 1 (line 2), column prior_balance"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    case: str, message: str, solved: Path, tmp_path: Path
) -> None:
    problem_path = solved / "problem.json"
    folder = solved
    if case == "no folder":
        folder = tmp_path / "nowhere"
    elif case == "unknown request":
        text = (solved / "schedule.csv").read_text().replace("R0,", "R99,", 1)
        folder = bad_folder(tmp_path, text)
    elif case == "missing column":
        folder = bad_folder(tmp_path, "request_id,provider_id,room_id,start\n")
    elif case == "bad problem":
        problem_path = tmp_path / "problem.json"
        problem_path.write_text("{not json")
    else:
        folder = bad_folder(tmp_path, (solved / "schedule.csv").read_text())
        (folder / "collections.csv").write_text(
            "date,patient_id,request_id,expected_patient_amount,prior_balance\n"
            "2026-12-07,pt-R0,R0,25.00,ten dollars\n"
        )
    out = tmp_path / "report"
    status, printed, err = run("report", str(problem_path), str(folder), "--out", str(out))
    assert status == 2
    assert message in err
    assert err.startswith("psr-sched: error:") and len(err.strip().splitlines()) == 1
    assert not out.exists()
    assert printed == ""
