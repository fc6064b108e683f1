"""Invented intake and billing data for the demo clinic, seeded like the clinic itself.

:func:`demo_intake` makes, for the patients of a generated problem (:mod:`psr_sched.demo`),
what a front desk would hold before the week starts: registration records, one payer answer
per insured patient, prior balances, the prior authorizations on file, a fee schedule and each
patient's benefits.  :func:`demo_problem_with_intake` applies them to the demo week with
:func:`~psr_sched.intake.facts.apply_intake` (hard payer networks, the default policy).

What the data exercise, for the demo week (seed 0 and others alike):

* Most insured patients are covered all week.  **One** patient's coverage ended on the last
  day of the month before the week: their requests end ``COVERAGE_INACTIVE``.
* Two payers require prior authorization for office procedures (``PROC``, X12 service type
  ``2``).  Most of those procedures have it on file; up to three are pending with an expected
  date in the middle of the week (they move later); one is pending with no date
  (``AUTH_PENDING``).
* A few registration records are incomplete (no card image, a consent not signed, an address
  not verified): those visits take extra check-in minutes at the front desk.
* Self-pay requests stay self-pay: their patients are marked self-pay, with no coverage.
* About 2.5 % of the patients owe more than the default threshold ($200): each gets a
  financial-counselling visit (``FINCOUNSEL``) linked before their first visit.  Others owe
  a little, and a few have a credit.

Requests of pinned appointments and of the requests built to be unplaceable get none of the
blocking facts and no incomplete record, so a locked appointment stays feasible and each
unplaceable request keeps its one reason.

Nothing here describes a real person: names are drawn from short lists and combined at
random, phone numbers lie in the 555-01xx range set aside for fiction, e-mail addresses use
the reserved ``example.com``, ``example.org`` and ``example.net`` domains, and member ids are
random letters and digits.  Amounts (fees, copays, deductibles) are illustrative, not any
payer's published figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from psr_sched.billing import CostShare, FeeSchedule, PatientBenefits, parse_fee_schedule_csv
from psr_sched.demo import demo_problem, demo_stats
from psr_sched.domain import AppointmentRequest
from psr_sched.domain.money import CENT, ZERO
from psr_sched.intake import (
    Benefit,
    CoveragePeriod,
    EligibilityResult,
    EligibilityStatus,
    Patient,
)
from psr_sched.intake.facts import IntakePolicy, apply_intake
from psr_sched.problem import Problem

__all__ = ["DEMO_FEE_SCHEDULE_CSV", "DemoIntake", "demo_intake", "demo_problem_with_intake"]

#: The demo clinic's fee schedule (illustrative amounts): charge, self-pay price and allowed
#: amount per payer for every visit type of the demo, parsed by
#: :func:`~psr_sched.billing.parse_fee_schedule_csv`.  Counselling is free of charge.
DEMO_FEE_SCHEDULE_CSV = (
    "visit_type,description,charge,self_pay,default_allowed,"
    "allowed_MEDICARE,allowed_MEDICAID,allowed_BCBS,allowed_AETNA,allowed_UHC,allowed_TRICARE\n"
    """\
NEW,New patient visit,260.00,160.00,170.00,135.00,95.00,185.00,180.00,175.00,150.00
EST,Established patient visit,150.00,95.00,100.00,90.00,60.00,110.00,105.00,100.00,90.00
ANNUAL,Annual wellness visit,280.00,175.00,180.00,170.00,110.00,200.00,195.00,190.00,165.00
SICK,Same-day sick visit,130.00,80.00,90.00,75.00,50.00,95.00,90.00,90.00,75.00
WCC,Well-child check,220.00,140.00,150.00,140.00,100.00,165.00,160.00,155.00,140.00
TELE,Telehealth visit,120.00,75.00,80.00,75.00,50.00,90.00,85.00,85.00,70.00
CARD,Cardiology visit,320.00,200.00,210.00,180.00,120.00,230.00,225.00,220.00,190.00
DERM,Dermatology visit,210.00,130.00,140.00,120.00,80.00,150.00,145.00,140.00,125.00
ORTHO,Orthopedic visit,300.00,190.00,200.00,170.00,115.00,215.00,210.00,205.00,180.00
PROC,Office procedure,650.00,400.00,420.00,360.00,240.00,460.00,450.00,440.00,380.00
EDU,Patient education after a visit,90.00,55.00,60.00,50.00,35.00,65.00,62.00,60.00,55.00
NEURO,Neurology consult,350.00,220.00,230.00,200.00,130.00,250.00,245.00,240.00,210.00
CAST,Cast application,280.00,175.00,185.00,160.00,105.00,200.00,195.00,190.00,170.00
FINCOUNSEL,Financial counseling,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00
"""
)

_PAYER_NAMES = {
    "MEDICARE": "Medicare Part B",
    "MEDICAID": "State Medicaid",
    "BCBS": "Blue Cross Blue Shield",
    "AETNA": "Aetna",
    "UHC": "UnitedHealthcare",
    "TRICARE": "TRICARE",
}
_GOVERNMENT = ("MEDICARE", "MEDICAID")
#: Payers that want prior authorization for office procedures (X12 service type "2").
_AUTH_PAYERS = ("AETNA", "UHC")
_AUTH_VISIT_TYPE = "PROC"
_PENDING_WITH_DATE = 3
_OVER_THRESHOLD_SHARE = 0.025
_SMALL_BALANCE_SHARE = 0.12
_CREDIT_SHARE = 0.005
_MISSING_CARD = 0.05  # insured patients without a scanned card
_MISSING_CONSENT = 0.03
_UNVERIFIED_ADDRESS = 0.03

# Cost sharing by visit type (commercial plans): office visits are copay only, specialist
# visits a higher copay, preventive visits free, procedures deductible and coinsurance.
_PRIMARY = ("NEW", "EST", "SICK", "TELE")
_SPECIALIST = ("CARD", "DERM", "ORTHO", "NEURO")
_PREVENTIVE = ("ANNUAL", "WCC")

_GIVEN_FEMALE = (
    "Ada", "Beatrix", "Carmen", "Dalia", "Elena", "Farah", "Greta", "Hana", "Ines", "Jolene",
    "Keiko", "Lena", "Marisol", "Nadia", "Olga", "Priya", "Rosa", "Selin", "Tamsin", "Vera",
)  # fmt: skip
_GIVEN_MALE = (
    "Anton", "Bruno", "Cyrus", "Dmitri", "Emil", "Felix", "Gideon", "Hugo", "Ivo", "Jonas",
    "Kofi", "Lucas", "Mateo", "Nils", "Omar", "Pavel", "Ravi", "Soren", "Tobias", "Wendell",
)  # fmt: skip
_FAMILY = (
    "Ashworth", "Brannigan", "Calloway", "Devereux", "Eastwick", "Fairbairn", "Gallardo",
    "Holloway", "Ingersoll", "Jardine", "Kettering", "Lindqvist", "Marchetti", "Norcross",
    "Oyelaran", "Pemberton", "Quintero", "Ravensworth", "Szabo", "Thornbury", "Umberger",
    "Valdivia", "Whitlock", "Yamasaki", "Zellweger", "Abernathy", "Bujold", "Cienfuegos",
    "Drummond", "Esterhazy",
)  # fmt: skip
_STREETS = (
    "Birch", "Cedar", "Elm", "Harbor", "Juniper", "Lakeview", "Maple", "Orchard", "Prairie",
    "Quarry", "Sycamore", "Willow",
)  # fmt: skip
_STREET_KINDS = ("St", "Ave", "Rd", "Ln", "Ct")
_CITIES = ("Lakeside", "North Lakeside", "Westbrook", "Millbrook Park")
_LANGUAGES = (("en", 0.82), ("es", 0.12), ("pl", 0.02), ("vi", 0.02), ("zh-Hant", 0.02))
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass(frozen=True)
class DemoIntake:
    """Invented intake and billing data for one generated week (see :func:`demo_intake`).

    Attributes
    ----------
    patients : tuple of Patient
        One registration record per patient of the problem, by patient id.
    eligibility : tuple of EligibilityResult
        One payer answer per insured patient.
    balances : dict of str to Decimal
        Prior balances of the patients who owe something (or hold a credit, negative).
    authorizations_on_file : tuple of str
        Request ids whose prior authorization is approved.
    fee_schedule : FeeSchedule
        :data:`DEMO_FEE_SCHEDULE_CSV`, parsed.
    benefits : dict of str to PatientBenefits
        Cost sharing of every patient with active coverage, before the week.
    """

    patients: tuple[Patient, ...]
    eligibility: tuple[EligibilityResult, ...]
    balances: dict[str, Decimal]
    authorizations_on_file: tuple[str, ...]
    fee_schedule: FeeSchedule
    benefits: dict[str, PatientBenefits]

    def apply(self, problem: Problem, policy: IntakePolicy | None = None) -> Problem:
        """``problem`` with these facts applied (:func:`~psr_sched.intake.facts.apply_intake`)."""
        return apply_intake(
            problem,
            patients=self.patients,
            eligibility=self.eligibility,
            balances=self.balances,
            authorizations_on_file=self.authorizations_on_file,
            policy=policy or IntakePolicy(),
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """A patient's plan design; amounts in dollars and cents."""

    payer: str
    name: str
    primary_copay: Decimal | None
    specialist_copay: Decimal | None
    coinsurance: Decimal
    deductible: Decimal
    deductible_remaining: Decimal
    oop_max: Decimal | None
    oop_remaining: Decimal | None


def demo_intake(problem: Problem, seed: int = 0) -> DemoIntake:
    """Invented registration records, payer answers, balances and benefits for a problem.

    Parameters
    ----------
    problem : Problem
        A problem from :func:`~psr_sched.demo.generate_clinic` (any seed and size): its
        requests' patients and payers, its pinned appointments and its horizon are used.
    seed : int
        Seed of ``numpy.random.default_rng``; the same problem and seed give the same data.

    Returns
    -------
    DemoIntake
        The data; apply them with :meth:`DemoIntake.apply`.
    """
    rng = np.random.default_rng(seed)
    horizon = problem.horizon
    week_start = horizon.dates[0]
    by_patient: dict[str, list[AppointmentRequest]] = defaultdict(list)
    for request in problem.requests:
        by_patient[request.patient_id].append(request)
    patient_ids = sorted(by_patient)
    payer_of = {pid: by_patient[pid][0].payer for pid in patient_ids}
    # Patients whose requests must stay as generated: pinned or built to be unplaceable.
    held = {p.request_id for p in problem.pinned} | set(demo_stats(problem)["unplaceable"])
    quiet = {pid for pid in patient_ids if not any(r.id in held for r in by_patient[pid])}

    # One insured patient, with a single unlinked request, lost coverage before the week.
    linked = {link.request_id for r in problem.requests for link in r.links}
    linked |= {r.id for r in problem.requests if r.links}
    lapse_pool = [
        pid
        for pid in patient_ids
        if pid in quiet
        and payer_of[pid] not in (None, *_GOVERNMENT)
        and len(by_patient[pid]) == 1
        and by_patient[pid][0].id not in linked
    ]
    lapsed = lapse_pool[int(rng.integers(len(lapse_pool)))] if lapse_pool else None
    coverage_end = week_start.replace(day=1) - dt.timedelta(days=1)

    patients: list[Patient] = []
    answers: dict[str, EligibilityResult] = {}
    benefits: dict[str, PatientBenefits] = {}
    for pid in patient_ids:
        payer = payer_of[pid]
        child = any(_pediatric(r) for r in by_patient[pid])
        record = _patient_record(rng, pid, payer, child, week_start, incomplete=pid in quiet)
        if payer is not None:
            plan = _plan(rng, payer, week_start)
            start = record["coverages"][0]["effective_start"]
            if pid == lapsed:
                record["coverages"][0]["effective_end"] = coverage_end
                answers[pid] = _answer(pid, plan, week_start, start, end=coverage_end)
            else:
                answers[pid] = _answer(pid, plan, week_start, start)
                benefits[pid] = _benefits(pid, plan)
        patients.append(Patient.model_validate(record))

    on_file, waiting = _authorizations(rng, problem, answers, quiet, linked)
    balances = _balances(rng, patient_ids, payer_of, quiet - {lapsed} - waiting)
    return DemoIntake(
        patients=tuple(patients),
        eligibility=tuple(answers[pid] for pid in sorted(answers)),
        balances=balances,
        authorizations_on_file=on_file,
        fee_schedule=parse_fee_schedule_csv(DEMO_FEE_SCHEDULE_CSV, source="demo fee schedule"),
        benefits=benefits,
    )


def demo_problem_with_intake(seed: int = 0) -> tuple[Problem, DemoIntake]:
    """The demo week with its invented intake facts applied, and those data.

    Parameters
    ----------
    seed : int
        Seed of the clinic (:func:`~psr_sched.demo.demo_problem`) and of the intake data.

    Returns
    -------
    tuple of Problem and DemoIntake
        ``apply_intake(demo_problem(seed), ...)`` under the default
        :class:`~psr_sched.intake.facts.IntakePolicy` (hard payer networks, counselling above
        $200), and the data, whose fee schedule, benefits and balances price the schedule.
    """
    problem = demo_problem(seed)
    intake = demo_intake(problem, seed)
    return intake.apply(problem, IntakePolicy()), intake


# -- records ------------------------------------------------------------------------------


def _pediatric(request: AppointmentRequest) -> bool:
    providers = (*request.preferred_provider_ids, *(request.allowed_provider_ids or ()))
    return request.visit_type == "WCC" or any(p.startswith("PED") for p in providers)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _patient_record(
    rng: np.random.Generator,
    pid: str,
    payer: str | None,
    child: bool,
    week_start: dt.date,
    *,
    incomplete: bool,
) -> dict[str, Any]:
    """One registration record, as the dict :class:`Patient` validates."""
    if child:
        age = int(rng.integers(2, 18))
    elif payer == "MEDICARE":
        age = int(rng.integers(65, 92))
    else:
        age = int(rng.integers(19, 65))
    birth = dt.date(week_start.year - age - 1, 1, 1) + dt.timedelta(days=int(rng.integers(365)))
    sex = "female" if rng.random() < 0.52 else "male"
    given = _pick(rng, _GIVEN_FEMALE if sex == "female" else _GIVEN_MALE)
    family = _pick(rng, _FAMILY)
    middle = _pick(rng, _GIVEN_FEMALE if sex == "female" else _GIVEN_MALE)
    draws = rng.random(5)
    missing_card, missing_consent, unverified = (
        incomplete and draws[0] < _MISSING_CARD and payer is not None,
        incomplete and draws[1] < _MISSING_CONSENT,
        incomplete and draws[2] < _UNVERIFIED_ADDRESS,
    )
    language = _LANGUAGES[
        int(rng.choice(len(_LANGUAGES), p=np.array([share for _, share in _LANGUAGES])))
    ][0]
    record: dict[str, Any] = {
        "id": pid,
        "family_name": family,
        "given_name": given,
        "middle_name": middle if draws[3] < 0.4 else None,
        "birth_date": birth,
        "sex": sex,
        "address": {
            "line1": f"{int(rng.integers(100, 9900))} {_pick(rng, _STREETS)} "
            f"{_pick(rng, _STREET_KINDS)}",
            "city": _pick(rng, _CITIES),
            "state": "IL",
            "postal_code": f"{int(rng.integers(60100, 60200))}",
        },
        "address_verified": not unverified,
        "phone": f"(217) 555-01{int(rng.integers(100)):02d}",
        "email": (
            f"{given}.{family}{int(rng.integers(10, 100))}@{_pick(rng, _EMAIL_DOMAINS)}".lower()
            if draws[4] < 0.6
            else None
        ),
        "preferred_language": language,
        "self_pay": payer is None,
        "consents": {
            "treatment": True,
            "privacy_notice": True,
            "financial_responsibility": not missing_consent,
            "telehealth": True,
        },
    }
    if payer is not None:
        letters = "".join(chr(ord("A") + int(k)) for k in rng.integers(26, size=3))
        enrolled = dt.date(week_start.year - int(rng.integers(0, 8)), 1, 1)
        record["coverages"] = [
            {
                "payer_id": payer,
                "payer_name": _PAYER_NAMES.get(payer),
                "network": payer,
                "member_id": f"{letters}{int(rng.integers(10**8, 10**9))}",
                "group_number": (
                    None if payer in _GOVERNMENT else f"G{int(rng.integers(10**4, 10**5))}"
                ),
                "relationship": "child" if child and payer not in _GOVERNMENT else "self",
                "effective_start": max(enrolled, birth),
                "card_image_on_file": not missing_card,
                "verified_on": week_start - dt.timedelta(days=int(rng.integers(1, 15))),
            }
        ]
    return record


def _dollars(rng: np.random.Generator, low: int, high: int) -> Decimal:
    """Whole dollars from ``low`` to ``high``, as an amount with cents."""
    return Decimal(int(rng.integers(low, high + 1))) * 100 * CENT


def _choice(rng: np.random.Generator, dollars: Sequence[int]) -> Decimal:
    """One of ``dollars``, as an amount with cents."""
    return Decimal(dollars[int(rng.integers(len(dollars)))]) * 100 * CENT


def _plan(rng: np.random.Generator, payer: str, week_start: dt.date) -> _Plan:
    """A plan design; the week is late in the plan year, so most deductibles are met."""
    if payer == "MEDICAID":  # no cost sharing
        return _Plan(payer, "MEDICAID", None, None, Decimal(0), ZERO, ZERO, None, None)
    if payer == "MEDICARE":  # coinsurance after a small deductible, no out-of-pocket limit
        remaining = ZERO if rng.random() < 0.85 else _dollars(rng, 10, 250)
        return _Plan(
            payer=payer,
            name="MEDICARE PART B",
            primary_copay=None,
            specialist_copay=None,
            coinsurance=Decimal("0.2"),
            deductible=Decimal(250) * 100 * CENT,
            deductible_remaining=remaining,
            oop_max=None,
            oop_remaining=None,
        )
    tier = _pick(rng, ("BRONZE", "SILVER", "GOLD"))
    deductible = _choice(rng, (500, 1000, 1500, 2000, 3000))
    met = rng.random() < 0.6
    remaining = ZERO if met else _dollars(rng, 1, int(deductible))
    oop_max = _choice(rng, (3000, 4500, 6000, 8000))
    used = deductible - remaining + _dollars(rng, 0, 2000)
    oop_remaining = max(oop_max - used, remaining)
    return _Plan(
        payer=payer,
        name=f"{payer} {tier} PPO {week_start.year}",
        primary_copay=_choice(rng, (20, 25, 30)),
        specialist_copay=_choice(rng, (30, 35, 40)),
        coinsurance=Decimal(int(rng.choice([10, 15, 20, 25, 30]))) / 100,
        deductible=deductible,
        deductible_remaining=remaining,
        oop_max=oop_max,
        oop_remaining=oop_remaining,
    )


def _answer(
    pid: str,
    plan: _Plan,
    week_start: dt.date,
    start: dt.date,
    *,
    end: dt.date | None = None,
) -> EligibilityResult:
    """The payer's answer: the plan as X12 service-type benefits (in network, individual)."""

    def benefit(service_type: str, **values: Any) -> Benefit:
        return Benefit(service_type=service_type, network="in", unit="individual", **values)

    plan_level = benefit(
        "30",
        coinsurance=plan.coinsurance,
        deductible=plan.deductible,
        deductible_remaining=plan.deductible_remaining,
        oop_max=plan.oop_max,
        oop_remaining=plan.oop_remaining,
    )
    benefits = [
        plan_level,
        benefit("BY", copay=ZERO, coinsurance=Decimal(0)),  # preventive: free
        benefit("2", prior_auth_required=plan.payer in _AUTH_PAYERS),
    ]
    if plan.primary_copay is not None:
        benefits += [benefit(code, copay=plan.primary_copay) for code in ("98", "BZ")]
    return EligibilityResult(
        patient_id=pid,
        payer_id=plan.payer,
        payer_name=_PAYER_NAMES.get(plan.payer),
        plan=plan.name,
        network=plan.payer,
        status=EligibilityStatus.ACTIVE if end is None else EligibilityStatus.INACTIVE,
        as_of=week_start - dt.timedelta(days=3),
        coverage_periods=(CoveragePeriod(start=start, end=end),),
        benefits=tuple(benefits),
    )


def _benefits(pid: str, plan: _Plan) -> PatientBenefits:
    """The clinic's reading of the plan, per visit type of the demo."""
    by_visit_type: dict[str, CostShare] = {}
    free = CostShare(copay=None, coinsurance=Decimal(0), deductible_applies=False)
    if plan.payer != "MEDICAID":
        by_visit_type |= dict.fromkeys(_PREVENTIVE, free)
    if plan.primary_copay is not None:
        by_visit_type |= {
            code: CostShare(copay=plan.primary_copay, deductible_applies=False) for code in _PRIMARY
        }
        by_visit_type |= {
            code: CostShare(copay=plan.specialist_copay, deductible_applies=False)
            for code in _SPECIALIST
        }
    return PatientBenefits(
        patient_id=pid,
        deductible_remaining=plan.deductible_remaining,
        out_of_pocket_remaining=plan.oop_remaining,
        default=(free if plan.payer == "MEDICAID" else CostShare(coinsurance=plan.coinsurance)),
        by_visit_type=by_visit_type,
    )


# -- authorizations and balances ----------------------------------------------------------


def _authorizations(
    rng: np.random.Generator,
    problem: Problem,
    answers: dict[str, EligibilityResult],
    quiet: set[str],
    linked: set[str],
) -> tuple[tuple[str, ...], set[str]]:
    """Approve most procedures that need it and leave a few pending (``answers`` updated).

    Returns the request ids approved and the patients still waiting.
    """
    horizon = problem.horizon
    zone = horizon.zone
    middle = horizon.dates[len(horizon.dates) // 2]
    needing = [
        r
        for r in problem.requests
        if r.visit_type == _AUTH_VISIT_TYPE
        and r.patient_id in answers
        and answers[r.patient_id].is_active(horizon.dates[0])
        and answers[r.patient_id].prior_auth(r.visit_type).required
    ]
    free = [r for r in needing if r.patient_id in quiet and r.id not in linked]
    # Pending with a date: the window opens before it and ends at least a day after it.
    movable = [
        r
        for r in free
        if r.earliest < horizon.day_start(middle) and r.latest.astimezone(zone).date() > middle
    ]
    dated = [movable[int(i)] for i in rng.permutation(len(movable))[:_PENDING_WITH_DATE]]
    for request in dated:
        answer = answers[request.patient_id]
        answers[request.patient_id] = answer.with_pending_authorization(request.visit_type, middle)
    rest = [r for r in free if r.id not in {d.id for d in dated}]
    undated = [rest[int(rng.integers(len(rest)))]] if rest else []
    pending = {r.id for r in (*dated, *undated)}
    approved = tuple(sorted(r.id for r in needing if r.id not in pending))
    return approved, {r.patient_id for r in (*dated, *undated)}


def _balances(
    rng: np.random.Generator,
    patient_ids: list[str],
    payer_of: Mapping[str, str | None],
    quiet: set[str],
) -> dict[str, Decimal]:
    """Prior balances: a few over the threshold (self-pay patients more likely), some small."""
    threshold = IntakePolicy().balance_threshold
    pool = [pid for pid in patient_ids if pid in quiet]
    owing: dict[str, Decimal] = {}
    count = min(len(pool), round(_OVER_THRESHOLD_SHARE * len(patient_ids)))
    if count:
        weights = np.array([3.0 if payer_of[pid] is None else 1.0 for pid in pool])
        chosen = rng.choice(len(pool), size=count, replace=False, p=weights / weights.sum())
        for i in sorted(int(i) for i in chosen):
            cents = int(rng.integers(int(threshold * 100) + 2500, 150_001))
            owing[pool[i]] = Decimal(cents) * CENT
    for pid in patient_ids:
        if pid in owing:
            continue
        draw = rng.random()
        if draw < _SMALL_BALANCE_SHARE:
            owing[pid] = Decimal(int(rng.integers(1000, int(threshold * 100)))) * CENT
        elif draw < _SMALL_BALANCE_SHARE + _CREDIT_SHARE:
            owing[pid] = -Decimal(int(rng.integers(500, 4001))) * CENT
    return dict(sorted(owing.items()))
