"""Ledger: idempotent posting by id, atomic batches, balances, aging buckets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from psr_sched.billing import (
    AGING_COLUMNS,
    LEDGER_COLUMNS,
    BillingError,
    EntryKind,
    Ledger,
    LedgerConflictError,
    LedgerEntry,
)

D = Decimal
AS_OF = dt.date(2026, 12, 31)
CHARGE, PAYMENT, ADJUSTMENT = EntryKind.CHARGE, EntryKind.PAYMENT, EntryKind.ADJUSTMENT


def entry(eid: str, patient: str, kind: EntryKind, amount: str, day: dt.date | int) -> LedgerEntry:
    """An entry; an int ``day`` is a date that many days before :data:`AS_OF`."""
    date = AS_OF - dt.timedelta(days=day) if isinstance(day, int) else day
    return LedgerEntry(id=eid, patient_id=patient, kind=kind, amount=D(amount), date=date)


def test_post_is_idempotent_by_id() -> None:
    ledger = Ledger()
    charge = entry("CHG-1", "A", CHARGE, "150", 10)
    payment = entry("PAY-1", "A", PAYMENT, "25", 5)
    assert ledger.post(charge)
    assert ledger.post(payment)
    assert not ledger.post(payment)  # the same payment again: no change
    assert not ledger.post(entry("PAY-1", "A", PAYMENT, "25.00", 5))  # equal content
    assert len(ledger) == 2
    assert ledger.balance("A") == D("125.00")
    assert "PAY-1" in ledger
    assert ledger.get("PAY-1") == payment


def test_the_same_batch_posted_twice_is_posted_once() -> None:
    batch = [
        entry("CHG-1", "A", CHARGE, "150", 10),
        entry("CHG-2", "B", CHARGE, "80", 3),
        entry("PAY-1", "A", PAYMENT, "25", 5),
        entry("PAY-1", "A", PAYMENT, "25", 5),  # repeated inside the batch too
    ]
    ledger = Ledger()
    assert ledger.post_batch(batch) == 3
    assert ledger.post_batch(batch) == 0
    assert ledger.post_batch(reversed(batch)) == 0
    assert [e.id for e in ledger.entries] == ["CHG-1", "CHG-2", "PAY-1"]
    assert ledger.balances() == {"A": D("125.00"), "B": D("80.00")}
    # A batch overlapping the one posted adds only what is new.
    assert ledger.post_batch([batch[0], entry("PAY-2", "B", PAYMENT, "80", 1)]) == 1
    assert ledger.balance("B") == D("0.00")


def test_conflicting_duplicate_id_is_refused_and_the_batch_is_not_posted() -> None:
    ledger = Ledger([entry("PAY-1", "A", PAYMENT, "25", 5)])
    changed = entry("PAY-1", "A", PAYMENT, "52", 5)
    with pytest.raises(LedgerConflictError) as info:
        ledger.post(changed)
    assert str(info.value) == (
        "ledger entry PAY-1: id already posted with a different amount; "
        "nothing of this batch was posted"
    )
    batch = [entry("CHG-9", "A", CHARGE, "300", 1), entry("PAY-1", "B", PAYMENT, "25", 4)]
    with pytest.raises(LedgerConflictError, match="different patient_id, date"):
        ledger.post_batch(batch)
    assert "CHG-9" not in ledger  # all or nothing
    assert len(ledger) == 1
    inside = [entry("PAY-7", "A", PAYMENT, "5", 1), entry("PAY-7", "A", PAYMENT, "6", 1)]
    with pytest.raises(LedgerConflictError, match="ledger entry PAY-7"):
        ledger.post_batch(inside)
    assert len(ledger) == 1
    with pytest.raises(BillingError, match="ledger batch entry #1: a dict, not a LedgerEntry"):
        ledger.post_batch([{"id": "X"}])  # type: ignore[list-item]


def test_signs_and_entry_checks() -> None:
    ledger = Ledger(
        [
            entry("CHG-1", "A", CHARGE, "200", 40),
            entry("PAY-1", "A", PAYMENT, "50", 30),
            entry("ADJ-1", "A", ADJUSTMENT, "-30", 20),  # contractual write-off
            entry("ADJ-2", "A", ADJUSTMENT, "10", 10),  # returned payment fee
        ]
    )
    assert ledger.balance("A") == D("130.00")
    assert ledger.balance("A", as_of=AS_OF - dt.timedelta(days=25)) == D("150.00")
    assert ledger.balance("nobody") == D("0.00")
    with pytest.raises(ValidationError, match="a payment must be positive"):
        entry("PAY-2", "A", PAYMENT, "-5", 1)
    with pytest.raises(ValidationError, match="a charge must be positive"):
        entry("CHG-2", "A", CHARGE, "0", 1)
    with pytest.raises(ValidationError, match="an adjustment must not be zero"):
        entry("ADJ-3", "A", ADJUSTMENT, "0", 1)
    with pytest.raises(ValidationError, match="float is not accepted"):
        LedgerEntry(id="X", patient_id="A", kind=CHARGE, amount=5.0, date=AS_OF)
    assert repr(ledger) == "Ledger(entries=4, patients=1)"
    assert repr(ledger.entries[0]) == "LedgerEntry(id='CHG-1', kind=charge)"
    frame = ledger.to_frame()
    assert list(frame.columns) == LEDGER_COLUMNS
    assert frame["signed_amount"].sum() == D("130.00")


def test_aging_buckets_oldest_charges_paid_first() -> None:
    ledger = Ledger(
        [
            # A: 100 (138 days), 200 (82), 50 (41), 80 (0); payment 130 and write-off 20
            # pay the 100 and 50 of the 200: 61-90 keeps 150.
            entry("A-C1", "A", CHARGE, "100", dt.date(2026, 8, 15)),
            entry("A-C2", "A", CHARGE, "200", dt.date(2026, 10, 10)),
            entry("A-C3", "A", CHARGE, "50", dt.date(2026, 11, 20)),
            entry("A-C4", "A", CHARGE, "80", AS_OF),
            entry("A-P1", "A", PAYMENT, "130", dt.date(2026, 12, 5)),
            entry("A-W1", "A", ADJUSTMENT, "-20", dt.date(2026, 12, 10)),
            # B: the bucket edges, one charge aged 30, 31, 60, 61, 90 and 91 days.
            *(
                entry(f"B-C{age}", "B", CHARGE, amount, age)
                for age, amount in ((30, "1"), (31, "2"), (60, "4"), (61, "8"), (90, "16"))
            ),
            entry("B-C91", "B", CHARGE, "32", 91),
            # C: paid more than charged: a credit of 30.
            entry("C-C1", "C", CHARGE, "50", 20),
            entry("C-P1", "C", PAYMENT, "80", 10),
            # D: settled; E: only a charge after the as-of date.  Neither has a row.
            entry("D-C1", "D", CHARGE, "40", 70),
            entry("D-P1", "D", PAYMENT, "40", 2),
            entry("E-C1", "E", CHARGE, "60", dt.date(2027, 1, 5)),
            # F: a payment returned (positive adjustment) ages from its own date.
            entry("F-C1", "F", CHARGE, "100", 45),
            entry("F-P1", "F", PAYMENT, "100", 40),
            entry("F-A1", "F", ADJUSTMENT, "100", 11),
        ]
    )
    frame = ledger.aging(AS_OF)
    assert list(frame.columns) == AGING_COLUMNS
    rows = {row[0]: tuple(str(v) for v in row[1:]) for row in frame.itertuples(index=False)}
    #              0-30     31-60    61-90     90+      credit    balance
    assert rows == {
        "A": ("80.00", "50.00", "150.00", "0.00", "0.00", "280.00"),
        "B": ("1.00", "6.00", "24.00", "32.00", "0.00", "63.00"),
        "C": ("0.00", "0.00", "0.00", "0.00", "-30.00", "-30.00"),
        "F": ("100.00", "0.00", "0.00", "0.00", "0.00", "100.00"),
    }
    for patient, row in rows.items():
        assert D(row[-1]) == ledger.balance(patient, AS_OF)
    # On November 30 A's last charge, payment and write-off are not there yet, and the
    # charges are 10, 51 and 107 days old.
    earlier = ledger.aging(dt.date(2026, 11, 30))
    a_row = earlier[earlier["patient_id"] == "A"].iloc[0]
    assert [str(a_row[b]) for b in ("0-30", "31-60", "61-90", "90+")] == [
        "50.00",
        "200.00",
        "0.00",
        "100.00",
    ]


def test_empty_aging() -> None:
    frame = Ledger().aging(AS_OF)
    assert list(frame.columns) == AGING_COLUMNS
    assert frame.empty
