"""First-available construction: what a front desk does by hand.

Requests are taken in priority order (then earliest window start, then id) and each gets the
earliest start any eligible provider, room pool and check-in station can give it.  Locked
pinned visits come first, then movable ones at their booked place where it is still free.
Linked requests are placed together: a same-day sequence as one group, a follow-up after the
visit it follows.  The result is the CP-SAT hint and the fallback when the solver finds
nothing in time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from typing import Protocol

import numpy as np
import numpy.typing as npt

from psr_sched.domain import BeforeVisit, FollowUp, SameDaySequence
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates


class LpGuide(Protocol):
    """What an LP-guided construction reads of a relaxation's fractional schedule."""

    @property
    def placed(self) -> npt.NDArray[np.float64]:
        """Per request, the LP's scheduled share in [0, 1]."""

    @property
    def start(self) -> npt.NDArray[np.float64]:
        """Per request, the LP's mean start grain (``nan`` where none is scheduled)."""

    @property
    def option_share(self) -> npt.NDArray[np.float64]:
        """Per candidate option, the share of its request the LP puts there."""


#: request index → (option index, start grain)
Placement = dict[int, tuple[int, int]]

_MAX_GROUP_TRIES = 400
#: LP-guided construction: options with at least this LP share are tried first.
_GUIDE_SHARE = 0.01


class _Occupancy:
    """Grain-indexed spare capacity of providers, room pools, the front desk and patients.

    Every resource row holds its spare capacity per grain (1 for a free provider or patient,
    the rooms or stations left for a pool or the desk; a grain is blocked at 0 or below) and,
    refreshed on every booking, its *free run*: per grain, how many grains from it on are
    unblocked, capped at :attr:`cap`, the longest stretch any query asks about.  A start
    ``t`` fits a resource when the free run at ``t`` (at ``t`` minus the check-in for the
    desk) covers the visit, so a query is a few slices and comparisons.
    """

    def __init__(self, problem: Problem, cand: Candidates) -> None:
        self.problem = problem
        self.cand = cand
        # A margin past the last midnight leaves room for turnover after a late visit.
        self.size = max(cand.day_end, default=0) + 1 + 24 * 60 // cand.grain
        self.turnover = [pool.turnover for pool in cand.pools]
        longest_visit = max((opt.duration for opt in cand.options), default=0)
        self.cap = max(1, longest_visit + max(self.turnover, default=0), *cand.check_in)
        self.provider = np.ones((len(problem.providers), self.size), dtype=np.int16)
        rooms = np.array([len(pool.rooms) for pool in cand.pools], dtype=np.int16)
        self.pool = np.repeat(rooms[:, None], self.size, axis=1)
        self.desk = np.zeros(self.size, dtype=np.int16)
        self.has_desk = problem.front_desk is not None
        for segments in cand.desk_spans:
            for s, e, stations in segments:
                self.desk[s:e] += stations
        patients: dict[str, int] = defaultdict(int)
        for request in problem.requests:
            patients[request.patient_id] += 1
        self.patient: dict[str, np.ndarray] = {
            pid: np.ones(self.size, dtype=np.int16) for pid, n in patients.items() if n > 1
        }
        self.provider_run = self._runs(self.provider)
        self.pool_run = self._runs(self.pool)
        self.desk_run = self._runs(self.desk)
        self.patient_run = {pid: self._runs(row) for pid, row in self.patient.items()}
        self.max_visits = [provider.max_visits_per_day for provider in problem.providers]
        self.day_count: dict[tuple[int, int], int] = defaultdict(int)
        # Free grains left in each provider block, and the longest stretch of them in a
        # row (capped): cheap tests that skip full or fragmented blocks.
        self.block_free = [block.end - block.start for block in cand.blocks]
        self.block_run = [self._longest_free(b) for b in range(len(cand.blocks))]
        self.provider_blocks: list[list[int]] = [[] for _ in problem.providers]
        for b, block in enumerate(cand.blocks):
            self.provider_blocks[block.provider].append(b)

    def _runs(self, spare: np.ndarray) -> np.ndarray:
        """Free runs of every row of ``spare`` (see the class docstring)."""
        run = np.empty(spare.shape, dtype=np.int16)
        for row, out in zip(spare.reshape(-1, self.size), run.reshape(-1, self.size), strict=True):
            self._refresh(out, row, 0, self.size)
        return run

    def _refresh(self, run: np.ndarray, spare: np.ndarray, lo: int, hi: int) -> None:
        """Bring ``run`` up to date after ``spare`` changed in [lo, hi): only the runs
        starting less than :attr:`cap` grains before it can change."""
        lo = max(0, lo - self.cap)
        after = hi + int(run[hi]) if hi < self.size else self.size  # first blocked ≥ hi, or far
        grains = np.arange(lo, hi)
        blocked_at = np.where(spare[lo:hi] <= 0, grains, after)
        next_blocked = np.minimum.accumulate(blocked_at[::-1])[::-1]
        run[lo:hi] = np.minimum(next_blocked - grains, self.cap)

    def _longest_free(self, b: int) -> int:
        """The longest run of free grains of block ``b``'s provider inside the block,
        capped at :attr:`cap`."""
        block = self.cand.blocks[b]
        run = self.provider_run[block.provider, block.start : block.end]
        return int(np.minimum(run, np.arange(len(run), 0, -1)).max(initial=0))

    def _fits(self, r: int, o: int, lo: int, hi: int) -> tuple[int, np.ndarray] | None:
        """``(first, ok)``: whether each start grain from ``first`` on, within [lo, hi] and
        option ``o``'s range, fits request ``r``; None when no start can."""
        opt = self.cand.options[o]
        lo, hi = max(lo, opt.lo), min(hi, opt.hi)
        dur = opt.duration
        if lo > hi or self.block_free[opt.block] < dur or self.block_run[opt.block] < dur:
            return None
        limit = self.max_visits[opt.provider]
        if limit is not None and self.day_count[(opt.provider, opt.day)] >= limit:
            return None
        ci = self.cand.check_in[r] if self.has_desk else 0
        if ci > 0 and lo - ci < 0:
            return None
        ok = self.provider_run[opt.provider, lo : hi + 1] >= dur
        if opt.pool >= 0:
            ok &= self.pool_run[opt.pool, lo : hi + 1] >= dur + self.turnover[opt.pool]
        if ci > 0:
            ok &= self.desk_run[lo - ci : hi + 1 - ci] >= ci
        patient = self.patient_run.get(self.problem.requests[r].patient_id)
        if patient is not None:
            ok &= patient[lo : hi + 1] >= dur
        return lo, ok

    def starts(self, r: int, o: int, lo: int, hi: int) -> np.ndarray:
        """Feasible start grains of option ``o`` of request ``r`` within [lo, hi]."""
        fits = self._fits(r, o, lo, hi)
        if fits is None:
            return np.empty(0, dtype=np.int64)
        first, ok = fits
        return np.flatnonzero(ok) + first

    def first_start(self, r: int, o: int, lo: int, hi: int) -> int | None:
        """The earliest feasible start of option ``o`` of request ``r`` within [lo, hi]."""
        fits = self._fits(r, o, lo, hi)
        if fits is None:
            return None
        first, ok = fits
        i = int(ok.argmax())
        return first + i if ok[i] else None

    def book(self, r: int, o: int, t: int, sign: int = 1) -> None:
        """Book option ``o`` of request ``r`` at ``t`` (``sign=-1``: release it)."""
        opt = self.cand.options[o]
        end = t + opt.duration
        p = opt.provider
        self.provider[p, t:end] -= sign
        self._refresh(self.provider_run[p], self.provider[p], t, end)
        changed = t - self.cap
        for b in self.provider_blocks[p]:
            block = self.cand.blocks[b]
            if block.start < end and changed < block.end:
                self.block_run[b] = self._longest_free(b)
        if opt.pool >= 0:
            span = end + self.turnover[opt.pool]
            self.pool[opt.pool, t:span] -= sign
            self._refresh(self.pool_run[opt.pool], self.pool[opt.pool], t, span)
        ci = self.cand.check_in[r]
        if self.has_desk and ci > 0:
            self.desk[t - ci : t] -= sign
            self._refresh(self.desk_run, self.desk, t - ci, t)
        pid = self.problem.requests[r].patient_id
        if pid in self.patient:
            self.patient[pid][t:end] -= sign
            self._refresh(self.patient_run[pid], self.patient[pid], t, end)
        self.day_count[(p, opt.day)] += sign
        self.block_free[opt.block] -= sign * opt.duration


class GreedyBuilder:
    """Builds a first-available schedule; see the module docstring.

    With ``guide`` (an LP relaxation's fractional schedule) the construction is LP-guided
    instead: each request goes to the earliest free start among the options the LP uses
    (any option when none of those is free), in one of two orders (``guide_order``):
    ``"start"``, linked requests first, then by mean LP start (good when nearly everything
    fits); or ``"priority"``, the requests the LP mostly schedules first, each part by
    priority then mean LP start (good on overloaded weeks).
    """

    def __init__(
        self,
        problem: Problem,
        cand: Candidates,
        start: Placement | None = None,
        guide: LpGuide | None = None,
        guide_order: str = "start",
        *,
        front_desk_rule: bool = False,
    ) -> None:
        if guide_order not in ("start", "priority"):
            raise ValueError(f"guide_order must be 'start' or 'priority', got {guide_order!r}")
        self.problem = problem
        self.cand = cand
        self.guide = guide
        self.guide_order = guide_order
        self.front_desk_rule = front_desk_rule
        self.occ = _Occupancy(problem, cand)
        self.placement: Placement = {}
        self.done: set[int] = set()
        for r, (o, t) in (start or {}).items():
            self.occ.book(r, o, t)
            self.placement[r] = (o, t)
            self.done.add(r)
        n = len(problem.requests)
        self.sequence_children: list[list[tuple[int, SameDaySequence]]] = [[] for _ in range(n)]
        self.sequence_parent: list[tuple[int, SameDaySequence] | None] = [None] * n
        self.followups: list[list[tuple[int, FollowUp]]] = [[] for _ in range(n)]
        earliest = [opt.lo for opt in cand.options]
        self.by_start = [sorted(opts, key=earliest.__getitem__) for opts in cand.by_request]
        self.all_by_start = self.by_start
        if guide is not None:
            share = guide.option_share
            self.by_start = [
                [o for o in opts if share[o] > _GUIDE_SHARE] or opts for opts in self.all_by_start
            ]
        self.provider_ids = [provider.id for provider in problem.providers]
        self.preferred = [
            {problem.provider_index[p] for p in request.preferred_provider_ids}
            for request in problem.requests
        ]
        self.has_out_of_network = any(not opt.in_network for opt in cand.options)
        followers: list[list[tuple[int, FollowUp]]] = [[] for _ in range(n)]
        # A request with a before-visit link is placed right after the visit it prepares.
        self.prepared_by: list[list[tuple[int, BeforeVisit]]] = [[] for _ in range(n)]
        self.prepares: list[int | None] = [None] * n
        for r, request in enumerate(problem.requests):
            for link in request.links:
                other = problem.request_index[link.request_id]
                if isinstance(link, SameDaySequence):
                    self.sequence_children[other].append((r, link))
                    self.sequence_parent[r] = (other, link)
                elif isinstance(link, BeforeVisit):
                    self.prepared_by[other].append((r, link))
                    self.prepares[r] = other
                else:
                    self.followups[r].append((other, link))
                    followers[other].append((r, link))
        # A visit with follow-ups is first tried early enough for them to fit afterwards.
        self.latest_day: list[int | None] = [None] * n
        dates = cand.horizon.dates
        for r in range(n):
            bounds = []
            for b, link in followers[r]:
                if cand.by_request[b]:
                    last = max(dates[cand.options[o].day] for o in cand.by_request[b])
                    bounds.append(last.toordinal() - link.min_days)
            if bounds:
                limit = min(bounds)
                allowed = [d for d, day in enumerate(dates) if day.toordinal() <= limit]
                self.latest_day[r] = max(allowed) if allowed else None

    def order(self) -> list[int]:
        """Requests by priority (high first); within a priority, same-day sequences first
        (they need several resources at once), then earliest window start, then id.

        LP-guided, ``"start"``: sequences by priority, then other linked requests, then the
        rest, each part by mean LP start (requests the LP leaves out last), then id;
        ``"priority"``: requests the LP schedules at least half first, each part by priority
        (high first), same-day sequences first, then mean LP start, then id."""
        requests = self.problem.requests
        if self.front_desk_rule:
            return sorted(
                range(len(requests)), key=lambda r: (-requests[r].priority, requests[r].id)
            )
        grouped = [
            self.sequence_parent[r] is not None or bool(self.sequence_children[r])
            for r in range(len(requests))
        ]
        if self.guide is not None and self.guide_order == "priority":
            start = np.nan_to_num(self.guide.start, nan=np.inf).tolist()
            mostly = (self.guide.placed >= 0.5).tolist()
            return sorted(
                range(len(requests)),
                key=lambda r: (
                    not mostly[r],
                    -requests[r].priority,
                    not grouped[r],
                    start[r],
                    requests[r].id,
                ),
            )
        if self.guide is not None:
            start = np.nan_to_num(self.guide.start, nan=np.inf).tolist()
            return sorted(
                range(len(requests)),
                key=lambda r: (
                    0 if grouped[r] else 1 if requests[r].links else 2,
                    -requests[r].priority if grouped[r] else 0,
                    start[r],
                    requests[r].id,
                ),
            )
        return sorted(
            range(len(requests)),
            key=lambda r: (
                -requests[r].priority,
                not grouped[r],
                self.cand.earliest_minute[r],
                requests[r].id,
            ),
        )

    def run(self) -> Placement:
        """Place what fits; return request → (option, start)."""
        for r in sorted(self.cand.locked - self.done):
            o = self.cand.by_request[r][0]
            self.occ.book(r, o, self.cand.options[o].lo)
            self.placement[r] = (o, self.cand.options[o].lo)
            self.done.add(r)
        for r, o in sorted(self.cand.pinned_option.items()):
            if r in self.done:
                continue
            t = self.cand.pinned_start[r]
            if (
                self._group_root(r) == r
                and not self.sequence_children[r]
                and self.occ.first_start(r, o, t, t) is not None
                and self._followups_ok(r, o)
            ):
                self.occ.book(r, o, t)
                self.placement[r] = (o, t)
                self.done.add(r)
        for r in self.order():
            self._process(self._group_root(r))
        return self.placement

    def _group_root(self, r: int) -> int:
        while (parent := self.sequence_parent[r]) is not None:
            r = parent[0]
        return r

    def _group(self, root: int) -> list[int]:
        members, stack = [], [root]
        while stack:
            r = stack.pop()
            members.append(r)
            stack.extend(child for child, _ in self.sequence_children[r])
        return members

    def _process(self, root: int) -> None:
        if root in self.done:
            return
        visit = self.prepares[root]
        if visit is not None:  # placed together with the visit it prepares
            self._process(self._group_root(visit))
            return
        group = self._group(root)
        if any(member in self.placement for member in group):
            return  # a group is placed whole or not at all; never add to a partial one
        for member in group:
            self.done.add(member)
            for helper, _ in self.prepared_by[member]:
                self.done.add(helper)
        # Follow-ups outside the group must be decided first.
        for member in group:
            for other, _ in self.followups[member]:
                self._process(self._group_root(other))
        if any(self.cand.reasons.get(m) for m in group):
            return
        if any(other not in self.placement for m in group for other, _ in self.followups[m]):
            return
        self._place_group(root, group)
        if root in self.placement:
            self._place_preparations(group)
        if root not in self.placement and self.by_start is not self.all_by_start:
            # The LP sees no links: where its options cannot hold the group together, any
            # option may.
            members = [*group, *(h for m in group for h, _ in self.prepared_by[m])]
            kept = {m: self.by_start[m] for m in members}
            for m in members:
                self.by_start[m] = self.all_by_start[m]
            self._place_group(root, group)
            if root in self.placement:
                self._place_preparations(group)
            for m, opts in kept.items():
                self.by_start[m] = opts

    def _place_preparations(self, group: list[int]) -> None:
        """Place the visits that must come on or before the group's day; if one cannot,
        the group is taken back out (both or neither)."""
        dates = self.cand.horizon.dates
        booked: list[tuple[int, int, int]] = []
        for member in group:
            day = self.cand.options[self.placement[member][0]].day
            for helper, link in self.prepared_by[member]:
                days = {
                    d
                    for d in range(len(dates))
                    if 0 <= (dates[day] - dates[d]).days <= link.max_days_before
                }
                first = next(self._feasible(helper, 0, self.occ.size, days), None)
                if first is None:
                    for r, o, t in [*booked, *((m, *self.placement[m]) for m in group)]:
                        self.occ.book(r, o, t, sign=-1)
                        self.placement.pop(r, None)
                    return
                t, o = first
                self.occ.book(helper, o, t)
                self.placement[helper] = (o, t)
                booked.append((helper, o, t))

    def _followups_ok(self, r: int, o: int) -> bool:
        """Whether ``r`` placed with option ``o`` (at any start: only its day matters) keeps
        the minimum gap after every visit it follows, all of which must be placed."""
        day = self.cand.horizon.dates[self.cand.options[o].day]
        for other, link in self.followups[r]:
            if other not in self.placement:
                return False
            other_day = self.cand.horizon.dates[self.cand.options[self.placement[other][0]].day]
            if (day - other_day).days < link.min_days:
                return False
        return True

    def _feasible(
        self, r: int, lo: int, hi: int, days: set[int] | None
    ) -> Iterator[tuple[int, int]]:
        """The earliest (start, option) for ``r`` in [lo, hi] on ``days`` (all if None):
        in-network providers first, then preferred ones among equal starts; empty if none."""
        for network_only in (True, False):
            best: tuple[int, tuple[int, str], int] | None = None
            preferred = self.preferred[r]
            provider_ids = self.provider_ids
            for o in self.by_start[r]:
                opt = self.cand.options[o]
                if best is not None and opt.lo > best[0]:
                    break
                if network_only and not opt.in_network:
                    continue
                if (days is not None and opt.day not in days) or opt.hi < lo or opt.lo > hi:
                    continue
                if not self._followups_ok(r, o):
                    continue
                t = self.occ.first_start(r, o, lo, hi if best is None else min(hi, best[0]))
                if t is not None:
                    rank = (0 if opt.provider in preferred else 1, provider_ids[opt.provider])
                    if best is None or (t, rank) < best[:2]:
                        best = (t, rank, o)
            if best is not None:
                yield best[0], best[2]
                return
            if not self.has_out_of_network:
                return

    def earliest(self, r: int, lo: int, hi: int) -> tuple[int, int] | None:
        """The earliest free (start, option) of ``r`` within [lo, hi] as things are booked
        now, by the same rule as the construction; ``None`` when nothing is free."""
        return next(self._feasible(r, lo, hi, None), None)

    def sequence_roots(self) -> list[int]:
        """Requests that start a same-day sequence (a group placed together)."""
        return [
            r
            for r in range(len(self.problem.requests))
            if self.sequence_children[r] and self.sequence_parent[r] is None
        ]

    def group(self, root: int) -> list[int]:
        """The same-day sequence that ``root`` starts, ``root`` first."""
        return self._group(root)

    def earliest_group(self, root: int, before: int) -> list[tuple[int, int, int]] | None:
        """Book the same-day sequence that ``root`` starts (none of it booked now) at its
        earliest free place with the root starting before grain ``before``, by the rule of
        the construction; return its (request, option, start) bookings, or ``None`` (and
        book nothing) when it fits nowhere earlier."""
        group = self._group(root)
        days = set.intersection(
            *({self.cand.options[o].day for o in self.cand.by_request[m]} for m in group)
        )
        child_starts: dict[tuple[int, int], list[int]] = {}
        for t, o in self._all_starts(root, days):
            if t >= before:
                break  # days in order, starts in order within a day
            if not self._children_may_fit(root, o, t, child_starts):
                continue
            booked = [(root, o, t)]
            self.occ.book(root, o, t)
            if self._place_children(root, o, t, booked):
                return booked
            for r, o2, t2 in reversed(booked):
                self.occ.book(r, o2, t2, sign=-1)
        return None

    def _all_starts(self, r: int, days: set[int]) -> Iterator[tuple[int, int]]:
        """Feasible (start, option) pairs of ``r`` on ``days``, in time order, at most
        ``_MAX_GROUP_TRIES`` per day."""
        by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for o in self.cand.by_request[r]:
            opt = self.cand.options[o]
            if opt.day not in days or not self._followups_ok(r, o):
                continue
            starts = self.occ.starts(r, o, opt.lo, opt.hi).tolist()
            if starts:
                by_day[opt.day].extend((t, o) for t in starts)
        for day in sorted(by_day):
            yield from sorted(by_day[day])[:_MAX_GROUP_TRIES]

    def _place_group(self, root: int, group: list[int]) -> None:
        if len(group) == 1:
            first = None
            latest = None if self.front_desk_rule else self.latest_day[root]
            if latest is not None:
                first = next(self._feasible(root, 0, self.cand.day_end[latest], None), None)
            if first is None:
                first = next(self._feasible(root, 0, self.occ.size, None), None)
            if first is not None:
                t, o = first
                self.occ.book(root, o, t)
                self.placement[root] = (o, t)
            return
        # Only days on which every member of the group has an option can hold the group.
        days = set.intersection(
            *({self.cand.options[o].day for o in self.cand.by_request[m]} for m in group)
        )
        child_starts: dict[tuple[int, int], list[int]] = {}
        for t, o in self._all_starts(root, days):
            if not self._children_may_fit(root, o, t, child_starts):
                continue
            booked = [(root, o, t)]
            self.occ.book(root, o, t)
            if self._place_children(root, o, t, booked):
                for r, o2, t2 in booked:
                    self.placement[r] = (o2, t2)
                return
            for r, o2, t2 in reversed(booked):
                self.occ.book(r, o2, t2, sign=-1)

    def _children_may_fit(
        self, r: int, o: int, t: int, cache: dict[tuple[int, int], list[int]]
    ) -> bool:
        """Necessary test before booking: every direct child has a free start in its gap
        window on the same day (computed without ``r`` booked, so it can only be looser)."""
        opt = self.cand.options[o]
        end = t + opt.duration
        grain = self.cand.grain
        for child, link in self.sequence_children[r]:
            key = (child, opt.day)
            if key not in cache:
                cache[key] = sorted(
                    {
                        start
                        for oc in self.by_start[child]
                        if self.cand.options[oc].day == opt.day
                        for start in self.occ.starts(child, oc, 0, self.occ.size).tolist()
                    }
                )
            starts = cache[key]
            lo = end + -(-link.min_gap_minutes // grain)
            hi = end + link.max_gap_minutes // grain
            i = bisect_left(starts, lo)
            if i >= len(starts) or starts[i] > hi:
                return False
        return True

    def _place_children(self, r: int, o: int, t: int, booked: list[tuple[int, int, int]]) -> bool:
        opt = self.cand.options[o]
        end = t + opt.duration
        grain = self.cand.grain
        for child, link in self.sequence_children[r]:
            lo = end + -(-link.min_gap_minutes // grain)
            hi = end + link.max_gap_minutes // grain
            first = next(self._feasible(child, lo, hi, {opt.day}), None)
            if first is None:
                return False
            t2, o2 = first
            self.occ.book(child, o2, t2)
            booked.append((child, o2, t2))
            if not self._place_children(child, o2, t2, booked):
                return False
        return True


def greedy(problem: Problem, cand: Candidates) -> Placement:
    """The engine's greedy schedule of ``problem``: request → (option index, start grain)."""
    return GreedyBuilder(problem, cand).run()


def first_available(
    problem: Problem, cand: Candidates, start: Placement | None = None
) -> Placement:
    """The front desk's rule, exactly: the floor every engine result is measured against.

    Requests in priority order (highest first, then request id); each at the earliest start
    in its window over its eligible providers at which provider, patient, a room of its
    kind and the front desk are free; ties go to a preferred provider, then to the lowest
    provider id (rooms are given afterwards, the first free one by id).  In-network
    providers are tried before out-of-network ones where the network is soft.  Locked pins
    stay, movable pins keep their booked place while it is free; linked requests are placed
    as their group (a same-day sequence together, a follow-up after its visit, a
    before-visit request with the visit it prepares).

    Parameters
    ----------
    problem, cand : Problem, Candidates
        The problem and its options.
    start : Placement, optional
        Visits already placed (a locked core), kept as they are.
    """
    return GreedyBuilder(problem, cand, start=start, front_desk_rule=True).run()


def guided(
    problem: Problem,
    cand: Candidates,
    guide: LpGuide,
    start: Placement,
    order: str = "start",
) -> Placement:
    """LP-guided schedule of ``problem`` around the fixed placement ``start`` in the given
    ``order`` (see :class:`GreedyBuilder`), completed first-available with every option."""
    builder = GreedyBuilder(problem, cand, start=start, guide=guide, guide_order=order)
    return fill(problem, cand, builder.run())


def fill(problem: Problem, cand: Candidates, placement: Placement) -> Placement:
    """Add first-available places for unplaced requests to a complete schedule.

    Placed requests stay where they are.  A request still unplaced afterwards has no free
    slot in its window in this schedule.
    """
    return GreedyBuilder(problem, cand, start=placement).run()
