"""Planning horizon: local dates in one IANA timezone, and the integer time grain.

Outside the solver, times are timezone-aware datetimes.  Inside, a time is the number of
minutes elapsed since local midnight of the horizon's first date (true elapsed time, so a
daylight-saving day is 23 or 25 hours long), divided by the grain.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from psr_sched.domain.base import DomainModel


class TimeWindow(DomainModel):
    """A span of local wall-clock time within a day, ``start`` inclusive, ``end`` exclusive.

    Parameters
    ----------
    start, end : datetime.time
        Local times; ``end`` must be after ``start``.
    """

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def minutes(self) -> tuple[int, int]:
        """Return (start, end) as minutes after local midnight."""
        return _minute_of_day(self.start), _minute_of_day(self.end)


def _minute_of_day(t: dt.time) -> int:
    return t.hour * 60 + t.minute


class Horizon(DomainModel):
    """The dates a problem plans, in one timezone.

    Parameters
    ----------
    start, end : datetime.date
        First and last calendar date, inclusive.
    timezone : str
        IANA timezone name such as ``"America/Chicago"``.
    grain_minutes : int
        Time grain of the solver; divides 60.  Default 5.
    closed_weekdays : tuple of int
        Weekdays the clinic is closed (Monday = 0).  Default Saturday and Sunday.
    closed_dates : tuple of datetime.date
        Further closed dates, such as holidays.
    """

    start: dt.date
    end: dt.date
    timezone: str
    grain_minutes: int = Field(default=5, ge=1, le=60)
    closed_weekdays: tuple[int, ...] = (5, 6)
    closed_dates: tuple[dt.date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("grain_minutes")
    @classmethod
    def _divides_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError(f"grain of {value} minutes does not divide an hour")
        return value

    @field_validator("closed_weekdays")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [d for d in value if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"weekday {bad[0]} is not in 0 (Monday) .. 6 (Sunday)")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _not_empty(self) -> Horizon:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not self.dates:
            raise ValueError(f"no open date between {self.start} and {self.end}")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        """The timezone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @cached_property
    def dates(self) -> tuple[dt.date, ...]:
        """Open dates of the horizon, in order."""
        closed = set(self.closed_dates)
        days = (self.end - self.start).days + 1
        all_dates = (self.start + dt.timedelta(days=i) for i in range(days))
        return tuple(
            d for d in all_dates if d.weekday() not in self.closed_weekdays and d not in closed
        )

    @cached_property
    def origin(self) -> dt.datetime:
        """Start of the first calendar date (local midnight), as an aware UTC datetime."""
        return self.day_start(self.start)

    def day_start(self, day: dt.date) -> dt.datetime:
        """First instant of a local date, in UTC (also where midnight is skipped by DST)."""
        naive = dt.datetime.combine(day, dt.time(0, 0))
        first = naive.replace(tzinfo=self.zone, fold=0).astimezone(dt.UTC)
        second = naive.replace(tzinfo=self.zone, fold=1).astimezone(dt.UTC)
        return min(first, second)

    def day_start_minute(self, day: dt.date) -> int:
        """Minutes from the origin to the first instant of ``day``."""
        return self.minute_of(self.day_start(day))

    def local(self, day: dt.date, time: dt.time) -> dt.datetime:
        """Return the aware datetime for a local wall time; raise if it does not exist.

        A wall time skipped by a daylight-saving change (e.g. 02:30 on a spring-forward day)
        is an error; an ambiguous one (fall-back) takes its first occurrence.
        """
        naive = dt.datetime.combine(day, time)
        aware = naive.replace(tzinfo=self.zone, fold=0)
        round_trip = aware.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None)
        if round_trip != naive:
            raise ValueError(f"local time {naive.isoformat()} does not exist in {self.timezone}")
        return aware

    def minute_of(self, moment: dt.datetime) -> int:
        """Minutes elapsed from the horizon origin to an aware datetime (floor)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("datetime has no timezone")
        # Aware datetimes sharing a tzinfo subtract as wall-clock times; UTC gives true
        # elapsed time across daylight-saving changes.
        seconds = (moment.astimezone(dt.UTC) - self.origin).total_seconds()
        return int(seconds // 60)

    def local_minute(self, day: dt.date, time: dt.time) -> int:
        """Minutes from the origin to a local wall time on ``day``."""
        return self.minute_of(self.local(day, time))

    def at_minute(self, minute: int) -> dt.datetime:
        """The aware local datetime ``minute`` minutes after the origin."""
        utc = self.origin + dt.timedelta(minutes=minute)
        return utc.astimezone(self.zone)

    def to_grain_ceil(self, minute: int) -> int:
        """First grain index at or after ``minute``."""
        return -(-minute // self.grain_minutes)

    def to_grain_floor(self, minute: int) -> int:
        """Last grain index at or before ``minute``."""
        return minute // self.grain_minutes


def subtract_span(spans: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    """The parts of half-open ``spans`` outside the half-open ``cut``, in order."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if cut[1] <= start or cut[0] >= end:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out
