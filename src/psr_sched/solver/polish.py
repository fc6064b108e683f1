"""The last pass over a schedule: every visit to its earliest free place when that pays.

A schedule that a search improved is seldom *locally earliest*: some visit can often start
earlier, with nobody else moved, into a hole a neighbourhood left.  :func:`pull_earlier`
moves each such visit to its earliest free start (any provider and day its options allow)
whenever the whole objective gains — wait, idle gaps, provider and time preferences, the
network — and repeats until nothing moves.  It costs milliseconds.  A linked visit moves
only where every link it takes part in still holds with its partners where they are (same
date and gap of a same-day sequence, days before a visit, days after the visit it follows);
pinned and locked visits stay where they are (their moves are the search's business).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from psr_sched.domain import BeforeVisit, FollowUp, SameDaySequence, Weights
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.extract import preferred_spans
from psr_sched.solver.greedy import GreedyBuilder, Placement

__all__ = ["pull_earlier"]

#: Passes over the visits at most (each pass is a few milliseconds on a clinic week).
_MAX_PASSES = 20


class _Spans:
    """Per provider-day, the visits booked there, for exact idle-gap changes."""

    def __init__(self) -> None:
        self.visits: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)

    @staticmethod
    def idle(visits: list[tuple[int, int]]) -> int:
        if not visits:
            return 0
        return max(e for _, e in visits) - min(s for s, _ in visits) - sum(e - s for s, e in visits)

    def add(self, key: tuple[int, int], visit: tuple[int, int]) -> None:
        self.visits[key].append(visit)

    def remove(self, key: tuple[int, int], visit: tuple[int, int]) -> None:
        self.visits[key].remove(visit)

    def change(
        self,
        old_key: tuple[int, int],
        old: tuple[int, int],
        new_key: tuple[int, int],
        new: tuple[int, int],
    ) -> int:
        """Idle grains after moving ``old`` (in ``old_key``) to ``new`` (in ``new_key``),
        minus before."""
        before_old = self.idle(self.visits[old_key])
        rest = [v for v in self.visits[old_key] if v != old]
        if new_key == old_key:
            return self.idle([*rest, new]) - before_old
        before_new = self.idle(self.visits[new_key])
        return self.idle(rest) - before_old + self.idle([*self.visits[new_key], new]) - before_new


class _Links:
    """The links of every request, both ways, and whether a move keeps them."""

    def __init__(self, problem: Problem, cand: Candidates) -> None:
        self.cand = cand
        n = len(problem.requests)
        # (partner, link, whether this request is the link's owner)
        self.of: list[list[tuple[int, SameDaySequence | FollowUp | BeforeVisit, bool]]] = [
            [] for _ in range(n)
        ]
        for b, request in enumerate(problem.requests):
            for link in request.links:
                a = problem.request_index[link.request_id]
                self.of[b].append((a, link, True))
                self.of[a].append((b, link, False))
        self.ordinal = [date.toordinal() for date in cand.horizon.dates]

    def earliest_grain(self, r: int, placement: Placement) -> int:
        """No start of ``r`` before this grain can keep its date links."""
        cand = self.cand
        lo = 0
        for other, link, owner in self.of[r]:
            if other not in placement:
                continue
            day = cand.options[placement[other][0]].day
            first = None
            if isinstance(link, FollowUp) and owner:
                first = self.ordinal[day] + link.min_days
            elif isinstance(link, BeforeVisit):
                first = self.ordinal[day] - link.max_days_before if owner else self.ordinal[day]
            elif isinstance(link, SameDaySequence):
                first = self.ordinal[day]
            if first is not None:
                days = [d for d, o in enumerate(self.ordinal) if o >= first]
                lo = max(lo, cand.day_start[days[0]] if days else cand.day_end[-1])
        return lo

    def keep(self, r: int, o: int, t: int, placement: Placement) -> bool:
        """Whether ``r`` at (``o``, ``t``) keeps every link with its partners in
        ``placement`` (a partner left unscheduled keeps its link as it is)."""
        cand = self.cand
        grain = cand.grain
        opt = cand.options[o]
        mine = self.ordinal[opt.day]
        for other, link, owner in self.of[r]:
            if other not in placement:
                continue
            o2, t2 = placement[other]
            theirs = self.ordinal[cand.options[o2].day]
            if isinstance(link, SameDaySequence):
                if mine != theirs:
                    return False
                if owner:  # r starts after the partner ends
                    gap = (t - t2 - cand.options[o2].duration) * grain
                else:
                    gap = (t2 - t - opt.duration) * grain
                if not link.min_gap_minutes <= gap <= link.max_gap_minutes:
                    return False
            elif isinstance(link, BeforeVisit):
                before = theirs - mine if owner else mine - theirs
                if not 0 <= before <= link.max_days_before:
                    return False
            elif isinstance(link, FollowUp):
                after = mine - theirs if owner else theirs - mine
                if after < link.min_days:
                    return False
        return True


def pull_earlier(
    problem: Problem,
    cand: Candidates,
    placement: Placement,
    weights: Weights,
    *,
    time_limit_s: float = 1.0,
) -> Placement:
    """``placement`` with visits moved earlier wherever the objective in ``weights`` gains.

    Parameters
    ----------
    problem, cand : Problem, Candidates
        The problem and its options.
    placement : Placement
        A valid placement (request → option, start).
    weights : Weights
        The weights the moves are judged by (the search's).
    time_limit_s : float
        Stop after this many seconds, keeping the moves made.

    Returns
    -------
    Placement
        A placement no worse than ``placement`` in ``weights``; every move keeps it valid.
    """
    t0 = time.perf_counter()
    grain = cand.grain
    links = _Links(problem, cand)
    fixed = cand.locked | set(cand.pinned_option)
    builder = GreedyBuilder(problem, cand, start=placement)
    current = dict(placement)
    spans = _Spans()
    for o, t in current.values():
        opt = cand.options[o]
        spans.add((opt.provider, opt.day), (t, t + opt.duration))
    provider_ids = [provider.id for provider in problem.providers]
    preferred_cache: dict[int, list[tuple[int, int]]] = {}

    def own_cost(r: int, o: int, t: int) -> float:
        """What request ``r`` alone pays at (o, t), idle gaps aside."""
        request = problem.requests[r]
        opt = cand.options[o]
        cost = weights.access_wait * request.priority * (t * grain - cand.earliest_minute[r])
        if (
            request.preferred_provider_ids
            and provider_ids[opt.provider] not in request.preferred_provider_ids
        ):
            cost += weights.provider_preference_miss
        if request.preferred_times:
            if r not in preferred_cache:
                preferred_cache[r] = preferred_spans(problem, cand, r)
            if not any(s <= t < e for s, e in preferred_cache[r]):
                cost += weights.time_preference_miss
        if not opt.in_network and weights.out_of_network is not None:
            cost += weights.out_of_network
        return cost

    movable = [r for r in current if r not in fixed]
    for _ in range(_MAX_PASSES):
        moved = 0
        movable.sort(key=lambda r: (-problem.requests[r].priority, -current[r][1]))
        for r in movable:
            if time.perf_counter() - t0 > time_limit_s:
                return current
            o, t = current[r]
            if t <= 0:
                continue
            lo = links.earliest_grain(r, current) if links.of[r] else 0
            if lo > t - 1:
                continue
            builder.occ.book(r, o, t, sign=-1)
            first = builder.earliest(r, lo, t - 1)
            if first is not None and links.of[r] and not links.keep(r, first[1], first[0], current):
                first = None
            if first is not None:
                t2, o2 = first
                old, new = cand.options[o], cand.options[o2]
                idle = spans.change(
                    (old.provider, old.day),
                    (t, t + old.duration),
                    (new.provider, new.day),
                    (t2, t2 + new.duration),
                )
                delta = own_cost(r, o2, t2) - own_cost(r, o, t) + weights.idle_gap * grain * idle
                if delta < 0:
                    builder.occ.book(r, o2, t2)
                    spans.remove((old.provider, old.day), (t, t + old.duration))
                    spans.add((new.provider, new.day), (t2, t2 + new.duration))
                    current[r] = (o2, t2)
                    builder.placement[r] = (o2, t2)
                    moved += 1
                    continue
            builder.occ.book(r, o, t)
        moved += _pull_groups(
            builder, links, current, fixed, spans, own_cost, weights, t0, time_limit_s
        )
        if not moved:
            break
    return current


def _pull_groups(
    builder: GreedyBuilder,
    links: _Links,
    current: Placement,
    fixed: set[int],
    spans: _Spans,
    own_cost: Callable[[int, int, int], float],
    weights: Weights,
    t0: float,
    time_limit_s: float,
) -> int:
    """Move whole same-day sequences to their earliest free place where that pays; return
    how many moved."""
    cand = builder.cand
    grain = cand.grain
    moved = 0
    for root in builder.sequence_roots():
        if time.perf_counter() - t0 > time_limit_s:
            break
        group = builder.group(root)
        if any(m not in current or m in fixed for m in group):
            continue
        old = [(m, *current[m]) for m in group]
        for m, o, t in old:
            builder.occ.book(m, o, t, sign=-1)
        new = builder.earliest_group(root, current[root][1])
        trial = dict(current)
        if new is not None:
            trial.update({m: (o, t) for m, o, t in new})
        if new is not None and all(links.keep(m, o, t, trial) for m, o, t in new):
            delta = sum(own_cost(m, o, t) for m, o, t in new)
            delta -= sum(own_cost(m, o, t) for m, o, t in old)
            keys = {(cand.options[o].provider, cand.options[o].day) for _, o, _ in old + new}
            before = sum(spans.idle(spans.visits[k]) for k in keys)
            for _, o, t in old:
                opt = cand.options[o]
                spans.remove((opt.provider, opt.day), (t, t + opt.duration))
            for _, o, t in new:
                opt = cand.options[o]
                spans.add((opt.provider, opt.day), (t, t + opt.duration))
            after = sum(spans.idle(spans.visits[k]) for k in keys)
            if delta + weights.idle_gap * grain * (after - before) < 0:
                for m, o, t in new:
                    current[m] = (o, t)
                    builder.placement[m] = (o, t)
                moved += 1
                continue
            for _, o, t in new:
                opt = cand.options[o]
                spans.remove((opt.provider, opt.day), (t, t + opt.duration))
            for _, o, t in old:
                opt = cand.options[o]
                spans.add((opt.provider, opt.day), (t, t + opt.duration))
        if new is not None:
            for m, o, t in new:
                builder.occ.book(m, o, t, sign=-1)
        for m, o, t in old:
            builder.occ.book(m, o, t)
    return moved
