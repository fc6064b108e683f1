"""LP-guided dispatch: providers take the next visit as their time frees up.

The constructions of :mod:`psr_sched.solver.greedy` insert one request after another at its
earliest free start, which leaves holes a later, shorter visit could have filled.  A
*dispatch* goes forward in time instead, the way a clinic day runs: whenever a provider's
session has a free moment ``t``, the provider takes, among the waiting requests it may see
then (their window open, the patient, a room of their kind and the desk free), the one of
highest priority, and among those the one the LP relaxation would start first; when none
fits, the moment moves on by one grain.  Each provider's time is filled from the start of
its session with no hole a waiting visit could take.

Only the options the LP uses are offered (all of a request's options when the LP uses
none), so that a visit another provider needs less goes where the LP sends it.  Requests
with links, pins or locks are not dispatched: they stay where ``start`` has them (a linked
group is placed whole by the constructions), and what the dispatch cannot place is
completed first-available with every option (:func:`psr_sched.solver.greedy.fill`).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.greedy import GreedyBuilder, LpGuide, Placement, fill

__all__ = ["dispatch", "dispatchable"]

#: An option the LP puts at most this share of its request on is not offered (unless the
#: LP uses none of the request's options).
_SHARE = 0.05


def dispatchable(problem: Problem, cand: Candidates) -> set[int]:
    """Requests a dispatch may place: no link either way, no pin, not locked."""
    linked = {r for r, request in enumerate(problem.requests) if request.links}
    linked |= {
        problem.request_index[link.request_id]
        for request in problem.requests
        for link in request.links
    }
    fixed = linked | cand.locked | set(cand.pinned_option)
    return {r for r, opts in enumerate(cand.by_request) if opts and r not in fixed}


def dispatch(
    problem: Problem,
    cand: Candidates,
    guide: LpGuide,
    start: Placement,
    requests: set[int] | None = None,
) -> Placement:
    """Dispatch ``requests`` (default :func:`dispatchable`, minus those in ``start``)
    around the fixed placement ``start``; see the module docstring.

    Deterministic: the same inputs give the same placement.
    """
    todo = dispatchable(problem, cand) if requests is None else set(requests)
    todo -= set(start)
    builder = GreedyBuilder(problem, cand, start=start)
    occ = builder.occ
    placement = dict(start)
    share = guide.option_share
    mean_start = guide.start
    offered: dict[int, list[tuple[tuple[float, float, int], int]]] = defaultdict(list)
    for r in todo:
        opts = cand.by_request[r]
        used = [o for o in opts if share[o] > _SHARE] or opts
        st = float(mean_start[r])
        key = (-float(problem.requests[r].priority), st if not math.isnan(st) else math.inf, r)
        for o in used:
            offered[cand.options[o].block].append((key, o))
    for queue in offered.values():
        queue.sort()
    events = [(cand.blocks[b].start, b) for b in offered]
    heapq.heapify(events)
    options = cand.options
    while events:
        t, b = heapq.heappop(events)
        if t >= cand.blocks[b].end:
            continue
        queue = offered[b]
        taken = None
        stale = 0
        for _key, o in queue:
            opt = options[o]
            r = opt.request
            if r in placement:
                stale += 1
                continue
            if opt.lo <= t <= opt.hi and occ.first_start(r, o, t, t) is not None:
                taken = (r, o)
                break
        if taken is None:
            if any(options[o].request not in placement for _, o in queue):
                heapq.heappush(events, (t + 1, b))
            continue
        r, o = taken
        occ.book(r, o, t)
        placement[r] = (o, t)
        builder.placement[r] = (o, t)
        heapq.heappush(events, (t + options[o].duration, b))
        if stale > 16:
            offered[b] = [item for item in queue if options[item[1]].request not in placement]
    return fill(problem, cand, placement)
