"""Gantt chart of one day's visits, one row per provider."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from matplotlib.axes import Axes

from psr_sched.problem import Problem
from psr_sched.reporting.plots._axes import axes_or_new
from psr_sched.reporting.plots._gantt import Bar, draw, grain_span, plot_day
from psr_sched.reporting.schedule import Schedule, visits
from psr_sched.solver.candidates import provider_blocks


def provider_gantt(
    problem: Problem,
    schedule: Schedule,
    ax: Axes | None = None,
    *,
    day: dt.date | None = None,
) -> Axes:
    """Plot one day's visits per provider, coloured by visit type, over their sessions.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's when left out.
    day : datetime.date, optional
        Local date to draw; the first date with a visit by default.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one row per provider with a session or a visit that day (problem
        order), sessions as pale bands, local times on the x axis.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    """
    booked = visits(problem, schedule)
    day = plot_day(problem, booked, day)
    sessions: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    if day in problem.horizon.dates:
        d_index = problem.horizon.dates.index(day)
        for block in provider_blocks(problem):
            if block.day == d_index:
                provider_id = problem.providers[block.provider].id
                sessions[provider_id].append(grain_span(problem, block.start, block.end))
    bars = [
        Bar(v.provider_id, v.start, v.end, v.request.visit_type) for v in booked if v.day == day
    ]
    present = set(sessions) | {bar.row for bar in bars}
    rows = [p.id for p in problem.providers if p.id in present]
    return draw(
        axes_or_new(ax, (10.0, 1.0 + 0.3 * max(1, len(rows)))),
        problem,
        day,
        rows,
        sessions,
        bars,
        f"Providers, {day.isoformat()}",
    )
