"""Registration completeness: the intake tasks a patient's record leaves for the front desk.

:func:`intake_tasks` checks a :class:`~psr_sched.intake.patients.Patient` for a visit date
and lists what the front desk must do at check-in; :func:`extra_check_in_minutes` turns the
tasks into extra minutes at a desk station.

Checks, in this order:

* ``MISSING_COVERAGE``: no coverage in force on the visit date, and the patient is not
  self-pay.  A policy that took effect before the visit but ended before it does not count.
* ``COVERAGE_INACTIVE``: the payer's eligibility answer for the primary coverage says it is
  inactive, or its coverage periods leave out the visit date.
* ``COVERAGE_NOT_VERIFIED``: the primary coverage has neither an eligibility answer active
  on the visit date nor a ``verified_on`` within ``verification_max_age_days`` before it.
* ``MISSING_CARD_IMAGE``: one per coverage in force without a scanned card.
* ``MISSING_CONSENT``: a required consent is not on file (telehealth consent only for a
  virtual visit); one task lists them all, as they are signed together.
* ``UNVERIFIED_ADDRESS``: no address, or one not verified.

Defaults (:data:`DEFAULT_CHECK_IN_POLICY`): 5 minutes per task, at most 15 extra minutes per
visit, verification valid for 30 days.  Override with a :class:`CheckInPolicy`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from psr_sched.domain.base import DomainModel
from psr_sched.intake.eligibility import EligibilityResult, EligibilityStatus
from psr_sched.intake.patients import ConsentKind, Coverage, Patient


class IntakeTaskCode(StrEnum):
    """Kinds of intake task."""

    MISSING_COVERAGE = "MISSING_COVERAGE"
    COVERAGE_INACTIVE = "COVERAGE_INACTIVE"
    COVERAGE_NOT_VERIFIED = "COVERAGE_NOT_VERIFIED"
    MISSING_CARD_IMAGE = "MISSING_CARD_IMAGE"
    MISSING_CONSENT = "MISSING_CONSENT"
    UNVERIFIED_ADDRESS = "UNVERIFIED_ADDRESS"


class IntakeTask(DomainModel):
    """One thing to do at check-in.

    Parameters
    ----------
    code : IntakeTaskCode
        What kind of task.
    minutes : int
        Front-desk minutes it takes.
    detail : str
        What exactly, without patient data (e.g. ``"coverage 1 (payer ACME01)"``).
    """

    code: IntakeTaskCode
    minutes: int = Field(ge=0, le=120)
    detail: str = ""


class CheckInPolicy(DomainModel):
    """How long intake tasks take and which checks apply.

    Parameters
    ----------
    minutes_per_task : int
        Minutes of a task whose code is not in ``task_minutes`` (default 5).
    task_minutes : dict of IntakeTaskCode to int
        Minutes per task code, overriding ``minutes_per_task``.
    cap_minutes : int or None
        Most extra check-in minutes for one visit (default 15); ``None``: no cap.
    verification_max_age_days : int
        How many days a coverage's ``verified_on`` stays good before the visit (default 30).
    required_consents : tuple of str
        Consents needed for every visit; ``"telehealth"`` is added for virtual visits.
    """

    minutes_per_task: int = Field(default=5, ge=0, le=120)
    task_minutes: dict[IntakeTaskCode, Annotated[int, Field(ge=0, le=120)]] = Field(
        default_factory=dict
    )
    cap_minutes: int | None = Field(default=15, ge=0)
    verification_max_age_days: int = Field(default=30, ge=0)
    required_consents: tuple[ConsentKind, ...] = (
        "treatment",
        "privacy_notice",
        "financial_responsibility",
    )

    def minutes(self, code: IntakeTaskCode) -> int:
        """Minutes of a task of this kind."""
        return self.task_minutes.get(code, self.minutes_per_task)


DEFAULT_CHECK_IN_POLICY = CheckInPolicy()


def intake_tasks(
    patient: Patient,
    visit_date: dt.date,
    *,
    eligibility: Iterable[EligibilityResult] = (),
    virtual: bool = False,
    policy: CheckInPolicy = DEFAULT_CHECK_IN_POLICY,
) -> list[IntakeTask]:
    """The intake tasks of ``patient`` for a visit on ``visit_date``.

    Parameters
    ----------
    patient : Patient
        The registration record.
    visit_date : date
        Day of the visit; coverage must be in force on it.
    eligibility : iterable of EligibilityResult
        Payer answers; those for this patient and the primary coverage's payer count.
    virtual : bool
        A virtual visit, which needs the telehealth consent.
    policy : CheckInPolicy
        Minutes and rules; :data:`DEFAULT_CHECK_IN_POLICY` by default.

    Returns
    -------
    list of IntakeTask
        In the order of the checks listed in the module docstring; empty when the record
        is complete.
    """
    tasks: list[IntakeTask] = []

    def add(code: IntakeTaskCode, detail: str = "") -> None:
        tasks.append(IntakeTask(code=code, minutes=policy.minutes(code), detail=detail))

    current = patient.current_coverages(visit_date)
    if not current and not patient.self_pay:
        add(IntakeTaskCode.MISSING_COVERAGE, "no coverage in force on the visit date")
    if current:
        primary = current[0]
        answers = [
            answer
            for answer in eligibility
            if answer.patient_id == patient.id
            and (answer.payer_id is None or answer.payer_id == primary.payer_id)
        ]
        verification = _verification(primary, answers, visit_date, policy)
        if verification is not None:
            add(verification, _coverage_label(patient, primary))
    for coverage in current:
        if not coverage.card_image_on_file:
            add(IntakeTaskCode.MISSING_CARD_IMAGE, _coverage_label(patient, coverage))
    required = policy.required_consents + (("telehealth",) if virtual else ())
    missing = [kind for kind in dict.fromkeys(required) if not getattr(patient.consents, kind)]
    if missing:
        add(IntakeTaskCode.MISSING_CONSENT, ", ".join(missing))
    if patient.address is None or not patient.address_verified:
        add(
            IntakeTaskCode.UNVERIFIED_ADDRESS,
            "no address" if patient.address is None else "address not verified",
        )
    return tasks


def _verification(
    coverage: Coverage,
    answers: list[EligibilityResult],
    visit_date: dt.date,
    policy: CheckInPolicy,
) -> IntakeTaskCode | None:
    if any(answer.is_active(visit_date) for answer in answers):
        return None
    # Inactive: the payer said so, or its coverage periods leave out the visit date.
    if any(
        answer.status is EligibilityStatus.INACTIVE
        or (answer.status is EligibilityStatus.ACTIVE and answer.coverage_periods)
        for answer in answers
    ):
        return IntakeTaskCode.COVERAGE_INACTIVE
    verified = coverage.verified_on
    if verified is not None and 0 <= (visit_date - verified).days <= (
        policy.verification_max_age_days
    ):
        return None
    return IntakeTaskCode.COVERAGE_NOT_VERIFIED


def _coverage_label(patient: Patient, coverage: Coverage) -> str:
    return f"coverage {patient.coverages.index(coverage) + 1} (payer {coverage.payer_id})"


def extra_check_in_minutes(
    tasks: Iterable[IntakeTask], policy: CheckInPolicy = DEFAULT_CHECK_IN_POLICY
) -> int:
    """Extra front-desk minutes for a visit: the tasks' minutes, at most ``cap_minutes``."""
    total = sum(task.minutes for task in tasks)
    return total if policy.cap_minutes is None else min(total, policy.cap_minutes)


__all__ = [
    "DEFAULT_CHECK_IN_POLICY",
    "CheckInPolicy",
    "IntakeTask",
    "IntakeTaskCode",
    "extra_check_in_minutes",
    "intake_tasks",
]
