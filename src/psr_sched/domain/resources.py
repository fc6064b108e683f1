"""Clinic resources: providers, rooms and the front desk, with their calendars."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from psr_sched.domain.base import DomainModel, Identifier
from psr_sched.domain.time import TimeWindow


class WeeklyHours(DomainModel):
    """A recurring block of hours on one weekday (Monday = 0).

    Parameters
    ----------
    weekday : int
        0 (Monday) .. 6 (Sunday).
    start, end : datetime.time
        Local wall times, ``end`` after ``start``.
    """

    weekday: int = Field(ge=0, le=6)
    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    @property
    def window(self) -> TimeWindow:
        """The hours as a :class:`TimeWindow`."""
        return TimeWindow(start=self.start, end=self.end)


class DatedHours(DomainModel):
    """Hours on one date: extra hours, or hours blocked (time off, meetings).

    ``start`` and ``end`` left out mean the whole day.
    """

    date: dt.date
    start: dt.time | None = None
    end: dt.time | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> DatedHours:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither for the whole day")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def window(self) -> TimeWindow:
        """The blocked or added span; the whole day when no times are given."""
        if self.start is None or self.end is None:
            return TimeWindow(start=dt.time(0, 0), end=dt.time(23, 59))
        return TimeWindow(start=self.start, end=self.end)


def weekly_sessions(
    weekdays: tuple[int, ...], *windows: tuple[dt.time, dt.time]
) -> tuple[WeeklyHours, ...]:
    """Build weekly hours for every weekday in ``weekdays`` and every (start, end) window."""
    return tuple(WeeklyHours(weekday=d, start=s, end=e) for d in weekdays for (s, e) in windows)


class Provider(DomainModel):
    """A clinician who sees patients.

    Parameters
    ----------
    id : str
        Unique provider id.
    name : str
        Display name (staff names are not patient data).
    specialty : str
        Specialty, used for reporting and grouping.
    skills : tuple of str
        Skills a visit type may require (e.g. ``"primary_care"``, ``"procedure"``).
    sessions : tuple of WeeklyHours
        Recurring clinic sessions.  A visit never crosses a session's end.
    extra_sessions : tuple of DatedHours
        Dated sessions added to the weekly pattern.
    unavailable : tuple of DatedHours
        Dated time off or blocked hours, removed from the sessions.
    networks : tuple of str or None
        Payer networks the provider is in; ``None`` accepts every payer.
    max_visits_per_day : int or None
        Upper bound on visits per day, if any.
    """

    id: Identifier
    name: str = ""
    specialty: str = ""
    skills: tuple[str, ...] = ()
    sessions: tuple[WeeklyHours, ...] = ()
    extra_sessions: tuple[DatedHours, ...] = ()
    unavailable: tuple[DatedHours, ...] = ()
    networks: tuple[str, ...] | None = None
    max_visits_per_day: int | None = Field(default=None, ge=0)

    @field_validator("extra_sessions")
    @classmethod
    def _extra_have_times(cls, value: tuple[DatedHours, ...]) -> tuple[DatedHours, ...]:
        for item in value:
            if item.start is None:
                raise ValueError(f"extra session on {item.date} needs start and end times")
        return value


class Room(DomainModel):
    """A room of some kind (exam, procedure, ...).

    Parameters
    ----------
    id : str
        Unique room id.
    kind : str
        Room kind that visit types ask for.
    hours : tuple of WeeklyHours
        Recurring open hours.  Default: Monday to Friday, 07:00 to 19:00.
    closed : tuple of DatedHours
        Dated closures (whole day when no times are given).
    turnover_minutes : int
        Cleaning and set-up time the room needs after each visit.
    """

    id: Identifier
    kind: Identifier
    hours: tuple[WeeklyHours, ...] = weekly_sessions((0, 1, 2, 3, 4), (dt.time(7), dt.time(19)))
    closed: tuple[DatedHours, ...] = ()
    turnover_minutes: int = Field(default=0, ge=0, le=240)


class StationShift(DomainModel):
    """Check-in stations staffed over a span of every open day (or one weekday)."""

    start: dt.time
    end: dt.time
    stations: int = Field(ge=0)
    weekday: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _ordered(self) -> StationShift:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


class FrontDesk(DomainModel):
    """The front desk's check-in stations over the day.

    Each arriving patient holds one station for the visit type's check-in minutes, ending
    at the visit's start.  Outside every shift no station is open, so no in-person visit
    can start there unless its check-in needs no time.
    """

    shifts: tuple[StationShift, ...]
