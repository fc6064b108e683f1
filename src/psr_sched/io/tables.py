"""The one reader of a user's CSV files: every cell a string, columns checked, clear errors."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from psr_sched.errors import ProblemError
from psr_sched.io.text import read_text

__all__ = ["read_csv_strings"]


def read_csv_strings(
    path: str | os.PathLike[str], required: Iterable[str] = (), *, label: str | None = None
) -> pd.DataFrame:
    """A CSV file as a frame of strings (nothing parsed, empty cells as ``""``).

    Parameters
    ----------
    path : str or path-like
        The file, UTF-8 (read by :func:`psr_sched.io.read_text`).
    required : iterable of str, optional
        Columns that must be present; names are compared after stripping spaces.
    label : str, optional
        How messages name the file; default the path as given.

    Raises
    ------
    ProblemError
        If the file cannot be read, is not UTF-8, is empty or malformed, repeats a column
        or lacks a required one.  Cell values are never echoed.
    """
    name = str(path) if label is None else label
    text = read_text(Path(path), label=name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise ProblemError(f"{name}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise ProblemError(f"{name}: malformed CSV: {exc}") from None
    columns = [str(c).strip() for c in frame.columns]
    # pandas renames a repeated header "a" to "a.1": compare against the header line itself.
    header = [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ProblemError(f"{name}: column(s) {', '.join(repeated)} appear more than once")
    frame.columns = columns
    missing = [c for c in required if c not in columns]
    if missing:
        raise ProblemError(f"{name}: missing column(s) {', '.join(missing)}")
    return frame
