"""Provider and room utilization, idle gaps: exact minutes on the hand-made clinic."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from builders import make_problem, provider, request, solve_checked
from psr_sched import SolveOptions
from psr_sched.reporting import (
    IDLE_GAP_COLUMNS,
    PROVIDER_UTILIZATION_COLUMNS,
    ROOM_UTILIZATION_COLUMNS,
    idle_gaps,
    provider_utilization,
    room_utilization,
)

from .clinic import PROBLEM, result, schedule

MONDAY, TUESDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


def test_provider_utilization() -> None:
    frame = provider_utilization(PROBLEM, schedule())
    assert list(frame.columns) == PROVIDER_UTILIZATION_COLUMNS
    assert list(zip(frame["provider_id"], frame["date"], strict=True)) == [
        ("P1", MONDAY),
        ("P1", TUESDAY),
        ("P2", MONDAY),
        ("P2", TUESDAY),
    ]
    assert list(frame["available_minutes"]) == [240, 240, 120, 240]
    assert list(frame["booked_minutes"]) == [80, 0, 0, 0]
    assert list(frame["visits"]) == [3, 0, 0, 0]
    assert frame["utilization"].tolist() == pytest.approx([80 / 240, 0.0, 0.0, 0.0])
    assert isinstance(frame["provider_id"].dtype, pd.CategoricalDtype)
    assert list(frame["provider_id"].cat.categories) == ["P1", "P2"]
    for column in ("available_minutes", "booked_minutes", "visits"):
        assert frame[column].dtype == "Int64"
    assert frame["utilization"].dtype == "float64"


def test_provider_without_sessions_has_no_utilization() -> None:
    problem = make_problem(providers=[provider("P1"), provider("P0", session=None)])
    frame = provider_utilization(problem, solve_checked(problem))
    idle = frame[frame["provider_id"] == "P0"]
    assert list(idle["available_minutes"]) == [0]
    assert idle["utilization"].isna().all()


def test_room_utilization() -> None:
    frame = room_utilization(PROBLEM, result())
    assert list(frame.columns) == ROOM_UTILIZATION_COLUMNS
    monday = frame.iloc[0]
    assert (monday["room_id"], monday["room_kind"], monday["date"]) == ("X1", "exam", MONDAY)
    assert monday["open_minutes"] == 720
    assert monday["booked_minutes"] == 60  # R1 and R2; R3 is virtual
    assert monday["turnover_minutes"] == 20
    assert monday["visits"] == 2
    assert monday["utilization"] == pytest.approx(60 / 720)
    assert list(frame["booked_minutes"]) == [60, 0]
    assert isinstance(frame["room_kind"].dtype, pd.CategoricalDtype)


def test_idle_gaps() -> None:
    frame = idle_gaps(PROBLEM, schedule())
    assert list(frame.columns) == IDLE_GAP_COLUMNS
    assert len(frame) == 1  # only P1 on Monday has visits
    row = frame.iloc[0]
    assert (row["provider_id"], row["date"]) == ("P1", MONDAY)
    assert row["first_start"].strftime("%H:%M") == "08:00"
    assert row["last_end"].strftime("%H:%M") == "10:20"
    # Span 08:00-10:20 is 140 minutes, 80 of them busy: idle 08:30-09:00 and 09:30-10:00.
    assert (row["span_minutes"], row["busy_minutes"], row["idle_gap_minutes"]) == (140, 80, 60)
    assert row["gaps"] == 2
    for column in ("first_start", "last_end"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype)
        assert str(frame[column].dt.tz) == "America/Chicago"


def test_idle_gaps_add_up_to_the_objective_term() -> None:
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("13:00", "17:00"))],
        requests=[request(f"R{i}", priority=1 + i % 3) for i in range(10)],
        days=2,
    )
    # Any valid schedule does: its idle_gap term is recomputed by the validator.
    solved = solve_checked(problem, optimal=False, options=SolveOptions(time_limit_s=1, seed=0))
    assert int(idle_gaps(problem, solved)["idle_gap_minutes"].sum()) == solved.terms.idle_gap


def test_empty_schedule_keeps_columns_and_dtypes() -> None:
    empty = schedule().iloc[0:0]
    frame = idle_gaps(PROBLEM, empty)
    assert frame.empty and list(frame.columns) == IDLE_GAP_COLUMNS
    assert isinstance(frame["first_start"].dtype, pd.DatetimeTZDtype)
    assert frame["idle_gap_minutes"].dtype == "Int64"
    assert list(provider_utilization(PROBLEM, empty)["booked_minutes"]) == [0, 0, 0, 0]
