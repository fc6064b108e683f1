"""The schedule as the reports read it: from a Result or a frame, checked against the problem."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from psr_sched import ProblemError
from psr_sched.reporting import schedule_frame
from psr_sched.result import SCHEDULE_COLUMNS

from .clinic import PROBLEM, result, schedule


def test_frame_and_result_read_alike() -> None:
    from_result = schedule_frame(PROBLEM, result())
    from_frame = schedule_frame(PROBLEM, schedule())
    pd.testing.assert_frame_equal(from_result, from_frame)
    assert list(from_frame.columns) == SCHEDULE_COLUMNS
    assert list(from_frame["wait_minutes"]) == [0, 60, 120]
    assert list(from_frame["visit_type"]) == ["V30", "V30", "TEL"]
    assert from_frame["wait_minutes"].dtype == "Int64"
    for column in ("start", "end"):
        assert isinstance(from_frame[column].dtype, pd.DatetimeTZDtype)
        assert str(from_frame[column].dt.tz) == "America/Chicago"


def test_matches_result_to_frame() -> None:
    expected = result().to_frame(PROBLEM)
    got = schedule_frame(PROBLEM, result())
    for column in ("request_id", "patient_id", "visit_type", "provider_id", "room_id"):
        # A virtual visit has no room: None here, missing in either case.
        assert got[column].fillna("").tolist() == expected[column].fillna("").tolist()
    assert list(got["wait_minutes"]) == list(expected["wait_minutes"])
    assert list(got["start"]) == list(expected["start"])


def test_utc_times_are_read_in_the_clinic_zone() -> None:
    frame = schedule()
    frame["start"] = [t.astimezone(dt.UTC) for t in frame["start"]]
    got = schedule_frame(PROBLEM, frame)
    assert got["start"].iloc[0].strftime("%H:%M") == "08:00"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("request_id", "R99", "schedule row 1: request_id: request R99 is unknown"),
        ("request_id", "R2", "schedule row 2: request R2 is scheduled more than once"),
        ("provider_id", "P9", "schedule row 1: provider_id: provider P9 is unknown"),
        ("room_id", "X9", "schedule row 1: room_id: room X9 is unknown"),
        ("start", dt.datetime(2026, 12, 7, 8), "column start: datetime has no UTC offset"),
        ("provider_id", None, "schedule row 1, column provider_id: value is missing"),
    ],
)
def test_bad_rows_are_named(column: str, value: object, message: str) -> None:
    frame = schedule().astype({column: object})
    frame.at[0, column] = value
    with pytest.raises(ProblemError, match=message):
        schedule_frame(PROBLEM, frame)


def test_missing_column() -> None:
    with pytest.raises(ProblemError, match="missing column"):
        schedule_frame(PROBLEM, schedule().drop(columns="end"))
