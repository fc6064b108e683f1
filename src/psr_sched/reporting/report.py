"""The report of a written schedule: every KPI frame as CSV, every plot as PNG, written at once.

:func:`read_schedule_dir` reads what ``psr-sched solve`` or ``psr-sched demo`` wrote,
:func:`render_report` renders every file in memory, and :func:`write_report` moves them
into place together, so bad input or a failed plot leaves no half-written report.  The
command ``psr-sched report PROBLEM.json SCHEDULE_DIR --out DIR`` is these three calls.

Files
-----
CSV (timezone-aware moments as ISO 8601 with their UTC offset, dates as ISO dates, amounts
in exact cents):

``provider_utilization.csv``, ``room_utilization.csv``, ``idle_gaps.csv``,
``access_wait.csv``, ``equity_access_wait.csv``, ``third_next_available.csv``,
``unscheduled_by_reason.csv``, ``front_desk_load.csv``, and ``collections_by_day.csv`` when
a collection worklist is given (``collections.csv`` in the schedule folder).

PNG:

``provider_utilization.png`` and ``room_utilization.png`` (heatmaps; the room one only when
the clinic has rooms), ``access_wait_histogram.png``, and for each date with a visit (the
first open date when there is none) ``provider_gantt_YYYY-MM-DD.png`` and, with rooms,
``room_gantt_YYYY-MM-DD.png``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from psr_sched.billing.worklist import COLLECTION_COLUMNS
from psr_sched.domain.money import parse_money
from psr_sched.errors import ProblemError
from psr_sched.io.tables import read_csv_strings
from psr_sched.problem import Problem
from psr_sched.reporting.access import access_wait, equity_access_wait
from psr_sched.reporting.collections_by_day import collections_by_day
from psr_sched.reporting.front_desk import front_desk_load
from psr_sched.reporting.plots import (
    access_wait_histogram,
    provider_gantt,
    room_gantt,
    utilization_heatmap,
)
from psr_sched.reporting.schedule import Schedule, schedule_frame
from psr_sched.reporting.tnaa import third_next_available
from psr_sched.reporting.unscheduled import unscheduled_counts
from psr_sched.reporting.utilization import idle_gaps, provider_utilization, room_utilization
from psr_sched.result import UNSCHEDULED_COLUMNS
from psr_sched.validate import read_schedule_csv

__all__ = ["ScheduleFolder", "frame_csv", "read_schedule_dir", "render_report", "write_report"]

_DPI = 100


@dataclass(frozen=True, slots=True)
class ScheduleFolder:
    """What :func:`read_schedule_dir` found in a schedule folder.

    Attributes
    ----------
    schedule : pandas.DataFrame
        ``schedule.csv``, as :func:`~psr_sched.validate.read_schedule_csv` reads it.
    unscheduled : pandas.DataFrame or None
        ``unscheduled.csv`` (``request_id``, ``reason``, ``message``), if present.
    worklist : pandas.DataFrame or None
        ``collections.csv`` (the collection worklist of ``psr-sched demo``) with dates as
        ``datetime.date``, amounts as ``Decimal`` and ``verify_coverage`` as ``bool`` (all
        ``False`` for a file written before that column), if present.
    """

    schedule: pd.DataFrame
    unscheduled: pd.DataFrame | None = None
    worklist: pd.DataFrame | None = None


# Added after the first release: a collections.csv without it is read as all False.
_OPTIONAL_WORKLIST_COLUMNS = ("verify_coverage",)
_FLAGS = {"true": True, "false": False}


def _read_worklist(path: Path) -> pd.DataFrame:
    required = [c for c in COLLECTION_COLUMNS if c not in _OPTIONAL_WORKLIST_COLUMNS]
    frame = read_csv_strings(path, required)
    if "verify_coverage" not in frame.columns:
        frame["verify_coverage"] = "False"
    days: list[dt.date] = []
    amounts: dict[str, list[object]] = {"expected_patient_amount": [], "prior_balance": []}
    flags: list[bool] = []
    for i, record in enumerate(frame.to_dict("records")):
        where = f"{path.name}: row {i + 1} (line {i + 2})"
        try:
            days.append(dt.date.fromisoformat(str(record["date"]).strip()))
        except ValueError:
            raise ProblemError(f"{where}, column date: is not an ISO date") from None
        for column, values in amounts.items():
            try:
                values.append(parse_money(str(record[column])))
            except ValueError as exc:
                raise ProblemError(f"{where}, column {column}: {exc}") from None
        flag = _FLAGS.get(str(record["verify_coverage"]).strip().lower())
        if flag is None:
            raise ProblemError(f"{where}, column verify_coverage: is not True or False")
        flags.append(flag)
    frame["date"] = pd.Series(days, dtype=object)
    for column, values in amounts.items():
        frame[column] = pd.Series(values, dtype=object)
    frame["verify_coverage"] = pd.Series(flags, dtype=bool)
    return frame[COLLECTION_COLUMNS]


def read_schedule_dir(folder: str | Path, problem: Problem) -> ScheduleFolder:
    """Read ``schedule.csv`` and, when present, ``unscheduled.csv`` and ``collections.csv``.

    Parameters
    ----------
    folder : str or Path
        A folder written by ``psr-sched solve --out`` or ``psr-sched demo --out``.
    problem : Problem
        The problem the schedule answers.

    Returns
    -------
    ScheduleFolder

    Raises
    ------
    ProblemError
        If the folder or ``schedule.csv`` is missing, or a file is unreadable or lacks a
        column; the message names the file, the row and the column.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ProblemError(f"{folder}: not a folder")
    schedule = read_schedule_csv(folder / "schedule.csv", problem)
    unscheduled_path = folder / "unscheduled.csv"
    unscheduled = (
        read_csv_strings(unscheduled_path, UNSCHEDULED_COLUMNS[:2])
        if unscheduled_path.is_file()
        else None
    )
    worklist_path = folder / "collections.csv"
    worklist = _read_worklist(worklist_path) if worklist_path.is_file() else None
    return ScheduleFolder(schedule=schedule, unscheduled=unscheduled, worklist=worklist)


def frame_csv(frame: pd.DataFrame) -> str:
    """A frame as CSV text, timezone-aware moments written as ISO 8601 with their offset."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = pd.Series(
                [None if pd.isna(t) else t.isoformat() for t in out[column]],
                index=out.index,
                dtype=object,
            )
    return out.to_csv(index=False)


def _png(
    draw: Callable[[Axes], Axes], size: tuple[float, float], *, fit_rows: bool = False
) -> bytes:
    """Draw on the Axes of a new figure (no pyplot, no window) and return the PNG bytes.

    With ``fit_rows`` the height follows the rows drawn (one per y tick), as for a Gantt
    chart that shows only the resources working that day.
    """
    figure = Figure(figsize=size, layout="constrained")
    ax = draw(figure.add_subplot())
    if fit_rows:
        figure.set_size_inches(size[0], 1.2 + 0.3 * max(1, len(ax.get_yticks())))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def render_report(
    problem: Problem,
    schedule: Schedule,
    *,
    unscheduled: pd.DataFrame | None = None,
    worklist: pd.DataFrame | None = None,
    payer_classes: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Render every report file in memory (see the module docstring for the files).

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    unscheduled : pandas.DataFrame, optional
        Unscheduled requests with reasons (see
        :func:`~psr_sched.reporting.unscheduled_counts`).
    worklist : pandas.DataFrame, optional
        A collection worklist; adds ``collections_by_day.csv``.
    payer_classes : mapping of str to str, optional
        Payer → class for the access and equity frames.

    Returns
    -------
    dict of str to bytes
        File name → content, CSV files first.

    Raises
    ------
    ProblemError
        If the schedule or the unscheduled list does not fit the problem.
    """
    table = schedule_frame(problem, schedule)
    providers = provider_utilization(problem, table)
    rooms = room_utilization(problem, table)
    frames = {
        "provider_utilization.csv": providers,
        "room_utilization.csv": rooms,
        "idle_gaps.csv": idle_gaps(problem, table),
        "access_wait.csv": access_wait(problem, table, payer_classes=payer_classes),
        "equity_access_wait.csv": equity_access_wait(problem, table, payer_classes=payer_classes),
        "third_next_available.csv": third_next_available(problem, table),
        "unscheduled_by_reason.csv": unscheduled_counts(problem, schedule, unscheduled),
        "front_desk_load.csv": front_desk_load(problem, table),
    }
    if worklist is not None:
        frames["collections_by_day.csv"] = collections_by_day(worklist)
    files = {name: frame_csv(frame).encode("utf-8") for name, frame in frames.items()}

    n_dates = len(problem.horizon.dates)
    files["provider_utilization.png"] = _png(
        lambda ax: utilization_heatmap(providers, ax),
        (2.5 + 1.2 * n_dates, 1.5 + 0.3 * len(problem.providers)),
    )
    if problem.rooms:
        files["room_utilization.png"] = _png(
            lambda ax: utilization_heatmap(rooms, ax),
            (2.5 + 1.2 * n_dates, 1.5 + 0.3 * len(problem.rooms)),
        )
    files["access_wait_histogram.png"] = _png(
        lambda ax: access_wait_histogram(table, ax), (8.0, 4.5)
    )
    days = sorted({t.date() for t in table["start"]}) or [problem.horizon.dates[0]]
    for day in days:

        def providers_on(ax: Axes, day: dt.date = day) -> Axes:
            return provider_gantt(problem, table, ax, day=day)

        def rooms_on(ax: Axes, day: dt.date = day) -> Axes:
            return room_gantt(problem, table, ax, day=day)

        files[f"provider_gantt_{day.isoformat()}.png"] = _png(
            providers_on, (12.0, 6.0), fit_rows=True
        )
        if problem.rooms:
            files[f"room_gantt_{day.isoformat()}.png"] = _png(rooms_on, (12.0, 6.0), fit_rows=True)
    return files


def write_report(out: str | Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write rendered files into ``out`` together.

    The files are written to a temporary folder beside ``out`` and then moved into place,
    as :func:`psr_sched.cli.write_outputs` does; other files in ``out`` are left alone.

    Parameters
    ----------
    out : str or Path
        The report folder; created if missing.
    files : mapping of str to bytes
        File name → content, as :func:`render_report` returns.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        If a name is not a plain file name.
    OSError
        If the folder cannot be written.
    """
    for name in files:
        if name in ("", ".", "..") or Path(name).name != name:
            raise ValueError(f"report file {name!r}: not a plain file name")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        out.mkdir(exist_ok=True)
        for name in files:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in files]
