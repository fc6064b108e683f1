"""The demo clinic's invented intake data: deterministic, every intake fact kind present, and
a solve of the demo week with the facts applied that the validator accepts."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest

from psr_sched import validate
from psr_sched.billing import collection_worklist, estimate_schedule
from psr_sched.demo import demo_problem
from psr_sched.demo_intake import DemoIntake, demo_intake, demo_problem_with_intake
from psr_sched.domain import BeforeVisit
from psr_sched.intake import EligibilityStatus
from psr_sched.intake.facts import IntakePolicy
from psr_sched.problem import Problem
from psr_sched.result import ReasonCode, Result
from psr_sched.solver import SolveOptions, solve

THRESHOLD = IntakePolicy().balance_threshold


@pytest.fixture(scope="module")
def base() -> Problem:
    return demo_problem(seed=0)


@pytest.fixture(scope="module")
def applied() -> tuple[Problem, DemoIntake]:
    return demo_problem_with_intake(seed=0)


@pytest.fixture(scope="module")
def solved(applied: tuple[Problem, DemoIntake]) -> Result:
    return solve(applied[0], SolveOptions(time_limit_s=4, workers=2, seed=0))


# -- determinism -------------------------------------------------------------------------


def test_same_seed_same_data(base: Problem, applied: tuple[Problem, DemoIntake]) -> None:
    assert demo_intake(base, seed=0) == applied[1]
    again, _ = demo_problem_with_intake(seed=0)
    assert again.to_json() == applied[0].to_json()


def test_other_seed_other_data(base: Problem, applied: tuple[Problem, DemoIntake]) -> None:
    other = demo_intake(base, seed=1)
    assert other.balances != applied[1].balances
    assert other.patients != applied[1].patients


def test_global_random_state_untouched(base: Problem) -> None:
    np.random.seed(5)
    random.seed(5)
    demo_intake(base, seed=2)
    draws = (np.random.random(), random.random())
    np.random.seed(5)
    random.seed(5)
    assert draws == (np.random.random(), random.random())


# -- the records ---------------------------------------------------------------------------


def test_records_cover_every_patient(base: Problem, applied: tuple[Problem, DemoIntake]) -> None:
    intake = applied[1]
    payer = {r.patient_id: r.payer for r in base.requests}
    assert [p.id for p in intake.patients] == sorted(payer)
    # Self-pay requests stay self-pay: their patients are self-pay, without coverage.
    for patient in intake.patients:
        assert patient.self_pay == (payer[patient.id] is None)
        assert bool(patient.coverages) == (payer[patient.id] is not None)
        if patient.coverages:
            assert patient.coverages[0].network == payer[patient.id]
    assert {a.patient_id for a in intake.eligibility} == {p for p, x in payer.items() if x}
    # Every generated request keeps its payer (self-pay ones stay self-pay).
    payers = {r.id: r.payer for r in applied[0].requests}
    assert all(payers[r.id] == r.payer for r in base.requests)


def test_records_are_invented(applied: tuple[Problem, DemoIntake]) -> None:
    for patient in applied[1].patients:
        assert patient.family_name.reveal() not in repr(patient)  # PHI stays masked
        assert patient.phone is not None
        phone = patient.phone.reveal()
        assert phone.startswith("+1") and phone[5:10] == "55501"  # numbers kept for fiction
        if patient.email is not None:
            assert patient.email.reveal().rsplit("@", 1)[1] in (
                "example.com",
                "example.org",
                "example.net",
            )
        assert patient.birth_date.reveal() < dt.date(2025, 1, 1)


def test_benefits_and_fee_schedule(base: Problem, applied: tuple[Problem, DemoIntake]) -> None:
    intake = applied[1]
    fees = intake.fee_schedule
    for visit_type in base.visit_types:
        entry = fees.entry(visit_type.code)
        assert entry.self_pay_price <= entry.charge
        for payer in {r.payer for r in base.requests if r.payer is not None}:
            assert fees.allowed(visit_type.code, payer) <= entry.charge
    assert fees.charge("FINCOUNSEL") == 0
    copays = {
        share.copay
        for b in intake.benefits.values()
        for share in b.by_visit_type.values()
        if share.copay
    }
    assert copays and all(Decimal(20) <= c <= Decimal(40) for c in copays)
    rates = {b.default.coinsurance for b in intake.benefits.values()} - {Decimal(0)}
    assert rates and all(Decimal("0.1") <= r <= Decimal("0.3") for r in rates)
    assert any(b.deductible_remaining > 0 for b in intake.benefits.values())
    assert any(b.deductible_remaining == 0 for b in intake.benefits.values())
    assert any(b.out_of_pocket_remaining for b in intake.benefits.values())
    # Benefits for every patient covered during the week, none for the one whose lapsed.
    active = {a.patient_id for a in intake.eligibility if a.status is EligibilityStatus.ACTIVE}
    assert set(intake.benefits) == active


# -- the facts -----------------------------------------------------------------------------


def test_one_patient_lost_coverage(applied: tuple[Problem, DemoIntake]) -> None:
    problem, intake = applied
    inactive = [a for a in intake.eligibility if a.status is EligibilityStatus.INACTIVE]
    assert len(inactive) == 1
    (answer,) = inactive
    assert answer.coverage_periods[-1].end is not None
    assert answer.coverage_periods[-1].end < problem.horizon.dates[0]
    dates = problem.horizon.dates
    for request in problem.requests:
        if request.payer is None:
            assert request.facts.coverage_active_dates is None
        elif request.patient_id == answer.patient_id:
            assert request.facts.coverage_active_dates == ()
        else:
            assert request.facts.coverage_active_dates == dates


def test_prior_authorizations(applied: tuple[Problem, DemoIntake]) -> None:
    problem, intake = applied
    pending = [r for r in problem.requests if r.facts.authorization_expected is not None]
    assert all(r.visit_type == "PROC" for r in pending)
    undated = [r for r in pending if r.facts.authorization_expected == r.latest]
    dated = [r for r in pending if r not in undated]
    assert len(undated) == 1
    assert 1 <= len(dated) <= 3
    middle = problem.horizon.day_start(problem.horizon.dates[2])
    for request in dated:  # moved later: the window opens before the expected date
        assert request.facts.authorization_expected == middle
        assert request.earliest < middle < request.latest
    on_file = set(intake.authorizations_on_file)
    assert len(on_file) > len(pending)
    assert all(problem.requests[problem.request_index[i]].visit_type == "PROC" for i in on_file)
    assert on_file.isdisjoint(r.id for r in pending)


def test_incomplete_records_add_check_in_minutes(applied: tuple[Problem, DemoIntake]) -> None:
    problem = applied[0]
    extra = Counter(r.facts.extra_check_in_minutes for r in problem.requests)
    with_extra = sum(n for minutes, n in extra.items() if minutes)
    assert 0.02 * len(problem.requests) <= with_extra <= 0.25 * len(problem.requests)
    assert set(extra) <= {0, 5, 10, 15}


def test_pinned_requests_keep_their_facts_open(applied: tuple[Problem, DemoIntake]) -> None:
    problem = applied[0]
    for pin in problem.pinned:
        facts = problem.requests[problem.request_index[pin.request_id]].facts
        assert facts.authorization_expected is None
        assert facts.extra_check_in_minutes == 0
        assert facts.coverage_active_dates in (None, problem.horizon.dates)


def test_counselling_for_balances_over_the_threshold(
    base: Problem, applied: tuple[Problem, DemoIntake]
) -> None:
    problem, intake = applied
    owing = {pid for pid, amount in intake.balances.items() if amount > THRESHOLD}
    patients = {r.patient_id for r in base.requests}
    assert 0.02 * len(patients) <= len(owing) <= 0.035 * len(patients)
    assert any(amount < 0 for amount in intake.balances.values())  # a credit or two
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in intake.balances.values())
    counselling = [r for r in problem.requests if r.visit_type == "FINCOUNSEL"]
    assert {r.patient_id for r in counselling} == owing
    assert len(counselling) == len(owing)
    first: dict[str, str] = {}
    for request in sorted(base.requests, key=lambda r: (r.earliest, r.id)):
        first.setdefault(request.patient_id, request.id)
    for request in counselling:
        (link,) = request.links
        assert isinstance(link, BeforeVisit)
        assert link.request_id == first[request.patient_id]
        assert request.payer is None


def test_demo_has_every_intake_reason(applied: tuple[Problem, DemoIntake], solved: Result) -> None:
    problem = applied[0]
    reasons = Counter(u.reason for u in solved.unscheduled)
    assert reasons[ReasonCode.COVERAGE_INACTIVE] == 1
    assert reasons[ReasonCode.AUTH_PENDING] >= 1
    assert reasons[ReasonCode.OUT_OF_NETWORK] >= 1
    booked = sum(a.visit_type == "FINCOUNSEL" for a in solved.assignments)
    assert booked >= 0.8 * sum(r.visit_type == "FINCOUNSEL" for r in problem.requests)


# -- solved and priced ---------------------------------------------------------------------


def test_solve_with_intake_validates(applied: tuple[Problem, DemoIntake], solved: Result) -> None:
    problem = applied[0]
    report = validate(problem, solved)
    assert report.ok, report.violations[:3]
    assert report.terms == solved.terms
    # Pending authorizations with a date are honoured; counselling comes before its visit.
    starts = {a.request_id: a.start for a in solved.assignments}
    zone = problem.horizon.zone
    for request in problem.requests:
        if request.id not in starts:
            continue
        expected = request.facts.authorization_expected
        assert expected is None or starts[request.id] >= expected
        for link in request.links:
            if isinstance(link, BeforeVisit):
                before = starts[request.id].astimezone(zone).date()
                visit = starts[link.request_id].astimezone(zone).date()
                assert 0 <= (visit - before).days <= link.max_days_before


def test_schedule_is_priced(applied: tuple[Problem, DemoIntake], solved: Result) -> None:
    problem, intake = applied
    estimates = estimate_schedule(problem, solved, intake.fee_schedule, intake.benefits)
    worklist = collection_worklist(problem, solved, estimates, intake.balances)
    assert len(worklist) == len(solved.assignments)
    assert sum(worklist["expected_patient_amount"], Decimal(0)) > 0
    by_request = {e.request_id: e for e in estimates}
    for assignment in solved.assignments:
        if assignment.visit_type == "FINCOUNSEL":  # counselling is free
            assert by_request[assignment.request_id].patient_amount == 0
