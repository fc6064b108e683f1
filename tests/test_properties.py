"""Property tests: on small random problems every solve is valid and self-consistent.

Each example is a random valid problem of 1-2 open days, 1-4 providers (random skills,
networks, sessions, time off, extra sessions, daily caps), 0-3 rooms of 1-2 kinds with
turnover, an optional front desk, 1-15 requests (random windows, priorities, preferences,
payers, occasional links) and occasional movable pins.  Some horizons span a daylight-saving
change (America/New_York, Sunday 2026-03-08 or 2026-11-01, weekend open).  Checks:

(a) the independent validator finds no violation;
(b) every request appears exactly once, scheduled or unscheduled;
(c) the validator's terms equal the result's, and their weighted total is the objective;
(d) the objective is no worse than the greedy baseline (lexicographically in that mode);
(e) a reported bound is a lower bound of the objective.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psr_sched import (
    AppointmentRequest,
    DatedHours,
    FollowUp,
    FrontDesk,
    Horizon,
    ObjectiveTerms,
    PinnedAppointment,
    Problem,
    Provider,
    Room,
    SameDaySequence,
    SolveOptions,
    StationShift,
    TimeWindow,
    VisitType,
    WeeklyHours,
    Weights,
    build_problem,
    solve,
)
from psr_sched.validate import validate

#: (timezone, first date, closed weekdays): a plain December week, and two DST Sundays.
CALENDARS = [
    ("America/Chicago", dt.date(2026, 12, 7), (5, 6)),
    ("America/Chicago", dt.date(2026, 12, 10), (5, 6)),  # Thursday, Friday
    ("America/New_York", dt.date(2026, 3, 8), ()),  # spring forward, 23-hour day
    ("America/New_York", dt.date(2026, 11, 1), ()),  # fall back, 25-hour day
]
SKILLS = ["gen", "proc"]
NETWORKS = ["N1", "N2"]
KINDS = ["exam", "proc"]
OPTIONS = SolveOptions(time_limit_s=2, workers=2, seed=0)


def clock(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


@st.composite
def spans(
    draw: st.DrawFn, lo: int = 7 * 60, hi: int = 18 * 60, step: int = 15, ragged: bool = False
) -> tuple[dt.time, dt.time]:
    """A (start, end) pair of local times between ``lo`` and ``hi`` minutes after midnight;
    mostly one to four hours long, sometimes shorter.  ``ragged`` spans sometimes start or
    end off the 5-minute grain."""
    start = draw(st.integers(lo // step, hi // step - 1)) * step
    longest = hi - start
    length = draw(st.sampled_from([60, 120, 180, 240]) | st.integers(1, 4).map(lambda k: k * step))
    end = start + min(length, longest)
    if ragged and draw(st.integers(0, 3)) == 0:
        start += draw(st.integers(1, 4))
        end = max(start + 1, end - draw(st.integers(0, 4)))
    return clock(start), clock(end)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    def sometimes(percent: int) -> bool:
        return draw(st.integers(0, 99)) >= 100 - percent

    tz, first, closed = draw(st.sampled_from(CALENDARS))
    zone = ZoneInfo(tz)
    days = draw(st.integers(1, 2))
    horizon = Horizon(
        start=first,
        end=first + dt.timedelta(days=days - 1),
        timezone=tz,
        closed_weekdays=closed,
    )
    dates = list(horizon.dates)
    weekdays = sorted({d.weekday() for d in dates})

    def local(day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, clock(minute)).replace(tzinfo=zone)

    # -- providers --------------------------------------------------------------------
    n_providers = draw(st.integers(1, 4))
    providers: list[Provider] = []
    for i in range(n_providers):
        windows = draw(st.lists(spans(hi=14 * 60, ragged=True), min_size=1, max_size=2))
        if sometimes(10):
            windows = []
        sessions = tuple(
            WeeklyHours(weekday=w, start=s, end=e) for w in weekdays for s, e in windows
        )
        extra = tuple(
            DatedHours(date=draw(st.sampled_from(dates)), start=s, end=e)
            for s, e in draw(st.lists(spans(ragged=True), max_size=1))
            if sometimes(30)
        )
        blocked: list[DatedHours] = []
        if sometimes(30):
            s, e = draw(spans(step=30, ragged=True))
            day = draw(st.sampled_from(dates))
            whole = sometimes(25)
            blocked.append(DatedHours(date=day) if whole else DatedHours(date=day, start=s, end=e))
        providers.append(
            Provider(
                id=f"P{i + 1}",
                skills=tuple(draw(st.lists(st.sampled_from(SKILLS), unique=True))),
                sessions=sessions,
                extra_sessions=extra,
                unavailable=tuple(blocked),
                networks=(
                    tuple(draw(st.lists(st.sampled_from(NETWORKS), unique=True)))
                    if sometimes(25)
                    else None
                ),
                max_visits_per_day=draw(st.integers(0, 4)) if sometimes(25) else None,
            )
        )
    provider_ids = [p.id for p in providers]

    # -- rooms and the front desk -----------------------------------------------------
    rooms: list[Room] = []
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True))
    for i in range(draw(st.integers(0, 3))):
        # Open 07:00-19:00 on every weekday of the horizon (weekends too), or random hours.
        s, e = draw(spans()) if sometimes(20) else (dt.time(7), dt.time(19))
        hours = tuple(WeeklyHours(weekday=w, start=s, end=e) for w in weekdays)
        closed_hours = tuple(
            DatedHours(date=draw(st.sampled_from(dates)), start=s, end=e)
            for s, e in draw(st.lists(spans(ragged=True), max_size=1))
            if sometimes(20)
        )
        rooms.append(
            Room(
                id=f"X{i + 1}",
                kind=draw(st.sampled_from(kinds)),
                turnover_minutes=draw(st.sampled_from([0, 0, 5, 7, 10, 15])),
                hours=hours,
                closed=closed_hours,
            )
        )
    room_kinds = sorted({r.kind for r in rooms})
    front_desk = None
    if sometimes(40):
        shifts = [StationShift(start=dt.time(7), end=dt.time(18), stations=draw(st.integers(1, 2)))]
        if sometimes(50):
            s, e = draw(spans(lo=6 * 60, ragged=True))
            weekday = draw(st.sampled_from(weekdays)) if sometimes(30) else None
            shifts.append(
                StationShift(start=s, end=e, stations=draw(st.integers(0, 2)), weekday=weekday)
            )
        if sometimes(20):
            shifts = shifts[1:] or shifts
        front_desk = FrontDesk(shifts=tuple(shifts))

    # -- visit types ------------------------------------------------------------------
    visit_types: list[VisitType] = []
    for i in range(draw(st.integers(1, 3))):
        overrides = (
            {draw(st.sampled_from(provider_ids)): draw(st.sampled_from([15, 20, 45]))}
            if sometimes(20)
            else {}
        )
        if room_kinds and sometimes(60):
            room_kind: str | None = draw(st.sampled_from(room_kinds))
        elif sometimes(10):
            room_kind = draw(st.sampled_from(KINDS))  # possibly no room of that kind
        else:
            room_kind = None
        visit_types.append(
            VisitType(
                code=f"V{i + 1}",
                duration_minutes=draw(st.sampled_from([15, 20, 30, 45, 60])),
                provider_durations=overrides,
                room_kind=room_kind,
                required_skill=draw(st.sampled_from(SKILLS)) if sometimes(25) else None,
                check_in_minutes=draw(st.sampled_from([0, 5, 10])) if room_kind else 0,
            )
        )

    # -- requests ---------------------------------------------------------------------
    n_requests = draw(st.integers(1, 15))
    n_patients = draw(st.integers(1, 8))
    requests: list[AppointmentRequest] = []
    for i in range(n_requests):
        patient = f"pt{draw(st.integers(1, n_patients))}"
        day = draw(st.sampled_from(dates))
        e_min = draw(st.integers(7 * 60, 12 * 60))
        if not sometimes(30):
            e_min -= e_min % 5  # most on the grain, some not
        earliest = local(day, e_min)
        if sometimes(50):
            latest = local(dates[-1], 23 * 60)
        else:
            latest = earliest + dt.timedelta(minutes=draw(st.integers(20, 8 * 60)))
        links: list[Any] = []
        if i > 0 and sometimes(25):
            other = requests[draw(st.integers(0, i - 1))]
            if sometimes(60):
                patient = other.patient_id
                earliest = min(earliest, other.earliest)
                latest = max(latest, other.latest)
                lo = draw(st.sampled_from([0, 5, 15, 30]))
                hi = lo + draw(st.sampled_from([0, 15, 60, 120]))
                links.append(
                    SameDaySequence(request_id=other.id, min_gap_minutes=lo, max_gap_minutes=hi)
                )
            else:
                latest = max(latest, local(dates[-1], 23 * 60))
                links.append(FollowUp(request_id=other.id, min_days=1))
        preferred_times = tuple(
            TimeWindow(start=s, end=e)
            for s, e in draw(st.lists(spans(ragged=True), max_size=2))
            if sometimes(30)
        )
        requests.append(
            AppointmentRequest(
                id=f"R{i + 1}",
                patient_id=patient,
                visit_type=draw(st.sampled_from(visit_types)).code,
                earliest=earliest,
                latest=latest,
                priority=draw(st.sampled_from([1, 1, 2, 3, 5, 10])),
                preferred_provider_ids=(
                    tuple(draw(st.lists(st.sampled_from(provider_ids), max_size=2, unique=True)))
                    if sometimes(30)
                    else ()
                ),
                allowed_provider_ids=(
                    tuple(
                        draw(
                            st.lists(
                                st.sampled_from(provider_ids), min_size=1, max_size=2, unique=True
                            )
                        )
                    )
                    if sometimes(15)
                    else None
                ),
                preferred_times=preferred_times,
                payer=draw(st.sampled_from(NETWORKS)) if sometimes(30) else None,
                links=tuple(links),
            )
        )

    # -- movable pins -----------------------------------------------------------------
    pinned: list[PinnedAppointment] = []
    for r in draw(st.lists(st.sampled_from(requests), max_size=3, unique_by=lambda r: r.id)):
        minute = draw(st.integers(7 * 12, 14 * 12)) * 5
        pinned.append(
            PinnedAppointment(
                request_id=r.id,
                provider_id=draw(st.sampled_from(provider_ids)),
                start=local(draw(st.sampled_from(dates)), minute),
                locked=False,
                move_cost=draw(st.sampled_from([0, 30, 120, 600])),
            )
        )

    if sometimes(50):
        weights = Weights()
    elif sometimes(50):
        weights = Weights(
            access_wait=draw(st.integers(0, 3)),
            idle_gap=draw(st.integers(0, 3)),
            provider_preference_miss=draw(st.sampled_from([0, 30, 60])),
            time_preference_miss=draw(st.sampled_from([0, 15, 30])),
            pinned_move=draw(st.integers(0, 2)),
        )
    else:
        weights = Weights(
            unscheduled=draw(st.sampled_from([0, 1, 50, 500])),
            access_wait=draw(st.integers(0, 3)),
            idle_gap=draw(st.integers(0, 3)),
            mode=draw(st.sampled_from(["weighted", "lexicographic"])),
        )
    return build_problem(
        {
            "name": "random",
            "horizon": horizon,
            "providers": providers,
            "rooms": rooms,
            "front_desk": front_desk,
            "visit_types": visit_types,
            "requests": requests,
            "pinned": pinned,
            "weights": weights,
        }
    )


def lexicographic_key(terms: ObjectiveTerms, weights: Weights) -> tuple[int, int]:
    """(unscheduled priority, weighted rest): the order of the lexicographic mode."""
    rest = terms.total(weights) - weights.unscheduled * terms.unscheduled_priority
    return terms.unscheduled_priority, rest


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems())
def test_solve_is_valid_and_consistent(problem: Problem) -> None:
    result = solve(problem, OPTIONS)
    report = validate(problem, result)
    # (a) no hard rule broken
    assert report.ok, "\n".join(str(v) for v in report.violations)
    # (b) conservation
    seen = Counter(a.request_id for a in result.assignments)
    seen.update(u.request_id for u in result.unscheduled)
    assert seen == Counter(r.id for r in problem.requests)
    # (c) terms and objective
    assert report.terms == result.terms
    assert result.terms.total(problem.weights) == result.objective
    assert result.terms.unscheduled_count == len(result.unscheduled)
    # (d) never worse than the greedy construction (lexicographically: unscheduled
    # priority first, then the rest of the objective)
    assert result.baseline_objective is not None
    assert result.baseline_terms is not None
    if problem.weights.mode == "weighted":
        assert result.objective <= result.baseline_objective
    else:
        assert lexicographic_key(result.terms, problem.weights) <= lexicographic_key(
            result.baseline_terms, problem.weights
        )
    # (e) the bound is a lower bound
    if result.best_bound is not None:
        assert result.best_bound <= result.objective


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems())
def test_greedy_construction_is_valid(problem: Problem) -> None:
    # The construction is the fallback when CP-SAT finds nothing in time: it must be valid
    # on its own.
    result = solve(problem, SolveOptions(use_cpsat=False))
    report = validate(problem, result)
    assert report.ok, "\n".join(str(v) for v in report.violations)
    assert report.terms == result.terms
    assert result.terms.total(problem.weights) == result.objective
    assert result.objective == result.baseline_objective
