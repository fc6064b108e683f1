"""The LP-guided dispatch and the last pass that pulls visits (and linked groups) earlier."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from builders import at, check, make_problem, provider, request, visit_type
from psr_sched import Result, SolveStatus
from psr_sched.domain import SameDaySequence
from psr_sched.solver.candidates import build_candidates
from psr_sched.solver.dispatch import dispatch, dispatchable
from psr_sched.solver.extract import assignments, evaluate, unscheduled_reasons
from psr_sched.solver.greedy import first_available
from psr_sched.solver.polish import pull_earlier
from psr_sched.solver.relaxation import mean_busy_time
from test_first_available import clinics


class _Guide:
    """A hand-made LP guide: every option used, the given mean starts."""

    def __init__(self, n_options: int, starts: list[float]) -> None:
        self.placed = np.ones(len(starts))
        self.start = np.asarray(starts, dtype=float)
        self.option_share = np.ones(n_options)


def _result(problem, cand, placement) -> Result:  # type: ignore[no-untyped-def]
    terms = evaluate(problem, cand, placement)
    return Result(
        problem_name=problem.name,
        status=SolveStatus.GREEDY,
        assignments=tuple(assignments(problem, cand, placement)),
        unscheduled=tuple(unscheduled_reasons(problem, cand, placement)),
        terms=terms,
        weights=problem.weights,
        objective=terms.total(problem.weights),
        best_bound=None,
        wall_time_s=0.0,
        time_to_first_s=0.0,
    )


def _minutes(problem, cand, placement):  # type: ignore[no-untyped-def]
    origin = cand.day_start[0] * cand.grain
    return {
        problem.requests[r].id: t * cand.grain - origin - 8 * 60 for r, (_, t) in placement.items()
    }


def test_the_free_provider_takes_the_highest_priority_then_the_lp_s_first() -> None:
    # One provider, 08:00-09:00.  At 08:00 the priority-3 request is not open yet, so the
    # provider takes the priority-1 request the LP starts first (B); at 08:20 the
    # priority-3 one; at 08:40 the next by LP start (C).  The 40-minute A fits nowhere.
    problem = make_problem(
        providers=[provider("P1", session=("08:00", "09:00"))],
        visit_types=[visit_type("V20", 20), visit_type("V40", 40)],
        requests=[
            request("A", "V40", priority=1),
            request("B", "V20", priority=1),
            request("C", "V20", priority=1),
            request("X", "V20", priority=3, earliest=at("08:20")),
        ],
        days=1,
    )
    cand = build_candidates(problem)
    guide = _Guide(len(cand.options), [2.0, 0.0, 1.0, 4.0])
    placement = dispatch(problem, cand, guide, {})
    assert _minutes(problem, cand, placement) == {"B": 0, "X": 20, "C": 40}
    check(problem, _result(problem, cand, placement))


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(clinics())
def test_dispatch_and_pull_earlier_keep_every_rule(problem) -> None:  # type: ignore[no-untyped-def]
    cand = build_candidates(problem)
    lp = mean_busy_time(problem, cand, slot_grains=1, time_limit_s=5)
    start = first_available(problem, cand)
    movable = dispatchable(problem, cand)
    kept = {r: v for r, v in start.items() if r not in movable}
    placement = dispatch(problem, cand, lp, kept)
    check(problem, _result(problem, cand, placement))
    # Nothing outside the dispatch moved.
    assert {r: placement[r] for r in kept} == kept
    assert dispatch(problem, cand, lp, kept) == placement  # deterministic
    for before in (placement, start):
        pulled = pull_earlier(problem, cand, before, problem.weights, time_limit_s=5)
        check(problem, _result(problem, cand, pulled))
        weights = problem.weights
        assert evaluate(problem, cand, pulled).total(weights) <= evaluate(
            problem, cand, before
        ).total(weights)


def test_a_same_day_sequence_is_pulled_earlier_whole() -> None:
    # A is booked 10:00, B right after it; neither can move alone (B may follow A by 30
    # minutes at most), the pair can start at 08:00.
    problem = make_problem(
        providers=[provider("P1", session=("08:00", "12:00"))],
        visit_types=[visit_type("V20", 20)],
        requests=[
            request("A", "V20", patient="pt"),
            request(
                "B",
                "V20",
                patient="pt",
                links=[SameDaySequence(request_id="A", max_gap_minutes=30)],
            ),
        ],
        days=1,
    )
    cand = build_candidates(problem)
    late = {}
    for r, minute in ((0, 120), (1, 140)):
        (o,) = cand.by_request[r]
        late[r] = (o, cand.day_start[0] + (8 * 60 + minute) // cand.grain)
    check(problem, _result(problem, cand, late))
    pulled = pull_earlier(problem, cand, late, problem.weights, time_limit_s=5)
    check(problem, _result(problem, cand, pulled))
    assert _minutes(problem, cand, pulled) == {"A": 0, "B": 20}
