"""Seeded generator of realistic outpatient clinic problems, and the embedded demo clinic.

The generator first builds a *reference schedule*: each placeable request gets a provider, a
room and a start that respect sessions, time off, room hours and turnover, the front desk's
check-in stations, the links and the patient's other visits.  Request windows, pinned
appointments and preferences are then drawn around that schedule.  So every generated problem
admits a schedule that places all its requests except the few built to be unplaceable, each
for one stated reason (see :func:`demo_stats`, key ``"unplaceable"``).

All randomness comes from one ``numpy.random.default_rng(seed)``: a seed gives the same
problem, byte for byte, in every process.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from psr_sched.domain import (
    AppointmentRequest,
    DatedHours,
    FollowUp,
    FrontDesk,
    Horizon,
    PinnedAppointment,
    Provider,
    RequestLink,
    Room,
    SameDaySequence,
    StationShift,
    TimeWindow,
    VisitType,
    WeeklyHours,
)
from psr_sched.domain.time import subtract_span
from psr_sched.problem import Problem, build_problem
from psr_sched.result import ReasonCode

__all__ = ["COUNSELING_SKILL", "demo_problem", "demo_stats", "generate_clinic"]

_GRAIN = 5  # minutes; every duration, check-in and turnover below is a multiple of it
_SLOTS = 24 * 60 // _GRAIN
_HALF_DAYS = ((8 * 60, 12 * 60), (13 * 60, 17 * 60))  # morning and afternoon sessions
_CLOSE = 17 * 60  # end of the clinic day, the latest moment of a request window
_PATIENCE = 15  # minutes a provider waits for a room or station before another visit type
_MORNING = TimeWindow(start=dt.time(8), end=dt.time(12))
_AFTERNOON = TimeWindow(start=dt.time(13), end=dt.time(17))
_PAYERS = ("MEDICARE", "MEDICAID", "BCBS", "AETNA", "UHC")
_RARE_PAYER = "TRICARE"  # accepted by a few family physicians only
#: Skill of the clinic's financial counselor, required by visit type ``FINCOUNSEL``.
COUNSELING_SKILL = "financial_counseling"
_COUNSELOR_ID = "FC01"
# The counselor's weekly half-days: one a weekday, mornings and afternoons alternating, so a
# counselling visit fits on the date of any visit it has to come before.
_COUNSELOR_HALF_DAYS = ((0, 0), (1, 1), (2, 0), (3, 1), (4, 0))


@dataclass(frozen=True, slots=True)
class _TypeSpec:
    code: str
    name: str
    minutes: int
    room_kind: str | None
    skill: str | None
    check_in: int


# Short visits are 15 minutes: one clinic's measured consultations had a mean of 13.4 and a
# median of 12 minutes (HanguData, Data 8(3):47, 2023; /work/shared/FACTS.md).
_TYPES = {
    t.code: t
    for t in (
        _TypeSpec("NEW", "New patient visit", 40, "exam", "primary_care", 10),
        _TypeSpec("EST", "Established patient visit", 20, "exam", "primary_care", 5),
        _TypeSpec("ANNUAL", "Annual wellness visit", 30, "exam", "primary_care", 10),
        _TypeSpec("SICK", "Same-day sick visit", 15, "exam", "primary_care", 5),
        _TypeSpec("WCC", "Well-child check", 30, "exam", "pediatrics", 10),
        _TypeSpec("TELE", "Telehealth visit", 15, None, "telehealth", 0),
        _TypeSpec("CARD", "Cardiology visit", 30, "exam", "cardiology", 10),
        _TypeSpec("DERM", "Dermatology visit", 20, "exam", "dermatology", 5),
        _TypeSpec("ORTHO", "Orthopedic visit", 30, "exam", "orthopedics", 5),
        _TypeSpec("PROC", "Office procedure", 45, "procedure", "procedure", 10),
        # Booked right after a clinician's visit: the patient is already checked in.
        _TypeSpec("EDU", "Patient education after a visit", 30, "exam", "education", 0),
        # Built to be unplaceable: nobody has the skill; no room of the kind exists.
        _TypeSpec("NEURO", "Neurology consult", 40, "exam", "neurology", 10),
        _TypeSpec("CAST", "Cast application", 30, "cast", "orthopedics", 5),
        # Booked by intake for a prior balance (psr_sched.intake.apply_intake): the counselor
        # meets the patient in their own office or by phone, so no clinic room and no desk.
        _TypeSpec("FINCOUNSEL", "Financial counseling", 30, None, COUNSELING_SKILL, 0),
    )
}
# Visits an education visit may follow the same day (diet, device, wound care, heart failure).
_EDU_AFTER = ("NEW", "ANNUAL", "WCC", "PROC", "CARD")
_EDU_MAX_GAP = 60
_FOLLOW_UP_AFTER = ("NEW", "PROC", "CARD", "DERM", "ORTHO")
_FOLLOW_UP_AS = ("EST", "TELE", "CARD", "DERM", "ORTHO")
_FOLLOW_UP_DAYS = 2
_ESTABLISHED = ("EST", "ANNUAL", "SICK", "WCC", "TELE")  # primary-care continuity applies


@dataclass(frozen=True, slots=True)
class _SpecialtySpec:
    prefix: str
    name: str
    share: int  # providers out of 24
    skills: tuple[str, ...]
    half_days: tuple[int, int]  # weekly clinic half-days, inclusive range
    mix: tuple[tuple[str, float], ...]  # visit type → share of the provider's visits
    title: str
    children: bool = False  # payer mix of a pediatric panel


_SPECIALTIES = (
    _SpecialtySpec(
        "FM",
        "family medicine",
        7,
        ("primary_care", "pediatrics", "telehealth"),
        (5, 6),
        (
            ("EST", 0.34),
            ("NEW", 0.10),
            ("ANNUAL", 0.12),
            ("SICK", 0.14),
            ("WCC", 0.06),
            ("TELE", 0.16),
            ("PROC", 0.08),
        ),
        "Dr.",
    ),
    _SpecialtySpec(
        "IM",
        "internal medicine",
        5,
        ("primary_care", "telehealth"),
        (5, 6),
        (("EST", 0.38), ("NEW", 0.10), ("ANNUAL", 0.16), ("SICK", 0.14), ("TELE", 0.22)),
        "Dr.",
    ),
    _SpecialtySpec(
        "PED",
        "pediatrics",
        4,
        ("pediatrics", "primary_care", "telehealth"),
        (4, 6),
        (("WCC", 0.38), ("SICK", 0.26), ("EST", 0.16), ("NEW", 0.08), ("TELE", 0.12)),
        "Dr.",
        children=True,
    ),
    _SpecialtySpec(
        "CAR",
        "cardiology",
        2,
        ("cardiology", "telehealth"),
        (3, 4),
        (("CARD", 0.70), ("TELE", 0.30)),
        "Dr.",
    ),
    _SpecialtySpec(
        "DER",
        "dermatology",
        2,
        ("dermatology", "procedure", "telehealth"),
        (4, 6),
        (("DERM", 0.62), ("PROC", 0.30), ("TELE", 0.08)),
        "Dr.",
    ),
    _SpecialtySpec(
        "ORT",
        "orthopedics",
        2,
        ("orthopedics", "procedure", "telehealth"),
        (3, 4),
        (("ORTHO", 0.62), ("PROC", 0.30), ("TELE", 0.08)),
        "Dr.",
    ),
    # Educators see only patients sent over after a visit (same-day sequences).
    _SpecialtySpec("EDU", "nurse education", 2, ("education",), (3, 4), (), "RN"),
)

# Patient payer mixes (self-pay is None).  Illustrative shares, not published figures.
_ADULT_PAYERS: tuple[tuple[str | None, float], ...] = (
    ("MEDICARE", 0.22),
    ("MEDICAID", 0.16),
    ("BCBS", 0.22),
    ("AETNA", 0.12),
    ("UHC", 0.18),
    (_RARE_PAYER, 0.03),
    (None, 0.07),
)
_CHILD_PAYERS: tuple[tuple[str | None, float], ...] = (
    ("MEDICAID", 0.40),
    ("BCBS", 0.22),
    ("AETNA", 0.12),
    ("UHC", 0.16),
    (_RARE_PAYER, 0.03),
    (None, 0.07),
)

_SURNAMES = (
    "Alvarez",
    "Bennett",
    "Chen",
    "Dubois",
    "Eze",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Johansson",
    "Kim",
    "Lopez",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Tanaka",
    "Underwood",
    "Vargas",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zimmerman",
    "Abbott",
    "Brooks",
    "Castillo",
    "Delgado",
    "Ellis",
    "Foster",
    "Gupta",
    "Hughes",
    "Iyer",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreno",
    "Novak",
    "Owens",
    "Park",
    "Reyes",
    "Schmidt",
    "Thompson",
    "Usman",
    "Volkov",
    "Wright",
)

Span = tuple[int, int]  # [start, end) in minutes after local midnight


# -- calendars ----------------------------------------------------------------------------


def _provider_spans(provider: Provider, day: dt.date) -> list[Span]:
    """Bookable spans of a provider on a date: its sessions minus its time off."""
    spans = [w.window.minutes() for w in provider.sessions if w.weekday == day.weekday()]
    spans += [x.window().minutes() for x in provider.extra_sessions if x.date == day]
    for off in provider.unavailable:
        if off.date == day:
            whole_day = off.start is None
            spans = subtract_span(spans, (0, 24 * 60) if whole_day else off.window().minutes())
    return sorted(spans)


def _room_spans(room: Room, day: dt.date) -> list[Span]:
    spans = [w.window.minutes() for w in room.hours if w.weekday == day.weekday()]
    for off in room.closed:
        if off.date == day:
            spans = subtract_span(
                spans, (0, 24 * 60) if off.start is None else off.window().minutes()
            )
    return sorted(spans)


def _open_dates(start: dt.date, count: int, closed_weekdays: tuple[int, ...]) -> list[dt.date]:
    dates: list[dt.date] = []
    day = start
    while len(dates) < count:
        if day.weekday() not in closed_weekdays:
            dates.append(day)
        day += dt.timedelta(days=1)
    return dates


def _add_open_days(day: dt.date, count: int, closed_weekdays: tuple[int, ...]) -> dt.date:
    """The ``count``-th open weekday after ``day`` (holidays past the horizon are unknown)."""
    return _open_dates(day + dt.timedelta(days=1), count, closed_weekdays)[-1] if count else day


def _minutes_to_time(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


# -- the reference schedule ---------------------------------------------------------------


@dataclass(slots=True)
class _Staff:
    index: int
    id: str
    name: str
    specialty: _SpecialtySpec
    skills: tuple[str, ...]
    networks: tuple[str, ...]
    codes: tuple[str, ...]
    probabilities: npt.NDArray[np.float64]
    durations: dict[str, int]
    half_days: list[tuple[int, int]]
    unavailable: list[DatedHours] = field(default_factory=list)
    extra_sessions: list[DatedHours] = field(default_factory=list)
    max_visits_per_day: int | None = None
    carry: float = 0.0  # booked-minute budget carried to the next session

    @property
    def mean_minutes(self) -> float:
        """Mean base duration of the provider's visit mix."""
        return float(
            sum(p * _TYPES[c].minutes for c, p in zip(self.codes, self.probabilities, strict=True))
        )

    def duration(self, code: str) -> int:
        return self.durations.get(code, _TYPES[code].minutes)

    def accepts(self, payer: str | None) -> bool:
        return payer is None or payer in self.networks

    def model(self) -> Provider:
        return Provider(
            id=self.id,
            name=self.name,
            specialty=self.specialty.name,
            skills=self.skills,
            sessions=tuple(
                WeeklyHours(
                    weekday=weekday,
                    start=_minutes_to_time(_HALF_DAYS[half][0]),
                    end=_minutes_to_time(_HALF_DAYS[half][1]),
                )
                for weekday, half in sorted(self.half_days)
            ),
            extra_sessions=tuple(self.extra_sessions),
            unavailable=tuple(self.unavailable),
            networks=self.networks,
            max_visits_per_day=self.max_visits_per_day,
        )


@dataclass(slots=True)
class _Visit:
    """One visit of the reference schedule, and the request drawn around it."""

    code: str
    staff: _Staff
    day: int  # index into the horizon's open dates
    start: int  # minutes after local midnight
    end: int
    room: str | None
    patient: int
    payer: str | None
    order: float  # tie-break of the request order
    edu_after: _Visit | None = None  # the visit this education visit follows
    follow_up_of: _Visit | None = None
    has_edu: bool = False
    has_follow_up: bool = False
    priority: int = 1
    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None
    preferred: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None
    times: tuple[TimeWindow, ...] = ()
    request_id: str = ""

    @property
    def linked(self) -> bool:
        return bool(self.edu_after or self.follow_up_of or self.has_edu or self.has_follow_up)


@dataclass(slots=True)
class _Session:
    start: int
    end: int
    cursor: int
    budget: float | None = None  # booked minutes still to place in this session


class _Board:
    """Rooms and front-desk stations of one date, on the grain."""

    def __init__(self, rooms: tuple[Room, ...], day: dt.date, desk: FrontDesk) -> None:
        self.room_ids = [room.id for room in rooms]
        self.kinds: dict[str, list[int]] = {}
        for position, room in enumerate(rooms):
            self.kinds.setdefault(room.kind, []).append(position)
        self.turnover = np.array([-(-r.turnover_minutes // _GRAIN) for r in rooms], dtype=np.int64)
        # A room is busy outside its open hours, so nothing is placed there.
        self.busy = np.ones((len(rooms), _SLOTS), dtype=np.int64)
        for position, room in enumerate(rooms):
            for s, e in _room_spans(room, day):
                self.busy[position, s // _GRAIN : e // _GRAIN] = 0
        self.desk_capacity = np.zeros(_SLOTS, dtype=np.int64)
        for shift in desk.shifts:
            if shift.weekday is None or shift.weekday == day.weekday():
                s, e = TimeWindow(start=shift.start, end=shift.end).minutes()
                self.desk_capacity[s // _GRAIN : e // _GRAIN] += shift.stations
        self.desk_used = np.zeros(_SLOTS, dtype=np.int64)
        # Prefix sums of busy slots, per room kind and for full desk slots; reset on booking.
        self._room_sums: dict[str, npt.NDArray[np.int64]] = {}
        self._desk_sums: npt.NDArray[np.int64] | None = None

    def _busy_sums(self, kind: str) -> npt.NDArray[np.int64]:
        sums = self._room_sums.get(kind)
        if sums is None:
            busy = self.busy[self.kinds[kind]]
            sums = np.zeros((busy.shape[0], _SLOTS + 1), dtype=np.int64)
            np.cumsum(busy, axis=1, out=sums[:, 1:])
            self._room_sums[kind] = sums
        return sums

    def _full_sums(self) -> npt.NDArray[np.int64]:
        if self._desk_sums is None:
            self._desk_sums = np.zeros(_SLOTS + 1, dtype=np.int64)
            np.cumsum(self.desk_used >= self.desk_capacity, out=self._desk_sums[1:])
        return self._desk_sums

    def earliest(
        self, kind: str | None, minutes: int, check_in: int, lo: int, hi: int
    ) -> tuple[int, int] | None:
        """Earliest start in [lo, hi] (minutes) with a free room and station: (start, room)."""
        if hi < lo:
            return None
        starts = np.arange(lo // _GRAIN, hi // _GRAIN + 1)
        ok = np.ones(len(starts), dtype=bool)
        if check_in:
            full = self._full_sums()
            ok &= full[starts] - full[starts - check_in // _GRAIN] == 0
        free: npt.NDArray[np.bool_] | None = None
        members: list[int] = []
        if kind is not None:
            members = self.kinds.get(kind, [])
            if not members:
                return None
            busy = self._busy_sums(kind)
            ends = starts[None, :] + minutes // _GRAIN + self.turnover[members][:, None]
            inside = ends <= _SLOTS
            rows = np.arange(len(members))[:, None]
            free = inside & (busy[rows, np.minimum(ends, _SLOTS)] - busy[:, starts] == 0)
            ok &= free.any(axis=0)
        if not ok.any():
            return None
        first = int(np.argmax(ok))
        room = -1 if free is None else members[int(np.argmax(free[:, first]))]
        return int(starts[first]) * _GRAIN, room

    def book(self, room: int, start: int, minutes: int, check_in: int) -> None:
        slot = start // _GRAIN
        if room >= 0:
            self.busy[room, slot : slot + minutes // _GRAIN + int(self.turnover[room])] += 1
            self._room_sums.clear()
        if check_in:
            self.desk_used[slot - check_in // _GRAIN : slot] += 1
            self._desk_sums = None


class _Generator:
    """Builds one clinic problem and its reference schedule from a seed."""

    def __init__(
        self,
        *,
        seed: int,
        providers: int,
        exam_rooms: int,
        procedure_rooms: int,
        days: int,
        load: float,
        start: dt.date,
        timezone: str,
        name: str | None,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.load = load
        self.name = name or f"Lakeside Health Center, demo week (seed {seed})"
        closed_weekdays = (5, 6)
        self.dates = _open_dates(start, days, closed_weekdays)
        self.horizon = Horizon(
            start=start,
            end=self.dates[-1],
            timezone=timezone,
            grain_minutes=_GRAIN,
            closed_weekdays=closed_weekdays,
        )
        self.rooms = self._rooms(exam_rooms, procedure_rooms)
        self.desk = self._front_desk(providers)
        self.day_off: tuple[_Staff, dt.date] | None = None  # a provider's whole day off
        self.staff = self._staff(providers)
        self.visits: list[_Visit] = []
        self.patients = 0

    # -- clinic ---------------------------------------------------------------------------

    def _rooms(self, exam_rooms: int, procedure_rooms: int) -> tuple[Room, ...]:
        rooms = [Room(id=f"EX{i + 1:02d}", kind="exam") for i in range(exam_rooms)]
        for i in range(procedure_rooms):
            closed: tuple[DatedHours, ...] = ()
            if i == procedure_rooms - 1 and procedure_rooms > 1 and len(self.dates) > 1:
                closed = (
                    DatedHours(
                        date=self.dates[1],
                        start=dt.time(8),
                        end=dt.time(12),
                        reason="sterilizer maintenance",
                    ),
                )
            # Procedure rooms are cleaned and set up again after every visit.
            rooms.append(
                Room(id=f"PR{i + 1:02d}", kind="procedure", closed=closed, turnover_minutes=10)
            )
        return tuple(rooms)

    @staticmethod
    def _front_desk(providers: int) -> FrontDesk:
        # About one check-in station per eight providers; one fewer in the last hour.
        stations = max(1, round(providers / 8))
        return FrontDesk(
            shifts=(
                StationShift(start=dt.time(7, 30), end=dt.time(12), stations=stations),
                StationShift(start=dt.time(12), end=dt.time(16), stations=stations),
                StationShift(start=dt.time(16), end=dt.time(17), stations=max(1, stations - 1)),
            )
        )

    @staticmethod
    def _roster(providers: int) -> list[int]:
        """Providers per specialty: shares of the 24-provider clinic, at least one each."""
        if providers < len(_SPECIALTIES):
            return [1 if i < providers else 0 for i in range(len(_SPECIALTIES))]
        total = sum(s.share for s in _SPECIALTIES)
        exact = [s.share * providers / total for s in _SPECIALTIES]
        counts = [max(1, int(x)) for x in exact]
        while sum(counts) < providers:
            counts[max(range(len(counts)), key=lambda i: exact[i] - counts[i])] += 1
        while sum(counts) > providers:
            spare = [i for i in range(len(counts)) if counts[i] > 1]
            counts[max(spare, key=lambda i: counts[i] - exact[i])] -= 1
        return counts

    def _staff(self, providers: int) -> list[_Staff]:
        rng = self.rng
        names = rng.permutation(len(_SURNAMES))
        load_by_half_day: Counter[tuple[int, int]] = Counter()
        open_weekdays = [d for d in range(7) if d not in self.horizon.closed_weekdays]
        room_kinds = {r.kind for r in self.rooms}
        staff: list[_Staff] = []
        for specialty, count in zip(_SPECIALTIES, self._roster(providers), strict=True):
            for k in range(count):
                skills = specialty.skills
                networks: tuple[str, ...] = _PAYERS
                if specialty.prefix == "FM":
                    if k % 2 == 1:  # half the family physicians do office procedures
                        skills = (*skills, "procedure")
                    if k % 3 == 0:
                        networks = (*networks, _RARE_PAYER)
                elif specialty.prefix == "DER" or (specialty.prefix == "ORT" and k == 1):
                    networks = tuple(p for p in networks if p != "MEDICAID")
                elif specialty.prefix == "IM" and k == 2:
                    networks = tuple(p for p in networks if p != "AETNA")
                elif specialty.prefix == "EDU":
                    networks = (*networks, _RARE_PAYER)
                mix = [
                    (code, share)
                    for code, share in specialty.mix
                    if _TYPES[code].skill in skills
                    and (_TYPES[code].room_kind is None or _TYPES[code].room_kind in room_kinds)
                ]
                weights = np.array([share for _, share in mix], dtype=np.float64)
                surname = _SURNAMES[int(names[len(staff) % len(names)])]
                initial = chr(ord("A") + int(rng.integers(26)))
                if specialty.title == "RN":
                    display = f"{initial}. {surname}, RN"
                else:
                    display = f"{specialty.title} {initial}. {surname}"
                lo, hi = specialty.half_days
                staff.append(
                    _Staff(
                        index=len(staff),
                        id=f"{specialty.prefix}{k + 1:02d}",
                        name=display,
                        specialty=specialty,
                        skills=skills,
                        networks=networks,
                        codes=tuple(code for code, _ in mix),
                        probabilities=weights / weights.sum() if mix else weights,
                        durations={},
                        half_days=self._half_days(
                            int(rng.integers(lo, hi + 1)), open_weekdays, load_by_half_day
                        ),
                    )
                )
        self._durations(staff)
        self._time_off(staff)
        return staff

    def _half_days(
        self, count: int, weekdays: list[int], load: Counter[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Pick weekly half-days, mostly whole days, on the least staffed days."""
        rng = self.rng
        whole = min(count // 2, len(weekdays))
        if count % 2 == 0 and whole >= 2 and rng.random() < 0.3:
            whole -= 1  # two half days instead of one whole day
        halves = min(count - 2 * whole, len(weekdays) - whole)
        noise = rng.random(len(weekdays))
        by_load = sorted(
            range(len(weekdays)),
            key=lambda i: (load[(weekdays[i], 0)] + load[(weekdays[i], 1)], noise[i]),
        )
        chosen = [(weekdays[i], half) for i in by_load[:whole] for half in (0, 1)]
        rest = [(weekdays[i], half) for i in by_load[whole:] for half in (0, 1)]
        noise = rng.random(len(rest))
        taken_days: list[int] = []
        for i in sorted(range(len(rest)), key=lambda i: (load[rest[i]], noise[i])):
            if len(taken_days) == halves:
                break
            if rest[i][0] not in taken_days:
                chosen.append(rest[i])
                taken_days.append(rest[i][0])
        load.update(chosen)
        return sorted(chosen)

    def _durations(self, staff: list[_Staff]) -> None:
        """A few providers are slower or faster than the visit types' base durations."""
        overrides = (
            ("IM", {"NEW": 50, "EST": 25, "ANNUAL": 40}),  # a careful, slower internist
            ("FM", {"EST": 15, "SICK": 10}),  # a quick family physician
            ("FM", {"NEW": 50}),  # a newly hired family physician
            ("DER", {"DERM": 15}),  # a quick dermatologist
        )
        used: list[int] = []
        for prefix, durations in overrides:
            pool = [s for s in staff if s.specialty.prefix == prefix and s.index not in used]
            if pool:
                chosen = pool[int(self.rng.integers(len(pool)))]
                chosen.durations = durations
                used.append(chosen.index)

    def _time_off(self, staff: list[_Staff]) -> None:
        """A day off, a meeting, and a covering session, where the roster allows."""
        rng = self.rng
        middle = self.dates[len(self.dates) // 2]
        whole_days = [
            (s, d)
            for s in staff
            if s.specialty.prefix in ("FM", "IM")
            for d in self.dates
            if (d.weekday(), 0) in s.half_days and (d.weekday(), 1) in s.half_days
        ]
        if whole_days:
            nearest = min(abs((d - middle).days) for _, d in whole_days)
            pool = [(s, d) for s, d in whole_days if abs((d - middle).days) == nearest]
            person, day = pool[int(rng.integers(len(pool)))]
            person.unavailable.append(DatedHours(date=day, reason="vacation"))
            self.day_off = (person, day)
        afternoons = [
            (s, d)
            for s in staff
            if s.codes and not s.unavailable
            for d in self.dates
            if (d.weekday(), 1) in s.half_days
        ]
        if afternoons:
            person, day = afternoons[int(rng.integers(len(afternoons)))]
            person.unavailable.append(
                DatedHours(date=day, start=dt.time(13), end=dt.time(15), reason="quality meeting")
            )
        covering = [
            (s, d)
            for s in staff
            if s.specialty.prefix in ("CAR", "ORT", "DER")
            for d in self.dates
            if (d.weekday(), 1) not in s.half_days
        ]
        if covering:
            person, day = covering[int(rng.integers(len(covering)))]
            person.extra_sessions.append(
                DatedHours(date=day, start=dt.time(13), end=dt.time(17), reason="covering clinic")
            )

    # -- visits ---------------------------------------------------------------------------

    def _new_patient(self) -> int:
        self.patients += 1
        return self.patients

    def _draw_payer(self, staff: _Staff, code: str) -> str | None:
        mix = _CHILD_PAYERS if staff.specialty.children or code == "WCC" else _ADULT_PAYERS
        options = [(payer, share) for payer, share in mix if staff.accepts(payer)]
        weights = np.array([share for _, share in options])
        return options[int(self.rng.choice(len(options), p=weights / weights.sum()))][0]

    def schedule(self) -> None:
        """Fill every provider's sessions to ``load`` with visits, date by date."""
        models = [s.model() for s in self.staff]
        for day_index, day in enumerate(self.dates):
            board = _Board(self.rooms, day, self.desk)
            self._fill_clinicians(board, day_index, day, models)
            self._fill_educators(board, day_index, day, models)
        self._link_follow_ups()

    def _fill_clinicians(
        self, board: _Board, day_index: int, day: dt.date, models: list[Provider]
    ) -> None:
        # Providers take turns in time order, so they compete for rooms and stations fairly.
        queue: list[tuple[int, float, int, int]] = []
        sessions: dict[tuple[int, int], _Session] = {}
        for person in self.staff:
            if not person.codes:
                continue
            for k, (s, e) in enumerate(_provider_spans(models[person.index], day)):
                sessions[(person.index, k)] = _Session(s, e, s)
                heapq.heappush(queue, (s, float(self.rng.random()), person.index, k))
        while queue:
            _, _, index, k = heapq.heappop(queue)
            person, session = self.staff[index], sessions[(index, k)]
            if session.budget is None:
                session.budget = self.load * (session.end - session.start) + person.carry
                person.carry = 0.0
            if self._place_one(board, person, session, day_index) and session.budget > 0:
                heapq.heappush(queue, (session.cursor, float(self.rng.random()), index, k))
            else:
                person.carry = session.budget

    def _idle(self, session: _Session, mean_minutes: float) -> int:
        """Random idle time before the next visit, spreading the session's slack."""
        assert session.budget is not None
        slack = session.end - session.cursor - session.budget
        if slack <= 0 or session.budget <= 0:
            return 0
        mean_gap = slack / (session.budget / mean_minutes + 2)
        idle = _GRAIN * int(self.rng.poisson(mean_gap / _GRAIN))
        return min(idle, int(slack) // _GRAIN * _GRAIN)

    @staticmethod
    def _first_start(
        board: _Board, person: _Staff, codes: list[str], floor: int, end: int
    ) -> tuple[int, int, str] | None:
        """The first visit type in ``codes`` that can start soon, else the one starting first.

        Always taking the earliest start would favour virtual visits, which wait for nothing.
        """
        best: tuple[int, int, str] | None = None
        for code in codes:
            spec, minutes = _TYPES[code], person.duration(code)
            found = board.earliest(spec.room_kind, minutes, spec.check_in, floor, end - minutes)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], found[1], code)
            if best is not None and best[0] <= floor + _PATIENCE:
                break
        return best

    def _place_one(self, board: _Board, person: _Staff, session: _Session, day: int) -> bool:
        assert session.budget is not None
        rng = self.rng
        idle = self._idle(session, person.mean_minutes)
        drawn = rng.choice(len(person.codes), size=3, p=person.probabilities)
        codes = list(dict.fromkeys(person.codes[int(i)] for i in drawn))
        others = [code for code in person.codes if code not in codes]
        best = None
        # Other visit types only when none of the drawn ones fits in the rest of the session.
        for floor, group in (
            (session.cursor + idle, codes),
            (session.cursor, codes),
            (session.cursor, others),
        ):
            best = self._first_start(board, person, group, floor, session.end)
            if best is not None:
                break
        if best is None:
            return False
        start, room, code = best
        base = _TYPES[code].minutes
        # Stochastic rounding of the last visit keeps the booked minutes on target.
        if base > session.budget and rng.random() >= session.budget / base:
            return False
        minutes, spec = person.duration(code), _TYPES[code]
        board.book(room, start, minutes, spec.check_in)
        self.visits.append(
            _Visit(
                code=code,
                staff=person,
                day=day,
                start=start,
                end=start + minutes,
                room=None if room < 0 else board.room_ids[room],
                patient=self._new_patient(),
                payer=self._draw_payer(person, code),
                order=float(rng.random()),
            )
        )
        session.cursor = start + minutes
        session.budget -= base
        return session.cursor < session.end

    def _fill_educators(
        self, board: _Board, day_index: int, day: dt.date, models: list[Provider]
    ) -> None:
        """Education visits follow a new-patient or wellness visit within the hour."""
        spec = _TYPES["EDU"]
        minutes = spec.minutes
        firsts = [v for v in self.visits if v.day == day_index and v.code in _EDU_AFTER]
        for person in self.staff:
            if person.codes or spec.skill not in person.skills:
                continue
            for s, e in _provider_spans(models[person.index], day):
                session = _Session(s, e, s, self.load * (e - s) + person.carry)
                while session.budget is not None and session.budget > 0:
                    idle = self._idle(session, minutes)
                    best: tuple[int, int, _Visit] | None = None
                    for visit in firsts:
                        if visit.has_edu or not person.accepts(visit.payer):
                            continue
                        lo = max(session.cursor + idle, visit.end)
                        hi = min(visit.end + _EDU_MAX_GAP, session.end - minutes)
                        found = board.earliest(spec.room_kind, minutes, spec.check_in, lo, hi)
                        if found is not None and (best is None or found[0] < best[0]):
                            best = (found[0], found[1], visit)
                    if best is None:
                        break
                    start, room, after = best
                    board.book(room, start, minutes, spec.check_in)
                    after.has_edu = True
                    self.visits.append(
                        _Visit(
                            code="EDU",
                            staff=person,
                            day=day_index,
                            start=start,
                            end=start + minutes,
                            room=board.room_ids[room],
                            patient=after.patient,
                            payer=after.payer,
                            order=after.order,
                            edu_after=after,
                        )
                    )
                    session.cursor = start + minutes
                    session.budget -= minutes
                person.carry = session.budget or 0.0

    def _link_follow_ups(self) -> None:
        """Make some later visits with the same provider follow-ups of earlier ones."""
        rng = self.rng
        target = round(0.03 * len(self.visits))
        firsts = [v for v in self.visits if v.code in _FOLLOW_UP_AFTER]
        linked = 0
        for i in rng.permutation(len(firsts)):
            if linked >= target:
                break
            first = firsts[int(i)]
            if first.has_follow_up or first.follow_up_of is not None:
                continue
            earliest_day = self.dates[first.day] + dt.timedelta(days=_FOLLOW_UP_DAYS)
            later = [
                v
                for v in self.visits
                if v.staff is first.staff
                and v.code in _FOLLOW_UP_AS
                and self.dates[v.day] >= earliest_day
                and not v.linked
            ]
            if not later:
                continue
            second = later[int(rng.integers(len(later)))]
            second.follow_up_of = first
            second.patient = first.patient
            second.payer = first.payer  # the same provider, so in network
            first.has_follow_up = True
            linked += 1

    # -- requests -------------------------------------------------------------------------

    def _at(self, day: dt.date, minute: int) -> dt.datetime:
        return self.horizon.local(day, _minutes_to_time(minute))

    def _week_end(self, day: dt.date) -> dt.date:
        """The last open weekday of the week of ``day``."""
        closed = self.horizon.closed_weekdays
        last = day
        for k in range(1, 7 - day.weekday()):
            candidate = day + dt.timedelta(days=k)
            if candidate.weekday() not in closed:
                last = candidate
        return last

    def _arrival(self, lo: int, hi: int) -> int:
        """A request's first day in [lo, hi], earlier days more likely."""
        weights = 0.7 ** np.arange(hi - lo + 1)
        return lo + int(self.rng.choice(len(weights), p=weights / weights.sum()))

    def _window(self, visit: _Visit) -> None:
        rng = self.rng
        day = self.dates[visit.day]
        closed = self.horizon.closed_weekdays
        if visit.code == "SICK":  # urgent, same day: called in the morning
            visit.priority = 10
            hour = int(rng.integers(8, min(visit.start // 60, 11) + 1))
            visit.earliest, visit.latest = self._at(day, hour * 60), self._at(day, _CLOSE)
            return
        soon = rng.random() < 0.12
        visit.priority = 3 if soon else 1
        if visit.follow_up_of is not None:
            after = self.dates[visit.follow_up_of.day] + dt.timedelta(days=_FOLLOW_UP_DAYS)
            first = min(i for i, d in enumerate(self.dates) if d >= after)
        elif soon:
            first = self._arrival(max(0, visit.day - 2), visit.day)
        else:
            # Within ten open days: TNAA targets of 10 days or less (IHI; FACTS.md).
            first = self._arrival(max(0, visit.day - 9), visit.day)
        if soon:
            last = max(_add_open_days(self.dates[first], 2, closed), day)
        else:
            last = self._week_end(day)
            if rng.random() < 0.3:  # a few open days past the end of the week
                last = _add_open_days(last, int(rng.integers(1, 4)), closed)
        visit.earliest = self._at(self.dates[first], _HALF_DAYS[0][0])
        visit.latest = self._at(last, _CLOSE)

    def _preferences(self, visit: _Visit) -> None:
        rng = self.rng
        person = visit.staff
        if visit.follow_up_of is not None:
            visit.preferred = (person.id,)
        elif visit.code in _ESTABLISHED and rng.random() < 0.8:
            # Continuity: the patient's own clinician, who is now and then fully booked.
            peers = [
                s.id
                for s in self.staff
                if s.specialty is person.specialty
                and s is not person
                and _TYPES[visit.code].skill in s.skills
                and s.accepts(visit.payer)
            ]
            own = rng.random() < 0.85 or not peers
            visit.preferred = (person.id,) if own else (peers[int(rng.integers(len(peers)))],)
        elif visit.code in ("CARD", "DERM", "ORTHO", "PROC") and rng.random() < 0.5:
            visit.preferred = (person.id,)
        if visit.code != "SICK" and rng.random() < 0.18:
            morning = visit.start < 12 * 60
            if rng.random() < 0.25:  # a wish the reference schedule does not meet
                morning = not morning
            visit.times = (_MORNING if morning else _AFTERNOON,)

    def _pins(self, requests: int) -> list[PinnedAppointment]:
        """About 5% of requests are booked already: most locked, some movable."""
        rng = self.rng
        pool = [v for v in self.visits if not v.linked]
        count = min(len(pool), round(0.05 * requests))
        pins = []
        for i in sorted(int(i) for i in rng.choice(len(pool), size=count, replace=False)):
            visit = pool[i]
            locked = rng.random() < 0.8
            pins.append(
                PinnedAppointment(
                    request_id=visit.request_id,
                    provider_id=visit.staff.id,
                    room_id=visit.room,
                    start=self._at(self.dates[visit.day], visit.start),
                    locked=locked,
                    move_cost=120 if locked else int(rng.choice([60, 120, 240])),
                )
            )
        return sorted(pins, key=lambda p: p.request_id)

    def _unplaceable(self) -> list[dict[str, Any]]:
        """Requests (without ids) that no schedule can place, each for one reason."""
        first, week_end = self.dates[0], self._week_end(self.dates[0])
        held: list[dict[str, Any]] = []

        def hold(code: str, payer: str | None, **extra: Any) -> None:
            held.append(
                {
                    "patient": -self._new_patient(),
                    "visit_type": code,
                    "payer": payer,
                    "earliest": self._at(first, _HALF_DAYS[0][0]),
                    "latest": self._at(week_end, _CLOSE),
                    "priority": 3,
                    **extra,
                }
            )

        hold("NEURO", "BCBS")  # NO_SKILLED_PROVIDER: no neurologist on staff
        orthopedists = [s for s in self.staff if "orthopedics" in s.skills]
        hold("CAST", orthopedists[0].networks[0] if orthopedists else None)  # NO_ROOM_OF_KIND
        # OUT_OF_NETWORK: a payer some family physicians take, but no specialist of the kind.
        for code in ("DERM", "CARD", "ORTHO"):
            skilled = [s for s in self.staff if _TYPES[code].skill in s.skills]
            if skilled and not any(s.accepts(_RARE_PAYER) for s in skilled):
                hold(code, _RARE_PAYER)
                break
        else:
            hold("EST", "WORKERS_COMP")  # a payer nobody takes
        # NO_SESSION_IN_WINDOW: a Saturday-only window ...
        saturday = first + dt.timedelta(days=(5 - first.weekday()) % 7)
        hold(
            "EST",
            None,
            priority=1,
            earliest=self._at(saturday, 8 * 60),
            latest=self._at(saturday, 12 * 60),
        )
        # ... and a window inside the day off of the only allowed provider.
        if self.day_off is not None:
            person, day = self.day_off
            hold(
                "EST",
                None,
                earliest=self._at(day, 8 * 60),
                latest=self._at(day, _CLOSE),
                allowed_provider_ids=(person.id,),
                preferred_provider_ids=(person.id,),
            )
        return held

    def problem(self) -> Problem:
        """Draw requests around the reference schedule and build the validated problem."""
        self.schedule()
        for visit in self.visits:
            if visit.edu_after is None:
                self._window(visit)
                self._preferences(visit)
        for visit in self.visits:
            if visit.edu_after is not None:
                after = visit.edu_after
                visit.priority, visit.earliest, visit.latest = (
                    after.priority,
                    after.earliest,
                    after.latest,
                )
        self._restrict_providers()
        held = self._unplaceable()
        # Requests are numbered in order of arrival; an education visit right after its visit.
        rows: list[tuple[dt.datetime, float, int, _Visit | dict[str, Any]]] = []
        for visit in self.visits:
            assert visit.earliest is not None
            rows.append((visit.earliest, visit.order, 1 if visit.edu_after else 0, visit))
        rows += [(h["earliest"], float(self.rng.random()), 0, h) for h in held]
        rows.sort(key=lambda row: row[:3])
        width = max(4, len(str(len(rows))))
        patient_ids: dict[int, str] = {}
        requests: list[AppointmentRequest] = []
        for number, (*_, item) in enumerate(rows, start=1):
            request_id = f"R{number:0{width}d}"
            if isinstance(item, dict):
                fields = dict(item)
                patient = fields.pop("patient")
                patient_id = patient_ids.setdefault(patient, f"P{len(patient_ids) + 1:0{width}d}")
                requests.append(AppointmentRequest(id=request_id, patient_id=patient_id, **fields))
                continue
            item.request_id = request_id
            patient_id = patient_ids.setdefault(item.patient, f"P{len(patient_ids) + 1:0{width}d}")
            links: tuple[RequestLink, ...] = ()
            if item.edu_after is not None:
                links = (
                    SameDaySequence(
                        request_id=item.edu_after.request_id,
                        min_gap_minutes=0,
                        max_gap_minutes=_EDU_MAX_GAP,
                    ),
                )
            elif item.follow_up_of is not None:
                links = (
                    FollowUp(request_id=item.follow_up_of.request_id, min_days=_FOLLOW_UP_DAYS),
                )
            assert item.earliest is not None and item.latest is not None
            requests.append(
                AppointmentRequest(
                    id=request_id,
                    patient_id=patient_id,
                    visit_type=item.code,
                    earliest=item.earliest,
                    latest=item.latest,
                    priority=item.priority,
                    preferred_provider_ids=item.preferred,
                    allowed_provider_ids=item.allowed,
                    preferred_times=item.times,
                    payer=item.payer,
                    links=links,
                )
            )
        self._limit_visits_per_day()
        return build_problem(
            {
                "name": self.name,
                "horizon": self.horizon,
                "providers": (*(s.model() for s in self.staff), self._counselor()),
                "rooms": self.rooms,
                "front_desk": self.desk,
                "visit_types": self._visit_types(),
                "requests": tuple(requests),
                "pinned": tuple(self._pins(len(requests))),
            }
        )

    def _restrict_providers(self) -> None:
        """About 2% of requests may be booked only with named providers (the patient's ask)."""
        rng = self.rng
        pool = [v for v in self.visits if not v.linked and v.code != "SICK"]
        if not pool:
            return
        for i in rng.choice(len(pool), size=max(1, len(pool) // 50), replace=False):
            visit = pool[int(i)]
            peers = [
                s.id
                for s in self.staff
                if s.specialty is visit.staff.specialty
                and s is not visit.staff
                and _TYPES[visit.code].skill in s.skills
                and s.accepts(visit.payer)
            ]
            allowed = {visit.staff.id, *visit.preferred}
            if peers and rng.random() < 0.5:
                allowed.add(peers[int(rng.integers(len(peers)))])
            visit.allowed = tuple(sorted(allowed))

    def _limit_visits_per_day(self) -> None:
        """About one provider in six has a daily cap, set at their busiest reference day."""
        busiest: Counter[tuple[int, int]] = Counter((v.staff.index, v.day) for v in self.visits)
        pool = [s for s in self.staff if s.specialty.prefix in ("FM", "IM", "PED", "DER")]
        count = min(len(pool), max(1, len(self.staff) // 6))
        for i in self.rng.choice(len(pool), size=count, replace=False):
            person = pool[int(i)]
            person.max_visits_per_day = max(
                (n for (index, _), n in busiest.items() if index == person.index), default=0
            )

    def _counselor(self) -> Provider:
        """The financial counselor: sees ``FINCOUNSEL`` visits only, for any payer.

        Not one of the ``providers`` the generator fills: no request of a generated problem
        needs the skill until intake adds counselling visits (see :mod:`psr_sched.demo_intake`).
        Built without drawing from the generator's random stream, so the rest of the clinic
        is the same as without the counselor.
        """
        open_weekdays = {d.weekday() for d in self.dates}
        return Provider(
            id=_COUNSELOR_ID,
            name="M. Arbenz, financial counselor",
            specialty="financial counseling",
            skills=(COUNSELING_SKILL,),
            sessions=tuple(
                WeeklyHours(
                    weekday=weekday,
                    start=_minutes_to_time(_HALF_DAYS[half][0]),
                    end=_minutes_to_time(_HALF_DAYS[half][1]),
                )
                for weekday, half in _COUNSELOR_HALF_DAYS
                if weekday in open_weekdays
            ),
            networks=None,
        )

    def _visit_types(self) -> tuple[VisitType, ...]:
        return tuple(
            VisitType(
                code=spec.code,
                name=spec.name,
                duration_minutes=spec.minutes,
                provider_durations={
                    s.id: s.durations[spec.code] for s in self.staff if spec.code in s.durations
                },
                room_kind=spec.room_kind,
                required_skill=spec.skill,
                check_in_minutes=spec.check_in,
            )
            for spec in _TYPES.values()
        )

    def reference(self) -> list[tuple[str, str, str | None, dt.datetime, dt.datetime]]:
        """The reference schedule: (request id, provider id, room id, start, end)."""
        return [
            (
                v.request_id,
                v.staff.id,
                v.room,
                self._at(self.dates[v.day], v.start),
                self._at(self.dates[v.day], v.end),
            )
            for v in self.visits
        ]


# -- public API ---------------------------------------------------------------------------


def _generate(
    *,
    seed: int = 0,
    providers: int = 24,
    exam_rooms: int = 12,
    procedure_rooms: int = 4,
    days: int = 5,
    load: float = 0.85,
    start: dt.date = dt.date(2026, 12, 7),
    timezone: str = "America/Chicago",
    name: str | None = None,
) -> tuple[Problem, list[tuple[str, str, str | None, dt.datetime, dt.datetime]]]:
    """Generate a problem and its reference schedule (for tests)."""
    for label, value, least in (
        ("providers", providers, 1),
        ("exam_rooms", exam_rooms, 1),
        ("procedure_rooms", procedure_rooms, 0),
        ("days", days, 1),
    ):
        if value < least:
            raise ValueError(f"{label} must be at least {least}, got {value}")
    if not 0 < load <= 1:
        raise ValueError(f"load must be in (0, 1], got {load}")
    generator = _Generator(
        seed=seed,
        providers=providers,
        exam_rooms=exam_rooms,
        procedure_rooms=procedure_rooms,
        days=days,
        load=load,
        start=start,
        timezone=timezone,
        name=name,
    )
    problem = generator.problem()
    return problem, generator.reference()


def generate_clinic(
    *,
    seed: int = 0,
    providers: int = 24,
    exam_rooms: int = 12,
    procedure_rooms: int = 4,
    days: int = 5,
    load: float = 0.85,
    start: dt.date = dt.date(2026, 12, 7),
    timezone: str = "America/Chicago",
    name: str | None = None,
) -> Problem:
    """Generate a realistic outpatient clinic problem, deterministic for a seed.

    Providers of several specialties (family and internal medicine, pediatrics, cardiology,
    dermatology, orthopedics, nurse educators) work weekly morning and afternoon sessions
    (08:00–12:00, 13:00–17:00) on some weekdays; requests fill their session time to about
    ``load``.  The problem carries linked visits, pinned appointments, preferences, payer
    networks, a front desk, and a few requests built to be unplaceable.  A financial
    counselor (provider ``FC01``, one half-day each weekday, any payer) and the visit type
    ``FINCOUNSEL`` are there for the counselling visits intake adds
    (:func:`psr_sched.demo_intake.demo_problem_with_intake`); no generated request needs them.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same problem.
    providers : int
        Number of clinicians and educators, split over the specialties like the 24-provider
        demo clinic.  The financial counselor comes on top of them.
    exam_rooms, procedure_rooms : int
        Rooms of each kind.  Procedure rooms need 10 minutes of turnover.
    days : int
        Open weekdays in the horizon, from ``start`` (weekends are closed).
    load : float
        Target of the requested minutes (base durations) over the providers' session
        minutes, in (0, 1].  Room and front-desk conflicts can keep the result a little lower.
    start : datetime.date
        First date of the horizon (the default is a Monday).
    timezone : str
        IANA timezone of the clinic.
    name : str, optional
        Label of the problem.

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    ValueError
        If a count is out of range or ``load`` is not in (0, 1].
    """
    problem, _ = _generate(
        seed=seed,
        providers=providers,
        exam_rooms=exam_rooms,
        procedure_rooms=procedure_rooms,
        days=days,
        load=load,
        start=start,
        timezone=timezone,
        name=name,
    )
    return problem


def demo_problem(seed: int = 0) -> Problem:
    """The embedded demo clinic: 24 providers and a financial counselor, 16 rooms, about
    1,000 requests in one week.

    Parameters
    ----------
    seed : int
        Seed of the generator.

    Returns
    -------
    Problem
        ``generate_clinic(seed=seed)`` with the default clinic.
    """
    return generate_clinic(seed=seed)


# -- statistics ---------------------------------------------------------------------------


def _static_reason(problem: Problem, request: AppointmentRequest) -> ReasonCode | None:
    """Why no schedule can place ``request`` on its own, or None when something might."""
    visit_type = problem.visit_type_by_code[request.visit_type]
    providers = [
        p
        for p in problem.providers
        if visit_type.required_skill is None or visit_type.required_skill in p.skills
    ]
    if not providers:
        return ReasonCode.NO_SKILLED_PROVIDER
    if request.allowed_provider_ids is not None:
        providers = [p for p in providers if p.id in request.allowed_provider_ids]
        if not providers:
            return ReasonCode.NO_ALLOWED_PROVIDER
    providers = [
        p
        for p in providers
        if p.networks is None or request.payer is None or request.payer in p.networks
    ]
    if not providers:
        return ReasonCode.OUT_OF_NETWORK
    if visit_type.room_kind is not None and not any(
        r.kind == visit_type.room_kind for r in problem.rooms
    ):
        return ReasonCode.NO_ROOM_OF_KIND
    horizon = problem.horizon
    earliest, latest = request.earliest.astimezone(dt.UTC), request.latest.astimezone(dt.UTC)
    for provider in providers:
        minutes = visit_type.duration_for(provider.id)
        for day in horizon.dates:
            for s, e in _provider_spans(provider, day):
                # In UTC: aware datetimes sharing a ZoneInfo compare on their wall clocks.
                lo = max(earliest, horizon.local(day, _minutes_to_time(s)).astimezone(dt.UTC))
                hi = min(latest, horizon.local(day, _minutes_to_time(e)).astimezone(dt.UTC))
                if (hi - lo).total_seconds() >= 60 * minutes:
                    return None
    return ReasonCode.NO_SESSION_IN_WINDOW


def demo_stats(problem: Problem) -> dict[str, Any]:
    """Counts and load of a problem, as plain JSON-ready values.

    Parameters
    ----------
    problem : Problem
        Any problem; usually one from :func:`generate_clinic` or :func:`demo_problem`.

    Returns
    -------
    dict
        ``name``, ``providers``, ``specialties``, ``rooms``, ``rooms_by_kind``, ``visit_types``,
        ``virtual_visit_types``, ``dates``, ``requests``, ``patients``,
        ``requests_by_visit_type``, ``requests_by_priority``, ``payers`` (self-pay as
        ``"self-pay"``), ``same_day_links``, ``follow_up_links``, ``pinned``,
        ``pinned_locked``, ``pinned_movable``, ``with_preferred_provider``,
        ``with_preferred_times``, ``with_allowed_providers``, ``session_minutes`` (sessions
        minus time off, over the open dates, of the providers with a skill some request
        needs: the financial counselor counts only once intake added counselling visits),
        ``requested_minutes`` (base durations), ``load`` (their ratio) and
        ``unplaceable``: request id → reason code for the
        requests that no schedule can place on their own (no skilled, allowed or in-network
        provider, no room of the kind, or no session that fits in the window).
    """
    types = problem.visit_type_by_code
    needed = {types[r.visit_type].required_skill for r in problem.requests}
    session_minutes = sum(
        e - s
        for provider in problem.providers
        if None in needed or needed.intersection(provider.skills)
        for day in problem.horizon.dates
        for s, e in _provider_spans(provider, day)
    )
    requested = sum(types[r.visit_type].duration_minutes for r in problem.requests)
    links = Counter(link.kind for r in problem.requests for link in r.links)
    unplaceable = {
        r.id: str(reason)
        for r in problem.requests
        if (reason := _static_reason(problem, r)) is not None
    }
    return {
        "name": problem.name,
        "dates": len(problem.horizon.dates),
        "providers": len(problem.providers),
        "specialties": dict(Counter(p.specialty for p in problem.providers)),
        "rooms": len(problem.rooms),
        "rooms_by_kind": dict(Counter(r.kind for r in problem.rooms)),
        "visit_types": len(problem.visit_types),
        "virtual_visit_types": sum(v.virtual for v in problem.visit_types),
        "requests": len(problem.requests),
        "patients": len({r.patient_id for r in problem.requests}),
        "requests_by_visit_type": dict(Counter(r.visit_type for r in problem.requests)),
        "requests_by_priority": {
            str(k): n for k, n in sorted(Counter(r.priority for r in problem.requests).items())
        },
        "payers": dict(Counter(r.payer or "self-pay" for r in problem.requests)),
        "same_day_links": links["same_day_sequence"],
        "follow_up_links": links["follow_up"],
        "pinned": len(problem.pinned),
        "pinned_locked": sum(p.locked for p in problem.pinned),
        "pinned_movable": sum(not p.locked for p in problem.pinned),
        "with_preferred_provider": sum(bool(r.preferred_provider_ids) for r in problem.requests),
        "with_preferred_times": sum(bool(r.preferred_times) for r in problem.requests),
        "with_allowed_providers": sum(r.allowed_provider_ids is not None for r in problem.requests),
        "session_minutes": session_minutes,
        "requested_minutes": requested,
        "load": round(requested / session_minutes, 4) if session_minutes else 0.0,
        "unplaceable": unplaceable,
    }
