"""What the front desk costs: provider fill and session-opening delays, with and without it.

Run from the repository root::

    python -m benchmarks.day_fill --family M --day 1 --time-limit 60

For one instance of a family (``benchmarks.instances.family(name, seed)``), the greedy
construction runs twice: on the problem as generated and on the same problem without its
front desk.  Per day it prints the provider fill (booked provider minutes over bookable
session minutes; a provider without eligible demand that day keeps idle minutes either way)
and the mean delay from a session's start to its first visit.  Then, for ``--day``, CP-SAT
gets the one-day sub-model the engine's neighbourhood search would build for it, freed as far
as links allow (every unlinked, unpinned request that has an option that day may be placed
there; everything else stays where the greedy put it), with the objective "fewest unscheduled
priority" and the greedy schedule as its hint: how many more visits that day could hold, and
what CP-SAT can prove about it in the time limit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from benchmarks.instances import family
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates, build_candidates
from psr_sched.solver.greedy import Placement, greedy
from psr_sched.solver.model import ModelBuilder, add_hint
from psr_sched.solver.solve import _read


def day_figures(cand: Candidates, placement: Placement) -> dict[int, tuple[float, float, int]]:
    """Per day: provider fill, mean minutes from a block's start to its first visit (blocks
    with a visit), and visits booked."""
    capacity: dict[int, int] = defaultdict(int)
    booked: dict[int, int] = defaultdict(int)
    visits: dict[int, int] = defaultdict(int)
    first: dict[int, int] = {}
    for block in cand.blocks:
        capacity[block.day] += block.end - block.start
    for o, t in placement.values():
        opt = cand.options[o]
        booked[opt.day] += opt.duration
        visits[opt.day] += 1
        first[opt.block] = min(first.get(opt.block, t), t)
    delays: dict[int, list[int]] = defaultdict(list)
    for b, t in first.items():
        block = cand.blocks[b]
        delays[block.day].append((t - block.start) * cand.grain)
    return {
        day: (
            booked[day] / capacity[day],
            statistics.fmean(delays[day]) if delays[day] else 0.0,
            visits[day],
        )
        for day in sorted(capacity)
        if capacity[day]
    }


def one_day_max_placement(
    problem: Problem, cand: Candidates, placement: Placement, day: int, time_limit_s: float
) -> tuple[str, int, int, int, float]:
    """CP-SAT on the one-day sub-model: (status, visits that day before, after, CP-SAT's
    bound on the free requests' unscheduled priority, fill after)."""
    linked: set[int] = set()
    for r, request in enumerate(problem.requests):
        for link in request.links:
            linked.update((r, problem.request_index[link.request_id]))
    free = {
        r
        for r, opts in enumerate(cand.by_request)
        if r not in cand.locked
        and r not in linked
        and any(cand.options[o].day == day for o in opts)
    }
    cells = {(block.provider, day) for block in cand.blocks if block.day == day}
    sm = ModelBuilder(problem, cand, free=free, fixed=placement, cells=cells).build()
    hint = {r: at for r, at in placement.items() if r not in free or cand.options[at[0]].day == day}
    add_hint(sm, problem, cand, hint)
    sm.model.minimize(sm.terms["unscheduled_priority"])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    # As the engine does on large models: probing would take most of a short limit.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    status = solver.solve(sm.model)
    after = placement
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        after = _read(sm, solver, placement, free)
    before_n = sum(1 for o, _t in placement.values() if cand.options[o].day == day)
    after_n = sum(1 for o, _t in after.values() if cand.options[o].day == day)
    return (
        solver.status_name(status),
        before_n,
        after_n,
        int(solver.best_objective_bound),
        day_figures(cand, after)[day][0],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.day_fill", description=__doc__)
    parser.add_argument("--family", default="M", help="instance family (S, M, L, M-over)")
    parser.add_argument("--seed", type=int, default=0, help="family seed")
    parser.add_argument("--day", type=int, default=1, help="day index for the CP-SAT run")
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT seconds")
    args = parser.parse_args(argv)
    problem = family(args.family, args.seed).problems[0]
    without = problem.model_copy(update={"front_desk": None})
    rows = []
    for label, p in (("with desk", problem), ("without desk", without)):
        cand = build_candidates(p)
        placement = greedy(p, cand)
        rows.append((label, p, cand, placement, day_figures(cand, placement)))
    print(f"{args.family} seed {args.seed}: greedy construction, per day")
    print("| day | fill with desk | fill without | opening delay with (min) | without |")
    print("|---|---|---|---|---|")
    for day, (fill, delay, _n) in rows[0][4].items():
        fill2, delay2, _n2 = rows[1][4][day]
        print(f"| {day} | {fill:.3f} | {fill2:.3f} | {delay:.1f} | {delay2:.1f} |")
    for label, p, cand, placement, _figures in rows:
        status, before, after, bound, fill = one_day_max_placement(
            p, cand, placement, args.day, args.time_limit
        )
        print(
            f"day {args.day} {label}: CP-SAT {status} in {args.time_limit:g} s, visits "
            f"{before} -> {after}, fill {fill:.3f}, bound on the free requests' unscheduled "
            f"priority {bound}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
