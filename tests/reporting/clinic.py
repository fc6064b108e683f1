"""A tiny hand-made clinic and schedule whose report figures are computed by hand.

Monday 2026-12-07 and Tuesday, America/Chicago (UTC-6), grain 5 minutes:

* P1 works 08:00-12:00 (240 min); P2 works 08:00-12:00 but is away 10:00-12:00 on Monday
  (120 min on Monday, 240 on Tuesday).
* Room X1 (exam) is open 07:00-19:00 (720 min) with 10 minutes of turnover.
* V30: 30 minutes in an exam room, 10 minutes of check-in.  TEL: 20 minutes, virtual.
* The front desk has one station 07:30-12:00.

Schedule (all with P1, on Monday): R1 (V30, Medicare) 08:00-08:30 in X1, R2 (V30, priority
5, BCBS) 09:00-09:30 in X1, R3 (TEL, self-pay) 10:00-10:20.  R4 (V30, Medicaid) is left
unscheduled.  Every request may start from Monday 08:00, so the waits are 0, 60 and 120
minutes.
"""

from __future__ import annotations

import pandas as pd

from builders import at, dated, desk, make_problem, provider, request, room, visit_type
from psr_sched import (
    Assignment,
    ObjectiveTerms,
    Problem,
    ReasonCode,
    Result,
    SolveStatus,
    Unscheduled,
)

PROBLEM: Problem = make_problem(
    providers=[provider("P1"), provider("P2", unavailable=[dated(0, "10:00", "12:00")])],
    rooms=[room("X1", turnover=10)],
    visit_types=[visit_type("V30", 30, room_kind="exam", check_in=10), visit_type("TEL", 20)],
    requests=[
        request("R1", "V30", payer="MEDICARE"),
        request("R2", "V30", priority=5, payer="BCBS"),
        request("R3", "TEL"),
        request("R4", "V30", payer="MEDICAID"),
    ],
    front_desk=desk(("07:30", "12:00", 1)),
    days=2,
)


def visit(
    rid: str, start: str, end: str, room_id: str | None = "X1", pid: str = "P1"
) -> Assignment:
    req = PROBLEM.requests[PROBLEM.request_index[rid]]
    return Assignment(
        request_id=rid,
        patient_id=req.patient_id,
        visit_type=req.visit_type,
        provider_id=pid,
        room_id=room_id,
        start=at(start),
        end=at(end),
    )


ASSIGNMENTS = (
    visit("R1", "08:00", "08:30"),
    visit("R2", "09:00", "09:30"),
    visit("R3", "10:00", "10:20", room_id=None),
)


def schedule() -> pd.DataFrame:
    """The schedule as a frame with only the columns a CSV file must have."""
    return pd.DataFrame(
        {
            "request_id": [a.request_id for a in ASSIGNMENTS],
            "provider_id": [a.provider_id for a in ASSIGNMENTS],
            "room_id": [a.room_id for a in ASSIGNMENTS],
            "start": [a.start for a in ASSIGNMENTS],
            "end": [a.end for a in ASSIGNMENTS],
        }
    )


UNSCHEDULED = pd.DataFrame(
    {"request_id": ["R4"], "reason": ["NO_CAPACITY_IN_WINDOW"], "message": ["full"]}
)


def result() -> Result:
    """The schedule as a :class:`Result`, R4 unscheduled for lack of capacity."""
    return Result(
        problem_name=PROBLEM.name,
        status=SolveStatus.FEASIBLE,
        assignments=ASSIGNMENTS,
        unscheduled=(
            Unscheduled(request_id="R4", reason=ReasonCode.NO_CAPACITY_IN_WINDOW, message="full"),
        ),
        terms=ObjectiveTerms(),
        weights=PROBLEM.weights,
        objective=0,
        wall_time_s=0.0,
    )
