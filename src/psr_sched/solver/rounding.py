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
held; class ``c``: ``Σ y + u = n_c``; a provider's daily visit cap; with a front desk,
per grain the visits whose check-in holds a station then ``≤`` the stations.  Patients and
turnover are left out, and the engine keeps linked visits where a construction put them
(``fixed``); the rounding places every visit only where the schedule really has room.
Links between requests that are both free (each then a class of its own) enter as the
mean-busy-time LP's per-day rows.  Costs are the weighted objective's wait and network
terms, and the unscheduled penalty on ``u``.

It is solved by column generation: most start columns of a week never enter an optimal
basis, so HiGHS first solves the LP of the columns in the options a guide (the
mean-busy-time LP) uses, then the columns of negative reduced cost enter (at most
``_PRICED_PER_CLASS`` per class and round, the most negative first) and it solves again
from its basis, until none prices out: then the LP over all columns is optimal.  On M0
(211k columns) that is 5 rounds and 4.7 s against 11.4 s for the whole LP; on L0 (557k
columns) 6 rounds and 24 s, where the whole LP was not optimal after 70 s.

Around the fixed visits of a construction the LP is a guide, not a bound (they are one
choice among many).  With nothing fixed, every request in it, links and the front desk
in its rows, it relaxes every schedule, and the Lagrangian of its last duals is a proven
bound (``StartLp.bound``): the benchmark runner takes it beside the mean-busy-time and
time-indexed LPs' (M0, seed 0: 1,115,913 against the mean-busy-time LP's 1,106,915).
The front-desk rows make it much slower (M, seed 0: not optimal after 100 s), so the
engine does not build it on desk weeks.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.greedy import GreedyBuilder, LpGuide, Placement, fill
from psr_sched.solver.relaxation import (
    _capacities,
    _Class,
    _link_matrix,
    _link_rows,
    _quiet_highs,
    _request_classes,
    _safe_bound,
)

#: The column generation starts from the options a guide puts more than this share of a
#: class in.
_SEED_SHARE = 1e-6
#: At most this many columns of one class enter per round (the most negative first).
_PRICED_PER_CLASS = 150
#: A column enters the start-indexed LP when its reduced cost is below minus this.
_PRICE_TOLERANCE = 1e-7

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
    bound : int or None
        A proven lower bound, from the last row duals over every column (whether or not
        the LP is optimal), on every schedule that keeps ``fixed`` where it is: with
        nothing fixed, on every schedule.  ``None`` when no duals came back.
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
    rounds: int = 1
    seeded: int = 0
    bound: int | None = None

    def stats(self) -> dict[str, object]:
        """Size and timings, for a result's statistics."""
        return {
            "value": round(self.value),
            "optimal": self.optimal,
            "columns": self.columns,
            "rows": self.rows,
            "build_s": round(self.build_s, 3),
            "solve_s": round(self.solve_s, 3),
            "rounds": self.rounds,
            "seeded": self.seeded,
            "bound": self.bound,
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
    guide: LpGuide | None = None,
) -> StartLp:
    """Build and solve the start-indexed LP of ``requests`` around ``fixed``; see the module
    docstring.  A request linked to another must be free with all of its partners or fixed
    with them (the engine fixes linked ones: the rounding places free requests alone).

    ``guide``: the columns of the options where it puts more than ``_SEED_SHARE`` of a class
    start the column generation (all columns when ``None``)."""
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
        for j, o in enumerate(klass.options):
            seeded = guide is None or (
                sum(guide.option_share[cand.by_request[m][j]] for m in klass.members) > _SEED_SHARE
            )
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
            parts["seed"].append(np.full(n, int(seeded), dtype=np.int64))
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
    # The front desk: a visit starting at ``s`` holds a station over its check-in grains
    # ``[s - ci, s)`` (the least check-in of a class's members: they differ by intake).
    if problem.front_desk is not None and cand.check_in:
        desk = np.zeros(horizon, dtype=np.int64)
        for segments in cand.desk_spans:
            for a, b, stations in segments:
                desk[a:b] += stations
        for r, (_o, t) in held.items():
            desk[max(0, t - cand.check_in[r]) : t] -= 1
        check_in = np.array([min(cand.check_in[m] for m in k.members) for k in classes])
        ci = check_in[y["c"]]
        held_by = [ci > k for k in range(int(ci.max(initial=0)))]
        d_key = np.concatenate([y["s"][m] - 1 - k for k, m in enumerate(held_by)] or [[]])
        d_col = np.concatenate([index[m] for m in held_by] or [[]]).astype(np.int64)
        inside = d_key >= 0
        d_rows, d_of = np.unique(d_key[inside].astype(np.int64), return_inverse=True)
        row = np.concatenate([row, n_rows + d_of])
        col = np.concatenate([col, d_col[inside]])
        val = np.concatenate([val, np.ones(len(d_of))])
        lower_rows = np.concatenate([lower_rows, np.full(len(d_rows), -np.inf)])
        upper_rows = np.concatenate([upper_rows, np.maximum(desk[d_rows], 0).astype(np.float64)])
        n_rows += len(d_rows)
    # Links between free requests (each a class of its own), on visits per day.
    class_of = {klass.members[0]: c for c, klass in enumerate(classes) if len(klass.members) == 1}
    link_rows = _link_rows(
        problem, cand, class_of, y["c"], y["day"], np.ones(n_y), n_y, cand.locked
    )
    link_row, link_col, link_val, link_lower, link_upper = _link_matrix(link_rows, n_rows)
    row, col, val = (
        np.concatenate([row, link_row]),
        np.concatenate([col, link_col]),
        np.concatenate([val, link_val]),
    )
    lower_rows = np.concatenate([lower_rows, link_lower])
    upper_rows = np.concatenate([upper_rows, link_upper])
    n_rows += len(link_rows)
    build_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    initial = np.concatenate([y["seed"] == 1, np.ones(n_c, dtype=bool)])
    x, duals, lp_value, optimal, rounds = _column_generation(
        cost,
        upper,
        row,
        col,
        val,
        (lower_rows, upper_rows),
        initial,
        np.concatenate([y["c"], np.arange(n_c)]),
        per_group=_PRICED_PER_CLASS,
        time_limit_s=time_limit_s,
        threads=threads,
    )
    solve_s = time.perf_counter() - t1
    bound = (
        None
        if duals is None
        else _safe_bound(cost, upper, row, col, val, lower_rows, upper_rows, duals, constant)
    )

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
        rounds=rounds,
        seeded=int(initial.sum()),
        bound=bound,
    )


def _column_generation(
    cost: np.ndarray,
    upper: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    val: np.ndarray,
    row_bounds: tuple[np.ndarray, np.ndarray],
    initial: np.ndarray,
    group: np.ndarray,
    *,
    per_group: int,
    time_limit_s: float,
    threads: int,
) -> tuple[np.ndarray, np.ndarray | None, float, bool, int]:
    """Solve ``min cost·x`` over all columns by generating them: HiGHS solves the LP of the
    ``initial`` columns, every column of negative reduced cost under its row duals enters,
    and it solves again from its last basis, until no column prices out (then the LP of all
    columns is optimal) or the time is up.  Return x over all columns, the last row duals
    (``None`` if none came back), the objective, whether it is proven optimal, and the
    number of LPs solved."""
    import highspy

    t0 = time.perf_counter()
    n_cols = len(cost)
    lower_rows, upper_rows = row_bounds
    n_rows = len(lower_rows)
    order = np.lexsort((row, col))
    row_sorted = row[order].astype(np.int32)
    val_sorted = val[order]
    counts = np.bincount(col, minlength=n_cols)
    col_start = np.concatenate([[0], np.cumsum(counts)])

    def entries(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = counts[cols]
        starts = np.concatenate([[0], np.cumsum(lengths)])[:-1].astype(np.int32)
        take = np.repeat(col_start[cols] - starts, lengths) + np.arange(int(lengths.sum()))
        return starts, row_sorted[take], val_sorted[take]

    h = _quiet_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", max(1, threads))
    h.addRows(
        n_rows, lower_rows, upper_rows, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
    )
    active = np.zeros(n_cols, dtype=bool)
    columns: list[np.ndarray] = []
    new = np.flatnonzero(initial)
    rounds = 0
    optimal = False
    duals: np.ndarray | None = None
    while len(new):
        starts, index, values = entries(new)
        h.addCols(
            len(new), cost[new], np.zeros(len(new)), upper[new], len(index), starts, index, values
        )
        active[new] = True
        columns.append(new)
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0.01:
            break
        # HiGHS counts its limit over all runs of one instance.
        h.setOptionValue("time_limit", h.getRunTime() + max(0.01, left))
        h.run()
        rounds += 1
        solution = h.getSolution()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal or not solution.dual_valid:
            break  # ``optimal`` is False: columns were still pricing out
        duals = np.asarray(solution.row_dual, dtype=np.float64)
        reduced = cost - np.bincount(col, weights=val * duals[row], minlength=n_cols)
        new = np.flatnonzero(~active & (reduced < -_PRICE_TOLERANCE))
        if len(new) and per_group:
            new = new[np.lexsort((reduced[new], group[new]))]
            first = np.searchsorted(group[new], group[new], side="left")
            new = np.sort(new[np.arange(len(new)) - first < per_group])
        optimal = not len(new)
    x = np.zeros(n_cols)
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64)
    placed = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    if len(values) == len(placed):
        x[placed] = values
    return x, duals, float(h.getInfo().objective_function_value), optimal, rounds


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
