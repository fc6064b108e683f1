"""One payer eligibility answer, whatever its format: coverage status, periods, benefits.

Both readers, :mod:`psr_sched.intake.x12` (X12 271) and :mod:`psr_sched.intake.fhir` (FHIR
R4 CoverageEligibilityResponse), produce an :class:`EligibilityResult`.  It holds no
protected health information: the patient is the clinic's opaque key, and names, birth
dates and member ids of the response are not kept.

Service types are X12 service type codes (``"30"`` health benefit plan coverage, ``"98"``
professional physician visit - office, ``"MH"`` mental health, ...).  FHIR's benefit category
code system (``ex-benefitcategory``) uses the same codes.  Visit types map to service types
through :data:`DEFAULT_SERVICE_TYPES` or a mapping of your own.  The code tables both readers
share (EB01 benefit codes, service type names) are in :mod:`psr_sched.intake.codes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from psr_sched.domain.base import DomainModel, Identifier
from psr_sched.domain.money import NonNegativeMoney, Rate

#: Service type of the plan as a whole; benefits not given per service fall back to it.
PLAN_SERVICE_TYPE = "30"

#: Default visit type → X12 service type code, for the visit types of the demo clinic.
#: Unknown visit types map to :data:`PLAN_SERVICE_TYPE`.
DEFAULT_SERVICE_TYPES: Mapping[str, str] = {
    "NEW": "98",  # professional (physician) visit - office
    "EST": "98",
    "TELE": "98",  # billed as an office visit with a telehealth place of service
    "CARD": "98",
    "DERM": "98",
    "ORTHO": "98",
    "ANNUAL": "BY",  # physician visit - office: well
    "WCC": "BY",
    "SICK": "BZ",  # physician visit - office: sick
    "PROC": "2",  # surgical
    "EDU": "98",
    "MH": "MH",  # mental health
    "PT": "PT",  # physical therapy
    "IMG": "4",  # diagnostic x-ray
    "LAB": "5",  # diagnostic lab
}


def service_type_for_visit_type(
    visit_type: str, service_types: Mapping[str, str] | None = None
) -> str:
    """The X12 service type code (FHIR benefit category) of a visit type.

    Parameters
    ----------
    visit_type : str
        Visit type code, e.g. ``"NEW"``.
    service_types : mapping of str to str, optional
        Visit type → service type; :data:`DEFAULT_SERVICE_TYPES` when omitted.

    Returns
    -------
    str
        The mapped code, or :data:`PLAN_SERVICE_TYPE` (``"30"``) for an unmapped visit type.
    """
    mapping = DEFAULT_SERVICE_TYPES if service_types is None else service_types
    return mapping.get(visit_type, PLAN_SERVICE_TYPE)


#: An amount of money, zero or more, in whole cents; floats are refused.  The one money
#: rule of the project lives in :mod:`psr_sched.domain.money`.
Money = NonNegativeMoney
#: A share between 0 and 1 (coinsurance 20 % is ``Decimal("0.2")``); floats are refused.
Fraction = Rate

Network = Literal["in", "out"]
Unit = Literal["individual", "family"]


class EligibilityStatus(StrEnum):
    """What the payer said about the coverage."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    REJECTED = "REJECTED"  # the request was rejected (X12 AAA, FHIR error)
    UNKNOWN = "UNKNOWN"  # the response does not say (EligibilityResult.status_reason says why)


class CoveragePeriod(DomainModel):
    """A period in which the coverage is in force; ``None`` ends are open."""

    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CoveragePeriod:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies in the period, ends inclusive."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class Benefit(DomainModel):
    """Cost sharing and prior authorization for one service type, network and unit.

    Parameters
    ----------
    service_type : str
        X12 service type code (FHIR benefit category).
    network : {"in", "out"} or None
        In- or out-of-network benefit; ``None`` when the payer did not say (or it applies to
        both).
    unit : {"individual", "family"} or None
        Whose accumulators; ``None`` when not given.
    copay : Decimal or None
        Copayment per visit, dollars.
    coinsurance : Decimal or None
        Patient's share after the deductible, as a fraction (0.2 is 20 %).
    deductible, deductible_remaining : Decimal or None
        Deductible for the benefit period and what is left of it.
    oop_max, oop_remaining : Decimal or None
        Out-of-pocket maximum and what is left of it.
    prior_auth_required : bool or None
        Whether the payer requires prior authorization.
    """

    service_type: str = Field(min_length=1, max_length=3)
    network: Network | None = None
    unit: Unit | None = None
    copay: Money | None = None
    coinsurance: Fraction | None = None
    deductible: Money | None = None
    deductible_remaining: Money | None = None
    oop_max: Money | None = None
    oop_remaining: Money | None = None
    prior_auth_required: bool | None = None


_BENEFIT_VALUES = (
    "copay",
    "coinsurance",
    "deductible",
    "deductible_remaining",
    "oop_max",
    "oop_remaining",
    "prior_auth_required",
)
BENEFIT_COLUMNS = ["service_type", "network", "unit", *_BENEFIT_VALUES]


class Rejection(DomainModel):
    """Why a payer could not answer (an X12 AAA segment or a FHIR ``error``).

    Parameters
    ----------
    code : str
        X12 reject reason code (AAA03, e.g. ``"75"`` subscriber not found) or the FHIR error
        code.
    description : str or None
        Readable meaning of the code, when known.
    follow_up : str or None
        X12 follow-up action code (AAA04, e.g. ``"C"`` correct and resubmit).
    level : str
        Where the payer put it: ``"payer"``, ``"receiver"``, ``"subscriber"``,
        ``"dependent"``, ``"benefit"`` or ``"response"`` (FHIR).
    """

    code: str = Field(min_length=1, max_length=40)
    description: str | None = None
    follow_up: str | None = None
    level: Literal["payer", "receiver", "subscriber", "dependent", "benefit", "response"]


class PriorAuth(DomainModel):
    """Prior authorization for one visit type.

    Parameters
    ----------
    service_type : str
        Service type the visit type maps to.
    required : bool or None
        Whether the payer requires it; ``None`` when the response does not say.
    expected_date : date or None
        When a pending authorization is expected (recorded by the clinic, see
        :meth:`EligibilityResult.with_pending_authorization`).
    """

    service_type: str
    required: bool | None
    expected_date: dt.date | None = None

    @property
    def pending(self) -> bool:
        """Required, requested and not yet granted."""
        return bool(self.required) and self.expected_date is not None


class EligibilityResult(DomainModel):
    """A payer's eligibility and benefits answer for one patient.

    Parameters
    ----------
    patient_id : str
        The clinic's opaque patient key.
    payer_id, payer_name : str or None
        Payer identifier and name.
    plan : str or None
        Plan name (or number when no name is given).
    network : str or None
        Payer network identifier.
    status : EligibilityStatus
        ACTIVE, INACTIVE, REJECTED or UNKNOWN, as of ``as_of``.
    status_reason : str or None
        Why the status is UNKNOWN: what the response lacks (no ``inforce``, no Active
        Coverage benefit, ...); ``None`` for the other statuses.
    as_of : date or None
        The date the payer answered for (date of service asked, else the response date).
    coverage_periods : tuple of CoveragePeriod
        When the coverage is in force (eligibility dates, else plan dates).
    in_network_provider_ids : tuple of str
        NPIs the payer named as in network, sorted.
    benefits : tuple of Benefit
        Cost sharing per service type, network and unit.
    rejections : tuple of Rejection
        Reasons the payer gave for not answering (all or part).
    pending_authorizations : dict of str to date
        Service type → expected date of a requested authorization (the clinic's record).
    not_read : tuple of str
        What the reader could not read and left out, one ``"<element>: <why>"`` each, in
        response order: malformed elements the answer does not need, benefit codes and
        service names the readers do not map (:mod:`psr_sched.intake.codes`).  Elements are
        named, never their values.  Empty when the whole response was read.
    """

    patient_id: Identifier
    payer_id: str | None = None
    payer_name: str | None = None
    plan: str | None = None
    network: str | None = None
    status: EligibilityStatus
    status_reason: str | None = None
    as_of: dt.date | None = None
    coverage_periods: tuple[CoveragePeriod, ...] = ()
    in_network_provider_ids: tuple[str, ...] = ()
    benefits: tuple[Benefit, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    pending_authorizations: dict[str, dt.date] = Field(default_factory=dict)
    not_read: tuple[str, ...] = ()

    # Canonical order, so that equal content read from X12 and from FHIR compares equal.
    @field_validator("coverage_periods", mode="after")
    @classmethod
    def _sort_periods(cls, value: tuple[CoveragePeriod, ...]) -> tuple[CoveragePeriod, ...]:
        return tuple(sorted(value, key=lambda p: (p.start or dt.date.min, p.end or dt.date.max)))

    @field_validator("in_network_provider_ids", mode="after")
    @classmethod
    def _sort_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @field_validator("benefits", mode="after")
    @classmethod
    def _sort_benefits(cls, value: tuple[Benefit, ...]) -> tuple[Benefit, ...]:
        keys = [(b.service_type, b.network, b.unit) for b in value]
        if len(set(keys)) < len(keys):
            raise ValueError("two benefits share a service type, network and unit")
        return tuple(sorted(value, key=lambda b: (b.service_type, b.network or "", b.unit or "")))

    def is_active(self, visit_date: dt.date) -> bool:
        """Whether the coverage is in force on ``visit_date``.

        The payer must have said ACTIVE, and the visit date must lie in a coverage period:
        a policy that became effective before the visit but ended before it is not active.
        Without any period, only ``as_of`` is known to be covered.
        """
        if self.status is not EligibilityStatus.ACTIVE:
            return False
        if self.coverage_periods:
            return any(period.contains(visit_date) for period in self.coverage_periods)
        return self.as_of == visit_date

    def benefit(
        self,
        service_type: str,
        *,
        network: Network | None = "in",
        unit: Unit | None = "individual",
        fall_back_to_plan: bool = True,
    ) -> Benefit:
        """Cost sharing for a service type, merged value by value from the best matches.

        Each value comes from the first benefit that has it among: the exact network and
        unit, the network with no unit, no network with the unit, neither; then the same
        for the plan as a whole (service type ``"30"``) if ``fall_back_to_plan``.  Payers
        often give the deductible and out-of-pocket amounts only for the plan.

        Returns
        -------
        Benefit
            For ``service_type``, ``network`` and ``unit``; values not found are ``None``.
        """
        order = [service_type]
        if fall_back_to_plan and service_type != PLAN_SERVICE_TYPE:
            order.append(PLAN_SERVICE_TYPE)
        keys = [(network, unit), (network, None), (None, unit), (None, None)]
        merged: dict[str, Any] = {}
        for code in order:
            for key in dict.fromkeys(keys):
                for found in self.benefits:
                    if found.service_type == code and (found.network, found.unit) == key:
                        for name in _BENEFIT_VALUES:
                            value = getattr(found, name)
                            if value is not None:
                                merged.setdefault(name, value)
        return Benefit(service_type=service_type, network=network, unit=unit, **merged)

    def benefit_for_visit(
        self,
        visit_type: str,
        service_types: Mapping[str, str] | None = None,
        *,
        network: Network | None = "in",
        unit: Unit | None = "individual",
    ) -> Benefit:
        """:meth:`benefit` for the service type of ``visit_type``."""
        service_type = service_type_for_visit_type(visit_type, service_types)
        return self.benefit(service_type, network=network, unit=unit)

    def prior_auth(
        self,
        visit_type: str,
        service_types: Mapping[str, str] | None = None,
        *,
        network: Network | None = "in",
    ) -> PriorAuth:
        """Whether ``visit_type`` needs prior authorization, and when a pending one is due."""
        service_type = service_type_for_visit_type(visit_type, service_types)
        required = self.benefit(service_type, network=network).prior_auth_required
        return PriorAuth(
            service_type=service_type,
            required=required,
            expected_date=self.pending_authorizations.get(service_type),
        )

    def prior_auth_required(
        self, visit_types: Iterable[str], service_types: Mapping[str, str] | None = None
    ) -> dict[str, bool | None]:
        """Visit type → whether it needs prior authorization in network (``None``: unknown)."""
        return {
            visit_type: self.prior_auth(visit_type, service_types).required
            for visit_type in visit_types
        }

    def with_pending_authorization(
        self,
        visit_type: str,
        expected_date: dt.date,
        service_types: Mapping[str, str] | None = None,
    ) -> EligibilityResult:
        """A copy recording that authorization for ``visit_type`` is expected on a date."""
        service_type = service_type_for_visit_type(visit_type, service_types)
        data = self.model_dump()
        data["pending_authorizations"] = {
            **self.pending_authorizations,
            service_type: expected_date,
        }
        return EligibilityResult.model_validate(data)

    def benefits_frame(self) -> pd.DataFrame:
        """The benefits as a frame, one row per service type, network and unit.

        Money columns hold ``Decimal`` objects (dtype ``object``), never floats.
        """
        rows = [benefit.model_dump() for benefit in self.benefits]
        return pd.DataFrame(rows, columns=BENEFIT_COLUMNS)

    def __repr__(self) -> str:
        return (
            f"EligibilityResult(patient_id={self.patient_id!r}, payer_id={self.payer_id!r}, "
            f"status={self.status.value}, benefits={len(self.benefits)})"
        )


@dataclass
class BenefitBuilder:
    """Collects the values of one :class:`Benefit` while a response is read.

    The first value given for a field wins (payers repeat a benefit with narrower
    qualifiers after the general one).  An amount used so far completes a missing
    remaining amount: remaining = total − used, not below zero.
    """

    service_type: str
    network: Network | None
    unit: Unit | None
    values: dict[str, Any] = field(default_factory=dict)
    deductible_used: Decimal | None = None
    oop_used: Decimal | None = None

    def set(self, name: str, value: Any) -> None:
        """Set ``name`` unless it is set already or ``value`` is ``None``."""
        if value is not None:
            self.values.setdefault(name, value)

    def build(self) -> Benefit | None:
        """The benefit, or ``None`` when nothing was given for it."""
        values = dict(self.values)
        for total, used, remaining in (
            ("deductible", self.deductible_used, "deductible_remaining"),
            ("oop_max", self.oop_used, "oop_remaining"),
        ):
            if remaining not in values and total in values and used is not None:
                values[remaining] = max(values[total] - used, Decimal(0))
        if not values:
            return None
        return Benefit(
            service_type=self.service_type, network=self.network, unit=self.unit, **values
        )


class BenefitTable:
    """The :class:`BenefitBuilder` of each service type, network and unit of a response."""

    def __init__(self) -> None:
        self._builders: dict[tuple[str, Network | None, Unit | None], BenefitBuilder] = {}

    def get(self, service_type: str, network: Network | None, unit: Unit | None) -> BenefitBuilder:
        """The builder for a key, created on first use."""
        key = (service_type, network, unit)
        if key not in self._builders:
            self._builders[key] = BenefitBuilder(service_type, network, unit)
        return self._builders[key]

    def build(self) -> tuple[Benefit, ...]:
        """The benefits that received any value."""
        built = (builder.build() for builder in self._builders.values())
        return tuple(benefit for benefit in built if benefit is not None)


__all__ = [
    "BENEFIT_COLUMNS",
    "DEFAULT_SERVICE_TYPES",
    "PLAN_SERVICE_TYPE",
    "Benefit",
    "BenefitBuilder",
    "BenefitTable",
    "CoveragePeriod",
    "EligibilityResult",
    "EligibilityStatus",
    "Fraction",
    "Money",
    "Network",
    "PriorAuth",
    "Rejection",
    "Unit",
    "service_type_for_visit_type",
]
