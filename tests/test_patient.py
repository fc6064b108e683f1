"""Patient rule (9): one patient's visits never overlap, even with different providers."""

from __future__ import annotations

from builders import make_problem, provider, request, solve_checked, starts, visit_type

TWO_PROVIDERS = [provider("P1"), provider("P2")]


def test_one_patient_two_requests_two_providers_never_overlap() -> None:
    # Patient A has two 30-minute requests; two providers are free from 08:00.  Without the
    # patient rule both would start at 08:00.  R1 (priority 2) at 08:00, R2 (priority 1)
    # at 08:30: wait 30.  Each provider-day has one visit (or two back to back): idle 0.
    # objective = 30.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        requests=[request("R1", patient="A", priority=2), request("R2", patient="A")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:30"}
    assert result.objective == 30


def test_two_patients_two_providers_in_parallel() -> None:
    # Control: different patients start together.  objective = 0.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        requests=[request("R1", patient="A"), request("R2", patient="B")],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:00"}
    assert result.objective == 0


def test_patient_rule_with_different_durations() -> None:
    # Patient A: a 60-minute visit (priority 1) and a 15-minute one (priority 3), two
    # providers.  Best: the short one first at 08:00 (wait 0), the long one at 08:15
    # (wait 15).  The other order costs 3 × 60 = 180.  objective = 15.
    problem = make_problem(
        providers=TWO_PROVIDERS,
        visit_types=[visit_type("V60", 60), visit_type("V15", 15)],
        requests=[
            request("R1", "V60", patient="A"),
            request("R2", "V15", patient="A", priority=3),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R2": "08:00", "R1": "08:15"}
    assert result.objective == 15


def test_patient_three_requests_chain() -> None:
    # Patient A has three 30-minute requests, three providers: 08:00, 08:30, 09:00 in
    # priority order 3, 2, 1: waits 0 + 2 × 30 + 1 × 60 = 120.  objective = 120.
    problem = make_problem(
        providers=[*TWO_PROVIDERS, provider("P3")],
        requests=[
            request("R1", patient="A", priority=3),
            request("R2", patient="A", priority=2),
            request("R3", patient="A", priority=1),
        ],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "08:30", "R3": "09:00"}
    assert result.objective == 120
