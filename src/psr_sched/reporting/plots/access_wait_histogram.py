"""Histogram of access waits, with the median and the 90th percentile marked."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from psr_sched.reporting.plots._axes import axes_or_new

_MINUTES = {"minutes": 1.0, "hours": 60.0, "days": 1440.0}


def access_wait_histogram(
    schedule: pd.DataFrame,
    ax: Axes | None = None,
    *,
    bins: int = 20,
    unit: Literal["minutes", "hours", "days"] = "days",
) -> Axes:
    """Plot the distribution of access waits of the scheduled visits.

    Parameters
    ----------
    schedule : pandas.DataFrame
        A schedule frame with ``wait_minutes``:
        :meth:`Result.to_frame(problem) <psr_sched.result.Result.to_frame>`,
        :func:`~psr_sched.reporting.schedule_frame` or
        :func:`~psr_sched.validate.read_schedule_csv` of a written ``schedule.csv``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's when left out.
    bins : int
        Number of bins.
    unit : {"minutes", "hours", "days"}
        Unit of the x axis.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; dashed lines mark the median and the 90th percentile (linear
        interpolation, as :func:`~psr_sched.reporting.access_wait`).

    Raises
    ------
    ValueError
        If the frame has no ``wait_minutes`` column or ``unit`` is unknown.
    """
    if "wait_minutes" not in schedule.columns:
        raise ValueError(
            "schedule frame: no wait_minutes column (use result.to_frame(problem) or "
            "psr_sched.reporting.schedule_frame)"
        )
    if unit not in _MINUTES:
        raise ValueError(f"unit must be minutes, hours or days, got {unit!r}")
    waits = pd.to_numeric(schedule["wait_minutes"], errors="coerce").dropna()
    values = waits.to_numpy(dtype=float) / _MINUTES[unit]
    ax = axes_or_new(ax)
    ax.set_title("Access wait of scheduled visits")
    ax.set_xlabel(f"wait from earliest ({unit})")
    ax.set_ylabel("visits")
    if not len(values):
        ax.text(0.5, 0.5, "no scheduled visit", ha="center", va="center", transform=ax.transAxes)
        return ax
    ax.hist(values, bins=bins, color="#4c72b0", edgecolor="white")
    median, p90 = np.percentile(values, [50, 90])
    ax.axvline(float(median), color="black", linestyle="--", label=f"median {median:.1f}")
    ax.axvline(float(p90), color="#c44e52", linestyle="--", label=f"90th percentile {p90:.1f}")
    ax.legend()
    return ax
