"""Property tests: estimates stay within bounds; balances equal the sum of their entries.

(a) An estimate is never negative, never above the allowed amount, never above the
    out-of-pocket room left; its components add up; the plan pays the rest.
(b) Over a patient's visits in order, the shares never exceed the out-of-pocket room or
    the deductible given at the start, and each visit starts from what the last one left.
(c) After any sequence of postings and batches, repeats and conflicting ids included, each
    balance equals the sum of the distinct entries accepted, and aging adds up to it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from psr_sched.billing import (
    ZERO,
    CostShare,
    EntryKind,
    Ledger,
    LedgerConflictError,
    LedgerEntry,
    PatientBenefits,
    estimate_visit,
)

AS_OF = dt.date(2026, 12, 31)


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


rates = st.integers(0, 1000).map(lambda n: Decimal(n).scaleb(-3))  # 0.0% .. 100.0%
cost_shares = st.builds(
    CostShare,
    copay=st.none() | cents(0, 10_000),
    coinsurance=rates,
    deductible_applies=st.booleans(),
)
patient_benefits = st.builds(
    PatientBenefits,
    patient_id=st.just("pt-1"),
    deductible_remaining=cents(0, 500_000),
    out_of_pocket_remaining=st.none() | cents(0, 1_000_000),
    default=cost_shares,
    by_visit_type=st.dictionaries(st.sampled_from(["EST", "NEW", "PROC"]), cost_shares),
)
visit_types = st.sampled_from(["EST", "NEW", "PROC", "TELE"])


@settings(max_examples=300, deadline=None)
@given(allowed=cents(0, 2_000_000), benefits=patient_benefits, code=visit_types)
def test_estimate_within_bounds(allowed: Decimal, benefits: PatientBenefits, code: str) -> None:
    estimate = estimate_visit(allowed, benefits, code)
    patient = estimate.patient_amount
    assert ZERO <= patient <= allowed
    if benefits.out_of_pocket_remaining is not None:
        assert patient <= benefits.out_of_pocket_remaining
    assert estimate.copay + estimate.deductible + estimate.coinsurance == patient
    assert patient + estimate.plan_amount == allowed
    assert estimate.deductible <= benefits.deductible_remaining
    assert patient.as_tuple().exponent == -2
    assert estimate.explanation.endswith(f"Your estimated share is ${patient:,.2f}.")


@settings(max_examples=150, deadline=None)
@given(
    benefits=patient_benefits,
    visits=st.lists(st.tuples(cents(0, 300_000), visit_types), max_size=8),
)
def test_visits_in_order_share_one_deductible_and_maximum(
    benefits: PatientBenefits, visits: list[tuple[Decimal, str]]
) -> None:
    state = benefits
    paid = deductible = ZERO
    for allowed, code in visits:
        estimate = estimate_visit(allowed, state, code)
        assert estimate.patient_amount <= allowed
        if state.out_of_pocket_remaining is not None:
            assert estimate.patient_amount <= state.out_of_pocket_remaining
        paid += estimate.patient_amount
        deductible += estimate.deductible
        assert estimate.benefits_after is not None
        state = estimate.benefits_after
    if benefits.out_of_pocket_remaining is not None:
        assert paid <= benefits.out_of_pocket_remaining
        assert state.out_of_pocket_remaining == benefits.out_of_pocket_remaining - paid
    assert deductible <= benefits.deductible_remaining
    assert state.deductible_remaining == benefits.deductible_remaining - deductible


# -- ledger --------------------------------------------------------------------------------

IDS = [f"E{i}" for i in range(8)]
PATIENTS = ["A", "B", "C"]


@st.composite
def ledger_entries(draw: st.DrawFn, entry_id: str | None = None) -> LedgerEntry:
    kind = draw(st.sampled_from(list(EntryKind)))
    amount = draw(cents(1, 100_000))
    if kind is EntryKind.ADJUSTMENT and draw(st.booleans()):
        amount = -amount
    return LedgerEntry(
        id=entry_id or draw(st.sampled_from(IDS)),
        patient_id=draw(st.sampled_from(PATIENTS)),
        kind=kind,
        amount=amount,
        date=AS_OF - dt.timedelta(days=draw(st.integers(-5, 200))),
    )


@st.composite
def postings(draw: st.DrawFn) -> list[list[LedgerEntry]]:
    """Batches drawn mostly from one pool of entries (so repeats are common), sometimes
    with a fresh entry under a pooled id (a conflict unless it happens to be equal)."""
    pool = [draw(ledger_entries(entry_id)) for entry_id in IDS]
    one = st.sampled_from(pool) | ledger_entries()
    return draw(st.lists(st.lists(one, min_size=1, max_size=6), max_size=12))


@settings(max_examples=100, deadline=None)
@given(batches=postings(), singly=st.lists(st.booleans(), min_size=12, max_size=12))
def test_balances_equal_the_sum_of_entries(
    batches: list[list[LedgerEntry]], singly: list[bool]
) -> None:
    ledger = Ledger()
    accepted: dict[str, LedgerEntry] = {}
    for batch, one_by_one in zip(batches, singly, strict=False):
        if one_by_one:
            for entry in batch:
                known = accepted.get(entry.id)
                if known is not None and known != entry:
                    try:
                        ledger.post(entry)
                    except LedgerConflictError:
                        continue
                    raise AssertionError("a conflicting entry was posted")
                assert ledger.post(entry) == (known is None)
                accepted[entry.id] = entry
        else:
            merged = dict(accepted)
            conflict = False
            for entry in batch:
                known = merged.setdefault(entry.id, entry)
                conflict = conflict or known != entry
            try:
                new = ledger.post_batch(batch)
            except LedgerConflictError:
                assert conflict
            else:
                assert not conflict
                assert new == len(merged) - len(accepted)
                accepted = merged
        assert {e.id: e for e in ledger.entries} == accepted
        for patient in PATIENTS:
            expected = sum(
                (e.signed_amount for e in accepted.values() if e.patient_id == patient), ZERO
            )
            assert ledger.balance(patient) == expected
    aging = ledger.aging(AS_OF)
    for row in aging.itertuples(index=False):
        buckets = row[1:5]
        credit, balance = row[5], row[6]
        assert sum(buckets, ZERO) + credit == balance == ledger.balance(row[0], AS_OF)
        assert all(amount >= 0 for amount in buckets)
        assert credit <= 0
