"""A proven lower bound on the weighted objective from a time-indexed LP relaxation.

CP-SAT's own bound on week-sized problems stays at the trivial value of every request at
its earliest start.  This module builds a linear program whose optimum is provably no more
than the weighted objective of any valid schedule, solves it with GLOP by row and column
generation, and turns the LP duals into a bound that holds whatever the LP solver's
tolerances (:func:`_safe_dual_bound`).

Columns
    ``x[o, k] ≥ 0``: option ``o`` starts somewhere in slot ``k`` (slots of ``slot_minutes``
    aligned on grain 0 of the horizon, clipped to the option's start range ``[lo, hi]``);
    ``u[r] ≥ 0``: request ``r`` stays unscheduled (no ``u`` for a locked request); and
    aggregate columns ``y = Σ x`` over columns that hold a resource alike (they keep the
    energetic rows sparse).

Each ``x[o, k]`` costs the least any schedule pays for that choice: the access wait of the
slot's earliest feasible start, a provider-preference miss when the provider is not
preferred, an out-of-network visit, a time-preference miss when no start of the slot is in a
preferred window, and the move cost of a movable pin unless the slot may keep it.  ``u[r]``
costs the unscheduled weight times the priority plus a movable pin's move cost.  Idle gaps
cost 0 (they are never negative).  The rows are listed in :func:`lp_lower_bound`.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2, pywraplp

from psr_sched.domain import BeforeVisit, FollowUp, SameDaySequence
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.extract import preferred_spans

__all__ = ["LowerBound", "LpGuide", "lp_lower_bound"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: The capacity of an energetic window [A, C) (minutes), vectorized.
Capacity = Callable[[IntArray, IntArray], IntArray]

#: Besides windows between slot boundaries, windows from an earliest hold start to a latest
#: hold end ("task intervals") up to this many slots long, for providers and the front desk.
_TASK_INTERVAL_SLOTS = 4
#: Cells (windows × columns) evaluated at once when generating energetic rows.
_CHUNK_CELLS = 4_000_000
#: Column generation: x columns per request in the first LP, columns entering per request
#: and round, and the reduced cost below which a column enters.
_FIRST_COLUMNS = 10
_ENTERING_COLUMNS = 5
_PRICE_TOL = 1e-6
#: Row generation: relative violation above which a lazy row joins the LP.
_VIOLATION_TOL = 1e-4
#: Spare rows loaded into the first LP for lazy rows to fill (a quarter of the lazy rows,
#: at least 2000); beyond them a joining row costs GLOP its warm start once.
_SPARE_DIVISOR = 4
_MIN_SPARE_ROWS = 2000
#: Relative safety margin taken off the Lagrangian bound before rounding up.
_MARGIN = 1e-6


@dataclass(frozen=True, slots=True)
class LpGuide:
    """Where the last solved LP puts each request: a guide for constructions.

    Attributes
    ----------
    placed : numpy.ndarray
        Per request, the LP's scheduled share ``Σ x`` in [0, 1] (1 for a locked request,
        0 for one without options).
    start : numpy.ndarray
        Per request, the LP's mean start grain (each column at the middle of its slot),
        ``nan`` where nothing is scheduled.
    option_share : numpy.ndarray
        Per option of the candidates, its share ``Σ x`` over its slots.
    lp_optimal : bool
        Whether it comes from the LP optimum (else from the last restricted LP solved).
    """

    placed: FloatArray
    start: FloatArray
    option_share: FloatArray
    lp_optimal: bool


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
        Columns of the full linear program (most never enter the solved LPs).
    constraints : int
        Rows of the full linear program (energetic rows enter only when violated).
    build_s : float
        Seconds spent building the linear program (included in ``wall_time_s``).
    solve_s : float
        Seconds spent in row and column generation (included in ``wall_time_s``).
    lp_optimal : bool
        Whether row and column generation reached the LP optimum.  When the time limit
        stopped it first, ``value`` is the best Lagrangian bound found so far: still proven,
        only weaker.
    rounds : int
        Restricted LPs solved.
    lp_variables, lp_constraints : int
        Columns and rows of the last restricted LP solved (without its slack columns and
        unused spare rows).
    guide : LpGuide or None
        The LP's fractional schedule, when an LP was solved.
    """

    value: int
    source: str
    wall_time_s: float
    variables: int
    constraints: int
    build_s: float = 0.0
    solve_s: float = 0.0
    lp_optimal: bool = True
    rounds: int = 0
    lp_variables: int = 0
    lp_constraints: int = 0
    guide: LpGuide | None = field(default=None, repr=False, compare=False)


def lp_lower_bound(
    problem: Problem,
    cand: Candidates,
    *,
    slot_minutes: int = 30,
    time_limit_s: float = 60.0,
    placement: Mapping[int, tuple[int, int]] | None = None,
    fine_minutes: int = 0,
) -> LowerBound | None:
    """A proven lower bound on the weighted objective from a time-indexed LP relaxation.

    The relaxation (columns and costs in the module docstring) has these rows, each implied
    by the rules of ``docs/rules.md``, so its optimum is at most the weighted objective of
    every valid schedule:

    * **assignment** — per request with options, ``Σ x + u = 1`` (``u`` absent when locked):
      a request is placed once or unscheduled.
    * **provider energy** — per provider and group of overlapping blocks of a date, for every
      window ``[A, C)`` between slot boundaries and block ends, and every window from an
      earliest start to a latest end of the group's visits up to a few slots long: the
      minutes each visit surely spends inside the window, wherever it starts within its slot,
      sum to at most ``C − A``, since a provider's visits never overlap.
    * **daily maximum** — ``Σ x`` of a provider's options on a date is at most
      ``max_visits_per_day``.
    * **room energy** — per room pool and date, windows between slot boundaries: the minutes
      each visit, extended by the smallest turnover of the pool's rooms, surely spends inside
      the window sum to at most ``rooms × (C − A)``: a room holds one extended visit at a time.
    * **front-desk energy** — per date, windows as for providers: the check-in minutes
      (including extra intake minutes) surely inside the window sum to at most the
      station-minutes of every shift of every calendar date around the horizon inside it.
    * **rounded energy** — each energetic row divided by a hold length of its group, both
      sides rounded down (a Chvátal–Gomory cut, valid for 0/1 columns): it counts holds
      rather than minutes, e.g. at most one 30-minute visit starts in a 25-minute range.
    * **links** — a same-day sequence places both requests on the same date or neither
      (``Σ x`` per date equal); on a date, A in a slot whose earliest end plus ``min_gap``
      is ``T`` or later needs B in a slot reaching ``T``, and B in a slot starting at ``T``
      or later needs A in a slot whose latest end plus ``max_gap`` reaches ``T``.  A
      follow-up B on or before date ``D`` needs A on or before ``D − min_days``.  A
      before-visit pair is placed both or neither, the visit V on or before ``D`` needs C on
      or before ``D``, and C on or before ``D`` needs V on or before ``D + max_days_before``.
    * **aggregates** — ``y = Σ x`` for the columns an aggregate stands for.

    Requests without options add their unscheduled cost (and a movable pin's move cost) as a
    constant.  Energetic rows that no choice of one column per request can violate are left
    out (they are implied); the others are lazy: unrounded prefix windows start in the LP,
    the rest join when the LP solution violates them.  Columns join by their reduced cost.
    Each round's duals give a Lagrangian bound valid for the full LP
    (:func:`_safe_dual_bound`); the best one, lowered by a relative ``1e-6`` against
    rounding error, is rounded up (the objective is an integer) and added to the constant.

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
        Wall-clock limit of building and solving.  Default 60.  The build (about 1 s at
        60-minute and 3 s at 30-minute slots on the demo week) is not interrupted.
    fine_minutes : int, optional
        Besides, slots of one grain from this many minutes before to this many after
        each provider block's start (rounded down to grains; 0, the default, for none):
        there many starts compete for check-in stations and rooms, which coarse slots
        cannot see.
    placement : mapping of int to (int, int), optional
        A known schedule (request index → option index and start grain, as from
        :func:`~psr_sched.solver.greedy.greedy`): its columns start in the first LP, which
        saves rounds.  It does not change the bound.

    Returns
    -------
    LowerBound or None
        The bound; ``None`` in lexicographic mode (a bound in the reported weights says
        nothing there), when the time limit is reached before a first LP is solved, or when
        the LP solver fails.
    """
    t0 = time.perf_counter()
    if problem.weights.mode == "lexicographic":
        return None
    slot = max(1, slot_minutes // cand.grain)
    fine = max(0, fine_minutes // cand.grain)
    source = f"lp-time-indexed-{slot * cand.grain}min"
    if fine and slot > 1:
        source += f"-fine{fine * cand.grain}"
    relaxation = _Relaxation(problem, cand, slot, fine)
    relaxation.build()
    build_s = time.perf_counter() - t0
    n_cols, n_rows = relaxation.n_cols, relaxation.rows.count
    if n_cols == 0:
        return LowerBound(relaxation.constant, source, build_s, 0, 0, build_s, 0.0)
    t1 = time.perf_counter()
    solved = relaxation.solve(t0 + time_limit_s, placement)
    solve_s = time.perf_counter() - t1
    if solved is None:
        return None
    lp_value, scale, optimal = solved
    return LowerBound(
        relaxation.constant + _round_up(lp_value, scale),
        source,
        time.perf_counter() - t0,
        n_cols,
        n_rows,
        build_s,
        solve_s,
        optimal,
        relaxation.rounds,
        *relaxation.lp_size,
        relaxation.guide(optimal),
    )


def _round_up(value: float, scale: float) -> int:
    """The least integer not below ``value`` minus a margin for floating-point error."""
    return math.ceil(value - _MARGIN * max(1.0, abs(value), scale))


# -- rows ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rows:
    """Rows in coordinate form, ``lower ≤ Σ value × x[col] ≤ upper``, each either in the
    first LP or lazy (joins when violated)."""

    count: int = 0
    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    values: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    initial: list[BoolArray] = field(default_factory=list)

    def add(
        self,
        rows: IntArray,
        cols: IntArray,
        values: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        initial: BoolArray | None = None,
    ) -> None:
        """Add ``len(lower)`` rows; ``rows`` numbers them from 0 within the batch.

        ``initial`` (default: all) marks the rows of the first LP; the others are lazy and
        must have no lower bound.
        """
        if len(lower) == 0:
            return
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.values.append(values.astype(np.float64))
        self.lower.append(lower.astype(np.float64))
        self.upper.append(upper.astype(np.float64))
        self.initial.append(np.ones(len(lower), dtype=bool) if initial is None else initial)
        self.count += len(lower)

    def add_one(self, cols: IntArray, values: FloatArray, lower: float, upper: float) -> None:
        """Add one row of the first LP."""
        if len(cols) == 0:
            return
        self.add(
            np.zeros(len(cols), dtype=np.int64), cols, values, np.array([lower]), np.array([upper])
        )

    def csr(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, BoolArray]:
        """(row pointers, columns, values, lower, upper, initial), rows in order."""
        if not self.rows:
            no_i = np.zeros(0, dtype=np.int64)
            no_f = np.zeros(0, dtype=np.float64)
            return np.zeros(1, dtype=np.int64), no_i, no_f, no_f, no_f, np.zeros(0, dtype=bool)
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
            np.concatenate(self.initial),
        )


# -- the relaxation --------------------------------------------------------------------


class _Relaxation:
    """Columns, costs and rows of the LP, and its solve."""

    def __init__(self, problem: Problem, cand: Candidates, slot: int, fine_grains: int = 0) -> None:
        self.problem = problem
        self.cand = cand
        self.slot = slot
        self.fine_grains = fine_grains
        self.boundaries = np.zeros(1, dtype=np.int64)
        self.grain = cand.grain
        self.weights = problem.weights
        self.rows = _Rows()
        self.constant = 0
        self.n_cols = 0
        self.n_x = 0
        self.cost = np.zeros(0, dtype=np.float64)
        self.aggregate_upper: list[FloatArray] = []
        self.rounds = 0
        self.lp_size = (0, 0)
        self.primal: FloatArray | None = None

    def build(self) -> None:
        """Columns and costs, then every row family."""
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

    # -- columns and costs ---------------------------------------------------------------

    def _columns(self) -> None:
        """x columns of every option and slot (grouped by request), then u columns."""
        cand, problem, w = self.cand, self.problem, self.weights
        self.boundaries = self._slot_boundaries()
        n_req = len(problem.requests)
        active = [o for r in range(n_req) for o in cand.by_request[r]]
        opts = [cand.options[o] for o in active]
        n = len(opts)
        self.opt_index = np.array(active, dtype=np.int64)
        self.opt_provider = np.fromiter((o.provider for o in opts), np.int64, n)
        self.opt_day = np.fromiter((o.day for o in opts), np.int64, n)
        self.opt_block = np.fromiter((o.block for o in opts), np.int64, n)
        self.opt_pool = np.fromiter((o.pool for o in opts), np.int64, n)
        self.opt_duration = np.fromiter((o.duration for o in opts), np.int64, n)
        self.opt_out_of_network = np.fromiter((not o.in_network for o in opts), bool, n)
        opt_request = np.fromiter((o.request for o in opts), np.int64, n)
        lo = np.fromiter((o.lo for o in opts), np.int64, n)
        hi = np.fromiter((o.hi for o in opts), np.int64, n)
        bnd = self.boundaries
        first_slot = np.searchsorted(bnd, lo, side="right") - 1
        count = np.searchsorted(bnd, hi, side="right") - first_slot
        self.opt_first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=self.opt_first[1:])
        self.n_x = int(self.opt_first[-1])
        opt = np.repeat(np.arange(n, dtype=np.int64), count)
        k = first_slot[opt] + np.arange(self.n_x, dtype=np.int64) - self.opt_first[opt]
        self.x_opt = opt
        self.x_min = np.maximum(lo[opt], bnd[k])  # first start grain of the slot
        self.x_max = np.minimum(hi[opt], bnd[k + 1] - 1)  # last start grain of the slot
        self.x_request = opt_request[opt]  # non-decreasing: columns grouped by request
        self.x_day = self.opt_day[opt]
        self.req_first = np.searchsorted(self.x_request, np.arange(n_req + 1))
        placeable = [r for r in range(n_req) if cand.by_request[r]]
        self.u_request = np.array([r for r in placeable if r not in cand.locked], dtype=np.int64)
        self.n_cols = self.n_x + len(self.u_request)
        for r, request in enumerate(problem.requests):
            pin = problem.pin_by_request.get(request.id)
            move = 0 if pin is None or pin.locked else w.pinned_move * pin.move_cost
            if not cand.by_request[r]:
                # Never placeable: always unscheduled, a movable pin always moved.
                self.constant += w.unscheduled * request.priority + move
            elif r not in cand.pinned_option:
                # A movable pin without a matching option is moved, placed or not.
                self.constant += move

    def _slot_boundaries(self) -> IntArray:
        """First grains of the start slots: every ``slot`` grains from grain 0, and every
        grain from ``fine_grains`` before to ``fine_grains`` after each provider block's
        start, where starts crowd the check-in desk and the rooms."""
        cand, s = self.cand, self.slot
        last = max((o.hi for o in cand.options), default=0) + 1
        points = [np.arange(0, last + s, s, dtype=np.int64)]
        f = self.fine_grains
        if f > 0 and cand.blocks:
            starts = np.unique(np.array([b.start for b in cand.blocks], dtype=np.int64))
            points.append((starts[:, None] + np.arange(-f, f + 1)[None, :]).ravel())
        bnd = np.unique(np.concatenate(points))
        bnd = bnd[bnd >= 0]
        if bnd[-1] <= last:
            bnd = np.append(bnd, last + 1)
        return bnd

    def _within(self, a: int, b: int) -> list[int]:
        """Slot boundaries strictly between grains ``a`` and ``b``."""
        bnd = self.boundaries
        inside: list[int] = bnd[(bnd > a) & (bnd < b)].tolist()
        return inside

    def guide(self, optimal: bool) -> LpGuide | None:
        """The last LP solution per request and option; None if no LP was solved."""
        if self.primal is None:
            return None
        x = np.clip(self.primal[: self.n_x], 0.0, 1.0)
        n_req = len(self.problem.requests)
        mid = (self.x_min + self.x_max) / 2.0
        placed = np.bincount(self.x_request, weights=x, minlength=n_req)
        weighted = np.bincount(self.x_request, weights=x * mid, minlength=n_req)
        start = np.full(n_req, np.nan)
        has = placed > 1e-9
        start[has] = weighted[has] / placed[has]
        share = np.zeros(len(self.cand.options))
        np.add.at(share, self.opt_index[self.x_opt], x)
        return LpGuide(np.minimum(placed, 1.0), start, share, optimal)

    def _request_cols(self, r: int) -> IntArray:
        """The x columns of request ``r``."""
        return np.arange(self.req_first[r], self.req_first[r + 1], dtype=np.int64)

    def _costs(self) -> None:
        problem, cand, w, g = self.problem, self.cand, self.weights, self.grain
        prio = np.array([r.priority for r in problem.requests], dtype=np.int64)
        earliest = np.array(cand.earliest_minute, dtype=np.int64)
        req = self.x_request
        wait = np.maximum(0, g * self.x_min - earliest[req])
        cost = (w.access_wait * prio[req] * wait).astype(np.float64)
        cost += (w.out_of_network or 0) * self.opt_out_of_network[self.x_opt]
        u_cost = (w.unscheduled * prio[self.u_request]).astype(np.float64)
        u_of = {int(r): i for i, r in enumerate(self.u_request)}
        x_provider = self.opt_provider[self.x_opt]
        for r, request in enumerate(problem.requests):
            a, b = int(self.req_first[r]), int(self.req_first[r + 1])
            if a == b:
                continue
            if request.preferred_provider_ids and w.provider_preference_miss:
                wanted = [problem.provider_index[p] for p in request.preferred_provider_ids]
                miss = ~np.isin(x_provider[a:b], wanted)
                cost[a:b] += w.provider_preference_miss * miss
            if request.preferred_times and w.time_preference_miss:
                hit = np.zeros(b - a, dtype=bool)
                for s, e in preferred_spans(problem, cand, r):
                    hit |= (self.x_min[a:b] < e) & (self.x_max[a:b] >= s)
                cost[a:b] += w.time_preference_miss * ~hit
            pin = problem.pin_by_request.get(request.id)
            if pin is not None and not pin.locked and r in cand.pinned_option:
                move = w.pinned_move * pin.move_cost
                start = cand.pinned_start[r]
                kept = (
                    (x_provider[a:b] == problem.provider_index[pin.provider_id])
                    & (self.x_min[a:b] <= start)
                    & (self.x_max[a:b] >= start)
                )
                cost[a:b] += move * ~kept
                if r in u_of:
                    u_cost[u_of[r]] += move
        self.cost = np.concatenate([cost, u_cost])

    def _new_aggregates(self, upper: IntArray) -> IntArray:
        """Add aggregate columns in ``[0, upper]`` with cost 0; their indices."""
        first = self.n_cols
        self.n_cols += len(upper)
        self.aggregate_upper.append(upper.astype(np.float64))
        return np.arange(first, self.n_cols, dtype=np.int64)

    def columns(self) -> tuple[FloatArray, FloatArray, IntArray]:
        """Cost, upper bound (implied by the rows) and assignment group of every column.

        The group is the request of an x or u column, -1 for an aggregate column.
        """
        aggregates = np.concatenate(self.aggregate_upper) if self.aggregate_upper else np.zeros(0)
        cost = np.concatenate([self.cost, np.zeros(len(aggregates))])
        upper = np.concatenate([np.ones(len(self.cost)), aggregates])
        group = np.full(self.n_cols, -1, dtype=np.int64)
        group[: self.n_x] = self.x_request
        group[self.n_x : self.n_x + len(self.u_request)] = self.u_request
        return cost, upper, group

    # -- row families --------------------------------------------------------------------

    def _assignment(self) -> None:
        """Per request with options: Σ x + u = 1."""
        n_req = len(self.problem.requests)
        placeable = np.flatnonzero(np.diff(self.req_first) > 0)
        row_of = np.full(n_req, -1, dtype=np.int64)
        row_of[placeable] = np.arange(len(placeable))
        rows = np.concatenate([row_of[self.x_request], row_of[self.u_request]])
        n = self.n_x + len(self.u_request)
        ones = np.ones(len(placeable))
        self.rows.add(rows, np.arange(n, dtype=np.int64), np.ones(n), ones, ones)

    def _provider_energy(self) -> None:
        """Per provider and group of overlapping blocks of a date: energetic windows."""
        cand, g = self.cand, self.grain
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
            bounds = {p for span in group_spans for p in span}
            for a, b in group_spans:
                bounds.update(self._within(a, b))
            self._energetic(
                cols,
                np.zeros(len(cols), dtype=np.int64),
                duration[cols],
                np.array(sorted(bounds), dtype=np.int64) * g,
                _times_length(1),
                task_intervals=True,
            )

    def _daily_maximum(self) -> None:
        """Per provider with a daily maximum and date: Σ x ≤ max (when it can bind)."""
        caps = [p.max_visits_per_day for p in self.problem.providers]
        if all(c is None for c in caps):
            return
        cap = np.array([-1 if c is None else c for c in caps], dtype=np.int64)
        x_provider = self.opt_provider[self.x_opt]
        keep = np.flatnonzero(cap[x_provider] >= 0)
        if len(keep) == 0:
            return
        n_days = int(self.x_day.max()) + 1
        keys, rows = np.unique(x_provider[keep] * n_days + self.x_day[keep], return_inverse=True)
        rows = rows.reshape(-1)
        rhs = cap[keys // n_days].astype(np.float64)
        # A row is implied when fewer requests than the maximum can use it.
        n_req = len(self.problem.requests)
        pairs = np.unique(rows * n_req + self.x_request[keep])
        tight = np.bincount(pairs // n_req, minlength=len(keys)) > rhs
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
        """Per room pool and date: energetic windows of visit plus turnover."""
        cand, problem, g = self.cand, self.problem, self.grain
        x_pool = self.opt_pool[self.x_opt]
        in_pool = np.flatnonzero(x_pool >= 0)
        if len(in_pool) == 0:
            return
        n_days = len(cand.day_start)
        key = x_pool[in_pool] * n_days + self.x_day[in_pool]
        by_key = np.argsort(key, kind="stable")
        order = in_pool[by_key]
        keys, starts = np.unique(key[by_key], return_index=True)
        ends = np.append(starts[1:], len(order))
        for k, a, b in zip(keys.tolist(), starts.tolist(), ends.tolist(), strict=True):
            pool = cand.pools[k // n_days]
            turnover = min(problem.rooms[room].turnover_minutes for room in pool.rooms)
            cols = order[a:b]
            self._shared_energy(
                cols,
                np.zeros(len(cols), dtype=np.int64),
                self.opt_duration[self.x_opt[cols]] * g + turnover,
                _times_length(len(pool.rooms)),
                task_intervals=False,
            )

    def _desk_energy(self) -> None:
        """Per date: energetic windows of check-in holds against the station-minutes."""
        problem = self.problem
        if problem.front_desk is None:
            return
        types = problem.visit_type_by_code
        minutes = []
        for request in problem.requests:
            vt = types[request.visit_type]
            extra = 0 if vt.room_kind is None else request.facts.extra_check_in_minutes
            minutes.append(vt.check_in_minutes + extra)
        check_in = np.array(minutes, dtype=np.int64)
        holds = np.flatnonzero(check_in[self.x_request] > 0)
        capacity = _desk_capacity(problem)
        if len(holds) == 0 or capacity is None:
            return
        by_day = np.argsort(self.x_day[holds], kind="stable")
        order = holds[by_day]
        _, starts = np.unique(self.x_day[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            cols = order[a:b]
            ci = check_in[self.x_request[cols]]
            self._shared_energy(cols, -ci, ci, capacity, task_intervals=True)

    def _shared_energy(
        self,
        cols: IntArray,
        offset: IntArray,
        length: IntArray,
        capacity: Capacity,
        *,
        task_intervals: bool,
    ) -> None:
        """Energetic windows between slot boundaries over the span of the group's holds."""
        g = self.grain
        first = int((self.x_min[cols] * g + offset).min())
        last = int((self.x_max[cols] * g + offset + length).max())
        inner = [b * g for b in self._within(first // g, -(-last // g))]
        bounds = sorted({first, last, *(b for b in inner if first < b < last)})
        self._energetic(
            cols,
            offset,
            length,
            np.array(bounds, dtype=np.int64),
            capacity,
            task_intervals=task_intervals,
        )

    def _energetic(
        self,
        cols: IntArray,
        offset: IntArray,
        length: IntArray,
        bounds: IntArray,
        capacity: Capacity,
        *,
        task_intervals: bool,
        rounding: bool = True,
    ) -> None:
        """Rows ``Σ x × (minutes surely inside [A, C)) ≤ capacity(A, C)``.

        Column ``cols[i]`` holds the resource during ``[t + offset[i], t + offset[i] +
        length[i])`` (minutes) for a start ``t`` anywhere in its slot.  The overlap with a
        window is quasi-concave in ``t``, so its least value is at one end of the slot.
        Windows run between any two ``bounds``, plus (``task_intervals``) from any earliest
        hold start to any latest hold end at most ``_TASK_INTERVAL_SLOTS`` slots later.  With
        ``rounding``, each row also comes divided by every hold length of the group, both
        sides rounded down.

        Columns with the same hold range (first start, last start, length) have the same
        coefficient in every window, so the rows use one aggregate column per such
        signature, ``y = Σ x`` (an equality row of the first LP), which keeps the LP sparse;
        ``y`` is at most the number of requests among its columns.  Windows that no choice
        of one column per request can overload are left out (they are implied); the others
        are lazy, except unrounded prefix windows (starting at the group's first bound).
        """
        g = self.grain
        i, j = np.triu_indices(len(bounds), 1)
        a_all, c_all = bounds[i], bounds[j]
        hold = np.stack(
            [self.x_min[cols] * g + offset, self.x_max[cols] * g + offset, length], axis=1
        )
        sigs, sig_of = np.unique(hold, axis=0, return_inverse=True)
        sig_of = sig_of.reshape(-1)
        s0, s1 = sigs[:, 0], sigs[:, 1]
        e0, e1 = s0 + sigs[:, 2], s1 + sigs[:, 2]
        if task_intervals:
            aa, cc = np.meshgrid(np.unique(s0), np.unique(e1), indexing="ij")
            aa, cc = aa.ravel(), cc.ravel()
            near = (cc > aa) & (cc - aa <= _TASK_INTERVAL_SLOTS * self.slot * g)
            windows = np.unique(
                np.stack([np.r_[a_all, aa[near]], np.r_[c_all, cc[near]]], axis=1), axis=0
            )
            a_all, c_all = windows[:, 0], windows[:, 1]
        cap_all = capacity(a_all, c_all).astype(np.float64)
        # (request, signature) pairs, sorted by request, for the implied-row test.
        n_sig = len(sigs)
        pairs = np.unique(self.x_request[cols] * n_sig + sig_of)
        pair_sig = pairs % n_sig
        pair_req = pairs // n_sig
        req_first = np.flatnonzero(np.r_[True, pair_req[1:] != pair_req[:-1]])
        # Integer rounding: dividing a row by a hold length and rounding down both sides
        # gives a valid row for 0/1 columns (Chvátal–Gomory); it counts holds instead of
        # minutes, e.g. at most one 30-minute visit starts in a 25-minute range.
        divisors = np.unique(sigs[:, 2]) if rounding else np.zeros(0, dtype=np.int64)
        chunk = max(1, _CHUNK_CELLS // max(1, len(pairs)))
        kept_ov: list[npt.NDArray[np.int64]] = []
        kept_cap: list[FloatArray] = []
        kept_initial: list[BoolArray] = []
        for w0 in range(0, len(a_all), chunk):
            a = a_all[w0 : w0 + chunk, None]
            c = c_all[w0 : w0 + chunk, None]
            cap = cap_all[w0 : w0 + chunk]
            ov = np.maximum(
                0,
                np.minimum(
                    np.minimum(e0, c) - np.maximum(s0, a),
                    np.minimum(e1, c) - np.maximum(s1, a),
                ),
            )
            prefix = a[:, 0] == bounds[0]
            variants = [(ov, cap, prefix)]
            for d in divisors.tolist():
                variants.append((ov // d, np.floor(cap / d), np.zeros(len(cap), dtype=bool)))
            for coef, rhs, initial in variants:
                load = np.maximum.reduceat(coef[:, pair_sig], req_first, axis=1).sum(axis=1)
                tight = np.flatnonzero(load > rhs)
                if len(tight):
                    kept_ov.append(coef[tight])
                    kept_cap.append(rhs[tight])
                    kept_initial.append(initial[tight])
        if not kept_ov:
            return
        ov = np.concatenate(kept_ov)
        used = np.flatnonzero(ov.any(axis=0))
        y_col = self._new_aggregates(np.bincount(pair_sig, minlength=n_sig)[used])
        col_of_sig = np.full(n_sig, -1, dtype=np.int64)
        col_of_sig[used] = y_col
        member = col_of_sig[sig_of] >= 0
        x_cols = cols[member]
        self.rows.add(
            np.concatenate(
                [np.searchsorted(used, sig_of[member]), np.arange(len(used), dtype=np.int64)]
            ),
            np.concatenate([x_cols, y_col]),
            np.concatenate([np.ones(len(x_cols)), -np.ones(len(used))]),
            np.zeros(len(used)),
            np.zeros(len(used)),
        )
        win, sig = np.nonzero(ov)
        self.rows.add(
            win,
            col_of_sig[sig],
            ov[win, sig].astype(np.float64),
            np.full(len(ov), -np.inf),
            np.concatenate(kept_cap),
            initial=np.concatenate(kept_initial),
        )

    def _links(self) -> None:
        """Same-day sequences, follow-ups and before-visit pairs."""
        problem, g = self.problem, self.grain
        ordinals = np.array([d.toordinal() for d in self.cand.horizon.dates], dtype=np.int64)
        duration = self.opt_duration[self.x_opt] * g
        for b, request in enumerate(problem.requests):
            for link in request.links:
                a = problem.request_index[link.request_id]
                cols_a, cols_b = self._request_cols(a), self._request_cols(b)
                if len(cols_a) == 0 or len(cols_b) == 0:
                    continue
                day_a, day_b = self.x_day[cols_a], self.x_day[cols_b]
                if isinstance(link, SameDaySequence):
                    for day in np.union1d(day_a, day_b):
                        ca, cb = cols_a[day_a == day], cols_b[day_b == day]
                        cols = np.concatenate([ca, cb])
                        ones = np.concatenate([np.ones(len(ca)), -np.ones(len(cb))])
                        self.rows.add_one(cols, ones, 0.0, 0.0)  # same date or neither
                        if len(ca) == 0 or len(cb) == 0:
                            continue
                        # A ending at or after T − min gap needs B to start at or after T:
                        # B's slot must reach T.
                        ready = self.x_min[ca] * g + duration[ca] + link.min_gap_minutes
                        reach_b = self.x_max[cb] * g
                        for t in np.unique(ready):
                            self._implies(ca[ready >= t], cb[reach_b >= t])
                        # B starting at or after T needs A to end at or after T − max gap.
                        start_b = self.x_min[cb] * g
                        reach_a = self.x_max[ca] * g + duration[ca] + link.max_gap_minutes
                        for t in np.unique(start_b):
                            self._implies(cb[start_b >= t], ca[reach_a >= t])
                elif isinstance(link, FollowUp):
                    ord_a, ord_b = ordinals[day_a], ordinals[day_b]
                    for d in np.unique(ord_b):
                        # B on or before date d needs A on or before d − min_days.
                        self._implies(cols_b[ord_b <= d], cols_a[ord_a <= d - link.min_days])
                elif isinstance(link, BeforeVisit):
                    ord_a, ord_b = ordinals[day_a], ordinals[day_b]
                    both = np.concatenate([cols_b, cols_a])
                    signs = np.concatenate([np.ones(len(cols_b)), -np.ones(len(cols_a))])
                    self.rows.add_one(both, signs, 0.0, 0.0)  # both or neither
                    for d in np.unique(ord_a):
                        # The visit (A) on or before d needs B on or before d.
                        self._implies(cols_a[ord_a <= d], cols_b[ord_b <= d])
                    for d in np.unique(ord_b):
                        # B on or before d needs the visit on or before d + max_days_before.
                        self._implies(cols_b[ord_b <= d], cols_a[ord_a <= d + link.max_days_before])

    def _implies(self, these: IntArray, those: IntArray) -> None:
        """Lazy row ``Σ x[these] ≤ Σ x[those]``: placing one of ``these`` needs one of
        ``those``."""
        if len(these) == 0:
            return
        n = len(these) + len(those)
        self.rows.add(
            np.zeros(n, dtype=np.int64),
            np.concatenate([these, those]),
            np.concatenate([np.ones(len(these)), -np.ones(len(those))]),
            np.array([-np.inf]),
            np.array([0.0]),
            initial=np.zeros(1, dtype=bool),
        )

    # -- solve ---------------------------------------------------------------------------

    def solve(
        self, deadline: float, placement: Mapping[int, tuple[int, int]] | None
    ) -> tuple[float, float, bool] | None:
        """Row and column generation with GLOP.

        The first restricted LP holds the non-lazy rows, each request's cheapest x columns
        (and those of ``placement``), every u and aggregate column, and every column of a
        locked or linked request (which keeps it feasible).  Each round GLOP re-solves it
        from its previous basis; the duals price every column and give a Lagrangian bound
        valid for the full LP; violated lazy rows and each request's most negative
        reduced-cost columns join.  It stops when nothing joins (the LP optimum) or at the
        deadline (then never below the bound at zero duals).  After a round where only rows
        joined, the previous basis is still dual feasible and the dual simplex re-solves it;
        otherwise the primal simplex does.

        Returns
        -------
        tuple of (float, float, bool) or None
            The best bound (without the constant), the magnitude of the terms summed into it
            (for the rounding margin), and whether the LP optimum was reached; ``None`` when
            no restricted LP was solved.
        """
        ptr, cols, values, lower, upper, initial = self.rows.csr()
        cost, col_upper, group = self.columns()
        n, m = len(cost), len(lower)
        row_of = np.repeat(np.arange(m, dtype=np.int64), np.diff(ptr))
        by_col = np.argsort(cols, kind="stable")
        col_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=n), out=col_ptr[1:])

        active = np.zeros(n, dtype=bool)
        active[self.n_x :] = True
        active[self._per_request_least(np.arange(self.n_x), cost[: self.n_x], _FIRST_COLUMNS)] = (
            True
        )
        active[self._placement_cols(placement)] = True
        for r in self._linked_or_locked():
            active[self._request_cols(r)] = True
        in_lp = initial.copy()
        lp = _IncrementalLp(ptr, cols, values, lower, upper, cost, row_of, by_col, col_ptr)
        lazy = int((~in_lp).sum())
        if not lp.load(in_lp, active, min(lazy, max(_MIN_SPARE_ROWS, lazy // _SPARE_DIVISOR))):
            return None
        best: tuple[float, float] | None = None
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            solution = lp.solve(left)
            self.rounds += 1
            if solution is None:
                break
            duals, primal = solution
            self.primal = primal
            self.lp_size = (int(active.sum()), int(in_lp.sum()))
            bound, scale, reduced = _safe_dual_bound(
                cost, col_upper, group, row_of, cols, values, lower, upper, duals
            )
            if best is None or bound > best[0]:
                best = (bound, scale)
            activity = np.bincount(row_of, weights=values * primal[cols], minlength=m)
            violated = np.flatnonzero(
                ~in_lp & (activity > upper + _VIOLATION_TOL * np.maximum(1.0, np.abs(upper)))
            )
            candidates = np.flatnonzero(~active & (reduced < -_PRICE_TOL))
            entering = self._per_request_least(candidates, reduced[candidates], _ENTERING_COLUMNS)
            if len(violated) == 0 and len(entering) == 0:
                return best[0], best[1], True
            in_lp[violated] = True
            lp.add_rows(violated)
            active[entering] = True
            lp.add_columns(entering)
            lp.use_dual_simplex(len(entering) == 0)
        if best is None:
            return None
        # Stopped early: never report less than the bound at zero duals (each request at its
        # cheapest column or unscheduled, the bound CP-SAT already has).
        floor, floor_scale, _ = _safe_dual_bound(
            cost, col_upper, group, row_of, cols, values, lower, upper, np.zeros(m)
        )
        value, scale = max(best, (floor, floor_scale))
        return value, scale, False

    def _placement_cols(self, placement: Mapping[int, tuple[int, int]] | None) -> IntArray:
        """The x columns of a known schedule (request → option and start grain)."""
        if not placement:
            return np.zeros(0, dtype=np.int64)
        position = {int(o): i for i, o in enumerate(self.opt_index)}
        out = []
        for o, t in placement.values():
            i = position.get(o)
            if i is None:
                continue
            first = int(self.opt_first[i])
            bnd = self.boundaries
            col = first + int(
                np.searchsorted(bnd, t, side="right")
                - np.searchsorted(bnd, self.x_min[first], side="right")
            )
            if first <= col < self.opt_first[i + 1]:
                out.append(col)
        return np.array(out, dtype=np.int64)

    def _per_request_least(self, cols: IntArray, key: FloatArray, count: int) -> IntArray:
        """Among x columns ``cols``, each request's ``count`` with the least ``key``."""
        if len(cols) == 0:
            return cols
        req = self.x_request[cols]
        order = np.lexsort((key, req))
        req_sorted = req[order]
        first = np.flatnonzero(np.r_[True, req_sorted[1:] != req_sorted[:-1]])
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        return cols[order[rank < count]]

    def _linked_or_locked(self) -> set[int]:
        """Requests whose columns all stay in every restricted LP (keeps it feasible)."""
        out = set(self.cand.locked)
        for b, request in enumerate(self.problem.requests):
            for link in request.links:
                out.update((b, self.problem.request_index[link.request_id]))
        return out


class _IncrementalLp:
    """A restricted LP in GLOP that grows by rows and columns and re-solves warm.

    Every row is ``Σ a x − slack = 0`` with its own slack column carrying the row's bounds,
    so GLOP adds no slack of its own and column indices never shift when columns are added.
    Lazy rows take the place of spare rows loaded empty with a free slack: filling one in
    changes coefficients and bounds only.  Either way GLOP re-solves from its previous
    basis, with the primal simplex unless :meth:`use_dual_simplex` says otherwise.  Column
    bounds are left out (they are implied by the rows), so no dual hides on a bound.
    """

    def __init__(
        self,
        ptr: IntArray,
        cols: IntArray,
        values: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        cost: FloatArray,
        row_of: IntArray,
        by_col: IntArray,
        col_ptr: IntArray,
    ) -> None:
        self.ptr, self.cols, self.values = ptr, cols, values
        self.lower, self.upper, self.cost = lower, upper, cost
        self.row_of = row_of
        self.col_rows = row_of[by_col].tolist()
        self.col_values = values[by_col].tolist()
        self.col_ptr = col_ptr.tolist()
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.variable: dict[int, Any] = {}  # column → its LP variable
        self.constraint: dict[int, Any] = {}  # row → its LP constraint
        self.spares: list[tuple[Any, Any]] = []  # unused (constraint, slack) pairs

    def load(self, rows: BoolArray, cols: BoolArray, spares: int) -> bool:
        """Build the first LP: the rows and columns marked, and ``spares`` empty rows;
        False if GLOP refuses it."""
        row_ids, col_ids = np.flatnonzero(rows), np.flatnonzero(cols)
        k = len(row_ids)
        n_rows = k + spares
        entry = rows[self.row_of] & cols[self.cols]
        local_row = np.cumsum(rows) - 1
        local_col = n_rows + np.cumsum(cols) - 1
        counts = np.bincount(local_row[self.row_of[entry]], minlength=n_rows) + 1
        sub_ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=sub_ptr[1:])
        sub_cols = np.empty(int(sub_ptr[-1]), dtype=np.int64)
        sub_values = np.empty(int(sub_ptr[-1]), dtype=np.float64)
        slack = np.zeros(len(sub_cols), dtype=bool)
        slack[sub_ptr[:-1]] = True
        sub_cols[slack] = np.arange(n_rows)
        sub_values[slack] = -1.0
        sub_cols[~slack] = local_col[self.cols[entry]]
        sub_values[~slack] = self.values[entry]
        free = np.full(spares, np.inf)
        model = linear_solver_pb2.MPModelProto.FromString(
            _encode_model(
                np.zeros(n_rows + len(col_ids)),
                np.r_[self.lower[row_ids], -free, np.zeros(len(col_ids))],
                np.r_[self.upper[row_ids], free, np.full(len(col_ids), np.inf)],
                sub_ptr,
                sub_cols,
                sub_values,
                np.zeros(n_rows),
                np.zeros(n_rows),
            )
        )
        self.use_dual_simplex(False)
        if self.solver.LoadModelFromProto(model):
            return False
        variables = self.solver.variables()
        constraints = self.solver.constraints()
        objective = self.solver.Objective()
        for i, j in enumerate(col_ids.tolist()):
            self.variable[j] = variables[n_rows + i]
            objective.SetCoefficient(self.variable[j], float(self.cost[j]))
        self.constraint = {int(r): constraints[i] for i, r in enumerate(row_ids)}
        self.spares = [(constraints[i], variables[i]) for i in range(n_rows - 1, k - 1, -1)]
        return True

    def use_dual_simplex(self, dual: bool) -> None:
        """Re-solve with the dual simplex (else the primal simplex) from now on.

        The dual simplex suits an LP that only gained rows since its last solve: its basis
        stays dual feasible and a few dual pivots restore primal feasibility (about three
        times faster than the primal simplex on such rounds of the benchmark families).
        When columns join, the primal simplex (GLOP's default) re-solves.
        """
        # Without presolve GLOP keeps its basis between solves: warm starts.
        self.solver.SetSolverSpecificParametersAsString(
            f"use_preprocessing: false use_dual_simplex: {str(dual).lower()}"
        )

    def solve(self, time_limit_s: float) -> tuple[FloatArray, FloatArray] | None:
        """Solve; the duals of every row and the primal of every column (0 outside the LP),
        or None unless optimal."""
        self.solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        duals = np.zeros(len(self.lower))
        duals[list(self.constraint)] = [c.dual_value() for c in self.constraint.values()]
        primal = np.zeros(len(self.cost))
        primal[list(self.variable)] = [v.solution_value() for v in self.variable.values()]
        return duals, primal

    def add_rows(self, rows: IntArray) -> None:
        """Add rows (into spare rows while there are some), with their coefficients on the
        columns in the LP."""
        solver = self.solver
        for r in rows.tolist():
            if self.spares:
                constraint, slack = self.spares.pop()
            else:
                slack = solver.NumVar(-solver.infinity(), solver.infinity(), "")
                constraint = solver.Constraint(0.0, 0.0)
                constraint.SetCoefficient(slack, -1.0)
            for k in range(int(self.ptr[r]), int(self.ptr[r + 1])):
                variable = self.variable.get(int(self.cols[k]))
                if variable is not None:
                    constraint.SetCoefficient(variable, float(self.values[k]))
            slack.SetBounds(float(self.lower[r]), float(self.upper[r]))
            self.constraint[r] = constraint

    def add_columns(self, new: IntArray) -> None:
        """Add columns with their coefficients in the rows in the LP."""
        solver = self.solver
        objective = solver.Objective()
        infinity = solver.infinity()
        for j in new.tolist():
            variable = solver.NumVar(0.0, infinity, "")
            objective.SetCoefficient(variable, float(self.cost[j]))
            for k in range(self.col_ptr[j], self.col_ptr[j + 1]):
                constraint = self.constraint.get(self.col_rows[k])
                if constraint is not None:
                    constraint.SetCoefficient(variable, self.col_values[k])
            self.variable[j] = variable


def _safe_dual_bound(
    cost: FloatArray,
    col_upper: FloatArray,
    group: IntArray,
    row_of: IntArray,
    cols: IntArray,
    values: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    duals: FloatArray,
) -> tuple[float, float, FloatArray]:
    """Lagrangian bound of the LP at any dual vector; its magnitude; the reduced costs.

    The LP is ``min c·x`` subject to ``lower ≤ A x ≤ upper`` (``A`` in coordinate form
    ``row_of``, ``cols``, ``values``) and ``0 ≤ x ≤ col_upper``, where the columns of each
    group ``g ≥ 0`` (a request's x and u) also sum to exactly 1 (its assignment row, one of
    the rows of ``A``).  For a row with only an upper bound the dual is clipped to ``≤ 0``,
    with only a lower bound to ``≥ 0``; equality rows keep theirs.  With ``b_i`` the bound
    the sign of ``y_i`` selects and ``d = c − Aᵀy``, every feasible ``x`` has

        ``c·x = y·Ax + d·x ≥ Σ_i y_i b_i + Σ_g min_{j ∈ g} d_j + Σ_{j ∉ any g} min(0, d_j) ×
        col_upper_j``

    whatever ``y`` is, so the bound does not depend on the LP solver's accuracy.  The
    magnitude ``Σ |y_i b_i|`` scales the margin against rounding error in the sums.
    """
    y = duals.copy()
    only_upper = np.isinf(lower) & np.isfinite(upper)
    only_lower = np.isfinite(lower) & np.isinf(upper)
    y[only_upper] = np.minimum(y[only_upper], 0.0)
    y[only_lower] = np.maximum(y[only_lower], 0.0)
    rhs = np.where(y < 0, upper, lower)
    rhs = np.where(y == 0, 0.0, rhs)
    reduced = cost - np.bincount(cols, weights=values * y[row_of], minlength=len(cost))
    grouped = group >= 0
    least = np.full(int(group.max(initial=-1)) + 1, np.inf)
    np.minimum.at(least, group[grouped], reduced[grouped])
    free = ~grouped
    terms = y * rhs
    bound = (
        float(terms.sum())
        + float(least[np.isfinite(least)].sum())
        + float(np.dot(np.minimum(reduced[free], 0.0), col_upper[free]))
    )
    return bound, float(np.abs(terms).sum()), reduced


def _times_length(units: int) -> Capacity:
    """Capacity ``units × (C − A)``: so many resources, each busy with one hold at a time."""

    def capacity(a: IntArray, c: IntArray) -> IntArray:
        return units * (c - a)

    return capacity


def _desk_capacity(problem: Problem) -> Capacity | None:
    """Station-minutes of every shift inside ``[A, C)``, shifts of every calendar date from
    the day before the horizon to the day after; None when a shift time does not exist on
    some date (the desk rows are then left out)."""
    desk = problem.front_desk
    assert desk is not None
    horizon = problem.horizon
    events: dict[int, int] = defaultdict(int)
    day = horizon.start - dt.timedelta(days=1)
    while day <= horizon.end + dt.timedelta(days=1):
        for shift in desk.shifts:
            if shift.stations == 0 or shift.weekday not in (None, day.weekday()):
                continue
            try:
                start = horizon.local_minute(day, shift.start)
                end = horizon.local_minute(day, shift.end)
            except ValueError:
                return None
            events[start] += shift.stations
            events[end] -= shift.stations
        day += dt.timedelta(days=1)
    points = np.array(sorted(events), dtype=np.int64)
    if len(points) == 0:
        return lambda a, c: np.zeros_like(a)
    level = np.cumsum([events[int(p)] for p in points])  # stations on [points[i], points[i+1])
    area = np.zeros(len(points), dtype=np.int64)  # station-minutes before points[i]
    area[1:] = np.cumsum(level[:-1] * np.diff(points))

    def before(t: IntArray) -> IntArray:
        i = np.searchsorted(points, t, side="right") - 1
        inside = np.maximum(i, 0)
        return np.where(i >= 0, area[inside] + level[inside] * (t - points[inside]), 0)

    return lambda a, c: before(c) - before(a)


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


def _encode_model(
    cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    ptr: IntArray,
    cols: IntArray,
    values: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
) -> bytes:
    """A serialized ``MPModelProto``: columns in ``[col_lower, col_upper]`` with ``cost``,
    and rows ``lower ≤ A x ≤ upper`` with ``A`` in compressed-row form (``ptr``, ``cols``,
    ``values``).

    Written directly in the protocol-buffer wire format: much faster than the message API
    on LPs of a million coefficients.
    """
    variables = np.zeros(len(cost), dtype=_VARIABLE)
    variables["tag"] = (3 << 3) | 2  # MPModelProto.variable, length-delimited
    variables["size"] = _VARIABLE.itemsize - 2
    variables["k_lower"] = (1 << 3) | 1  # lower_bound, 64-bit
    variables["lower"] = col_lower
    variables["k_upper"] = (2 << 3) | 1  # upper_bound
    variables["upper"] = col_upper
    variables["k_cost"] = (3 << 3) | 1  # objective_coefficient
    variables["cost"] = cost
    parts = [variables.tobytes()]
    index_bytes, sizes = _varints(cols)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    index_view = memoryview(index_bytes)
    coefficient_view = memoryview(values.astype("<f8").tobytes())
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
    return b"".join(parts)
