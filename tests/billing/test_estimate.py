"""Estimates: copay, deductible, coinsurance, OOP cap, in order, carried through a schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from builders import at, make_problem, provider, request, solve_checked, visit_type
from psr_sched import Assignment, Problem
from psr_sched.billing import (
    ESTIMATE_COLUMNS,
    BillingError,
    CostShare,
    Estimate,
    FeeSchedule,
    PatientBenefits,
    estimate_schedule,
    estimate_self_pay,
    estimate_visit,
    estimates_frame,
    read_fee_schedule_csv,
)

D = Decimal
FEES = read_fee_schedule_csv(Path(__file__).parent.parent / "data" / "billing" / "fee_schedule.csv")


def benefits(
    deductible: str = "0",
    oop: str | None = None,
    coinsurance: str = "0",
    copay: str | None = None,
    **by_visit_type: CostShare,
) -> PatientBenefits:
    return PatientBenefits(
        patient_id="pt-1",
        deductible_remaining=D(deductible),
        out_of_pocket_remaining=None if oop is None else D(oop),
        default=CostShare(coinsurance=D(coinsurance), copay=None if copay is None else D(copay)),
        by_visit_type=by_visit_type,
    )


def parts(estimate: Estimate) -> tuple[str, str, str, str, str]:
    return (
        str(estimate.copay),
        str(estimate.deductible),
        str(estimate.coinsurance),
        str(estimate.patient_amount),
        str(estimate.plan_amount),
    )


def test_worked_example_560() -> None:
    # $500 deductible left, 20% coinsurance, $800 allowed: 500 + 20% × 300 = 560.
    estimate = estimate_visit(D("800"), benefits(deductible="500", coinsurance="0.2"))
    assert estimate.patient_amount == D("560.00")
    assert parts(estimate) == ("0.00", "500.00", "60.00", "560.00", "240.00")
    assert estimate.explanation == (
        "Your plan has $500.00 left on its deductible. This visit's allowed amount is "
        "$800.00, so the first $500.00 goes to the deductible. Of the remaining $300.00 you "
        "pay 20% coinsurance, $60.00. Your estimated share is $560.00."
    )
    after = estimate.benefits_after
    assert after is not None
    assert after.deductible_remaining == D("0.00")
    assert after.out_of_pocket_remaining is None  # no maximum stays no maximum


def test_copay_only() -> None:
    # An office visit with a $25 copay, deductible waived, no coinsurance: $25, whatever
    # the deductible; the copay does not touch the deductible but does count toward OOP.
    office = CostShare(copay=D("25"), deductible_applies=False)
    start = benefits(deductible="1000", oop="3000", EST=office)
    estimate = estimate_visit(D("110"), start, "EST")
    assert parts(estimate) == ("25.00", "0.00", "0.00", "25.00", "85.00")
    assert estimate.explanation == (
        "Your plan has a $25.00 copay for this visit. The deductible does not apply to this "
        "visit. Your plan pays the remaining $85.00 in full. Your estimated share is $25.00."
    )
    after = estimate.benefits_after
    assert after is not None
    assert after.deductible_remaining == D("1000.00")
    assert after.out_of_pocket_remaining == D("2975.00")


def test_copay_then_deductible_then_coinsurance() -> None:
    # Copay 30 first; deductible 100 on the 170 left; 20% of the last 70 = 14.  Total 144.
    estimate = estimate_visit(
        D("200"), benefits(deductible="100", coinsurance="0.2", copay="30", oop="5000")
    )
    assert parts(estimate) == ("30.00", "100.00", "14.00", "144.00", "56.00")
    after = estimate.benefits_after
    assert after is not None
    assert after.deductible_remaining == D("0.00")  # 100, not 130: the copay does not count
    assert after.out_of_pocket_remaining == D("4856.00")  # but it counts toward the OOP
    assert estimate.explanation == (
        "Your plan has a $30.00 copay for this visit. Your plan has $100.00 left on its "
        "deductible. After the copay, $170.00 of this visit's allowed amount is left, so the "
        "first $100.00 goes to the deductible. Of the remaining $70.00 you pay 20% "
        "coinsurance, $14.00. Your estimated share is $144.00."
    )


def test_copay_above_the_allowed_amount_is_limited_to_it() -> None:
    estimate = estimate_visit(D("20"), benefits(copay="25", deductible="500"))
    assert parts(estimate) == ("20.00", "0.00", "0.00", "20.00", "0.00")
    assert estimate.explanation.startswith(
        "Your plan has a $25.00 copay for this visit, but the visit's allowed amount is only "
        "$20.00, so the copay is $20.00."
    )


def test_deductible_larger_than_the_visit() -> None:
    estimate = estimate_visit(D("300"), benefits(deductible="1000", coinsurance="0.2"))
    assert parts(estimate) == ("0.00", "300.00", "0.00", "300.00", "0.00")
    assert estimate.explanation == (
        "Your plan has $1,000.00 left on its deductible. This visit's allowed amount is "
        "$300.00, so all of it goes to the deductible. Your estimated share is $300.00."
    )
    assert estimate.benefits_after is not None
    assert estimate.benefits_after.deductible_remaining == D("700.00")


def test_deductible_already_met() -> None:
    estimate = estimate_visit(D("150"), benefits(coinsurance="0.3"))
    assert parts(estimate) == ("0.00", "0.00", "45.00", "45.00", "105.00")
    assert estimate.explanation == (
        "Your deductible is already met. Of this visit's allowed amount of $150.00 you pay "
        "30% coinsurance, $45.00. Your estimated share is $45.00."
    )


def test_out_of_pocket_cap_binds() -> None:
    # Uncapped 560, but only 400 left before the maximum: deductible 400, coinsurance 0.
    estimate = estimate_visit(D("800"), benefits(deductible="500", coinsurance="0.2", oop="400"))
    assert parts(estimate) == ("0.00", "400.00", "0.00", "400.00", "400.00")
    assert estimate.out_of_pocket_reduction == D("160.00")
    assert estimate.explanation.endswith(
        "That adds up to $560.00, but you have only $400.00 left before your plan's "
        "out-of-pocket maximum, so you pay no more than that. Your estimated share is $400.00."
    )
    after = estimate.benefits_after
    assert after is not None
    assert after.out_of_pocket_remaining == D("0.00")
    assert after.deductible_remaining == D("100.00")
    # Once the maximum is reached the plan pays everything.
    next_visit = estimate_visit(D("90"), after)
    assert parts(next_visit) == ("0.00", "0.00", "0.00", "0.00", "90.00")
    assert "already reached your plan's out-of-pocket maximum" in next_visit.explanation


def test_out_of_pocket_cap_takes_copay_first() -> None:
    # Copay 40 and coinsurance 20 % of 160 = 32 would be 72; 50 left: copay 40, coins 10.
    estimate = estimate_visit(D("200"), benefits(copay="40", coinsurance="0.2", oop="50"))
    assert parts(estimate) == ("40.00", "0.00", "10.00", "50.00", "150.00")


def test_self_pay() -> None:
    estimate = estimate_self_pay(
        FEES.self_pay_price("NEW"), request_id="R1", patient_id="pt-9", visit_type="NEW"
    )
    assert estimate.self_pay
    assert estimate.patient_amount == D("175.00")
    assert estimate.plan_amount == D("0.00")
    assert estimate.benefits_after is None
    assert estimate.explanation == (
        "There is no insurance on file for this visit, so the self-pay price of $175.00 "
        "applies. Your estimated share is $175.00."
    )


@pytest.mark.parametrize(
    ("allowed", "rate", "coinsurance"),
    [
        ("0.04", "0.125", "0.01"),  # 0.005: half a cent rounds up
        ("0.03", "0.125", "0.00"),  # 0.00375 rounds down
        ("100.05", "0.25", "25.01"),  # 25.0125
        ("100.10", "0.15", "15.02"),  # 15.015: half a cent rounds up (banker's: 15.02 too)
        ("100.30", "0.15", "15.05"),  # 15.045: half up (banker's rounding would give 15.04)
        ("0.01", "0.5", "0.01"),  # 0.005
    ],
)
def test_coinsurance_rounds_half_up_once(allowed: str, rate: str, coinsurance: str) -> None:
    estimate = estimate_visit(D(allowed), benefits(coinsurance=rate))
    assert str(estimate.coinsurance) == coinsurance
    assert estimate.patient_amount + estimate.plan_amount == D(allowed)


def test_zero_allowed_and_full_coverage() -> None:
    zero = estimate_visit(D("0"), benefits(deductible="500", copay="20", coinsurance="0.2"))
    assert parts(zero) == ("0.00", "0.00", "0.00", "0.00", "0.00")
    assert zero.explanation == (
        "This visit's allowed amount is $0.00, so there is nothing to pay. "
        "Your estimated share is $0.00."
    )
    preventive = CostShare(deductible_applies=False)
    full = estimate_visit(D("195"), benefits(deductible="500", ANNUAL=preventive), "ANNUAL")
    assert full.patient_amount == D("0.00")
    assert full.explanation == (
        "The deductible does not apply to this visit. Your plan pays this visit's allowed "
        "amount of $195.00 in full. Your estimated share is $0.00."
    )


def test_allowed_must_be_money() -> None:
    with pytest.raises(BillingError, match="estimate: allowed: a float is not accepted"):
        estimate_visit(800.0, benefits())  # type: ignore[arg-type]
    with pytest.raises(BillingError, match="allowed: must not be negative"):
        estimate_visit(D("-1"), benefits())
    with pytest.raises(BillingError, match="estimate: self-pay price: must not be negative"):
        estimate_self_pay("-$5")
    assert estimate_visit("$800", benefits()).allowed == D("800.00")


# -- over a schedule ------------------------------------------------------------------------


def week_problem() -> Problem:
    return make_problem(
        visit_types=[visit_type("NEW", 40), visit_type("EST", 20), visit_type("SICK", 15)],
        requests=[
            request("R1", "NEW", patient="A", payer="BCBS"),
            request("R2", "EST", patient="A", payer="BCBS"),
            request("R3", "SICK", patient="B"),  # self-pay
            request("R4", "EST", patient="C", payer="MEDICARE"),
        ],
        days=3,
    )


def visit(
    rid: str, patient: str, code: str, start: dt.datetime, provider_id: str = "P1"
) -> Assignment:
    return Assignment(
        request_id=rid,
        patient_id=patient,
        visit_type=code,
        provider_id=provider_id,
        room_id=None,
        start=start,
        end=start + dt.timedelta(minutes=20),
    )


def test_deductible_met_mid_week() -> None:
    # Patient A: NEW on Monday (BCBS allows 150) meets the $120 left of the deductible,
    # 20 % of the other 30 = 6, so 126; EST on Wednesday (BCBS allows 110) sees
    # coinsurance only, 22.  Assignments are given out of order: start decides.
    schedule = [
        visit("R2", "A", "EST", at("09:00", 2)),
        visit("R4", "C", "EST", at("10:00", 1)),
        visit("R3", "B", "SICK", at("08:30")),
        visit("R1", "A", "NEW", at("08:00")),
    ]
    plans = {
        "A": PatientBenefits(
            patient_id="A",
            deductible_remaining=D("120"),
            out_of_pocket_remaining=D("2000"),
            default=CostShare(coinsurance=D("0.2")),
        ),
        "C": PatientBenefits(patient_id="C", default=CostShare(copay=D("15"))),
    }
    estimates = estimate_schedule(week_problem(), schedule, FEES, plans)
    by_request = {e.request_id: e for e in estimates}
    assert [e.request_id for e in estimates] == ["R1", "R3", "R4", "R2"]
    assert parts(by_request["R1"]) == ("0.00", "120.00", "6.00", "126.00", "24.00")
    assert parts(by_request["R2"]) == ("0.00", "0.00", "22.00", "22.00", "88.00")
    assert by_request["R2"].explanation == (
        "Your deductible is already met. Of this visit's allowed amount of $110.00 you pay "
        "20% coinsurance, $22.00. Your estimated share is $22.00."
    )
    assert by_request["R3"].self_pay
    assert by_request["R3"].patient_amount == D("85.00")
    assert parts(by_request["R4"]) == ("15.00", "0.00", "0.00", "15.00", "76.80")
    after_r2 = by_request["R2"].benefits_after
    assert after_r2 is not None
    assert after_r2.out_of_pocket_remaining == D("1852.00")  # 2000 - 126 - 22

    frame = estimates_frame(estimates)
    assert list(frame.columns) == ESTIMATE_COLUMNS
    assert frame["patient_amount"].sum() == D("248.00")
    assert frame.loc[frame["request_id"] == "R1", "deductible_remaining"].item() == D("0.00")
    assert frame.loc[frame["request_id"] == "R3", "deductible_remaining"].item() is None


def test_schedule_errors_name_the_request() -> None:
    problem = week_problem()
    schedule = [visit("R1", "A", "NEW", at("08:00"))]
    with pytest.raises(BillingError, match="request R1: payer 'BCBS': no benefits given"):
        estimate_schedule(problem, schedule, FEES, {})
    with pytest.raises(BillingError, match=r"assignment R9: request_id: not a request"):
        estimate_schedule(problem, [visit("R9", "A", "NEW", at("08:00"))], FEES, {})
    few_fees = FeeSchedule(entries=FEES.entries[1:])  # without NEW
    plans = [PatientBenefits(patient_id="A")]
    with pytest.raises(BillingError, match="request R1: fee schedule: visit type 'NEW'"):
        estimate_schedule(problem, schedule, few_fees, plans)
    with pytest.raises(BillingError, match="benefits #2: patient_id: a second set"):
        estimate_schedule(problem, schedule, FEES, plans * 2)
    with pytest.raises(BillingError, match="benefits #1: patient_id: does not match"):
        estimate_schedule(problem, schedule, FEES, {"B": plans[0]})


def test_estimates_from_a_solved_schedule() -> None:
    # Two visits of one patient on one provider: the solver puts R1 (priority 2) first.
    problem = make_problem(
        providers=[provider("P1")],
        visit_types=[visit_type("EST", 20)],
        requests=[
            request("R1", "EST", patient="A", payer="AETNA", priority=2),
            request("R2", "EST", patient="A", payer="AETNA"),
        ],
    )
    result = solve_checked(problem)
    plans = {"A": PatientBenefits(patient_id="A", deductible_remaining=D("150"))}
    estimates = estimate_schedule(problem, result, FEES, plans)
    assert [(e.request_id, e.patient_amount) for e in estimates] == [
        ("R1", D("105.00")),  # AETNA allows 105: all to the deductible
        ("R2", D("45.00")),  # the 45 left of it
    ]


def test_out_of_network_visit_is_flagged() -> None:
    problem = make_problem(
        providers=[provider("P1", networks=["BCBS"])],
        visit_types=[visit_type("EST", 20)],
        requests=[
            request("R1", "EST", patient="A", payer="AETNA"),
            request("R2", "EST", patient="B", payer="BCBS"),
        ],
    )
    schedule = [visit("R1", "A", "EST", at("08:00")), visit("R2", "B", "EST", at("08:20"))]
    plans = [PatientBenefits(patient_id="A"), PatientBenefits(patient_id="B")]
    out, inside = estimate_schedule(problem, schedule, FEES, plans)
    assert not out.in_network
    assert out.explanation.endswith(
        "Your provider for this visit is outside your plan's network, so this estimate uses "
        "the in-network allowed amount and your share may be higher. "
        "Your estimated share is $0.00."
    )
    assert inside.in_network
    assert "network" not in inside.explanation
    moved = [visit("R1", "A", "EST", at("08:00"), provider_id="P9")]
    with pytest.raises(BillingError, match="assignment R1: provider_id: not a provider"):
        estimate_schedule(problem, moved, FEES, plans)
