"""The mean-busy-time relaxation: a proven lower bound and a guide, from one LP.

For a visit of ``d`` grains that starts at grain ``s``, the mean of the grains it keeps its
provider busy is ``s + (d − 1) / 2``.  So if each busy grain ``t`` of a visit is charged
``(t − (d − 1) / 2 − e) / d`` grains of wait (``e`` the request's earliest start), the
charges of a non-preemptive visit add up to its wait ``s − e`` exactly.  A time-indexed LP
that lets visits be split over any grains of their options (preemption) and charges busy
grains that way is therefore a relaxation of every schedule: its optimum is a lower bound
on priority-weighted wait plus unscheduled penalty (Goemans, Queyranne, Schulz, Skutella and
Wang, SIAM J. Discrete Math. 15(2), 2002).  The other objective terms are never negative and
count as zero, so the bound holds for the whole weighted objective.

Requests that no schedule can tell apart (the same priority, earliest start and options:
visit type, window, payer, allowed providers and intake facts alike) form one *class* with a
demand, so the LP grows with classes × providers × slots, not with requests.

Columns
    ``z[c, p, k] ≥ 0``: grains of provider ``p``'s time in slot ``k`` spent on visits of
    class ``c`` (only where an option of the class keeps ``p`` busy in the slot);
    ``u[c] ≥ 0``: visits of class ``c`` left unscheduled.
Rows
    provider ``p`` in slot ``k``: ``Σ_c z ≤`` its bookable grains in the slot;
    room kind ``q`` in slot ``k``: ``Σ z ≤`` the grains its open rooms offer in the slot;
    class ``c``: ``Σ z / d_cp + u = n_c`` (``d_cp`` the visit's length with provider ``p``);
    provider ``p`` on day ``j`` with a daily cap ``m``: ``Σ z / d_cp ≤ m``.

Locked pinned visits are fixed: they take their grains off the capacities and add their wait
as a constant.  Links, patients, turnover and the front desk are left to the search (every
schedule satisfies the rows without them, so the bound stays valid).  Slots of several grains
make the LP smaller: a column is then charged at the earliest grain it may use in its slot,
still a lower bound.  The bound returned is computed from the LP's dual values by Lagrangian
duality with every column's upper bound (:func:`_safe_bound`), so it is proven whatever the
LP solver's tolerances, and also when its time limit stops it early.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates

__all__ = ["MeanBusyTime", "choose_slot_grains", "mean_busy_time"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative safety margin taken off the Lagrangian bound before rounding up.
_MARGIN = 1e-7


@dataclass(frozen=True, slots=True)
class MeanBusyTime:
    """The relaxation's outcome: a proven bound, its size, and the LP's fractional schedule.

    Attributes
    ----------
    value : int or None
        Proven lower bound on the weighted objective, ``None`` when no dual values came
        back (the LP solver failed before its first iteration).
    lp_value : float
        The LP's objective at its last iterate, constants included.
    optimal : bool
        Whether the LP solver proved its optimum.
    slot_grains : int
        Grains per time slot.
    classes, columns, rows : int
        The LP's size.
    build_s, solve_s : float
        Seconds to build the LP and to solve it.
    placed : numpy.ndarray
        Per request, the LP's scheduled share in [0, 1] (1 for a locked request).
    start : numpy.ndarray
        Per request, the LP's mean start grain; ``nan`` where the LP schedules none of it.
    option_share : numpy.ndarray
        Per candidate option, the share of its request the LP puts on the option's provider
        during the option's busy grains.
    """

    value: int | None
    lp_value: float
    optimal: bool
    slot_grains: int
    classes: int
    columns: int
    rows: int
    build_s: float
    solve_s: float
    placed: FloatArray
    start: FloatArray
    option_share: FloatArray

    @property
    def lp_optimal(self) -> bool:
        """Same as :attr:`optimal` (the name constructions read)."""
        return self.optimal

    @property
    def wall_time_s(self) -> float:
        """Seconds to build and solve."""
        return self.build_s + self.solve_s

    def stats(self) -> dict[str, object]:
        """Size and timings, for a result's statistics."""
        return {
            "bound": self.value,
            "optimal": self.optimal,
            "slot_grains": self.slot_grains,
            "classes": self.classes,
            "columns": self.columns,
            "rows": self.rows,
            "build_s": round(self.build_s, 3),
            "solve_s": round(self.solve_s, 3),
        }


@dataclass(slots=True)
class _Class:
    members: list[int]
    priority: int
    earliest: int  # minutes
    options: list[int]  # of the first member


def _class_key(cand: Candidates, problem: Problem, r: int, linked: set[int]) -> tuple[object, ...]:
    if r in linked:  # its link rows name it alone
        return ("linked", r)
    opts = tuple(
        (o.provider, o.pool, o.lo, o.hi, o.duration, o.in_network)
        for o in (cand.options[i] for i in cand.by_request[r])
    )
    return (problem.requests[r].priority, cand.earliest_minute[r], opts)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _capacities(
    problem: Problem, cand: Candidates, held: dict[int, tuple[int, int]], horizon: int
) -> tuple[IntArray, IntArray, dict[str, int], float, dict[tuple[int, int], int]]:
    """Per grain up to ``horizon``: each provider's bookable grains and each room kind's open
    rooms, with the ``held`` visits (request → option, start) taken off; the objective those
    visits and the requests without options add as a constant; visits held per
    (provider, day).  Room kinds are indexed in sorted order."""
    weights = problem.weights
    grain = cand.grain
    provider_grains = np.zeros((len(problem.providers), horizon), dtype=np.int64)
    for block in cand.blocks:
        provider_grains[block.provider, block.start : block.end] = 1
    kind_index = {kind: i for i, kind in enumerate(sorted({pool.kind for pool in cand.pools}))}
    room_grains = np.zeros((len(kind_index), horizon), dtype=np.int64)
    for pool in cand.pools:
        for spans in pool.open_spans:
            for s, e in spans:
                room_grains[kind_index[pool.kind], s:e] += len(pool.rooms)
    constant = 0.0
    day_visits: dict[tuple[int, int], int] = defaultdict(int)
    for r, (o, t) in sorted(held.items()):
        opt = cand.options[o]
        provider_grains[opt.provider, t : t + opt.duration] -= 1
        if opt.pool >= 0:
            room_grains[kind_index[cand.pools[opt.pool].kind], t : t + opt.duration] -= 1
        day_visits[(opt.provider, opt.day)] += 1
        constant += (
            weights.access_wait
            * problem.requests[r].priority
            * (t * grain - cand.earliest_minute[r])
        )
        if not opt.in_network and weights.out_of_network is not None:
            constant += weights.out_of_network
    for r, opts in enumerate(cand.by_request):
        if not opts:
            constant += weights.unscheduled * problem.requests[r].priority
    return provider_grains, room_grains, kind_index, constant, day_visits


def _request_classes(
    problem: Problem, cand: Candidates, include: set[int] | None = None
) -> list[_Class]:
    """Classes of the requests with options that are not locked (and are in ``include``,
    when given); a linked request is a class of its own."""
    linked: set[int] = set()
    for r, request in enumerate(problem.requests):
        for link in request.links:
            linked.update((r, problem.request_index[link.request_id]))
    by_key: dict[tuple[object, ...], _Class] = {}
    for r, opts in enumerate(cand.by_request):
        if not opts or r in cand.locked or (include is not None and r not in include):
            continue
        key = _class_key(cand, problem, r, linked)
        found = by_key.get(key)
        if found is None:
            by_key[key] = _Class([r], problem.requests[r].priority, cand.earliest_minute[r], opts)
        else:
            found.members.append(r)
    return list(by_key.values())


def choose_slot_grains(problem: Problem, cand: Candidates, max_columns: int) -> int:
    """The fewest grains per slot that keep the LP under ``max_columns`` columns (estimated
    from the busy grains of one request of each class, as the LP builds them; at most one
    hour)."""
    linked: set[int] = set()
    for r, request in enumerate(problem.requests):
        for link in request.links:
            linked.update((r, problem.request_index[link.request_id]))
    seen: set[tuple[object, ...]] = set()
    busy = 0
    for r, opts in enumerate(cand.by_request):
        if not opts or r in cand.locked:
            continue
        key = _class_key(cand, problem, r, linked)
        if key in seen:
            continue
        seen.add(key)
        by_provider: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for o in opts:
            opt = cand.options[o]
            by_provider[opt.provider].append((opt.lo, opt.hi + opt.duration))
        busy += sum(b - a for spans in by_provider.values() for a, b in _merge(spans))
    grain = cand.grain
    for slot in (1, 2, 3, 4, 6, 12):
        if slot * grain > 60:
            break
        if busy / slot <= max_columns:
            return slot
    return max(1, 60 // grain)


def mean_busy_time(
    problem: Problem,
    cand: Candidates,
    *,
    slot_grains: int = 1,
    time_limit_s: float = 60.0,
    threads: int = 1,
) -> MeanBusyTime:
    """Build and solve the mean-busy-time LP; see the module docstring.

    Parameters
    ----------
    problem, cand : Problem, Candidates
        The problem and its candidate options (weighted mode; lexicographic weights are
        not a sum the LP can bound).
    slot_grains : int
        Grains per slot (1: the exact time-indexed LP).
    time_limit_s : float
        Limit of the LP solver; the bound stays proven when it stops early.
    threads : int
        Threads of the LP solver.

    Returns
    -------
    MeanBusyTime
    """
    t0 = time.perf_counter()
    weights = problem.weights
    grain = cand.grain
    size = max(cand.day_end, default=0) + 1
    n_slots = -(-size // slot_grains)
    horizon = n_slots * slot_grains

    # -- capacities (grains), locked visits taken off -------------------------------------
    locked = {
        r: (cand.by_request[r][0], cand.options[cand.by_request[r][0]].lo) for r in cand.locked
    }
    provider_grains, room_grains, kind_index, constant, day_visits = _capacities(
        problem, cand, locked, horizon
    )
    kinds = sorted(kind_index, key=kind_index.__getitem__)
    provider_cap = np.maximum(
        provider_grains.reshape(len(problem.providers), n_slots, slot_grains).sum(axis=2), 0
    )
    room_cap = np.maximum(room_grains.reshape(len(kinds), n_slots, slot_grains).sum(axis=2), 0)

    # -- classes ------------------------------------------------------------------------
    classes = _request_classes(problem, cand)

    # -- columns ------------------------------------------------------------------------
    col_class: list[IntArray] = []
    col_provider: list[IntArray] = []
    col_slot: list[IntArray] = []
    col_first: list[IntArray] = []  # earliest grain the column may use in its slot
    col_duration: list[IntArray] = []
    col_kind: list[IntArray] = []
    col_network: list[IntArray] = []
    for c, klass in enumerate(classes):
        busy: dict[tuple[int, int, int, bool], list[tuple[int, int]]] = defaultdict(list)
        for o in klass.options:
            opt = cand.options[o]
            kind = -1 if opt.pool < 0 else kind_index[cand.pools[opt.pool].kind]
            busy[(opt.provider, opt.duration, kind, opt.in_network)].append(
                (opt.lo, opt.hi + opt.duration)
            )
        for (p, duration, kind, network), pieces in busy.items():
            for a, b in _merge(pieces):
                slots = np.arange(a // slot_grains, (b - 1) // slot_grains + 1, dtype=np.int64)
                first = np.maximum(a, slots * slot_grains)
                n = len(slots)
                col_class.append(np.full(n, c, dtype=np.int64))
                col_provider.append(np.full(n, p, dtype=np.int64))
                col_slot.append(slots)
                col_first.append(first)
                col_duration.append(np.full(n, duration, dtype=np.int64))
                col_kind.append(np.full(n, kind, dtype=np.int64))
                col_network.append(np.full(n, network, dtype=np.int64))
    if col_class:
        z_class = np.concatenate(col_class)
        z_provider = np.concatenate(col_provider)
        z_slot = np.concatenate(col_slot)
        z_first = np.concatenate(col_first)
        z_duration = np.concatenate(col_duration)
        z_kind = np.concatenate(col_kind)
        z_network = np.concatenate(col_network)
    else:
        z_class = z_provider = z_slot = z_first = z_duration = z_kind = z_network = np.zeros(
            0, dtype=np.int64
        )
    # Options of one class and provider with different pools of a kind give the same
    # column twice: keep one (the earliest first grain).
    column_key = ((z_class * len(problem.providers) + z_provider) * n_slots + z_slot) * 2 + (
        z_kind >= 0
    )
    order = np.lexsort((z_first, column_key))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = column_key[order][1:] != column_key[order][:-1]
    chosen = order[keep]
    # A column needs its provider bookable in its slot (locked visits may have taken it).
    chosen = chosen[provider_cap[z_provider[chosen], z_slot[chosen]] > 0]
    z_class, z_provider, z_slot = z_class[chosen], z_provider[chosen], z_slot[chosen]
    z_first, z_duration, z_kind, z_network = (
        z_first[chosen],
        z_duration[chosen],
        z_kind[chosen],
        z_network[chosen],
    )
    pcap = provider_cap[z_provider, z_slot]
    n_z = len(z_class)
    demand = np.array([len(k.members) for k in classes], dtype=np.float64)
    priority = np.array([k.priority for k in classes], dtype=np.float64)
    earliest = np.array([k.earliest for k in classes], dtype=np.float64)

    d = z_duration.astype(np.float64)
    wait_per_grain = (
        weights.access_wait
        * priority[z_class]
        * (z_first * grain - (d - 1) / 2 * grain - earliest[z_class])
        / d
    )
    if weights.out_of_network is not None:
        wait_per_grain = wait_per_grain + weights.out_of_network * (z_network == 0) / d
    cost = np.concatenate([wait_per_grain, weights.unscheduled * priority])
    upper = np.concatenate(
        [np.minimum(pcap, demand[z_class] * z_duration).astype(np.float64), demand]
    )

    # -- rows -----------------------------------------------------------------------------
    # Provider-slot rows, room-kind-slot rows, class rows, provider-day rows.
    p_key = z_provider * n_slots + z_slot
    p_rows, p_of = np.unique(p_key, return_inverse=True)
    p_bound = provider_cap.reshape(-1)[p_rows].astype(np.float64)
    roomy = z_kind >= 0
    q_key = z_kind[roomy] * n_slots + z_slot[roomy]
    q_rows, q_of = np.unique(q_key, return_inverse=True)
    q_bound = np.maximum(room_cap.reshape(-1)[q_rows], 0).astype(np.float64)
    n_p, n_q, n_c = len(p_rows), len(q_rows), len(classes)
    day_of_slot = _day_of_slots(cand, n_slots, slot_grains)
    z_day = day_of_slot[z_slot]
    caps = [provider.max_visits_per_day for provider in problem.providers]
    capped = np.array([caps[p] is not None for p in z_provider], dtype=bool) & (z_day >= 0)
    m_key = z_provider[capped] * len(cand.day_start) + z_day[capped]
    m_rows, m_of = np.unique(m_key, return_inverse=True)
    m_bound = np.array(
        [
            max(
                0,
                (caps[int(k) // len(cand.day_start)] or 0)
                - day_visits.get((int(k) // len(cand.day_start), int(k) % len(cand.day_start)), 0),
            )
            for k in m_rows
        ],
        dtype=np.float64,
    )
    n_m = len(m_rows)
    z_index = np.arange(n_z)
    rows_i = [p_of, n_p + q_of, n_p + n_q + z_class, n_p + n_q + n_c + m_of]
    cols_i = [z_index, z_index[roomy], z_index, z_index[capped]]
    vals = [np.ones(n_z), np.ones(int(roomy.sum())), 1.0 / d, 1.0 / d[capped]]
    u_index = n_z + np.arange(n_c)
    rows_i.append(n_p + n_q + np.arange(n_c))
    cols_i.append(u_index)
    vals.append(np.ones(n_c))
    n_rows = n_p + n_q + n_c + n_m
    lower_parts = [np.full(n_p + n_q, -np.inf), demand, np.full(n_m, -np.inf)]
    upper_parts = [p_bound, q_bound, demand, m_bound]
    class_of = {klass.members[0]: c for c, klass in enumerate(classes) if len(klass.members) == 1}
    link_rows = _link_rows(problem, cand, class_of, z_class, z_day, d, n_z, cand.locked)
    link_row, link_col, link_val, link_lower, link_upper = _link_matrix(link_rows, n_rows)
    rows_i.append(link_row)
    cols_i.append(link_col)
    vals.append(link_val)
    lower_parts.append(link_lower)
    upper_parts.append(link_upper)
    n_rows += len(link_rows)
    row = np.concatenate(rows_i)
    col = np.concatenate(cols_i)
    val = np.concatenate(vals)
    lower_rows = np.concatenate(lower_parts)
    upper_rows = np.concatenate(upper_parts)
    build_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    x, duals, lp_value, optimal = _solve(
        cost, upper, row, col, val, n_rows, lower_rows, upper_rows, time_limit_s, threads
    )
    solve_s = time.perf_counter() - t1
    value = None
    if duals is not None:
        value = _safe_bound(cost, upper, row, col, val, lower_rows, upper_rows, duals, constant)

    placed, start, share = _guide(
        problem, cand, classes, x, z_class, z_provider, z_slot, z_duration, slot_grains
    )
    return MeanBusyTime(
        value=value,
        lp_value=lp_value + constant,
        optimal=optimal,
        slot_grains=slot_grains,
        classes=n_c,
        columns=n_z + n_c,
        rows=n_rows,
        build_s=build_s,
        solve_s=solve_s,
        placed=placed,
        start=start,
        option_share=share,
    )


#: One row of link constraints: (columns, coefficients) pieces, lower side, upper side.
_LinkRow = tuple[list[tuple[IntArray, FloatArray]], float, float]


def _link_rows(
    problem: Problem,
    cand: Candidates,
    class_of: dict[int, int],
    z_class: IntArray,
    z_day: IntArray,
    duration: FloatArray,
    n_z: int,
    locked: set[int],
) -> list[_LinkRow]:
    """Rows that every schedule's links satisfy, on visits per day ``v[r, j] = Σ z / d``.

    Same-day sequence A → B: ``v[A, j] = v[B, j]`` on every day.  Before-visit C → V (C on
    V's date or up to N days earlier): ``v[C, j] ≤ Σ v[V, j']`` over the days ``j'`` from
    ``j`` to N days later, and ``u[C] = u[V]``.  Follow-up B after A by N days:
    ``Σ_{j' ≤ j} v[B, j'] ≤ Σ v[A, j']`` over the days at least N days before ``j``.  A
    locked request counts as one visit on its day.
    """
    dates = [day.toordinal() for day in cand.horizon.dates]
    n_days = len(dates)
    order = np.lexsort((z_day, z_class))
    keys = z_class[order] * (n_days + 1) + z_day[order]

    def visits(r: int, days: list[int]) -> tuple[list[tuple[IntArray, FloatArray]], float]:
        """The pieces of ``Σ_{j in days} v[r, j]`` and its constant (a locked visit)."""
        if r in locked:
            day = cand.options[cand.by_request[r][0]].day
            return [], 1.0 if day in days else 0.0
        c = class_of.get(r)
        if c is None:
            return [], 0.0
        pieces = []
        for j in days:
            lo = np.searchsorted(keys, c * (n_days + 1) + j, side="left")
            hi = np.searchsorted(keys, c * (n_days + 1) + j, side="right")
            if hi > lo:
                columns = order[lo:hi]
                pieces.append((columns, 1.0 / duration[columns]))
        return pieces, 0.0

    def unscheduled(r: int) -> tuple[list[tuple[IntArray, FloatArray]], float]:
        if r in locked:
            return [], 0.0
        c = class_of.get(r)
        if c is None:
            return [], 1.0  # no options: always unscheduled
        return [(np.array([n_z + c], dtype=np.int64), np.ones(1))], 0.0

    def difference(
        plus: tuple[list[tuple[IntArray, FloatArray]], float],
        minus: tuple[list[tuple[IntArray, FloatArray]], float],
    ) -> tuple[list[tuple[IntArray, FloatArray]], float]:
        return plus[0] + [(cols, -coef) for cols, coef in minus[0]], plus[1] - minus[1]

    rows: list[_LinkRow] = []

    def add(
        entries: tuple[list[tuple[IntArray, FloatArray]], float], lower: float, upper: float
    ) -> None:
        pieces, const = entries
        if pieces:
            rows.append((pieces, lower - const, upper - const))

    every = list(range(n_days))
    for b, request in enumerate(problem.requests):
        for link in request.links:
            a = problem.request_index[link.request_id]
            if link.kind == "same_day_sequence":
                for j in every:
                    add(difference(visits(a, [j]), visits(b, [j])), 0.0, 0.0)
            elif link.kind == "before_visit":
                days_after = getattr(link, "max_days_before", 0)
                for j in every:
                    later = [k for k in every if 0 <= dates[k] - dates[j] <= days_after]
                    add(difference(visits(b, [j]), visits(a, later)), -np.inf, 0.0)
                add(difference(unscheduled(b), unscheduled(a)), 0.0, 0.0)
            elif link.kind == "follow_up":
                gap = getattr(link, "min_days", 0)
                for j in every:
                    upto = [k for k in every if k <= j]
                    before = [k for k in every if dates[k] <= dates[j] - gap]
                    add(difference(visits(b, upto), visits(a, before)), -np.inf, 0.0)
    return rows


def _link_matrix(
    rows: list[_LinkRow], first: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """The entries (row, column, value) and the row sides of ``rows``, numbered from
    ``first``."""
    row_i: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    col_i: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    val_i: list[FloatArray] = [np.zeros(0)]
    for k, (entries, _lower, _upper) in enumerate(rows):
        for column, coefficient in entries:
            row_i.append(np.full(len(column), first + k, dtype=np.int64))
            col_i.append(column)
            val_i.append(np.asarray(coefficient, dtype=np.float64))
    return (
        np.concatenate(row_i),
        np.concatenate(col_i),
        np.concatenate(val_i),
        np.array([lower for _, lower, _ in rows], dtype=np.float64),
        np.array([upper for _, _, upper in rows], dtype=np.float64),
    )


def _day_of_slots(cand: Candidates, n_slots: int, slot_grains: int) -> IntArray:
    """Per slot, the day it starts in (``-1`` outside every day)."""
    day = np.full(n_slots, -1, dtype=np.int64)
    for j, (s, e) in enumerate(zip(cand.day_start, cand.day_end, strict=True)):
        day[s // slot_grains : -(-e // slot_grains)] = j
    return day


def _solve(
    cost: FloatArray,
    upper: FloatArray,
    row: IntArray,
    col: IntArray,
    val: FloatArray,
    n_rows: int,
    lower_rows: FloatArray,
    upper_rows: FloatArray,
    time_limit_s: float,
    threads: int,
) -> tuple[FloatArray, FloatArray | None, float, bool]:
    """Solve with HiGHS: primal values, row duals (None if none), objective, optimality."""
    import highspy

    n_cols = len(cost)
    order = np.lexsort((row, col))
    counts = np.bincount(col, minlength=n_cols)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = upper
    lp.row_lower_ = lower_rows
    lp.row_upper_ = upper_rows
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = row[order].astype(np.int32)
    lp.a_matrix_.value_ = val[order]
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    h = _quiet_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(0.05, float(time_limit_s)))
    h.setOptionValue("threads", max(1, threads))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    optimal = status == highspy.HighsModelStatus.kOptimal
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    duals = np.asarray(solution.row_dual, dtype=np.float64) if solution.dual_valid else None
    if len(x) != n_cols:
        x = np.zeros(n_cols)
    info = h.getInfo()
    return x, duals, float(info.objective_function_value), optimal


def _quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance, without the banner it prints on standard output when created (a
    batch's or a command's output must not carry it)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                return highspy.Highs()
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def _safe_bound(
    cost: FloatArray,
    upper: FloatArray,
    row: IntArray,
    col: IntArray,
    val: FloatArray,
    lower_rows: FloatArray,
    upper_rows: FloatArray,
    duals: FloatArray,
    constant: float,
) -> int:
    """A lower bound from any dual vector: min over 0 ≤ x ≤ upper of the Lagrangian.

    For ``min c·x`` subject to ``l ≤ A x ≤ u`` and ``0 ≤ x ≤ upper``, and any ``y``: taking
    ``y_i`` only where its sign is right (``y_i ≤ 0`` on a finite upper side, ``≥ 0`` on a
    finite lower side) gives ``c·x ≥ Σ_i y_i·(l_i or u_i) + Σ_j min(0, c_j − A_jᵀy)·upper_j``.
    """
    y = duals.copy()
    finite_upper = np.isfinite(upper_rows)
    finite_lower = np.isfinite(lower_rows)
    y[(y < 0) & ~finite_upper] = 0.0
    y[(y > 0) & ~finite_lower] = 0.0
    side = np.where(y < 0, upper_rows, lower_rows)
    side = np.where(y == 0, 0.0, side)
    reduced = cost - np.bincount(col, weights=val * y[row], minlength=len(cost))
    bound = float(np.dot(y, side)) + float(np.minimum(reduced, 0.0) @ upper) + constant
    return max(0, math.ceil(bound - _MARGIN * max(1.0, abs(bound))))


def _guide(
    problem: Problem,
    cand: Candidates,
    classes: list[_Class],
    x: FloatArray,
    z_class: IntArray,
    z_provider: IntArray,
    z_slot: IntArray,
    z_duration: IntArray,
    slot_grains: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per request its LP share and mean start; per option its share.

    The visits of a class the LP schedules are read in time order: the mass of visits
    (``z / d``) sorted by mean start (slot middle less half the visit) is cut into the
    class's visits one unit at a time; the class's requests take them in id order.
    """
    n = len(problem.requests)
    placed = np.zeros(n)
    start = np.full(n, np.nan)
    for r in cand.locked:
        placed[r] = 1.0
        start[r] = float(cand.options[cand.by_request[r][0]].lo)
    n_z = len(z_class)
    z = x[:n_z] if len(x) >= n_z else np.zeros(n_z)
    visits = z / z_duration
    mean_start = (z_slot + 0.5) * slot_grains - 0.5 - (z_duration - 1) / 2
    live = visits > 1e-9
    order = np.lexsort((mean_start[live], z_class[live]))
    idx = np.flatnonzero(live)[order]
    bounds = np.searchsorted(z_class[idx], np.arange(len(classes) + 1))
    for c, klass in enumerate(classes):
        members = sorted(klass.members, key=lambda r: problem.requests[r].id)
        cols = idx[bounds[c] : bounds[c + 1]]
        mass = visits[cols]
        when = mean_start[cols]
        cum = np.concatenate([[0.0], np.cumsum(mass)])
        for i, r in enumerate(members):
            lo, hi = float(i), float(i + 1)
            got = np.clip(np.minimum(cum[1:], hi) - np.maximum(cum[:-1], lo), 0.0, None)
            total = float(got.sum())
            placed[r] = min(1.0, total)
            if total > 1e-9:
                start[r] = float(np.dot(got, when) / total)
    # Option shares: per (class, provider), prefix sums of visits over slots.
    n_providers = len(problem.providers)
    pair = z_class * n_providers + z_provider
    by_pair = np.lexsort((z_slot, pair))
    pair_sorted, slot_sorted = pair[by_pair], z_slot[by_pair]
    prefix = np.concatenate([[0.0], np.cumsum(visits[by_pair])])
    class_of = np.full(n, -1, dtype=np.int64)
    for c, klass in enumerate(classes):
        class_of[klass.members] = c
    share = np.zeros(len(cand.options))
    if not len(cand.options):
        return placed, start, share
    o_request = np.array([o.request for o in cand.options], dtype=np.int64)
    o_class = class_of[o_request]
    o_pair = o_class * n_providers + np.array([o.provider for o in cand.options], dtype=np.int64)
    o_lo = np.array([o.lo for o in cand.options], dtype=np.int64) // slot_grains
    o_hi = np.array([o.hi + o.duration - 1 for o in cand.options], dtype=np.int64) // slot_grains
    # Position in (pair, slot) order of the first column at or after (pair, lo), and after
    # (pair, hi): the prefix sums between them are the option's visits.
    width = n_slots_of(z_slot) + 1
    key_sorted = pair_sorted * width + slot_sorted
    first = np.searchsorted(key_sorted, o_pair * width + o_lo, side="left")
    last = np.searchsorted(key_sorted, o_pair * width + np.minimum(o_hi, width - 1), side="right")
    demand = np.array([len(k.members) for k in classes] + [1], dtype=np.float64)
    share = np.where(o_class >= 0, (prefix[last] - prefix[first]) / demand[o_class], 0.0)
    return placed, start, share


def n_slots_of(slots: IntArray) -> int:
    """One more than the largest slot index in use (0 when none)."""
    return int(slots.max()) + 1 if len(slots) else 0
