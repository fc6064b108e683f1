"""A small factory API for tiny scheduling instances, and a checked solve.

Defaults keep instances small and easy to reason about by hand:

* timezone ``America/Chicago`` (no daylight-saving change in December), grain 5 minutes;
* the horizon starts on Monday 2026-12-07 and covers ``days`` open dates;
* a provider works one session, 08:00 to 12:00, Monday to Friday;
* the default visit type ``V30`` is a 30-minute visit that needs no room;
* a request may start from Monday 08:00 and must end by Friday 23:00.

With the default weights every term is in minutes and ``unscheduled`` is 10 000 per unit of
priority, which makes hand-computed optima easy: the objective of a fully scheduled tiny
instance is the sum of the waits plus the providers' idle minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from psr_sched import (
    AppointmentRequest,
    Assignment,
    DatedHours,
    FrontDesk,
    Horizon,
    PinnedAppointment,
    Problem,
    Provider,
    ReasonCode,
    Result,
    Room,
    SolveOptions,
    SolveStatus,
    StationShift,
    TimeWindow,
    VisitType,
    Weights,
    build_problem,
    solve,
    weekly_sessions,
)
from psr_sched.validate import ValidationReport, validate

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
#: First date of every default horizon: a Monday.
MONDAY = dt.date(2026, 12, 7)
WEEKDAYS = (0, 1, 2, 3, 4)
GRAIN = 5
#: Options of every exact test: tiny instances come back proven optimal well within this.
OPTIONS = SolveOptions(time_limit_s=10, workers=2, seed=0)
#: Minutes in a day: the wait of a visit moved from Monday to Tuesday at the same time.
DAY_MINUTES = 24 * 60


def t(hhmm: str) -> dt.time:
    """``"08:30"`` → ``time(8, 30)``."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.time(h, m)


def date(day: int = 0) -> dt.date:
    """Calendar date ``day`` days after Monday 2026-12-07."""
    return MONDAY + dt.timedelta(days=day)


def at(hhmm: str, day: int = 0) -> dt.datetime:
    """Aware local datetime of ``HH:MM`` on ``date(day)``."""
    return dt.datetime.combine(date(day), t(hhmm)).replace(tzinfo=ZONE)


def hm(moment: dt.datetime) -> str:
    """Local ``HH:MM`` of an aware datetime."""
    return moment.astimezone(ZONE).strftime("%H:%M")


def day_of(moment: dt.datetime) -> int:
    """Days from Monday 2026-12-07 to the local date of ``moment``."""
    return (moment.astimezone(ZONE).date() - MONDAY).days


def minutes(a: dt.datetime, b: dt.datetime) -> int:
    """Elapsed minutes from ``a`` to ``b``."""
    return int((b - a).total_seconds() // 60)


def sessions(*windows: tuple[str, str], weekdays: Sequence[int] = WEEKDAYS) -> tuple[Any, ...]:
    """Weekly sessions: every (start, end) window on every weekday given."""
    return weekly_sessions(tuple(weekdays), *((t(s), t(e)) for s, e in windows))


def dated(day: int = 0, start: str | None = None, end: str | None = None) -> DatedHours:
    """Dated hours on ``date(day)``; whole day when no times are given."""
    return DatedHours(
        date=date(day),
        start=None if start is None else t(start),
        end=None if end is None else t(end),
    )


def provider(
    pid: str = "P1",
    *,
    session: tuple[str, str] | None = ("08:00", "12:00"),
    weekly: Iterable[Any] | None = None,
    skills: Sequence[str] = (),
    networks: Sequence[str] | None = None,
    max_visits_per_day: int | None = None,
    extra_sessions: Sequence[DatedHours] = (),
    unavailable: Sequence[DatedHours] = (),
) -> Provider:
    """A provider; by default one session 08:00-12:00 Monday to Friday.

    ``weekly`` (a tuple of ``WeeklyHours``) replaces ``session`` when given; ``session=None``
    and no ``weekly`` means no weekly session at all.
    """
    if weekly is None:
        weekly = sessions(session) if session is not None else ()
    return Provider(
        id=pid,
        skills=tuple(skills),
        sessions=tuple(weekly),
        extra_sessions=tuple(extra_sessions),
        unavailable=tuple(unavailable),
        networks=None if networks is None else tuple(networks),
        max_visits_per_day=max_visits_per_day,
    )


def visit_type(
    code: str = "V30",
    duration: int = 30,
    *,
    room_kind: str | None = None,
    skill: str | None = None,
    check_in: int = 0,
    provider_durations: dict[str, int] | None = None,
) -> VisitType:
    """A visit type; virtual (no room) unless ``room_kind`` is given."""
    return VisitType(
        code=code,
        duration_minutes=duration,
        room_kind=room_kind,
        required_skill=skill,
        check_in_minutes=check_in,
        provider_durations=provider_durations or {},
    )


def room(
    rid: str = "X1",
    kind: str = "exam",
    *,
    turnover: int = 0,
    hours: Iterable[Any] | None = None,
    closed: Sequence[DatedHours] = (),
) -> Room:
    """A room, open 07:00-19:00 Monday to Friday unless ``hours`` is given."""
    extra: dict[str, Any] = {} if hours is None else {"hours": tuple(hours)}
    return Room(id=rid, kind=kind, turnover_minutes=turnover, closed=tuple(closed), **extra)


def request(
    rid: str,
    visit_type: str = "V30",
    *,
    patient: str | None = None,
    earliest: dt.datetime | None = None,
    latest: dt.datetime | None = None,
    priority: int = 1,
    preferred_providers: Sequence[str] = (),
    allowed_providers: Sequence[str] | None = None,
    preferred_times: Sequence[tuple[str, str]] = (),
    payer: str | None = None,
    links: Sequence[Any] = (),
) -> AppointmentRequest:
    """A request; by default its own patient, window Monday 08:00 to Friday 23:00."""
    return AppointmentRequest(
        id=rid,
        patient_id=patient or f"pt-{rid}",
        visit_type=visit_type,
        earliest=earliest or at("08:00"),
        latest=latest or at("23:00", 4),
        priority=priority,
        preferred_provider_ids=tuple(preferred_providers),
        allowed_provider_ids=None if allowed_providers is None else tuple(allowed_providers),
        preferred_times=tuple(TimeWindow(start=t(s), end=t(e)) for s, e in preferred_times),
        payer=payer,
        links=tuple(links),
    )


def pin(
    rid: str,
    start: dt.datetime,
    provider_id: str = "P1",
    *,
    locked: bool = True,
    move_cost: int = 120,
    room_id: str | None = None,
) -> PinnedAppointment:
    """A pinned (already booked) appointment."""
    return PinnedAppointment(
        request_id=rid,
        provider_id=provider_id,
        room_id=room_id,
        start=start,
        locked=locked,
        move_cost=move_cost,
    )


def desk(*shifts: tuple[str, str, int]) -> FrontDesk:
    """A front desk from (start, end, stations) shifts applying every open day."""
    return FrontDesk(
        shifts=tuple(StationShift(start=t(s), end=t(e), stations=n) for s, e, n in shifts)
    )


def make_problem(
    providers: Sequence[Provider] | None = None,
    rooms: Sequence[Room] = (),
    visit_types: Sequence[VisitType] | None = None,
    requests: Sequence[AppointmentRequest] = (),
    front_desk: FrontDesk | None = None,
    pinned: Sequence[PinnedAppointment] = (),
    weights: Weights | None = None,
    days: int = 1,
) -> Problem:
    """A problem on ``days`` weekdays from Monday 2026-12-07 (``days`` ≤ 5)."""
    assert 1 <= days <= 5, "the default horizon stays within one working week"
    data: dict[str, Any] = {
        "name": "tiny",
        "horizon": Horizon(
            start=MONDAY,
            end=date(days - 1),
            timezone=TZ,
            grain_minutes=GRAIN,
        ),
        "providers": tuple(providers) if providers is not None else (provider(),),
        "rooms": tuple(rooms),
        "front_desk": front_desk,
        "visit_types": tuple(visit_types) if visit_types is not None else (visit_type(),),
        "requests": tuple(requests),
        "pinned": tuple(pinned),
    }
    if weights is not None:
        data["weights"] = weights
    return build_problem(data)


def check(problem: Problem, result: Result) -> ValidationReport:
    """Assert the result is valid and its terms and objective are those recomputed."""
    report = validate(problem, result)
    assert report.ok, "\n".join(str(v) for v in report.violations)
    assert report.terms == result.terms
    assert result.terms.total(problem.weights) == result.objective
    ids = sorted(
        [a.request_id for a in result.assignments] + [u.request_id for u in result.unscheduled]
    )
    assert ids == sorted(r.id for r in problem.requests)
    return report


def solve_checked(
    problem: Problem, *, optimal: bool = True, options: SolveOptions = OPTIONS
) -> Result:
    """Solve, validate, and (by default) require a proven optimum."""
    result = solve(problem, options)
    check(problem, result)
    if optimal:
        assert result.status == SolveStatus.OPTIMAL, result
        if problem.weights.mode == "weighted":
            # In lexicographic mode the search's bound is in other units and not reported.
            assert result.best_bound == result.objective
    return result


def placed(result: Result) -> dict[str, Assignment]:
    """Request id → its assignment."""
    return {a.request_id: a for a in result.assignments}


def reasons(result: Result) -> dict[str, ReasonCode]:
    """Request id → reason code of every unscheduled request."""
    return {u.request_id: u.reason for u in result.unscheduled}


def starts(result: Result) -> dict[str, str]:
    """Request id → local ``HH:MM`` start."""
    return {a.request_id: hm(a.start) for a in result.assignments}
