"""Candidate options per request: which provider, session, room pool and start range.

An *option* is one way a request can be placed: a provider's session block on one date,
a pool of interchangeable rooms (or none for a virtual visit), and the inclusive range of
start grains that keeps the visit inside the block, the rooms' open hours and the request's
window.  A request without options gets the reason it has none.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from psr_sched.domain import DatedHours, Horizon, Provider, TimeWindow, WeeklyHours, Weights
from psr_sched.domain.time import subtract_span
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.result import ReasonCode

Span = tuple[int, int]  # [start, end) in grains


@dataclass(frozen=True, slots=True)
class Block:
    """A provider's bookable span on one date (a session minus blocked hours)."""

    provider: int
    day: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RoomPool:
    """Rooms of one kind with identical open hours and turnover: interchangeable.

    Inside a pool, a cumulative of capacity ``len(rooms)`` is exact: visits sorted by
    start can always be given concrete rooms afterwards (interval graphs are perfect).
    """

    index: int
    kind: str
    rooms: tuple[int, ...]
    turnover: int  # grains, rounded up
    open_spans: tuple[tuple[Span, ...], ...]  # per day


@dataclass(frozen=True, slots=True)
class Option:
    """One way to place a request."""

    request: int
    provider: int
    day: int
    block: int
    pool: int  # -1 for a virtual visit
    lo: int  # earliest start grain
    hi: int  # latest start grain
    duration: int  # grains
    in_network: bool = True


@dataclass(slots=True)
class Candidates:
    """Options of every request, and reasons for requests without any."""

    horizon: Horizon
    blocks: list[Block]
    pools: list[RoomPool]
    options: list[Option]
    by_request: list[list[int]]
    reasons: dict[int, tuple[ReasonCode, str]]
    earliest_minute: list[int]
    latest_minute: list[int]
    day_of_date: dict[dt.date, int]
    day_start: list[int]  # grain of local midnight per day
    day_end: list[int]  # grain of the next local midnight per day
    pinned_option: dict[int, int] = field(default_factory=dict)  # request → option of its pin
    pinned_start: dict[int, int] = field(default_factory=dict)  # request → pinned start grain
    locked: set[int] = field(default_factory=set)  # requests with a locked pin
    desk_spans: list[list[tuple[int, int, int]]] = field(default_factory=list)
    check_in: list[int] = field(default_factory=list)  # grains per request (0 if none)
    #: Caches of wall-clock time per grain, filled on first use (time preferences).
    wall_minutes: list[np.ndarray] = field(default_factory=list)
    wall_clock_cache: dict[tuple[dt.time, dt.time], list[Span]] = field(default_factory=dict)

    @property
    def grain(self) -> int:
        """Minutes per grain."""
        return self.horizon.grain_minutes


def _intersect(a: Span, b: Span) -> Span | None:
    s, e = max(a[0], b[0]), min(a[1], b[1])
    return (s, e) if s < e else None


class _Calendar:
    """Turns weekly and dated hours into grain spans per open day."""

    def __init__(self, horizon: Horizon) -> None:
        self.horizon = horizon
        self.grain = horizon.grain_minutes

    def minutes(self, day: dt.date, window: TimeWindow, where: str) -> tuple[int, int]:
        """[start, end) of a local window as minutes from the horizon origin."""
        try:
            start = self.horizon.local_minute(day, window.start)
            end = self.horizon.local_minute(day, window.end)
        except ValueError as exc:
            raise ProblemError(f"{where}: {exc}") from None
        return start, end

    def span(self, day: dt.date, window: TimeWindow, where: str) -> Span:
        """Grains inside an available window (rounded inward: exact, since visits start on
        the grain and last whole grains)."""
        start, end = self.minutes(day, window, where)
        return self.horizon.to_grain_ceil(start), self.horizon.to_grain_floor(end)

    def blocked_span(self, day: dt.date, window: TimeWindow, where: str) -> Span:
        """Grains touched by a blocked window (rounded outward)."""
        start, end = self.minutes(day, window, where)
        return self.horizon.to_grain_floor(start), self.horizon.to_grain_ceil(end)

    def spans(
        self,
        day: dt.date,
        weekly: tuple[WeeklyHours, ...],
        extra: tuple[DatedHours, ...],
        blocked: tuple[DatedHours, ...],
        where: str,
    ) -> list[Span]:
        spans = [self.span(day, w.window, where) for w in weekly if w.weekday == day.weekday()]
        spans += [self.span(day, x.window(), where) for x in extra if x.date == day]
        for b in blocked:
            if b.date == day:
                if b.start is None:
                    return []
                spans = subtract_span(spans, self.blocked_span(day, b.window(), where))
        return sorted(s for s in spans if s[0] < s[1])


def provider_blocks(problem: Problem, calendar: _Calendar | None = None) -> list[Block]:
    """Bookable blocks of every provider on every open date."""
    calendar = calendar or _Calendar(problem.horizon)
    blocks = []
    for p_index, provider in enumerate(problem.providers):
        for d_index, day in enumerate(problem.horizon.dates):
            for s, e in calendar.spans(
                day,
                provider.sessions,
                provider.extra_sessions,
                provider.unavailable,
                f"provider {provider.id}",
            ):
                blocks.append(Block(p_index, d_index, s, e))
    return blocks


def room_pools(problem: Problem, calendar: _Calendar | None = None) -> list[RoomPool]:
    """Group rooms into pools of interchangeable rooms."""
    calendar = calendar or _Calendar(problem.horizon)
    grain = problem.horizon.grain_minutes
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    signatures: dict[tuple[object, ...], tuple[tuple[Span, ...], ...]] = {}
    for r_index, room in enumerate(problem.rooms):
        open_spans = tuple(
            tuple(calendar.spans(day, room.hours, (), room.closed, f"room {room.id}"))
            for day in problem.horizon.dates
        )
        key = (room.kind, -(-room.turnover_minutes // grain), open_spans)
        groups[key].append(r_index)
        signatures[key] = open_spans
    return [
        RoomPool(i, str(key[0]), tuple(rooms), int(str(key[1])), signatures[key])
        for i, (key, rooms) in enumerate(groups.items())
    ]


def desk_profile(problem: Problem, calendar: _Calendar) -> list[list[tuple[int, int, int]]]:
    """Per day, the (start, end, stations) segments of the front desk, stations > 0."""
    desk = problem.front_desk
    if desk is None:
        return []
    horizon = problem.horizon
    grain = horizon.grain_minutes
    profile = []
    for day in horizon.dates:
        # Stations minute by minute, then per grain slot the fewest open during the slot:
        # exact when shift edges lie on the grain, cautious otherwise.
        first = horizon.day_start_minute(day)
        length = horizon.day_start_minute(day + dt.timedelta(days=1)) - first
        minutes = np.zeros(length + 1, dtype=np.int32)
        for shift in desk.shifts:
            if shift.weekday is not None and shift.weekday != day.weekday():
                continue
            s, e = calendar.minutes(day, TimeWindow(start=shift.start, end=shift.end), "front desk")
            minutes[max(0, s - first)] += shift.stations
            minutes[max(0, min(length, e - first))] -= shift.stations
        level = np.cumsum(minutes[:length])
        slots = level[: length - length % grain].reshape(-1, grain).min(axis=1)
        base = first // grain
        segments = []
        start = 0
        for k in range(1, len(slots) + 1):
            if k == len(slots) or slots[k] != slots[start]:
                if slots[start] > 0:
                    segments.append((base + start, base + k, int(slots[start])))
                start = k
        profile.append(segments)
    return profile


def _eligible(provider: Provider, request_payer: str | None) -> bool:
    return request_payer is None or provider.networks is None or request_payer in provider.networks


def build_candidates(problem: Problem) -> Candidates:
    """Compute every request's options, or the reason it has none.

    Raises
    ------
    ProblemError
        When a locked pinned appointment is not a valid placement of its request.
    """
    horizon = problem.horizon
    calendar = _Calendar(horizon)
    grain = horizon.grain_minutes
    blocks = provider_blocks(problem, calendar)
    pools = room_pools(problem, calendar)
    pools_by_kind: dict[str, list[RoomPool]] = defaultdict(list)
    for pool in pools:
        pools_by_kind[pool.kind].append(pool)
    blocks_by_provider: dict[int, list[int]] = defaultdict(list)
    for b_index, block in enumerate(blocks):
        blocks_by_provider[block.provider].append(b_index)
    open_pieces = _open_pieces(blocks, pools)

    day_start = [horizon.day_start_minute(d) // grain for d in horizon.dates]
    day_end = [horizon.day_start_minute(d + dt.timedelta(days=1)) // grain for d in horizon.dates]
    options: list[Option] = []
    by_request: list[list[int]] = []
    reasons: dict[int, tuple[ReasonCode, str]] = {}
    earliest_minute: list[int] = []
    latest_minute: list[int] = []
    check_in: list[int] = []
    skilled_cache: dict[tuple[str | None, tuple[str, ...] | None], list[int]] = {}

    for r_index, request in enumerate(problem.requests):
        vt = problem.visit_type_by_code[request.visit_type]
        e_min = horizon.minute_of(request.earliest)
        l_min = horizon.minute_of(request.latest)
        earliest_minute.append(e_min)
        latest_minute.append(l_min)
        # Incomplete intake keeps an in-person patient longer at the desk.
        extra = 0 if vt.room_kind is None else request.facts.extra_check_in_minutes
        minutes_at_desk = vt.check_in_minutes + extra
        check_in.append(-(-minutes_at_desk // grain) if problem.front_desk is not None else 0)
        lo_window, hi_window = horizon.to_grain_ceil(e_min), horizon.to_grain_floor(l_min)
        mine: list[int] = []
        by_request.append(mine)

        key = (vt.required_skill, request.allowed_provider_ids)
        if key not in skilled_cache:
            skilled_cache[key] = [
                i
                for i, p in enumerate(problem.providers)
                if (vt.required_skill is None or vt.required_skill in p.skills)
                and (request.allowed_provider_ids is None or p.id in request.allowed_provider_ids)
            ]
        providers = skilled_cache[key]
        if not providers:
            if request.allowed_provider_ids is None:
                reasons[r_index] = (
                    ReasonCode.NO_SKILLED_PROVIDER,
                    f"no provider has skill {vt.required_skill!r} for visit type {vt.code}",
                )
            else:
                reasons[r_index] = (
                    ReasonCode.NO_ALLOWED_PROVIDER,
                    f"none of the allowed providers can see visit type {vt.code}",
                )
            continue
        in_network = {i for i in providers if _eligible(problem.providers[i], request.payer)}
        if problem.weights.out_of_network is None:
            providers = [i for i in providers if i in in_network]
        if not providers:
            reasons[r_index] = (
                ReasonCode.OUT_OF_NETWORK,
                f"no provider able to see visit type {vt.code} is in network {request.payer!r}",
            )
            continue
        kind_pools: list[RoomPool | None]
        if vt.room_kind is None:
            kind_pools = [None]
        else:
            kind_pools = list(pools_by_kind.get(vt.room_kind, []))
            if not kind_pools:
                reasons[r_index] = (
                    ReasonCode.NO_ROOM_OF_KIND,
                    f"the clinic has no room of kind {vt.room_kind!r} for visit type {vt.code}",
                )
                continue
        facts = request.facts
        active_days: set[int] | None = None
        if request.payer is not None and facts.coverage_active_dates is not None:
            active = set(facts.coverage_active_dates)
            active_days = {d for d, day in enumerate(horizon.dates) if day in active}
        lo_auth = lo_window
        if facts.authorization_expected is not None:
            lo_auth = max(
                lo_window, horizon.to_grain_ceil(horizon.minute_of(facts.authorization_expected))
            )

        collect = functools.partial(
            _collect_options,
            problem,
            blocks,
            blocks_by_provider,
            open_pieces,
            r_index,
            providers,
            in_network,
            kind_pools,
        )
        found = collect(lo_auth, hi_window, active_days)
        mine.extend(range(len(options), len(options) + len(found)))
        options.extend(found)
        if not mine and (active_days is not None or lo_auth > lo_window):
            if active_days is not None and collect(lo_auth, hi_window, None):
                reasons[r_index] = (
                    ReasonCode.COVERAGE_INACTIVE,
                    "coverage is not active on any date the visit could take place "
                    "(the patient is not marked self-pay)",
                )
                continue
            if lo_auth > lo_window and collect(lo_window, hi_window, active_days):
                reasons[r_index] = (
                    ReasonCode.AUTH_PENDING,
                    "the prior authorization is expected too late for the request's window",
                )
                continue
        if not mine:
            reasons[r_index] = (
                ReasonCode.NO_SESSION_IN_WINDOW,
                "no session of an eligible provider (with a room open) fits the visit "
                "inside the request's window",
            )

    candidates = Candidates(
        horizon=horizon,
        blocks=blocks,
        pools=pools,
        options=options,
        by_request=by_request,
        reasons=reasons,
        earliest_minute=earliest_minute,
        latest_minute=latest_minute,
        day_of_date={d: i for i, d in enumerate(horizon.dates)},
        day_start=day_start,
        day_end=day_end,
        desk_spans=desk_profile(problem, calendar),
        check_in=check_in,
    )
    _apply_pins(problem, candidates)
    _propagate_links(problem, candidates)
    return candidates


def _open_pieces(blocks: list[Block], pools: list[RoomPool]) -> list[list[tuple[Span, ...]]]:
    """Per block and room pool, the block's spans during which the pool's rooms are open."""
    return [
        [
            tuple(
                piece
                for room_span in pool.open_spans[block.day]
                if (piece := _intersect((block.start, block.end), room_span)) is not None
            )
            for pool in pools
        ]
        for block in blocks
    ]


def _collect_options(
    problem: Problem,
    blocks: list[Block],
    blocks_by_provider: dict[int, list[int]],
    open_pieces: list[list[tuple[Span, ...]]],
    r_index: int,
    providers: list[int],
    in_network: set[int],
    kind_pools: list[RoomPool | None],
    lo: int,
    hi: int,
    days: set[int] | None,
) -> list[Option]:
    """Options of one request in [lo, hi] (start of visit to its end), on ``days``.

    ``open_pieces`` is :func:`_open_pieces` of the blocks and pools: the part of a block in
    the window and a pool's open hours is the window's part of those pieces.
    """
    grain = problem.horizon.grain_minutes
    vt = problem.visit_type_by_code[problem.requests[r_index].visit_type]
    found: list[Option] = []
    for p_index in providers:
        duration = -(-vt.duration_for(problem.providers[p_index].id) // grain)
        # A piece holds the visit when it is at least this long (and not empty).
        need = max(duration, 1)
        network = p_index in in_network
        for b_index in blocks_by_provider.get(p_index, ()):
            block = blocks[b_index]
            if days is not None and block.day not in days:
                continue
            span_lo, span_hi = max(block.start, lo), min(block.end, hi)
            if span_hi - span_lo < need:
                continue
            for kind_pool in kind_pools:
                pieces: tuple[Span, ...]
                if kind_pool is None:  # a virtual visit: the whole span, no room
                    pool_index, pieces = -1, ((span_lo, span_hi),)
                else:
                    pool_index, pieces = kind_pool.index, open_pieces[b_index][kind_pool.index]
                for s, e in pieces:
                    s, e = max(s, lo), min(e, hi)
                    if e - s >= need:
                        found.append(
                            Option(
                                r_index,
                                p_index,
                                block.day,
                                b_index,
                                pool_index,
                                s,
                                e - duration,
                                duration,
                                network,
                            )
                        )
    return found


def _apply_pins(problem: Problem, candidates: Candidates) -> None:
    horizon = problem.horizon
    for pin in problem.pinned:
        r_index = problem.request_index[pin.request_id]
        where = f"pinned appointment {pin.request_id}"
        minute = horizon.minute_of(pin.start)
        if minute % horizon.grain_minutes:
            raise ProblemError(f"{where}: start: not on the {horizon.grain_minutes}-minute grain")
        start = minute // horizon.grain_minutes
        p_index = problem.provider_index[pin.provider_id]
        match = [
            o
            for o in candidates.by_request[r_index]
            if candidates.options[o].provider == p_index
            and candidates.options[o].lo <= start <= candidates.options[o].hi
            and (
                pin.room_id is None
                or candidates.options[o].pool == -1
                or problem.room_index[pin.room_id]
                in candidates.pools[candidates.options[o].pool].rooms
            )
        ]
        if not match:
            if pin.locked:
                raise ProblemError(
                    f"{where}: start: provider {pin.provider_id} cannot see this visit at the "
                    "booked start (outside a session, the window or open room hours, or "
                    "the provider is not eligible)"
                )
            continue
        candidates.pinned_option[r_index] = match[0]
        candidates.pinned_start[r_index] = start
        if pin.locked:
            only = candidates.options[match[0]]
            fixed = Option(
                only.request,
                only.provider,
                only.day,
                only.block,
                only.pool,
                start,
                start,
                only.duration,
                only.in_network,
            )
            candidates.options[match[0]] = fixed
            candidates.by_request[r_index] = [match[0]]
            candidates.locked.add(r_index)


def _propagate_links(problem: Problem, candidates: Candidates) -> None:
    """A request whose linked request cannot be placed cannot be placed either."""
    changed = True
    while changed:
        changed = False
        for r_index, request in enumerate(problem.requests):
            if r_index in candidates.reasons:
                continue
            for link in request.links:
                other = problem.request_index[link.request_id]
                if other in candidates.reasons:
                    candidates.reasons[r_index] = (
                        ReasonCode.LINKED_REQUEST_UNAVAILABLE,
                        f"it is linked to request {link.request_id}, which cannot be placed",
                    )
                    candidates.by_request[r_index] = []
                    changed = True
                    break
        # Same-day sequences and before-visit links bind both ways: both or neither.
        for r_index, request in enumerate(problem.requests):
            for link in request.links:
                other = problem.request_index[link.request_id]
                if (
                    link.kind in ("same_day_sequence", "before_visit")
                    and r_index in candidates.reasons
                    and other not in candidates.reasons
                ):
                    candidates.reasons[other] = (
                        ReasonCode.LINKED_REQUEST_UNAVAILABLE,
                        f"it needs request {request.id} with it, which cannot be placed",
                    )
                    candidates.by_request[other] = []
                    changed = True


def search_weights(problem: Problem, cand: Candidates) -> Weights:
    """Weights the search optimizes.

    In ``"lexicographic"`` mode the unscheduled weight becomes one more than the largest
    value all other terms can take together, so one unit of priority placed outweighs any
    change in the rest; otherwise the problem's own weights.
    """
    weights = problem.weights
    if weights.mode != "lexicographic":
        return weights
    grain = cand.grain
    wait = sum(
        request.priority * max(0, cand.latest_minute[r] - cand.earliest_minute[r])
        for r, request in enumerate(problem.requests)
    )
    horizon_minutes = (max(cand.day_end, default=0) - min(cand.day_start, default=0)) * grain
    n = len(problem.requests)
    rest = (
        weights.access_wait * wait
        + weights.idle_gap * horizon_minutes * len(problem.providers)
        + (weights.provider_preference_miss + weights.time_preference_miss) * n
        + weights.pinned_move * sum(pin.move_cost for pin in problem.pinned)
    )
    return Weights.model_validate({**weights.model_dump(), "unscheduled": rest + 1})


def unscheduled_dominates(problem: Problem, cand: Candidates) -> bool:
    """Whether placing a request always pays for its own wait: lexicographic mode, or an
    unscheduled weight at least the access-wait weight times the horizon's length."""
    weights = problem.weights
    if weights.mode == "lexicographic":
        return True
    horizon_minutes = (max(cand.day_end, default=0) - min(cand.day_start, default=0)) * cand.grain
    return weights.unscheduled >= weights.access_wait * horizon_minutes
