"""Plots of a schedule and its KPI frames, one function per module, each drawing on ``ax``.

Each function takes ``ax=None`` (a new figure's Axes when left out), draws, and returns the
Axes; none calls ``show``.  Save with ``ax.figure.savefig(path)``.

* :func:`provider_gantt`, :func:`room_gantt` — one day's visits per provider or room.
* :func:`utilization_heatmap` — a utilization frame, resources by dates.
* :func:`access_wait_histogram` — waits of the scheduled visits.
* :func:`scenario_comparison` — KPIs of several scenarios side by side.
"""

from psr_sched.reporting.plots.access_wait_histogram import access_wait_histogram
from psr_sched.reporting.plots.provider_gantt import provider_gantt
from psr_sched.reporting.plots.room_gantt import room_gantt
from psr_sched.reporting.plots.scenario_comparison import scenario_comparison
from psr_sched.reporting.plots.utilization_heatmap import utilization_heatmap

__all__ = [
    "access_wait_histogram",
    "provider_gantt",
    "room_gantt",
    "scenario_comparison",
    "utilization_heatmap",
]
