"""Unscheduled requests by reason code."""

from __future__ import annotations

import pandas as pd
import pytest

from psr_sched import ProblemError, ReasonCode
from psr_sched.reporting import UNLISTED, UNSCHEDULED_COLUMNS, unscheduled_counts

from .clinic import PROBLEM, UNSCHEDULED, result, schedule


def counts(frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    return {
        str(r): (int(n), int(p))
        for r, n, p in zip(frame["reason"], frame["requests"], frame["priority"], strict=True)
        if n
    }


def test_reasons_from_the_result() -> None:
    frame = unscheduled_counts(PROBLEM, result())
    assert list(frame.columns) == UNSCHEDULED_COLUMNS
    assert list(frame["reason"]) == [code.value for code in ReasonCode] + [UNLISTED]
    assert counts(frame) == {"NO_CAPACITY_IN_WINDOW": (1, 1)}
    assert isinstance(frame["reason"].dtype, pd.CategoricalDtype)
    assert frame["requests"].dtype == "Int64" and frame["priority"].dtype == "Int64"


def test_reasons_from_a_frame_and_unlisted_requests() -> None:
    assert counts(unscheduled_counts(PROBLEM, schedule(), UNSCHEDULED)) == {
        "NO_CAPACITY_IN_WINDOW": (1, 1)
    }
    # Without the list, R4 is neither scheduled nor listed.
    assert counts(unscheduled_counts(PROBLEM, schedule())) == {UNLISTED: (1, 1)}
    # Dropping R2 from the schedule leaves it unlisted, with its priority 5.
    partial = schedule().iloc[[0, 2]]
    assert counts(unscheduled_counts(PROBLEM, partial, UNSCHEDULED)) == {
        "NO_CAPACITY_IN_WINDOW": (1, 1),
        UNLISTED: (1, 5),
    }


@pytest.mark.parametrize(
    ("request_id", "reason", "message"),
    [
        ("R99", "NO_CAPACITY_IN_WINDOW", "request R99 is unknown"),
        ("R4", "TOO_BUSY", "'TOO_BUSY' is not a reason code"),
        ("R1", "NO_CAPACITY_IN_WINDOW", "request R1 is also scheduled"),
    ],
)
def test_bad_lists(request_id: str, reason: str, message: str) -> None:
    listed = pd.DataFrame({"request_id": [request_id], "reason": [reason]})
    with pytest.raises(ProblemError, match=message):
        unscheduled_counts(PROBLEM, schedule(), listed)


def test_a_request_listed_twice() -> None:
    twice = pd.concat([UNSCHEDULED, UNSCHEDULED])
    with pytest.raises(ProblemError, match="request R4 is listed more than once"):
        unscheduled_counts(PROBLEM, schedule(), twice)
