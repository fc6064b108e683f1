"""The LP lower bound: never above the optimum, exact where it should be, and honest.

Hand-computed cases (default weights: every term in minutes, ``unscheduled`` 10 000 per unit
of priority) check exactness; proven optima of small crowded instances and random problems
check validity (the bound never exceeds an objective); the wire encoding and the safe dual
bound are checked on their own.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from ortools.linear_solver import linear_solver_pb2

import test_properties as properties
from builders import (
    DAY_MINUTES,
    at,
    desk,
    make_problem,
    pin,
    provider,
    request,
    room,
    solve_checked,
    visit_type,
)
from psr_sched import (
    BeforeVisit,
    FollowUp,
    Problem,
    SameDaySequence,
    SolveOptions,
    Weights,
    solve,
)
from psr_sched.solver import bound
from psr_sched.solver.bound import LowerBound, lp_lower_bound
from psr_sched.solver.candidates import build_candidates


def lower_bound(problem: Problem, slot_minutes: int = 30) -> LowerBound:
    result = lp_lower_bound(problem, build_candidates(problem), slot_minutes=slot_minutes)
    assert result is not None
    assert result.lp_optimal
    return result


def test_single_request_bound_is_exact() -> None:
    # The session opens at 09:00, the request may start from 08:00: wait 60, no idle time.
    problem = make_problem(
        providers=[provider(session=("09:00", "12:00"))],
        requests=[request("R1", earliest=at("08:00"))],
    )
    result = solve_checked(problem)
    assert result.objective == 60
    for slot in (5, 30, 60):
        assert lower_bound(problem, slot).value == 60
    assert lower_bound(problem).source == "lp-time-indexed-30min"


def test_back_to_back_visits_bound_is_exact() -> None:
    # One provider, four 30-minute visits from 08:00: starts 08:00 to 09:30, waits
    # 0 + 30 + 60 + 90 = 180.  With 30-minute slots the provider windows are exact.
    problem = make_problem(requests=[request(f"R{i}") for i in range(4)])
    result = solve_checked(problem)
    assert result.objective == 180
    assert lower_bound(problem).value == 180


def test_unplaceable_requests_add_a_constant() -> None:
    # Nobody has skill "x": both requests stay unscheduled, 10 000 × (2 + 3).
    problem = make_problem(
        visit_types=[visit_type("V30"), visit_type("SK", skill="x")],
        requests=[request("R1", "SK", priority=2), request("R2", "SK", priority=3)],
    )
    result = solve_checked(problem)
    assert result.objective == 50_000
    lb = lower_bound(problem)
    assert lb.value == 50_000
    assert (lb.variables, lb.constraints) == (0, 0)
    # With one placeable request at its earliest start, the constant stays.
    problem = make_problem(
        visit_types=[visit_type("V30"), visit_type("SK", skill="x")],
        requests=[request("R1", "SK", priority=2), request("R2")],
    )
    assert solve_checked(problem).objective == 20_000
    assert lower_bound(problem).value == 20_000


def test_capacity_forces_an_unscheduled_request() -> None:
    # A one-hour session and three 30-minute requests that must be seen by 09:00: one
    # stays unscheduled (the lowest priority); the others wait 0 and 30.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        requests=[
            request(f"R{i}", latest=at("09:00"), priority=p) for i, p in enumerate((1, 2, 3))
        ],
    )
    result = solve_checked(problem)
    assert result.objective == 10_000 + 2 * 0 + 3 * 0 + 30 * 2
    lb = lower_bound(problem)
    assert 10_000 <= lb.value <= result.objective


def test_bound_never_exceeds_proven_optima_with_rooms_and_desk() -> None:
    # Two providers share one exam room with turnover and a one-station desk: the shared
    # resources, not the providers, limit the mornings.  (No idle-gap weight: CP-SAT then
    # proves these optima quickly; with 7 requests it needs several seconds of an idle
    # machine, so the test stops at 6.)
    exam = visit_type("EX", 20, room_kind="exam", check_in=10)
    for n_requests in (3, 5, 6):
        problem = make_problem(
            providers=[provider("P1"), provider("P2")],
            rooms=[room("X1", turnover=10)],
            visit_types=[exam],
            front_desk=desk(("07:50", "12:00", 1)),
            requests=[request(f"R{i}", "EX", priority=1 + i % 3) for i in range(n_requests)],
            weights=Weights(idle_gap=0),
        )
        result = solve_checked(problem)
        lb = lower_bound(problem)
        assert lb.value <= result.objective
        assert lb.value > 0  # more than the trivial bound (everyone at 08:00)


def test_soft_terms_are_exact() -> None:
    # Only P1 works but P2 is preferred: a provider-preference miss (60).
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=None)],
        requests=[request("R1", preferred_providers=["P2"])],
    )
    assert solve_checked(problem).objective == 60
    assert lower_bound(problem).value == 60
    # The preferred time lies outside every session: a time-preference miss (30).
    problem = make_problem(requests=[request("R1", preferred_times=[("13:00", "14:00")])])
    assert solve_checked(problem).objective == 30
    assert lower_bound(problem).value == 30
    # A movable pin at 10:00: keep it (wait 120) or move it to 08:00 (cost 120).
    problem = make_problem(
        requests=[request("R1")], pinned=[pin("R1", at("10:00"), locked=False, move_cost=120)]
    )
    assert solve_checked(problem).objective == 120
    assert lower_bound(problem).value == 120


def test_links_are_relaxed_validly() -> None:
    # A follow-up at least a day later: Tuesday 08:00, a wait of one day.
    problem = make_problem(
        requests=[
            request("A", patient="x"),
            request("B", patient="x", links=[FollowUp(request_id="A", min_days=1)]),
        ],
        days=2,
    )
    assert solve_checked(problem).objective == DAY_MINUTES
    assert lower_bound(problem).value == DAY_MINUTES
    # B one to two hours after A ends: A 08:00-08:30, B 09:30 (wait 90, idle 60).
    sequence = SameDaySequence(request_id="A", min_gap_minutes=60, max_gap_minutes=120)
    problem = make_problem(
        requests=[request("A", patient="x"), request("B", patient="x", links=[sequence])]
    )
    optimum = solve_checked(problem).objective
    assert optimum == 150
    assert 90 <= lower_bound(problem).value <= optimum
    # A counselling visit C up to a day before the procedure V, which opens on Tuesday.
    before = BeforeVisit(request_id="V", max_days_before=1)
    problem = make_problem(
        requests=[
            request("V", patient="x", earliest=at("08:00", 1)),
            request("C", patient="x", links=[before]),
        ],
        days=3,
    )
    optimum = solve_checked(problem).objective
    assert lower_bound(problem).value <= optimum


def test_lexicographic_mode_has_no_bound() -> None:
    problem = make_problem(
        requests=[request("R1")], weights=Weights(mode="lexicographic", unscheduled=50)
    )
    assert lp_lower_bound(problem, build_candidates(problem)) is None


def test_time_limit_is_honored() -> None:
    problem = make_problem(requests=[request(f"R{i}") for i in range(4)])
    assert lp_lower_bound(problem, build_candidates(problem), time_limit_s=0.0) is None


def crowded() -> Problem:
    """Two providers, one exam room, one desk station, ten requests over two days."""
    exam = visit_type("EX", 20, room_kind="exam", check_in=10)
    return make_problem(
        providers=[provider("P1"), provider("P2", session=("09:00", "11:00"))],
        rooms=[room("X1", turnover=5)],
        visit_types=[exam, visit_type()],
        front_desk=desk(("07:45", "12:00", 1)),
        requests=[
            request(f"R{i}", "EX" if i % 3 else "V30", priority=1 + i % 4) for i in range(10)
        ],
        days=2,
    )


def test_rows_beyond_the_spare_rows_still_join(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = crowded()
    expected = lower_bound(problem).value
    # No spare rows at all: every joining row is a new row of the LP.
    monkeypatch.setattr(bound, "_MIN_SPARE_ROWS", 0)
    monkeypatch.setattr(bound, "_SPARE_DIVISOR", 10**9)
    assert lower_bound(problem).value == expected


def test_dual_simplex_rounds_give_the_same_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rounds where only rows join re-solve with the dual simplex; the primal simplex alone
    # reaches the same LP optimum.
    problem = crowded()
    switch = bound._IncrementalLp.use_dual_simplex
    calls: list[bool] = []

    def record(self: bound._IncrementalLp, dual: bool) -> None:
        calls.append(dual)
        switch(self, dual)

    monkeypatch.setattr(bound._IncrementalLp, "use_dual_simplex", record)
    mixed = lower_bound(problem, slot_minutes=15)
    assert True in calls
    monkeypatch.setattr(
        bound._IncrementalLp, "use_dual_simplex", lambda self, dual: switch(self, False)
    )
    assert lower_bound(problem, slot_minutes=15).value == mixed.value


def test_a_stopped_search_keeps_a_valid_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate the time limit striking in the second round: the first round's Lagrangian
    # bound (or the bound at zero duals) comes back, flagged as not the LP optimum.
    problem = crowded()
    full = lower_bound(problem)
    assert full.rounds >= 2
    solve_lp = bound._IncrementalLp.solve
    calls = []

    def stop_second(self: bound._IncrementalLp, time_limit_s: float) -> object:
        calls.append(time_limit_s)
        return solve_lp(self, time_limit_s) if len(calls) == 1 else None

    monkeypatch.setattr(bound._IncrementalLp, "solve", stop_second)
    partial = lp_lower_bound(problem, build_candidates(problem))
    assert partial is not None
    assert not partial.lp_optimal
    assert partial.rounds == 2
    assert 0 < partial.value <= full.value


def test_placement_only_seeds_the_first_lp() -> None:
    problem = make_problem(requests=[request(f"R{i}", priority=1 + i % 2) for i in range(6)])
    cand = build_candidates(problem)
    result = solve_checked(problem)
    index = {r.id: i for i, r in enumerate(problem.requests)}
    placement = {}
    for a in result.assignments:
        r = index[a.request_id]
        (o,) = cand.by_request[r]
        placement[r] = (o, problem.horizon.minute_of(a.start) // cand.grain)
    seeded = lp_lower_bound(problem, cand, placement=placement)
    assert seeded is not None
    assert seeded.value == lower_bound(problem).value


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(properties.problems())
def test_bound_is_below_the_objective(problem: Problem) -> None:
    result = solve(problem, SolveOptions(time_limit_s=1, workers=2, seed=0))
    lb = lp_lower_bound(problem, build_candidates(problem), time_limit_s=10)
    if problem.weights.mode == "lexicographic":
        assert lb is None
        return
    assert lb is not None
    assert lb.value <= result.objective


def test_any_duals_give_a_valid_bound() -> None:
    # The Lagrangian bound holds for every dual vector, not only the LP's.
    exam = visit_type("EX", 30, room_kind="exam", check_in=5)
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        rooms=[room("X1")],
        visit_types=[exam],
        front_desk=desk(("07:30", "12:00", 1)),
        requests=[request(f"R{i}", "EX", priority=1 + i % 3) for i in range(6)],
    )
    optimum = solve_checked(problem).objective
    relaxation = bound._Relaxation(problem, build_candidates(problem), slot=6)
    relaxation.build()
    ptr, cols, values, lower, upper, _ = relaxation.rows.csr()
    cost, col_upper, group = relaxation.columns()
    row_of = np.repeat(np.arange(len(lower)), np.diff(ptr))
    rng = np.random.default_rng(0)
    for scale in (0.0, 1.0, 100.0, 10_000.0):
        duals = rng.normal(0.0, scale, len(lower))
        value, _, _ = bound._safe_dual_bound(
            cost, col_upper, group, row_of, cols, values, lower, upper, duals
        )
        assert value + relaxation.constant <= optimum + 1e-6


def test_model_encoding_round_trips() -> None:
    ptr = np.array([0, 2, 2, 5])
    cols = np.array([0, 300, 1, 2, 70_000])
    values = np.array([1.0, -2.5, 3.0, 0.25, 7.0])
    raw = bound._encode_model(
        cost=np.array([1.0, 0.0, 2.0]),
        col_lower=np.array([0.0, -np.inf, 1.0]),
        col_upper=np.array([1.0, np.inf, 4.0]),
        ptr=ptr,
        cols=cols,
        values=values,
        lower=np.array([-np.inf, 0.0, 1.0]),
        upper=np.array([5.0, 0.0, np.inf]),
    )
    model = linear_solver_pb2.MPModelProto.FromString(raw)
    assert [(v.lower_bound, v.upper_bound, v.objective_coefficient) for v in model.variable] == [
        (0.0, 1.0, 1.0),
        (-np.inf, np.inf, 0.0),
        (1.0, 4.0, 2.0),
    ]
    rows = [
        (list(c.var_index), list(c.coefficient), c.lower_bound, c.upper_bound)
        for c in model.constraint
    ]
    assert rows == [
        ([0, 300], [1.0, -2.5], -np.inf, 5.0),
        ([], [], 0.0, 0.0),
        ([1, 2, 70_000], [3.0, 0.25, 7.0], 1.0, np.inf),
    ]


@pytest.mark.parametrize("slot_minutes", [1, 5, 7, 90])
def test_odd_slot_lengths(slot_minutes: int) -> None:
    problem = make_problem(requests=[request(f"R{i}") for i in range(3)])
    lb = lower_bound(problem, slot_minutes)
    assert lb.value <= solve_checked(problem).objective
    grains = max(1, slot_minutes // 5)
    assert lb.source == f"lp-time-indexed-{grains * 5}min"


def test_engine_reports_the_lp_bound_and_uses_its_guide() -> None:
    from psr_sched import validate
    from psr_sched.demo import generate_clinic
    from psr_sched.solver.extract import evaluate
    from psr_sched.solver.greedy import guided

    clinic = generate_clinic(seed=11, providers=8, exam_rooms=5, procedure_rooms=1, days=3)
    with_lp = solve(clinic, SolveOptions(time_limit_s=4, workers=2, seed=0))
    assert validate(clinic, with_lp).ok
    assert str(with_lp.stats["bound_source"]).startswith("lp-time-indexed")
    assert with_lp.best_bound == with_lp.stats["lp_bound"]
    assert with_lp.best_bound is not None and 0 < with_lp.best_bound <= with_lp.objective
    without = solve(clinic, SolveOptions(time_limit_s=4, workers=2, seed=0, lp=False))
    assert "lp_bound" not in without.stats
    assert without.best_bound is not None and without.best_bound < with_lp.best_bound
    # The LP-guided construction alone is a complete, valid schedule.
    cand = build_candidates(clinic)
    lb = lp_lower_bound(clinic, cand)
    assert lb is not None and lb.guide is not None
    assert lb.guide.placed.shape == (len(clinic.requests),)
    for order in ("start", "priority"):
        placement = guided(clinic, cand, lb.guide, {}, order)
        terms = evaluate(clinic, cand, placement)
        assert terms.total(clinic.weights) >= lb.value
        assert len(placement) + terms.unscheduled_count == len(clinic.requests)
    with pytest.raises(ValueError, match="guide_order"):
        guided(clinic, cand, lb.guide, {}, "random")


def test_fine_slots_at_session_starts_only_tighten() -> None:
    # Two providers, one station checking in for 10 minutes: both cannot start at 08:00.
    # One-grain slots around the session start see it; every bound stays valid.
    exam = visit_type("EX", 30, room_kind="exam", check_in=10)
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        rooms=[room("X1"), room("X2")],
        visit_types=[exam],
        front_desk=desk(("07:30", "12:00", 1)),
        requests=[request(f"R{i}", "EX", priority=1 + i % 2) for i in range(4)],
        weights=Weights(idle_gap=0),
    )
    optimum = solve_checked(problem).objective
    cand = build_candidates(problem)
    previous = 0
    for fine in (0, 15, 30):
        lb = lp_lower_bound(problem, cand, slot_minutes=60, fine_minutes=fine)
        assert lb is not None and lb.lp_optimal
        assert previous <= lb.value <= optimum
        previous = lb.value
    assert lb.source == "lp-time-indexed-60min-fine30"
    assert previous > lp_lower_bound(problem, cand, slot_minutes=60).value  # type: ignore[union-attr]


def test_above_its_size_limits_only_the_mean_busy_time_lp_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    from psr_sched import validate
    from psr_sched.demo import generate_clinic

    engine = importlib.import_module("psr_sched.solver.solve")
    monkeypatch.setattr(engine, "_LP_MAX_OPTIONS", 10)
    monkeypatch.setattr(engine, "_LP_FINE_MAX_OPTIONS", 10)
    clinic = generate_clinic(seed=11, providers=8, exam_rooms=5, procedure_rooms=1, days=3)
    result = solve(clinic, SolveOptions(time_limit_s=2, workers=2, seed=0))
    assert validate(clinic, result).ok
    # The relaxation runs on every size; the time-indexed LP only below its limits.
    assert isinstance(result.stats["lp"], dict)
    assert result.stats["lp"]["bound"] == result.stats["lp_bound"]
    assert not any(str(key).startswith("lp_") and key.endswith("min") for key in result.stats)
