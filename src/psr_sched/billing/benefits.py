"""A patient's cost sharing: copay and coinsurance per visit type, deductible and OOP left.

These are the facts a PSR reads off an eligibility response (an X12 271 or a payer portal):
what the plan asks of the patient per visit (:class:`CostShare`), and how much of the
year's deductible and out-of-pocket maximum is still open (:class:`PatientBenefits`).
A patient whose visit has no payer (``AppointmentRequest.payer is None``) is self-pay and needs
no benefits at all: they pay the fee schedule's self-pay price.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from psr_sched.domain import DomainModel, Identifier
from psr_sched.domain.money import ZERO, NonNegativeMoney, Rate


class CostShare(DomainModel):
    """What a plan asks of the patient for one kind of visit.

    Parameters
    ----------
    copay : Decimal or None
        Fixed amount per visit; ``None`` (or zero) when the plan has no copay for it.
        A copay never counts toward the deductible, and always toward the out-of-pocket
        maximum (the usual US plan design).
    coinsurance : Decimal
        Fraction of the allowed amount left after copay and deductible that the patient pays,
        0 to 1 (``Decimal("0.2")`` or ``"20%"``).  Default 0.
    deductible_applies : bool
        Whether the visit counts toward the deductible.  ``False`` for a "deductible waived"
        benefit such as a copay-only office visit or preventive care.  Default ``True``.
    """

    copay: NonNegativeMoney | None = None
    coinsurance: Rate = Decimal(0)
    deductible_applies: bool = True


class PatientBenefits(DomainModel):
    """One patient's coverage for the visits being estimated, with the year's running totals.

    Parameters
    ----------
    patient_id : str
        Opaque patient key (never a name or member id).
    deductible_remaining : Decimal
        Deductible still to be met this plan year.  Default 0 (met).
    out_of_pocket_remaining : Decimal or None
        Amount left before the out-of-pocket maximum is reached; ``None`` means the plan has
        no maximum.  Default ``None``.
    default : CostShare
        Cost sharing of every visit type not in ``by_visit_type``.
    by_visit_type : dict of str to CostShare
        Cost sharing per visit type code (the "service type" of the eligibility response).
    """

    patient_id: Identifier
    deductible_remaining: NonNegativeMoney = ZERO
    out_of_pocket_remaining: NonNegativeMoney | None = None
    default: CostShare = Field(default_factory=CostShare)
    by_visit_type: dict[str, CostShare] = Field(default_factory=dict)

    def cost_share(self, visit_type: str | None) -> CostShare:
        """Cost sharing for ``visit_type`` (the default one for ``None`` or an unlisted type)."""
        if visit_type is None:
            return self.default
        return self.by_visit_type.get(visit_type, self.default)

    def after(self, *, deductible_used: Decimal, out_of_pocket_used: Decimal) -> PatientBenefits:
        """These benefits after a visit consumed some deductible and out-of-pocket room.

        Built through validation, so using more than is left raises an error.
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data["deductible_remaining"] = self.deductible_remaining - deductible_used
        if self.out_of_pocket_remaining is not None:
            data["out_of_pocket_remaining"] = self.out_of_pocket_remaining - out_of_pocket_used
        return PatientBenefits.model_validate(data)

    def __repr__(self) -> str:
        return f"PatientBenefits(patient_id={self.patient_id!r})"
