"""Link rule (12): same-day sequences (both or neither, gap bounds) and follow-ups."""

from __future__ import annotations

from builders import (
    DAY_MINUTES,
    at,
    day_of,
    make_problem,
    minutes,
    placed,
    provider,
    reasons,
    request,
    solve_checked,
    starts,
    visit_type,
)
from psr_sched import FollowUp, ReasonCode, SameDaySequence

# A lab draw by a lab provider, then a doctor's visit by a doctor: different providers, so
# the gap between them is never counted as idle time.
LAB = visit_type("LAB", 30, skill="lab")
MD = visit_type("MD", 30, skill="md")
P_LAB = provider("PL", skills=["lab"])
P_MD = provider("PM", skills=["md"])


def seq(first: str, lo: int, hi: int) -> SameDaySequence:
    return SameDaySequence(request_id=first, min_gap_minutes=lo, max_gap_minutes=hi)


def test_same_day_sequence_min_gap() -> None:
    # A (lab) then B (doctor) at least 15 minutes after A ends.  A 08:00-08:30, B 08:45.
    # waits 0 + 45.  objective = 45.
    problem = make_problem(
        providers=[P_LAB, P_MD],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 15, 30)]),
        ],
    )
    result = solve_checked(problem)
    got = placed(result)
    assert starts(result) == {"A": "08:00", "B": "08:45"}
    assert minutes(got["A"].end, got["B"].start) == 15
    assert result.objective == 45


def test_same_day_sequence_max_gap_pulls_first_later() -> None:
    # B may start only from 10:00; the gap is at most 30, so A must end at 09:30 or later:
    # A at 09:00 (wait 60), B at 10:00 (wait 0).  objective = 60.
    problem = make_problem(
        providers=[P_LAB, P_MD],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", earliest=at("10:00"), links=[seq("A", 15, 30)]),
        ],
    )
    result = solve_checked(problem)
    got = placed(result)
    assert starts(result) == {"A": "09:00", "B": "10:00"}
    assert minutes(got["A"].end, got["B"].start) == 30
    assert result.objective == 60


def test_same_day_sequence_zero_gap_same_provider() -> None:
    # One provider with both skills: A then B with a gap of exactly 0 minutes.  A 08:00,
    # B 08:30: wait 30, idle 0.  objective = 30.
    problem = make_problem(
        providers=[provider("P1", skills=["lab", "md"])],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 0, 0)]),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"A": "08:00", "B": "08:30"}
    assert result.objective == 30


def test_same_day_sequence_stays_on_one_day() -> None:
    # Two days.  The lab works 08:00-12:00, the doctor only 08:30-09:00 each day.  C
    # (priority 10, Monday only) takes the doctor's Monday slot at 08:30 (10 × 30 = 300).
    # B must follow A on the same day, so the pair goes to Tuesday: A 08:00 with the lab
    # (wait 1440), B 08:30 with the doctor (wait 1470).  objective = 300 + 1440 + 1470.
    problem = make_problem(
        providers=[P_LAB, provider("PM", skills=["md"], session=("08:30", "09:00"))],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 0, 120)]),
            request("C", "MD", priority=10, latest=at("12:00")),
        ],
        days=2,
    )
    result = solve_checked(problem)
    got = placed(result)
    assert got["C"].start == at("08:30")
    assert got["A"].start == at("08:00", 1)
    assert got["B"].start == at("08:30", 1)
    assert day_of(got["A"].start) == day_of(got["B"].start) == 1
    assert result.terms.access_wait == DAY_MINUTES + DAY_MINUTES + 30 + 10 * 30
    assert result.objective == 3210


def test_sequence_both_or_neither_when_second_cannot_fit() -> None:
    # The doctor works only 09:00-09:30 and C (priority 10, another patient) takes that
    # slot.  B then cannot be placed, so A (the lab, free all morning) is left out too.
    # Placing A and B instead of C would cost 10 × 10 000.  C waits 60 minutes with
    # priority 10.  objective = 2 × 10 000 + 600.
    problem = make_problem(
        providers=[P_LAB, provider("PM", skills=["md"], session=("09:00", "09:30"))],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 0, 120)]),
            request("C", "MD", priority=10),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"C": "09:00"}
    why = reasons(result)
    assert set(why) == {"A", "B"}
    linked = {ReasonCode.LINKED_REQUEST_UNSCHEDULED, ReasonCode.LINKED_REQUEST_UNAVAILABLE}
    assert why["A"] in linked
    assert result.terms.unscheduled_priority == 2
    assert result.objective == 20_000 + 10 * 60


def test_sequence_both_or_neither_when_second_has_no_option() -> None:
    # No provider has the doctor skill: B can never be placed, so neither can A.
    problem = make_problem(
        providers=[P_LAB],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 0, 120)]),
        ],
    )
    result = solve_checked(problem)
    assert result.assignments == ()
    assert reasons(result) == {
        "A": ReasonCode.LINKED_REQUEST_UNAVAILABLE,
        "B": ReasonCode.NO_SKILLED_PROVIDER,
    }
    assert result.objective == 20_000


def test_sequence_second_unplaceable_when_first_has_no_option() -> None:
    # No lab provider: A can never be placed, so B is unavailable too.
    problem = make_problem(
        providers=[P_MD],
        visit_types=[LAB, MD],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", "MD", patient="x", links=[seq("A", 0, 120)]),
        ],
    )
    result = solve_checked(problem)
    assert reasons(result) == {
        "A": ReasonCode.NO_SKILLED_PROVIDER,
        "B": ReasonCode.LINKED_REQUEST_UNAVAILABLE,
    }
    assert result.objective == 20_000


def test_follow_up_next_day() -> None:
    # B follows A at least one calendar day later; two days, both from Monday 08:00.
    # A Monday 08:00 (wait 0); B Tuesday 08:00 (wait 1440).  objective = 1440.
    problem = make_problem(
        requests=[
            request("A", patient="x"),
            request("B", patient="x", links=[FollowUp(request_id="A", min_days=1)]),
        ],
        days=2,
    )
    result = solve_checked(problem)
    got = placed(result)
    assert got["A"].start == at("08:00")
    assert got["B"].start == at("08:00", 1)
    assert result.objective == DAY_MINUTES


def test_follow_up_cannot_fit_in_one_day() -> None:
    # One day only: A is placed, B (follow-up) cannot be.  A follow-up does not pull A
    # out (only same-day sequences are both-or-neither).  objective = 10 000.
    problem = make_problem(
        requests=[
            request("A", patient="x"),
            request("B", patient="x", links=[FollowUp(request_id="A", min_days=1)]),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"A": "08:00"}
    assert set(reasons(result)) == {"B"}
    assert result.objective == 10_000


def test_follow_up_of_unplaceable_request() -> None:
    # A needs a skill nobody has: B, which follows A, is unavailable too even though it
    # would fit on Tuesday.
    problem = make_problem(
        visit_types=[visit_type(), LAB],
        requests=[
            request("A", "LAB", patient="x"),
            request("B", patient="x", links=[FollowUp(request_id="A", min_days=1)]),
        ],
        days=2,
    )
    result = solve_checked(problem)
    assert reasons(result) == {
        "A": ReasonCode.NO_SKILLED_PROVIDER,
        "B": ReasonCode.LINKED_REQUEST_UNAVAILABLE,
    }


def test_follow_up_two_days_later_skips_a_day() -> None:
    # Three days, min_days=2: A Monday 08:00, B Wednesday 08:00 (wait 2 × 1440).
    problem = make_problem(
        requests=[
            request("A", patient="x"),
            request("B", patient="x", links=[FollowUp(request_id="A", min_days=2)]),
        ],
        days=3,
    )
    result = solve_checked(problem)
    got = placed(result)
    assert got["A"].start == at("08:00")
    assert got["B"].start == at("08:00", 2)
    assert result.objective == 2 * DAY_MINUTES
