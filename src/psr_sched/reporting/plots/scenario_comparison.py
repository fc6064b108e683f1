"""Bar chart of KPIs side by side, one group of bars per scenario."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from psr_sched.reporting.plots._axes import axes_or_new, palette


def scenario_comparison(
    frame: pd.DataFrame,
    metric: str | Sequence[str],
    ax: Axes | None = None,
) -> Axes:
    """Compare scenarios on one KPI, or several side by side.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per scenario: a ``scenario`` column and numeric KPI columns (such as the
        values of :meth:`Result.summary() <psr_sched.result.Result.summary>` or the
        ``"all"`` row of :func:`~psr_sched.reporting.access_wait`, one per scenario).
    metric : str or sequence of str
        The KPI column(s) to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's when left out.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: scenarios along the x axis in frame order, one bar per metric,
        each bar labelled with its value.

    Raises
    ------
    ValueError
        If a column is missing, a metric is not numeric, or a scenario repeats.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if not metrics:
        raise ValueError("metric: give at least one column")
    missing = [c for c in ("scenario", *metrics) if c not in frame.columns]
    if missing:
        raise ValueError(f"scenario frame: missing column(s) {', '.join(missing)}")
    repeated = frame["scenario"][frame["scenario"].duplicated()].astype(str).unique()
    if len(repeated):
        raise ValueError(f"scenario frame: scenario {repeated[0]} appears more than once")
    for name in metrics:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            raise ValueError(f"scenario frame: column {name} is not numeric")
    ax = axes_or_new(ax)
    labels = [str(s) for s in frame["scenario"]]
    positions = np.arange(len(labels), dtype=float)
    width = 0.8 / len(metrics)
    colors = palette(metrics)
    for k, name in enumerate(metrics):
        heights = pd.to_numeric(frame[name]).to_numpy(dtype=float)
        offset = (k - (len(metrics) - 1) / 2) * width
        bars = ax.bar(positions + offset, heights, width, label=name, color=colors[name])
        ax.bar_label(bars, fmt="{:,.4g}", fontsize="small")
    ax.set_xticks(positions, labels=labels)
    ax.set_xlabel("scenario")
    if len(metrics) == 1:
        ax.set_ylabel(metrics[0].replace("_", " "))
        ax.set_title(f"{metrics[0].replace('_', ' ').capitalize()} by scenario")
    else:
        ax.legend()
        ax.set_title("Scenarios compared")
    return ax
