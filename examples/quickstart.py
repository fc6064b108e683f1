"""Build a small clinic by hand, solve it, read the schedule as a DataFrame, validate it.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import psr_sched as ps

TIME_LIMIT = float(os.environ.get("PSR_EXAMPLE_TIME_LIMIT", "10"))
ZONE = ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 12, 7)


def build() -> ps.Problem:
    """Two providers, three exam rooms, a front desk and a dozen requests over two days."""
    sessions = ps.weekly_sessions(
        (0, 1, 2, 3, 4), (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))
    )
    providers = (
        ps.Provider(
            id="DRA",
            specialty="family medicine",
            skills=("primary_care",),
            sessions=sessions,
            networks=("BCBS", "MEDICARE"),
        ),
        ps.Provider(
            id="DRB",
            specialty="family medicine",
            skills=("primary_care",),
            sessions=sessions,
            max_visits_per_day=12,
        ),
    )
    rooms = tuple(ps.Room(id=f"EX{i}", kind="exam", turnover_minutes=5) for i in (1, 2, 3))
    visit_types = (
        ps.VisitType(
            code="NEW",
            duration_minutes=40,
            room_kind="exam",
            required_skill="primary_care",
            check_in_minutes=10,
        ),
        ps.VisitType(
            code="EST",
            duration_minutes=20,
            room_kind="exam",
            required_skill="primary_care",
            check_in_minutes=5,
        ),
        ps.VisitType(code="TELE", duration_minutes=15, required_skill="primary_care"),
    )
    desk = ps.FrontDesk(
        shifts=(ps.StationShift(start=dt.time(7, 30), end=dt.time(17), stations=2),)
    )
    start = dt.datetime.combine(MONDAY, dt.time(8), ZONE)
    end = dt.datetime.combine(MONDAY + dt.timedelta(days=1), dt.time(17), ZONE)
    requests = tuple(
        ps.AppointmentRequest(
            id=f"R{i:02d}",
            patient_id=f"P{i:02d}",
            visit_type=("NEW", "EST", "EST", "TELE")[i % 4],
            earliest=start,
            latest=end,
            priority=10 if i % 5 == 0 else 1,
            preferred_provider_ids=("DRA",) if i % 3 == 0 else (),
            payer=("BCBS", "MEDICAID", None)[i % 3],
        )
        for i in range(12)
    )
    horizon = ps.Horizon(
        start=MONDAY, end=MONDAY + dt.timedelta(days=1), timezone="America/New_York"
    )
    return ps.Problem(
        name="quickstart clinic",
        horizon=horizon,
        providers=providers,
        rooms=rooms,
        front_desk=desk,
        visit_types=visit_types,
        requests=requests,
    )


def main() -> None:
    problem = build()
    result = ps.solve(problem, ps.SolveOptions(time_limit_s=TIME_LIMIT, seed=0))
    report = ps.validate(problem, result)
    assert report.ok and report.terms == result.terms
    print(
        result.to_frame(problem)[["request_id", "provider_id", "room_id", "start", "wait_minutes"]]
    )
    print(result.unscheduled_frame())
    print({k: v for k, v in result.summary().items() if k in ("status", "objective", "best_bound")})


if __name__ == "__main__":
    main()
