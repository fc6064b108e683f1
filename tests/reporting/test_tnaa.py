"""Third next available appointment, computed by hand on the tiny clinic.

Monday's bookings (module :mod:`clinic`): P1 08:00-08:30 and 09:00-09:30 in X1 (10 minutes of
turnover each: X1 is taken until 08:40 and 09:40), P1 10:00-10:20 virtual.  P2 is away from
10:00 on Monday.  X1 is the only exam room.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from builders import at, make_problem, provider, visit_type
from psr_sched import Horizon, Problem, build_problem
from psr_sched.reporting import TNAA_COLUMNS, third_next_available

from .clinic import PROBLEM, schedule


def slots(frame: pd.DataFrame, pid: str, code: str) -> tuple[str, str, int | None, int]:
    row = frame[(frame["provider_id"] == pid) & (frame["visit_type"] == code)].iloc[0]
    first, third = row["first_available"], row["third_available"]
    tnaa = None if pd.isna(row["tnaa_days"]) else int(row["tnaa_days"])
    show = "%a %H:%M"
    return first.strftime(show), third.strftime(show), tnaa, int(row["open_slots"])


def test_tnaa_counts_provider_room_and_turnover() -> None:
    frame = third_next_available(PROBLEM, schedule())
    assert list(frame.columns) == TNAA_COLUMNS
    # V30 with P1: 08:30 and 09:30 are free for P1 but X1 is still in turnover (and needs
    # its own 10 minutes before 09:00); slots at 10:20, 10:50, 11:20, then Tuesday's eight.
    assert slots(frame, "P1", "V30") == ("Mon 10:20", "Mon 11:20", 0, 3 + 8)
    # TEL with P1 needs no room: 08:30, 09:30, 10:20 (08:50 would run into 09:00).
    # Monday: 08:30 09:30 10:20 10:40 11:00 11:20 11:40; Tuesday twelve.
    assert slots(frame, "P1", "TEL") == ("Mon 08:30", "Mon 10:20", 0, 7 + 12)
    # V30 with P2 on Monday (08:00-10:00): X1 is never free for 30 + 10 minutes in time.
    assert slots(frame, "P2", "V30") == ("Tue 08:00", "Tue 09:00", 1, 8)


def test_tnaa_from_as_of() -> None:
    frame = third_next_available(PROBLEM, schedule(), as_of=at("11:00"), visit_types=["V30"])
    assert set(frame["visit_type"]) == {"V30"}
    assert slots(frame, "P1", "V30") == ("Mon 11:00", "Tue 08:00", 1, 2 + 8)
    assert frame["as_of"].iloc[0] == pd.Timestamp(at("11:00"))


def test_fewer_than_three_slots_leave_tnaa_missing() -> None:
    frame = third_next_available(PROBLEM, schedule(), as_of=at("11:00", 1), visit_types=["V30"])
    row = frame[frame["provider_id"] == "P1"].iloc[0]
    assert row["first_available"].strftime("%a %H:%M") == "Tue 11:00"
    assert pd.isna(row["third_available"]) and pd.isna(row["tnaa_days"])
    assert row["open_slots"] == 2


def test_dtypes() -> None:
    frame = third_next_available(PROBLEM, schedule())
    for column in ("as_of", "first_available", "third_available"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype)
        assert str(frame[column].dt.tz) == "America/Chicago"
    for column in ("duration_minutes", "tnaa_days", "open_slots"):
        assert frame[column].dtype == "Int64"
    assert isinstance(frame["provider_id"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["visit_type"].dtype, pd.CategoricalDtype)


def test_only_skilled_providers_and_max_visits_per_day() -> None:
    problem = make_problem(
        providers=[provider("P1", max_visits_per_day=3), provider("P2", skills=["proc"])],
        visit_types=[
            visit_type("V30", 30, room_kind="exam", check_in=10),
            visit_type("TEL", 20),
            visit_type("PRC", 60, skill="proc"),
        ],
        requests=PROBLEM.requests,
        days=2,
    )
    frame = third_next_available(problem, schedule().assign(room_id=None))
    pairs = set(zip(frame["provider_id"], frame["visit_type"], strict=True))
    assert ("P1", "PRC") not in pairs and ("P2", "PRC") in pairs
    # P1 already has three visits on Monday: its first slot is on Tuesday.
    assert slots(frame, "P1", "TEL")[0] == "Tue 08:00"


def test_calendar_days_across_a_weekend_and_daylight_saving() -> None:
    # Friday 2026-03-06 to Monday 2026-03-09 in Chicago: clocks spring forward on Sunday.
    data = PROBLEM.model_dump()
    data["horizon"] = Horizon(
        start=dt.date(2026, 3, 6), end=dt.date(2026, 3, 9), timezone="America/Chicago"
    )
    data["requests"] = []
    problem: Problem = build_problem(data)
    friday = problem.horizon.local(dt.date(2026, 3, 6), dt.time(8))
    busy = pd.DataFrame(
        {
            "request_id": [],
            "provider_id": [],
            "room_id": [],
            "start": pd.Series([], dtype=object),
            "end": pd.Series([], dtype=object),
        }
    )
    frame = third_next_available(problem, busy, as_of=friday + dt.timedelta(hours=3))
    # From Friday 11:00: P1's V30 slots at 11:00 and 11:30, then Monday 08:00.
    assert slots(frame, "P1", "V30") == ("Fri 11:00", "Mon 08:00", 3, 2 + 8)
    monday = frame["third_available"].iloc[0]
    assert monday.utcoffset() == dt.timedelta(hours=-5)  # daylight time from Sunday


def test_unknown_visit_type_and_naive_as_of() -> None:
    with pytest.raises(ValueError, match="visit type 'NOPE' is unknown"):
        third_next_available(PROBLEM, schedule(), visit_types=["NOPE"])
    with pytest.raises(ValueError, match="as_of"):
        third_next_available(PROBLEM, schedule(), as_of=dt.datetime(2026, 12, 7, 8))
