"""Intake and eligibility facts carried by requests: coverage dates, pending authorization,
extra check-in minutes, soft or hard payer networks, and before-visit links."""

from __future__ import annotations

from typing import Any

from builders import (
    DAY_MINUTES,
    at,
    date,
    desk,
    make_problem,
    provider,
    reasons,
    request,
    room,
    solve_checked,
    starts,
    visit_type,
)
from psr_sched import AppointmentRequest, BeforeVisit, Problem, ReasonCode, RequestFacts, Weights


def _request(rid: str, *args: Any, facts: RequestFacts, **kwargs: Any) -> AppointmentRequest:
    """A request built by ``builders.request`` with ``facts``, through validation."""
    base = request(rid, *args, **kwargs)
    return AppointmentRequest.model_validate({**base.model_dump(), "facts": facts.model_dump()})


def test_coverage_inactive_on_every_date_is_a_reason() -> None:
    facts = RequestFacts(coverage_active_dates=(date(3),))  # active only after the window
    problem = make_problem(
        requests=[_request("R1", payer="BCBS", facts=facts, latest=at("12:00", 1))], days=2
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.COVERAGE_INACTIVE}
    assert result.objective == 10_000


def test_self_pay_ignores_coverage_dates() -> None:
    facts = RequestFacts(coverage_active_dates=())
    problem = make_problem(requests=[_request("R1", payer=None, facts=facts)])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}


def test_coverage_active_from_the_second_day() -> None:
    # Coverage starts on Tuesday: the visit moves to Tuesday 08:00, a wait of one day.
    facts = RequestFacts(coverage_active_dates=(date(1),))
    problem = make_problem(requests=[_request("R1", payer="BCBS", facts=facts)], days=2)
    result = solve_checked(problem)
    assert result.assignments[0].start == at("08:00", 1)
    assert result.objective == DAY_MINUTES


def test_pending_authorization_moves_the_earliest_start() -> None:
    # Authorization expected Monday 09:50: the first start on the grain after it is 09:50.
    facts = RequestFacts(authorization_expected=at("09:50"))
    problem = make_problem(requests=[_request("R1", facts=facts)])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:50"}
    assert result.objective == 110


def test_authorization_after_the_window_is_a_reason() -> None:
    facts = RequestFacts(authorization_expected=at("08:00", 1))
    problem = make_problem(requests=[_request("R1", facts=facts, latest=at("12:00"))], days=2)
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.AUTH_PENDING}


def test_incomplete_intake_holds_the_desk_longer() -> None:
    # One station from 07:00; check-in 5 minutes, plus 10 for R1's incomplete intake.
    # R1 (priority 2) at 08:00 checks in 07:45-08:00; R2 at 08:00 would need the station
    # 07:55-08:00 too, so with two providers R2 starts 08:05 (check-in 08:00-08:05).
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        rooms=[room("E1"), room("E2")],
        visit_types=[visit_type("IN30", 30, room_kind="exam", check_in=5)],
        requests=[
            _request("R1", "IN30", priority=2, facts=RequestFacts(extra_check_in_minutes=10)),
            request("R2", "IN30"),
        ],
        front_desk=desk(("07:00", "12:00", 1)),
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:05"}
    assert result.objective == 2 * 0 + 5


def test_hard_network_leaves_the_request_out() -> None:
    problem = make_problem(
        providers=[provider("P1", networks=["AETNA"])],
        requests=[request("R1", payer="BCBS")],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.OUT_OF_NETWORK}


def test_soft_network_books_out_of_network_at_its_cost() -> None:
    # P1 (in network) is busy with R0 at 08:00-08:30; P2 (out of network) is free at 08:00.
    # Waiting 30 minutes for P1 costs 30 < 50, so R1 goes to P1 at 08:30: objective 30.
    # With an out-of-network cost of 20, P2 at 08:00 is cheaper: objective 20.
    def build(cost: int) -> Problem:
        return make_problem(
            providers=[provider("P1", networks=["BCBS"]), provider("P2", networks=["AETNA"])],
            requests=[
                request("R0", payer="BCBS", priority=5, allowed_providers=["P1"]),
                request("R1", payer="BCBS"),
            ],
            weights=Weights(out_of_network=cost),
        )

    expensive = solve_checked(build(50))
    assert starts(expensive) == {"R0": "08:00", "R1": "08:30"}
    assert expensive.objective == 30 and expensive.terms.out_of_network_visits == 0
    cheap = solve_checked(build(20))
    assert {a.request_id: a.provider_id for a in cheap.assignments} == {"R0": "P1", "R1": "P2"}
    assert cheap.objective == 20 and cheap.terms.out_of_network_visits == 1


def test_counselling_visit_needs_its_visit() -> None:
    # P1 has no session at all, so V cannot be placed, and C goes with it.
    problem = make_problem(
        providers=[provider("P1", skills=["proc"], session=None), provider("FC1", skills=["fin"])],
        visit_types=[visit_type("PROC", 30, skill="proc"), visit_type("FIN", 30, skill="fin")],
        requests=[
            request("V", "PROC", patient="x"),
            request("C", "FIN", patient="x", links=[BeforeVisit(request_id="V")]),
        ],
        days=2,
    )
    result = solve_checked(problem)
    assert set(reasons(result)) == {"V", "C"}


def test_counselling_both_or_neither_and_date_rule() -> None:
    # P1 sees V on Monday or Tuesday; FC1 counsels on Tuesday only (session Tuesday).
    # C must fall on V's date or before: Tuesday for both.  Same patient, so no overlap:
    # V 08:00 (wait 1 day), C 08:30 (wait 1 day + 30) or the other way round: objective
    # 2 × 1440 + 30 = 2910.
    from builders import sessions

    problem = make_problem(
        providers=[
            provider("P1", skills=["proc"]),
            provider("FC1", skills=["fin"], weekly=sessions(("08:00", "12:00"), weekdays=[1])),
        ],
        visit_types=[visit_type("PROC", 30, skill="proc"), visit_type("FIN", 30, skill="fin")],
        requests=[
            request("V", "PROC", patient="x"),
            request("C", "FIN", patient="x", links=[BeforeVisit(request_id="V")]),
        ],
        days=2,
    )
    result = solve_checked(problem)
    assert {a.request_id: a.start.date() for a in result.assignments} == {
        "V": date(1),
        "C": date(1),
    }
    assert result.objective == 2 * DAY_MINUTES + 30
