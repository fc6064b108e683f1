"""Patient-responsibility estimates, one visit at a time or a whole schedule in visit order.

For a covered visit the patient's share is built on the payer's allowed amount, in the usual
US order (see ``FACTS.md``, "Money"):

1. **copay**, if the plan has one for the visit type, at most the allowed amount;
2. **deductible** on what is left, until the deductible is met (skipped when the visit type's
   :class:`~psr_sched.billing.CostShare` says the deductible does not apply);
3. **coinsurance**, the plan's rate on the rest, rounded half up to cents (the package's one
   rounding, see :mod:`psr_sched.domain.money`);
4. all of it **capped by the out-of-pocket maximum** still open: the cap is taken in the same
   order, so copay first, then deductible, then coinsurance.

A copay never counts toward the deductible (it does not lower ``deductible_remaining``) and
always counts toward the out-of-pocket maximum, as do deductible and coinsurance.  The plan
pays the rest of the allowed amount.  A patient without coverage pays the fee schedule's
self-pay price; no deductible or out-of-pocket total moves.

Over a schedule, each patient's visits are taken in order of start, and each visit sees the
deductible and out-of-pocket room the earlier ones left: a Monday visit that meets the
deductible leaves Wednesday's visit with coinsurance only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import pandas as pd
from pydantic import Field, model_validator

from psr_sched.billing.benefits import CostShare, PatientBenefits
from psr_sched.billing.errors import BillingError
from psr_sched.billing.fees import FeeSchedule
from psr_sched.domain import DomainModel
from psr_sched.domain.money import (
    ZERO,
    NonNegativeMoney,
    Rate,
    format_money,
    format_rate,
    round_cents,
    to_money,
)
from psr_sched.problem import Problem
from psr_sched.result import Assignment, Result

ESTIMATE_COLUMNS = [
    "request_id",
    "patient_id",
    "visit_type",
    "payer",
    "in_network",
    "allowed",
    "copay",
    "deductible",
    "coinsurance",
    "coinsurance_rate",
    "self_pay_price",
    "out_of_pocket_reduction",
    "patient_amount",
    "plan_amount",
    "deductible_remaining",
    "out_of_pocket_remaining",
    "explanation",
]


class Estimate(DomainModel):
    """The estimated patient share of one visit, by component, with a spoken explanation.

    The components are what the patient pays after the out-of-pocket cap, so
    ``copay + deductible + coinsurance + self_pay_price == patient_amount`` and
    ``patient_amount + plan_amount == allowed``.

    Parameters
    ----------
    request_id, patient_id, visit_type, payer : str or None
        The visit, when known.  ``payer`` is ``None`` for a self-pay visit.
    self_pay : bool
        Whether the patient has no coverage for this visit.
    in_network : bool
        Whether the provider is in the payer's network.  An out-of-network visit (allowed
        by ``Weights.out_of_network``) is still estimated on the fee schedule's allowed
        amount, and the explanation warns that the share may be higher.
    allowed : Decimal
        The payer's allowed amount, or the self-pay price for a self-pay visit.
    copay, deductible, coinsurance : Decimal
        The patient's share by component, after the out-of-pocket cap.
    coinsurance_rate : Decimal
        The plan's coinsurance rate for this visit type.
    self_pay_price : Decimal
        What a self-pay patient pays; zero for a covered visit.
    out_of_pocket_reduction : Decimal
        How much the out-of-pocket maximum took off the share (zero when it does not bind).
    patient_amount, plan_amount : Decimal
        The patient's estimated share and the plan's.
    explanation : str
        Plain English a PSR can read to the patient.
    benefits_after : PatientBenefits or None
        The patient's benefits after this visit (deductible and out-of-pocket room left);
        ``None`` for a self-pay visit.
    """

    request_id: str | None = None
    patient_id: str | None = None
    visit_type: str | None = None
    payer: str | None = None
    self_pay: bool = False
    in_network: bool = True
    allowed: NonNegativeMoney
    copay: NonNegativeMoney = ZERO
    deductible: NonNegativeMoney = ZERO
    coinsurance: NonNegativeMoney = ZERO
    coinsurance_rate: Rate = Decimal(0)
    self_pay_price: NonNegativeMoney = ZERO
    out_of_pocket_reduction: NonNegativeMoney = ZERO
    patient_amount: NonNegativeMoney
    plan_amount: NonNegativeMoney
    explanation: str
    benefits_after: PatientBenefits | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _adds_up(self) -> Estimate:
        parts = self.copay + self.deductible + self.coinsurance + self.self_pay_price
        if parts != self.patient_amount:
            raise ValueError("patient_amount: is not the sum of its components")
        if self.patient_amount + self.plan_amount != self.allowed:
            raise ValueError("plan_amount: patient and plan amounts do not add up to allowed")
        return self

    def __repr__(self) -> str:
        return (
            f"Estimate(request_id={self.request_id!r}, allowed={self.allowed}, "
            f"patient_amount={self.patient_amount}, plan_amount={self.plan_amount})"
        )


def estimate_visit(
    allowed: Decimal | int | str,
    benefits: PatientBenefits,
    visit_type: str | None = None,
    *,
    request_id: str | None = None,
    payer: str | None = None,
    in_network: bool = True,
) -> Estimate:
    """Estimate the patient's share of one covered visit.

    Parameters
    ----------
    allowed : Decimal, int or str
        The payer's allowed amount for the visit (never a float).
    benefits : PatientBenefits
        The patient's benefits *before* this visit.
    visit_type : str or None
        Chooses the cost sharing (:meth:`PatientBenefits.cost_share`).
    request_id, payer : str or None
        Recorded on the estimate.
    in_network : bool
        ``False`` adds a warning to the explanation (see :class:`Estimate`).

    Returns
    -------
    Estimate
        The components, the patient and plan amounts, the explanation, and in
        ``benefits_after`` the benefits a later visit of the same patient starts from.

    Raises
    ------
    BillingError
        If ``allowed`` is a float, not an amount, or negative.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from psr_sched.billing import CostShare, PatientBenefits, estimate_visit
    >>> benefits = PatientBenefits(
    ...     patient_id="pt-1",
    ...     deductible_remaining=Decimal("500"),
    ...     default=CostShare(coinsurance=Decimal("0.2")),
    ... )
    >>> estimate_visit(Decimal("800"), benefits).patient_amount
    Decimal('560.00')
    """
    allowed = _amount(allowed, "allowed")
    share = benefits.cost_share(visit_type)
    copay_full = min(share.copay or ZERO, allowed)
    after_copay = allowed - copay_full
    deductible_full = (
        min(benefits.deductible_remaining, after_copay) if share.deductible_applies else ZERO
    )
    remainder = after_copay - deductible_full
    coinsurance_full = round_cents(remainder * share.coinsurance)

    room = benefits.out_of_pocket_remaining
    capped: list[Decimal] = []
    for component in (copay_full, deductible_full, coinsurance_full):
        if room is None:
            capped.append(component)
        else:
            capped.append(min(component, room))
            room -= capped[-1]
    copay, deductible, coinsurance = capped
    patient = copay + deductible + coinsurance
    full = copay_full + deductible_full + coinsurance_full

    explanation = _explain(
        allowed=allowed,
        share=share,
        benefits=benefits,
        copay=copay_full,
        deductible=deductible_full,
        remainder=remainder,
        coinsurance=coinsurance_full,
        full=full,
        patient=patient,
        in_network=in_network,
    )
    return Estimate(
        request_id=request_id,
        patient_id=benefits.patient_id,
        visit_type=visit_type,
        payer=payer,
        in_network=in_network,
        allowed=allowed,
        copay=copay,
        deductible=deductible,
        coinsurance=coinsurance,
        coinsurance_rate=share.coinsurance,
        out_of_pocket_reduction=full - patient,
        patient_amount=patient,
        plan_amount=allowed - patient,
        explanation=explanation,
        benefits_after=benefits.after(deductible_used=deductible, out_of_pocket_used=patient),
    )


def estimate_self_pay(
    price: Decimal | int | str,
    *,
    request_id: str | None = None,
    patient_id: str | None = None,
    visit_type: str | None = None,
) -> Estimate:
    """Estimate a visit without coverage: the patient pays the self-pay ``price``.

    Parameters
    ----------
    price : Decimal, int or str
        The fee schedule's self-pay price (:meth:`FeeSchedule.self_pay_price`).
    request_id, patient_id, visit_type : str or None
        Recorded on the estimate.

    Raises
    ------
    BillingError
        If ``price`` is a float, not an amount, or negative.
    """
    price = _amount(price, "self-pay price")
    explanation = (
        f"There is no insurance on file for this visit, so the self-pay price of "
        f"{format_money(price)} applies. Your estimated share is {format_money(price)}."
    )
    return Estimate(
        request_id=request_id,
        patient_id=patient_id,
        visit_type=visit_type,
        self_pay=True,
        allowed=price,
        self_pay_price=price,
        patient_amount=price,
        plan_amount=ZERO,
        explanation=explanation,
    )


def estimate_schedule(
    problem: Problem,
    schedule: Result | Sequence[Assignment],
    fee_schedule: FeeSchedule,
    benefits: Mapping[str, PatientBenefits] | Iterable[PatientBenefits],
) -> list[Estimate]:
    """Estimate every scheduled visit, carrying each patient's deductible and OOP forward.

    Visits are taken in order of start (ties by request id); each patient's first visit
    starts from the benefits given, and each later one from what the earlier ones left.
    The visit type and payer come from the problem's request; a request without a payer is
    self-pay.  A visit with a provider outside the payer's network is marked
    ``in_network=False``.

    Parameters
    ----------
    problem : Problem
        The problem the schedule solves.
    schedule : Result or sequence of Assignment
        The scheduled visits.
    fee_schedule : FeeSchedule
        Allowed amounts and self-pay prices.
    benefits : mapping of patient id to PatientBenefits, or PatientBenefits records
        Benefits of every patient with a covered visit, before the first one.

    Returns
    -------
    list of Estimate
        One per scheduled visit, in schedule order.

    Raises
    ------
    BillingError
        For a visit of an unknown request, a covered visit without benefits for its
        patient, or a fee schedule lookup that fails; the message names the request.
    """
    assignments = schedule.assignments if isinstance(schedule, Result) else tuple(schedule)
    requests = {r.id: r for r in problem.requests}
    providers = {p.id: p for p in problem.providers}
    current = _benefits_by_patient(benefits)
    estimates: list[Estimate] = []
    for assignment in sorted(assignments, key=_schedule_order):
        request = requests.get(assignment.request_id)
        if request is None:
            raise BillingError(
                f"assignment {assignment.request_id}: request_id: not a request of the problem"
            )
        provider = providers.get(assignment.provider_id)
        if provider is None:
            raise BillingError(
                f"assignment {assignment.request_id}: provider_id: not a provider of the problem"
            )
        try:
            if request.payer is None:
                estimate = estimate_self_pay(
                    fee_schedule.self_pay_price(request.visit_type),
                    request_id=request.id,
                    patient_id=request.patient_id,
                    visit_type=request.visit_type,
                )
            else:
                state = current.get(request.patient_id)
                if state is None:
                    raise BillingError(
                        f"payer {request.payer!r}: no benefits given for the request's patient"
                    )
                estimate = estimate_visit(
                    fee_schedule.allowed(request.visit_type, request.payer),
                    state,
                    request.visit_type,
                    request_id=request.id,
                    payer=request.payer,
                    in_network=provider.networks is None or request.payer in provider.networks,
                )
                if estimate.benefits_after is not None:
                    current[request.patient_id] = estimate.benefits_after
        except BillingError as exc:
            raise BillingError(f"request {request.id}: {exc}") from None
        estimates.append(estimate)
    return estimates


def estimates_frame(estimates: Iterable[Estimate]) -> pd.DataFrame:
    """Estimates as a frame with :data:`ESTIMATE_COLUMNS`, one row per estimate.

    Amounts stay ``Decimal`` (object columns), so sums are exact and a CSV shows exact
    cents.  ``deductible_remaining`` and ``out_of_pocket_remaining`` are those left after
    the visit (missing for self-pay visits and plans without a maximum).
    """
    rows = [
        {
            **{
                name: getattr(e, name)
                for name in ESTIMATE_COLUMNS
                if name not in ("deductible_remaining", "out_of_pocket_remaining")
            },
            "deductible_remaining": (
                None if e.benefits_after is None else e.benefits_after.deductible_remaining
            ),
            "out_of_pocket_remaining": (
                None if e.benefits_after is None else e.benefits_after.out_of_pocket_remaining
            ),
        }
        for e in estimates
    ]
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS, dtype=object)


def _amount(value: Decimal | int | str, name: str) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError as exc:
        raise BillingError(f"estimate: {name}: {exc}") from None
    if amount < 0:
        raise BillingError(f"estimate: {name}: must not be negative")
    return amount


def _schedule_order(assignment: Assignment) -> tuple[dt.datetime, str]:
    return assignment.start.astimezone(dt.UTC), assignment.request_id


def _benefits_by_patient(
    benefits: Mapping[str, PatientBenefits] | Iterable[PatientBenefits],
) -> dict[str, PatientBenefits]:
    index: dict[str, PatientBenefits] = {}
    if isinstance(benefits, Mapping):
        for number, (key, record) in enumerate(benefits.items(), start=1):
            if record.patient_id != key:
                raise BillingError(f"benefits #{number}: patient_id: does not match its key")
            index[key] = record
        return index
    for number, record in enumerate(benefits, start=1):
        if record.patient_id in index:
            raise BillingError(
                f"benefits #{number}: patient_id: a second set of benefits for one patient"
            )
        index[record.patient_id] = record
    return index


def _explain(
    *,
    allowed: Decimal,
    share: CostShare,
    benefits: PatientBenefits,
    copay: Decimal,
    deductible: Decimal,
    remainder: Decimal,
    coinsurance: Decimal,
    full: Decimal,
    patient: Decimal,
    in_network: bool,
) -> str:
    """Plain English for a covered visit, using the amounts before the out-of-pocket cap."""
    m = format_money
    sentences: list[str] = []
    after_copay = allowed - copay
    if copay > 0:
        if share.copay is not None and share.copay > copay:
            sentences.append(
                f"Your plan has a {m(share.copay)} copay for this visit, but the visit's "
                f"allowed amount is only {m(allowed)}, so the copay is {m(copay)}."
            )
        else:
            sentences.append(f"Your plan has a {m(copay)} copay for this visit.")
        this_visit = f"After the copay, {m(after_copay)} of this visit's allowed amount is left"
    else:
        this_visit = f"This visit's allowed amount is {m(allowed)}"
    if allowed == 0:
        sentences.append("This visit's allowed amount is $0.00, so there is nothing to pay.")
    elif after_copay > 0:
        owed = benefits.deductible_remaining
        if share.deductible_applies and owed > 0:
            sentences.append(f"Your plan has {m(owed)} left on its deductible.")
            if deductible < after_copay:
                sentences.append(
                    f"{this_visit}, so the first {m(deductible)} goes to the deductible."
                )
            else:
                sentences.append(f"{this_visit}, so all of it goes to the deductible.")
        elif share.deductible_applies:
            sentences.append("Your deductible is already met.")
        elif owed > 0:
            sentences.append("The deductible does not apply to this visit.")
        if remainder > 0:
            what = (
                f"the remaining {m(remainder)}"
                if copay > 0 or deductible > 0
                else f"this visit's allowed amount of {m(allowed)}"
            )
            if share.coinsurance > 0:
                sentences.append(
                    f"Of {what} you pay {format_rate(share.coinsurance)} coinsurance, "
                    f"{m(coinsurance)}."
                )
            else:
                sentences.append(f"Your plan pays {what} in full.")
    if patient < full:
        room = benefits.out_of_pocket_remaining
        if room is not None and room > 0:
            sentences.append(
                f"That adds up to {m(full)}, but you have only {m(room)} left before your "
                "plan's out-of-pocket maximum, so you pay no more than that."
            )
        else:
            sentences.append(
                f"That would be {m(full)}, but you have already reached your plan's "
                "out-of-pocket maximum, so you pay nothing more this plan year."
            )
    if not in_network:
        sentences.append(
            "Your provider for this visit is outside your plan's network, so this estimate "
            "uses the in-network allowed amount and your share may be higher."
        )
    sentences.append(f"Your estimated share is {m(patient)}.")
    return " ".join(sentences)
