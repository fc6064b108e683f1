"""EligibilityResult: active on a date, benefit look-up, prior authorization, money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from psr_sched.intake import (
    DEFAULT_SERVICE_TYPES,
    Benefit,
    CoveragePeriod,
    EligibilityResult,
    EligibilityStatus,
    eligibility_from_271,
    service_type_for_visit_type,
)
from psr_sched.intake.eligibility import BENEFIT_COLUMNS

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"


def result(**changes: object) -> EligibilityResult:
    fields: dict[str, object] = {"patient_id": "P1", "status": EligibilityStatus.ACTIVE}
    fields.update(changes)
    return EligibilityResult.model_validate(fields)


def test_active_needs_status_and_period() -> None:
    periods = (CoveragePeriod(start=dt.date(2024, 1, 1), end=dt.date(2025, 1, 31)),)
    active = result(coverage_periods=periods)
    assert active.is_active(dt.date(2024, 1, 1)) and active.is_active(dt.date(2025, 1, 31))
    # Effective in 2024 is not enough: the visit must fall in the period.
    assert not active.is_active(dt.date(2025, 3, 10))
    assert not result(coverage_periods=periods, status="INACTIVE").is_active(dt.date(2024, 6, 1))
    assert not result(coverage_periods=periods, status="REJECTED").is_active(dt.date(2024, 6, 1))


def test_several_periods_and_open_end() -> None:
    periods = (
        CoveragePeriod(start=dt.date(2025, 6, 1)),
        CoveragePeriod(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)),
    )
    active = result(coverage_periods=periods)
    assert [p.start for p in active.coverage_periods] == [dt.date(2024, 1, 1), dt.date(2025, 6, 1)]
    assert active.is_active(dt.date(2024, 7, 1))
    assert not active.is_active(dt.date(2025, 3, 1))  # a gap
    assert active.is_active(dt.date(2031, 1, 1))


def test_without_periods_only_the_answered_date() -> None:
    answer = result(as_of=dt.date(2025, 3, 10))
    assert answer.is_active(dt.date(2025, 3, 10))
    assert not answer.is_active(dt.date(2025, 3, 11))
    assert not result().is_active(dt.date(2025, 3, 10))


def test_period_order_checked() -> None:
    with pytest.raises(ValidationError, match="end is before start"):
        CoveragePeriod(start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1))


def test_money_is_decimal_never_float() -> None:
    benefit = Benefit(service_type="98", copay="25", coinsurance="0.2")
    assert benefit.copay == Decimal("25.00") and str(benefit.copay) == "25.00"
    assert Benefit(service_type="98", copay=Decimal("12.5")).copay == Decimal("12.50")
    with pytest.raises(ValidationError, match="float is not accepted"):
        Benefit(service_type="98", copay=25.0)
    with pytest.raises(ValidationError, match="float is not accepted"):
        Benefit(service_type="98", coinsurance=0.2)
    with pytest.raises(ValidationError):
        Benefit(service_type="98", coinsurance=Decimal("1.5"))
    with pytest.raises(ValidationError):
        Benefit(service_type="98", copay=Decimal("-1"))
    assert Benefit(service_type="98", copay="25").model_dump(mode="json")["copay"] == "25.00"


def test_benefit_look_up_order() -> None:
    answer = result(
        benefits=(
            Benefit(service_type="98", network="in", unit="individual", copay="20"),
            Benefit(service_type="98", network="in", coinsurance="0.1"),
            Benefit(service_type="98", copay="99", coinsurance="0.5", prior_auth_required=False),
            Benefit(service_type="30", network="in", unit="individual", deductible="1000"),
            Benefit(service_type="30", network="out", unit="individual", deductible="3000"),
        )
    )
    office = answer.benefit("98")
    assert (office.copay, office.coinsurance) == (Decimal("20.00"), Decimal("0.1"))
    assert office.prior_auth_required is False
    assert office.deductible == Decimal("1000.00")  # from the plan
    assert answer.benefit("98", fall_back_to_plan=False).deductible is None
    out = answer.benefit("98", network="out")
    assert (out.copay, out.deductible) == (Decimal("99.00"), Decimal("3000.00"))
    assert answer.benefit("UC").copay is None


def test_duplicate_benefit_keys_refused() -> None:
    with pytest.raises(ValidationError, match="two benefits share"):
        result(benefits=(Benefit(service_type="98"), Benefit(service_type="98")))


def test_service_type_mapping_defaults_and_override() -> None:
    assert service_type_for_visit_type("NEW") == "98"
    assert service_type_for_visit_type("SICK") == "BZ"
    assert service_type_for_visit_type("ANNUAL") == "BY"
    assert service_type_for_visit_type("UNMAPPED") == "30"
    assert service_type_for_visit_type("NEW", {"NEW": "A0"}) == "A0"
    assert service_type_for_visit_type("SICK", {"NEW": "A0"}) == "30"
    assert DEFAULT_SERVICE_TYPES["TELE"] == "98"


def test_prior_auth_per_visit_type() -> None:
    answer = eligibility_from_271(DATA / "271_active.x12", "P001")
    types = {**DEFAULT_SERVICE_TYPES, "MRI": "62", "COUNSEL": "MH"}
    assert answer.prior_auth_required(["NEW", "SICK", "COUNSEL", "PT", "MRI", "UC"], types) == {
        "NEW": False,
        "SICK": False,
        "COUNSEL": True,
        "PT": True,
        "MRI": True,
        "UC": None,
    }
    counsel = answer.prior_auth("COUNSEL", types)
    assert (counsel.service_type, counsel.required, counsel.pending) == ("MH", True, False)

    pending = answer.with_pending_authorization("COUNSEL", dt.date(2025, 3, 20), types)
    counsel = pending.prior_auth("COUNSEL", types)
    assert counsel.pending and counsel.expected_date == dt.date(2025, 3, 20)
    assert pending.pending_authorizations == {"MH": dt.date(2025, 3, 20)}
    assert answer.pending_authorizations == {}  # the original is unchanged


def test_benefit_for_visit() -> None:
    answer = eligibility_from_271(DATA / "271_active.x12", "P001")
    sick = answer.benefit_for_visit("SICK")
    assert (sick.service_type, sick.copay) == ("BZ", Decimal("25.00"))
    assert answer.benefit_for_visit("NEW", network="out").coinsurance == Decimal("0.4")


def test_benefits_frame() -> None:
    answer = eligibility_from_271(DATA / "271_active.x12", "P001")
    frame = answer.benefits_frame()
    assert list(frame.columns) == BENEFIT_COLUMNS
    assert len(frame) == len(answer.benefits) == 10
    row = frame[(frame.service_type == "98") & (frame.network == "in")].iloc[0]
    assert row.copay == Decimal("25.00") and isinstance(row.copay, Decimal)
    assert list(result().benefits_frame().columns) == BENEFIT_COLUMNS


def test_repr_is_short() -> None:
    answer = eligibility_from_271(DATA / "271_active.x12", "P001")
    assert repr(answer) == (
        "EligibilityResult(patient_id='P001', payer_id='ACME01', status=ACTIVE, benefits=10)"
    )
