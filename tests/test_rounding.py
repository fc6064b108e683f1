"""The start-indexed LP around fixed visits, and its rounding into a schedule."""

from __future__ import annotations

from bisect import bisect_right

import pytest

from builders import at, check, make_problem, provider, request, visit_type
from psr_sched import SolveOptions, solve
from psr_sched.demo import generate_clinic
from psr_sched.domain import SameDaySequence
from psr_sched.solver.candidates import build_candidates
from psr_sched.solver.dispatch import dispatchable
from psr_sched.solver.extract import evaluate
from psr_sched.solver.greedy import first_available
from psr_sched.solver.relaxation import mean_busy_time
from psr_sched.solver.rounding import round_starts, start_lp, start_lp_columns


def _two_mornings():  # type: ignore[no-untyped-def]
    # One provider, 08:00-09:00 on two days; a 60-minute visit and two 20-minute ones.
    # Shortest first: B and C on Monday, A on Tuesday waits 1,440 minutes; first-available
    # (id order) puts A on Monday and both short visits on Tuesday (2,900 minutes).
    return make_problem(
        providers=[provider("P1", session=("08:00", "09:00"))],
        visit_types=[visit_type("V60", 60), visit_type("V20", 20)],
        requests=[request("A", "V60"), request("B", "V20"), request("C", "V20")],
        days=2,
    )


def _days(problem, cand, placement):  # type: ignore[no-untyped-def]
    return {problem.requests[r].id: cand.options[o].day for r, (o, _) in placement.items()}


def test_the_lp_starts_short_visits_first_and_the_rounding_keeps_them_there() -> None:
    problem = _two_mornings()
    cand = build_candidates(problem)
    everyone = set(range(len(problem.requests)))
    lp = start_lp(problem, cand, {}, everyone, time_limit_s=10)
    assert lp.optimal
    assert sorted(r for _, _, r in lp.targets) == [0, 1, 2]
    placement = round_starts(problem, cand, lp.targets, {})
    assert _days(problem, cand, placement) == {"A": 1, "B": 0, "C": 0}
    waited = evaluate(problem, cand, placement).access_wait
    floor = evaluate(problem, cand, first_available(problem, cand)).access_wait
    assert floor == 2900
    assert 1440 + 20 <= waited < floor
    # Nothing fixed and no links: the LP relaxes every schedule (here it is fractional:
    # half of A fits on Monday).
    assert lp.value <= 1440 + 20
    assert start_lp_columns(problem, cand, {}, everyone) >= lp.columns - len(lp.targets)


def test_fixed_visits_stay_and_take_their_time_off_the_lp() -> None:
    problem = _two_mornings()
    cand = build_candidates(problem)
    (o,) = [o for o in cand.by_request[0] if cand.options[o].day == 0]
    fixed = {0: (o, cand.options[o].lo)}  # A on Monday at 08:00
    lp = start_lp(problem, cand, fixed, {1, 2}, time_limit_s=10)
    assert sorted(r for _, _, r in lp.targets) == [1, 2]
    placement = round_starts(problem, cand, lp.targets, fixed)
    assert placement[0] == fixed[0]
    assert _days(problem, cand, placement) == {"A": 0, "B": 1, "C": 1}
    assert lp.value <= evaluate(problem, cand, placement).access_wait


def test_requests_outside_the_set_get_no_target() -> None:
    problem = _two_mornings()
    cand = build_candidates(problem)
    lp = start_lp(problem, cand, {}, {2}, time_limit_s=10)
    assert [r for _, _, r in lp.targets] == [2]
    assert start_lp(problem, cand, {}, set(), time_limit_s=10).targets == []


def test_the_engine_rounds_the_start_lp_on_a_week_without_a_desk() -> None:
    problem = generate_clinic(
        seed=3, providers=6, exam_rooms=4, procedure_rooms=1, days=3, load=0.85
    ).replace(front_desk=None)
    result = solve(problem, SolveOptions(time_limit_s=4, workers=1, seed=0))
    assert check(problem, result).ok
    stats = result.stats["start_lp"]
    assert isinstance(stats, dict) and stats["optimal"]
    assert result.objective <= result.stats["start_lp_objective"]
    assert result.objective <= result.stats["first_available_objective"]


def test_the_engine_skips_the_start_lp_on_a_desk_week() -> None:
    problem = generate_clinic(seed=3, providers=6, exam_rooms=4, procedure_rooms=1, days=2)
    assert problem.front_desk is not None
    result = solve(problem, SolveOptions(time_limit_s=2, workers=1, seed=0))
    assert check(problem, result).ok
    assert result.stats["start_lp"] == "skipped: a front desk"


def test_column_generation_from_a_guide_reaches_the_whole_lp() -> None:
    # Seeded with the mean-busy-time LP's options only, the columns that price out enter
    # until none does: the same optimum as the LP of every start column.
    problem = generate_clinic(
        seed=5, providers=5, exam_rooms=3, procedure_rooms=1, days=3, load=0.95
    ).replace(front_desk=None)
    cand = build_candidates(problem)
    free = dispatchable(problem, cand)
    guide = mean_busy_time(problem, cand, time_limit_s=30)
    assert guide.optimal
    whole = start_lp(problem, cand, {}, free, time_limit_s=60)
    generated = start_lp(problem, cand, {}, free, time_limit_s=60, guide=guide)
    assert whole.optimal and generated.optimal
    assert whole.rounds == 1 and generated.seeded < whole.columns
    assert generated.value == pytest.approx(whole.value, rel=1e-7)


def _pair(linked: bool):  # type: ignore[no-untyped-def]
    # One provider, 08:00-10:00 on two days; B's window opens on Tuesday.
    links = [SameDaySequence(request_id="A")] if linked else []
    return make_problem(
        providers=[provider("P1", session=("08:00", "10:00"))],
        visit_types=[visit_type("V30", 30)],
        requests=[
            request("A", "V30", patient="PT1"),
            request("B", "V30", patient="PT1", earliest=at("08:00", day=1), links=links),
        ],
        days=2,
    )


def test_a_free_same_day_sequence_stays_on_one_day_in_the_lp() -> None:
    # Unlinked, A starts on Monday; linked (B follows A on the same day), both on Tuesday.
    days = {}
    for linked in (False, True):
        problem = _pair(linked)
        cand = build_candidates(problem)
        lp = start_lp(problem, cand, {}, {0, 1}, time_limit_s=10)
        assert lp.optimal
        days[linked] = {r: bisect_right(cand.day_start, s) - 1 for s, _, r in lp.targets}
    assert days == {False: {0: 0, 1: 1}, True: {0: 1, 1: 1}}
