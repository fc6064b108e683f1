"""Intake and eligibility facts into the problem: what a front desk learns before booking.

:func:`apply_intake` turns patient records, payer answers and balances into facts the
scheduler understands (``RequestFacts``, payer-network policy, linked counselling visits)
and returns a validated variant of the problem.  The solver never imports this module.

- Coverage inactive on every date of a request's window → the request ends unscheduled
  with ``COVERAGE_INACTIVE`` (self-pay requests, ``payer`` ``None``, are exempt).  An
  answer that is not ACTIVE counts as inactive, except UNKNOWN (the payer's answer does not
  say, see ``EligibilityResult.status_reason``), which ``unknown_coverage`` decides: booked
  as if covered (within the answer's coverage periods, if it has any) and flagged for
  verification on the collection worklist (``"schedule"``, the default), or treated as
  inactive (``"block"``).
- Prior authorization required and not on file → no visit before its expected date; with no
  expected date, none in the window (``AUTH_PENDING``).
- Incomplete intake → extra front-desk minutes (:func:`extra_check_in_minutes`).
- Out-of-network providers → never booked (``network="hard"``, the default) or booked at
  ``out_of_network_cost`` per visit (``network="soft"``).
- Prior balance above ``balance_threshold`` → a financial-counselling request linked to the
  patient's first visit, on its date or up to ``counseling_days_before`` days earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from pydantic import Field

from psr_sched.domain import AppointmentRequest, BeforeVisit, DomainModel, RequestFacts
from psr_sched.domain.money import NonNegativeMoney
from psr_sched.errors import ProblemError
from psr_sched.intake.completeness import (
    DEFAULT_CHECK_IN_POLICY,
    CheckInPolicy,
    extra_check_in_minutes,
    intake_tasks,
)
from psr_sched.intake.eligibility import EligibilityResult, EligibilityStatus
from psr_sched.intake.patients import Patient
from psr_sched.problem import Problem


class IntakePolicy(DomainModel):
    """How intake facts become constraints.

    Parameters
    ----------
    network : {"hard", "soft"}
        Out-of-network providers never booked, or booked at ``out_of_network_cost``.
    out_of_network_cost : int
        Objective cost of one out-of-network visit under the soft policy (weighted minutes).
    balance_threshold : Decimal
        Prior balances above this get a financial-counselling visit.
    counseling_visit_type : str
        Visit type code of that visit; the problem must define it (and someone who can
        see it, e.g. a provider with the financial-counselling skill).
    counseling_days_before : int
        The counselling may fall this many days before the visit, or on its date.
    check_in : CheckInPolicy
        Minutes per intake task.
    unknown_coverage : {"schedule", "block"}
        What an UNKNOWN eligibility answer does to its patient's requests: ``"schedule"``
        (default) books them as if covered and sets ``facts.coverage_unverified``, so the
        collection worklist flags each visit for verification (``verify_coverage``);
        ``"block"`` treats the coverage as inactive (``COVERAGE_INACTIVE``).
    """

    network: Literal["hard", "soft"] = "hard"
    out_of_network_cost: int = Field(default=240, ge=0)
    balance_threshold: NonNegativeMoney = Decimal("200.00")
    counseling_visit_type: str = "FINCOUNSEL"
    counseling_days_before: int = Field(default=7, ge=0)
    check_in: CheckInPolicy = DEFAULT_CHECK_IN_POLICY
    unknown_coverage: Literal["schedule", "block"] = "schedule"


def apply_intake(
    problem: Problem,
    *,
    patients: Iterable[Patient] = (),
    eligibility: Iterable[EligibilityResult] = (),
    balances: Mapping[str, Decimal] | None = None,
    authorizations_on_file: Iterable[str] = (),
    policy: IntakePolicy | None = None,
) -> Problem:
    """Return ``problem`` with intake facts applied (a validated variant).

    Parameters
    ----------
    problem : Problem
        The problem to constrain.
    patients : iterable of Patient
        Registration records, keyed by their ``id`` (the requests' ``patient_id``).
    eligibility : iterable of EligibilityResult
        Payer answers; one per patient is used (the last given).
    balances : mapping of patient id to Decimal, optional
        Prior balances (e.g. from :meth:`psr_sched.billing.Ledger.balances`).
    authorizations_on_file : iterable of str
        Request ids whose prior authorization is already approved.
    policy : IntakePolicy, optional
        Network policy, balance threshold, counselling visit type, check-in minutes.

    Returns
    -------
    Problem
        The variant; requests carry :class:`~psr_sched.domain.RequestFacts`, counselling
        requests are added with a ``BeforeVisit`` link.

    Raises
    ------
    ProblemError
        When the policy names a counselling visit type the problem does not define.
    """
    policy = policy or IntakePolicy()
    by_patient = {patient.id: patient for patient in patients}
    answers = {answer.patient_id: answer for answer in eligibility}
    approved = set(authorizations_on_file)
    requests = [
        _with_facts(problem, request, by_patient, answers, approved, policy)
        for request in problem.requests
    ]
    requests += _counselling(problem, balances or {}, policy)
    weights = problem.weights
    if policy.network == "soft":
        weights = weights.model_validate(
            {**weights.model_dump(), "out_of_network": policy.out_of_network_cost}
        )
    return problem.replace(requests=tuple(requests), weights=weights)


def _with_facts(
    problem: Problem,
    request: AppointmentRequest,
    patients: Mapping[str, Patient],
    answers: Mapping[str, EligibilityResult],
    approved: set[str],
    policy: IntakePolicy,
) -> AppointmentRequest:
    horizon = problem.horizon
    visit_type = problem.visit_type_by_code[request.visit_type]
    answer = answers.get(request.patient_id)
    facts: dict[str, object] = request.facts.model_dump()
    if request.payer is not None and answer is not None:
        unknown = answer.status is EligibilityStatus.UNKNOWN
        if unknown and policy.unknown_coverage == "schedule":
            periods = answer.coverage_periods
            facts["coverage_active_dates"] = (
                tuple(d for d in horizon.dates if any(p.contains(d) for p in periods))
                if periods
                else None
            )
            facts["coverage_unverified"] = True
        else:
            facts["coverage_active_dates"] = tuple(d for d in horizon.dates if answer.is_active(d))
            facts["coverage_unverified"] = False
        auth = answer.prior_auth(request.visit_type)
        if auth.required and request.id not in approved:
            if auth.expected_date is not None:
                facts["authorization_expected"] = horizon.day_start(auth.expected_date)
            else:  # required, not on file, no date: nothing in the window
                facts["authorization_expected"] = request.latest
    patient = patients.get(request.patient_id)
    if patient is not None:
        visit_date = request.earliest.astimezone(horizon.zone).date()
        tasks = intake_tasks(
            patient,
            visit_date,
            eligibility=[answer] if answer is not None else (),
            virtual=visit_type.virtual,
            policy=policy.check_in,
        )
        facts["extra_check_in_minutes"] = extra_check_in_minutes(tasks, policy.check_in)
    return AppointmentRequest.model_validate(
        {**request.model_dump(), "facts": RequestFacts.model_validate(facts).model_dump()}
    )


def _counselling(
    problem: Problem, balances: Mapping[str, Decimal], policy: IntakePolicy
) -> list[AppointmentRequest]:
    owing = {pid for pid, amount in balances.items() if amount > policy.balance_threshold}
    if not owing:
        return []
    if policy.counseling_visit_type not in problem.visit_type_by_code:
        raise ProblemError(
            f"intake policy: counseling_visit_type: visit type "
            f"{policy.counseling_visit_type!r} is not defined in the problem"
        )
    first: dict[str, AppointmentRequest] = {}
    for request in sorted(problem.requests, key=lambda r: (r.earliest, r.id)):
        if request.patient_id in owing and request.patient_id not in first:
            first[request.patient_id] = request
    taken = {request.id for request in problem.requests}
    extra = []
    for patient_id in sorted(first):
        visit = first[patient_id]
        new_id = f"{visit.id}-FC"
        while new_id in taken:
            new_id += "X"
        taken.add(new_id)
        extra.append(
            AppointmentRequest(
                id=new_id,
                patient_id=patient_id,
                visit_type=policy.counseling_visit_type,
                earliest=visit.earliest,
                latest=visit.latest,
                priority=visit.priority,
                links=(
                    BeforeVisit(request_id=visit.id, max_days_before=policy.counseling_days_before),
                ),
            )
        )
    return extra
