"""Gantt chart of one day's visits, one row per room, with turnover after each visit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from matplotlib.axes import Axes

from psr_sched.problem import Problem
from psr_sched.reporting.plots._axes import axes_or_new
from psr_sched.reporting.plots._gantt import Bar, draw, grain_span, plot_day
from psr_sched.reporting.schedule import Schedule, visits
from psr_sched.solver.candidates import room_pools


def room_gantt(
    problem: Problem,
    schedule: Schedule,
    ax: Axes | None = None,
    *,
    day: dt.date | None = None,
) -> Axes:
    """Plot one day's visits per room, coloured by visit type, over the rooms' open hours.

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
        The Axes drawn on: one row per room open or used that day (problem order), open
        hours as pale bands, each visit's turnover as a grey hatched bar after it.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    """
    booked = visits(problem, schedule)
    day = plot_day(problem, booked, day)
    hours: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    if day in problem.horizon.dates:
        d_index = problem.horizon.dates.index(day)
        for pool in room_pools(problem):
            for r_index in pool.rooms:
                for s, e in pool.open_spans[d_index]:
                    hours[problem.rooms[r_index].id].append(grain_span(problem, s, e))
    turnover = {r.id: dt.timedelta(minutes=r.turnover_minutes) for r in problem.rooms}
    bars: list[Bar] = []
    for v in booked:
        if v.day != day or v.room_id is None:
            continue
        bars.append(Bar(v.room_id, v.start, v.end, v.request.visit_type))
        if turnover[v.room_id]:
            ready = (v.end.astimezone(dt.UTC) + turnover[v.room_id]).astimezone(v.end.tzinfo)
            bars.append(Bar(v.room_id, v.end, ready))
    present = set(hours) | {bar.row for bar in bars}
    rows = [r.id for r in problem.rooms if r.id in present]
    return draw(
        axes_or_new(ax, (10.0, 1.0 + 0.3 * max(1, len(rows)))),
        problem,
        day,
        rows,
        hours,
        bars,
        f"Rooms, {day.isoformat()}",
    )
