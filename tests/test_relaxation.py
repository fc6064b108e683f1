"""The mean-busy-time LP: exact on tiny cases, a lower bound on every generated problem."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from builders import (
    DAY_MINUTES,
    at,
    dated,
    make_problem,
    provider,
    request,
    solve_checked,
    visit_type,
)
from psr_sched import SameDaySequence, SolveOptions, solve
from psr_sched.solver.candidates import build_candidates
from psr_sched.solver.relaxation import choose_slot_grains, mean_busy_time
from test_properties import problems


def _lp(problem, slot_grains: int = 1):  # type: ignore[no-untyped-def]
    cand = build_candidates(problem)
    return mean_busy_time(problem, cand, slot_grains=slot_grains, time_limit_s=10)


def test_identical_requests_form_one_class_and_the_bound_is_exact() -> None:
    # Three 30-minute visits for one provider from 08:00: the best schedule waits
    # 0 + 30 + 60 minutes.  On one machine with equal lengths the relaxation is tight.
    problem = make_problem(
        providers=[provider("P1")],
        visit_types=[visit_type("V30", 30)],
        requests=[request(f"R{i}") for i in range(3)],
        days=1,
    )
    lb = _lp(problem)
    assert lb.classes == 1
    assert lb.optimal
    assert lb.value == 90
    assert solve_checked(problem).objective == 90
    # Each request gets one of the three visits, in id order, at its LP mean start.
    np.testing.assert_allclose(lb.placed, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(lb.start[np.argsort(lb.start)], sorted(lb.start))
    assert lb.start[0] < lb.start[1] < lb.start[2]


def test_priorities_are_weighted_and_overflow_is_unscheduled() -> None:
    # One hour of session, three 30-minute visits: one must stay out (10,000 × priority).
    problem = make_problem(
        providers=[provider("P1", session=("08:00", "09:00"))],
        visit_types=[visit_type("V30", 30)],
        requests=[
            request("LOW", priority=1),
            request("HI", priority=10),
            request("MID", priority=3),
        ],
        days=1,
    )
    lb = _lp(problem)
    # HI at 08:00, MID at 08:30 (wait 30 × 3), LOW unscheduled.
    assert lb.value == 3 * 30 + 10_000
    assert solve_checked(problem).objective == lb.value


def test_a_same_day_sequence_row_keeps_partners_on_one_day() -> None:
    # A then B on one day; B's provider works Tuesday only.  Without the link rows the LP
    # would put A on Monday at 08:00 for free; with them A goes to Tuesday (a day's wait).
    problem = make_problem(
        providers=[
            provider("PA", skills=["a"]),
            provider("PB", skills=["b"], session=None, extra_sessions=[dated(1, "08:00", "12:00")]),
        ],
        visit_types=[visit_type("VA", 30, skill="a"), visit_type("VB", 30, skill="b")],
        requests=[
            request("A", "VA", patient="pt"),
            request(
                "B",
                "VB",
                patient="pt",
                earliest=at("08:00", 1),
                links=[SameDaySequence(request_id="A", min_gap_minutes=0, max_gap_minutes=240)],
            ),
        ],
        days=2,
    )
    lb = _lp(problem)
    result = solve_checked(problem)
    # A Tuesday 08:00 (a day's wait), B right after it (30 minutes).
    assert result.objective == DAY_MINUTES + 30
    assert lb.value is not None and DAY_MINUTES <= lb.value <= result.objective


@pytest.mark.parametrize("slot_grains", [2, 3, 6])
def test_coarser_slots_give_a_weaker_but_valid_bound(slot_grains: int) -> None:
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("09:00", "12:00"))],
        visit_types=[visit_type("V30", 30), visit_type("V20", 20)],
        requests=[
            request(f"R{i}", "V30" if i % 2 else "V20", priority=1 + i % 3) for i in range(14)
        ],
        days=2,
    )
    fine, coarse = _lp(problem), _lp(problem, slot_grains)
    assert fine.value is not None and coarse.value is not None
    schedule = solve(problem, SolveOptions(time_limit_s=1, workers=1, seed=0))
    assert coarse.value <= fine.value <= schedule.objective
    assert coarse.columns < fine.columns


def test_slot_length_follows_the_column_budget() -> None:
    problem = make_problem(
        providers=[provider("P1")],
        visit_types=[visit_type("V30", 30)],
        requests=[request(f"R{i}") for i in range(5)],
        days=5,
    )
    cand = build_candidates(problem)
    assert choose_slot_grains(problem, cand, 10**9) == 1
    assert choose_slot_grains(problem, cand, 1) == 60 // cand.grain


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problems())
def test_the_bound_never_exceeds_a_valid_schedule(problem) -> None:  # type: ignore[no-untyped-def]
    if problem.weights.mode != "weighted":
        return
    lb = _lp(problem)
    if lb.value is None:
        return
    # Any valid schedule will do: the construction alone, and the engine's in half a second.
    for options in (
        SolveOptions(use_cpsat=False),
        SolveOptions(time_limit_s=0.5, workers=1, seed=0),
    ):
        assert lb.value <= solve(problem, options).objective
