"""Room rule (8): pool capacity, turnover, room kinds, open hours, virtual visits."""

from __future__ import annotations

from builders import (
    at,
    dated,
    make_problem,
    placed,
    provider,
    reasons,
    request,
    sessions,
    solve_checked,
    starts,
    visit_type,
)
from builders import room as make_room
from psr_sched import ReasonCode

EXAM = visit_type("EX30", 30, room_kind="exam")
TWO_PROVIDERS = [provider("P1"), provider("P2")]


def test_one_room_two_providers_serializes_visits() -> None:
    # Two providers but one exam room: the two 30-minute visits cannot overlap.
    # 08:00 and 08:30: wait 0 + 30; each provider has one visit (idle 0).  objective = 30.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1")],
        visit_types=[EXAM],
        requests=[request("R1", "EX30"), request("R2", "EX30")],
    )
    result = solve_checked(problem)
    assert sorted(starts(result).values()) == ["08:00", "08:30"]
    assert {a.room_id for a in result.assignments} == {"X1"}
    assert result.objective == 30


def test_two_rooms_of_a_kind_work_in_parallel() -> None:
    # Two exam rooms: both start at 08:00 in different rooms.  objective = 0.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1"), make_room("X2")],
        visit_types=[EXAM],
        requests=[request("R1", "EX30"), request("R2", "EX30")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:00"}
    assert {a.room_id for a in result.assignments} == {"X1", "X2"}
    assert result.objective == 0


def test_turnover_delays_next_visit_in_room() -> None:
    # One room with 10 minutes turnover: 08:00-08:30, then the room is ready at 08:40.
    # wait 0 + 40 = 40.  objective = 40.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1", turnover=10)],
        visit_types=[EXAM],
        requests=[request("R1", "EX30", priority=2), request("R2", "EX30")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:40"}
    assert result.terms.access_wait == 40
    assert result.objective == 40


def test_turnover_not_a_multiple_of_the_grain_rounds_up() -> None:
    # Turnover 7 minutes on a 5-minute grain: the room is free again at 08:37, so the next
    # start on the grain is 08:40.  objective = 40.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1", turnover=7)],
        visit_types=[EXAM],
        requests=[request("R1", "EX30", priority=2), request("R2", "EX30")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:40"}
    assert result.objective == 40


def test_turnover_at_session_end() -> None:
    # One provider 08:00-09:00, one room with 30 minutes turnover, two 30-minute visits:
    # 08:00-08:30 then the room is busy until 09:00, so the second one does not fit.
    # The priority-2 request is placed; objective = 10 000.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        rooms=[make_room("X1", turnover=30)],
        visit_types=[EXAM],
        requests=[request("R1", "EX30", priority=2), request("R2", "EX30")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert reasons(result) == {"R2": ReasonCode.NO_CAPACITY_IN_WINDOW}
    assert result.objective == 10_000


def test_missing_room_kind() -> None:
    # The visit type needs a procedure room; the clinic has only an exam room.
    problem = make_problem(
        rooms=[make_room("X1", "exam")],
        visit_types=[visit_type("PROC", 30, room_kind="procedure")],
        requests=[request("R1", "PROC", priority=3)],
    )
    result = solve_checked(problem)
    assert result.assignments == ()
    assert reasons(result) == {"R1": ReasonCode.NO_ROOM_OF_KIND}
    assert result.objective == 30_000


def test_virtual_visit_takes_no_room() -> None:
    # One exam room, two providers: the in-person visit takes the room at 08:00, the
    # virtual one needs none and also starts at 08:00.  objective = 0.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1")],
        visit_types=[EXAM, visit_type("TELE", 30)],
        requests=[request("R1", "EX30"), request("R2", "TELE")],
    )
    result = solve_checked(problem)
    got = placed(result)
    assert got["R1"].room_id == "X1"
    assert got["R2"].room_id is None
    assert starts(result) == {"R1": "08:00", "R2": "08:00"}
    assert result.objective == 0


def test_room_closed_hours_respected() -> None:
    # The only exam room is closed 08:00-09:15 on Monday: the visit starts at 09:15,
    # wait 75.
    problem = make_problem(
        rooms=[make_room("X1", closed=[dated(0, "08:00", "09:15")])],
        visit_types=[EXAM],
        requests=[request("R1", "EX30")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:15"}
    assert result.objective == 75


def test_room_weekly_hours_respected() -> None:
    # The room opens 10:00-11:00 only: visit at 10:00, wait 120.
    problem = make_problem(
        rooms=[make_room("X1", hours=sessions(("10:00", "11:00")))],
        visit_types=[EXAM],
        requests=[request("R1", "EX30")],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].start == at("10:00")
    assert result.objective == 120


def test_room_closed_all_day_no_session_in_window() -> None:
    # The only exam room is closed all Monday: no place at all on a one-day horizon.
    problem = make_problem(
        rooms=[make_room("X1", closed=[dated(0)])],
        visit_types=[EXAM],
        requests=[request("R1", "EX30")],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_SESSION_IN_WINDOW}


def test_rooms_with_different_turnover_both_used() -> None:
    # Two exam rooms, one with 30 minutes turnover (X1), one without (X2); three providers,
    # three visits from 08:00: two start at 08:00 (one per room); the third at 08:30 in X2
    # (X1 is busy until 09:00).  wait 30.  objective = 30.
    problem = make_problem(
        providers=[provider("P1"), provider("P2"), provider("P3")],
        rooms=[make_room("X1", turnover=30), make_room("X2")],
        visit_types=[EXAM],
        requests=[request("R1", "EX30"), request("R2", "EX30"), request("R3", "EX30")],
    )
    result = solve_checked(problem)
    assert sorted(starts(result).values()) == ["08:00", "08:00", "08:30"]
    late = [a for a in result.assignments if a.start == at("08:30")]
    assert late[0].room_id == "X2"
    assert result.objective == 30


def test_room_closure_off_the_grain_is_respected() -> None:
    # The room is closed 08:32-09:00; the request may start from 08:05.  08:05-08:35 would
    # overlap the closure by three minutes, so the visit starts at 09:00: wait 55.
    problem = make_problem(
        rooms=[make_room("X1", closed=[dated(0, "08:32", "09:00")])],
        visit_types=[EXAM],
        requests=[request("R1", "EX30", earliest=at("08:05"))],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:00"}
    assert result.objective == 55
