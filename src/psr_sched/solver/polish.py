"""The last pass over a schedule: every visit to its earliest free place when that pays.

A schedule that a search improved is seldom *locally earliest*: some visit can often start
earlier, with nobody else moved, into a hole a neighbourhood left.  :func:`pull_earlier`
moves each such visit to its earliest free start (any provider and day its options allow)
whenever the whole objective gains — wait, idle gaps, provider and time preferences, the
network — and repeats until nothing moves.  It costs milliseconds.  Linked, pinned and
locked visits stay where they are (their moves are the search's business).
"""

from __future__ import annotations

import time
from collections import defaultdict

from psr_sched.domain import Weights
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
    linked = {r for r, request in enumerate(problem.requests) if request.links}
    linked |= {
        problem.request_index[link.request_id]
        for request in problem.requests
        for link in request.links
    }
    fixed = linked | cand.locked | set(cand.pinned_option)
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
            builder.occ.book(r, o, t, sign=-1)
            first = builder.earliest(r, 0, t - 1)
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
                    moved += 1
                    continue
            builder.occ.book(r, o, t)
        if not moved:
            break
    return current
