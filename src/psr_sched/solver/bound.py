"""A proven lower bound on the weighted objective from a time-indexed LP relaxation.

CP-SAT's own bound on week-sized problems stays at the trivial value of every request at
its earliest start.  This module builds a linear program whose optimum is provably no more
than the best schedule's weighted objective, solves it with GLOP, and turns the LP's dual
solution into a bound that stays valid whatever the LP solver's tolerances.

Variables
    ``x[o, k] ∈ [0, 1]``: option ``o`` starts somewhere in slot ``k`` (slots of
    ``slot_minutes``, aligned on the grain index, clipped to the option's start range
    ``[lo, hi]``); ``u[r] ∈ [0, 1]``: request ``r`` stays unscheduled (absent for locked
    requests).

Each ``x[o, k]`` costs the least the schedule can pay for that choice: the access wait of
the slot's earliest feasible start, a provider-preference miss when the provider is not
preferred, a time-preference miss when no start of the slot is in a preferred window, and
the move cost of a movable pin unless the slot may keep it.  ``u[r]`` costs the unscheduled
weight times the priority plus the move cost of a movable pin.  Idle gaps cost 0.

Every constraint is implied by the rules of ``docs/rules.md`` (so it holds for any valid
schedule, in particular the optimal one); see :func:`lp_lower_bound`.
"""

from __future__ import annotations

import math
import struct
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2
from ortools.linear_solver.python import model_builder_helper

from psr_sched.domain import FollowUp, SameDaySequence
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.extract import preferred_spans

__all__ = ["LowerBound", "lp_lower_bound"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Largest number of consecutive slots an energetic window of a room pool or of the front
#: desk spans (provider windows span any number of slots of their block).
_SHARED_WINDOW_SLOTS = 4
#: Cells (windows × visits) evaluated at once when generating energetic rows.
_CHUNK_CELLS = 4_000_000
#: Relative safety margin taken off the LP bound before rounding down.
_MARGIN = 1e-6


@dataclass(frozen=True, slots=True)
class LowerBound:
    """A proven lower bound on the weighted objective.

    Attributes
    ----------
    value : int
        The bound, in the problem's weights: no valid schedule has a lower weighted
        objective.
    source : str
        How it was obtained, e.g. ``"lp-time-indexed-30min"``.
    wall_time_s : float
        Seconds spent building and solving the relaxation.
    variables : int
        Columns of the linear program.
    constraints : int
        Rows of the linear program.
    build_s : float
        Seconds spent building the linear program (included in ``wall_time_s``).
    solve_s : float
        Seconds spent in the LP solver (included in ``wall_time_s``).
    """

    value: int
    source: str
    wall_time_s: float
    variables: int
    constraints: int
    build_s: float = 0.0
    solve_s: float = 0.0


def lp_lower_bound(
    problem: Problem,
    cand: Candidates,
    *,
    slot_minutes: int = 30,
    time_limit_s: float = 60.0,
) -> LowerBound | None:
    """A proven lower bound on the weighted objective from a time-indexed LP relaxation.

    The relaxation (variables and costs in the module docstring) has these rows, each
    implied by the rules, so its optimum is at most the optimal weighted objective:

    * **assignment** — per request with options, ``Σ x + u = 1`` (``u`` absent when locked):
      a request is placed once or unscheduled.
    * **provider energy** — per provider and group of overlapping blocks of a date, for every
      window ``[A, C)`` between slot boundaries (and block ends): the minutes each visit
      surely spends inside the window, whatever its start within its slot, sum to at most
      ``C − A``, since a provider's visits never overlap.
    * **daily maximum** — ``Σ x`` of a provider's options on a date is at most
      ``max_visits_per_day``.
    * **room energy** — per room pool and date, windows of up to a few slots: the minutes
      each visit plus the smallest turnover of the pool's rooms surely spends inside the
      window sum to at most ``rooms × (C − A)``: each room holds one extended visit at a time.
    * **front-desk energy** — per date, windows of up to a few slots: the check-in minutes
      surely inside the window sum to at most the station-minutes of every shift (of every
      calendar date around the horizon) inside it.
    * **links** — a same-day sequence places both requests on the same date or neither
      (``Σ x`` per date equal), and B starts after A ends plus the minimum gap and no later
      than the maximum gap, in slot-extreme form; a follow-up B on or before date ``D`` needs
      A on or before ``D − min_days``.

    Requests without options add their unscheduled cost (and a movable pin's move cost) as
    a constant.  The bound is the LP's dual objective recomputed from GLOP's dual values with
    every dual sign clipped and every reduced cost charged at its worst over ``[0, 1]``, so it
    is valid for any dual vector, whatever the solver's tolerances; it is then lowered by a
    relative ``1e-6`` and rounded down.

    Parameters
    ----------
    problem : Problem
        The problem.
    cand : Candidates
        Its candidates, from :func:`~psr_sched.solver.candidates.build_candidates`.
    slot_minutes : int, optional
        Length of a start slot; rounded down to a whole number of grains (at least one).
        Shorter slots give a tighter bound and a larger LP.  Default 30.
    time_limit_s : float, optional
        Wall-clock limit of building and solving.  Default 60.

    Returns
    -------
    LowerBound or None
        The bound; ``None`` in lexicographic mode (a bound in the reported weights says
        nothing there), when the time limit is reached, or when the LP solver does not
        report an optimum.
    """
    t0 = time.perf_counter()
    if problem.weights.mode == "lexicographic":
        return None
    slot = max(1, slot_minutes // cand.grain)
    source = f"lp-time-indexed-{slot * cand.grain}min"
    relaxation = _Relaxation(problem, cand, slot)
    relaxation.build()
    build_s = time.perf_counter() - t0
    n_cols, n_rows = relaxation.n_cols, relaxation.rows.count
    if n_cols == 0:
        value = _round_down(float(relaxation.constant))
        return LowerBound(value, source, build_s, 0, 0, build_s, 0.0)
    left = time_limit_s - build_s
    if left <= 0:
        return None
    t1 = time.perf_counter()
    lp_value = relaxation.solve(left)
    solve_s = time.perf_counter() - t1
    if lp_value is None:
        return None
    value = _round_down(lp_value + relaxation.constant)
    return LowerBound(
        value, source, time.perf_counter() - t0, n_cols, n_rows, build_s, solve_s
    )


def _round_down(value: float) -> int:
    return math.floor(value - _MARGIN * max(1.0, abs(value)))


# -- rows ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rows:
    """Rows in coordinate form: ``lower ≤ Σ value × x[col] ≤ upper`` per row."""

    count: int = 0
    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    values: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)

    def add(
        self,
        rows: IntArray,
        cols: IntArray,
        values: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
    ) -> None:
        """Add ``len(lower)`` rows; ``rows`` numbers them from 0 within the batch."""
        if len(lower) == 0:
            return
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.values.append(values.astype(np.float64))
        self.lower.append(lower.astype(np.float64))
        self.upper.append(upper.astype(np.float64))
        self.count += len(lower)

    def add_one(self, cols: IntArray, values: FloatArray, lower: float, upper: float) -> None:
        """Add one row."""
        if len(cols) == 0:
            return
        self.add(
            np.zeros(len(cols), dtype=np.int64),
            cols,
            values,
            np.array([lower]),
            np.array([upper]),
        )

    def csr(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
        """(row pointers, columns, values, lower, upper), rows in order."""
        if not self.rows:
            empty_i = np.zeros(0, dtype=np.int64)
            empty_f = np.zeros(0, dtype=np.float64)
            return np.zeros(1, dtype=np.int64), empty_i, empty_f, empty_f, empty_f
        rows = np.concatenate(self.rows)
        order = np.argsort(rows, kind="stable")
        ptr = np.zeros(self.count + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.count), out=ptr[1:])
        return (
            ptr,
            np.concatenate(self.cols)[order],
            np.concatenate(self.values)[order],
            np.concatenate(self.lower),
            np.concatenate(self.upper),
        )


# -- the relaxation --------------------------------------------------------------------


class _Relaxation:
    """Columns, costs and rows of the LP, and its solve."""

    def __init__(self, problem: Problem, cand: Candidates, slot: int) -> None:
        self.problem = problem
        self.cand = cand
        self.slot = slot
        self.grain = cand.grain
        self.weights = problem.weights
        self.rows = _Rows()
        self.constant = 0
        self.n_cols = 0
        self.cost = np.zeros(0, dtype=np.float64)

    # -- columns and costs ---------------------------------------------------------------

    def build(self) -> None:
        """Columns, costs, then every row family."""
        self._columns()
        if self.n_cols == 0:
            return
        self._costs()
        self._assignment()
        self._provider_energy()
        self._daily_maximum()
        self._room_energy()
        self._desk_energy()
        self._links()

    def _columns(self) -> None:
        cand, problem, w = self.cand, self.problem, self.weights
        active = [o for r in range(len(problem.requests)) for o in cand.by_request[r]]
        opts = [cand.options[o] for o in active]
        n = len(opts)
        self.opt_request = np.fromiter((o.request for o in opts), np.int64, n)
        self.opt_provider = np.fromiter((o.provider for o in opts), np.int64, n)
        self.opt_day = np.fromiter((o.day for o in opts), np.int64, n)
        self.opt_block = np.fromiter((o.block for o in opts), np.int64, n)
        self.opt_pool = np.fromiter((o.pool for o in opts), np.int64, n)
        lo = np.fromiter((o.lo for o in opts), np.int64, n)
        hi = np.fromiter((o.hi for o in opts), np.int64, n)
        self.opt_duration = np.fromiter((o.duration for o in opts), np.int64, n)
        self.opt_index = np.array(active, dtype=np.int64)
        s = self.slot
        count = hi // s - lo // s + 1
        self.opt_first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=self.opt_first[1:])
        n_x = int(self.opt_first[-1])
        opt = np.repeat(np.arange(n, dtype=np.int64), count)
        k = lo[opt] // s + np.arange(n_x, dtype=np.int64) - self.opt_first[opt]
        self.x_opt = opt
        self.x_min = np.maximum(lo[opt], k * s)  # grains
        self.x_max = np.minimum(hi[opt], k * s + s - 1)
        self.x_request = self.opt_request[opt]
        self.n_x = n_x
        # Unscheduled columns: requests with options that are not locked.
        placeable = [r for r in range(len(problem.requests)) if cand.by_request[r]]
        self.u_request = np.array([r for r in placeable if r not in cand.locked], dtype=np.int64)
        self.u_col = {int(r): n_x + i for i, r in enumerate(self.u_request)}
        self.n_cols = n_x + len(self.u_request)
        # Requests that can never be placed: a constant.
        for r, request in enumerate(problem.requests):
            pin = problem.pin_by_request.get(request.id)
            movable = pin is not None and not pin.locked
            if not cand.by_request[r]:
                self.constant += w.unscheduled * request.priority
                if movable and pin is not None:
                    self.constant += w.pinned_move * pin.move_cost
            elif movable and pin is not None and r not in cand.pinned_option:
                # Placed or not, a movable pin without a matching option is always moved.
                self.constant += w.pinned_move * pin.move_cost

    def _costs(self) -> None:
        problem, cand, w, g = self.problem, self.cand, self.weights, self.grain
        prio = np.array([r.priority for r in problem.requests], dtype=np.int64)
        earliest = np.array(cand.earliest_minute, dtype=np.int64)
        req = self.x_request
        wait = np.maximum(0, g * self.x_min - earliest[req])
        cost = (w.access_wait * prio[req] * wait).astype(np.float64)
        u_cost = (w.unscheduled * prio[self.u_request]).astype(np.float64)
        x_provider = self.opt_provider[self.x_opt]
        for r, request in enumerate(problem.requests):
            if not cand.by_request[r]:
                continue
            lo_x, hi_x = self._request_cols(r)
            if request.preferred_provider_ids and w.provider_preference_miss:
                wanted = [problem.provider_index[p] for p in request.preferred_provider_ids]
                miss = ~np.isin(x_provider[lo_x:hi_x], wanted)
                cost[lo_x:hi_x] += w.provider_preference_miss * miss
            if request.preferred_times and w.time_preference_miss:
                hit = np.zeros(hi_x - lo_x, dtype=bool)
                a, b = self.x_min[lo_x:hi_x], self.x_max[lo_x:hi_x]
                for s, e in preferred_spans(problem, cand, r):
                    hit |= (a < e) & (b >= s)
                cost[lo_x:hi_x] += w.time_preference_miss * ~hit
            pin = problem.pin_by_request.get(request.id)
            if (
                pin is not None
                and not pin.locked
                and r not in cand.locked
                and r in cand.pinned_option
                and w.pinned_move * pin.move_cost
            ):
                move = w.pinned_move * pin.move_cost
                start = cand.pinned_start[r]
                keep = (
                    (x_provider[lo_x:hi_x] == problem.provider_index[pin.provider_id])
                    & (self.x_min[lo_x:hi_x] <= start)
                    & (self.x_max[lo_x:hi_x] >= start)
                )
                cost[lo_x:hi_x] += move * ~keep
                if r in self.u_col:
                    u_cost[self.u_col[r] - self.n_x] += move
        self.cost = np.concatenate([cost, u_cost])

    def _request_cols(self, r: int) -> tuple[int, int]:
        """The contiguous range of ``x`` columns of request ``r`` (options are grouped)."""
        if not hasattr(self, "_req_range"):
            first = np.searchsorted(self.x_request, np.arange(len(self.problem.requests)))
            last = np.searchsorted(
                self.x_request, np.arange(len(self.problem.requests)), side="right"
            )
            self._req_range = (first, last)
        first, last = self._req_range
        return int(first[r]), int(last[r])

    # -- row families --------------------------------------------------------------------

    def _assignment(self) -> None:
        """Per request: Σ x + u = 1."""
        req = self.x_request
        n_req = len(self.problem.requests)
        placeable = np.array(
            [r for r in range(n_req) if self.cand.by_request[r]], dtype=np.int64
        )
        row_of = np.full(n_req, -1, dtype=np.int64)
        row_of[placeable] = np.arange(len(placeable))
        rows = np.concatenate([row_of[req], row_of[self.u_request]])
        cols = np.arange(self.n_cols, dtype=np.int64)
        ones = np.ones(len(placeable))
        self.rows.add(rows, cols, np.ones(self.n_cols), ones, ones)

    def _provider_energy(self) -> None:
        """Per provider and overlapping blocks of a date: energetic windows, capacity 1."""
        cand, g = self.cand, self.grain
        # Group overlapping blocks of a provider on a date.
        by_key: dict[tuple[int, int], list[int]] = defaultdict(list)
        for b, block in enumerate(cand.blocks):
            by_key[(block.provider, block.day)].append(b)
        group_of = np.zeros(len(cand.blocks), dtype=np.int64)
        spans: list[list[tuple[int, int]]] = []
        for blocks in by_key.values():
            blocks.sort(key=lambda b: cand.blocks[b].start)
            end = -1
            for b in blocks:
                block = cand.blocks[b]
                if block.start >= end:
                    spans.append([])
                spans[-1].append((block.start, block.end))
                group_of[b] = len(spans) - 1
                end = max(end, block.end)
        x_group = group_of[self.opt_block[self.x_opt]]
        order = np.argsort(x_group, kind="stable")
        cuts = np.searchsorted(x_group[order], np.arange(len(spans) + 1))
        duration = self.opt_duration[self.x_opt] * g
        for i, group_spans in enumerate(spans):
            cols = order[cuts[i] : cuts[i + 1]]
            if len(cols) == 0:
                continue
            s = self.slot
            bounds = {p for span in group_spans for p in span}
            for a, b in group_spans:
                bounds.update(range((a // s + 1) * s, b, s))
            self._energetic(
                cols,
                np.zeros(len(cols), dtype=np.int64),
                duration[cols],
                np.array(sorted(bounds), dtype=np.int64) * g,
                None,
                lambda a, c: c - a,
            )

    def _daily_maximum(self) -> None:
        """Per provider with a daily maximum and date: Σ x ≤ max."""
        caps = [p.max_visits_per_day for p in self.problem.providers]
        if all(c is None for c in caps):
            return
        cap = np.array([-1 if c is None else c for c in caps], dtype=np.int64)
        x_provider = self.opt_provider[self.x_opt]
        x_day = self.opt_day[self.x_opt]
        keep = np.flatnonzero(cap[x_provider] >= 0)
        if len(keep) == 0:
            return
        key = x_provider[keep] * (int(x_day.max()) + 1) + x_day[keep]
        keys, rows = np.unique(key, return_inverse=True)
        n_days = int(x_day.max()) + 1
        rhs = cap[keys // n_days].astype(np.float64)
        # Rows no request set can exceed are implied; keep the others.
        load = np.zeros(len(keys))
        per_request = np.unique(rows * len(self.problem.requests) + self.x_request[keep])
        np.add.at(load, per_request // len(self.problem.requests), 1.0)
        tight = load > rhs
        if not tight.any():
            return
        new_row = np.cumsum(tight) - 1
        mask = tight[rows]
        self.rows.add(
            new_row[rows[mask]],
            keep[mask],
            np.ones(int(mask.sum())),
            np.full(int(tight.sum()), -np.inf),
            rhs[tight],
        )

    def _room_energy(self) -> None:
        """Per room pool and date: energetic windows of visit plus turnover, capacity rooms."""
        cand, problem, g = self.cand, self.problem, self.grain
        x_pool = self.opt_pool[self.x_opt]
        in_pool = np.flatnonzero(x_pool >= 0)
        if len(in_pool) == 0:
            return
        x_day = self.opt_day[self.x_opt]
        key = x_pool[in_pool] * len(cand.day_start) + x_day[in_pool]
        order = in_pool[np.argsort(key, kind="stable")]
        keys, starts = np.unique(key[np.argsort(key, kind="stable")], return_index=True)
        ends = np.append(starts[1:], len(order))
        for k_index, k in enumerate(keys):
            pool = cand.pools[int(k) // len(cand.day_start)]
            turnover = min(problem.rooms[room].turnover_minutes for room in pool.rooms)
            cols = order[starts[k_index] : ends[k_index]]
            length = self.opt_duration[self.x_opt[cols]] * g + turnover
            rooms = len(pool.rooms)
            self._shared_energy(
                cols, np.zeros(len(cols), dtype=np.int64), length, lambda a, c, n=rooms: n * (c - a)
            )

    def _desk_energy(self) -> None:
        """Per date: energetic windows of check-in holds, capacity the station-minutes."""
        problem = self.problem
        desk = problem.front_desk
        if desk is None:
            return
        types = problem.visit_type_by_code
        check_in = np.array(
            [types[r.visit_type].check_in_minutes for r in problem.requests], dtype=np.int64
        )
        holds = np.flatnonzero(check_in[self.x_request] > 0)
        if len(holds) == 0:
            return
        capacity = _desk_capacity(problem)
        if capacity is None:
            return
        x_day = self.opt_day[self.x_opt]
        key = x_day[holds]
        order = holds[np.argsort(key, kind="stable")]
        days, starts = np.unique(np.sort(key), return_index=True)
        ends = np.append(starts[1:], len(order))
        for i in range(len(days)):
            cols = order[starts[i] : ends[i]]
            ci = check_in[self.x_request[cols]]
            self._shared_energy(cols, -ci, ci, capacity)

    def _shared_energy(
        self,
        cols: IntArray,
        offset: IntArray,
        length: IntArray,
        capacity: Callable[[IntArray, IntArray], IntArray],
    ) -> None:
        """Energetic windows of up to ``_SHARED_WINDOW_SLOTS`` slots over the group's span."""
        g, s = self.grain, self.slot
        first = int((self.x_min[cols] * g + offset).min())
        last = int((self.x_max[cols] * g + offset + length).max())
        step = s * g
        bounds = sorted(
            {first, last, *range((first // step + 1) * step, last, step)}
        )
        self._energetic(
            cols,
            offset,
            length,
            np.array(bounds, dtype=np.int64),
            _SHARED_WINDOW_SLOTS,
            capacity,
        )

    def _energetic(
        self,
        cols: IntArray,
        offset: IntArray,
        length: IntArray,
        bounds: IntArray,
        max_steps: int | None,
        capacity: Callable[[IntArray, IntArray], IntArray],
    ) -> None:
        """Rows ``Σ x × (minutes surely inside [A, C)) ≤ capacity(A, C)``.

        Column ``cols[i]`` holds the resource during ``[t + offset[i], t + offset[i] +
        length[i])`` (minutes) for a start ``t`` anywhere in its slot.  The overlap with a
        window is quasi-concave in ``t``, so its least value is at one end of the slot.
        Windows run between any two ``bounds`` at most ``max_steps`` apart.  Rows that no
        choice of one column per request can violate are left out (they are implied).
        """
        g = self.grain
        nb = len(bounds)
        i, j = np.triu_indices(nb, 1)
        if max_steps is not None:
            near = j - i <= max_steps
            i, j = i[near], j[near]
        a_all, c_all = bounds[i], bounds[j]
        cap_all = capacity(a_all, c_all)
        s0 = self.x_min[cols] * g + offset
        s1 = self.x_max[cols] * g + offset
        e0, e1 = s0 + length, s1 + length
        requests = self.x_request[cols]
        n_req = len(self.problem.requests)
        chunk = max(1, _CHUNK_CELLS // max(1, len(cols)))
        for w0 in range(0, len(a_all), chunk):
            a = a_all[w0 : w0 + chunk, None]
            c = c_all[w0 : w0 + chunk, None]
            cap = cap_all[w0 : w0 + chunk]
            ov = np.minimum(
                np.minimum(e0, c) - np.maximum(s0, a), np.minimum(e1, c) - np.maximum(s1, a)
            )
            win, pos = np.nonzero(ov > 0)
            if len(win) == 0:
                continue
            value = ov[win, pos]
            # Largest load any one-column-per-request choice puts on each window.
            key = win * n_req + requests[pos]
            order = np.argsort(key, kind="stable")
            key_sorted = key[order]
            first = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
            best = np.maximum.reduceat(value[order], first)
            load = np.bincount(key_sorted[first] // n_req, weights=best, minlength=len(cap))
            tight = load > cap
            if not tight.any():
                continue
            new_row = np.cumsum(tight) - 1
            mask = tight[win]
            self.rows.add(
                new_row[win[mask]],
                cols[pos[mask]],
                value[mask].astype(np.float64),
                np.full(int(tight.sum()), -np.inf),
                cap[tight].astype(np.float64),
            )

    def _links(self) -> None:
        """Same-day sequences and follow-ups."""
        problem, g = self.problem, self.grain
        ordinals = np.array([d.toordinal() for d in self.cand.horizon.dates], dtype=np.int64)
        x_day = self.opt_day[self.x_opt]
        duration = self.opt_duration[self.x_opt] * g
        for b, request in enumerate(problem.requests):
            for link in request.links:
                a = problem.request_index[link.request_id]
                if not self.cand.by_request[a] or not self.cand.by_request[b]:
                    continue
                a0, a1 = self._request_cols(a)
                b0, b1 = self._request_cols(b)
                cols_a = np.arange(a0, a1, dtype=np.int64)
                cols_b = np.arange(b0, b1, dtype=np.int64)
                if isinstance(link, SameDaySequence):
                    for day in np.union1d(x_day[cols_a], x_day[cols_b]):
                        ca = cols_a[x_day[cols_a] == day]
                        cb = cols_b[x_day[cols_b] == day]
                        cols = np.concatenate([ca, cb])
                        ones = np.concatenate([np.ones(len(ca)), -np.ones(len(cb))])
                        self.rows.add_one(cols, ones, 0.0, 0.0)
                        if len(ca) == 0 or len(cb) == 0:
                            continue
                        # B.start ≥ A.start + A.duration + min gap, B.start ≤ ... + max gap.
                        end_a_lo = self.x_min[ca] * g + duration[ca]
                        end_a_hi = self.x_max[ca] * g + duration[ca]
                        self.rows.add_one(
                            cols,
                            np.concatenate(
                                [end_a_lo + link.min_gap_minutes, -self.x_max[cb] * g]
                            ).astype(np.float64),
                            -np.inf,
                            0.0,
                        )
                        self.rows.add_one(
                            cols,
                            np.concatenate(
                                [-(end_a_hi + link.max_gap_minutes), self.x_min[cb] * g]
                            ).astype(np.float64),
                            -np.inf,
                            0.0,
                        )
                elif isinstance(link, FollowUp):
                    ord_a = ordinals[x_day[cols_a]]
                    ord_b = ordinals[x_day[cols_b]]
                    for d in np.unique(ord_b):
                        cb = cols_b[ord_b <= d]
                        ca = cols_a[ord_a <= d - link.min_days]
                        self.rows.add_one(
                            np.concatenate([cb, ca]),
                            np.concatenate([np.ones(len(cb)), -np.ones(len(ca))]),
                            -np.inf,
                            0.0,
                        )

    # -- solve ---------------------------------------------------------------------------

    def solve(self, time_limit_s: float) -> float | None:
        """The LP's safe dual bound (without the constant), or None if not solved optimally."""
        ptr, cols, values, lower, upper = self.rows.csr()
        request = _encode_request(self.cost, ptr, cols, values, lower, upper, time_limit_s)
        solver = model_builder_helper.ModelSolverHelper("glop")
        response = linear_solver_pb2.MPSolutionResponse.FromString(
            solver.solve_serialized_request(request)
        )
        if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
            return None
        duals = np.array(response.dual_value, dtype=np.float64)
        if len(duals) != len(lower):
            return None
        return _safe_dual_bound(self.cost, ptr, cols, values, lower, upper, duals)


def _safe_dual_bound(
    cost: FloatArray,
    ptr: IntArray,
    cols: IntArray,
    values: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    duals: FloatArray,
) -> float:
    """Lagrangian bound of ``min c·x, lower ≤ A x ≤ upper, 0 ≤ x ≤ 1`` at any dual vector.

    For a row with only an upper bound the dual is clipped to ``≤ 0``, with only a lower
    bound to ``≥ 0``; equality rows keep theirs.  Then ``Σ_i y_i b_i + Σ_j min(0, c_j −
    (Aᵀy)_j)`` bounds every feasible ``x`` (the columns lie in ``[0, 1]``).
    """
    y = duals.copy()
    only_upper = np.isinf(lower) & np.isfinite(upper)
    only_lower = np.isfinite(lower) & np.isinf(upper)
    y[only_upper] = np.minimum(y[only_upper], 0.0)
    y[only_lower] = np.maximum(y[only_lower], 0.0)
    rhs = np.where(y < 0, upper, lower)
    rhs = np.where(y == 0, 0.0, rhs)
    rows = np.repeat(np.arange(len(lower), dtype=np.int64), np.diff(ptr))
    ay = np.bincount(cols, weights=values * y[rows], minlength=len(cost))
    reduced = cost - ay
    return float(np.dot(y, rhs) + np.minimum(reduced, 0.0).sum())


def _desk_capacity(problem: Problem) -> Callable[[IntArray, IntArray], IntArray] | None:
    """Station-minutes of all shifts inside ``[A, C)``, or None when a shift time does not
    exist on some date (the desk rows are then left out)."""
    desk = problem.front_desk
    assert desk is not None
    horizon = problem.horizon
    events: dict[int, int] = defaultdict(int)
    day = horizon.start - (horizon.dates[0] - horizon.dates[0])
    import datetime as dt

    day = horizon.start - dt.timedelta(days=1)
    while day <= horizon.end + dt.timedelta(days=1):
        for shift in desk.shifts:
            if shift.stations == 0 or (shift.weekday is not None and shift.weekday != day.weekday()):
                continue
            try:
                s = horizon.local_minute(day, shift.start)
                e = horizon.local_minute(day, shift.end)
            except ValueError:
                return None
            events[s] += shift.stations
            events[e] -= shift.stations
        day += dt.timedelta(days=1)
    points = np.array(sorted(events), dtype=np.int64)
    if len(points) == 0:
        return lambda a, c: np.zeros_like(a)
    level = np.cumsum([events[int(p)] for p in points])  # level on [points[i], points[i+1])
    area = np.zeros(len(points), dtype=np.int64)  # integral up to points[i]
    area[1:] = np.cumsum(level[:-1] * np.diff(points))

    def integral(t: IntArray) -> IntArray:
        i = np.searchsorted(points, t, side="right") - 1
        inside = i >= 0
        i = np.maximum(i, 0)
        out = area[i] + level[i] * (t - points[i])
        return np.where(inside, out, 0)

    return lambda a, c: integral(c) - integral(a)


# -- protocol-buffer encoding ----------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _varints(values: IntArray) -> tuple[bytes, IntArray]:
    """Varint encoding of non-negative integers below 2**35: bytes and per-value sizes."""
    v = values.astype(np.uint64)
    sizes = np.ones(len(v), dtype=np.int64)
    for bits in (7, 14, 21, 28):
        sizes += v >= (1 << bits)
    shifts = np.arange(5, dtype=np.uint64) * np.uint64(7)
    groups = (v[:, None] >> shifts[None, :]) & np.uint64(0x7F)
    position = np.arange(5)[None, :]
    more = position < (sizes[:, None] - 1)
    encoded = (groups | (more.astype(np.uint64) << np.uint64(7))).astype(np.uint8)
    return encoded[position < sizes[:, None]].tobytes(), sizes


_VARIABLE = np.dtype(
    [
        ("tag", "u1"),
        ("size", "u1"),
        ("k_lower", "u1"),
        ("lower", "<f8"),
        ("k_upper", "u1"),
        ("upper", "<f8"),
        ("k_cost", "u1"),
        ("cost", "<f8"),
    ]
)


def _encode_request(
    cost: FloatArray,
    ptr: IntArray,
    cols: IntArray,
    values: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    time_limit_s: float,
) -> bytes:
    """A serialized ``MPModelRequest`` for GLOP: columns in [0, 1] with ``cost``, and rows.

    Written directly in the protocol-buffer wire format (about ten times faster than the
    message API on LPs of millions of coefficients).
    """
    variables = np.zeros(len(cost), dtype=_VARIABLE)
    variables["tag"] = (3 << 3) | 2  # MPModelProto.variable
    variables["size"] = _VARIABLE.itemsize - 2
    variables["k_lower"] = (1 << 3) | 1
    variables["lower"] = 0.0
    variables["k_upper"] = (2 << 3) | 1
    variables["upper"] = 1.0
    variables["k_cost"] = (3 << 3) | 1
    variables["cost"] = cost
    parts = [variables.tobytes()]
    index_bytes, sizes = _varints(cols)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    coefficient_bytes = values.astype("<f8").tobytes()
    index_view, coefficient_view = memoryview(index_bytes), memoryview(coefficient_bytes)
    byte_ptr = offsets[ptr].tolist()
    ptr_list = ptr.tolist()
    pack = struct.Struct("<d").pack
    for i, (lo, up) in enumerate(zip(lower.tolist(), upper.tolist(), strict=True)):
        a, b = ptr_list[i], ptr_list[i + 1]
        body = bytearray()
        if lo != -math.inf:
            body += b"\x11" + pack(lo)  # lower_bound
        if up != math.inf:
            body += b"\x19" + pack(up)  # upper_bound
        if b > a:
            indices = index_view[byte_ptr[i] : byte_ptr[i + 1]]
            body += b"\x32" + _varint(len(indices)) + indices  # var_index, packed
            body += b"\x3a" + _varint(8 * (b - a)) + coefficient_view[8 * a : 8 * b]
        parts.append(b"\x22" + _varint(len(body)) + bytes(body))  # MPModelProto.constraint
    model = b"".join(parts)
    glop = linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING
    return b"".join(
        [
            b"\x0a" + _varint(len(model)) + model,  # model
            b"\x10" + _varint(glop),  # solver_type
            b"\x19" + pack(max(0.001, time_limit_s)),  # solver_time_limit_seconds
        ]
    )
