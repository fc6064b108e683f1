"""The FHIR R4 CoverageEligibilityResponse reader, and its agreement with the X12 reader."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from psr_sched.errors import ProblemError
from psr_sched.intake import (
    EligibilityStatus,
    eligibility_from_271,
    eligibility_from_fhir,
    read_fhir_eligibility,
)
from psr_sched.intake.fhir import FHIR_VERSION

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
ACTIVE = DATA / "cer_active.json"
VISIT = dt.date(2025, 3, 10)


def active_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ACTIVE.read_text(encoding="utf-8"))
    return data


def test_fhir_version_is_r4() -> None:
    assert FHIR_VERSION == "4.0.1"


def test_active_response() -> None:
    result = eligibility_from_fhir(ACTIVE, "P001")
    assert result.status is EligibilityStatus.ACTIVE
    assert (result.payer_id, result.payer_name) == ("ACME01", "ACME HEALTH PLAN")
    assert (result.plan, result.network) == ("ACME GOLD PPO", "ACME-PPO")
    assert result.as_of == VISIT
    assert result.in_network_provider_ids == ("1306849450", "1497758544")
    office = result.benefit("98")
    assert office.copay == Decimal("25.00")
    assert office.coinsurance == Decimal("0.2")  # allowedUnsignedInt 20 (percent)
    assert office.deductible_remaining == Decimal("850.00")  # 1500 allowed − 650 used
    assert office.oop_remaining == Decimal("3200.00")
    assert office.prior_auth_required is False
    assert result.benefit("MH").prior_auth_required is True
    assert result.benefit("62").prior_auth_required is True
    assert result.is_active(VISIT)
    assert not result.is_active(dt.date(2026, 1, 5))


def test_x12_and_fhir_agree_on_active_coverage() -> None:
    from_x12 = eligibility_from_271(DATA / "271_active.x12", "P001")
    from_fhir = eligibility_from_fhir(ACTIVE, "P001")
    assert from_fhir == from_x12
    assert from_fhir.model_dump_json() == from_x12.model_dump_json()


def test_x12_and_fhir_agree_on_terminated_coverage() -> None:
    from_x12 = eligibility_from_271(DATA / "271_inactive.x12", "P002")
    from_fhir = eligibility_from_fhir(DATA / "cer_inactive.json", "P002")
    assert from_fhir == from_x12
    assert from_fhir.status is EligibilityStatus.INACTIVE
    assert from_fhir.coverage_periods[0].start == dt.date(2023, 1, 1)
    assert not from_fhir.is_active(VISIT)


def test_sources_read_alike() -> None:
    text = ACTIVE.read_text(encoding="utf-8")
    expected = eligibility_from_fhir(ACTIVE, "P001")
    assert eligibility_from_fhir(text, "P001") == expected
    assert eligibility_from_fhir(text.encode(), "P001") == expected
    assert eligibility_from_fhir(json.loads(text), "P001") == expected
    assert eligibility_from_fhir(str(ACTIVE), "P001") == expected


def test_benefit_period_when_no_contained_coverage() -> None:
    data = active_json()
    data["contained"] = [r for r in data["contained"] if r["resourceType"] != "Coverage"]
    data["insurance"][0]["coverage"] = {"reference": "Coverage/acme-cov-1"}
    data["insurance"][0]["benefitPeriod"] = {"start": "2025-01", "end": "2025"}
    result = eligibility_from_fhir(data, "P001")
    assert (result.plan, result.network) == (None, None)
    period = result.coverage_periods[0]
    assert (period.start, period.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_inforce_missing_is_unknown_and_error_outcome_rejected() -> None:
    data = active_json()
    del data["insurance"][0]["inforce"]
    assert eligibility_from_fhir(data, "P001").status is EligibilityStatus.UNKNOWN

    rejected = active_json()
    del rejected["insurance"]
    rejected["outcome"] = "error"
    rejected["error"] = [
        {
            "code": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adjudication-error",
                        "code": "a001",
                        "display": "Missing Identifier",
                    }
                ]
            }
        }
    ]
    result = eligibility_from_fhir(rejected, "P001")
    assert result.status is EligibilityStatus.REJECTED
    assert [(r.code, r.description, r.level) for r in result.rejections] == [
        ("a001", "Missing Identifier", "response")
    ]


def test_served_period_and_created_give_as_of() -> None:
    data = active_json()
    del data["servicedDate"]
    data["servicedPeriod"] = {"start": "2025-03-12", "end": "2025-03-14"}
    assert eligibility_from_fhir(data, "P001").as_of == dt.date(2025, 3, 12)
    del data["servicedPeriod"]
    assert eligibility_from_fhir(data, "P001").as_of == dt.date(2025, 3, 3)


def test_coinsurance_as_string() -> None:
    data = active_json()
    benefit = data["insurance"][0]["item"][3]["benefit"][1]
    del benefit["allowedUnsignedInt"]
    benefit["allowedString"] = "25%"
    assert eligibility_from_fhir(data, "P001").benefit("98").coinsurance == Decimal("0.25")
    benefit["allowedString"] = "0.3"
    assert eligibility_from_fhir(data, "P001").benefit("98").coinsurance == Decimal("0.3")
    benefit["allowedString"] = "a fifth"
    with pytest.raises(ProblemError, match=r"item.3.benefit.1.allowedString: not a percentage"):
        eligibility_from_fhir(data, "P001")


def test_money_is_decimal_from_text() -> None:
    data = ACTIVE.read_text(encoding="utf-8").replace('"value": 25.00', '"value": 25.10', 1)
    copay = eligibility_from_fhir(data, "P001").benefit("98").copay
    assert copay == Decimal("25.10") and isinstance(copay, Decimal)


def test_procedure_items_without_category_are_skipped() -> None:
    data = active_json()
    item = data["insurance"][0]["item"][3]
    del item["category"]
    item["productOrService"] = {
        "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]
    }
    result = eligibility_from_fhir(data, "P001")
    assert result.benefit("98").copay is None


def test_several_insurances() -> None:
    data = active_json()
    data["insurance"].append(copy.deepcopy(data["insurance"][0]))
    data["insurance"][1]["inforce"] = False
    first, second = read_fhir_eligibility(data, "P001")
    assert (first.status, second.status) == (EligibilityStatus.ACTIVE, EligibilityStatus.INACTIVE)
    with pytest.raises(ProblemError, match="insurance: expected one entry, found 2"):
        eligibility_from_fhir(data, "P001")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(resourceType="CoverageEligibilityRequest"), "resourceType: not a"),
        (lambda d: d.pop("insurer"), "insurer: Field required"),
        (lambda d: d.update(created="03/03/2025"), "created: .*"),
        (
            lambda d: d["insurance"][0]["item"][3]["benefit"][0]["allowedMoney"].update(
                currency="EUR"
            ),
            r"item.3.benefit.0.allowedMoney.currency: only USD is supported",
        ),
        (
            lambda d: d["insurance"][0]["item"][3]["benefit"][1].update(allowedUnsignedInt=140),
            r"item.3.benefit.1: a percentage outside 0 to 100",
        ),
    ],
)
def test_invalid_resources(mutate: Any, message: str) -> None:
    data = active_json()
    mutate(data)
    with pytest.raises(ProblemError, match=message):
        eligibility_from_fhir(data, "P001")


def test_bad_json_and_missing_file() -> None:
    with pytest.raises(ProblemError, match=r"not valid JSON \(line 1, column"):
        eligibility_from_fhir('{"resourceType": ', "P001")
    with pytest.raises(ProblemError, match="cannot read"):
        eligibility_from_fhir(DATA / "missing.json", "P001")


def test_an_r5_element_is_left_out_and_named() -> None:
    # The R4B models refuse "event" (R5 only); the reader reads on and says so.
    data = active_json()
    data["event"] = []
    result = eligibility_from_fhir(data, "P001")
    assert result.not_read == ("event: not an R4 element",)
    assert result.benefits == eligibility_from_fhir(ACTIVE, "P001").benefits


def test_coded_samples_read_whole() -> None:
    for name in ("cer_active.json", "cer_inactive.json"):
        result = eligibility_from_fhir(DATA / name, "P001")
        assert (result.not_read, result.status_reason) == ((), None)
