"""Billing facts around a schedule: fee schedules, patient-share estimates, ledger, collections.

* :mod:`~psr_sched.domain.money` — amounts as ``Decimal`` whole cents, never floats, and the
  one rounding rule (half up to cents, applied once, to the coinsurance of an estimate).
* :mod:`~psr_sched.billing.fees` — :class:`FeeSchedule` read from CSV with
  :func:`read_fee_schedule_csv`: charge, self-pay price and allowed amount per payer.
* :mod:`~psr_sched.billing.benefits` — :class:`PatientBenefits`: copay and coinsurance per
  visit type, deductible and out-of-pocket room left.
* :mod:`~psr_sched.billing.estimate` — :func:`estimate_visit` and :func:`estimate_schedule`:
  copay, then deductible, then coinsurance, capped by the out-of-pocket maximum, carried
  through a patient's visits in schedule order, with an explanation a PSR reads aloud.
* :mod:`~psr_sched.billing.worklist` — :func:`collection_worklist`: what to collect at
  check-in, per day and visit.
* :mod:`~psr_sched.billing.ledger` — :class:`Ledger`: idempotent posting by entry id,
  balances, aging buckets.
"""

from psr_sched.billing.benefits import CostShare, PatientBenefits
from psr_sched.billing.errors import BillingError, LedgerConflictError
from psr_sched.billing.estimate import (
    ESTIMATE_COLUMNS,
    Estimate,
    estimate_schedule,
    estimate_self_pay,
    estimate_visit,
    estimates_frame,
)
from psr_sched.billing.fees import (
    FeeEntry,
    FeeSchedule,
    parse_fee_schedule_csv,
    read_fee_schedule_csv,
)
from psr_sched.billing.ledger import (
    AGING_BUCKETS,
    AGING_COLUMNS,
    LEDGER_COLUMNS,
    EntryKind,
    Ledger,
    LedgerEntry,
)
from psr_sched.billing.worklist import COLLECTION_COLUMNS, collection_worklist
from psr_sched.domain.money import (
    CENT,
    ZERO,
    Money,
    NonNegativeMoney,
    Rate,
    format_money,
    format_rate,
    parse_money,
    round_cents,
    to_money,
    to_rate,
)

__all__ = [
    "AGING_BUCKETS",
    "AGING_COLUMNS",
    "CENT",
    "COLLECTION_COLUMNS",
    "ESTIMATE_COLUMNS",
    "LEDGER_COLUMNS",
    "ZERO",
    "BillingError",
    "CostShare",
    "EntryKind",
    "Estimate",
    "FeeEntry",
    "FeeSchedule",
    "Ledger",
    "LedgerConflictError",
    "LedgerEntry",
    "Money",
    "NonNegativeMoney",
    "PatientBenefits",
    "Rate",
    "collection_worklist",
    "estimate_schedule",
    "estimate_self_pay",
    "estimate_visit",
    "estimates_frame",
    "format_money",
    "format_rate",
    "parse_fee_schedule_csv",
    "parse_money",
    "read_fee_schedule_csv",
    "round_cents",
    "to_money",
    "to_rate",
]
