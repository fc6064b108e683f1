"""solve(): candidates, greedy construction, CP-SAT, neighbourhood search, result."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from psr_sched.problem import Problem
from psr_sched.result import Result, SolveStatus
from psr_sched.solver.candidates import Candidates, build_candidates
from psr_sched.solver.extract import assignments, evaluate, unscheduled_reasons
from psr_sched.solver.greedy import Placement, fill, greedy
from psr_sched.solver.model import ModelBuilder, ScheduleModel, add_hint
from psr_sched.solver.options import Progress, SolveOptions, logger

#: Share of the time limit given to the first, full-model CP-SAT phase when LNS follows.
_FULL_MODEL_SHARE = 0.35
#: Deterministic-time units per second of time limit in deterministic mode.
_DETERMINISTIC_UNITS_PER_S = 1.0


@dataclass(slots=True)
class _Incumbent:
    placement: Placement
    objective: int
    bound: int | None = None
    first_found_s: float | None = None
    history: list[tuple[float, int, int | None]] = field(default_factory=list)


class _Clock:
    def __init__(self, limit_s: float) -> None:
        self.t0 = time.perf_counter()
        self.limit_s = limit_s

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.limit_s - self.elapsed()


class _SolutionRecorder(cp_model.CpSolverSolutionCallback):
    """Reports each improving CP-SAT solution to the progress callback."""

    def __init__(self, clock: _Clock, options: SolveOptions, phase: str, offset: float) -> None:
        super().__init__()
        self.clock = clock
        self.options = options
        self.phase = phase
        self.offset = offset

    def on_solution_callback(self) -> None:
        event = Progress(
            self.phase,
            self.clock.elapsed(),
            round(self.objective_value + self.offset),
            round(self.best_objective_bound + self.offset),
        )
        logger.debug("%s solution objective=%s bound=%s", event.phase, event.objective, event.bound)
        if self.options.callback is not None:
            self.options.callback(event)


def _parameters(
    options: SolveOptions, time_limit_s: float, *, large: bool, seed_offset: int = 0
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = options.workers
    p.random_seed = options.seed + seed_offset
    p.max_time_in_seconds = max(0.05, time_limit_s)
    p.relative_gap_limit = options.relative_gap
    p.log_search_progress = False
    if large:
        # Probing dominates presolve on week-sized models and delays the first solution.
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
    if options.deterministic:
        p.interleave_search = True
        p.max_deterministic_time = max(0.05, time_limit_s * _DETERMINISTIC_UNITS_PER_S)
    return solver


def _read(
    sm: ScheduleModel, solver: cp_model.CpSolver, base: Placement, free: set[int] | None
) -> Placement:
    placement: Placement = {}
    for r, rv in sm.requests.items():
        if free is not None and r not in free:
            if r in base:
                placement[r] = base[r]
            continue
        if not rv.options or solver.value(rv.unscheduled):
            continue
        t = int(solver.value(rv.start))
        for o in rv.options:
            if solver.boolean_value(rv.present[o]):
                placement[r] = (o, t)
                break
    return placement


class Engine:
    """One solve of one problem; see :func:`solve`."""

    def __init__(self, problem: Problem, options: SolveOptions) -> None:
        self.problem = problem
        self.options = options
        self.clock = _Clock(options.time_limit_s)
        self.rng = np.random.default_rng(options.seed)
        self.stats: dict[str, object] = {}
        self.status = SolveStatus.GREEDY
        self.cand: Candidates
        self.incumbent: _Incumbent

    def _objective(self, placement: Placement) -> int:
        return evaluate(self.problem, self.cand, placement).total(self.problem.weights)

    def _progress(self, phase: str, bound: int | None = None) -> None:
        event = Progress(
            phase,
            self.clock.elapsed(),
            self.incumbent.objective,
            bound,
            len(self.incumbent.placement),
        )
        logger.info(
            "%-6s %6.1fs objective=%s bound=%s", phase, event.elapsed_s, event.objective, bound
        )
        if self.options.callback is not None:
            self.options.callback(event)

    def run(self) -> Result:
        self.cand = build_candidates(self.problem)
        self.stats["options"] = len(self.cand.options)
        start = greedy(self.problem, self.cand)
        baseline = evaluate(self.problem, self.cand, start)
        self.incumbent = _Incumbent(start, baseline.total(self.problem.weights))
        self.incumbent.first_found_s = self.clock.elapsed()
        self.stats["greedy_s"] = round(self.clock.elapsed(), 3)
        self._progress("greedy")
        if self.options.use_cpsat and self.clock.left() > 0.2:
            self._full_model()
            if self.options.lns and self.status != SolveStatus.OPTIMAL:
                self._neighbourhood_search()
        placement = fill(self.problem, self.cand, self.incumbent.placement)
        terms = evaluate(self.problem, self.cand, placement)
        objective = terms.total(self.problem.weights)
        bound = self.incumbent.bound
        if bound is not None and bound >= objective:
            self.status = SolveStatus.OPTIMAL
        self._progress("done", bound)
        return Result(
            problem_name=self.problem.name,
            status=self.status,
            assignments=tuple(assignments(self.problem, self.cand, placement)),
            unscheduled=tuple(unscheduled_reasons(self.problem, self.cand, placement)),
            terms=terms,
            weights=self.problem.weights,
            objective=objective,
            best_bound=bound,
            wall_time_s=self.clock.elapsed(),
            time_to_first_s=self.incumbent.first_found_s,
            baseline_objective=baseline.total(self.problem.weights),
            baseline_terms=baseline,
            stats=self.stats,
        )

    # -- phases ---------------------------------------------------------------------------

    def _full_model(self) -> None:
        t_build = time.perf_counter()
        sm = ModelBuilder(self.problem, self.cand).build()
        add_hint(sm, self.problem, self.cand, self.incumbent.placement)
        # Never worse than the construction on the first-ranked term.
        sm.model.add(
            sm.terms["unscheduled_priority"]
            <= sum(
                self.problem.requests[r].priority
                for r in range(len(self.problem.requests))
                if r not in self.incumbent.placement
            )
        )
        sm.model.minimize(sm.weighted)
        self.stats["model_build_s"] = round(time.perf_counter() - t_build, 3)
        share = _FULL_MODEL_SHARE if self.options.lns else 1.0
        budget = max(0.1, self.clock.left() * share)
        solver = _parameters(self.options, budget, large=len(self.cand.options) > 5000)
        recorder = _SolutionRecorder(self.clock, self.options, "cpsat", 0.0)
        status = solver.solve(sm.model, recorder)
        self.stats["cpsat_status"] = solver.status_name(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            placement = _read(sm, solver, self.incumbent.placement, None)
            objective = self._objective(placement)
            if objective <= self.incumbent.objective:
                self.incumbent.placement = placement
                self.incumbent.objective = objective
            self.status = (
                SolveStatus.OPTIMAL if status == cp_model.OPTIMAL else SolveStatus.FEASIBLE
            )
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
            self.incumbent.bound = int(np.ceil(solver.best_objective_bound - 1e-6))
        self._progress("cpsat", self.incumbent.bound)

    def _neighbourhood_search(self) -> None:
        """Fix most of the schedule, re-optimize a window of days × providers, repeat."""
        problem, cand = self.problem, self.cand
        n_days = len(problem.horizon.dates)
        n_providers = len(problem.providers)
        iterations = improved = 0
        deterministic_used = 0.0
        budget = self.options.time_limit_s * _DETERMINISTIC_UNITS_PER_S
        while self.clock.left() > 0.3:
            if self.options.deterministic and deterministic_used >= budget * (
                1 - _FULL_MODEL_SHARE
            ):
                break
            free = self._choose_neighbourhood(n_days, n_providers)
            if not free:
                continue
            iterations += 1
            sm = ModelBuilder(problem, cand, free=free, fixed=self.incumbent.placement).build()
            add_hint(sm, problem, cand, self.incumbent.placement)
            sm.model.minimize(sm.weighted)
            limit = min(self.clock.left() - 0.2, 3.0)
            if limit <= 0.05:
                break
            solver = _parameters(self.options, limit, large=False, seed_offset=iterations)
            if self.options.deterministic:
                solver.parameters.max_deterministic_time = 1.0
            status = solver.solve(sm.model)
            deterministic_used += solver.deterministic_time
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            placement = _read(sm, solver, self.incumbent.placement, free)
            objective = self._objective(placement)
            if objective < self.incumbent.objective:
                improved += 1
                self.incumbent.placement = placement
                self.incumbent.objective = objective
                self.status = SolveStatus.FEASIBLE
                self._progress("lns", self.incumbent.bound)
        self.stats["lns_iterations"] = iterations
        self.stats["lns_improvements"] = improved

    def _choose_neighbourhood(self, n_days: int, n_providers: int) -> set[int]:
        """Requests placed on a random day with a random third of the providers, plus every
        unplaced request that could go there."""
        cand = self.cand
        day = int(self.rng.integers(n_days))
        size = max(1, min(n_providers, int(np.ceil(n_providers / 3))))
        providers = set(self.rng.choice(n_providers, size=size, replace=False).tolist())
        placement = self.incumbent.placement
        free = set()
        for r, (o, _t) in placement.items():
            opt = cand.options[o]
            if opt.day == day and opt.provider in providers and r not in cand.locked:
                free.add(r)
        for r, opts in enumerate(cand.by_request):
            if r in placement or not opts:
                continue
            if any(
                cand.options[o].day == day and cand.options[o].provider in providers for o in opts
            ):
                free.add(r)
        # Keep linked requests together with their partners.
        for r in list(free):
            for link in self.problem.requests[r].links:
                free.add(self.problem.request_index[link.request_id])
        return {r for r in free if r not in cand.locked}


def solve(problem: Problem, options: SolveOptions | None = None) -> Result:
    """Schedule ``problem``.

    Parameters
    ----------
    problem : Problem
        The validated problem.
    options : SolveOptions, optional
        Time limit, workers, seed, determinism, progress callback.

    Returns
    -------
    Result
        Schedule, unscheduled requests with reasons, objective terms, bound and timings.
    """
    return Engine(problem, options or SolveOptions()).run()
