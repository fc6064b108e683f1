"""Collection worklist: one row per visit, prior balance once per patient and day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from builders import at, date, make_problem, request, visit_type
from psr_sched import Assignment, Problem
from psr_sched.billing import (
    COLLECTION_COLUMNS,
    BillingError,
    CostShare,
    PatientBenefits,
    collection_worklist,
    estimate_schedule,
    read_fee_schedule_csv,
)

D = Decimal
FEES = read_fee_schedule_csv(Path(__file__).parent.parent / "data" / "billing" / "fee_schedule.csv")


def problem() -> Problem:
    return make_problem(
        visit_types=[visit_type("EST", 20), visit_type("EDU", 30), visit_type("SICK", 15)],
        requests=[
            request("R1", "EST", patient="A", payer="UHC"),
            request("R2", "EDU", patient="A", payer="UHC"),
            request("R3", "SICK", patient="B"),
            request("R4", "EST", patient="A", payer="UHC"),
        ],
        days=2,
    )


def visit(rid: str, patient: str, start: dt.datetime) -> Assignment:
    return Assignment(
        request_id=rid,
        patient_id=patient,
        visit_type="EST",
        provider_id="P1",
        room_id=None,
        start=start,
        end=start + dt.timedelta(minutes=15),
    )


SCHEDULE = [
    visit("R4", "A", at("09:00", 1)),
    visit("R2", "A", at("08:30")),
    visit("R1", "A", at("08:00")),
    # 23:30 in Chicago is already Tuesday in UTC: the date is local.
    visit("R3", "B", at("23:30")),
]
PLANS = {"A": PatientBenefits(patient_id="A", default=CostShare(copay=D("20")))}


def worklist(day: dt.date | None = None) -> pd.DataFrame:
    estimates = estimate_schedule(problem(), SCHEDULE, FEES, PLANS)
    balances = {"A": D("45.10"), "B": D("-5")}
    return collection_worklist(problem(), SCHEDULE, estimates, balances, day=day)


def test_rows_and_prior_balance_once_per_patient_and_day() -> None:
    frame = worklist()
    assert list(frame.columns) == COLLECTION_COLUMNS
    rows = [tuple(str(v) for v in row) for row in frame.itertuples(index=False)]
    assert rows == [
        ("2026-12-07", "A", "R1", "20.00", "45.10", "False"),
        ("2026-12-07", "A", "R2", "20.00", "0.00", "False"),  # second visit that day: not again
        ("2026-12-07", "B", "R3", "85.00", "-5.00", "False"),  # self-pay; a credit
        ("2026-12-08", "A", "R4", "20.00", "45.10", "False"),  # a new day: shown again
    ]
    assert isinstance(frame.loc[0, "date"], dt.date)
    assert isinstance(frame.loc[0, "prior_balance"], Decimal)
    monday = frame[frame["date"] == date(0)]
    assert monday["expected_patient_amount"].sum() + monday["prior_balance"].sum() == D("165.10")


def test_csv_shows_exact_cents(tmp_path: Path) -> None:
    path = tmp_path / "collections.csv"
    worklist().to_csv(path, index=False)
    assert path.read_text().splitlines() == [
        "date,patient_id,request_id,expected_patient_amount,prior_balance,verify_coverage",
        "2026-12-07,A,R1,20.00,45.10,False",
        "2026-12-07,A,R2,20.00,0.00,False",
        "2026-12-07,B,R3,85.00,-5.00,False",
        "2026-12-08,A,R4,20.00,45.10,False",
    ]


def test_one_day_and_no_balances() -> None:
    tuesday = worklist(day=date(1))
    assert list(tuesday["request_id"]) == ["R4"]
    estimates = estimate_schedule(problem(), SCHEDULE, FEES, PLANS)
    frame = collection_worklist(problem(), SCHEDULE, estimates)
    assert all(balance == D("0.00") for balance in frame["prior_balance"])
    empty = collection_worklist(problem(), [], [])
    assert list(empty.columns) == COLLECTION_COLUMNS
    assert empty.empty


def test_errors() -> None:
    estimates = estimate_schedule(problem(), SCHEDULE, FEES, PLANS)
    with pytest.raises(BillingError, match="request R1: no estimate for this visit"):
        collection_worklist(problem(), SCHEDULE, estimates[1:])
    with pytest.raises(BillingError, match="request R1: estimated more than once"):
        collection_worklist(problem(), SCHEDULE, estimates + estimates[:1])
    with pytest.raises(BillingError) as info:
        collection_worklist(problem(), SCHEDULE, estimates, {"A": 12.5})  # type: ignore[dict-item]
    # The patient key stays out of the message; the entry's position names it.
    assert str(info.value).startswith("prior balance #1: a float is not accepted")


def test_unknown_coverage_is_flagged_for_verification() -> None:
    # A vendor's answer that cannot tell whether the coverage is in force: under the default
    # intake policy A's visits are booked, and each is flagged on the worklist.
    from psr_sched.intake import EligibilityStatus, eligibility_from_fhir
    from psr_sched.intake.facts import IntakePolicy, apply_intake

    data = Path(__file__).parent.parent / "data" / "intake" / "cer_vendor_unknown.json"
    answer = eligibility_from_fhir(data, "A")
    assert answer.status is EligibilityStatus.UNKNOWN
    applied = apply_intake(problem(), eligibility=[answer])
    estimates = estimate_schedule(applied, SCHEDULE, FEES, PLANS)
    frame = collection_worklist(applied, SCHEDULE, estimates)
    assert frame["verify_coverage"].dtype == bool
    assert dict(zip(frame["request_id"], frame["verify_coverage"], strict=True)) == {
        "R1": True,
        "R2": True,
        "R3": False,  # self-pay
        "R4": True,
    }
    assert frame.to_csv(index=False).splitlines()[1] == "2026-12-07,A,R1,20.00,0.00,True"
    blocked = apply_intake(
        problem(), eligibility=[answer], policy=IntakePolicy(unknown_coverage="block")
    )
    assert not collection_worklist(blocked, SCHEDULE, estimates)["verify_coverage"].any()
