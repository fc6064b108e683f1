"""Expected time-of-service collections per day, from the billing worklist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from psr_sched.billing.worklist import COLLECTION_COLUMNS
from psr_sched.domain.money import ZERO
from psr_sched.reporting._columns import counts, dates

__all__ = ["COLLECTIONS_BY_DAY_COLUMNS", "collections_by_day"]

COLLECTIONS_BY_DAY_COLUMNS = [
    "date",
    "visits",
    "patients",
    "expected_patient_amount",
    "prior_balance",
]


def collections_by_day(worklist: pd.DataFrame) -> pd.DataFrame:
    """What check-in should collect each day: patient shares and prior balances.

    Parameters
    ----------
    worklist : pandas.DataFrame
        A collection worklist (:func:`~psr_sched.billing.collection_worklist`, or the
        ``collections.csv`` of ``psr-sched demo`` with amounts read as ``Decimal``):
        columns :data:`~psr_sched.billing.COLLECTION_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per date with visits, in date order; columns
        :data:`COLLECTIONS_BY_DAY_COLUMNS`:

        ``date`` (``datetime.date``)
            Local date.
        ``visits``, ``patients`` (Int64)
            Visits of the date and distinct patients among them.
        ``expected_patient_amount`` (``Decimal``, object)
            Sum of the visits' estimated patient shares, exact cents.
        ``prior_balance`` (``Decimal``, object)
            Sum of the prior balances shown that date (once per patient and date, as the
            worklist shows them; credits are negative).

    Raises
    ------
    ValueError
        If a column is missing or an amount is not a ``Decimal``.
    """
    missing = [c for c in COLLECTION_COLUMNS if c not in worklist.columns]
    if missing:
        raise ValueError(f"collection worklist: missing column(s) {', '.join(missing)}")
    totals: dict[dt.date, tuple[int, set[str], Decimal, Decimal]] = {}
    rows = zip(
        worklist["date"],
        worklist["patient_id"],
        worklist["expected_patient_amount"],
        worklist["prior_balance"],
        strict=True,
    )
    for number, (day, patient, expected, prior) in enumerate(rows, start=1):
        for name, amount in (("expected_patient_amount", expected), ("prior_balance", prior)):
            if not isinstance(amount, Decimal):
                raise ValueError(f"collection worklist row {number}: {name}: not a Decimal")
        visits, patients, expected_sum, prior_sum = totals.get(day, (0, set(), ZERO, ZERO))
        patients.add(str(patient))
        totals[day] = (visits + 1, patients, expected_sum + expected, prior_sum + prior)
    days = sorted(totals)
    return pd.DataFrame(
        {
            "date": dates(days),
            "visits": counts([totals[d][0] for d in days]),
            "patients": counts([len(totals[d][1]) for d in days]),
            "expected_patient_amount": pd.Series([totals[d][2] for d in days], dtype=object),
            "prior_balance": pd.Series([totals[d][3] for d in days], dtype=object),
        },
        columns=COLLECTIONS_BY_DAY_COLUMNS,
    )
