"""Tests of the solver-agnostic validator, rule by rule, and of its objective terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from psr_sched.domain import (
    AppointmentRequest,
    DatedHours,
    FollowUp,
    FrontDesk,
    Horizon,
    PinnedAppointment,
    Provider,
    Room,
    SameDaySequence,
    StationShift,
    TimeWindow,
    VisitType,
    Weights,
    weekly_sessions,
)
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.result import (
    Assignment,
    ObjectiveTerms,
    ReasonCode,
    Result,
    SolveStatus,
    Unscheduled,
)
from psr_sched.validate import (
    ScheduleError,
    ValidationReport,
    Violation,
    read_schedule_csv,
    validate,
)

TZ = "America/New_York"
ZONE = ZoneInfo(TZ)
DAY = dt.date(2026, 3, 9)  # a Monday
T = dt.time


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    """Aware local datetime of ``HH:MM`` on ``day``."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, T(h, m)).replace(tzinfo=ZONE)


def req(
    rid: str,
    patient: str,
    visit_type: str = "FU",
    earliest: str = "07:00",
    latest: str = "18:00",
    day: dt.date = DAY,
    **kw: Any,
) -> AppointmentRequest:
    return AppointmentRequest(
        id=rid,
        patient_id=patient,
        visit_type=visit_type,
        earliest=at(earliest, day),
        latest=at(latest, day),
        **kw,
    )


def make_problem(requests: Iterable[AppointmentRequest] = (), **changes: Any) -> Problem:
    """One Monday; P1 (primary care, 08-12 and 12-16), P2 (primary care and procedures,
    08-17, network ``acme``, at most 3 visits a day); exam room E1 (10 min turnover) and
    procedure room X1; one front-desk station 07:30-17:00."""
    data: dict[str, Any] = {
        "name": "tiny",
        "horizon": Horizon(start=DAY, end=DAY, timezone=TZ),
        "providers": (
            Provider(
                id="P1",
                skills=("primary_care",),
                sessions=weekly_sessions((0,), (T(8), T(12)), (T(12), T(16))),
            ),
            Provider(
                id="P2",
                skills=("primary_care", "procedure"),
                sessions=weekly_sessions((0,), (T(8), T(17))),
                networks=("acme",),
                max_visits_per_day=3,
            ),
        ),
        "rooms": (
            Room(id="E1", kind="exam", turnover_minutes=10),
            Room(id="X1", kind="procedure"),
        ),
        "front_desk": FrontDesk(shifts=(StationShift(start=T(7, 30), end=T(17), stations=1),)),
        "visit_types": (
            VisitType(
                code="FU",
                duration_minutes=20,
                room_kind="exam",
                required_skill="primary_care",
                check_in_minutes=10,
            ),
            VisitType(
                code="NEW",
                duration_minutes=40,
                provider_durations={"P2": 30},
                room_kind="exam",
                required_skill="primary_care",
                check_in_minutes=15,
            ),
            VisitType(code="TELE", duration_minutes=20, required_skill="primary_care"),
            VisitType(
                code="PROC",
                duration_minutes=30,
                room_kind="procedure",
                required_skill="procedure",
                check_in_minutes=10,
            ),
        ),
        "requests": tuple(requests),
    }
    data.update(changes)
    # drop per-provider durations of providers a test left out
    known = {p.id for p in data["providers"]}
    data["visit_types"] = tuple(
        vt.model_copy(
            update={
                "provider_durations": {k: v for k, v in vt.provider_durations.items() if k in known}
            }
        )
        for vt in data["visit_types"]
    )
    return Problem(**data)


def asg(
    problem: Problem,
    rid: str,
    provider: str,
    room: str | None,
    start: str | dt.datetime,
    minutes: int | None = None,
    day: dt.date = DAY,
) -> Assignment:
    """An assignment with the right patient, type and (unless given) duration."""
    request = next(r for r in problem.requests if r.id == rid)
    begin = at(start, day) if isinstance(start, str) else start
    if minutes is None:
        minutes = problem.visit_type_by_code[request.visit_type].duration_for(provider)
    end = (begin.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(begin.tzinfo)
    return Assignment(
        request_id=rid,
        patient_id=request.patient_id,
        visit_type=request.visit_type,
        provider_id=provider,
        room_id=room,
        start=begin,
        end=end,
    )


def result_of(
    problem: Problem, assignments: Iterable[Assignment], unscheduled: Iterable[str] = ()
) -> Result:
    return Result(
        problem_name=problem.name,
        status=SolveStatus.FEASIBLE,
        assignments=tuple(assignments),
        unscheduled=tuple(
            Unscheduled(request_id=r, reason=ReasonCode.NOT_PLACED_IN_TIME, message="")
            for r in unscheduled
        ),
        terms=ObjectiveTerms(),
        weights=problem.weights,
        objective=0,
        wall_time_s=0.0,
    )


def rules(report: ValidationReport) -> set[str]:
    return {v.rule for v in report.violations}


def assert_only(report: ValidationReport, rule: str, request_id: str | None = "") -> None:
    assert rules(report) == {rule}, report.violations
    if request_id != "":
        assert any(v.request_id == request_id for v in report.violations), report.violations


# -- report API -------------------------------------------------------------------------


def test_valid_schedule_passes_and_report_api() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B", "TELE")])
    report = validate(
        problem, [asg(problem, "R1", "P1", "E1", "08:00"), asg(problem, "R2", "P2", None, "08:00")]
    )
    assert report.ok
    assert report.violations == ()
    report.raise_if_invalid()
    assert report.objective(problem.weights) == report.terms.total(problem.weights)


def test_raise_if_invalid_lists_violations() -> None:
    problem = make_problem([req("R1", "A")])
    report = validate(problem, [asg(problem, "R1", "P1", "E1", "08:03")])
    assert not report.ok
    with pytest.raises(ScheduleError, match=r"\[grain\] request R1"):
        report.raise_if_invalid()
    assert issubclass(ScheduleError, ValueError)
    assert isinstance(report.violations[0], Violation)
    assert report.rules()["grain"] == 1


def test_raise_if_invalid_truncates() -> None:
    problem = make_problem([req(f"R{i}", f"A{i}", "TELE") for i in range(5)])
    report = validate(
        problem, [asg(problem, f"R{i}", "P1", None, f"{8 + i:02d}:03") for i in range(5)]
    )
    assert report.rules() == {"grain": 5}
    with pytest.raises(ScheduleError, match=r"and 3 more"):
        report.raise_if_invalid(limit=2)


# -- rule 1: conservation ---------------------------------------------------------------


def test_conservation_result_valid() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B")])
    result = result_of(problem, [asg(problem, "R1", "P1", "E1", "08:00")], unscheduled=["R2"])
    report = validate(problem, result)
    assert report.ok
    assert report.terms.unscheduled_count == 1


def test_conservation_missing_from_both() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B")])
    result = result_of(problem, [asg(problem, "R1", "P1", "E1", "08:00")])
    assert_only(validate(problem, result), "conservation", "R2")
    # without a Result or unscheduled list, absent requests are simply unscheduled
    assert validate(problem, result.assignments).ok


def test_conservation_scheduled_and_unscheduled() -> None:
    problem = make_problem([req("R1", "A")])
    result = result_of(problem, [asg(problem, "R1", "P1", "E1", "08:00")], unscheduled=["R1"])
    assert_only(validate(problem, result), "conservation", "R1")


def test_conservation_explicit_unscheduled_ids() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B")])
    schedule = [asg(problem, "R1", "P1", "E1", "08:00")]
    assert validate(problem, schedule, unscheduled_ids=["R2"]).ok
    assert_only(validate(problem, schedule, unscheduled_ids=[]), "conservation", "R2")
    assert_only(validate(problem, schedule, unscheduled_ids=["R2", "R2"]), "conservation", "R2")
    assert_only(validate(problem, schedule, unscheduled_ids=["R2", "NOPE"]), "conservation", "NOPE")


def test_conservation_unknown_and_duplicate_rows() -> None:
    problem = make_problem([req("R1", "A")])
    good = asg(problem, "R1", "P1", "E1", "08:00")
    unknown = good.model_copy(update={"request_id": "R9"})
    report = validate(problem, [good, unknown])
    assert "conservation" in rules(report)
    assert any(v.request_id == "R9" for v in report.violations)
    twice = good.model_copy(update={"start": at("09:00"), "end": at("09:20")})
    assert_only(validate(problem, [good, twice]), "conservation", "R1")


def test_conservation_patient_and_visit_type_must_match() -> None:
    problem = make_problem([req("R1", "A")])
    good = asg(problem, "R1", "P1", "E1", "08:00")
    report = validate(problem, [good.model_copy(update={"patient_id": "B"})])
    assert_only(report, "conservation", "R1")
    assert "B" not in report.violations[0].message.split()
    report = validate(problem, [good.model_copy(update={"visit_type": "NEW"})])
    assert_only(report, "conservation", "R1")


# -- rule 2: window ---------------------------------------------------------------------


def test_window() -> None:
    problem = make_problem([req("R1", "A", earliest="09:00", latest="10:00")])
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "09:00")]).ok
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "09:40")]).ok
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "08:55")]), "window", "R1")
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "09:45")]), "window", "R1")


def test_window_closed_date() -> None:
    tuesday = DAY + dt.timedelta(days=1)
    horizon = Horizon(start=DAY, end=tuesday, timezone=TZ, closed_dates=(tuesday,))
    everyday = weekly_sessions((0, 1), (T(8), T(17)))
    problem = make_problem(
        [req("R1", "A", latest="18:00", day=tuesday)],
        horizon=horizon,
        providers=(Provider(id="P1", skills=("primary_care",), sessions=everyday),),
    )
    report = validate(problem, [asg(problem, "R1", "P1", None, "09:00", day=tuesday)])
    assert "window" in rules(report)
    assert any("not an open date" in v.message for v in report.violations)


# -- rule 3: grain ----------------------------------------------------------------------


def test_grain() -> None:
    problem = make_problem([req("R1", "A")])
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "08:05")]).ok
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "08:07")]), "grain", "R1")
    off = at("08:05") + dt.timedelta(seconds=30)
    report = validate(problem, [asg(problem, "R1", "P1", "E1", off)])
    assert "grain" in rules(report)


# -- rule 4: duration -------------------------------------------------------------------


def test_duration_and_provider_override() -> None:
    problem = make_problem([req("R1", "A", "NEW")])
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "08:00", minutes=40)]).ok
    assert validate(problem, [asg(problem, "R1", "P2", "E1", "08:00", minutes=30)]).ok
    report = validate(problem, [asg(problem, "R1", "P2", "E1", "08:00", minutes=40)])
    assert_only(report, "duration", "R1")
    report = validate(problem, [asg(problem, "R1", "P1", "E1", "08:00", minutes=30)])
    assert_only(report, "duration", "R1")


# -- rule 5: skill, allowed providers, network ------------------------------------------


def test_skill() -> None:
    problem = make_problem([req("R1", "A", "PROC")])
    assert validate(problem, [asg(problem, "R1", "P2", "X1", "08:00")]).ok
    assert_only(validate(problem, [asg(problem, "R1", "P1", "X1", "08:00")]), "skill", "R1")


def test_allowed_providers() -> None:
    problem = make_problem([req("R1", "A", allowed_provider_ids=("P2",))])
    assert validate(problem, [asg(problem, "R1", "P2", "E1", "08:00")]).ok
    report = validate(problem, [asg(problem, "R1", "P1", "E1", "08:00")])
    assert_only(report, "allowed_provider", "R1")


def test_network() -> None:
    problem = make_problem(
        [req("R1", "A", payer="acme"), req("R2", "B", payer="other"), req("R3", "C")]
    )
    ok = [
        asg(problem, "R1", "P2", "E1", "08:00"),
        asg(problem, "R2", "P1", "E1", "09:00"),  # P1 accepts every payer
        asg(problem, "R3", "P2", "E1", "10:00"),  # self-pay
    ]
    assert validate(problem, ok).ok
    report = validate(problem, [asg(problem, "R2", "P2", "E1", "08:00")])
    assert_only(report, "network", "R2")
    assert "other" not in report.violations[0].message


def test_unknown_provider_and_room() -> None:
    problem = make_problem([req("R1", "A")])
    assert "unknown_provider" in rules(validate(problem, [asg(problem, "R1", "PX", "E1", "08:00")]))
    assert_only(validate(problem, [asg(problem, "R1", "P1", "EX", "08:00")]), "unknown_room", "R1")


# -- rule 6: sessions -------------------------------------------------------------------


def test_session_inside_and_outside() -> None:
    problem = make_problem([req("R1", "A")])
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "15:40")]).ok
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "15:45")]), "session", "R1")
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "07:50")]), "session", "R1")


def test_session_never_crossed() -> None:
    # P1 has 08-12 and 12-16: back to back, but a visit may not cross 12:00
    problem = make_problem([req("R1", "A")])
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "11:40")]).ok
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "12:00")]).ok
    assert_only(validate(problem, [asg(problem, "R1", "P1", "E1", "11:50")]), "session", "R1")


def test_session_unavailable_and_extra() -> None:
    p1 = Provider(
        id="P1",
        skills=("primary_care",),
        sessions=weekly_sessions((0,), (T(8), T(12))),
        extra_sessions=(DatedHours(date=DAY, start=T(18), end=T(19)),),
        unavailable=(DatedHours(date=DAY, start=T(9), end=T(10)),),
    )
    problem = make_problem([req("R1", "A", "TELE", latest="20:00")], providers=(p1,))
    assert validate(problem, [asg(problem, "R1", "P1", None, "08:40")]).ok
    assert validate(problem, [asg(problem, "R1", "P1", None, "10:00")]).ok
    assert validate(problem, [asg(problem, "R1", "P1", None, "18:00", minutes=20)]).ok
    for start in ("08:45", "09:30"):
        report = validate(problem, [asg(problem, "R1", "P1", None, start)])
        assert "session" in rules(report)


def test_session_whole_day_unavailable() -> None:
    p1 = Provider(
        id="P1",
        skills=("primary_care",),
        sessions=weekly_sessions((0,), (T(8), T(12))),
        unavailable=(DatedHours(date=DAY, reason="leave"),),
    )
    problem = make_problem([req("R1", "A", "TELE")], providers=(p1,))
    assert_only(validate(problem, [asg(problem, "R1", "P1", None, "08:00")]), "session", "R1")


# -- rule 7: provider overlap -----------------------------------------------------------


def test_provider_overlap() -> None:
    problem = make_problem([req("R1", "A", "TELE"), req("R2", "B", "TELE")])
    ok = [asg(problem, "R1", "P1", None, "08:00"), asg(problem, "R2", "P1", None, "08:20")]
    assert validate(problem, ok).ok
    bad = [asg(problem, "R1", "P1", None, "08:00"), asg(problem, "R2", "P1", None, "08:15")]
    assert_only(validate(problem, bad), "provider_overlap", "R2")


def test_provider_overlap_not_only_neighbours() -> None:
    problem = make_problem([req("R1", "A", "NEW"), req("R2", "B", "TELE"), req("R3", "C", "TELE")])
    schedule = [
        asg(problem, "R1", "P1", None, "08:00", minutes=40),  # room check aside
        asg(problem, "R2", "P1", None, "08:05"),
        asg(problem, "R3", "P1", None, "08:25"),  # overlaps R1 only
    ]
    report = validate(problem, schedule)
    overlaps = [v for v in report.violations if v.rule == "provider_overlap"]
    assert {v.request_id for v in overlaps} == {"R2", "R3"}


# -- rule 8: rooms ----------------------------------------------------------------------


def test_room_kind() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B", "TELE")])
    assert_only(validate(problem, [asg(problem, "R1", "P1", None, "08:00")]), "room_kind", "R1")
    assert_only(validate(problem, [asg(problem, "R1", "P1", "X1", "08:00")]), "room_kind", "R1")
    assert_only(validate(problem, [asg(problem, "R2", "P1", "E1", "08:00")]), "room_kind", "R2")


def test_room_turnover() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B")])
    ok = [asg(problem, "R1", "P1", "E1", "08:00"), asg(problem, "R2", "P2", "E1", "08:30")]
    assert validate(problem, ok).ok
    bad = [asg(problem, "R1", "P1", "E1", "08:00"), asg(problem, "R2", "P2", "E1", "08:25")]
    assert_only(validate(problem, bad), "room_turnover", "R2")


def test_room_hours_and_closure() -> None:
    e1 = Room(
        id="E1",
        kind="exam",
        hours=weekly_sessions((0,), (T(8), T(12)), (T(12), T(16))),
        closed=(DatedHours(date=DAY, start=T(14), end=T(15)),),
    )
    problem = make_problem([req("R1", "A")], rooms=(e1,))
    assert validate(problem, [asg(problem, "R1", "P2", "E1", "08:00")]).ok
    # touching weekly hours join: a visit may run through 12:00
    assert validate(problem, [asg(problem, "R1", "P2", "E1", "11:50")]).ok
    for start in ("16:00", "13:50", "14:30", "15:50"):
        report = validate(problem, [asg(problem, "R1", "P2", "E1", start)])
        assert_only(report, "room_hours", "R1")
    closed_all_day = e1.model_copy(update={"closed": (DatedHours(date=DAY),)})
    problem = make_problem([req("R1", "A")], rooms=(closed_all_day,))
    assert_only(validate(problem, [asg(problem, "R1", "P2", "E1", "08:00")]), "room_hours")


# -- rule 9: patient overlap ------------------------------------------------------------


def test_patient_overlap() -> None:
    problem = make_problem([req("R1", "A", "TELE"), req("R2", "A", "TELE")])
    ok = [asg(problem, "R1", "P1", None, "08:00"), asg(problem, "R2", "P2", None, "08:20")]
    assert validate(problem, ok).ok
    bad = [asg(problem, "R1", "P1", None, "08:00"), asg(problem, "R2", "P2", None, "08:10")]
    report = validate(problem, bad)
    assert_only(report, "patient_overlap", "R2")
    assert "A" not in report.violations[0].message.split()


# -- rule 10: front desk ----------------------------------------------------------------


def test_front_desk() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B", "PROC"), req("R3", "C", "TELE")])
    ok = [
        asg(problem, "R1", "P1", "E1", "08:00"),  # holds 07:50-08:00
        asg(problem, "R2", "P2", "X1", "08:10"),  # holds 08:00-08:10
        asg(problem, "R3", "P2", None, "09:00"),  # virtual: no check-in
    ]
    assert validate(problem, ok).ok
    bad = [asg(problem, "R1", "P1", "E1", "08:00"), asg(problem, "R2", "P2", "X1", "08:05")]
    report = validate(problem, bad)
    assert_only(report, "front_desk", "R2")
    assert "2 simultaneous check-ins with 1 station" in report.violations[0].message


def test_front_desk_outside_shift_and_shifts_add_up() -> None:
    problem = make_problem([req("R1", "A"), req("R2", "B", "PROC")])
    early = [asg(problem, "R1", "P1", "E1", "07:35")]  # holds 07:25-07:35
    assert "front_desk" in rules(validate(problem, early))
    both = [asg(problem, "R1", "P1", "E1", "08:00"), asg(problem, "R2", "P2", "X1", "08:00")]
    assert_only(validate(problem, both), "front_desk")
    desk = FrontDesk(
        shifts=(
            StationShift(start=T(7, 30), end=T(17), stations=1),
            StationShift(start=T(7, 45), end=T(9), stations=1, weekday=0),
            StationShift(start=T(7), end=T(9), stations=5, weekday=1),  # not on Monday
        )
    )
    requests = problem.requests
    assert validate(make_problem(requests, front_desk=desk), both).ok
    assert validate(make_problem(requests, front_desk=None), both).ok


# -- rule 11: maximum per day -----------------------------------------------------------


def test_max_visits_per_day() -> None:
    problem = make_problem([req(f"R{i}", f"A{i}", "TELE") for i in range(4)])
    three = [asg(problem, f"R{i}", "P2", None, f"0{8 + i}:00") for i in range(3)]
    assert validate(problem, three).ok
    four = [asg(problem, f"R{i}", "P2", None, f"{8 + i:02d}:00") for i in range(4)]
    assert_only(validate(problem, four), "max_per_day", None)


# -- rule 12: links ---------------------------------------------------------------------


def test_same_day_sequence() -> None:
    link = SameDaySequence(request_id="A1", min_gap_minutes=10, max_gap_minutes=60)
    problem = make_problem([req("A1", "A", "TELE"), req("B1", "A", "TELE", links=(link,))])
    a = asg(problem, "A1", "P1", None, "08:00")  # ends 08:20
    assert validate(problem, [a, asg(problem, "B1", "P2", None, "08:30")]).ok
    assert validate(problem, [a, asg(problem, "B1", "P2", None, "09:20")]).ok
    assert validate(problem, []).ok  # both unscheduled
    for start in ("08:25", "09:25"):
        report = validate(problem, [a, asg(problem, "B1", "P2", None, start)])
        assert_only(report, "link_sequence", "B1")
    assert_only(validate(problem, [a]), "link_sequence", "B1")
    only_b = [asg(problem, "B1", "P2", None, "08:30")]
    assert_only(validate(problem, only_b), "link_sequence", "B1")


def two_day_problem(requests: Iterable[AppointmentRequest]) -> Problem:
    tuesday = DAY + dt.timedelta(days=1)
    return make_problem(
        requests,
        horizon=Horizon(start=DAY, end=tuesday, timezone=TZ),
        providers=(
            Provider(
                id="P1",
                skills=("primary_care",),
                sessions=weekly_sessions((0, 1), (T(8), T(17))),
            ),
        ),
    )


def test_same_day_sequence_on_different_dates() -> None:
    tuesday = DAY + dt.timedelta(days=1)
    link = SameDaySequence(request_id="A1", max_gap_minutes=24 * 60)
    problem = two_day_problem(
        [
            req("A1", "A", "TELE", latest="18:00"),
            req("B1", "A", "TELE", latest="18:00", day=tuesday, links=(link,)),
        ]
    )
    schedule = [
        asg(problem, "A1", "P1", None, "16:00"),
        asg(problem, "B1", "P1", None, "08:00", day=tuesday),
    ]
    assert_only(validate(problem, schedule), "link_sequence", "B1")


def test_follow_up() -> None:
    tuesday = DAY + dt.timedelta(days=1)
    link = FollowUp(request_id="A1", min_days=1)
    requests = [
        req("A1", "A", "TELE"),
        req("B1", "A", "TELE", earliest="07:00", latest="18:00", links=(link,)),
    ]
    requests[1] = requests[1].model_copy(update={"latest": at("18:00", tuesday)})
    problem = two_day_problem(requests)
    a = asg(problem, "A1", "P1", None, "08:00")
    assert validate(problem, [a, asg(problem, "B1", "P1", None, "08:00", day=tuesday)]).ok
    assert validate(problem, [a]).ok  # the follow-up may stay unscheduled
    assert validate(problem, []).ok
    same_day = [a, asg(problem, "B1", "P1", None, "09:00")]
    assert_only(validate(problem, same_day), "link_follow_up", "B1")
    only_b = [asg(problem, "B1", "P1", None, "08:00", day=tuesday)]
    assert_only(validate(problem, only_b), "link_follow_up", "B1")


# -- rule 13: pinned --------------------------------------------------------------------


def test_pinned_locked() -> None:
    e2 = Room(id="E2", kind="exam")
    pin = PinnedAppointment(request_id="R1", provider_id="P1", room_id="E1", start=at("09:00"))
    problem = make_problem(
        [req("R1", "A")],
        rooms=(Room(id="E1", kind="exam"), e2, Room(id="X1", kind="procedure")),
        pinned=(pin,),
    )
    assert validate(problem, [asg(problem, "R1", "P1", "E1", "09:00")]).ok
    assert validate(problem, [asg(problem, "R1", "P1", "E2", "09:00")]).ok  # same kind
    # same instant written in UTC is the same start
    utc = at("09:00").astimezone(dt.UTC)
    assert validate(problem, [asg(problem, "R1", "P1", "E1", utc)]).ok
    moved = [asg(problem, "R1", "P1", "E1", "09:30")]
    assert_only(validate(problem, moved), "pinned_locked", "R1")
    other = [asg(problem, "R1", "P2", "E1", "09:00")]
    assert_only(validate(problem, other), "pinned_locked", "R1")
    assert_only(validate(problem, []), "pinned_locked", "R1")
    report = validate(problem, [asg(problem, "R1", "P1", "E1", "09:00")])
    assert report.terms.pinned_moves == 0  # locked pins never count


# -- objective terms --------------------------------------------------------------------


def test_idle_gap() -> None:
    problem = make_problem([req("R1", "A", "TELE"), req("R2", "B", "TELE"), req("R3", "C", "TELE")])
    schedule = [
        asg(problem, "R1", "P1", None, "08:00"),
        asg(problem, "R2", "P1", None, "09:00"),
        asg(problem, "R3", "P2", None, "10:00"),  # a single visit: no gap
    ]
    report = validate(problem, schedule)
    assert report.ok
    assert report.terms.idle_gap == 40


def test_access_wait() -> None:
    problem = make_problem([req("R1", "A", "TELE", earliest="08:00", priority=3)])
    report = validate(problem, [asg(problem, "R1", "P1", None, "09:00")])
    assert report.ok
    assert report.terms.access_wait == 180


def test_unscheduled_terms() -> None:
    problem = make_problem(
        [req("R1", "A", priority=3), req("R2", "B", priority=5), req("R3", "C", earliest="08:00")]
    )
    report = validate(problem, [asg(problem, "R3", "P1", "E1", "08:00")])
    assert report.terms.unscheduled_count == 2
    assert report.terms.unscheduled_priority == 8
    assert report.terms.access_wait == 0


def test_preference_terms() -> None:
    morning = (TimeWindow(start=T(8), end=T(9)),)
    problem = make_problem(
        [
            req("R1", "A", "TELE", preferred_provider_ids=("P1",)),
            req("R2", "B", "TELE", preferred_provider_ids=("P1",)),
            req("R3", "C", "TELE", preferred_times=morning),
            req("R4", "D", "TELE", preferred_times=morning),
        ]
    )
    schedule = [
        asg(problem, "R1", "P1", None, "08:00"),
        asg(problem, "R2", "P2", None, "08:00"),  # miss
        asg(problem, "R3", "P1", None, "08:40"),  # 08:40 in [08:00, 09:00)
        asg(problem, "R4", "P2", None, "09:00"),  # 09:00 not in [08:00, 09:00): miss
    ]
    report = validate(problem, schedule)
    assert report.ok
    assert report.terms.provider_preference_misses == 1
    assert report.terms.time_preference_misses == 1


def test_pinned_move_terms() -> None:
    pins = (
        PinnedAppointment(request_id="R1", provider_id="P1", start=at("08:00"), locked=False),
        PinnedAppointment(
            request_id="R2", provider_id="P1", start=at("09:00"), locked=False, move_cost=50
        ),
        PinnedAppointment(
            request_id="R3", provider_id="P1", start=at("10:00"), locked=False, move_cost=7
        ),
        PinnedAppointment(
            request_id="R4", provider_id="P1", start=at("11:00"), locked=False, move_cost=1000
        ),
    )
    problem = make_problem([req(f"R{i}", f"A{i}", "TELE") for i in range(1, 5)], pinned=pins)
    schedule = [
        asg(problem, "R1", "P1", None, "08:00"),  # kept
        asg(problem, "R2", "P2", None, "09:00"),  # other provider: 50
        asg(problem, "R3", "P1", None, "10:30"),  # other start: 7
    ]  # R4 cancelled: 1000
    report = validate(problem, schedule)
    assert report.ok
    assert report.terms.pinned_moves == 3
    assert report.terms.pinned_move_cost == 1057


def test_weighted_objective() -> None:
    problem = make_problem(
        [
            req("R1", "A", "TELE", earliest="08:00", priority=2, preferred_provider_ids=("P2",)),
            req("R2", "B", "TELE", priority=4),
        ]
    )
    report = validate(problem, [asg(problem, "R1", "P1", None, "08:30")])
    terms = report.terms
    assert terms == ObjectiveTerms(
        unscheduled_priority=4,
        unscheduled_count=1,
        access_wait=60,
        idle_gap=0,
        provider_preference_misses=1,
    )
    weights = Weights(unscheduled=100, access_wait=2, provider_preference_miss=5)
    assert report.objective(weights) == 100 * 4 + 2 * 60 + 5 * 1


# -- daylight saving --------------------------------------------------------------------


def dst_problem(requests: Iterable[AppointmentRequest], **changes: Any) -> Problem:
    """Sunday 2026-03-08 in New York (02:00 EST jumps to 03:00 EDT); P1 works 01-04, 08-12."""
    sunday = dt.date(2026, 3, 8)
    base: dict[str, Any] = {
        "horizon": Horizon(start=sunday, end=sunday, timezone=TZ, closed_weekdays=()),
        "providers": (
            Provider(
                id="P1",
                skills=("primary_care",),
                sessions=weekly_sessions((6,), (T(1), T(4)), (T(8), T(12))),
            ),
        ),
    }
    return make_problem(requests, **(base | changes))


def test_dst_spring_forward_wait_duration_and_idle_gap() -> None:
    sunday = dt.date(2026, 3, 8)
    hour = VisitType(code="HOUR", duration_minutes=60, required_skill="primary_care")
    tele = VisitType(code="TELE", duration_minutes=20, required_skill="primary_care")
    problem = dst_problem(
        [
            req("R1", "A", "TELE", earliest="01:00", latest="12:00", day=sunday),
            req("R2", "B", "TELE", earliest="01:00", latest="12:00", day=sunday),
            req("R3", "C", "HOUR", earliest="01:00", latest="12:00", day=sunday),
        ],
        visit_types=(hour, tele),
    )
    # 01:00 EST to 09:00 EDT is 7 hours of true elapsed time (8 on the wall clock)
    r1 = asg(problem, "R1", "P1", None, "09:00", day=sunday)
    report = validate(problem, [r1])
    assert report.ok, report.violations
    assert report.terms.access_wait == 420

    # visits 01:00-01:20 EST and 03:00-03:20 EDT: 40 idle minutes, not 100
    early = asg(problem, "R1", "P1", None, "01:00", day=sunday)
    late = asg(problem, "R2", "P1", None, "03:00", day=sunday)
    report = validate(problem, [early, late])
    assert report.ok, report.violations
    assert report.terms.idle_gap == 40
    assert report.terms.access_wait == 0 + 60

    # a 60-minute visit from 01:30 EST ends at 03:30 EDT, inside the 01:00-04:00 session
    r3 = asg(problem, "R3", "P1", None, "01:30", day=sunday)
    assert r3.end.astimezone(ZONE).time() == T(3, 30)
    assert validate(problem, [r3]).ok
    # ending at 04:30 EDT is three hours on the wall clock but two of true time
    too_long = r3.model_copy(update={"end": at("04:30", sunday)})
    report = validate(problem, [too_long])
    assert "duration" in rules(report)
    assert any("120 minutes" in v.message for v in report.violations)


def test_dst_session_end_is_local_wall_time() -> None:
    # the 01:00-04:00 session is two true hours long and ends at 04:00 EDT
    sunday = dt.date(2026, 3, 8)
    problem = dst_problem([req("R1", "A", "TELE", earliest="01:00", latest="12:00", day=sunday)])
    assert validate(problem, [asg(problem, "R1", "P1", None, "03:40", day=sunday)]).ok
    for start in ("04:00", "04:20"):
        report = validate(problem, [asg(problem, "R1", "P1", None, start, day=sunday)])
        assert_only(report, "session", "R1")
        assert "(UTC-04:00)" in report.violations[0].message


def test_dst_skipped_wall_time_starts_after_the_gap() -> None:
    # a session starting at 02:30, a wall time that does not exist, opens at 03:00 EDT
    sunday = dt.date(2026, 3, 8)
    problem = dst_problem(
        [req("R1", "A", "TELE", earliest="01:00", latest="12:00", day=sunday)],
        providers=(
            Provider(
                id="P1",
                skills=("primary_care",),
                sessions=weekly_sessions((6,), (T(2, 30), T(4))),
            ),
        ),
    )
    assert validate(problem, [asg(problem, "R1", "P1", None, "03:00", day=sunday)]).ok
    report = validate(problem, [asg(problem, "R1", "P1", None, "01:55", day=sunday)])
    assert_only(report, "session", "R1")


def test_dst_fall_back_ambiguous_hour_is_two_instants() -> None:
    sunday = dt.date(2026, 11, 1)
    tele = VisitType(code="TELE", duration_minutes=20, required_skill="primary_care")
    problem = make_problem(
        [
            req("R1", "A", "TELE", earliest="00:00", latest="04:00", day=sunday),
            req("R2", "B", "TELE", earliest="00:00", latest="04:00", day=sunday),
        ],
        horizon=Horizon(start=sunday, end=sunday, timezone=TZ, closed_weekdays=()),
        providers=(
            Provider(
                id="P1",
                skills=("primary_care",),
                sessions=weekly_sessions((6,), (T(0, 30), T(3))),
            ),
        ),
        visit_types=(tele,),
    )
    first = at("01:30", sunday)  # fold=0: 01:30 EDT
    second = first.replace(fold=1)  # 01:30 EST, an hour later
    schedule = [
        asg(problem, "R1", "P1", None, first),
        asg(problem, "R2", "P1", None, second),
    ]
    report = validate(problem, schedule)
    assert report.ok, report.violations
    # idle: 01:50 EDT to 01:30 EST is 40 minutes; wait of R2 from 00:00 EDT is 150
    assert report.terms.idle_gap == 40
    assert report.terms.access_wait == 90 + 150


# -- pandas frames and schedule.csv -----------------------------------------------------


def frame_problem() -> tuple[Problem, Result]:
    problem = make_problem(
        [req("R1", "A", earliest="08:00", priority=2), req("R2", "B", "TELE"), req("R3", "C")]
    )
    result = result_of(
        problem,
        [asg(problem, "R1", "P1", "E1", "08:30"), asg(problem, "R2", "P2", None, "08:00")],
        unscheduled=["R3"],
    )
    return problem, result


def test_validate_frame() -> None:
    problem, result = frame_problem()
    frame = result.to_frame(problem)
    report = validate(problem, frame)
    assert report.ok
    assert report.terms == validate(problem, result).terms
    frame.loc[frame["request_id"] == "R2", "room_id"] = float("nan")
    assert validate(problem, frame).ok
    frame.loc[frame["request_id"] == "R2", "room_id"] = ""
    assert validate(problem, frame).ok
    frame.loc[frame["request_id"] == "R2", "patient_id"] = "Z"
    assert_only(validate(problem, frame), "conservation", "R2")


def test_validate_frame_bad_input() -> None:
    problem, result = frame_problem()
    frame = result.to_frame(problem)
    with pytest.raises(ProblemError, match="missing column"):
        validate(problem, frame.drop(columns=["end"]))
    naive = frame.assign(start=frame["start"].dt.tz_localize(None))
    with pytest.raises(ProblemError, match="row 1, column start"):
        validate(problem, naive)


def test_read_schedule_csv_round_trip(tmp_path: Path) -> None:
    problem, result = frame_problem()
    path = tmp_path / "schedule.csv"
    result.to_frame(problem).to_csv(path, index=False)
    frame = read_schedule_csv(path, problem)
    assert list(frame["request_id"]) == ["R2", "R1"]
    assert str(frame["start"].dt.tz) == TZ
    assert frame["start"].iloc[1].to_pydatetime() == at("08:30")
    assert frame["room_id"].iloc[0] is None
    assert list(frame["wait_minutes"]) == [60, 30]
    report = validate(problem, frame)
    assert report.ok
    assert report.terms == validate(problem, result.assignments).terms

    # ISO-8601 with "T" and another offset reads the same
    text = path.read_text().replace(" 08:30:00-04:00", "T12:30:00Z")
    path.write_text(text)
    assert read_schedule_csv(path, problem)["start"].iloc[1].to_pydatetime() == at("08:30")


def test_read_schedule_csv_errors(tmp_path: Path) -> None:
    problem, result = frame_problem()
    path = tmp_path / "schedule.csv"
    frame = result.to_frame(problem)
    frame.to_csv(path, index=False)
    lines = path.read_text().splitlines()

    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[2].replace("-04:00", "")]) + "\n")
    with pytest.raises(ProblemError, match=r"bad\.csv: row 2 \(line 3\), column start"):
        read_schedule_csv(bad, problem)

    bad.write_text("\n".join([lines[0], lines[1].replace("2026-03-09 08:20", "soon")]) + "\n")
    with pytest.raises(ProblemError, match=r"row 1 \(line 2\), column end: is not an ISO"):
        read_schedule_csv(bad, problem)

    bad.write_text("\n".join([lines[0], lines[1].replace(",60", ",sixty")]) + "\n")
    with pytest.raises(ProblemError, match="column wait_minutes"):
        read_schedule_csv(bad, problem)

    bad.write_text(lines[0].replace("provider_id,", "") + "\n")
    with pytest.raises(ProblemError, match=r"missing column.*provider_id"):
        read_schedule_csv(bad, problem)

    bad.write_text("")
    with pytest.raises(ProblemError, match="empty"):
        read_schedule_csv(bad, problem)

    with pytest.raises(ProblemError, match="cannot read"):
        read_schedule_csv(tmp_path / "absent.csv", problem)


def test_read_schedule_csv_empty_schedule(tmp_path: Path) -> None:
    problem, _ = frame_problem()
    path = tmp_path / "schedule.csv"
    result_of(problem, [], unscheduled=["R1", "R2", "R3"]).to_frame(problem).to_csv(
        path, index=False
    )
    frame = read_schedule_csv(path, problem)
    assert frame.empty
    assert validate(problem, frame, unscheduled_ids=["R1", "R2", "R3"]).ok
