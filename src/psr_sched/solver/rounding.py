"""A start-indexed LP around the fixed visits, and its rounding into a schedule.

The mean-busy-time LP (:mod:`psr_sched.solver.relaxation`) lets a visit be split over any
grains, so its fractional schedule says *when* a class of visits is done, not where each
visit starts; constructions that follow it lose much of what it promises (16 % above it on
a clinic week, family M0).  This LP is its non-preemptive sibling: a column
``y[c, p, s] ≥ 0`` counts the visits of class ``c`` that provider ``p`` *starts* at grain
``s`` and occupies its provider and a room of its kind for the whole visit.  Its optimum is
nearly integral on clinic weeks (on M0, 88 % of its visits sit in integral columns), so
placing each visit where the LP starts it, in start order, gives a schedule close to the
LP's value.

Rows: provider ``p`` at grain ``t``: ``Σ y`` of the visits covering ``t`` ``≤`` 1 (or 0
where a fixed visit holds it); room kind ``q`` at grain ``t``: ``≤`` the rooms open and not
held; class ``c``: ``Σ y + u = n_c``; a provider's daily visit cap.  Links, patients,
turnover and the front desk are left out: linked visits are kept where a construction put
them (``fixed``), and the rounding places every visit only where the schedule really has
room.  Costs are the weighted objective's wait and network terms, and the unscheduled
penalty on ``u``.

The LP is a guide here, not a bound (the fixed visits are one choice among many); the
proven bounds are the mean-busy-time and time-indexed LPs'.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.greedy import GreedyBuilder, Placement, fill
from psr_sched.solver.relaxation import _capacities, _Class, _request_classes, _solve

__all__ = ["StartLp", "round_starts", "start_lp", "start_lp_columns"]


@dataclass(frozen=True, slots=True)
class StartLp:
    """The start-indexed LP's outcome.

    Attributes
    ----------
    value : float
        LP objective at its last iterate, with the fixed visits' wait and the penalty of the
        requests without options (not a proven bound: the fixed visits are one choice).
    optimal : bool
        Whether HiGHS proved the LP optimal.
    columns, rows : int
        The LP's size.
    build_s, solve_s : float
        Seconds to build and to solve it.
    targets : list of (start grain, provider, request)
        Where the LP starts each visit it schedules (the largest share of the request's unit
        of its class, the class's visits cut in start order, its requests in id order).
    """

    value: float
    optimal: bool
    columns: int
    rows: int
    build_s: float
    solve_s: float
    targets: list[tuple[int, int, int]] = field(default_factory=list)

    def stats(self) -> dict[str, object]:
        """Size and timings, for a result's statistics."""
        return {
            "value": round(self.value),
            "optimal": self.optimal,
            "columns": self.columns,
            "rows": self.rows,
            "build_s": round(self.build_s, 3),
            "solve_s": round(self.solve_s, 3),
        }


def _classes(
    problem: Problem, cand: Candidates, fixed: Placement, requests: set[int]
) -> list[_Class]:
    return _request_classes(problem, cand, {r for r in requests if r not in fixed})


def start_lp_columns(
    problem: Problem, cand: Candidates, fixed: Placement, requests: set[int]
) -> int:
    """The number of start columns :func:`start_lp` would build (before removing
    duplicates), for deciding whether it fits a time budget."""
    return sum(
        cand.options[o].hi - cand.options[o].lo + 1
        for klass in _classes(problem, cand, fixed, requests)
        for o in klass.options
    )


def start_lp(
    problem: Problem,
    cand: Candidates,
    fixed: Placement,
    requests: set[int],
    *,
    time_limit_s: float,
    threads: int = 1,
) -> StartLp:
    """Build and solve the start-indexed LP of ``requests`` (none of them linked or
    pinned: the rounding places them alone) around ``fixed``; see the module docstring."""
    t0 = time.perf_counter()
    weights = problem.weights
    grain = cand.grain
    horizon = max(cand.day_end, default=0) + 1
    n_providers = len(problem.providers)
    held = dict(fixed)
    for r in cand.locked:
        held.setdefault(r, (cand.by_request[r][0], cand.options[cand.by_request[r][0]].lo))
    provider_grains, room_grains, kind_index, constant, day_visits = _capacities(
        problem, cand, held, horizon
    )
    kinds = sorted(kind_index, key=kind_index.__getitem__)
    classes = _classes(problem, cand, held, requests)

    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for c, klass in enumerate(classes):
        for o in klass.options:
            opt = cand.options[o]
            starts = np.arange(opt.lo, opt.hi + 1, dtype=np.int64)
            n = len(starts)
            kind = -1 if opt.pool < 0 else kind_index[cand.pools[opt.pool].kind]
            parts["c"].append(np.full(n, c, dtype=np.int64))
            parts["p"].append(np.full(n, opt.provider, dtype=np.int64))
            parts["s"].append(starts)
            parts["d"].append(np.full(n, opt.duration, dtype=np.int64))
            parts["k"].append(np.full(n, kind, dtype=np.int64))
            parts["n"].append(np.full(n, int(opt.in_network), dtype=np.int64))
            parts["day"].append(np.full(n, opt.day, dtype=np.int64))
    if not parts:
        return StartLp(constant, True, 0, 0, time.perf_counter() - t0, 0.0)
    y = {name: np.concatenate(chunks) for name, chunks in parts.items()}
    # One column per (class, provider, start, duration, kind), in-network first.
    key = (
        ((y["c"] * n_providers + y["p"]) * horizon + y["s"]) * (int(y["d"].max()) + 1) + y["d"]
    ) * (len(kinds) + 1) + (y["k"] + 1)
    order = np.lexsort((1 - y["n"], key))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = key[order][1:] != key[order][:-1]
    chosen = order[keep]
    y = {name: values[chosen] for name, values in y.items()}
    n_y = len(chosen)
    priority = np.array([k.priority for k in classes], dtype=np.float64)
    earliest = np.array([k.earliest for k in classes], dtype=np.float64)
    demand = np.array([len(k.members) for k in classes], dtype=np.float64)
    cost = weights.access_wait * priority[y["c"]] * (y["s"] * grain - earliest[y["c"]])
    if weights.out_of_network is not None:
        cost = cost + weights.out_of_network * (y["n"] == 0)
    cost = np.concatenate([cost, weights.unscheduled * priority])
    upper = np.concatenate([demand[y["c"]], demand])

    index = np.arange(n_y)
    longest = int(y["d"].max())
    covers = [y["d"] > k for k in range(longest)]
    p_key = np.concatenate([y["p"][m] * horizon + y["s"][m] + k for k, m in enumerate(covers)])
    p_col = np.concatenate([index[m] for m in covers])
    p_rows, p_of = np.unique(p_key, return_inverse=True)
    p_upper = np.maximum(provider_grains.reshape(-1)[p_rows], 0).astype(np.float64)
    roomy = y["k"] >= 0
    q_key = np.concatenate(
        [y["k"][m & roomy] * horizon + y["s"][m & roomy] + k for k, m in enumerate(covers)]
    )
    q_col = np.concatenate([index[m & roomy] for m in covers])
    q_rows, q_of = np.unique(q_key, return_inverse=True)
    q_upper = np.maximum(room_grains.reshape(-1)[q_rows], 0).astype(np.float64)
    caps = [provider.max_visits_per_day for provider in problem.providers]
    n_days = len(cand.day_start)
    capped = np.array([caps[p] is not None for p in y["p"]], dtype=bool)
    m_key = y["p"][capped] * n_days + y["day"][capped]
    m_rows, m_of = np.unique(m_key, return_inverse=True)
    m_upper = np.array(
        [
            max(
                0,
                (caps[int(k) // n_days] or 0)
                - day_visits.get((int(k) // n_days, int(k) % n_days), 0),
            )
            for k in m_rows
        ],
        dtype=np.float64,
    )
    n_p, n_q, n_c = len(p_rows), len(q_rows), len(classes)
    row = np.concatenate(
        [p_of, n_p + q_of, n_p + n_q + y["c"], n_p + n_q + np.arange(n_c), n_p + n_q + n_c + m_of]
    )
    col = np.concatenate([p_col, q_col, index, n_y + np.arange(n_c), index[capped]])
    val = np.ones(len(row))
    n_rows = n_p + n_q + n_c + len(m_rows)
    lower_rows = np.concatenate(
        [np.full(n_p + n_q, -np.inf), demand, np.full(len(m_rows), -np.inf)]
    )
    upper_rows = np.concatenate([p_upper, q_upper, demand, m_upper])
    build_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    x, _duals, lp_value, optimal = _solve(
        cost, upper, row, col, val, n_rows, lower_rows, upper_rows, time_limit_s, threads
    )
    solve_s = time.perf_counter() - t1

    # Cut each class's visits, in start order, into its requests (id order).
    visits = x[:n_y] if len(x) >= n_y else np.zeros(n_y)
    live = np.flatnonzero(visits > 1e-6)
    live = live[np.lexsort((live, y["s"][live], y["c"][live]))]
    bounds = np.searchsorted(y["c"][live], np.arange(n_c + 1))
    targets: list[tuple[int, int, int]] = []
    for c, klass in enumerate(classes):
        cols = live[bounds[c] : bounds[c + 1]]
        if not len(cols):
            continue
        cum = np.concatenate([[0.0], np.cumsum(visits[cols])])
        members = sorted(klass.members, key=lambda r: problem.requests[r].id)
        for i, r in enumerate(members):
            got = np.clip(np.minimum(cum[1:], i + 1) - np.maximum(cum[:-1], i), 0.0, None)
            if got.sum() < 1e-9:
                break
            j = cols[int(got.argmax())]
            targets.append((int(y["s"][j]), int(y["p"][j]), r))
    targets.sort()
    return StartLp(
        value=lp_value + constant,
        optimal=optimal,
        columns=n_y + n_c,
        rows=n_rows,
        build_s=build_s,
        solve_s=solve_s,
        targets=targets,
    )


def round_starts(
    problem: Problem, cand: Candidates, targets: list[tuple[int, int, int]], fixed: Placement
) -> Placement:
    """Place each target visit, in start order, at its LP start with its LP provider, or at
    the earliest free start after it in the same option; then complete the schedule
    first-available (:func:`psr_sched.solver.greedy.fill`).  ``fixed`` stays as it is."""
    builder = GreedyBuilder(problem, cand, start=fixed)
    occ = builder.occ
    placement = dict(fixed)
    options = cand.options
    for s, provider, r in targets:
        if r in placement:
            continue
        for o in cand.by_request[r]:
            opt = options[o]
            if opt.provider != provider or not opt.lo <= s <= opt.hi:
                continue
            t = occ.first_start(r, o, s, opt.hi)
            if t is not None:
                occ.book(r, o, t)
                placement[r] = (o, t)
                builder.placement[r] = (o, t)
                break
    return fill(problem, cand, placement)
