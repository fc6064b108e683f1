"""Third next available appointment (TNAA) per provider and visit type.

TNAA is the standard access measure of ambulatory care (IHI, "Measure the Backlog"; see
``FACTS.md``): the number of days from a reference day to the third next slot open for that
appointment type.  The third rather than the first is used because first and second
openings are often chance cancellations.

Definition used here
--------------------
For a provider ``P`` who has the visit type ``V``'s required skill, with ``d`` the
duration of ``V`` for ``P`` (:meth:`VisitType.duration_for
<psr_sched.domain.VisitType.duration_for>`), a **slot** is a start ``s`` on the horizon's
grain, at or after the reference moment ``as_of``, such that

1. ``[s, s + d)`` lies inside one of ``P``'s bookable blocks (a session less unavailable
   time, :func:`~psr_sched.solver.candidates.provider_blocks`);
2. ``P`` has no scheduled visit overlapping ``[s, s + d)``, and has fewer visits that date
   than ``max_visits_per_day`` (when set);
3. if ``V`` needs a room, some room of its kind is open over ``[s, s + d)`` and would keep
   its turnover from every visit booked in it: no booked ``[a, b)`` with
   ``s < b + turnover`` and ``a < s + d + turnover``.

Check-in stations, request windows and payer networks do not enter: the measure is the
provider's supply of that appointment type.  Slots are taken greedily in time order, each
starting at or after the end of the one before (**distinct, non-overlapping** slots, so one
free hour is not counted as twelve five-minute openings).  ``tnaa_days`` is the number of
calendar days from the local date of ``as_of`` to the local date of the third slot (0 when
it is on the same date); missing (``<NA>``) when the horizon holds fewer than three slots.
``as_of`` defaults to the start (local midnight) of the horizon's first date; frozen or
held slots are the pinned visits, already in the schedule.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from psr_sched.problem import Problem
from psr_sched.reporting._columns import aware, category, counts
from psr_sched.reporting.schedule import Schedule, Visit, visits
from psr_sched.solver.candidates import Block, provider_blocks, room_pools

__all__ = ["TNAA_COLUMNS", "third_next_available"]

TNAA_COLUMNS = [
    "provider_id",
    "visit_type",
    "duration_minutes",
    "as_of",
    "first_available",
    "third_available",
    "tnaa_days",
    "open_slots",
]

_Mask = npt.NDArray[np.bool_]


def _runs_all(mask: _Mask, length: int) -> _Mask:
    """``out[s]``: ``mask[s : s + length]`` is all true (false past the end)."""
    total = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    out = np.zeros(len(mask), dtype=bool)
    if length <= len(mask):
        out[: len(mask) - length + 1] = (total[length:] - total[:-length]) == length
    return out


def _runs_none(mask: _Mask, length: int) -> _Mask:
    """``out[s]``: ``mask[s : s + length]`` is all false (past the end counts as false)."""
    padded = np.concatenate((mask, np.zeros(length, dtype=bool)))
    return _runs_all(~padded, length)[: len(mask)]


class _Supply:
    """Free time of providers and rooms on the horizon's grain axis."""

    def __init__(self, problem: Problem, booked: list[Visit]) -> None:
        horizon = problem.horizon
        self.grain = grain = horizon.grain_minutes
        last = horizon.dates[-1] + dt.timedelta(days=1)
        self.length = horizon.day_start_minute(last) // grain
        self.blocks: dict[str, list[Block]] = defaultdict(list)
        for block in provider_blocks(problem):
            self.blocks[problem.providers[block.provider].id].append(block)
        self.provider_busy: dict[str, _Mask] = {}
        self.room_busy: dict[str, _Mask] = {}
        turnover = {r.id: r.turnover_minutes for r in problem.rooms}
        for v in booked:
            lo, hi = v.s // grain, -(-v.e // grain)
            self._mark(self.provider_busy, v.provider_id, lo, hi)
            if v.room_id is not None:
                hi_room = -(-(v.e + turnover[v.room_id]) // grain)
                self._mark(self.room_busy, v.room_id, lo, hi_room)
        self.visits_per_day = Counter((v.provider_id, v.day) for v in booked)
        # Rooms of each kind: (room id, open mask, turnover grains).
        self.rooms: dict[str, list[tuple[str, _Mask, int]]] = defaultdict(list)
        for pool in room_pools(problem):
            open_mask = np.zeros(self.length, dtype=bool)
            for spans in pool.open_spans:
                for s, e in spans:
                    open_mask[s:e] = True
            for r_index in pool.rooms:
                room_id = problem.rooms[r_index].id
                self.rooms[pool.kind].append((room_id, open_mask, pool.turnover))

    def _mark(self, busy: dict[str, _Mask], key: str, lo: int, hi: int) -> None:
        mask = busy.setdefault(key, np.zeros(self.length, dtype=bool))
        mask[max(0, lo) : max(0, min(self.length, hi))] = True

    def starts(
        self, problem: Problem, provider_id: str, room_kind: str | None, duration: int
    ) -> _Mask:
        """Grains where a visit of ``duration`` grains could start (rules 1 to 3)."""
        ok = np.zeros(self.length, dtype=bool)
        provider = problem.providers[problem.provider_index[provider_id]]
        cap = provider.max_visits_per_day
        for block in self.blocks.get(provider_id, ()):
            day = problem.horizon.dates[block.day]
            if cap is not None and self.visits_per_day[(provider_id, day)] >= cap:
                continue
            if block.end - block.start >= duration:
                ok[block.start : block.end - duration + 1] = True
        busy = self.provider_busy.get(provider_id)
        if busy is not None:
            ok &= _runs_none(busy, duration)
        if room_kind is not None:
            room_ok = np.zeros(self.length, dtype=bool)
            for room_id, open_mask, turnover in self.rooms.get(room_kind, ()):
                free = _runs_all(open_mask, duration)
                room_busy = self.room_busy.get(room_id)
                if room_busy is not None:
                    free &= _runs_none(room_busy, duration + turnover)
                room_ok |= free
            ok &= room_ok
        return ok


def _greedy(starts: _Mask, duration: int, first: int) -> list[int]:
    """Start grains of distinct non-overlapping slots, earliest first, from ``first``."""
    taken: list[int] = []
    free_from = first
    for s in np.flatnonzero(starts[first:]) + first:
        if s >= free_from:
            taken.append(int(s))
            free_from = int(s) + duration
    return taken


def third_next_available(
    problem: Problem,
    schedule: Schedule,
    *,
    as_of: dt.datetime | None = None,
    visit_types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Third next available appointment of every provider and visit type, in days.

    The definition is in the module docstring.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The booked visits, pinned ones included (see :mod:`psr_sched.reporting.schedule`).
    as_of : datetime (timezone-aware), optional
        Reference moment: slots start at or after it.  Default: the start of the horizon's
        first date.
    visit_types : sequence of str, optional
        Visit type codes to report; all by default.

    Returns
    -------
    pandas.DataFrame
        One row per provider and visit type the provider has the skill for (problem order
        of providers, then of visit types); columns :data:`TNAA_COLUMNS`:

        ``provider_id``, ``visit_type`` (category)
            The pair.
        ``duration_minutes`` (Int64)
            The visit type's duration with this provider.
        ``as_of`` (timezone-aware)
            The reference moment, in the horizon's zone.
        ``first_available``, ``third_available`` (timezone-aware)
            Start of the first and third slot; ``NaT`` when there are fewer.
        ``tnaa_days`` (Int64)
            Calendar days from the date of ``as_of`` to the third slot's date.
        ``open_slots`` (Int64)
            Distinct non-overlapping slots from ``as_of`` to the end of the horizon.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    ValueError
        If ``as_of`` is naive or a visit type code is unknown.
    """
    horizon = problem.horizon
    zone = horizon.zone
    if as_of is None:
        reference = horizon.origin.astimezone(zone)
    elif as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of: datetime has no timezone")
    else:
        reference = as_of.astimezone(zone)
    codes = [v.code for v in problem.visit_types] if visit_types is None else list(visit_types)
    unknown = [c for c in codes if c not in problem.visit_type_by_code]
    if unknown:
        raise ValueError(f"visit_types: visit type {unknown[0]!r} is unknown")
    supply = _Supply(problem, visits(problem, schedule))
    grain = supply.grain
    first = max(0, -(-horizon.minute_of(reference) // grain))
    rows: list[tuple[str, str, int, list[int]]] = []
    for provider in problem.providers:
        for code in codes:
            vt = problem.visit_type_by_code[code]
            if vt.required_skill is not None and vt.required_skill not in provider.skills:
                continue
            minutes = vt.duration_for(provider.id)
            duration = -(-minutes // grain)
            starts = supply.starts(problem, provider.id, vt.room_kind, duration)
            rows.append((provider.id, code, minutes, _greedy(starts, duration, first)))

    def moment(slots: list[int], k: int) -> dt.datetime | None:
        return horizon.at_minute(slots[k] * grain) if len(slots) > k else None

    thirds = [moment(slots, 2) for *_, slots in rows]
    return pd.DataFrame(
        {
            "provider_id": category([r[0] for r in rows], [p.id for p in problem.providers]),
            "visit_type": category([r[1] for r in rows], codes),
            "duration_minutes": counts([r[2] for r in rows]),
            "as_of": aware([reference] * len(rows), horizon.timezone),
            "first_available": aware([moment(slots, 0) for *_, slots in rows], horizon.timezone),
            "third_available": aware(thirds, horizon.timezone),
            "tnaa_days": counts(
                [None if t is None else (t.date() - reference.date()).days for t in thirds]
            ),
            "open_slots": counts([len(slots) for *_, slots in rows]),
        },
        columns=TNAA_COLUMNS,
    )
