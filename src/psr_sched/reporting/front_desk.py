"""Front-desk arrivals and check-in load per time bin (15 minutes by default).

Each in-person visit with check-in minutes holds one station for those minutes, ending at
the visit's start (the visit type's ``check_in_minutes`` plus the request's
``extra_check_in_minutes``, as the solver and the validator count them); its *arrival* is
the start of that hold.  Stations are those of the front desk's shifts, minute by minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from psr_sched.domain import Horizon
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.reporting._columns import aware, counts, dates, floats, ratio
from psr_sched.reporting.schedule import Schedule, visits

__all__ = ["FRONT_DESK_COLUMNS", "front_desk_load"]

FRONT_DESK_COLUMNS = [
    "date",
    "bin_start",
    "bin_end",
    "arrivals",
    "check_in_minutes",
    "peak_check_ins",
    "stations",
    "station_minutes",
    "desk_load",
    "over_capacity",
]

_Levels = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Bin:
    """One row of the frame."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime
    arrivals: int
    check_in_minutes: int
    peak: int
    stations: int | None
    station_minutes: int | None
    desk_load: float | None
    over_capacity: bool | None


def _local_minute(horizon: Horizon, day: dt.date, time: dt.time) -> int:
    try:
        return horizon.local_minute(day, time)
    except ValueError as exc:
        raise ProblemError(f"front desk: {exc}") from None


def _stations(problem: Problem, length: int) -> _Levels | None:
    """Stations open at each minute from the horizon origin, or ``None`` without a desk."""
    desk = problem.front_desk
    if desk is None:
        return None
    horizon = problem.horizon
    change = np.zeros(length + 1, dtype=np.int64)
    for day in horizon.dates:
        for shift in desk.shifts:
            if shift.weekday is not None and shift.weekday != day.weekday():
                continue
            start = _local_minute(horizon, day, shift.start)
            end = _local_minute(horizon, day, shift.end)
            change[min(max(start, 0), length)] += shift.stations
            change[min(max(end, 0), length)] -= shift.stations
    return np.cumsum(change[:length])


def front_desk_load(problem: Problem, schedule: Schedule, *, bin_minutes: int = 15) -> pd.DataFrame:
    """Check-in arrivals, station-minutes held and peak holds per bin, against stations.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    bin_minutes : int
        Width of a bin; bins are laid from local midnight of each date.

    Returns
    -------
    pandas.DataFrame
        For each open date, the bins from the first to the last minute with a station
        open or a check-in held (none for a date with neither), in time order; columns
        :data:`FRONT_DESK_COLUMNS`:

        ``date`` (``datetime.date``)
            Local date.
        ``bin_start``, ``bin_end`` (timezone-aware)
            The bin; the last one of a date ends at midnight at the latest.
        ``arrivals`` (Int64)
            Check-in holds starting in the bin.
        ``check_in_minutes`` (Int64)
            Station-minutes held in the bin.
        ``peak_check_ins`` (Int64)
            Most holds at one minute of the bin.
        ``stations`` (Int64)
            Fewest stations open at a minute of the bin; ``<NA>`` without a front desk.
        ``station_minutes`` (Int64)
            Station-minutes open in the bin; ``<NA>`` without a front desk.
        ``desk_load`` (float64)
            ``check_in_minutes / station_minutes``; ``NaN`` when no station is open.
        ``over_capacity`` (boolean)
            More holds than open stations at some minute of the bin; ``<NA>`` without a
            front desk.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    ValueError
        If ``bin_minutes`` is not positive.
    """
    if bin_minutes < 1:
        raise ValueError(f"bin_minutes must be positive, got {bin_minutes}")
    horizon = problem.horizon
    length = horizon.day_start_minute(horizon.dates[-1] + dt.timedelta(days=1))
    held = np.zeros(length + 1, dtype=np.int64)
    arriving = np.zeros(length, dtype=np.int64)
    for v in visits(problem, schedule):
        minutes = v.check_in_minutes
        if minutes <= 0:
            continue
        start, end = max(0, v.s - minutes), min(length, v.s)
        if start >= end:
            continue
        held[start] += 1
        held[end] -= 1
        arriving[start] += 1
    holding = np.cumsum(held[:length])
    stations = _stations(problem, length)
    open_now = stations if stations is not None else np.zeros(length, dtype=np.int64)

    bins: list[_Bin] = []
    for day in horizon.dates:
        d0 = horizon.day_start_minute(day)
        d1 = min(length, horizon.day_start_minute(day + dt.timedelta(days=1)))
        active = np.flatnonzero((holding[d0:d1] > 0) | (open_now[d0:d1] > 0))
        if not len(active):
            continue
        lo = d0 + int(active[0]) // bin_minutes * bin_minutes
        hi = min(d1, d0 + -(-(int(active[-1]) + 1) // bin_minutes) * bin_minutes)
        for b0 in range(lo, hi, bin_minutes):
            b1 = min(b0 + bin_minutes, hi)
            load = int(holding[b0:b1].sum())
            capacity = None if stations is None else int(stations[b0:b1].sum())
            bins.append(
                _Bin(
                    date=day,
                    start=horizon.at_minute(b0),
                    end=horizon.at_minute(b1),
                    arrivals=int(arriving[b0:b1].sum()),
                    check_in_minutes=load,
                    peak=int(holding[b0:b1].max()),
                    stations=None if stations is None else int(stations[b0:b1].min()),
                    station_minutes=capacity,
                    desk_load=None if capacity is None else ratio(load, capacity),
                    over_capacity=(
                        None if stations is None else bool((holding[b0:b1] > stations[b0:b1]).any())
                    ),
                )
            )
    zone = horizon.timezone
    return pd.DataFrame(
        {
            "date": dates([b.date for b in bins]),
            "bin_start": aware([b.start for b in bins], zone),
            "bin_end": aware([b.end for b in bins], zone),
            "arrivals": counts([b.arrivals for b in bins]),
            "check_in_minutes": counts([b.check_in_minutes for b in bins]),
            "peak_check_ins": counts([b.peak for b in bins]),
            "stations": counts([b.stations for b in bins]),
            "station_minutes": counts([b.station_minutes for b in bins]),
            "desk_load": floats([b.desk_load for b in bins]),
            "over_capacity": pd.Series([b.over_capacity for b in bins], dtype="boolean"),
        },
        columns=FRONT_DESK_COLUMNS,
    )
