"""Session rule (6): visits inside one session, time off removed, extra sessions added."""

from __future__ import annotations

import pytest

from builders import (
    DAY_MINUTES,
    at,
    dated,
    day_of,
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
from psr_sched import ReasonCode, Weights

V40 = visit_type("V40", 40)


def test_visit_never_crosses_session_end_one_day() -> None:
    # Session 08:00-09:00 only; two 40-minute visits do not both fit (the second would end
    # at 09:20).  R1 (priority 2) at 08:00; R2 (priority 1) unscheduled for capacity.
    # objective = 10 000 × 1 = 10 000.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        visit_types=[V40],
        requests=[request("R1", "V40", priority=2), request("R2", "V40", priority=1)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert reasons(result) == {"R2": ReasonCode.NO_CAPACITY_IN_WINDOW}
    assert result.objective == 10_000


def test_visit_never_crosses_session_end_next_day() -> None:
    # Same on a two-day horizon: R2 goes to Tuesday 08:00, wait 1440.  objective = 1440.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        visit_types=[V40],
        requests=[request("R1", "V40", priority=2), request("R2", "V40", priority=1)],
        days=2,
    )
    result = solve_checked(problem)
    got = placed(result)
    assert got["R1"].start == at("08:00")
    assert got["R2"].start == at("08:00", 1)
    assert result.objective == DAY_MINUTES


def test_adjacent_sessions_are_not_joined() -> None:
    # Sessions 08:00-09:00 and 09:00-10:00 (two sessions touching at 09:00).  A visit may
    # not cross 09:00, so the second 40-minute visit starts at 09:00, not 08:40.
    # idle_gap weight 0 to make the optimum unique: R1 (priority 2) 08:00 wait 0,
    # R2 (priority 1) 09:00 wait 60.  objective = 60 (idle term 100 - 80 = 20, unweighted).
    problem = make_problem(
        providers=[provider(weekly=sessions(("08:00", "09:00"), ("09:00", "10:00")))],
        visit_types=[V40],
        requests=[request("R1", "V40", priority=2), request("R2", "V40", priority=1)],
        weights=Weights(idle_gap=0),
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "09:00"}
    assert result.terms.access_wait == 60
    assert result.terms.idle_gap == 20
    assert result.objective == 60


def test_partial_time_off_splits_the_session() -> None:
    # Session 08:00-12:00 minus time off 09:00-09:30 on Monday; two 60-minute visits.
    # Best: 08:00-09:00 and 09:30-10:30: waits 0 + 90, idle 150 - 120 = 30 → 120.
    # (Both after the break: waits 90 + 150 = 240.  Crossing the break is forbidden.)
    problem = make_problem(
        providers=[provider(unavailable=[dated(0, "09:00", "09:30")])],
        visit_types=[visit_type("V60", 60)],
        requests=[request("R1", "V60"), request("R2", "V60")],
    )
    result = solve_checked(problem)
    assert sorted(starts(result).values()) == ["08:00", "09:30"]
    assert result.terms.access_wait == 90
    assert result.terms.idle_gap == 30
    assert result.objective == 120


def test_time_off_at_session_start_delays_first_visit() -> None:
    # Time off 08:00-10:00: the single visit starts at 10:00, wait 120.
    problem = make_problem(
        providers=[provider(unavailable=[dated(0, "08:00", "10:00")])],
        requests=[request("R1")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "10:00"}
    assert result.objective == 120


def test_whole_day_time_off_moves_visit_to_next_day() -> None:
    # Monday off (no times = whole day), two-day horizon: Tuesday 08:00, wait 1440.
    problem = make_problem(
        providers=[provider(unavailable=[dated(0)])],
        requests=[request("R1")],
        days=2,
    )
    result = solve_checked(problem)
    assert day_of(placed(result)["R1"].start) == 1
    assert starts(result) == {"R1": "08:00"}
    assert result.objective == DAY_MINUTES


def test_whole_day_time_off_one_day_no_session() -> None:
    # Monday off, one-day horizon: no session in the window at all.
    problem = make_problem(providers=[provider(unavailable=[dated(0)])], requests=[request("R1")])
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_SESSION_IN_WINDOW}
    assert result.objective == 10_000


def test_extra_session_before_weekly_session_is_used() -> None:
    # Weekly 08:00-12:00 plus an extra session Monday 07:00-08:00; the request may start
    # from 07:00.  Best: 07:00, wait 0.
    problem = make_problem(
        providers=[provider(extra_sessions=[dated(0, "07:00", "08:00")])],
        requests=[request("R1", earliest=at("07:00"))],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "07:00"}
    assert result.objective == 0


def test_extra_session_only() -> None:
    # No weekly session, one extra session Monday 13:00-14:00 (requests from 08:00).
    # Priorities 2, 1, 1 and room for two 30-minute visits: R1 at 13:00 (2 × 300 = 600),
    # one priority-1 request at 13:30 (330), the other unscheduled (10 000).
    # objective = 600 + 330 + 10 000 = 10 930.
    problem = make_problem(
        providers=[provider(session=None, extra_sessions=[dated(0, "13:00", "14:00")])],
        requests=[request("R1", priority=2), request("R2"), request("R3")],
    )
    result = solve_checked(problem)
    got = starts(result)
    assert got["R1"] == "13:00"
    assert len(got) == 2
    assert sorted(got.values()) == ["13:00", "13:30"]
    assert list(reasons(result).values()) == [ReasonCode.NO_CAPACITY_IN_WINDOW]
    assert result.objective == 10_930


def test_extra_session_on_day_two_beats_waiting() -> None:
    # Provider P1 works no weekly session; an extra session on Tuesday 08:00-09:00.  The
    # request gets Tuesday 08:00 (wait 1440).
    problem = make_problem(
        providers=[provider(session=None, extra_sessions=[dated(1, "08:00", "09:00")])],
        requests=[request("R1")],
        days=2,
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].start == at("08:00", 1)
    assert result.objective == DAY_MINUTES


@pytest.mark.parametrize(
    ("off", "earliest", "expected", "wait"),
    [
        # Time off 08:32-09:00, request from 08:05: 08:05-08:35 would overlap it by three
        # minutes, so the first start is 09:00 (wait 55).
        (("08:32", "09:00"), "08:05", "09:00", 55),
        # Time off 08:00-08:32, request from 08:00: the first start on the grain after the
        # time off is 08:35 (wait 35), not 08:30.
        (("08:00", "08:32"), "08:00", "08:35", 35),
    ],
)
def test_time_off_off_the_grain_is_respected(
    off: tuple[str, str], earliest: str, expected: str, wait: int
) -> None:
    problem = make_problem(
        providers=[provider(unavailable=[dated(0, *off)])],
        requests=[request("R1", earliest=at(earliest))],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": expected}
    assert result.objective == wait
