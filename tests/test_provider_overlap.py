"""Provider rule (7) and the maximum of visits per day (11): exact optima on tiny instances."""

from __future__ import annotations

from builders import (
    DAY_MINUTES,
    at,
    day_of,
    make_problem,
    placed,
    provider,
    request,
    solve_checked,
    starts,
)
from psr_sched import Weights


def test_two_visits_one_provider_back_to_back() -> None:
    # One provider 08:00-12:00, two 30-minute requests from Monday 08:00.  They cannot
    # overlap, so one starts at 08:00 and the other at 08:30, back to back.
    # access_wait = 0 + 30 = 30; idle_gap = 09:00 - 08:00 - 60 = 0; objective = 30.
    problem = make_problem(requests=[request("R1"), request("R2")])
    result = solve_checked(problem)
    assert sorted(starts(result).values()) == ["08:00", "08:30"]
    assert {a.provider_id for a in result.assignments} == {"P1"}
    assert result.terms.access_wait == 30
    assert result.terms.idle_gap == 0
    assert result.objective == 30


def test_priority_decides_who_waits() -> None:
    # Same as above with priorities 3 (R1) and 1 (R2): R1 first (wait 0), R2 second
    # (wait 30 × 1).  The other order would cost 3 × 30 = 90.  objective = 30.
    problem = make_problem(requests=[request("R1", priority=3), request("R2", priority=1)])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:30"}
    assert result.objective == 30


def test_two_providers_see_two_patients_at_once() -> None:
    # With a second provider nothing waits: both start at 08:00; objective 0.
    problem = make_problem(
        providers=[provider("P1"), provider("P2")], requests=[request("R1"), request("R2")]
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:00"}
    assert {a.provider_id for a in result.assignments} == {"P1", "P2"}
    assert result.objective == 0


def test_max_visits_per_day_moves_one_to_day_two() -> None:
    # max_visits_per_day = 2, three 30-minute requests from Monday 08:00, two days.
    # Monday: 08:00 and 08:30 (waits 0 and 30); Tuesday 08:00: wait 24 h = 1440, which
    # counts the overnight minutes.  Idle 0 on both days.  objective = 1470.
    problem = make_problem(
        providers=[provider(max_visits_per_day=2)],
        requests=[request("R1"), request("R2"), request("R3")],
        days=2,
    )
    result = solve_checked(problem)
    by_day = sorted((day_of(a.start), a.start) for a in result.assignments)
    assert [d for d, _ in by_day] == [0, 0, 1]
    assert [s for _, s in by_day] == [at("08:00"), at("08:30"), at("08:00", 1)]
    assert result.terms.access_wait == 0 + 30 + DAY_MINUTES
    assert result.terms.idle_gap == 0
    assert result.objective == 1470


def test_max_visits_per_day_one_day_leaves_lowest_priority_unscheduled() -> None:
    # Same cap, one day: the priority-1 request is left out (10 000 × 1); the two others
    # (priorities 5 and 3) go 08:00 and 08:30 in that order: wait 3 × 30 = 90.
    # objective = 10 000 + 90 = 10 090.
    problem = make_problem(
        providers=[provider(max_visits_per_day=2)],
        requests=[request("R1", priority=1), request("R2", priority=5), request("R3", priority=3)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R2": "08:00", "R3": "08:30"}
    assert [u.request_id for u in result.unscheduled] == ["R1"]
    assert result.terms.unscheduled_priority == 1
    assert result.objective == 10_090


def test_max_visits_per_day_zero_sends_everyone_to_the_other_provider() -> None:
    # P1 takes no visits at all (cap 0); P2 has a session only from 10:00.  Both requests
    # go to P2 at 10:00 and 10:30: waits 120 + 150 = 270; idle 0.  objective = 270.
    problem = make_problem(
        providers=[
            provider("P1", max_visits_per_day=0),
            provider("P2", session=("10:00", "12:00")),
        ],
        requests=[request("R1"), request("R2")],
        weights=Weights(),
    )
    result = solve_checked(problem)
    assert {a.provider_id for a in placed(result).values()} == {"P2"}
    assert sorted(starts(result).values()) == ["10:00", "10:30"]
    assert result.objective == 270
