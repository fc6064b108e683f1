"""Utilization of providers and rooms per day, and providers' idle gaps.

Capacity comes from the solver's own calendars
(:func:`~psr_sched.solver.candidates.provider_blocks` and
:func:`~psr_sched.solver.candidates.room_pools`): a provider's session minutes less
unavailable time, a room's open minutes less closures, on each open date, on the
horizon's grain (session edges off the grain are rounded inward, as for booking).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from psr_sched.problem import Problem
from psr_sched.reporting._columns import aware, category, counts, dates, floats, ratio
from psr_sched.reporting.schedule import Schedule, Visit, visits
from psr_sched.solver.candidates import provider_blocks, room_pools

__all__ = [
    "IDLE_GAP_COLUMNS",
    "PROVIDER_UTILIZATION_COLUMNS",
    "ROOM_UTILIZATION_COLUMNS",
    "idle_gaps",
    "provider_utilization",
    "room_utilization",
]

PROVIDER_UTILIZATION_COLUMNS = [
    "provider_id",
    "date",
    "available_minutes",
    "booked_minutes",
    "visits",
    "utilization",
]
ROOM_UTILIZATION_COLUMNS = [
    "room_id",
    "room_kind",
    "date",
    "open_minutes",
    "booked_minutes",
    "turnover_minutes",
    "visits",
    "utilization",
]
IDLE_GAP_COLUMNS = [
    "provider_id",
    "date",
    "first_start",
    "last_end",
    "span_minutes",
    "busy_minutes",
    "idle_gap_minutes",
    "gaps",
]


def _report_dates(problem: Problem, booked: list[Visit]) -> list[dt.date]:
    """Open dates, and any other date a visit falls on (an invalid schedule's)."""
    return sorted(set(problem.horizon.dates) | {v.day for v in booked})


def provider_utilization(problem: Problem, schedule: Schedule) -> pd.DataFrame:
    """Booked over available minutes of every provider on every open date.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).

    Returns
    -------
    pandas.DataFrame
        One row per provider and date (every provider, every open date), in the
        problem's provider order then by date; columns
        :data:`PROVIDER_UTILIZATION_COLUMNS`:

        ``provider_id`` (category)
            The provider.
        ``date`` (``datetime.date``)
            Local date.
        ``available_minutes`` (Int64)
            Session minutes less unavailable time.
        ``booked_minutes`` (Int64)
            Minutes of the visits starting that date.
        ``visits`` (Int64)
            Their number.
        ``utilization`` (float64)
            ``booked_minutes / available_minutes``; ``NaN`` without available minutes.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem (see
        :func:`~psr_sched.reporting.schedule.visits`).
    """
    booked = visits(problem, schedule)
    grain = problem.horizon.grain_minutes
    open_dates = problem.horizon.dates
    available: dict[tuple[str, dt.date], int] = defaultdict(int)
    for block in provider_blocks(problem):
        key = (problem.providers[block.provider].id, open_dates[block.day])
        available[key] += (block.end - block.start) * grain
    minutes: dict[tuple[str, dt.date], int] = defaultdict(int)
    number: dict[tuple[str, dt.date], int] = defaultdict(int)
    for v in booked:
        minutes[(v.provider_id, v.day)] += v.minutes
        number[(v.provider_id, v.day)] += 1
    report_dates = _report_dates(problem, booked)
    keys = [(p.id, day) for p in problem.providers for day in report_dates]
    return pd.DataFrame(
        {
            "provider_id": category([k[0] for k in keys], [p.id for p in problem.providers]),
            "date": dates([k[1] for k in keys]),
            "available_minutes": counts([available[k] for k in keys]),
            "booked_minutes": counts([minutes[k] for k in keys]),
            "visits": counts([number[k] for k in keys]),
            "utilization": floats([ratio(minutes[k], available[k]) for k in keys]),
        },
        columns=PROVIDER_UTILIZATION_COLUMNS,
    )


def room_utilization(problem: Problem, schedule: Schedule) -> pd.DataFrame:
    """Booked over open minutes of every room on every open date.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).

    Returns
    -------
    pandas.DataFrame
        One row per room and date (every room, every open date), in the problem's room
        order then by date; columns :data:`ROOM_UTILIZATION_COLUMNS`:

        ``room_id``, ``room_kind`` (category)
            The room and its kind.
        ``date`` (``datetime.date``)
            Local date.
        ``open_minutes`` (Int64)
            Open hours less closures.
        ``booked_minutes`` (Int64)
            Minutes of the visits in the room starting that date.
        ``turnover_minutes`` (Int64)
            The room's turnover after each of those visits.
        ``visits`` (Int64)
            Their number.
        ``utilization`` (float64)
            ``booked_minutes / open_minutes`` (turnover not counted); ``NaN`` when closed.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    """
    booked = visits(problem, schedule)
    grain = problem.horizon.grain_minutes
    open_dates = problem.horizon.dates
    open_minutes: dict[tuple[str, dt.date], int] = defaultdict(int)
    for pool in room_pools(problem):
        for r_index in pool.rooms:
            for d_index, spans in enumerate(pool.open_spans):
                key = (problem.rooms[r_index].id, open_dates[d_index])
                open_minutes[key] += sum(e - s for s, e in spans) * grain
    minutes: dict[tuple[str, dt.date], int] = defaultdict(int)
    number: dict[tuple[str, dt.date], int] = defaultdict(int)
    for v in booked:
        if v.room_id is not None:
            minutes[(v.room_id, v.day)] += v.minutes
            number[(v.room_id, v.day)] += 1
    rooms = problem.rooms
    report_dates = _report_dates(problem, booked)
    keys = [(r.id, day) for r in rooms for day in report_dates]
    kind = {r.id: r.kind for r in rooms}
    turnover = {r.id: r.turnover_minutes for r in rooms}
    return pd.DataFrame(
        {
            "room_id": category([k[0] for k in keys], [r.id for r in rooms]),
            "room_kind": category([kind[k[0]] for k in keys], [r.kind for r in rooms]),
            "date": dates([k[1] for k in keys]),
            "open_minutes": counts([open_minutes[k] for k in keys]),
            "booked_minutes": counts([minutes[k] for k in keys]),
            "turnover_minutes": counts([number[k] * turnover[k[0]] for k in keys]),
            "visits": counts([number[k] for k in keys]),
            "utilization": floats([ratio(minutes[k], open_minutes[k]) for k in keys]),
        },
        columns=ROOM_UTILIZATION_COLUMNS,
    )


def idle_gaps(problem: Problem, schedule: Schedule) -> pd.DataFrame:
    """Idle minutes inside each provider's booked span of a day.

    The objective's ``idle_gap`` term (``docs/rules.md``) is the sum of
    ``idle_gap_minutes``.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).

    Returns
    -------
    pandas.DataFrame
        One row per provider and date with at least one visit, in the problem's provider
        order then by date; columns :data:`IDLE_GAP_COLUMNS`:

        ``provider_id`` (category), ``date`` (``datetime.date``)
            The provider-day.
        ``first_start``, ``last_end`` (timezone-aware)
            Start of the first visit, end of the last.
        ``span_minutes`` (Int64)
            ``last_end − first_start``.
        ``busy_minutes`` (Int64)
            Sum of the visits' minutes.
        ``idle_gap_minutes`` (Int64)
            ``span_minutes − busy_minutes``.
        ``gaps`` (Int64)
            Number of idle stretches between visits.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    """
    by_day: dict[tuple[str, dt.date], list[Visit]] = defaultdict(list)
    for v in visits(problem, schedule):
        by_day[(v.provider_id, v.day)].append(v)
    order = {p.id: i for i, p in enumerate(problem.providers)}
    keys = sorted(by_day, key=lambda k: (order[k[0]], k[1]))
    first: list[Visit] = []
    last: list[Visit] = []
    span: list[int] = []
    busy: list[int] = []
    gaps: list[int] = []
    for key in keys:
        items = sorted(by_day[key], key=lambda v: (v.s, v.e))
        first.append(items[0])
        last.append(max(items, key=lambda v: v.e))
        span.append(last[-1].e - items[0].s)
        busy.append(sum(v.minutes for v in items))
        stretches, reach = 0, items[0].e
        for v in items[1:]:
            stretches += v.s > reach
            reach = max(reach, v.e)
        gaps.append(stretches)
    zone = problem.horizon.timezone
    return pd.DataFrame(
        {
            "provider_id": category([k[0] for k in keys], [p.id for p in problem.providers]),
            "date": dates([k[1] for k in keys]),
            "first_start": aware([v.start for v in first], zone),
            "last_end": aware([v.end for v in last], zone),
            "span_minutes": counts(span),
            "busy_minutes": counts(busy),
            "idle_gap_minutes": counts([s - b for s, b in zip(span, busy, strict=True)]),
            "gaps": counts(gaps),
        },
        columns=IDLE_GAP_COLUMNS,
    )
