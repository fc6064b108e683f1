"""Column builders shared by the report frames: stable dtypes in one place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd


def aware(values: Sequence[dt.datetime | None], zone: str) -> pd.Series:
    """A ``datetime64[ns, zone]`` column (``None`` becomes ``NaT``)."""
    column = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True)
    return column.dt.tz_convert(zone).dt.as_unit("ns")


def category(values: Sequence[str | None], categories: Sequence[str]) -> pd.Categorical:
    """A categorical column with the given categories, in that order."""
    return pd.Categorical(list(values), categories=list(dict.fromkeys(categories)))


def counts(values: Sequence[int | None]) -> pd.Series:
    """An ``Int64`` column (``None`` becomes ``<NA>``)."""
    return pd.Series(list(values), dtype="Int64")


def floats(values: Sequence[float | None]) -> pd.Series:
    """A ``float64`` column (``None`` becomes ``NaN``)."""
    return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")


def dates(values: Sequence[dt.date]) -> pd.Series:
    """A column of ``datetime.date`` objects (``object`` dtype), as the billing worklist."""
    return pd.Series(list(values), dtype=object)


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero."""
    return numerator / denominator if denominator else None
