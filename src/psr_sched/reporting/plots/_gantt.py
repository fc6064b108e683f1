"""Drawing shared by the provider and room Gantt charts: one row per resource on one day."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.patches import Patch

from psr_sched.problem import Problem
from psr_sched.reporting.plots._axes import ColorTuple, palette
from psr_sched.reporting.schedule import Visit

_LEGEND_LIMIT = 20  # visit types; beyond that the legend hides the chart


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a row: a visit (coloured by visit type) or a turnover (grey, hatched)."""

    row: str
    start: dt.datetime
    end: dt.datetime
    visit_type: str | None = None


def plot_day(problem: Problem, booked: Sequence[Visit], day: dt.date | None) -> dt.date:
    """The day to draw: ``day``, or the first date with a visit, or the first open date."""
    if day is not None:
        return day
    return min((v.day for v in booked), default=problem.horizon.dates[0])


def grain_span(problem: Problem, start: int, end: int) -> tuple[dt.datetime, dt.datetime]:
    """A span of grains as aware local datetimes."""
    grain = problem.horizon.grain_minutes
    return problem.horizon.at_minute(start * grain), problem.horizon.at_minute(end * grain)


class _Clock:
    """The x axis: elapsed hours from local midnight of the day drawn."""

    def __init__(self, problem: Problem, day: dt.date) -> None:
        self.horizon = problem.horizon
        self.midnight = self.horizon.day_start_minute(day)

    def x(self, moment: dt.datetime) -> float:
        seconds = (moment.astimezone(dt.UTC) - self.horizon.origin).total_seconds()
        return (seconds / 60 - self.midnight) / 60

    def span(self, start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
        return self.x(start), self.x(end) - self.x(start)

    def label(self, hour: int) -> str:
        """Local wall time ``hour`` elapsed hours after midnight (right across DST)."""
        return self.horizon.at_minute(self.midnight + 60 * hour).strftime("%H:%M")


def draw(
    ax: Axes,
    problem: Problem,
    day: dt.date,
    rows: Sequence[str],
    available: Mapping[str, Sequence[tuple[dt.datetime, dt.datetime]]],
    bars: Sequence[Bar],
    title: str,
) -> Axes:
    """Draw the rows: available time as a pale band, visits and turnovers as bars."""
    clock = _Clock(problem, day)
    colors: dict[str, ColorTuple] = palette([v.code for v in problem.visit_types])
    position = {row: i for i, row in enumerate(rows)}
    for row, spans in available.items():
        if row in position and spans:
            ax.broken_barh(
                [clock.span(s, e) for s, e in spans],
                (position[row] - 0.45, 0.9),
                facecolors="#eeeeee",
                edgecolors="none",
            )
    used: list[str] = []
    for bar in bars:
        y = (position[bar.row] - 0.35, 0.7)
        if bar.visit_type is None:
            ax.broken_barh(
                [clock.span(bar.start, bar.end)],
                y,
                facecolors="#bbbbbb",
                edgecolors="none",
                hatch="///",
            )
            continue
        if bar.visit_type not in used:
            used.append(bar.visit_type)
        ax.broken_barh(
            [clock.span(bar.start, bar.end)],
            y,
            facecolors=colors.get(bar.visit_type, "#888888"),
            edgecolors="white",
            linewidth=0.5,
        )
    moments = [m for spans in available.values() for s, e in spans for m in (s, e)]
    moments += [m for bar in bars for m in (bar.start, bar.end)]
    if moments:
        lo, hi = clock.x(min(moments)), clock.x(max(moments))
        hours = range(math.ceil(lo), math.floor(hi) + 1)
        ax.set_xlim(lo, hi)
        ax.set_xticks(list(hours), labels=[clock.label(h) for h in hours])
    ax.set_xlabel(f"local time ({problem.horizon.timezone})")
    ax.set_yticks(range(len(rows)), labels=list(rows))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_title(title)
    ax.grid(axis="x", linewidth=0.5, alpha=0.5)
    ax.set_axisbelow(True)
    if used and len(used) <= _LEGEND_LIMIT:
        order = {code: i for i, code in enumerate(colors)}
        used.sort(key=lambda code: order.get(code, len(order)))
        handles = [Patch(facecolor=colors.get(code, "#888888"), label=code) for code in used]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return ax
