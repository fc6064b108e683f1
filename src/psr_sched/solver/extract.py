"""From a placement (request → option and start) to a Result: rooms, terms, reasons."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

import numpy as np

from psr_sched.domain import BeforeVisit, SameDaySequence
from psr_sched.problem import Problem
from psr_sched.result import (
    Assignment,
    ObjectiveTerms,
    ReasonCode,
    Unscheduled,
)
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.greedy import Placement


def assign_rooms(problem: Problem, cand: Candidates, placement: Placement) -> dict[int, int]:
    """Give every in-person visit a concrete room of its pool.

    Visits of a pool are taken by start; each takes its pinned room when that is free, else
    the free room of lowest index.  The pool's cumulative capacity guarantees a free room.
    """
    by_pool: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for r, (o, t) in placement.items():
        opt = cand.options[o]
        if opt.pool >= 0:
            by_pool[opt.pool].append((t, r, o))
    rooms: dict[int, int] = {}
    for pool_index, visits in by_pool.items():
        pool = cand.pools[pool_index]
        free_at = dict.fromkeys(pool.rooms, -(10**9))
        for t, r, o in sorted(visits):
            pin = problem.pin_by_request.get(problem.requests[r].id)
            wanted = (
                problem.room_index.get(pin.room_id) if pin is not None and pin.room_id else None
            )
            free = [room for room in pool.rooms if free_at[room] <= t]
            if not free:
                raise RuntimeError(f"room pool {pool.kind} over capacity at grain {t}")
            room = wanted if wanted in free else free[0]
            rooms[r] = room
            free_at[room] = t + cand.options[o].duration + pool.turnover
    return rooms


def evaluate(problem: Problem, cand: Candidates, placement: Placement) -> ObjectiveTerms:
    """Objective terms of a placement, from the solver's integer data."""
    grain = cand.grain
    terms: dict[str, int] = defaultdict(int)
    spans: dict[tuple[int, int], list[int]] = {}
    for r, request in enumerate(problem.requests):
        pin = problem.pin_by_request.get(request.id)
        if r not in placement:
            terms["unscheduled_priority"] += request.priority
            terms["unscheduled_count"] += 1
            if pin is not None and not pin.locked:
                terms["pinned_moves"] += 1
                terms["pinned_move_cost"] += pin.move_cost
            continue
        o, t = placement[r]
        opt = cand.options[o]
        terms["access_wait"] += request.priority * (t * grain - cand.earliest_minute[r])
        if not opt.in_network:
            terms["out_of_network_visits"] += 1
        key = (opt.provider, opt.day)
        end = t + opt.duration
        if key in spans:
            span = spans[key]
            span[0] = min(span[0], t)
            span[1] = max(span[1], end)
            span[2] += opt.duration
        else:
            spans[key] = [t, end, opt.duration]
        if (
            request.preferred_provider_ids
            and problem.providers[opt.provider].id not in request.preferred_provider_ids
        ):
            terms["provider_preference_misses"] += 1
        if request.preferred_times and not _in_preferred(problem, cand, r, t):
            terms["time_preference_misses"] += 1
        if (
            pin is not None
            and not pin.locked
            and (
                problem.provider_index[pin.provider_id] != opt.provider
                or cand.pinned_start.get(r) != t
            )
        ):
            terms["pinned_moves"] += 1
            terms["pinned_move_cost"] += pin.move_cost
    terms["idle_gap"] = grain * sum(e - s - busy for s, e, busy in spans.values())
    return ObjectiveTerms(**terms)


def preferred_spans(problem: Problem, cand: Candidates, r: int) -> list[tuple[int, int]]:
    """Grain spans [start, end) whose local wall-clock time lies in one of the request's
    preferred windows, on every open day (daylight-saving days included)."""
    out: list[tuple[int, int]] = []
    for window in problem.requests[r].preferred_times:
        out.extend(_wall_clock_spans(cand, window.start, window.end))
    return sorted(out)


def _wall_clock_spans(cand: Candidates, start: dt.time, end: dt.time) -> list[tuple[int, int]]:
    key = (start, end)
    cache = cand.wall_clock_cache
    if key not in cache:
        lo = start.hour * 60 + start.minute
        hi = end.hour * 60 + end.minute
        spans: list[tuple[int, int]] = []
        for day, wall in enumerate(_wall_minutes(cand)):
            inside = (wall >= lo) & (wall < hi)
            edges = np.flatnonzero(np.diff(np.concatenate(([0], inside.astype(np.int8), [0]))))
            base = cand.day_start[day]
            spans.extend(
                (base + int(a), base + int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)
            )
        cache[key] = spans
    return cache[key]


def _wall_minutes(cand: Candidates) -> list[np.ndarray]:
    """Per open day, the local wall-clock minute of day of every grain of that day."""
    if not cand.wall_minutes:
        horizon = cand.horizon
        for day in range(len(cand.day_start)):
            grains = range(cand.day_start[day], cand.day_end[day])
            local = [horizon.at_minute(g * cand.grain) for g in grains]
            cand.wall_minutes.append(np.array([t.hour * 60 + t.minute for t in local]))
    return cand.wall_minutes


def _in_preferred(problem: Problem, cand: Candidates, r: int, t: int) -> bool:
    return any(s <= t < e for s, e in preferred_spans(problem, cand, r))


def unscheduled_reasons(
    problem: Problem, cand: Candidates, placement: Placement
) -> list[Unscheduled]:
    """A reason for every request not in ``placement``."""
    out = []
    for r, request in enumerate(problem.requests):
        if r in placement:
            continue
        if r in cand.reasons:
            code, message = cand.reasons[r]
        else:
            code, message = _linked_reason(problem, placement, r)
        out.append(Unscheduled(request_id=request.id, reason=code, message=message))
    return out


def _linked_reason(problem: Problem, placement: Placement, r: int) -> tuple[ReasonCode, str]:
    request = problem.requests[r]
    for link in request.links:
        other = problem.request_index[link.request_id]
        if other not in placement:
            kind = {
                "follow_up": "follows",
                "same_day_sequence": "is sequenced after",
                "before_visit": "prepares",
            }[link.kind]
            return (
                ReasonCode.LINKED_REQUEST_UNSCHEDULED,
                f"it {kind} request {link.request_id}, which is unscheduled",
            )
    for other_request in problem.requests:
        for link in other_request.links:
            if (
                isinstance(link, SameDaySequence | BeforeVisit)
                and link.request_id == request.id
                and problem.request_index[other_request.id] not in placement
            ):
                return (
                    ReasonCode.LINKED_REQUEST_UNSCHEDULED,
                    f"request {other_request.id} must go with it and found no place",
                )
    return (
        ReasonCode.NO_CAPACITY_IN_WINDOW,
        "every eligible provider, room or check-in slot in its window is taken in this schedule",
    )


def assignments(
    problem: Problem,
    cand: Candidates,
    placement: Placement,
    rooms: Mapping[int, int] | None = None,
) -> list[Assignment]:
    """The placement as assignments with concrete rooms and aware datetimes.

    ``rooms`` (request → room index) gives the rooms when something else chose them; by
    default :func:`assign_rooms` assigns them per pool.
    """
    if rooms is None:
        rooms = assign_rooms(problem, cand, placement)
    horizon = problem.horizon
    grain = cand.grain
    out = []
    for r in sorted(placement):
        o, t = placement[r]
        opt = cand.options[o]
        request = problem.requests[r]
        out.append(
            Assignment(
                request_id=request.id,
                patient_id=request.patient_id,
                visit_type=request.visit_type,
                provider_id=problem.providers[opt.provider].id,
                room_id=problem.rooms[rooms[r]].id if r in rooms else None,
                start=horizon.at_minute(t * grain),
                end=horizon.at_minute((t + opt.duration) * grain),
            )
        )
    return out
