"""The schedule as the reports read it: visits checked against the problem, in the clinic's zone.

Every report takes a schedule as a :class:`~psr_sched.result.Result` or as a frame with the
columns of :meth:`Result.to_frame() <psr_sched.result.Result.to_frame>` (such as
:func:`~psr_sched.validate.read_schedule_csv` returns; ``request_id``, ``provider_id``,
``room_id``, ``start`` and ``end`` are needed, the others are taken from the problem).
The visit type, the patient and the access wait always come from the problem's request.

Moments are compared on true elapsed time: minutes from the horizon origin
(:meth:`Horizon.minute_of <psr_sched.domain.Horizon.minute_of>`).  A visit's *date* is the
local date of its start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd

from psr_sched.domain import AppointmentRequest, VisitType
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.reporting._columns import aware
from psr_sched.result import SCHEDULE_COLUMNS, Result

__all__ = ["Schedule", "Visit", "schedule_frame", "visits"]

#: A schedule as the reports accept it.
Schedule: TypeAlias = Result | pd.DataFrame

_NEEDED = ("request_id", "provider_id", "room_id", "start", "end")


@dataclass(frozen=True, slots=True)
class Visit:
    """One scheduled visit, read against its problem.

    Attributes
    ----------
    request : AppointmentRequest
        The request the visit fulfils.
    visit_type : VisitType
        Its visit type.
    provider_id : str
        Provider seen.
    room_id : str or None
        Room used; ``None`` for a virtual visit.
    start, end : datetime
        Aware, in the horizon's timezone.
    s, e : int
        Minutes from the horizon origin to the start and to the end.
    day : datetime.date
        Local date of the start.
    """

    request: AppointmentRequest
    visit_type: VisitType
    provider_id: str
    room_id: str | None
    start: dt.datetime
    end: dt.datetime
    s: int
    e: int
    day: dt.date

    @property
    def minutes(self) -> int:
        """Elapsed minutes from start to end."""
        return self.e - self.s

    @property
    def wait_minutes(self) -> int:
        """Minutes from the request's ``earliest`` to the start (floor), as the objective."""
        elapsed = self.start.astimezone(dt.UTC) - self.request.earliest.astimezone(dt.UTC)
        return int(elapsed.total_seconds() // 60)

    @property
    def check_in_minutes(self) -> int:
        """Minutes at a front-desk station before the start: the visit type's, plus the
        request's extra minutes for an in-person visit (as the solver and validator)."""
        extra = 0 if self.visit_type.virtual else self.request.facts.extra_check_in_minutes
        return self.visit_type.check_in_minutes + extra


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _moment(value: Any, where: str) -> dt.datetime:
    if _blank(value):
        raise ProblemError(f"{where}: a datetime is missing")
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        raise ProblemError(f"{where}: is not a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ProblemError(f"{where}: datetime has no UTC offset or timezone")
    return value


def _rows(schedule: Schedule) -> Iterable[tuple[str, dict[str, Any]]]:
    """(where, row) of each visit, ``where`` naming the row in messages."""
    if isinstance(schedule, Result):
        for a in schedule.assignments:
            yield f"request {a.request_id}", a.model_dump()
        return
    missing = [c for c in _NEEDED if c not in schedule.columns]
    if missing:
        raise ProblemError(f"schedule frame: missing column(s) {', '.join(missing)}")
    columns = {c: schedule[c].tolist() for c in _NEEDED}
    for i in range(len(schedule)):
        yield f"schedule row {i + 1}", {c: columns[c][i] for c in _NEEDED}


def visits(problem: Problem, schedule: Schedule) -> list[Visit]:
    """The visits of a schedule, checked against the problem, in schedule order.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        See the module docstring.

    Returns
    -------
    list of Visit

    Raises
    ------
    ProblemError
        If a row misses a value, names an unknown request, provider or room, repeats a
        request, or holds a naive or unreadable datetime.  The message names the row and
        the column, never a value beyond the opaque ids.
    """
    horizon = problem.horizon
    zone = horizon.zone
    providers = {p.id for p in problem.providers}
    rooms = {r.id for r in problem.rooms}
    seen: set[str] = set()
    out: list[Visit] = []
    for where, row in _rows(schedule):
        ids: dict[str, str | None] = {}
        for column in ("request_id", "provider_id", "room_id"):
            value = row[column]
            ids[column] = None if _blank(value) else str(value).strip()
        rid, pid, room_id = ids["request_id"], ids["provider_id"], ids["room_id"]
        if rid is None or pid is None:
            column = "request_id" if rid is None else "provider_id"
            raise ProblemError(f"{where}, column {column}: value is missing")
        if rid not in problem.request_index:
            raise ProblemError(f"{where}: request_id: request {rid} is unknown")
        if rid in seen:
            raise ProblemError(f"{where}: request {rid} is scheduled more than once")
        seen.add(rid)
        if pid not in providers:
            raise ProblemError(f"{where}: provider_id: provider {pid} is unknown")
        if room_id is not None and room_id not in rooms:
            raise ProblemError(f"{where}: room_id: room {room_id} is unknown")
        start = _moment(row["start"], f"{where}, column start").astimezone(zone)
        end = _moment(row["end"], f"{where}, column end").astimezone(zone)
        request = problem.requests[problem.request_index[rid]]
        out.append(
            Visit(
                request=request,
                visit_type=problem.visit_type_by_code[request.visit_type],
                provider_id=pid,
                room_id=room_id,
                start=start,
                end=end,
                s=horizon.minute_of(start),
                e=horizon.minute_of(end),
                day=start.date(),
            )
        )
    return out


def schedule_frame(problem: Problem, schedule: Schedule) -> pd.DataFrame:
    """The schedule as :meth:`Result.to_frame(problem) <psr_sched.result.Result.to_frame>`.

    Patient, visit type and ``wait_minutes`` come from the problem, so a frame read from a
    CSV file without them gets them back.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        See the module docstring.

    Returns
    -------
    pandas.DataFrame
        Columns ``request_id``, ``patient_id``, ``visit_type``, ``provider_id``,
        ``room_id`` (``None`` for a virtual visit), ``start``, ``end`` (timezone-aware, in
        the horizon's zone) and ``wait_minutes`` (``Int64``); ordered by start, then
        provider.

    Raises
    ------
    ProblemError
        As :func:`visits`.
    """
    rows = sorted(visits(problem, schedule), key=lambda v: (v.s, v.provider_id))
    zone = problem.horizon.timezone
    return pd.DataFrame(
        {
            "request_id": pd.Series([v.request.id for v in rows], dtype=object),
            "patient_id": pd.Series([v.request.patient_id for v in rows], dtype=object),
            "visit_type": pd.Series([v.request.visit_type for v in rows], dtype=object),
            "provider_id": pd.Series([v.provider_id for v in rows], dtype=object),
            "room_id": pd.Series([v.room_id for v in rows], dtype=object),
            "start": aware([v.start for v in rows], zone),
            "end": aware([v.end for v in rows], zone),
            "wait_minutes": pd.Series([v.wait_minutes for v in rows], dtype="Int64"),
        },
        columns=SCHEDULE_COLUMNS,
    )
