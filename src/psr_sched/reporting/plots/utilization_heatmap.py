"""Heatmap of utilization: resources down, dates across."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from psr_sched.reporting.plots._axes import axes_or_new

_ID_COLUMNS = ("provider_id", "room_id")
_ANNOTATE_LIMIT = 300  # cells; more and the numbers are unreadable


def utilization_heatmap(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    *,
    value: str = "utilization",
) -> Axes:
    """Plot a utilization frame as a heatmap, one row per resource and one column per date.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`~psr_sched.reporting.provider_utilization` or
        :func:`~psr_sched.reporting.room_utilization`: a ``provider_id`` or ``room_id``
        column, ``date`` and ``value``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's when left out.
    value : str
        Column to colour by, a share (0 to 1 and beyond for overbooking).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, with a colour bar; cells without capacity are blank, and
        small grids carry their percentages.

    Raises
    ------
    ValueError
        If the frame lacks an id column, ``date`` or ``value``.
    """
    id_column = next((c for c in _ID_COLUMNS if c in frame.columns), None)
    missing = [c for c in ("date", value) if c not in frame.columns]
    if id_column is None or missing:
        need = ", ".join(missing + ([] if id_column else ["provider_id or room_id"]))
        raise ValueError(f"utilization frame: missing column(s) {need}")
    grid = frame.pivot_table(
        index=id_column, columns="date", values=value, aggfunc="mean", observed=True, sort=True
    )
    cells = grid.to_numpy(dtype=float)
    ax = axes_or_new(ax, (2.0 + 1.2 * max(1, grid.shape[1]), 1.5 + 0.3 * max(1, grid.shape[0])))
    top = max(1.0, float(np.nanmax(cells))) if np.isfinite(cells).any() else 1.0
    image = ax.imshow(
        np.ma.masked_invalid(cells), aspect="auto", cmap="viridis", vmin=0.0, vmax=top
    )
    ax.figure.colorbar(image, ax=ax, label=value.replace("_", " "))
    ax.set_xticks(range(grid.shape[1]), labels=[str(d) for d in grid.columns], rotation=45)
    ax.set_yticks(range(grid.shape[0]), labels=[str(i) for i in grid.index])
    ax.set_xlabel("date")
    ax.set_ylabel(id_column.removesuffix("_id"))
    if cells.size <= _ANNOTATE_LIMIT:
        for (i, j), share in np.ndenumerate(cells):
            if np.isfinite(share):
                color = "black" if share > 0.6 * top else "white"
                ax.text(j, i, f"{share:.0%}", ha="center", va="center", fontsize=7, color=color)
    ax.set_title(f"{value.replace('_', ' ').capitalize()} by {id_column.removesuffix('_id')}")
    return ax
