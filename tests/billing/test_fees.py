"""Fee schedule: CSV reading, lookups, and errors that name the line and the column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from psr_sched import ProblemError
from psr_sched.billing import (
    BillingError,
    FeeEntry,
    FeeSchedule,
    parse_fee_schedule_csv,
    read_fee_schedule_csv,
)

SAMPLE = Path(__file__).parent.parent / "data" / "billing" / "fee_schedule.csv"
VISIT_TYPES = (
    "NEW",
    "EST",
    "ANNUAL",
    "SICK",
    "WCC",
    "TELE",
    "CARD",
    "DERM",
    "ORTHO",
    "PROC",
    "EDU",
)
HEADER = "visit_type,cpt_code,charge,self_pay,default_allowed,allowed_BCBS,allowed_AETNA\n"


def error_of(text: str) -> str:
    with pytest.raises(BillingError) as info:
        parse_fee_schedule_csv(text, source="fees.csv")
    return str(info.value)


def test_sample_file_reads() -> None:
    fees = read_fee_schedule_csv(SAMPLE)
    assert tuple(e.visit_type for e in fees.entries) == VISIT_TYPES
    assert fees.payers == ("AETNA", "BCBS", "MEDICAID", "MEDICARE", "UHC")
    assert fees.charge("NEW") == Decimal("250.00")
    assert fees.allowed("NEW", "MEDICARE") == Decimal("112.46")
    assert fees.allowed("EST", "BCBS") == Decimal("110.00")
    assert fees.self_pay_price("SICK") == Decimal("85.00")
    # "$1,150.00" in a quoted cell; a description with a comma
    proc = fees.entry("PROC", "11403")
    assert proc.charge == Decimal("1150.00")
    assert proc.description == "Excision of benign lesion, trunk or limbs"
    # an empty payer cell falls back on default_allowed; so does a payer without a column
    assert fees.allowed("WCC", "MEDICARE") == Decimal("130.00")
    assert fees.allowed("NEW", "TRICARE") == Decimal("140.00")
    for entry in fees.entries:
        assert all(amount <= entry.charge for amount in entry.allowed.values())


def test_lookup_errors_name_visit_type_payer_and_code() -> None:
    fees = parse_fee_schedule_csv(HEADER + "NEW,99203,250,,,150,\n", source="fees.csv")
    with pytest.raises(BillingError, match="visit type 'NEURO' is not in the schedule"):
        fees.charge("NEURO")
    with pytest.raises(BillingError, match="no allowed amount for payer 'AETNA'"):
        fees.allowed("NEW", "AETNA")
    with pytest.raises(BillingError, match="no row for CPT code '99204'"):
        fees.entry("NEW", "99204")
    assert fees.self_pay_price("NEW") == Decimal("250.00")  # no self-pay price: the charge


def test_several_cpt_codes_need_a_default_row_or_a_code() -> None:
    two_codes = HEADER + "NEW,99203,250,,,150,\nNEW,99204,350,,,210,\n"
    fees = parse_fee_schedule_csv(two_codes)
    assert fees.allowed("NEW", "BCBS", "99204") == Decimal("210.00")
    with pytest.raises(BillingError, match=r"several CPT codes \(99203, 99204\)"):
        fees.entry("NEW")
    with_default = parse_fee_schedule_csv(two_codes + "NEW,,260,,,160,\n")
    assert with_default.charge("NEW") == Decimal("260.00")


def test_bad_cells_name_line_visit_type_and_column() -> None:
    text = (
        HEADER
        + "NEW,99203,250,,,150,140\n"
        + "EST,99213,abc,,,110,105\n"  # line 3: charge
        + "SICK,99212,130,,,78.005,\n"  # line 4: allowed_BCBS
        + "TELE,98006,150,,,-5,\n"  # line 5: negative
        + ",99214,100,,,,\n"  # line 6: no visit type
        + "CARD,9920,380,,,240,\n"  # line 7: bad CPT code
    )
    message = error_of(text)
    assert message.splitlines() == [
        "fees.csv line 3 (visit type EST): charge: not an amount "
        "(expected a number such as 1234.50 or $1,234.50)",
        "fees.csv line 4 (visit type SICK): allowed_BCBS: an amount must be whole cents "
        "(it has a fraction of a cent)",
        "fees.csv line 5 (visit type TELE): allowed_BCBS: must not be negative",
        "fees.csv line 6: visit_type: is empty",
        "fees.csv line 7 (visit type CARD): cpt_code: must be five capital letters or digits, "
        "such as 99213 or G0439",
    ]


def test_cross_field_and_duplicate_errors() -> None:
    assert error_of(HEADER + "NEW,99203,250,,,,\nEST,,100,,,120,90\n") == (
        "fees.csv line 3 (visit type EST): allowed_BCBS: above the charge of $100.00"
    )
    assert error_of(HEADER + "NEW,,250,,,,\nEST,,100,,,,\nNEW,,240,,,,\n") == (
        "fees.csv line 4 (visit type NEW): the same visit type and CPT code as line 2"
    )
    assert error_of(HEADER + "NEW,,,,,,\n") == "fees.csv line 2 (visit type NEW): charge: is empty"
    assert error_of(HEADER + "NEW,,250\n") == "fees.csv line 2: has 3 cells, the header has 7"


def test_many_errors_are_cut_at_five() -> None:
    text = HEADER + "".join(f"V{i},,x,,,,\n" for i in range(8))
    lines = error_of(text).splitlines()
    assert len(lines) == 6
    assert lines[-1] == "... and 3 more"


def test_header_errors() -> None:
    assert error_of("") == "fees.csv: no header row; expected columns visit_type, charge and others"
    assert error_of("visit_type,price\nNEW,5\n").splitlines() == [
        "fees.csv header: column 'price' is unknown (expected visit_type, cpt_code, "
        "description, charge, self_pay, default_allowed or allowed_<PAYER>)",
        "fees.csv header: column 'charge' is missing",
    ]
    assert "appears more than once" in error_of("visit_type,charge,charge\nNEW,5,5\n")
    assert "column 'allowed_' is unknown" in error_of("visit_type,charge,allowed_\nNEW,5,5\n")
    assert error_of("visit_type,charge\n\n") == "fees.csv: no fee rows below the header"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match="cannot read"):
        read_fee_schedule_csv(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("visit_type,charge,description\nNEW,5,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(BillingError, match=r"latin\.csv: the file is not UTF-8 text"):
        read_fee_schedule_csv(latin)
    with_bom = tmp_path / "bom.csv"
    with_bom.write_text("visit_type,charge\nNEW,5\n", encoding="utf-8-sig")
    assert read_fee_schedule_csv(with_bom).charge("NEW") == Decimal("5.00")


def test_models_validate_directly() -> None:
    with pytest.raises(ValidationError, match="listed more than once"):
        FeeSchedule(
            entries=(
                FeeEntry(visit_type="NEW", charge=Decimal(100)),
                FeeEntry(visit_type="NEW", charge=Decimal(120)),
            )
        )
    with pytest.raises(ValidationError, match="self_pay: above the charge"):
        FeeEntry(visit_type="NEW", charge=Decimal(100), self_pay=Decimal(120))
    assert repr(read_fee_schedule_csv(SAMPLE)) == "FeeSchedule(entries=11, payers=5)"
