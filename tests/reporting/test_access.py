"""Access wait by visit type, priority and payer class; the equity view by bands only."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from psr_sched.intake import Patient
from psr_sched.reporting import (
    ACCESS_WAIT_COLUMNS,
    EQUITY_COLUMNS,
    PAYER_CLASSES,
    access_wait,
    age_band,
    equity_access_wait,
    payer_class,
)

from .clinic import PROBLEM, result, schedule


def rows(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(dimension, group) → (requests, scheduled, unscheduled, median, p90)."""
    out = {}
    for record in frame.to_dict("records"):
        median, p90 = record["median_wait_minutes"], record["p90_wait_minutes"]
        out[(record["dimension"], record["group"])] = (
            record["requests"],
            record["scheduled"],
            record["unscheduled"],
            None if math.isnan(median) else median,
            None if math.isnan(p90) else p90,
        )
    return out


def test_access_wait_by_visit_type_priority_and_payer_class() -> None:
    frame = access_wait(PROBLEM, schedule())
    assert list(frame.columns) == ACCESS_WAIT_COLUMNS
    # Waits 0, 60, 120: median 60; 90th percentile 60 + 0.8 × 60 = 108 (linear).
    assert rows(frame) == {
        ("all", "all"): (4, 3, 1, 60.0, 108.0),
        ("visit_type", "V30"): (3, 2, 1, 30.0, 54.0),
        ("visit_type", "TEL"): (1, 1, 0, 120.0, 120.0),
        ("priority", "1"): (3, 2, 1, 60.0, 108.0),
        ("priority", "5"): (1, 1, 0, 60.0, 60.0),
        ("payer_class", "commercial"): (1, 1, 0, 60.0, 60.0),
        ("payer_class", "medicare"): (1, 1, 0, 0.0, 0.0),
        ("payer_class", "medicaid"): (1, 0, 1, None, None),
        ("payer_class", "self-pay"): (1, 1, 0, 120.0, 120.0),
    }
    assert list(frame["dimension"].cat.categories) == [
        "all",
        "visit_type",
        "priority",
        "payer_class",
    ]
    for column in ("requests", "scheduled", "unscheduled"):
        assert frame[column].dtype == "Int64"
    assert frame["median_wait_minutes"].dtype == "float64"


def test_payer_classes_can_be_overridden() -> None:
    frame = access_wait(PROBLEM, result(), payer_classes={"bcbs": "other"})
    groups = set(frame.loc[frame["dimension"] == "payer_class", "group"])
    assert groups == {"other", "medicare", "medicaid", "self-pay"}
    with pytest.raises(ValueError, match="payer BCBS: class 'private'"):
        access_wait(PROBLEM, result(), payer_classes={"BCBS": "private"})


def test_payer_class_defaults() -> None:
    assert payer_class(None) == "self-pay"
    assert payer_class("medicare") == "medicare"
    assert payer_class("AETNA") == "commercial"
    assert payer_class("ACME_HEALTH") == "other"
    assert set(PAYER_CLASSES) == {"commercial", "medicare", "medicaid", "self-pay", "other"}


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (dt.date(2008, 12, 8), "0-17"),  # turns 18 the day after
        (dt.date(2008, 12, 7), "18-34"),
        (dt.date(1961, 12, 7), "65-74"),
        (dt.date(1951, 12, 8), "65-74"),
        (dt.date(1951, 12, 7), "75+"),
    ],
)
def test_age_band(born: dt.date, band: str) -> None:
    assert age_band(born, dt.date(2026, 12, 7)) == band


def patient(pid: str, born: dt.date, language: str) -> Patient:
    return Patient.model_validate(
        {
            "id": pid,
            "family_name": "Zellweger",
            "given_name": "Marisol",
            "birth_date": born,
            "preferred_language": language,
        }
    )


PATIENTS = [
    patient("pt-R1", dt.date(1950, 1, 1), "es-MX"),  # 76
    patient("pt-R2", dt.date(2000, 12, 8), "en"),  # 25
    patient("pt-R3", dt.date(2015, 6, 1), "zh-Hant"),  # 11
]


def test_equity_without_patients_has_payer_class_only() -> None:
    frame = equity_access_wait(PROBLEM, schedule())
    assert list(frame.columns) == EQUITY_COLUMNS
    assert set(frame["dimension"]) == {"all", "payer_class"}
    gaps = dict(zip(frame["group"], frame["median_gap_minutes"], strict=True))
    assert gaps["all"] == 0.0
    assert gaps["self-pay"] == 60.0  # 120 against the clinic's median of 60
    assert gaps["medicare"] == -60.0
    assert math.isnan(gaps["medicaid"])


def test_equity_with_patients_by_language_and_age_band() -> None:
    frame = equity_access_wait(PROBLEM, result(), PATIENTS)
    got = rows(frame)
    assert got[("language", "es")] == (1, 1, 0, 0.0, 0.0)
    assert got[("language", "en")] == (1, 1, 0, 60.0, 60.0)
    assert got[("language", "zh")] == (1, 1, 0, 120.0, 120.0)
    assert got[("language", "unknown")] == (1, 0, 1, None, None)  # R4 has no record
    assert got[("age_band", "75+")] == (1, 1, 0, 0.0, 0.0)
    assert got[("age_band", "18-34")] == (1, 1, 0, 60.0, 60.0)
    assert got[("age_band", "0-17")] == (1, 1, 0, 120.0, 120.0)
    assert got[("age_band", "unknown")] == (1, 0, 1, None, None)
    languages = list(frame.loc[frame["dimension"] == "language", "group"])
    assert languages == ["en", "es", "zh", "unknown"]
    bands = list(frame.loc[frame["dimension"] == "age_band", "group"])
    assert bands == ["0-17", "18-34", "75+", "unknown"]


def test_equity_never_shows_names_or_birth_dates() -> None:
    text = equity_access_wait(PROBLEM, result(), PATIENTS).to_csv(index=False)
    for secret in ("Zellweger", "Marisol", "1950", "2000-12-08", "2015", "pt-R"):
        assert secret not in text
