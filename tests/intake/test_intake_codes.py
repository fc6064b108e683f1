"""The EB01 and service type tables both eligibility readers share."""

from __future__ import annotations

import doctest

import pytest

from psr_sched.intake import codes
from psr_sched.intake.codes import (
    EB01_CODES,
    SERVICE_TYPE_NAMES,
    eb01_for_text,
    service_type_for_name,
)


def test_docstring_examples() -> None:
    assert doctest.testmod(codes).failed == 0


def test_what_each_eb01_code_is_read_as() -> None:
    reads = {code: entry.reads for code, entry in EB01_CODES.items() if entry.reads}
    assert reads == {
        **dict.fromkeys("12345", "active"),
        **dict.fromkeys("678", "inactive"),
        "A": "coinsurance",
        "B": "copay",
        "C": "deductible",
        "G": "oop",
    }
    assert EB01_CODES["F"].name == "Limitations" and EB01_CODES["F"].reads is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Active Coverage", "1"),
        ("Active Coverage (Incomplete information)", "1"),
        ("Inactive", "6"),
        ("Co-Payment", "B"),
        ("co-payment (incomplete information)", "B"),
        ("Co-Insurance", "A"),
        ("Coinsurance", "A"),
        ("Deductible", "C"),
        ("Out of Pocket (Stop Loss)", "G"),
        ("Out of Pocket (Stop Loss) (Incomplete information)", "G"),
        ("Limitations", "F"),
        ("Non-Covered", "I"),
    ],
)
def test_eb01_names(text: str, code: str) -> None:
    entry = eb01_for_text(text)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(
    "text", ["", None, "Visits", "Active", "Copay Maximum", "(Incomplete information)"]
)
def test_eb01_unknown_names(text: str | None) -> None:
    assert eb01_for_text(text) is None


def test_service_names() -> None:
    assert service_type_for_name("Professional (Physician) Visit - Office") == "98"
    assert service_type_for_name("Professional (Physician) - Visit - Office") == "98"
    assert service_type_for_name("HEALTH BENEFIT PLAN COVERAGE") == "30"
    assert service_type_for_name("Urgent Care") == "UC"
    assert service_type_for_name("Mental Health") == "MH"
    # Not X12 names, or BY/BZ (left out until the visit-type defaults agree with X12).
    for name in ("Office Visit", "Telemedicine Visits", "Physician Visit - Office: Well", None):
        assert service_type_for_name(name) is None
    assert "BY" not in SERVICE_TYPE_NAMES and "BZ" not in SERVICE_TYPE_NAMES
