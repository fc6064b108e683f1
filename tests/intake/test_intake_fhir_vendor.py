"""FHIR CoverageEligibilityResponse as EHR vendors relay payers' 271 answers: benefit types
as text only, coverage said by an Active Coverage benefit, items named by service, and
elements the reader does not need that are malformed."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from psr_sched.errors import ProblemError
from psr_sched.intake import EligibilityStatus, eligibility_from_fhir, read_fhir_eligibility

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
VENDOR = DATA / "cer_vendor_active.json"
UNKNOWN = DATA / "cer_vendor_unknown.json"
VISIT = dt.date(2025, 3, 10)
INCOMPLETE = " (Incomplete information)"
D = Decimal


def vendor_json(path: Path = VENDOR) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def items(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data["insurance"][0]["item"]
    return found


def test_vendor_response_is_active_with_its_cost_sharing() -> None:
    result = eligibility_from_fhir(VENDOR, "P010")
    # No inforce: the Active Coverage benefit of the plan-level item says so.
    assert result.status is EligibilityStatus.ACTIVE
    assert result.status_reason is None
    assert result.is_active(VISIT)
    assert (result.payer_name, result.plan) == ("PRAIRIE MUTUAL HEALTH", "PRAIRIE CHOICE PPO 2500")
    office = result.benefit("98")  # in network, individual
    assert office.copay == D("30.00")  # "Co-Payment", allowedMoney
    assert office.coinsurance == 0  # "Co-Insurance", allowedString "0.0%"; not the plan's 20 %
    assert (office.deductible, office.deductible_remaining) == (D("2500.00"), D("670.00"))
    assert (office.oop_max, office.oop_remaining) == (D("6000.00"), D("3860.00"))
    plan = result.benefit("30")
    assert plan.coinsurance == D("0.2")
    family = result.benefit("30", unit="family")
    assert (family.deductible_remaining, family.oop_remaining) == (D("2690.00"), D("9380.00"))
    assert result.benefit("UC").copay == D("75.00")  # "Urgent Care"
    assert result.benefit("MH").prior_auth_required is True
    assert result.benefit("33").copay == D("40.00")  # "Chiropractic"


def test_incomplete_information_texts_are_read() -> None:
    result = eligibility_from_fhir(VENDOR, "P010")
    out = result.benefit("98", network="out")  # every out-of-network type is "(Incomplete ...)"
    assert out.coinsurance == D("0.5")
    assert (out.deductible, out.deductible_remaining) == (D("5000.00"), D("5000.00"))
    assert out.oop_max == D("12000.00")
    plain = VENDOR.read_text(encoding="utf-8").replace(INCOMPLETE, "")
    assert INCOMPLETE not in plain
    assert eligibility_from_fhir(plain, "P010") == result


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Co-Payment", "copay", D("30.00")),
        ("Copayment", "copay", D("30.00")),
        ("CO-PAYMENT (INCOMPLETE INFORMATION)", "copay", D("30.00")),
        ("Copay", "copay", D("30.00")),
        ("Deductible", "deductible", D("30.00")),
        ("Out of Pocket (Stop Loss)", "oop_max", D("30.00")),
        ("Out of Pocket", "oop_max", D("30.00")),
    ],
)
def test_text_types_by_the_eb01_table(text: str, field: str, expected: Decimal) -> None:
    data = vendor_json()
    office = items(data)[4]
    office["benefit"] = [{"type": {"text": text}, "allowedMoney": {"value": "30.00"}}]
    office["category"] = {"coding": [{"code": "A0"}]}  # a service type nothing else has
    benefit = eligibility_from_fhir(data, "P010").benefit("A0", fall_back_to_plan=False)
    assert getattr(benefit, field) == expected


def test_text_on_a_coding_display_and_codes_first() -> None:
    data = vendor_json()
    office = items(data)[4]
    office["benefit"][0]["type"] = {
        "coding": [
            {"system": "https://vendor.example/benefit", "code": "7", "display": "Co-Payment"}
        ]
    }
    assert eligibility_from_fhir(data, "P010").benefit("98").copay == D("30.00")
    # A FHIR benefit-type code wins over a text that says something else.
    office["benefit"][0]["type"] = {
        "coding": [{"code": "deductible"}],
        "text": "Co-Payment",
    }
    office_benefit = eligibility_from_fhir(data, "P010").benefit("98", fall_back_to_plan=False)
    assert (office_benefit.copay, office_benefit.deductible) == (None, D("30.00"))


def test_items_without_category_are_the_plans_or_named_by_service() -> None:
    data = vendor_json()
    for item in items(data)[:4]:
        del item["name"]  # no category, no name: the plan's
    result = eligibility_from_fhir(data, "P010")
    assert result == eligibility_from_fhir(VENDOR, "P010")
    assert result.benefit("30").deductible_remaining == D("670.00")
    # A category with text only is a name too.
    items(data)[6]["category"] = {"text": "Urgent Care"}
    del items(data)[6]["name"]
    assert eligibility_from_fhir(data, "P010").benefit("UC").copay == D("75.00")


def test_an_item_named_by_no_known_service_is_not_read() -> None:
    result = eligibility_from_fhir(VENDOR, "P010")
    # "Telemedicine Visits" ($0 copay) must not become the plan's copay, nor anyone's.
    assert result.benefit("30").copay is None
    assert all(b.copay != D("0.00") for b in result.benefits)
    assert "insurance.0.item.9.name: not a service name the reader maps" in result.not_read


def test_not_read_says_which_elements() -> None:
    result = eligibility_from_fhir(VENDOR, "P010")
    assert result.not_read == (
        "insurer.identifier: malformed",
        "insurance.0.item.8.benefit.1.type: EB01 F (Limitations)",
        "insurance.0.item.9.name: not a service name the reader maps",
    )


def test_malformed_unneeded_element_is_a_warning_never_its_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="psr_sched.intake.fhir")
    result = eligibility_from_fhir(VENDOR, "P010")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "CoverageEligibilityResponse: insurer.identifier: malformed (model_type); not read"
    ]
    assert result.payer_id is None  # the bare string is not taken for an identifier
    assert "60054" not in caplog.text + " ".join(result.not_read)
    # Given as FHIR wants it, the same response reads whole.
    data = vendor_json()
    data["insurer"]["identifier"] = {"system": "https://payer.example/id", "value": "60054"}
    fixed = eligibility_from_fhir(data, "P010")
    assert fixed.payer_id == "60054"
    assert "insurer.identifier: malformed" not in fixed.not_read


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("patient"), "patient: missing"),
        (lambda d: d.update(status=7), "status: malformed"),
        (lambda d: d.update(purpose="benefits"), "purpose: malformed"),
        (lambda d: d["contained"][0].pop("beneficiary"), "contained.0.beneficiary: missing"),
        (
            lambda d: d["contained"][0].update(subscriberId=[1]),
            "contained.0.subscriberId: malformed",
        ),
        (lambda d: d["insurance"][0].pop("coverage"), "insurance.0.coverage: missing"),
        (lambda d: d["identifier"][0].update(value={"v": 1}), "identifier.0.value: malformed"),
        (lambda d: items(d)[1].update(modifier="annual"), "insurance.0.item.1.modifier: malformed"),
        (
            lambda d: items(d)[1].update({"Member Id": "XJW48810273"}),
            "insurance.0.item.1.<unknown field>: not an R4 element",
        ),
        (
            lambda d: d["contained"].append({"resourceType": "Nonsense", "id": "x"}),
            "contained.1: not an R4 resource",
        ),
        (lambda d: d["contained"].append("junk"), "contained.1: malformed"),
    ],
)
def test_deviations_the_reader_does_not_need(mutate: Any, expected: str) -> None:
    data = vendor_json()
    mutate(data)
    result = eligibility_from_fhir(data, "P010")
    assert expected in result.not_read
    assert result.status is EligibilityStatus.ACTIVE
    assert result.benefit("98").copay == D("30.00")
    assert "XJW48810273" not in " ".join(result.not_read)


def test_contained_coverage_without_its_required_parts_still_gives_the_plan() -> None:
    data = vendor_json()
    for name in ("status", "beneficiary", "payor"):
        del data["contained"][0][name]
    result = eligibility_from_fhir(data, "P010")
    assert result.plan == "PRAIRIE CHOICE PPO 2500"
    assert result.coverage_periods[0].start == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: items(d)[4]["benefit"][0]["allowedMoney"].update(value="30.OO"),
            r"^CoverageEligibilityResponse: insurance\.0\.item\.4\.benefit\.0\.allowedMoney\.value",
        ),
        (
            lambda d: items(d)[4]["benefit"][0].update(allowedMoney=30),
            r"^CoverageEligibilityResponse: insurance\.0\.item\.4\.benefit\.0\.allowedMoney: ",
        ),
        (
            lambda d: items(d)[1]["benefit"][0].pop("type"),
            r"insurance\.0\.item\.1\.benefit\.0\.type: Field required",
        ),
        (
            lambda d: items(d)[4]["benefit"][1].update(allowedString=20),
            r"insurance\.0\.item\.4\.benefit\.1\.allowedString: ",
        ),
        (
            lambda d: items(d)[4].update(network="in"),
            r"insurance\.0\.item\.4\.network: ",
        ),
        (
            lambda d: d["contained"][0]["period"].update(start="01/01/2025"),
            r"contained\.0\.period\.start: ",
        ),
        (lambda d: d["insurance"][0].update(inforce="maybe"), r"insurance\.0\.inforce: "),
        (lambda d: d.update(insurance={"item": []}), r"CoverageEligibilityResponse: insurance: "),
        (lambda d: items(d).append("junk"), r"insurance\.0\.item\.10: "),
    ],
)
def test_malformed_needed_element_is_an_error_naming_it(mutate: Any, message: str) -> None:
    data = vendor_json()
    mutate(data)
    with pytest.raises(ProblemError, match=message) as info:
        eligibility_from_fhir(data, "P010")
    assert "30.OO" not in str(info.value) and "01/01/2025" not in str(info.value)
    assert "maybe" not in str(info.value)


def test_caller_data_is_left_as_given() -> None:
    data = vendor_json()
    before = copy.deepcopy(data)
    eligibility_from_fhir(data, "P010")
    assert data == before


def test_no_inforce_and_no_coverage_benefit_is_unknown_with_the_reason() -> None:
    result = eligibility_from_fhir(UNKNOWN, "P011")
    assert result.status is EligibilityStatus.UNKNOWN
    assert result.status_reason == (
        "insurance.0: no inforce, and no benefit of type Active Coverage or Inactive"
    )
    assert not result.is_active(VISIT)
    # What the payer did say is kept.
    office = result.benefit("98")
    assert (office.copay, office.deductible_remaining) == (D("30.00"), D("2100.00"))
    assert result.coverage_periods[0].start == dt.date(2024, 7, 1)


def test_coverage_said_by_benefits_or_by_inforce() -> None:
    data = vendor_json()
    items(data)[0]["benefit"][0]["type"]["text"] = "Inactive"
    assert eligibility_from_fhir(data, "P010").status is EligibilityStatus.INACTIVE
    data["insurance"][0]["inforce"] = True  # inforce, when given, decides
    assert eligibility_from_fhir(data, "P010").status is EligibilityStatus.ACTIVE
    # Active Coverage said only for a service counts when the plan says nothing.
    data = vendor_json(UNKNOWN)
    items(data)[1]["benefit"].append({"type": {"text": "Active Coverage"}})
    result = eligibility_from_fhir(data, "P011")
    assert (result.status, result.status_reason) == (EligibilityStatus.ACTIVE, None)


def test_no_insurance_and_no_error_is_unknown_with_the_reason() -> None:
    data = vendor_json()
    del data["insurance"]
    (result,) = read_fhir_eligibility(data, "P010")
    assert result.status is EligibilityStatus.UNKNOWN
    assert result.status_reason == "no insurance entry and no error"
    assert result.not_read == ("insurer.identifier: malformed",)
