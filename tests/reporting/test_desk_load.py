"""Front-desk arrivals and check-in load per 15 minutes."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import at, desk, make_problem, provider, request, room, visit_type
from psr_sched.reporting import FRONT_DESK_COLUMNS, front_desk_load

from .clinic import PROBLEM, schedule


def by_bin(frame: pd.DataFrame) -> dict[str, tuple[object, ...]]:
    """Local ``HH:MM`` of the bin start → (arrivals, minutes, peak, stations, over)."""
    return {
        row["bin_start"].strftime("%H:%M"): (
            row["arrivals"],
            row["check_in_minutes"],
            row["peak_check_ins"],
            row["stations"],
            row["over_capacity"],
        )
        for row in frame.to_dict("records")
    }


def test_load_per_15_minutes() -> None:
    frame = front_desk_load(PROBLEM, schedule())
    assert list(frame.columns) == FRONT_DESK_COLUMNS
    # One station 07:30-12:00: eighteen bins on Monday, eighteen on Tuesday (no visits).
    assert len(frame) == 36
    monday = by_bin(frame[frame["date"] == frame["date"].iloc[0]])
    # R1's check-in 07:50-08:00 and R2's 08:50-09:00; R3 is virtual, no check-in.
    assert monday["07:30"] == (0, 0, 0, 1, False)
    assert monday["07:45"] == (1, 10, 1, 1, False)
    assert monday["08:00"] == (0, 0, 0, 1, False)
    assert monday["08:45"] == (1, 10, 1, 1, False)
    assert monday["11:45"] == (0, 0, 0, 1, False)
    first = frame.iloc[1]
    assert first["station_minutes"] == 15
    assert first["desk_load"] == pytest.approx(10 / 15)
    assert frame["arrivals"].sum() == 2
    assert frame["check_in_minutes"].sum() == 20


def test_overlapping_check_ins_over_one_station() -> None:
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        rooms=[room("X1"), room("X2")],
        visit_types=[visit_type("V30", 30, room_kind="exam", check_in=10)],
        requests=[request("R1", "V30"), request("R2", "V30")],
        front_desk=desk(("07:45", "09:00", 1)),
    )
    busy = pd.DataFrame(
        {
            "request_id": ["R1", "R2"],
            "provider_id": ["P1", "P2"],
            "room_id": ["X1", "X2"],
            "start": [at("08:00"), at("08:05")],
            "end": [at("08:30"), at("08:35")],
        }
    )
    got = by_bin(front_desk_load(problem, busy))
    # Holds 07:50-08:00 and 07:55-08:05: two at once from 07:55 with one station.
    assert got["07:45"] == (2, 15, 2, 1, True)
    assert got["08:00"] == (0, 5, 1, 1, False)
    assert list(got) == ["07:45", "08:00", "08:15", "08:30", "08:45"]


def test_without_a_front_desk_stations_are_missing() -> None:
    data = PROBLEM.model_dump()
    data["front_desk"] = None
    problem = type(PROBLEM).model_validate(data)
    frame = front_desk_load(problem, schedule(), bin_minutes=30)
    # Only the bins holding a check-in: 07:30-08:00 and 08:30-09:00 are the first and
    # last minutes active, so 07:30 to 09:00 in three 30-minute bins.
    assert [t.strftime("%H:%M") for t in frame["bin_start"]] == ["07:30", "08:00", "08:30"]
    assert frame["stations"].isna().all() and frame["over_capacity"].isna().all()
    assert frame["desk_load"].isna().all()
    assert list(frame["arrivals"]) == [1, 0, 1]


def test_dtypes() -> None:
    frame = front_desk_load(PROBLEM, schedule())
    for column in ("bin_start", "bin_end"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype)
        assert str(frame[column].dt.tz) == "America/Chicago"
    for column in ("arrivals", "check_in_minutes", "peak_check_ins", "stations"):
        assert frame[column].dtype == "Int64"
    assert frame["over_capacity"].dtype == "boolean"
    assert frame["desk_load"].dtype == "float64"
    with pytest.raises(ValueError, match="bin_minutes"):
        front_desk_load(PROBLEM, schedule(), bin_minutes=0)
