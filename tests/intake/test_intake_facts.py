"""apply_intake: eligibility, authorization, intake completeness and balances become facts
the scheduler honours, checked end to end with a solve and the validator."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builders import (
    DAY_MINUTES,
    MONDAY,
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
from psr_sched import Problem, ProblemError, ReasonCode
from psr_sched.intake import (
    Benefit,
    CoveragePeriod,
    EligibilityResult,
    EligibilityStatus,
    Patient,
)
from psr_sched.intake.facts import IntakePolicy, apply_intake


def answer(
    pid: str, *, start: Any = MONDAY, end: Any = None, auth: bool | None = None
) -> EligibilityResult:
    return EligibilityResult(
        patient_id=pid,
        status=EligibilityStatus.ACTIVE,
        coverage_periods=(CoveragePeriod(start=start, end=end),),
        benefits=(Benefit(service_type="30", network="in", prior_auth_required=auth),),
    )


def incomplete_patient(pid: str) -> Patient:
    # No card image, no consents, address not verified: three tasks, 15 extra minutes.
    return Patient.model_validate(
        {
            "id": pid,
            "family_name": "Example",
            "given_name": "Pat",
            "birth_date": "1970-01-01",
            "address_verified": False,
            "coverages": [{"payer_id": "BCBS", "member_id": "M1", "effective_start": "2026-01-01"}],
        }
    )


def base(requests: list[Any], **kwargs: Any) -> Problem:
    return make_problem(requests=requests, days=2, **kwargs)


def test_coverage_ending_before_the_window_is_coverage_inactive() -> None:
    # Effective since Monday but terminated Sunday before: not active on any date.
    problem = apply_intake(
        base([request("R1", payer="BCBS")]),
        eligibility=[
            answer(
                "pt-R1",
                start=date(0).replace(year=2026, month=1, day=1),
                end=date(0).replace(day=6),
            )
        ],
    )
    result = solve_checked(problem)
    assert reasons(result) == {"R1": ReasonCode.COVERAGE_INACTIVE}


def test_coverage_from_tuesday_moves_the_visit() -> None:
    problem = apply_intake(
        base([request("R1", payer="BCBS")]), eligibility=[answer("pt-R1", start=date(1))]
    )
    result = solve_checked(problem)
    assert result.assignments[0].start.date() == date(1)
    assert result.objective == DAY_MINUTES


def test_self_pay_is_exempt() -> None:
    problem = apply_intake(
        base([request("R1", payer=None)]),
        eligibility=[answer("pt-R1", start=date(1))],
    )
    assert starts(solve_checked(problem)) == {"R1": "08:00"}


def test_required_authorization_without_date_blocks_the_window() -> None:
    problem = apply_intake(
        base([request("R1", payer="BCBS")]), eligibility=[answer("pt-R1", auth=True)]
    )
    assert reasons(solve_checked(problem)) == {"R1": ReasonCode.AUTH_PENDING}


def test_expected_authorization_date_and_authorization_on_file() -> None:
    pending = answer("pt-R1", auth=True).with_pending_authorization("V30", date(1))
    problem = apply_intake(base([request("R1", payer="BCBS")]), eligibility=[pending])
    result = solve_checked(problem)
    assert result.assignments[0].start.date() == date(1)
    on_file = apply_intake(
        base([request("R1", payer="BCBS")]),
        eligibility=[pending],
        authorizations_on_file=["R1"],
    )
    assert starts(solve_checked(on_file)) == {"R1": "08:00"}


def test_incomplete_intake_lengthens_check_in() -> None:
    problem = apply_intake(
        base(
            [request("R1", "IN30", payer="BCBS")],
            rooms=[room("E1")],
            visit_types=[visit_type("IN30", 30, room_kind="exam", check_in=5)],
            front_desk=desk(("07:00", "12:00", 1)),
        ),
        patients=[incomplete_patient("pt-R1")],
    )
    assert problem.requests[0].facts.extra_check_in_minutes == 15


def test_soft_network_policy_sets_the_weight() -> None:
    problem = apply_intake(
        base([request("R1")]), policy=IntakePolicy(network="soft", out_of_network_cost=90)
    )
    assert problem.weights.out_of_network == 90


def test_balance_over_threshold_adds_linked_counselling() -> None:
    # The counsellor FC1 works Tuesdays only; the visit can be either day, so both go to
    # Tuesday: V 08:00 and C 08:30 (same patient), or the other way round.
    from builders import sessions

    problem = apply_intake(
        base(
            [request("V", "PROC", payer="BCBS")],
            providers=[
                provider("P1", skills=["proc"]),
                provider("FC1", skills=["fin"], weekly=sessions(("08:00", "12:00"), weekdays=[1])),
            ],
            visit_types=[
                visit_type("PROC", 30, skill="proc"),
                visit_type("FINCOUNSEL", 30, skill="fin"),
            ],
        ),
        balances={"pt-V": Decimal("250.00")},
    )
    assert [r.id for r in problem.requests] == ["V", "V-FC"]
    result = solve_checked(problem)
    assert {a.request_id: a.start.date() for a in result.assignments} == {
        "V": date(1),
        "V-FC": date(1),
    }
    assert result.objective == 2 * DAY_MINUTES + 30


def test_balance_below_threshold_adds_nothing() -> None:
    problem = apply_intake(base([request("R1")]), balances={"pt-R1": Decimal("199.99")})
    assert [r.id for r in problem.requests] == ["R1"]


def test_counselling_visit_type_must_exist() -> None:
    with pytest.raises(ProblemError, match="counseling_visit_type"):
        apply_intake(base([request("R1")]), balances={"pt-R1": Decimal("900")})


def unknown_answer(pid: str, *, start: Any = None) -> EligibilityResult:
    periods = () if start is None else (CoveragePeriod(start=start),)
    return EligibilityResult(
        patient_id=pid,
        status=EligibilityStatus.UNKNOWN,
        status_reason="insurance.0: no inforce, and no benefit of type Active Coverage or Inactive",
        coverage_periods=periods,
    )


def test_unknown_coverage_is_booked_and_flagged_by_default() -> None:
    problem = apply_intake(
        base([request("R1", payer="BCBS"), request("R2", payer="BCBS")]),
        eligibility=[unknown_answer("pt-R1"), answer("pt-R2")],
    )
    facts = {r.id: r.facts for r in problem.requests}
    assert facts["R1"].coverage_unverified and facts["R1"].coverage_active_dates is None
    assert not facts["R2"].coverage_unverified
    result = solve_checked(problem)
    assert {a.request_id for a in result.assignments} == {"R1", "R2"}


def test_unknown_coverage_keeps_to_the_answers_periods() -> None:
    problem = apply_intake(
        base([request("R1", payer="BCBS")]), eligibility=[unknown_answer("pt-R1", start=date(1))]
    )
    assert problem.requests[0].facts.coverage_active_dates == (date(1),)
    assert solve_checked(problem).assignments[0].start.date() == date(1)


def test_unknown_coverage_blocked_by_policy() -> None:
    problem = apply_intake(
        base([request("R1", payer="BCBS")]),
        eligibility=[unknown_answer("pt-R1")],
        policy=IntakePolicy(unknown_coverage="block"),
    )
    assert not problem.requests[0].facts.coverage_unverified
    assert reasons(solve_checked(problem)) == {"R1": ReasonCode.COVERAGE_INACTIVE}


def test_rejected_coverage_still_blocks() -> None:
    rejected = unknown_answer("pt-R1").model_copy(
        update={"status": EligibilityStatus.REJECTED, "status_reason": None}
    )
    problem = apply_intake(base([request("R1", payer="BCBS")]), eligibility=[rejected])
    assert not problem.requests[0].facts.coverage_unverified
    assert reasons(solve_checked(problem)) == {"R1": ReasonCode.COVERAGE_INACTIVE}
