"""Solver-agnostic validation of a schedule against the rules of ``docs/rules.md``.

The validator recomputes every hard rule and every objective term directly from the domain
records, with timezone-aware datetimes, and shares no code with :mod:`psr_sched.solver`.
It is the independent check of a solver's output.

All arithmetic on moments is done on true elapsed time: every datetime is converted to
UTC before it is compared or subtracted (two datetimes sharing one ``ZoneInfo`` would
otherwise be compared on their wall clocks).  Local wall times of the calendars (sessions,
room hours, station shifts) are placed on a date with the conventions of
:meth:`psr_sched.domain.Horizon.local`: an ambiguous wall time (fall back) takes its first
occurrence; a wall time skipped by a spring-forward change is taken as the first instant
after the gap.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from psr_sched.domain import (
    AppointmentRequest,
    BeforeVisit,
    DatedHours,
    DomainModel,
    FollowUp,
    Horizon,
    Provider,
    Room,
    SameDaySequence,
    VisitType,
    Weights,
)
from psr_sched.errors import ProblemError
from psr_sched.io.tables import read_csv_strings
from psr_sched.problem import Problem
from psr_sched.result import SCHEDULE_COLUMNS, Assignment, ObjectiveTerms, Result

__all__ = [
    "REQUIRED_COLUMNS",
    "ScheduleError",
    "ValidationReport",
    "Violation",
    "read_schedule_csv",
    "validate",
]

#: Columns a schedule frame must have; ``patient_id``, ``visit_type`` are checked if present.
REQUIRED_COLUMNS = ("request_id", "provider_id", "room_id", "start", "end")

_SECOND = dt.timedelta(seconds=1)
_MIDNIGHT = dt.time(0, 0)
_SHOWN_VIOLATIONS = 10

#: Spans of the elapsed-time axis, (start, end) in seconds from the horizon origin.
_Spans = list[tuple[int, int]]


class ScheduleError(ValueError):
    """A schedule breaks at least one hard rule of ``docs/rules.md``."""


class Violation(DomainModel):
    """One broken hard rule.

    Attributes
    ----------
    rule : str
        Short snake_case name of the rule, e.g. ``"window"``, ``"provider_overlap"``,
        ``"room_turnover"``, ``"session"``, ``"front_desk"``, ``"link_sequence"``,
        ``"pinned_locked"``, ``"conservation"``.
    request_id : str or None
        The request at fault, when one is.
    message : str
        What is wrong, naming the record and the field; no patient data beyond opaque ids.
    """

    rule: str
    request_id: str | None = None
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class ValidationReport(DomainModel):
    """Outcome of :func:`validate`: the broken rules and the recomputed objective terms.

    Attributes
    ----------
    violations : tuple of Violation
        Every broken hard rule, grouped by rule.
    terms : ObjectiveTerms
        Objective terms recomputed from the schedule as ``docs/rules.md`` defines them.
    """

    violations: tuple[Violation, ...]
    terms: ObjectiveTerms

    @property
    def ok(self) -> bool:
        """Whether the schedule breaks no hard rule."""
        return not self.violations

    def objective(self, weights: Weights) -> int:
        """Return the weighted objective of the recomputed terms.

        Parameters
        ----------
        weights : Weights
            Objective weights, usually ``problem.weights``.

        Returns
        -------
        int
            ``terms.total(weights)``.
        """
        return self.terms.total(weights)

    def rules(self) -> Counter[str]:
        """Return the number of violations of each rule."""
        return Counter(v.rule for v in self.violations)

    def raise_if_invalid(self, limit: int = _SHOWN_VIOLATIONS) -> None:
        """Raise :class:`ScheduleError` listing the first violations, if there are any.

        Parameters
        ----------
        limit : int
            How many violations the message lists.

        Raises
        ------
        ScheduleError
            If the schedule breaks a hard rule.
        """
        if not self.violations:
            return
        count = len(self.violations)
        lines = [f"schedule breaks {count} hard rule check{'s' if count != 1 else ''}:"]
        lines.extend(f"  {v}" for v in self.violations[:limit])
        if count > limit:
            lines.append(f"  ... and {count - limit} more")
        raise ScheduleError("\n".join(lines))


# -- schedule rows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Visit:
    """One schedule row, normalised: local datetimes and seconds since the origin."""

    row: int
    request_id: str
    patient_id: str | None
    visit_type: str | None
    provider_id: str
    room_id: str | None
    start: dt.datetime  # aware, in the horizon's zone
    end: dt.datetime
    s: int  # seconds from the horizon origin (true elapsed time)
    e: int
    day: dt.date  # local date of the start


class _Clock:
    """Places local wall times of a date on the horizon's elapsed-time axis (seconds)."""

    def __init__(self, horizon: Horizon) -> None:
        self.horizon = horizon
        self.zone = horizon.zone
        self._cache: dict[tuple[dt.date, dt.time], int] = {}
        self.origin_utc = self._instant(horizon.start, _MIDNIGHT)

    def _instant(self, day: dt.date, time: dt.time) -> dt.datetime:
        """UTC instant of a local wall time; first occurrence, or first instant after a gap."""
        naive = dt.datetime.combine(day, time)
        first = naive.replace(tzinfo=self.zone, fold=0).astimezone(dt.UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == naive:
            return first
        # Skipped wall time: fold=0 uses the offset before the change (later instant),
        # fold=1 the offset after it (earlier instant); the change lies in between.
        lo = naive.replace(tzinfo=self.zone, fold=1).astimezone(dt.UTC)
        lo_s, hi_s = 0, int((first - lo) // _SECOND)
        while lo_s < hi_s:
            mid = (lo_s + hi_s) // 2
            wall = (lo + dt.timedelta(seconds=mid)).astimezone(self.zone).replace(tzinfo=None)
            if wall >= naive:
                hi_s = mid
            else:
                lo_s = mid + 1
        return lo + dt.timedelta(seconds=lo_s)

    def wall(self, day: dt.date, time: dt.time) -> int:
        """Seconds from the origin to a local wall time on ``day``."""
        key = (day, time)
        value = self._cache.get(key)
        if value is None:
            value = int((self._instant(day, time) - self.origin_utc) // _SECOND)
            self._cache[key] = value
        return value

    def day_span(self, day: dt.date) -> tuple[int, int]:
        """Seconds from the origin to local midnight of ``day`` and of the next date."""
        return self.wall(day, _MIDNIGHT), self.wall(day + dt.timedelta(days=1), _MIDNIGHT)

    def dated(self, hours: DatedHours) -> tuple[int, int]:
        """The span of dated hours; the whole date when no times are given."""
        if hours.start is None or hours.end is None:
            return self.day_span(hours.date)
        return self.wall(hours.date, hours.start), self.wall(hours.date, hours.end)

    def seconds(self, moment: dt.datetime) -> int:
        """Seconds from the origin to an aware datetime (floor)."""
        return int((moment.astimezone(dt.UTC) - self.origin_utc) // _SECOND)

    def at(self, seconds: int) -> dt.datetime:
        """The aware local datetime ``seconds`` after the origin."""
        return (self.origin_utc + dt.timedelta(seconds=seconds)).astimezone(self.zone)

    def show(self, seconds: int) -> str:
        """Readable local time of a point on the axis."""
        return _show(self.at(seconds))


def _offset(moment: dt.datetime) -> str:
    return f"UTC{moment.isoformat()[-6:]}" if moment.utcoffset() else "UTC"


def _show(moment: dt.datetime) -> str:
    """``2026-03-09 08:00 (UTC-04:00)``: the local wall time and its offset."""
    return f"{moment:%Y-%m-%d %H:%M} ({_offset(moment)})"


def _show_span(start: dt.datetime, end: dt.datetime) -> str:
    """``2026-03-09 08:00–08:20 (UTC-04:00)``; both offsets when they differ."""
    if start.utcoffset() == end.utcoffset():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({_offset(start)})"
    return f"{start:%Y-%m-%d %H:%M} ({_offset(start)})–{end:%H:%M} ({_offset(end)})"


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _subtract(pieces: _Spans, cuts: _Spans) -> _Spans:
    """Remove the spans ``cuts`` from the spans ``pieces``."""
    for c0, c1 in cuts:
        nxt: _Spans = []
        for p0, p1 in pieces:
            if not _overlaps(p0, p1, c0, c1):
                nxt.append((p0, p1))
                continue
            if p0 < c0:
                nxt.append((p0, c0))
            if c1 < p1:
                nxt.append((c1, p1))
        pieces = nxt
    return pieces


def _merge(spans: _Spans) -> _Spans:
    """Union of spans, touching ones joined."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _to_datetime(value: Any, where: str) -> dt.datetime:
    """An aware datetime from a datetime, a pandas Timestamp or an ISO-8601 string."""
    moment: dt.datetime
    if _blank(value):
        raise ProblemError(f"{where}: a datetime is missing")
    if isinstance(value, pd.Timestamp):
        moment = value.to_pydatetime()
    elif isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ProblemError(f"{where}: is not an ISO-8601 datetime with a UTC offset") from None
    else:
        raise ProblemError(f"{where}: is a {type(value).__name__}, not a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ProblemError(f"{where}: datetime has no UTC offset or timezone")
    return moment


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    return str(value).strip()


def _rows_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ProblemError(f"schedule frame: missing column(s) {', '.join(missing)}")
    columns = [*REQUIRED_COLUMNS, *(c for c in ("patient_id", "visit_type") if c in frame)]
    values = {c: frame[c].tolist() for c in columns}
    rows: list[dict[str, Any]] = []
    for i in range(len(frame)):
        where = f"schedule row {i + 1}"
        request_id = _text(values["request_id"][i])
        provider_id = _text(values["provider_id"][i])
        if request_id is None:
            raise ProblemError(f"{where}, column request_id: value is missing")
        if provider_id is None:
            raise ProblemError(f"{where}, column provider_id: value is missing")
        rows.append(
            {
                "request_id": request_id,
                "patient_id": _text(values["patient_id"][i]) if "patient_id" in values else None,
                "visit_type": _text(values["visit_type"][i]) if "visit_type" in values else None,
                "provider_id": provider_id,
                "room_id": _text(values["room_id"][i]),
                "start": _to_datetime(values["start"][i], f"{where}, column start"),
                "end": _to_datetime(values["end"][i], f"{where}, column end"),
            }
        )
    return rows


def _rows(schedule: Result | Iterable[Assignment] | pd.DataFrame) -> list[dict[str, Any]]:
    if isinstance(schedule, pd.DataFrame):
        return _rows_from_frame(schedule)
    assignments = schedule.assignments if isinstance(schedule, Result) else tuple(schedule)
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(assignments):
        if not isinstance(a, Assignment):
            raise TypeError(
                f"schedule item {i + 1} is a {type(a).__name__}, expected an Assignment"
            )
        rows.append(
            {
                "request_id": a.request_id,
                "patient_id": a.patient_id,
                "visit_type": a.visit_type,
                "provider_id": a.provider_id,
                "room_id": a.room_id or None,
                "start": a.start,
                "end": a.end,
            }
        )
    return rows


# -- the validator ----------------------------------------------------------------------


class _Validator:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.horizon = problem.horizon
        self.clock = _Clock(problem.horizon)
        self.requests: dict[str, AppointmentRequest] = {r.id: r for r in problem.requests}
        self.providers: dict[str, Provider] = {p.id: p for p in problem.providers}
        self.rooms: dict[str, Room] = {r.id: r for r in problem.rooms}
        self.types: dict[str, VisitType] = {v.code: v for v in problem.visit_types}
        self.open_dates = frozenset(problem.horizon.dates)
        self.violations: list[Violation] = []
        self._sessions: dict[tuple[str, dt.date], tuple[_Spans, _Spans]] = {}
        self._room_hours: dict[tuple[str, dt.date], _Spans] = {}

    def flag(self, rule: str, request_id: str | None, message: str) -> None:
        self.violations.append(Violation(rule=rule, request_id=request_id, message=message))

    # -- calendars ----------------------------------------------------------------------

    def sessions(self, provider: Provider, day: dt.date) -> tuple[_Spans, _Spans]:
        """Sessions of a provider on a date, and the unavailable spans touching that date."""
        key = (provider.id, day)
        cached = self._sessions.get(key)
        if cached is None:
            wall = self.clock.wall
            spans = [
                (wall(day, w.start), wall(day, w.end))
                for w in provider.sessions
                if w.weekday == day.weekday()
            ]
            spans += [self.clock.dated(x) for x in provider.extra_sessions if x.date == day]
            blocked = [self.clock.dated(x) for x in provider.unavailable if x.date == day]
            cached = (spans, blocked)
            self._sessions[key] = cached
        return cached

    def room_hours(self, room: Room, day: dt.date) -> _Spans:
        """Open hours of a room on a date: weekly hours (joined) minus the closures."""
        key = (room.id, day)
        cached = self._room_hours.get(key)
        if cached is None:
            wall = self.clock.wall
            weekday = day.weekday()
            hours = _merge(
                [(wall(day, w.start), wall(day, w.end)) for w in room.hours if w.weekday == weekday]
            )
            closed = [self.clock.dated(x) for x in room.closed if x.date == day]
            cached = _subtract(hours, closed)
            self._room_hours[key] = cached
        return cached

    # -- rows ---------------------------------------------------------------------------

    def normalise(self, rows: list[dict[str, Any]]) -> list[_Visit]:
        zone = self.clock.zone
        visits: list[_Visit] = []
        for i, row in enumerate(rows):
            start = row["start"].astimezone(zone)
            end = row["end"].astimezone(zone)
            visits.append(
                _Visit(
                    row=i,
                    request_id=row["request_id"],
                    patient_id=row["patient_id"],
                    visit_type=row["visit_type"],
                    provider_id=row["provider_id"],
                    room_id=row["room_id"],
                    start=start,
                    end=end,
                    s=self.clock.seconds(start),
                    e=self.clock.seconds(end),
                    day=start.date(),
                )
            )
        return visits

    # -- rule 1 -------------------------------------------------------------------------

    def conservation(
        self, visits: list[_Visit], unscheduled_ids: Iterable[str] | None
    ) -> dict[str, _Visit]:
        """Check rule 1; return the first row of each known request."""
        first: dict[str, _Visit] = {}
        for v in visits:
            req = self.requests.get(v.request_id)
            if req is None:
                self.flag(
                    "conservation",
                    v.request_id,
                    f"schedule row {v.row + 1}: request_id: request {v.request_id} is unknown",
                )
                continue
            if v.request_id in first:
                self.flag(
                    "conservation",
                    v.request_id,
                    f"request {v.request_id}: scheduled more than once "
                    f"(schedule rows {first[v.request_id].row + 1} and {v.row + 1})",
                )
                continue
            first[v.request_id] = v
            if v.patient_id is not None and v.patient_id != req.patient_id:
                self.flag(
                    "conservation",
                    v.request_id,
                    f"request {v.request_id}: patient_id of the schedule row does not match "
                    "the request",
                )
            if v.visit_type is not None and v.visit_type != req.visit_type:
                self.flag(
                    "conservation",
                    v.request_id,
                    f"request {v.request_id}: visit_type {v.visit_type} of the schedule row "
                    f"does not match the request's {req.visit_type}",
                )
        if unscheduled_ids is None:
            return first
        seen: Counter[str] = Counter()
        for rid in unscheduled_ids:
            seen[rid] += 1
        for rid, count in seen.items():
            if rid not in self.requests:
                self.flag("conservation", rid, f"unscheduled request {rid} is unknown")
                continue
            if count > 1:
                self.flag(
                    "conservation", rid, f"request {rid}: listed as unscheduled {count} times"
                )
            if rid in first:
                self.flag(
                    "conservation", rid, f"request {rid}: both scheduled and listed as unscheduled"
                )
        for req in self.problem.requests:
            if req.id not in first and req.id not in seen:
                self.flag(
                    "conservation",
                    req.id,
                    f"request {req.id}: neither scheduled nor listed as unscheduled",
                )
        return first

    # -- rules 2 to 6, 8 (per visit) ----------------------------------------------------

    def per_visit(self, v: _Visit) -> None:
        req = self.requests.get(v.request_id)
        if req is None:
            return
        rid = v.request_id
        vt = self.types[req.visit_type]
        provider = self.providers.get(v.provider_id)
        where = f"request {rid}"
        clock = self.clock

        # 2. window and open date
        if v.s < clock.seconds(req.earliest):
            self.flag("window", rid, f"{where}: start {_show(v.start)} is before earliest")
        if v.e > clock.seconds(req.latest):
            self.flag("window", rid, f"{where}: end {_show(v.end)} is after latest")
        if v.day not in self.open_dates:
            self.flag("window", rid, f"{where}: start date {v.day} is not an open date")

        # 2b. intake facts: coverage active on the date, authorization in hand
        facts = req.facts
        active = facts.coverage_active_dates
        if req.payer is not None and active is not None and v.day not in active:
            self.flag("coverage", rid, f"{where}: coverage is not active on the visit's date")
        expected_auth = facts.authorization_expected
        if expected_auth is not None and v.s < clock.seconds(expected_auth):
            self.flag("authorization", rid, f"{where}: starts before the authorization is expected")

        # 3. grain (exact: whole minutes, multiple of the grain from the origin)
        offset = v.start.astimezone(dt.UTC) - clock.origin_utc
        if offset % dt.timedelta(minutes=self.horizon.grain_minutes):
            self.flag(
                "grain",
                rid,
                f"{where}: start {_show(v.start)} is not on the "
                f"{self.horizon.grain_minutes}-minute grain",
            )

        # 4. duration
        expected = vt.duration_for(v.provider_id)
        actual = v.end.astimezone(dt.UTC) - v.start.astimezone(dt.UTC)
        if actual != dt.timedelta(minutes=expected):
            self.flag(
                "duration",
                rid,
                f"{where}: end − start is {actual.total_seconds() / 60:g} minutes, visit type "
                f"{vt.code} with provider {v.provider_id} takes {expected}",
            )

        # 5. skill, allowed providers, network
        if provider is None:
            self.flag("unknown_provider", rid, f"{where}: provider_id {v.provider_id} is unknown")
        else:
            if vt.required_skill is not None and vt.required_skill not in provider.skills:
                self.flag(
                    "skill",
                    rid,
                    f"{where}: provider {provider.id} lacks skill {vt.required_skill} "
                    f"of visit type {vt.code}",
                )
            if req.allowed_provider_ids is not None and provider.id not in req.allowed_provider_ids:
                self.flag(
                    "allowed_provider",
                    rid,
                    f"{where}: provider {provider.id} is not in allowed_provider_ids",
                )
            if (
                self.problem.weights.out_of_network is None
                and provider.networks is not None
                and req.payer is not None
                and req.payer not in provider.networks
            ):
                self.flag(
                    "network",
                    rid,
                    f"{where}: provider {provider.id} is not in the request's payer network",
                )
            # 6. sessions
            sessions, blocked = self.sessions(provider, v.day)
            inside = any(s0 <= v.s and v.e <= s1 for s0, s1 in sessions)
            if not inside:
                self.flag(
                    "session",
                    rid,
                    f"{where}: {_show_span(v.start, v.end)} is not inside one session of "
                    f"provider {provider.id}",
                )
            elif any(_overlaps(v.s, v.e, b0, b1) for b0, b1 in blocked):
                self.flag(
                    "session",
                    rid,
                    f"{where}: {_show_span(v.start, v.end)} overlaps unavailable time of "
                    f"provider {provider.id}",
                )

        # 8. room kind and open hours
        if vt.room_kind is None:
            if v.room_id is not None:
                self.flag(
                    "room_kind",
                    rid,
                    f"{where}: virtual visit type {vt.code} has room_id {v.room_id}",
                )
            return
        if v.room_id is None:
            self.flag(
                "room_kind", rid, f"{where}: visit type {vt.code} needs a {vt.room_kind} room"
            )
            return
        room = self.rooms.get(v.room_id)
        if room is None:
            self.flag("unknown_room", rid, f"{where}: room_id {v.room_id} is unknown")
            return
        if room.kind != vt.room_kind:
            self.flag(
                "room_kind",
                rid,
                f"{where}: room {room.id} is a {room.kind} room, visit type {vt.code} "
                f"needs {vt.room_kind}",
            )
        if not any(h0 <= v.s and v.e <= h1 for h0, h1 in self.room_hours(room, v.day)):
            self.flag(
                "room_hours",
                rid,
                f"{where}: {_show_span(v.start, v.end)} is outside the open hours of "
                f"room {room.id}",
            )

    # -- rules 7, 8, 9 (overlaps) -------------------------------------------------------

    def no_overlap(
        self, groups: dict[str, list[_Visit]], rule: str, label: str, padding: dict[str, int]
    ) -> None:
        for key, items in groups.items():
            pad = padding.get(key, 0)
            items.sort(key=lambda x: (x.s, x.e))
            reach: int | None = None
            holder: _Visit | None = None
            for v in items:
                if reach is not None and holder is not None and v.s < reach:
                    extra = f" plus {pad // 60} minutes turnover" if pad else ""
                    self.flag(
                        rule,
                        v.request_id,
                        f"request {v.request_id} at {_show(v.start)} overlaps request "
                        f"{holder.request_id} ({_show_span(holder.start, holder.end)}{extra}) "
                        f"{label}",
                    )
                if reach is None or v.e + pad > reach:
                    reach, holder = v.e + pad, v

    def overlaps(self, visits: list[_Visit]) -> None:
        by_provider: dict[str, list[_Visit]] = defaultdict(list)
        by_room: dict[str, list[_Visit]] = defaultdict(list)
        by_patient: dict[str, list[_Visit]] = defaultdict(list)
        for v in visits:
            by_provider[v.provider_id].append(v)
            if v.room_id is not None:
                by_room[v.room_id].append(v)
            req = self.requests.get(v.request_id)
            if req is not None:
                by_patient[req.patient_id].append(v)
        self.no_overlap(by_provider, "provider_overlap", "of the same provider", {})
        turnover = {r.id: r.turnover_minutes * 60 for r in self.problem.rooms}
        self.no_overlap(by_room, "room_turnover", "in the same room", turnover)
        self.no_overlap(by_patient, "patient_overlap", "of the same patient", {})

    # -- rule 10 ------------------------------------------------------------------------

    def front_desk(self, visits: list[_Visit]) -> None:
        desk = self.problem.front_desk
        if desk is None:
            return
        # events: (time, load change, station change, request id starting a hold)
        events: list[tuple[int, int, int, str | None]] = []
        days: set[dt.date] = set()
        for v in visits:
            req = self.requests.get(v.request_id)
            if req is None:
                continue
            vt = self.types[req.visit_type]
            extra = 0 if vt.room_kind is None else req.facts.extra_check_in_minutes
            minutes = vt.check_in_minutes + extra
            if minutes <= 0:
                continue
            h0 = v.s - 60 * minutes
            events.append((h0, 1, 0, v.request_id))
            events.append((v.s, -1, 0, None))
            days.add(self.clock.at(h0).date())
            days.add(self.clock.at(v.s - 1).date())
        if not events:
            return
        for day in days:
            for shift in desk.shifts:
                if shift.weekday is not None and shift.weekday != day.weekday():
                    continue
                if shift.stations == 0:
                    continue
                s0 = self.clock.wall(day, shift.start)
                s1 = self.clock.wall(day, shift.end)
                events.append((s0, 0, shift.stations, None))
                events.append((s1, 0, -shift.stations, None))
        events.sort(key=lambda x: x[0])
        load = stations = 0
        over_since: int | None = None
        over_peak = over_cap = 0
        culprit: str | None = None
        i = 0
        while i < len(events):
            t = events[i][0]
            starting: list[str] = []
            while i < len(events) and events[i][0] == t:
                _, dl, ds, rid = events[i]
                load += dl
                stations += ds
                if rid is not None:
                    starting.append(rid)
                i += 1
            if load > stations:
                if over_since is None:
                    over_since, over_peak, over_cap = t, load, stations
                    culprit = starting[-1] if starting else None
                elif load - stations > over_peak - over_cap:
                    over_peak, over_cap = load, stations
            elif over_since is not None:
                self._flag_desk(over_since, t, over_peak, over_cap, culprit)
                over_since = None
        if over_since is not None:  # cannot happen: the load ends at zero
            self._flag_desk(over_since, over_since, over_peak, over_cap, culprit)

    def _flag_desk(self, t0: int, t1: int, peak: int, cap: int, culprit: str | None) -> None:
        self.flag(
            "front_desk",
            culprit,
            f"front desk: {peak} simultaneous check-in{'s' if peak != 1 else ''} with {cap} "
            f"station{'s' if cap != 1 else ''} open; overloaded from {self.clock.show(t0)} "
            f"until {self.clock.at(t1):%H:%M}",
        )

    # -- rule 11 ------------------------------------------------------------------------

    def max_per_day(self, visits: list[_Visit]) -> None:
        counts: Counter[tuple[str, dt.date]] = Counter((v.provider_id, v.day) for v in visits)
        for (pid, day), count in sorted(counts.items()):
            provider = self.providers.get(pid)
            if provider is None or provider.max_visits_per_day is None:
                continue
            if count > provider.max_visits_per_day:
                self.flag(
                    "max_per_day",
                    None,
                    f"provider {pid}: {count} visits on {day}, max_visits_per_day is "
                    f"{provider.max_visits_per_day}",
                )

    # -- rule 12 ------------------------------------------------------------------------

    def links(self, first: dict[str, _Visit]) -> None:
        for req in self.problem.requests:
            b = first.get(req.id)
            for link in req.links:
                a = first.get(link.request_id)
                where = f"request {req.id}: link to request {link.request_id}"
                if isinstance(link, SameDaySequence):
                    if (a is None) != (b is None):
                        which = req.id if b is not None else link.request_id
                        self.flag(
                            "link_sequence",
                            req.id,
                            f"{where}: only request {which} of the same-day sequence is scheduled",
                        )
                        continue
                    if a is None or b is None:
                        continue
                    if a.day != b.day:
                        self.flag(
                            "link_sequence",
                            req.id,
                            f"{where}: sequence on different dates ({a.day} and {b.day})",
                        )
                        continue
                    gap = (b.s - a.e) / 60
                    if not link.min_gap_minutes <= gap <= link.max_gap_minutes:
                        self.flag(
                            "link_sequence",
                            req.id,
                            f"{where}: gap of {gap:g} minutes is outside "
                            f"[{link.min_gap_minutes}, {link.max_gap_minutes}]",
                        )
                elif isinstance(link, BeforeVisit):
                    if (a is None) != (b is None):
                        which = req.id if b is not None else link.request_id
                        self.flag(
                            "link_before_visit",
                            req.id,
                            f"{where}: only request {which} of the pair is scheduled",
                        )
                        continue
                    if a is None or b is None:
                        continue
                    before = (a.day - b.day).days
                    if not 0 <= before <= link.max_days_before:
                        self.flag(
                            "link_before_visit",
                            req.id,
                            f"{where}: falls {before} day(s) before the visit, allowed 0 to "
                            f"{link.max_days_before}",
                        )
                elif isinstance(link, FollowUp):
                    if b is None:
                        continue
                    if a is None:
                        self.flag(
                            "link_follow_up",
                            req.id,
                            f"{where}: follow-up is scheduled but the request it follows is not",
                        )
                        continue
                    days = (b.day - a.day).days
                    if days < link.min_days:
                        self.flag(
                            "link_follow_up",
                            req.id,
                            f"{where}: follow-up is {days} day(s) after, min_days is "
                            f"{link.min_days}",
                        )

    # -- rule 13 ------------------------------------------------------------------------

    def pinned(self, first: dict[str, _Visit]) -> None:
        for pin in self.problem.pinned:
            if not pin.locked:
                continue
            v = first.get(pin.request_id)
            where = f"pinned appointment {pin.request_id}"
            if v is None:
                self.flag("pinned_locked", pin.request_id, f"{where}: locked but not scheduled")
                continue
            if v.provider_id != pin.provider_id:
                self.flag(
                    "pinned_locked",
                    pin.request_id,
                    f"{where}: provider_id: locked to {pin.provider_id}, scheduled with "
                    f"{v.provider_id}",
                )
            if v.start.astimezone(dt.UTC) != pin.start.astimezone(dt.UTC):
                self.flag(
                    "pinned_locked",
                    pin.request_id,
                    f"{where}: start: locked to {_show(pin.start.astimezone(self.clock.zone))}, "
                    f"scheduled at {_show(v.start)}",
                )

    # -- objective terms ----------------------------------------------------------------

    def terms(self, first: dict[str, _Visit]) -> ObjectiveTerms:
        unscheduled_priority = unscheduled_count = 0
        access_wait = provider_misses = time_misses = out_of_network = 0
        for req in self.problem.requests:
            v = first.get(req.id)
            if v is None:
                unscheduled_priority += req.priority
                unscheduled_count += 1
                continue
            wait = math.floor((v.s - self.clock.seconds(req.earliest)) / 60)
            access_wait += req.priority * wait
            if req.preferred_provider_ids and v.provider_id not in req.preferred_provider_ids:
                provider_misses += 1
            provider = self.providers.get(v.provider_id)
            if (
                provider is not None
                and provider.networks is not None
                and req.payer is not None
                and req.payer not in provider.networks
            ):
                out_of_network += 1
            if req.preferred_times:
                t = v.start.time()
                if not any(w.start <= t < w.end for w in req.preferred_times):
                    time_misses += 1
        days: dict[tuple[str, dt.date], list[_Visit]] = defaultdict(list)
        for v in first.values():
            days[(v.provider_id, v.day)].append(v)
        idle = 0
        for items in days.values():
            span = max(v.e for v in items) - min(v.s for v in items)
            busy = sum(v.e - v.s for v in items)
            idle += (span - busy) // 60
        moves = move_cost = 0
        for pin in self.problem.pinned:
            if pin.locked:
                continue
            v = first.get(pin.request_id)
            if (
                v is None
                or v.provider_id != pin.provider_id
                or v.start.astimezone(dt.UTC) != pin.start.astimezone(dt.UTC)
            ):
                moves += 1
                move_cost += pin.move_cost
        return ObjectiveTerms(
            unscheduled_priority=unscheduled_priority,
            unscheduled_count=unscheduled_count,
            access_wait=access_wait,
            idle_gap=idle,
            provider_preference_misses=provider_misses,
            time_preference_misses=time_misses,
            pinned_moves=moves,
            pinned_move_cost=move_cost,
            out_of_network_visits=out_of_network,
        )


def validate(
    problem: Problem,
    schedule: Result | Iterable[Assignment] | pd.DataFrame,
    unscheduled_ids: Iterable[str] | None = None,
) -> ValidationReport:
    """Check a schedule against every hard rule and recompute the objective terms.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result, iterable of Assignment, or pandas.DataFrame
        The visits.  A frame needs the columns ``request_id``, ``provider_id``,
        ``room_id`` (empty, ``None`` or NaN for a virtual visit), ``start`` and ``end``
        (aware datetimes, or ISO-8601 strings with a UTC offset); ``patient_id`` and
        ``visit_type`` are checked against the request when present.
    unscheduled_ids : iterable of str, optional
        Requests the solver reports as unscheduled.  When given, or when ``schedule`` is a
        :class:`~psr_sched.result.Result` (its ``unscheduled`` list is used unless this is
        given), every request must appear exactly once across the schedule and this list.
        Otherwise requests absent from the schedule simply count as unscheduled.

    Returns
    -------
    ValidationReport
        The violations, grouped by rule, and the recomputed objective terms.

    Raises
    ------
    ProblemError
        If a schedule frame lacks a required column or holds an unreadable value.

    Examples
    --------
    >>> report = validate(problem, result)  # doctest: +SKIP
    >>> report.ok, report.objective(problem.weights)  # doctest: +SKIP
    """
    if unscheduled_ids is None and isinstance(schedule, Result):
        unscheduled_ids = [u.request_id for u in schedule.unscheduled]
    checker = _Validator(problem)
    visits = checker.normalise(_rows(schedule))
    first = checker.conservation(visits, unscheduled_ids)
    for v in visits:
        checker.per_visit(v)
    checker.overlaps(visits)
    checker.front_desk(visits)
    checker.max_per_day(visits)
    checker.links(first)
    checker.pinned(first)
    return ValidationReport(violations=tuple(checker.violations), terms=checker.terms(first))


# -- reading schedule.csv ---------------------------------------------------------------


def read_schedule_csv(path: str | Path, problem: Problem) -> pd.DataFrame:
    """Read a ``schedule.csv`` as written by the command line.

    Parameters
    ----------
    path : str or Path
        The file.  Columns ``request_id``, ``provider_id``, ``room_id``, ``start`` and
        ``end`` are required; ``patient_id``, ``visit_type`` and ``wait_minutes`` are read
        when present.  ``start`` and ``end`` are ISO-8601 with a UTC offset.
    problem : Problem
        The problem; its horizon's timezone is used for ``start`` and ``end``.

    Returns
    -------
    pandas.DataFrame
        One row per visit; ``start`` and ``end`` are timezone-aware in the horizon's zone,
        ``room_id`` is ``None`` for a virtual visit, ``wait_minutes`` is ``Int64``.

    Raises
    ------
    ProblemError
        If the file cannot be read, lacks a column, or a row holds a bad value; the
        message names the row and the column and never echoes the value.
    """
    path = Path(path)
    name = path.name
    raw = read_csv_strings(path, REQUIRED_COLUMNS)
    zone = problem.horizon.zone
    columns = [c for c in SCHEDULE_COLUMNS if c in raw.columns]
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for i, record in enumerate(raw.to_dict("records")):
        where = f"{name}: row {i + 1} (line {i + 2})"
        for column in columns:
            value = str(record[column]).strip()
            at = f"{where}, column {column}"
            if column in ("start", "end"):
                if not value:
                    raise ProblemError(f"{at}: a datetime is missing")
                data[column].append(_to_datetime(value, at).astimezone(zone))
            elif column == "wait_minutes":
                if not value:
                    data[column].append(None)
                    continue
                try:
                    data[column].append(int(value))
                except ValueError:
                    raise ProblemError(f"{at}: is not a whole number of minutes") from None
            elif column == "room_id":
                data[column].append(value or None)
            else:
                if not value:
                    raise ProblemError(f"{at}: value is missing")
                data[column].append(value)
    frame = pd.DataFrame({c: pd.Series(data[c], dtype=object) for c in columns})
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(zone)
    if "wait_minutes" in frame:
        frame["wait_minutes"] = frame["wait_minutes"].astype("Int64")
    return frame
