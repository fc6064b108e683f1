"""Patient ledger: charges, payments and adjustments, posted idempotently, with balances and aging.

Every entry has an id chosen by whoever produces it (the payment id of the lockbox or card
terminal, the claim line of a charge).  Posting is idempotent by that id:

* an entry whose id is new is recorded;
* an entry equal to one already recorded under its id changes nothing, so posting the same
  payment, or the same whole batch, twice never doubles it;
* an entry whose id is recorded with *different* content is refused with
  :class:`LedgerConflictError`, so a posting is never silently replaced or lost.

A batch is posted all or nothing: it is checked in full first, and one conflicting entry
leaves the ledger as it was.

Signs: a charge and a payment carry a positive amount; a charge adds it to the balance, a
payment takes it off.  An adjustment carries its own sign: negative for a write-off or
discount, positive for, say, a returned payment.  A patient's balance is the sum of the
signed amounts of their entries, positive when the patient owes the clinic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum

import pandas as pd
from pydantic import model_validator

from psr_sched.billing.errors import BillingError, LedgerConflictError
from psr_sched.domain import DomainModel, Identifier
from psr_sched.domain.money import ZERO, Money

#: Aging buckets by the age of a charge in days: 0–30, 31–60, 61–90 and over 90.
AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
AGING_COLUMNS = ["patient_id", *AGING_BUCKETS, "credit", "balance"]
LEDGER_COLUMNS = ["id", "patient_id", "kind", "date", "amount", "signed_amount", "request_id"]
_BUCKET_LIMITS = (30, 60, 90)


class EntryKind(StrEnum):
    """What a ledger entry records."""

    CHARGE = "charge"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"


class LedgerEntry(DomainModel):
    """One posting on a patient's account.

    Parameters
    ----------
    id : str
        Unique id of the posting (payment id, charge line id); posting is idempotent by it.
    patient_id : str
        Opaque patient key (never a name or member id).
    kind : EntryKind
        Charge, payment or adjustment.
    amount : Decimal
        Positive for a charge or a payment; for an adjustment, negative to lower the balance
        and positive to raise it, never zero.
    date : datetime.date
        Date of service for a charge, date received for a payment, date of an adjustment.
        Aging counts a charge's age from it.
    request_id : str or None
        The visit a charge is for, when known.
    """

    id: Identifier
    patient_id: Identifier
    kind: EntryKind
    amount: Money
    date: dt.date
    request_id: Identifier | None = None

    @model_validator(mode="after")
    def _signed(self) -> LedgerEntry:
        if self.kind is EntryKind.ADJUSTMENT:
            if self.amount == 0:
                raise ValueError("amount: an adjustment must not be zero")
        elif self.amount <= 0:
            raise ValueError(f"amount: a {self.kind.value} must be positive")
        return self

    @property
    def signed_amount(self) -> Decimal:
        """The entry's effect on the balance: + for a charge, − for a payment."""
        return -self.amount if self.kind is EntryKind.PAYMENT else self.amount

    def __repr__(self) -> str:
        return f"LedgerEntry(id={self.id!r}, kind={self.kind.value})"


class Ledger:
    """The accounts of a clinic's patients: an append-only, idempotent store of entries.

    Parameters
    ----------
    entries : iterable of LedgerEntry
        Posted as one batch (:meth:`post_batch`).

    Examples
    --------
    >>> import datetime as dt
    >>> from decimal import Decimal
    >>> from psr_sched.billing import EntryKind, Ledger, LedgerEntry
    >>> payment = LedgerEntry(id="PAY-1", patient_id="pt-1", kind=EntryKind.PAYMENT,
    ...                       amount=Decimal("25"), date=dt.date(2026, 12, 7))
    >>> ledger = Ledger()
    >>> ledger.post(payment), ledger.post(payment)
    (True, False)
    >>> ledger.balance("pt-1")
    Decimal('-25.00')
    """

    def __init__(self, entries: Iterable[LedgerEntry] = ()) -> None:
        self._entries: dict[str, LedgerEntry] = {}
        self._by_patient: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.post_batch(entries)

    def post(self, entry: LedgerEntry) -> bool:
        """Post one entry; return whether it was new (``False``: already posted, no change).

        Raises
        ------
        LedgerConflictError
            If an entry with the same id and different content is posted already.
        """
        return self.post_batch((entry,)) == 1

    def post_batch(self, entries: Iterable[LedgerEntry]) -> int:
        """Post entries all or nothing; return how many were new.

        Entries already posted (here or earlier in the batch) with the same content are
        skipped, so posting a batch twice changes nothing the second time.

        Raises
        ------
        LedgerConflictError
            If an entry's id is posted already, or appears earlier in the batch, with
            different content; nothing of the batch is posted then.
        """
        pending: dict[str, LedgerEntry] = {}
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, LedgerEntry):
                raise BillingError(
                    f"ledger batch entry #{number}: a {type(entry).__name__}, not a LedgerEntry"
                )
            known = self._entries.get(entry.id) or pending.get(entry.id)
            if known is None:
                pending[entry.id] = entry
            elif known != entry:
                differing = [
                    name
                    for name in type(entry).model_fields
                    if getattr(known, name) != getattr(entry, name)
                ]
                raise LedgerConflictError(
                    f"ledger entry {entry.id}: id already posted with a different "
                    f"{', '.join(differing)}; nothing of this batch was posted"
                )
        for entry in pending.values():
            self._entries[entry.id] = entry
            self._by_patient[entry.patient_id].append(entry)
        return len(pending)

    def get(self, entry_id: str) -> LedgerEntry | None:
        """The entry posted under ``entry_id``, if any."""
        return self._entries.get(entry_id)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """Every entry, in posting order."""
        return tuple(self._entries.values())

    @property
    def patient_ids(self) -> tuple[str, ...]:
        """Patients with at least one entry, sorted."""
        return tuple(sorted(self._by_patient))

    def balance(self, patient_id: str, as_of: dt.date | None = None) -> Decimal:
        """Sum of the signed amounts of a patient's entries dated on or before ``as_of``.

        Zero for a patient without entries.
        """
        return sum(
            (e.signed_amount for e in self._by_patient.get(patient_id, ()) if _on(e, as_of)),
            ZERO,
        )

    def balances(self, as_of: dt.date | None = None) -> dict[str, Decimal]:
        """Every patient's :meth:`balance`, sorted by patient id; usable as prior balances."""
        return {patient: self.balance(patient, as_of) for patient in self.patient_ids}

    def aging(self, as_of: dt.date) -> pd.DataFrame:
        """Open balances by age: one row per patient whose balance on ``as_of`` is not zero.

        Payments and negative adjustments are applied to the oldest charges (and positive
        adjustments) first, whatever their own dates; each charge's unpaid rest falls in the
        bucket of its age in days on ``as_of``: ``0-30``, ``31-60``, ``61-90`` or ``90+``
        (91 days and more).  Credit left after every charge is paid is in ``credit``
        (negative).  Entries dated after ``as_of`` are left out.  For every row the buckets
        plus ``credit`` equal ``balance``, which equals :meth:`balance` on ``as_of``.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`AGING_COLUMNS`, amounts as ``Decimal`` (object columns), sorted by
            patient id.
        """
        rows = []
        for patient in self.patient_ids:
            entries = [e for e in self._by_patient[patient] if _on(e, as_of)]
            debits = sorted((e for e in entries if e.signed_amount > 0), key=lambda e: e.date)
            credit = -sum((e.signed_amount for e in entries if e.signed_amount < 0), ZERO)
            buckets = dict.fromkeys(AGING_BUCKETS, ZERO)
            for debit in debits:
                applied = min(credit, debit.signed_amount)
                credit -= applied
                buckets[_bucket((as_of - debit.date).days)] += debit.signed_amount - applied
            balance = sum(buckets.values(), ZERO) - credit
            if balance == 0 and credit == 0:
                continue
            rows.append(
                {"patient_id": patient, **buckets, "credit": ZERO - credit, "balance": balance}
            )
        frame = pd.DataFrame(rows, columns=AGING_COLUMNS)
        for column in AGING_COLUMNS[1:]:
            frame[column] = frame[column].astype(object)
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Every entry as a row of :data:`LEDGER_COLUMNS`, in posting order."""
        frame = pd.DataFrame(
            [
                {
                    "id": e.id,
                    "patient_id": e.patient_id,
                    "kind": e.kind.value,
                    "date": e.date,
                    "amount": e.amount,
                    "signed_amount": e.signed_amount,
                    "request_id": e.request_id,
                }
                for e in self._entries.values()
            ],
            columns=LEDGER_COLUMNS,
        )
        for column in ("date", "amount", "signed_amount"):
            frame[column] = frame[column].astype(object)
        return frame

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(tuple(self._entries.values()))

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def __repr__(self) -> str:
        return f"Ledger(entries={len(self._entries)}, patients={len(self._by_patient)})"


def _on(entry: LedgerEntry, as_of: dt.date | None) -> bool:
    return as_of is None or entry.date <= as_of


def _bucket(age_days: int) -> str:
    for limit, bucket in zip(_BUCKET_LIMITS, AGING_BUCKETS, strict=False):
        if age_days <= limit:
            return bucket
    return AGING_BUCKETS[-1]
