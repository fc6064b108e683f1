"""Pinned rule (13) and the pinned-move term: locked pins stay, movable ones move at a cost."""

from __future__ import annotations

import pytest

from builders import (
    at,
    check,
    hm,
    make_problem,
    pin,
    placed,
    provider,
    reasons,
    request,
    solve_checked,
    starts,
    visit_type,
)
from builders import room as make_room
from psr_sched import Problem, ProblemError, ReasonCode, SameDaySequence, SolveOptions, solve

TWO_PROVIDERS = [provider("P1"), provider("P2")]


def test_locked_pin_kept_exactly() -> None:
    # R1 is booked with P2 at 10:00, locked.  P1 is free at 08:00 but the pin stays:
    # provider P2, start 10:00, wait 120.  Locked pins never count as moves.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        requests=[request("R1")],
        pinned=[pin("R1", at("10:00"), "P2", locked=True)],
    )
    result = solve_checked(problem)
    got = placed(result)["R1"]
    assert (got.provider_id, got.start) == ("P2", at("10:00"))
    assert result.terms.pinned_moves == 0
    assert result.objective == 120


def test_locked_pin_blocks_its_slot_for_others() -> None:
    # R1 locked with P1 at 08:00; R2 (priority 5) must then wait until 08:30 although it
    # would be cheaper to put R2 first.  objective = 5 × 30 = 150.
    problem = make_problem(
        requests=[request("R1"), request("R2", priority=5)],
        pinned=[pin("R1", at("08:00"), locked=True)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:30"}
    assert result.objective == 150


def test_locked_pin_may_change_room_of_the_same_kind() -> None:
    # R1 is pinned (locked) with P1 at 08:00 in room X1, and R2 is pinned (locked) with
    # P2 at 08:00 in room X1 too: they cannot share X1, so one of them takes X2 (same
    # kind).  Both keep provider and start.  objective = 0.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        rooms=[make_room("X1"), make_room("X2")],
        visit_types=[visit_type("EX30", 30, room_kind="exam")],
        requests=[request("R1", "EX30"), request("R2", "EX30")],
        pinned=[
            pin("R1", at("08:00"), "P1", room_id="X1"),
            pin("R2", at("08:00"), "P2", room_id="X1"),
        ],
    )
    result = solve_checked(problem)
    got = placed(result)
    assert (got["R1"].provider_id, got["R2"].provider_id) == ("P1", "P2")
    assert starts(result) == {"R1": "08:00", "R2": "08:00"}
    assert {got["R1"].room_id, got["R2"].room_id} == {"X1", "X2"}
    assert result.objective == 0


def test_movable_pin_moved_when_it_saves_more_than_move_cost() -> None:
    # R1 booked with P1 at 10:00, movable at cost 50.  Keeping it: wait 120.  Moving it to
    # 08:00: wait 0 + move cost 50.  objective = 50, one move.
    problem = make_problem(
        requests=[request("R1")],
        pinned=[pin("R1", at("10:00"), locked=False, move_cost=50)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.terms.pinned_moves == 1
    assert result.terms.pinned_move_cost == 50
    assert result.objective == 50


def test_movable_pin_kept_when_moving_costs_more() -> None:
    # Same with move cost 200 > 120 saved: kept at 10:00.  objective = 120.
    problem = make_problem(
        requests=[request("R1")],
        pinned=[pin("R1", at("10:00"), locked=False, move_cost=200)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "10:00"}
    assert result.terms.pinned_moves == 0
    assert result.objective == 120


def test_movable_pin_to_other_provider_counts_as_move() -> None:
    # R1 booked with P2 at 08:00 (movable, cost 10), R2 (priority 5) may only see P2.
    # Keeping R1: R2 waits 30 × 5 = 150.  Moving R1 to P1 at 08:00 (same start, other
    # provider) costs 10 and frees P2 for R2 at 08:00.  objective = 10.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        requests=[request("R1"), request("R2", priority=5, allowed_providers=["P2"])],
        pinned=[pin("R1", at("08:00"), "P2", locked=False, move_cost=10)],
    )
    result = solve_checked(problem)
    got = placed(result)
    assert (got["R1"].provider_id, hm(got["R1"].start)) == ("P1", "08:00")
    assert (got["R2"].provider_id, hm(got["R2"].start)) == ("P2", "08:00")
    assert result.terms.pinned_moves == 1
    assert result.objective == 10


def test_movable_pin_cancelled_as_last_resort() -> None:
    # R1 (priority 1) is booked at 08:00, movable at cost 120; R2 (priority 5) and R1
    # both fit only 08:00-08:30 (one provider).  Leaving R2 out costs 50 000; cancelling
    # R1 costs 10 000 + 120.  objective = 10 120.
    problem = make_problem(
        requests=[
            request("R1", latest=at("08:30")),
            request("R2", priority=5, latest=at("08:30")),
        ],
        pinned=[pin("R1", at("08:00"), locked=False, move_cost=120)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R2": "08:00"}
    assert reasons(result) == {"R1": ReasonCode.NO_CAPACITY_IN_WINDOW}
    assert result.terms.pinned_moves == 1
    assert result.terms.pinned_move_cost == 120
    assert result.objective == 10_120


def test_movable_pin_outside_session_is_moved() -> None:
    # A movable pin at 13:00 (outside the 08:00-12:00 session) is not an error: the visit
    # is placed at 08:00 and the move is paid.  objective = 120 (default move cost).
    problem = make_problem(
        requests=[request("R1")],
        pinned=[pin("R1", at("13:00"), locked=False)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.terms.pinned_moves == 1
    assert result.objective == 120


def test_locked_pin_outside_session_is_a_problem_error() -> None:
    problem = make_problem(
        requests=[request("R1")],
        pinned=[pin("R1", at("13:00"), locked=True)],
    )
    with pytest.raises(ProblemError, match="pinned appointment R1"):
        solve(problem)


def test_locked_pin_off_grain_is_a_problem_error() -> None:
    problem = make_problem(
        requests=[request("R1")],
        pinned=[pin("R1", at("08:03"), locked=True)],
    )
    with pytest.raises(ProblemError, match=r"pinned appointment R1.*start"):
        solve(problem)


def _valid_or_problem_error(problem: Problem) -> None:
    """A problem with no valid schedule must raise ProblemError, never return a bad one."""
    try:
        result = solve(problem, SolveOptions(time_limit_s=1, workers=2, seed=0))
    except ProblemError as exc:
        assert "pinned appointment" in str(exc)
        return
    check(problem, result)


def test_two_locked_pins_clashing_on_one_provider() -> None:
    # R1 and R2 are both locked with P1 at 08:00: no valid schedule keeps both, so the
    # problem is in error (a result would break the provider rule).
    problem = make_problem(
        requests=[request("R1"), request("R2")],
        pinned=[pin("R1", at("08:00")), pin("R2", at("08:00"))],
    )
    with pytest.raises(ProblemError, match="pinned appointment"):
        solve(problem, SolveOptions(time_limit_s=1, workers=2, seed=0))


def test_locked_pin_whose_sequence_partner_cannot_fit() -> None:
    # B is locked at 08:00 and must follow A the same day with a gap of exactly 0: A would
    # have to end at 08:00, before the session opens.  Both-or-neither plus the lock leave
    # no valid schedule: ProblemError, not a schedule with B alone.
    problem = make_problem(
        providers=[provider("P1", skills=["lab", "md"])],
        visit_types=[visit_type("LAB", 30, skill="lab"), visit_type("MD", 30, skill="md")],
        requests=[
            request("A", "LAB", patient="x"),
            request(
                "B",
                "MD",
                patient="x",
                links=[SameDaySequence(request_id="A", min_gap_minutes=0, max_gap_minutes=0)],
            ),
        ],
        pinned=[pin("B", at("08:00"))],
    )
    _valid_or_problem_error(problem)
    with pytest.raises(ProblemError):
        solve(problem, SolveOptions(time_limit_s=1, workers=2, seed=0))
