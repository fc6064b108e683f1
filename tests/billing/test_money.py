"""Money: Decimal whole cents only, floats refused, one rounding rule (half up to cents)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from psr_sched.billing import (
    CostShare,
    PatientBenefits,
    format_money,
    format_rate,
    parse_money,
    round_cents,
    to_money,
    to_rate,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("1234", "1234.00"),
        (" $12 ", "12.00"),
        ("-$5", "-5.00"),
        ("-5.25", "-5.25"),
        (".99", "0.99"),
        ("$1,000,000.00", "1000000.00"),
        ("0", "0.00"),
        ("-0.00", "0.00"),
    ],
)
def test_parse_money(text: str, expected: str) -> None:
    amount = parse_money(text)
    assert amount == Decimal(expected)
    assert str(amount) == expected  # always two decimal places


@pytest.mark.parametrize(
    "text", ["", "$", "abc", "1,23.00", "12,34", "$$5", "5-", "1.2.3", "1e3", "NaN", "--5"]
)
def test_parse_money_rejects_text_that_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_money(text)


def test_an_input_with_a_fraction_of_a_cent_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="fraction of a cent"):
        parse_money("1.005")
    with pytest.raises(ValueError, match="fraction of a cent"):
        to_money(Decimal("0.125"))
    assert to_money(Decimal("1.500")) == Decimal("1.50")  # trailing zeros are whole cents


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(ValueError, match="float is not accepted"):
        to_money(12.5)
    with pytest.raises(ValueError, match="float is not accepted"):
        to_rate(0.2)
    with pytest.raises(ValidationError, match="float is not accepted"):
        PatientBenefits(patient_id="pt-1", deductible_remaining=500.0)
    with pytest.raises(ValidationError, match="float is not accepted"):
        CostShare(coinsurance=0.2)
    with pytest.raises(TypeError):
        round_cents(0.125)  # type: ignore[arg-type]


def test_other_inputs() -> None:
    assert to_money(5) == Decimal("5.00")
    assert to_money(Decimal("-3")) == Decimal("-3.00")
    with pytest.raises(ValueError, match="boolean"):
        to_money(True)
    with pytest.raises(ValueError, match="is not an amount"):
        to_money([5])
    with pytest.raises(ValueError, match="finite"):
        to_money(Decimal("Infinity"))
    with pytest.raises(ValueError, match="must not exceed"):
        to_money(Decimal("1e15"))


def test_error_messages_do_not_repeat_the_value() -> None:
    with pytest.raises(ValueError) as info:
        to_money("1234.567")
    assert "1234" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60.125", "60.13"),  # half a cent rounds up
        ("60.124999", "60.12"),
        ("60.135", "60.14"),  # not banker's rounding (which would give 60.14 too) ...
        ("60.145", "60.15"),  # ... here banker's rounding would give 60.14
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0.004", "0.00"),  # never a negative zero
        ("-0.005", "-0.01"),  # ties away from zero
        ("7", "7.00"),
    ],
)
def test_round_cents_half_up(value: str, expected: str) -> None:
    rounded = round_cents(Decimal(value))
    assert rounded == Decimal(expected)
    assert str(rounded) == expected


def test_rates() -> None:
    assert to_rate("20%") == Decimal("0.2")
    assert to_rate("12.5%") == Decimal("0.125")
    assert to_rate("0.2") == Decimal("0.2")
    assert to_rate(Decimal("1")) == 1
    assert to_rate(0) == 0
    for bad in ("120%", "-0.1", "1.01", "abc"):
        with pytest.raises(ValueError):
            to_rate(bad)


def test_formatting() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-5")) == "-$5.00"
    assert format_money(Decimal("0.00")) == "$0.00"
    assert format_rate(Decimal("0.2")) == "20%"
    assert format_rate(Decimal("0.125")) == "12.5%"
    assert format_rate(Decimal("1")) == "100%"
    assert format_rate(Decimal("0")) == "0%"
