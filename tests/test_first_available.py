"""The front desk's rule, exactly, and the engine never behind it at any time limit."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import at, check, make_problem, provider, request, visit_type
from psr_sched import SolveOptions, solve
from psr_sched.demo import generate_clinic
from psr_sched.scenarios import ScaleDemand
from psr_sched.solver.candidates import build_candidates
from psr_sched.solver.extract import evaluate
from psr_sched.solver.greedy import first_available


def _starts(problem, placement):  # type: ignore[no-untyped-def]
    cand = build_candidates(problem)
    out = {}
    for r, (o, t) in placement.items():
        option = cand.options[o]
        out[problem.requests[r].id] = (problem.providers[option.provider].id, t * cand.grain)
    return out


def test_priority_then_request_id_then_earliest_start() -> None:
    # One provider, one hour: the priority-10 request goes first, then the two
    # priority-3 requests by id; the priority-1 request waits for what is left.
    problem = make_problem(
        providers=[provider("P1", session=("08:00", "09:00"))],
        visit_types=[visit_type("V20", 20)],
        requests=[
            request("R4", "V20", priority=1),
            request("R3", "V20", priority=3),
            request("R2", "V20", priority=3),
            request("R1", "V20", priority=10, earliest=at("08:20")),
        ],
        days=1,
    )
    cand = build_candidates(problem)
    placed = _starts(problem, first_available(problem, cand))
    origin = cand.earliest_minute[0]  # every request but R1 may start at 08:00
    assert {rid: minute - origin for rid, (_, minute) in placed.items()} == {
        "R1": 20,
        "R2": 0,
        "R3": 40,
    }


def test_ties_go_to_the_preferred_provider_then_the_lowest_id() -> None:
    problem = make_problem(
        providers=[provider("P2"), provider("P1"), provider("P3")],
        requests=[request("A"), request("B", preferred_providers=["P3"]), request("C")],
        days=1,
    )
    cand = build_candidates(problem)
    placed = _starts(problem, first_available(problem, cand))
    assert placed["A"][0] == "P1"  # lowest id, though P2 comes first in the list
    assert placed["B"][0] == "P3"  # its preferred provider
    assert placed["C"][0] == "P2"  # P1 is taken at 08:00, P2 is next by id
    assert {minute for _, minute in placed.values()} == {cand.earliest_minute[0]}


@st.composite
def clinics(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """Small generated clinics (1-3 days) at loads 0.6-1.5, with or without a front desk."""
    load = draw(st.sampled_from([0.6, 0.8, 1.0, 1.2, 1.5]))
    problem = generate_clinic(
        seed=draw(st.integers(0, 10_000)),
        providers=draw(st.integers(3, 6)),
        exam_rooms=draw(st.integers(2, 4)),
        procedure_rooms=1,
        days=draw(st.integers(1, 3)),
        load=min(load, 1.0),
    )
    if draw(st.booleans()):
        problem = problem.replace(front_desk=None)
    if load > 1.0:
        problem = ScaleDemand(factor=load, seed=1).apply(problem)  # new patients, copies
    return problem


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(clinics(), st.sampled_from([0.3, 1.0]))
def test_the_engine_is_never_behind_first_available(problem, limit) -> None:  # type: ignore[no-untyped-def]
    cand = build_candidates(problem)
    floor = evaluate(problem, cand, first_available(problem, cand)).total(problem.weights)
    result = solve(problem, SolveOptions(time_limit_s=limit, workers=1, seed=0))
    assert check(problem, result).ok
    assert result.objective <= floor
    assert result.stats["first_available_objective"] == floor
