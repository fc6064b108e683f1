"""Window (2), grain (3) and eligibility (5) rules: skill, allowed providers, network."""

from __future__ import annotations

from builders import (
    at,
    make_problem,
    placed,
    provider,
    reasons,
    request,
    solve_checked,
    starts,
    visit_type,
)
from psr_sched import ReasonCode

SKILLED = visit_type("PROC", 30, skill="procedure")


def test_earliest_respected() -> None:
    # Earliest 09:00 on a provider free from 08:00: the visit starts at 09:00, wait 0.
    problem = make_problem(requests=[request("R1", earliest=at("09:00"))])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:00"}
    assert result.objective == 0


def test_earliest_off_grain_rounds_up_and_counts_wait() -> None:
    # Earliest 09:17 is not on the 5-minute grain: the first start is 09:20; the wait is
    # measured from earliest: 3 minutes.  objective = 3.
    problem = make_problem(requests=[request("R1", earliest=at("09:17"))])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:20"}
    assert result.terms.access_wait == 3
    assert result.objective == 3


def test_latest_binds_and_reorders() -> None:
    # R1 (priority 5) may go any time; R2 (priority 1) must end by 08:30.  Without the
    # latest bound R1 would go first (objective 30).  With it: R2 at 08:00, R1 at 08:30:
    # 5 × 30 = 150.  (Leaving R2 out costs 10 000.)  objective = 150.
    problem = make_problem(
        requests=[request("R1", priority=5), request("R2", latest=at("08:30"))],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R2": "08:00", "R1": "08:30"}
    assert result.objective == 150


def test_latest_leaves_no_room_capacity_reason() -> None:
    # Two requests both inside 08:00-08:30 on one provider: only one fits; the priority-2
    # one is placed, the other is unscheduled for capacity.  objective = 10 000.
    problem = make_problem(
        requests=[
            request("R1", latest=at("08:30"), priority=2),
            request("R2", latest=at("08:30")),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert reasons(result) == {"R2": ReasonCode.NO_CAPACITY_IN_WINDOW}
    assert result.objective == 10_000


def test_no_session_in_window_afternoon() -> None:
    # The window 13:00-15:00 misses the 08:00-12:00 session.
    problem = make_problem(
        requests=[request("R1", earliest=at("13:00"), latest=at("15:00"), priority=2)]
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_SESSION_IN_WINDOW}
    assert result.objective == 20_000


def test_no_session_in_window_too_short() -> None:
    # A 20-minute window cannot hold a 30-minute visit.
    problem = make_problem(requests=[request("R1", latest=at("08:20"))])
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_SESSION_IN_WINDOW}


def test_window_on_second_day() -> None:
    # Window on Tuesday 10:00-11:00 of a two-day horizon: starts Tuesday 10:00, wait 0.
    problem = make_problem(
        requests=[request("R1", earliest=at("10:00", 1), latest=at("11:00", 1))], days=2
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].start == at("10:00", 1)
    assert result.objective == 0


def test_skill_required() -> None:
    # Only P2 has the procedure skill; P2's session starts at 10:00, P1 is free at 08:00.
    # The visit goes to P2 at 10:00: wait 120.
    problem = make_problem(
        providers=[
            provider("P1"),
            provider("P2", skills=["procedure"], session=("10:00", "12:00")),
        ],
        visit_types=[SKILLED],
        requests=[request("R1", "PROC")],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P2"
    assert starts(result) == {"R1": "10:00"}
    assert result.objective == 120


def test_no_skilled_provider() -> None:
    problem = make_problem(
        providers=[provider("P1", skills=["primary_care"])],
        visit_types=[SKILLED],
        requests=[request("R1", "PROC")],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_SKILLED_PROVIDER}
    assert result.objective == 10_000


def test_out_of_network() -> None:
    # The only provider takes payer "A" only; the patient has payer "B".
    problem = make_problem(
        providers=[provider("P1", networks=["A"])],
        requests=[request("R1", payer="B")],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.OUT_OF_NETWORK}
    assert result.objective == 10_000


def test_network_picks_the_in_network_provider() -> None:
    # P1 (network A) is free at 08:00; P2 (network B) only from 11:00.  The payer-B
    # patient goes to P2 at 11:00: wait 180.
    problem = make_problem(
        providers=[
            provider("P1", networks=["A"]),
            provider("P2", networks=["B"], session=("11:00", "12:00")),
        ],
        requests=[request("R1", payer="B")],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P2"
    assert result.objective == 180


def test_provider_without_networks_accepts_every_payer() -> None:
    problem = make_problem(providers=[provider("P1")], requests=[request("R1", payer="Z")])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.objective == 0


def test_self_pay_sees_any_provider() -> None:
    # payer None (self-pay) is accepted by a provider with a network list.
    problem = make_problem(
        providers=[provider("P1", networks=["A"])], requests=[request("R1", payer=None)]
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P1"
    assert result.objective == 0


def test_allowed_providers_bind() -> None:
    # Allowed: P2 only, whose session starts at 09:00, while P1 is free at 08:00.
    # The visit goes to P2 at 09:00: wait 60.
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("09:00", "12:00"))],
        requests=[request("R1", allowed_providers=["P2"])],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P2"
    assert result.objective == 60


def test_no_allowed_provider() -> None:
    # Allowed: P1 only, who lacks the skill; P2 has it.
    problem = make_problem(
        providers=[provider("P1"), provider("P2", skills=["procedure"])],
        visit_types=[SKILLED],
        requests=[request("R1", "PROC", allowed_providers=["P1"])],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.NO_ALLOWED_PROVIDER}
    assert result.objective == 10_000


def test_provider_duration_override() -> None:
    # The visit takes 30 minutes with P1 but 60 with P2 (provider_durations).  Two
    # requests from 08:00, one with each provider at 08:00 is best; the end of the visit
    # seen by P2 is 09:00.  objective = 0.
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        visit_types=[visit_type("V30", 30, provider_durations={"P2": 60})],
        requests=[request("R1"), request("R2")],
    )
    result = solve_checked(problem)
    for a in result.assignments:
        assert a.start == at("08:00")
        assert a.end == at("08:30" if a.provider_id == "P1" else "09:00")
    assert result.objective == 0
