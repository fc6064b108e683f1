"""Expected time-of-service collections per day, in exact cents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from psr_sched.billing import COLLECTION_COLUMNS
from psr_sched.reporting import COLLECTIONS_BY_DAY_COLUMNS, collections_by_day

D = Decimal
MONDAY, TUESDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


def worklist() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            (MONDAY, "A", "R1", D("25.00"), D("120.50"), False),
            (MONDAY, "A", "R2", D("0.10"), D("0.00"), False),
            (MONDAY, "B", "R3", D("0.20"), D("-15.00"), True),
            (TUESDAY, "A", "R4", D("40.00"), D("120.50"), False),
        ],
        columns=COLLECTION_COLUMNS,
    )
    return frame.astype(object)


def test_sums_per_day_are_exact() -> None:
    frame = collections_by_day(worklist())
    assert list(frame.columns) == COLLECTIONS_BY_DAY_COLUMNS
    assert list(frame["date"]) == [MONDAY, TUESDAY]
    assert list(frame["visits"]) == [3, 1]
    assert list(frame["patients"]) == [2, 1]
    assert list(frame["expected_patient_amount"]) == [D("25.30"), D("40.00")]
    assert list(frame["prior_balance"]) == [D("105.50"), D("120.50")]
    assert frame["visits"].dtype == "Int64"
    assert frame.to_csv(index=False).splitlines()[1] == "2026-12-07,3,2,25.30,105.50"


def test_empty_and_bad_worklists() -> None:
    empty = collections_by_day(worklist().iloc[0:0])
    assert empty.empty and list(empty.columns) == COLLECTIONS_BY_DAY_COLUMNS
    with pytest.raises(ValueError, match="missing column"):
        collections_by_day(worklist().drop(columns="prior_balance"))
    floats = worklist()
    floats["expected_patient_amount"] = 25.0
    with pytest.raises(ValueError, match="row 1: expected_patient_amount: not a Decimal"):
        collections_by_day(floats)
