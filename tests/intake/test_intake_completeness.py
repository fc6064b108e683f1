"""Completeness checklist: intake tasks and extra check-in minutes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from psr_sched.intake import (
    CheckInPolicy,
    IntakeTask,
    IntakeTaskCode,
    Patient,
    eligibility_from_271,
    extra_check_in_minutes,
    intake_tasks,
    load_patients,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
VISIT = dt.date(2025, 3, 10)
ALL_CONSENTS = {"treatment": True, "privacy_notice": True, "financial_responsibility": True}


def patient(**changes: Any) -> Patient:
    fields: dict[str, Any] = {
        "id": "P001",
        "family_name": "Quixote",
        "given_name": "Margaret",
        "birth_date": "1980-02-14",
        "address": {
            "line1": "742 Evergreen Ter",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
        },
        "address_verified": True,
        "coverages": [coverage()],
        "consents": ALL_CONSENTS,
    }
    fields.update(changes)
    return Patient.model_validate(fields)


def coverage(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "payer_id": "ACME01",
        "member_id": "ZQX900112233",
        "effective_start": "2025-01-01",
        "card_image_on_file": True,
        "verified_on": "2025-03-03",
    }
    fields.update(changes)
    return fields


def codes(tasks: list[IntakeTask]) -> list[IntakeTaskCode]:
    return [task.code for task in tasks]


def test_complete_record_has_no_tasks() -> None:
    assert intake_tasks(patient(), VISIT) == []
    assert extra_check_in_minutes([]) == 0


def test_each_missing_item_is_a_task() -> None:
    tasks = intake_tasks(
        patient(
            coverages=[coverage(card_image_on_file=False, verified_on=None)],
            consents={"treatment": True},
            address_verified=False,
        ),
        VISIT,
    )
    assert codes(tasks) == [
        IntakeTaskCode.COVERAGE_NOT_VERIFIED,
        IntakeTaskCode.MISSING_CARD_IMAGE,
        IntakeTaskCode.MISSING_CONSENT,
        IntakeTaskCode.UNVERIFIED_ADDRESS,
    ]
    assert tasks[1].detail == "coverage 1 (payer ACME01)"
    assert tasks[2].detail == "privacy_notice, financial_responsibility"
    assert tasks[3].detail == "address not verified"
    assert all(task.minutes == 5 for task in tasks)
    assert extra_check_in_minutes(tasks) == 15  # 4 × 5 = 20, capped at 15


def test_coverage_terminated_before_visit_is_missing() -> None:
    # Effective since 2023: the effective date alone would wrongly say "covered".
    ended = coverage(effective_start="2023-01-01", effective_end="2025-01-31")
    tasks = intake_tasks(patient(coverages=[ended]), VISIT)
    assert codes(tasks) == [IntakeTaskCode.MISSING_COVERAGE]
    last_day = dt.date(2025, 1, 31)
    assert IntakeTaskCode.MISSING_COVERAGE not in codes(
        intake_tasks(patient(coverages=[ended]), last_day)
    )


def test_self_pay_needs_no_coverage() -> None:
    assert intake_tasks(patient(coverages=[], self_pay=True), VISIT) == []
    assert codes(intake_tasks(patient(coverages=[]), VISIT)) == [IntakeTaskCode.MISSING_COVERAGE]


def test_card_images_for_every_coverage_in_force() -> None:
    secondary = coverage(payer_id="MEDICARE", member_id="1EG4TE5MK73", card_image_on_file=False)
    ended = coverage(payer_id="OLDPLAN", effective_end="2025-02-01", card_image_on_file=False)
    tasks = intake_tasks(patient(coverages=[coverage(), ended, secondary]), VISIT)
    assert codes(tasks) == [IntakeTaskCode.MISSING_CARD_IMAGE]
    assert tasks[0].detail == "coverage 3 (payer MEDICARE)"


def test_verification_age() -> None:
    stale = patient(coverages=[coverage(verified_on="2025-01-15")])
    assert codes(intake_tasks(stale, VISIT)) == [IntakeTaskCode.COVERAGE_NOT_VERIFIED]
    lenient = CheckInPolicy(verification_max_age_days=60)
    assert intake_tasks(stale, VISIT, policy=lenient) == []


def test_eligibility_answer_verifies_or_flags_coverage() -> None:
    unverified = patient(coverages=[coverage(verified_on=None)])
    active = eligibility_from_271(DATA / "271_active.x12", "P001")
    assert intake_tasks(unverified, VISIT, eligibility=[active]) == []
    # The same answer is for another patient: it does not count.
    other = eligibility_from_271(DATA / "271_active.x12", "P999")
    assert codes(intake_tasks(unverified, VISIT, eligibility=[other])) == [
        IntakeTaskCode.COVERAGE_NOT_VERIFIED
    ]
    # The payer says terminated, though the record still shows the policy in force.
    inactive = eligibility_from_271(DATA / "271_inactive.x12", "P001")
    verified = patient()
    assert codes(intake_tasks(verified, VISIT, eligibility=[inactive])) == [
        IntakeTaskCode.COVERAGE_INACTIVE
    ]
    # A rejected request verifies nothing: the front desk checks by hand.
    rejected = eligibility_from_271(DATA / "271_rejected.x12", "P001")
    assert codes(intake_tasks(unverified, VISIT, eligibility=[rejected])) == [
        IntakeTaskCode.COVERAGE_NOT_VERIFIED
    ]


def test_active_answer_for_another_date_range() -> None:
    active = eligibility_from_271(DATA / "271_active.x12", "P001")
    visit_next_year = dt.date(2026, 1, 5)
    record = patient(coverages=[coverage(verified_on=None)])
    assert codes(intake_tasks(record, visit_next_year, eligibility=[active])) == [
        IntakeTaskCode.COVERAGE_INACTIVE
    ]


def test_virtual_visit_needs_telehealth_consent() -> None:
    tasks = intake_tasks(patient(), VISIT, virtual=True)
    assert codes(tasks) == [IntakeTaskCode.MISSING_CONSENT]
    assert tasks[0].detail == "telehealth"


def test_missing_address() -> None:
    tasks = intake_tasks(patient(address=None, address_verified=False), VISIT)
    assert [(t.code, t.detail) for t in tasks] == [
        (IntakeTaskCode.UNVERIFIED_ADDRESS, "no address")
    ]


def test_minutes_are_overridable() -> None:
    policy = CheckInPolicy(
        minutes_per_task=3,
        task_minutes={IntakeTaskCode.MISSING_CONSENT: 10},
        cap_minutes=None,
    )
    record = patient(
        coverages=[coverage(card_image_on_file=False)], consents={}, address_verified=False
    )
    tasks = intake_tasks(record, VISIT, policy=policy)
    assert [t.minutes for t in tasks] == [3, 10, 3]
    assert extra_check_in_minutes(tasks, policy) == 16
    assert extra_check_in_minutes(tasks) == 15  # the default cap


def test_sample_patients() -> None:
    first, second, third = load_patients(DATA / "patients.json")
    assert intake_tasks(first, VISIT) == []
    # P002's policy ended on 2025-01-31; financial consent missing; address unverified.
    assert codes(intake_tasks(second, VISIT)) == [
        IntakeTaskCode.MISSING_COVERAGE,
        IntakeTaskCode.MISSING_CONSENT,
        IntakeTaskCode.UNVERIFIED_ADDRESS,
    ]
    assert codes(intake_tasks(third, VISIT, virtual=True)) == [IntakeTaskCode.UNVERIFIED_ADDRESS]
