"""solve(): candidates, greedy construction, CP-SAT, neighbourhood search, result."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from psr_sched.domain import SameDaySequence
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.result import Result, SolveStatus
from psr_sched.solver.bound import LowerBound, lp_lower_bound
from psr_sched.solver.candidates import (
    Candidates,
    build_candidates,
    search_weights,
    unscheduled_dominates,
)
from psr_sched.solver.dispatch import dispatch, dispatchable
from psr_sched.solver.extract import assignments, evaluate, unscheduled_reasons
from psr_sched.solver.greedy import (
    GreedyBuilder,
    LpGuide,
    Placement,
    fill,
    first_available,
    guided,
)
from psr_sched.solver.model import ModelBuilder, ScheduleModel, add_hint
from psr_sched.solver.options import Progress, SolveOptions, logger
from psr_sched.solver.polish import pull_earlier
from psr_sched.solver.relaxation import choose_slot_grains, mean_busy_time
from psr_sched.solver.rounding import round_starts, start_lp, start_lp_columns

#: Share of the time limit given to the first, full-model CP-SAT phase when LNS follows.
_FULL_MODEL_SHARE = 0.35
#: Above this many options the full model is skipped: it finds nothing better in time.
_FULL_MODEL_MAX_OPTIONS = 30_000
#: LP relaxation: 30-minute start slots up to this many options, 60-minute slots above.
_LP_FINE_MAX_OPTIONS = 15_000
#: Above this many options the LP is skipped: on a 360k-option week (family L) it does not
#: converge within its share of 120 s, and the search did 4 % better without it.
_LP_MAX_OPTIONS = 150_000
#: A finer LP is solved only when this many times the last LP's time is left of its share.
_LP_REFINE_FACTOR = 4.0
#: LP-guided constructions with noisy mean starts after the first, and the noise (minutes).
_GUIDED_TRIES = 9
_GUIDED_NOISE_MINUTES = 60.0
#: Seconds kept back at the end to fill gaps, pull visits earlier, assign rooms and build
#: the result: this, or a tenth of a short time limit (a 1 s solve of a 3-day clinic needs
#: milliseconds for it, and 0.5 s left it no time to search).
_RESERVE_S = 0.5
_RESERVE_SHARE = 0.1
#: Time limit of one neighbourhood sub-solve, and providers per neighbourhood.  0.15 s
#: rather than 0.3 s: twice the neighbourhoods in the same time.  Same solver seeds,
#: back to back: S instances 0-2 at 10 s (seeds 0-5) better in 14 of 18 runs, and the
#: runs of instance 1 that left a placeable request out (173,730 and 174,935) were gone;
#: M at 60 s (seeds 0-2) 1,539,785 -> 1,516,400 on average, though a whole compare run
#: afterwards (median 1,536,060) was within the ±2 % of whole runs; M-over, L within noise.
_LNS_STEP_S = 0.15
_LNS_UNSCHEDULED = 10
#: Providers per neighbourhood: starts here, grows after a sub-solve proven optimal and
#: shrinks after one stopped by its time limit (adaptive neighbourhood size).
_LNS_PROVIDERS_START, _LNS_PROVIDERS_MIN, _LNS_PROVIDERS_MAX = 4, 2, 12
#: Time-window neighbourhoods (every provider of one day, the visits starting in a window):
#: window length in minutes, adapted the same way.
_LNS_WINDOW_START, _LNS_WINDOW_MIN, _LNS_WINDOW_MAX = 60, 20, 240
#: Neighbourhood kinds, taken in turn (see ``Engine._choose_neighbourhood``), and the most
#: waiting requests a pull neighbourhood moves toward an earlier gap.
_LNS_KINDS = 3
_LNS_PULLED = 4
#: CP-SAT deterministic-time units per second of time limit in deterministic mode.  On
#: these neighbourhood models one unit takes roughly 20-30 s of wall time on 2 cores, so an
#: unloaded deterministic run lasts about half the time limit, leaving room for a loaded
#: machine; the wall clock still caps it (and the stats then say the run was cut).
_DETERMINISTIC_UNITS_PER_S = 0.02


#: Share of the LP budget the mean-busy-time LP's size is chosen for when the time-indexed
#: LP follows it.
_MBT_SHARE_BEFORE_TIME_INDEXED = 0.25
#: Seconds at most for the last pass that pulls visits earlier (it needs milliseconds).
_POLISH_S = 0.3
#: Neighbourhood iterations between two pulls of the incumbent's visits earlier, and the
#: longest such pull (seconds).
_POLISH_EVERY = 25
_POLISH_IN_SEARCH_S = 1.0
#: Mean-busy-time LP: columns HiGHS solves per second, for choosing its slot length (M0
#: at one-grain slots: 420k columns in 8 s; L0 at two-grain slots: 812k in 24 s).
_LP_COLUMNS_PER_S = 40_000
#: Largest share of the time limit the mean-busy-time LP is sized for.
_MBT_LIMIT_SHARE = 0.25
#: Start-indexed LP (:mod:`psr_sched.solver.rounding`): columns per second of its column
#: generation (M0 around its linked visits, 211k columns: 4.7 s; L0, 557k: 24 s), and the
#: largest share of the time limit its estimated time may take.
_START_LP_COLUMNS_PER_S = 25_000
_START_LP_LIMIT_SHARE = 0.3
#: Above this many columns the LP is skipped (its build alone takes seconds).
_START_LP_MAX_COLUMNS = 1_000_000
#: Its HiGHS limit, in estimated times: M0 (208k columns, estimated 8.3 s) took 12-18 s
#: with the machine's load before column generation, and a cut LP is not used (at twice
#: the estimate a 600 s run lost it and ended 9.8 % above the bound, against 6.6 % for
#: the 60 s runs that had it).
_START_LP_TIME_FACTOR = 4.0


@dataclass(frozen=True, slots=True)
class _Bound:
    value: int
    source: str


@dataclass(frozen=True, slots=True)
class _NoisyGuide:
    placed: np.ndarray
    start: np.ndarray
    option_share: np.ndarray


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
    options: SolveOptions,
    time_limit_s: float,
    *,
    large: bool,
    seed_offset: int = 0,
    wall_cap_s: float | None = None,
) -> cp_model.CpSolver:
    """CP-SAT parameters for one solve of ``time_limit_s``.

    In deterministic mode the limit is CP-SAT's deterministic time and the wall clock only
    caps it at ``wall_cap_s`` (what is left of the whole solve), so that the same problem,
    seed and workers follow the same path whatever the machine's load.
    """
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
        p.max_time_in_seconds = max(0.05, wall_cap_s if wall_cap_s is not None else time_limit_s)
    return solver


def _read(
    sm: ScheduleModel, solver: cp_model.CpSolver, base: Placement, free: set[int] | None
) -> Placement:
    """The solver's placement of the free requests (all when ``free`` is None) over ``base``."""
    placement: Placement = {
        r: where for r, where in base.items() if free is not None and r not in free
    }
    for r, rv in sm.requests.items():
        if free is not None and r not in free:
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
        self.reserve_s = min(_RESERVE_S, _RESERVE_SHARE * options.time_limit_s)
        # Least time worth starting a phase with (LP, CP-SAT, a construction, a sub-solve).
        self.margin_s = min(0.2, 0.05 * options.time_limit_s)
        self.rng = np.random.default_rng(options.seed)
        self.stats: dict[str, object] = {}
        self.status = SolveStatus.GREEDY
        self.cand: Candidates
        self.incumbent: _Incumbent
        self.weights = problem.weights
        self.dominating = True
        self.lns_size = _LNS_PROVIDERS_START
        self.lns_window = _LNS_WINDOW_START
        self.core: Placement = {}
        self.floor: Placement = {}
        self.guided_objectives: list[int] = []
        self.unscheduled_cap = 0
        self.lp: LowerBound | _Bound | None = None
        self.lp_allotted_s = 0.0
        self._sequence_children: dict[int, list[int]] = {}
        self._linked_from: dict[int, list[int]] = {}
        self._spans: list[dict[int, tuple[int, int]]] | None = None
        self._dispatchable: set[int] | None = None
        for r, request in enumerate(problem.requests):
            for link in request.links:
                parent = problem.request_index[link.request_id]
                self._linked_from.setdefault(parent, []).append(r)
                if isinstance(link, SameDaySequence):
                    self._sequence_children.setdefault(parent, []).append(r)

    def _objective(self, placement: Placement) -> int:
        return evaluate(self.problem, self.cand, placement).total(self.weights)

    def _time_left(self) -> float:
        """Seconds left for budgeting phases: wall-clock, or in deterministic mode the limit
        less the LP's allotted share once it ran (so budgets do not depend on how fast this
        machine ran so far)."""
        if self.options.deterministic:
            return self.options.time_limit_s - self.lp_allotted_s
        return self.clock.left()

    def _locked_core(self) -> set[int]:
        """Locked requests and every request they force: same-day sequence partners (both
        or neither) and the visits they follow up on."""
        problem, cand = self.problem, self.cand
        core = set(cand.locked)
        stack = list(core)
        while stack:
            r = stack.pop()
            forced = [problem.request_index[link.request_id] for link in problem.requests[r].links]
            forced += self._sequence_children.get(r, [])
            for other in forced:
                if other not in core:
                    core.add(other)
                    stack.append(other)
        return core

    def _place_locked_core(self) -> Placement:
        """Place the locked core exactly (a small CP-SAT model); every other request is
        placed around it.  Raise ProblemError when the locked visits cannot all be kept."""
        core = self._locked_core()
        if not core:
            return {}
        problem, cand = self.problem, self.cand
        self._check_locked_pairs()
        unplaceable = sorted(problem.requests[r].id for r in core if not cand.by_request[r])
        if unplaceable:
            raise ProblemError(
                f"pinned appointments: locked visits need request {unplaceable[0]}, "
                f"which cannot be placed ({cand.reasons[problem.request_index[unplaceable[0]]][0]})"
            )
        sm = ModelBuilder(problem, cand, free=core, fixed={}, weights=self.weights).build()
        for r in core:
            sm.model.add(sm.requests[r].unscheduled == 0)
        sm.model.minimize(sm.weighted)
        limit = min(max(0.5, 0.2 * self._time_left()), 10.0)
        solver = _parameters(
            self.options, limit, large=len(core) > 200, wall_cap_s=self.clock.left()
        )
        status = solver.solve(sm.model)
        if status == cp_model.INFEASIBLE:
            raise ProblemError(
                "pinned appointments: the locked visits cannot all be kept together with "
                "the visits they are linked to (rooms, check-in stations, daily limits or "
                "link gaps conflict)"
            )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise ProblemError(
                f"pinned appointments: no placement of the {len(core)} locked and linked "
                f"visits was found within {limit:.1f} s"
            )
        return _read(sm, solver, {}, core)

    def _check_locked_pairs(self) -> None:
        """Name the first two locked visits that overlap for one provider or patient."""
        problem, cand = self.problem, self.cand
        seen: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        for r in sorted(cand.locked):
            opt = cand.options[cand.by_request[r][0]]
            request = problem.requests[r]
            keys = [
                ("provider", problem.providers[opt.provider].id),
                ("patient", request.patient_id),
            ]
            for kind, key in keys:
                for start, end, other in seen.get((kind, key), []):
                    if start < opt.lo + opt.duration and opt.lo < end:
                        what = f"provider {key}" if kind == "provider" else "one patient"
                        raise ProblemError(
                            f"pinned appointments {other} and {request.id}: both locked, "
                            f"overlapping for {what}"
                        )
                seen.setdefault((kind, key), []).append((opt.lo, opt.lo + opt.duration, request.id))

    def _better(self, first: Placement, second: Placement) -> Placement:
        """The one of two placements with the lower search objective (``first`` on ties)."""
        return first if self._objective(first) <= self._objective(second) else second

    def _offer(self, placement: Placement, phase: str, bound: int | None) -> int:
        """Make ``placement`` the incumbent when its objective is lower (and, in
        lexicographic mode, it leaves no more priority out than the first schedule);
        return its objective.

        In weighted mode the objective alone decides, and the cap on the unscheduled
        priority that the CP-SAT models carry rises to the new incumbent's (L0, seed 0:
        the start-LP rounding, 2,969,195 against the LP-guided 3,261,050, leaves one more
        priority out and was refused; the run ended at 2,991,835)."""
        objective = self._objective(placement)
        unscheduled = _unscheduled_priority(self.problem, placement)
        lexicographic = self.problem.weights.mode == "lexicographic"
        if objective < self.incumbent.objective and (
            not self.dominating or not lexicographic or unscheduled <= self.unscheduled_cap
        ):
            if self.dominating:
                self.unscheduled_cap = max(self.unscheduled_cap, unscheduled)
            self.incumbent.placement = placement
            self.incumbent.objective = objective
            self._progress(phase, bound)
        return objective

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
        self.weights = search_weights(self.problem, self.cand)
        self.dominating = unscheduled_dominates(self.problem, self.cand)
        self.stats["options"] = len(self.cand.options)
        self.core = self._place_locked_core()
        start = GreedyBuilder(self.problem, self.cand, start=self.core).run()
        if not self.dominating:
            start = self._better(start, {})
        baseline = evaluate(self.problem, self.cand, start)
        # The front desk's rule is the floor: the engine never returns worse than it
        # (without CP-SAT the construction alone is returned, as documented).
        floor = first_available(self.problem, self.cand, self.core)
        self.stats["first_available_objective"] = evaluate(self.problem, self.cand, floor).total(
            self.problem.weights
        )
        if self.options.use_cpsat:
            self.floor = floor
            start = self._better(start, floor)
        self.incumbent = _Incumbent(start, self._objective(start))
        # Never worse than the first schedule on the first-ranked term, when it dominates.
        self.unscheduled_cap = _unscheduled_priority(self.problem, start)
        self.incumbent.first_found_s = self.clock.elapsed()
        self.stats["greedy_s"] = round(self.clock.elapsed(), 3)
        self._progress("greedy")
        if (
            self.options.lp
            and self.options.use_cpsat
            and self.problem.weights.mode == "weighted"
            and self.clock.left() > self.reserve_s + self.margin_s
        ):
            self._relaxation()
        if self._gap_reached():
            self.stats["stopped_at_relative_gap"] = True
        elif self.options.use_cpsat and self.clock.left() > self.reserve_s + self.margin_s:
            if len(self.cand.options) <= _FULL_MODEL_MAX_OPTIONS:
                self._full_model()
            else:
                self.stats["full_model"] = "skipped: too many options"
            if self.options.lns and self.status != SolveStatus.OPTIMAL:
                self._neighbourhood_search()
        placement = self._better(
            fill(self.problem, self.cand, self.incumbent.placement), self.incumbent.placement
        )
        if self.options.use_cpsat:
            polish_s = max(0.01, min(_POLISH_S, self.reserve_s / 2, self.clock.left() - 0.02))
            polished = pull_earlier(
                self.problem, self.cand, placement, self.weights, time_limit_s=polish_s
            )
            placement = self._better(self._better(polished, placement), self.floor)
        self.incumbent.placement = placement
        self.incumbent.objective = self._objective(placement)
        terms = evaluate(self.problem, self.cand, placement)
        objective = terms.total(self.problem.weights)
        # A bound in the search's own weights bounds the reported objective only when both
        # use the same weights.
        bound = None
        if self.weights == self.problem.weights:
            bounds = [("earliest-start", earliest_start_bound(self.problem, self.cand))]
            if self.incumbent.bound is not None:
                bounds.append(("cp-sat", self.incumbent.bound))
            if self.lp is not None:
                bounds.append((self.lp.source, self.lp.value))
            source, bound = max(bounds, key=lambda b: b[1])
            self.stats["bound_source"] = source
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

    def _relaxation(self) -> None:
        """The relaxations: proven bounds, and LP-guided constructions that replace the
        incumbent when better.

        First the mean-busy-time LP (:mod:`psr_sched.solver.relaxation`), on every size, at
        the finest slots whose estimated size fits its budget (``_LP_COLUMNS_PER_S``
        columns per second).  Then, where it pays, the time-indexed LP of
        :mod:`psr_sched.solver.bound` with what is left of the LP share: on small problems
        (it is tighter there) and on problems with a front desk (its check-in rows guide
        the constructions around the desk, which the mean-busy-time LP does not see).
        Each LP's guide runs the constructions of :meth:`_guided_constructions`.
        """
        budget = min(
            self._time_left() * self.options.lp_share, self.clock.left() - self.reserve_s - 0.1
        )
        self.lp_allotted_s = self.options.time_limit_s * self.options.lp_share
        started = self.clock.elapsed()
        options = len(self.cand.options)
        time_indexed = options <= _LP_FINE_MAX_OPTIONS or (
            self.problem.front_desk is not None and options <= _LP_MAX_OPTIONS
        )
        share = _MBT_SHARE_BEFORE_TIME_INDEXED if time_indexed else 1.0
        # Sized to converge within a quarter of the time limit (its solve time grows
        # faster than its columns: L0 at one-grain slots, 1.6 M columns, takes 82 s).
        planned = min(share * budget, _MBT_LIMIT_SHARE * self.options.time_limit_s)
        slot = choose_slot_grains(self.problem, self.cand, max(1, int(planned * _LP_COLUMNS_PER_S)))
        lb = mean_busy_time(
            self.problem, self.cand, slot_grains=slot, time_limit_s=max(0.05, budget)
        )
        self.stats["lp"] = lb.stats()
        if lb.value is not None:
            self.lp = _Bound(lb.value, f"mean-busy-time-{slot * self.cand.grain}min")
            self.stats["lp_bound"] = lb.value
        self.stats["lp_optimal"] = lb.optimal
        if self.options.deterministic and not lb.optimal:
            self.stats["deterministic_run_cut_by_wall_clock"] = True
        else:
            self._guided_constructions(lb)
            self._start_lp_construction(lb)
        left = min(
            budget - (self.clock.elapsed() - started), self.clock.left() - self.reserve_s - 0.1
        )
        if time_indexed and left > 0.2:
            self._time_indexed_relaxation(left)

    def _guided_constructions(self, guide: LpGuide) -> None:
        """LP-guided constructions in both orders, then with noisy mean starts; each also
        as a dispatch (:mod:`psr_sched.solver.dispatch`) around its linked, pinned and
        locked visits."""
        if self._dispatchable is None:
            self._dispatchable = dispatchable(self.problem, self.cand)
        grain = self.cand.grain
        noise = _GUIDED_NOISE_MINUTES / grain
        tries = []
        for attempt in range(_GUIDED_TRIES + 1):
            if attempt and self.clock.left() < self.reserve_s + self.margin_s:
                break
            trial: LpGuide = guide
            if attempt > 1:
                moved = guide.start + self.rng.normal(0.0, noise, len(guide.start))
                trial = _NoisyGuide(guide.placed, moved, guide.option_share)
            order = "start" if attempt % 2 == 0 else "priority"
            placement = guided(self.problem, self.cand, trial, self.core, order)
            movable = self._dispatchable
            kept = {r: v for r, v in placement.items() if r not in movable}
            bound = self.lp.value if self.lp else None
            for candidate in (placement, dispatch(self.problem, self.cand, trial, kept)):
                tries.append(self._offer(candidate, "lp-guided", bound))
        self.guided_objectives.extend(tries)
        self.stats["lp_guided_objectives"] = self.guided_objectives

    def _start_lp_construction(self, guide: LpGuide) -> None:
        """The start-indexed LP around the linked, pinned and locked visits of the
        incumbent, rounded into a schedule and pulled earlier
        (:mod:`psr_sched.solver.rounding`); it replaces the incumbent when better.

        The incumbent's rather than the first LP-guided construction's: on L0 (seed 1) the
        first left 69 linked visits out, which the LP then never saw; its rounding came out
        at 3,409,185 against the best construction's 3,097,690.

        Runs when its estimated time fits ``_START_LP_LIMIT_SHARE`` of the time limit and
        half of what is left, it has at most ``_START_LP_MAX_COLUMNS`` columns and the week
        has no front desk; its rounding is used only when the LP is proven optimal.
        """
        problem, cand = self.problem, self.cand
        if problem.front_desk is not None:
            # Its desk rows make it slow: on M (seed 0) 38 s around the linked visits (its
            # rounding then 1,475,480 against the LP-guided 1,773,595), too much of 60 s.
            self.stats["start_lp"] = "skipped: a front desk"
            return
        assert self._dispatchable is not None  # set by the constructions before
        kept = {r: v for r, v in self.incumbent.placement.items() if r not in self._dispatchable}
        columns = start_lp_columns(problem, cand, kept, self._dispatchable)
        estimate = columns / _START_LP_COLUMNS_PER_S
        left = self._time_left() - self.reserve_s - self.margin_s
        if columns > _START_LP_MAX_COLUMNS or estimate > min(
            _START_LP_LIMIT_SHARE * self.options.time_limit_s, 0.5 * left
        ):
            self.stats["start_lp"] = f"skipped: about {columns:,} columns"
            return
        wall = self.clock.left() - self.reserve_s - self.margin_s
        slp = start_lp(
            problem,
            cand,
            kept,
            self._dispatchable,
            time_limit_s=max(0.05, min(wall - 0.5, _START_LP_TIME_FACTOR * estimate)),
            guide=guide,
        )
        self.stats["start_lp"] = slp.stats()
        if not slp.optimal:
            # An iterate cut short is far from integral: its rounding is no schedule worth
            # having (L0: 29 % worse than the LP-guided one).
            if self.options.deterministic:
                self.stats["deterministic_run_cut_by_wall_clock"] = True
            return
        # In start order, and by priority first (overloaded weeks: on M0-110, seed 0,
        # 2,888,490 against 3,073,045 in start order; on M0 1,198,105 against 1,189,215).
        priority = [request.priority for request in problem.requests]
        orders = (slp.targets, sorted(slp.targets, key=lambda t: (-priority[t[2]], t[0])))
        placement: Placement | None = None
        for targets in orders:
            rounded = round_starts(problem, cand, targets, kept)
            limit = min(0.5, self.clock.left() - self.reserve_s - self.margin_s)
            if limit > 0.05:
                polished = pull_earlier(problem, cand, rounded, self.weights, time_limit_s=limit)
                rounded = self._better(polished, rounded)
            placement = rounded if placement is None else self._better(placement, rounded)
        assert placement is not None
        bound = self.lp.value if self.lp else None
        self.stats["start_lp_objective"] = self._offer(placement, "start-lp", bound)

    def _time_indexed_relaxation(self, budget: float) -> None:
        """On small problems, the time-indexed LP of :mod:`psr_sched.solver.bound` too:
        non-preemptive in its starts, it is tighter than the mean-busy-time LP there and
        guides better (S0: 158,163 against 155,418, guided 160,925 against 165,150).

        It starts with 30-minute slots and is solved again with finer ones while
        ``budget`` allows; the best bound is kept (when above the incumbent bound) and the
        finest solved LP guides the constructions of :meth:`_guided_constructions`.  In
        deterministic mode only the first LP is solved.
        """
        grain = self.cand.grain
        first = 30 if len(self.cand.options) <= _LP_FINE_MAX_OPTIONS else 60
        slots = [m for m in (60, 30, 15, 10, 5) if m <= first and m % grain == 0] or [grain]
        deadline = self.clock.elapsed() + budget
        best: LowerBound | None = None
        guide = None
        for slot in slots:
            left = deadline - self.clock.elapsed()
            if best is not None and (
                self.options.deterministic
                or not best.lp_optimal
                or left < _LP_REFINE_FACTOR * best.wall_time_s
            ):
                break
            lb = lp_lower_bound(
                self.problem,
                self.cand,
                slot_minutes=slot,
                time_limit_s=max(0.05, left),
                placement=self.incumbent.placement,
            )
            if lb is None:
                break
            self.stats[f"lp_{slot}min"] = [lb.value, round(lb.wall_time_s, 3), lb.lp_optimal]
            if best is None or lb.value > best.value or lb.lp_optimal:
                guide = lb.guide if lb.guide is not None else guide
            if best is None or lb.value > best.value:
                best = lb
        if best is not None and (self.lp is None or best.value > self.lp.value):
            self.lp = best
            self.stats["lp_bound"] = best.value
        if guide is None or (self.options.deterministic and not guide.lp_optimal):
            return
        self._guided_constructions(guide)

    def _full_model(self) -> None:
        t_build = time.perf_counter()
        sm = ModelBuilder(self.problem, self.cand, weights=self.weights).build()
        add_hint(sm, self.problem, self.cand, self.incumbent.placement)
        if self.dominating:
            # Never worse than the construction on the first-ranked term.
            sm.model.add(sm.terms["unscheduled_priority"] <= self.unscheduled_cap)
        sm.model.minimize(sm.weighted)
        self.stats["model_build_s"] = round(time.perf_counter() - t_build, 3)
        # Even on one clinic day (family S) the neighbourhood search after this share ends
        # 1-2 % lower than the full model given the whole limit.
        share = _FULL_MODEL_SHARE if self.options.lns else 1.0
        budget = max(0.1, (self._time_left() - self.reserve_s) * share)
        solver = _parameters(
            self.options,
            budget,
            large=len(self.cand.options) > 2000,
            wall_cap_s=self.clock.left() - self.reserve_s,
        )
        recorder = _SolutionRecorder(self.clock, self.options, "cpsat", 0.0)
        status = solver.solve(sm.model, recorder)
        self.stats["cpsat_status"] = solver.status_name(status)
        if (
            self.options.deterministic
            and status in (cp_model.FEASIBLE, cp_model.UNKNOWN)
            and solver.deterministic_time < 0.999 * solver.parameters.max_deterministic_time
        ):
            # Stopped by the wall-clock cap before its deterministic budget: not repeatable.
            self.stats["deterministic_run_cut_by_wall_clock"] = True
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
            # Every term is non-negative, so zero is a bound too.
            self.incumbent.bound = max(0, int(np.ceil(solver.best_objective_bound - 1e-6)))
        self._progress("cpsat", self.incumbent.bound)

    def _gap_reached(self) -> bool:
        """Whether ``relative_gap`` (when set) is met against the best proven bound so far
        (CP-SAT's or the LP's, in the reported weights)."""
        gap = self.options.relative_gap
        if gap <= 0 or self.weights != self.problem.weights:
            return False
        bounds = [b for b in (self.incumbent.bound, self.lp.value if self.lp else None) if b]
        if not bounds:
            return False
        objective = self.incumbent.objective
        return objective <= 0 or (objective - max(bounds)) / objective <= gap

    def _neighbourhood_search(self) -> None:
        """Fix most of the schedule, re-optimize a few provider-days, repeat until time is up.

        A neighbourhood is a set of (provider, day) cells: every visit booked in them is
        freed and may move anywhere inside them, together with unscheduled requests that
        could go there.  Everything else stays fixed, so each sub-model is small.
        """
        problem, cand = self.problem, self.cand
        iterations = improved = 0
        deterministic_used = 0.0
        outcomes: dict[str, int] = {}
        # neighbourhood kind -> [sub-solves, improvements, objective gained, seconds]
        by_kind: dict[str, list[float]] = {}
        polished_at = self.incumbent.objective + 1
        budget = self._time_left() * _DETERMINISTIC_UNITS_PER_S
        while True:
            if self.options.deterministic and deterministic_used >= budget:
                break
            if self._gap_reached():
                self.stats["stopped_at_relative_gap"] = True
                break
            if self.clock.left() <= self.reserve_s + self.margin_s:
                if self.options.deterministic:
                    self.stats["deterministic_run_cut_by_wall_clock"] = True
                break
            if (
                not self.options.deterministic
                and iterations % _POLISH_EVERY == 0
                and self.incumbent.objective < polished_at
            ):
                polished_at = self._polish_incumbent()
            free, cells, windowed, label = self._choose_neighbourhood(iterations)
            iterations += 1
            step_started = self.clock.elapsed()
            before = self.incumbent.objective
            kind_stats = by_kind.setdefault(label, [0, 0, 0, 0.0])
            kind_stats[0] += 1
            if not free:
                continue
            builder = ModelBuilder(
                problem,
                cand,
                free=free,
                fixed=self.incumbent.placement,
                cells=cells,
                weights=self.weights,
            )
            sm = builder.build()
            add_hint(sm, problem, cand, self.incumbent.placement)
            if self.dominating:
                # The term counts every request in the sub-model, free or not (linked
                # partners stay in it even when fixed unscheduled).
                unscheduled_now = sum(
                    problem.requests[r].priority
                    for r in sm.requests
                    if r not in self.incumbent.placement
                )
                sm.model.add(sm.terms["unscheduled_priority"] <= unscheduled_now)
            sm.model.minimize(sm.weighted)
            limit = min(self.clock.left() - self.reserve_s, _LNS_STEP_S)
            if limit <= 0.05:
                if self.options.deterministic:
                    self.stats["deterministic_run_cut_by_wall_clock"] = True
                break
            solver = _parameters(
                self.options,
                _LNS_STEP_S if self.options.deterministic else limit,
                large=True,
                seed_offset=iterations,
                wall_cap_s=self.clock.left() - self.reserve_s,
            )
            status = solver.solve(sm.model)
            deterministic_used += solver.deterministic_time
            name = solver.status_name(status)
            outcomes[name] = outcomes.get(name, 0) + 1
            if windowed:
                step = self.cand.grain * (1 if status == cp_model.OPTIMAL else -1)
                self.lns_window = min(_LNS_WINDOW_MAX, max(_LNS_WINDOW_MIN, self.lns_window + step))
            elif status == cp_model.OPTIMAL:
                self.lns_size = min(_LNS_PROVIDERS_MAX, self.lns_size + 1)
            else:
                self.lns_size = max(_LNS_PROVIDERS_MIN, self.lns_size - 1)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            placement = _read(sm, solver, self.incumbent.placement, free)
            objective = self._objective(placement)
            kind_stats[3] += self.clock.elapsed() - step_started
            if objective < self.incumbent.objective:
                kind_stats[1] += 1
                kind_stats[2] += before - objective
                improved += 1
                self.incumbent.placement = placement
                self.incumbent.objective = objective
                if self.status == SolveStatus.GREEDY:
                    self.status = SolveStatus.FEASIBLE
                self._progress("lns", self.incumbent.bound)
        self.stats["lns_deterministic_time"] = round(deterministic_used, 3)
        self.stats["lns_iterations"] = iterations
        self.stats["lns_final_providers"] = self.lns_size
        self.stats["lns_final_window_minutes"] = self.lns_window
        self.stats["lns_improvements"] = improved
        self.stats["lns_outcomes"] = outcomes
        self.stats["lns_by_kind"] = {
            k: [int(n), int(better), int(gain), round(seconds, 2)]
            for k, (n, better, gain, seconds) in sorted(by_kind.items())
        }

    def _choose_neighbourhood(
        self, iteration: int
    ) -> tuple[set[int], set[tuple[int, int]], bool, str]:
        """Cells, the requests they free, and whether it is a time-window neighbourhood.

        Cycles through (a) a request that waits long or is unscheduled: a time window
        around the earliest provider gap it fits, with every provider of that day and the
        request (and a few more waiting ones) pulled in (:meth:`_pull_cells`), or, when it
        is linked to other requests, the providers able to see it and its partners on the
        days from their window starts to their current days (:meth:`_focus_cells`), (b) a
        random group of providers on one or two random days, and (c) every provider of one
        day, freeing only the visits that start in a time window: the front desk and the
        room pools tie all providers of a day together, and only such a neighbourhood can
        re-stagger the check-ins of many providers at once.
        """
        cand, problem = self.cand, self.problem
        n_days = len(problem.horizon.dates)
        n_providers = len(problem.providers)
        placement = self.incumbent.placement
        rng = self.rng
        cells: set[tuple[int, int]] = set()
        window: tuple[int, int] | None = None
        pulled: set[int] = set()
        kind = iteration % _LNS_KINDS
        label = "providers"
        if kind == 0:
            focus = self._pick_focus()
            if focus is not None and self._partners(focus):
                cells = self._focus_cells(focus)
                label = "linked"
            elif focus is not None:
                cells, window, pulled = self._pull_cells(focus)
                label = "pull"
        elif kind == 2:
            cells, window = self._window_cells()
            label = "window"
        if not cells:
            label = "providers"
            size = min(n_providers, self.lns_size)
            chosen = rng.choice(n_providers, size=size, replace=False).tolist()
            first = int(rng.integers(n_days))
            days = {first, min(n_days - 1, first + int(rng.integers(2)))}
            cells = {(int(p), d) for p in chosen for d in days}
        free = set()
        for r, (o, t) in placement.items():
            opt = cand.options[o]
            in_window = window is None or window[0] <= t < window[1]
            if in_window and (opt.provider, opt.day) in cells and r not in cand.locked:
                free.add(r)
        free.update(pulled)
        waiting = [
            r
            for r, opts in enumerate(cand.by_request)
            if r not in placement
            and opts
            and any(
                (cand.options[o].provider, cand.options[o].day) in cells
                and (
                    window is None
                    or (cand.options[o].lo < window[1] and cand.options[o].hi >= window[0])
                )
                for o in opts
            )
        ]
        if len(waiting) > _LNS_UNSCHEDULED:
            # Highest priority first, ties broken at random, to keep the sub-model small.
            noise = rng.random(len(waiting))
            order = sorted(
                range(len(waiting)),
                key=lambda i: (-problem.requests[waiting[i]].priority, noise[i]),
            )
            waiting = [waiting[i] for i in order[:_LNS_UNSCHEDULED]]
        free.update(waiting)
        return free, cells, window is not None, label

    def _polish_incumbent(self) -> int:
        """Pull visits and same-day sequences of the incumbent earlier (:func:`pull_earlier`);
        return the incumbent's objective afterwards."""
        limit = min(_POLISH_IN_SEARCH_S, self.clock.left() - self.reserve_s - self.margin_s)
        if limit <= 0.05:
            return self.incumbent.objective
        polished = pull_earlier(
            self.problem, self.cand, self.incumbent.placement, self.weights, time_limit_s=limit
        )
        self._offer(polished, "polish", self.incumbent.bound)
        return self.incumbent.objective

    def _window_cells(self) -> tuple[set[tuple[int, int]], tuple[int, int] | None]:
        """Every provider of the day of a random visit, and a window of ``lns_window``
        minutes that starts at that visit's start (grains)."""
        cand = self.cand
        placement = self.incumbent.placement
        movable = [r for r in placement if r not in cand.locked]
        if not movable:
            return set(), None
        o, t = placement[movable[int(self.rng.integers(len(movable)))]]
        day = cand.options[o].day
        cells = {(block.provider, day) for block in cand.blocks if block.day == day}
        return cells, (t, t + max(1, self.lns_window // cand.grain))

    def _pull_cells(
        self, focus: int
    ) -> tuple[set[tuple[int, int]], tuple[int, int] | None, set[int]]:
        """A window around the earliest provider gap that ``focus`` (a long-waiting or
        unscheduled request) fits before its current day, with every provider of that day,
        and the request itself (its current cell comes along, so it may also stay).

        The gap is free of the provider's visits only; what keeps the request out of it is
        usually the front desk or a room, which the sub-solve may re-stagger across all
        providers of the window.  Up to ``_LNS_PULLED - 1`` more placed requests that wait
        on a later day and have an option in the window are pulled along, highest weighted
        wait first.
        """
        cand, problem = self.cand, self.problem
        placement = self.incumbent.placement
        current_day = cand.options[placement[focus][0]].day if focus in placement else None
        busy: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for o, t in placement.values():
            opt = cand.options[o]
            busy[(opt.provider, opt.day)].append((t, t + opt.duration))
        gap: tuple[int, int, int] | None = None  # (day, start, end)
        for o in sorted(cand.by_request[focus], key=lambda o: cand.options[o].lo):
            opt = cand.options[o]
            if current_day is not None and opt.day >= current_day:
                break
            if gap is not None and opt.day > gap[0]:
                break
            start = _first_gap(busy.get((opt.provider, opt.day), []), opt.lo, opt.hi, opt.duration)
            if start is not None and (gap is None or start < gap[1]):
                gap = (opt.day, start, start + opt.duration)
        if gap is None:
            return set(), None, set()
        day, start, end = gap
        half = max(1, self.lns_window // cand.grain // 2)
        window = (start - half, end + half)
        cells = {(block.provider, day) for block in cand.blocks if block.day == day}
        pulled = {focus}
        if focus in placement:
            current = cand.options[placement[focus][0]]
            cells.add((current.provider, current.day))
        others = []
        spans = self._day_spans()
        for r, (o, t) in placement.items():
            opt = cand.options[o]
            if r == focus or r in cand.locked or opt.day <= day or self._partners(r):
                continue
            span = spans[r].get(day)
            if span is None or span[0] >= window[1] or span[1] < window[0]:
                continue  # the cheap test first; most requests end here
            if any(
                cand.options[q].day == day
                and cand.options[q].lo < window[1]
                and cand.options[q].hi >= window[0]
                for q in cand.by_request[r]
            ):
                wait = problem.requests[r].priority * (t * cand.grain - cand.earliest_minute[r])
                others.append((-wait, r))
        for _wait, r in sorted(others)[: _LNS_PULLED - 1]:
            pulled.add(r)
            current = cand.options[placement[r][0]]
            cells.add((current.provider, current.day))
        return cells, window, pulled

    def _day_spans(self) -> list[dict[int, tuple[int, int]]]:
        """Per request and day: the earliest and latest start grain of its options that
        day (computed once)."""
        if self._spans is None:
            options = self.cand.options
            self._spans = []
            for opts in self.cand.by_request:
                span: dict[int, tuple[int, int]] = {}
                for o in opts:
                    opt = options[o]
                    lo, hi = span.get(opt.day, (opt.lo, opt.hi))
                    span[opt.day] = (min(lo, opt.lo), max(hi, opt.hi))
                self._spans.append(span)
        return self._spans

    def _focus_cells(self, focus: int) -> set[tuple[int, int]]:
        """Cells around one request and the requests linked to it.

        For each of them: some of its eligible providers (its current one included), on its
        first possible day and its current day when placed, or on one or two of its
        possible days when not.  Linked partners come along so that, say, a follow-up can be
        placed by moving the first visit earlier.
        """
        cand, rng = self.cand, self.rng
        placement = self.incumbent.placement
        cells: set[tuple[int, int]] = set()
        group = [focus, *self._partners(focus)]
        share = max(1, self.lns_size // len(group))
        for q in group:
            opts = cand.by_request[q]
            if not opts:
                continue
            providers = sorted({cand.options[o].provider for o in opts})
            size = self.lns_size if q == focus else share
            if len(providers) > size:
                providers = [int(p) for p in rng.choice(providers, size=size, replace=False)]
            option_days = sorted({cand.options[o].day for o in opts})
            if q in placement:
                current = cand.options[placement[q][0]]
                providers.append(current.provider)
                days = {option_days[0], current.day}
            else:  # every day it could go, so that what it displaces can move too
                days = set(option_days)
            cells.update((int(p), d) for p in providers for d in days)
        return cells

    def _partners(self, r: int) -> list[int]:
        """Requests tied to ``r`` by any link, either way."""
        problem = self.problem
        out = [problem.request_index[link.request_id] for link in problem.requests[r].links]
        out += self._linked_from.get(r, [])
        return out

    def _pick_focus(self) -> int | None:
        """A request that is unscheduled though it has options, or waits long (weighted)."""
        cand = self.cand
        placement = self.incumbent.placement
        weights = []
        requests = []
        for r, opts in enumerate(cand.by_request):
            if not opts or r in cand.locked:
                continue
            prio = self.problem.requests[r].priority
            if r not in placement:
                weight = 30.0 * prio * 1440
            else:
                t = placement[r][1]
                weight = float(prio * (t * cand.grain - cand.earliest_minute[r]))
            if weight > 0:
                weights.append(weight)
                requests.append(r)
        if not requests:
            return None
        p = np.asarray(weights) / sum(weights)
        return int(requests[int(self.rng.choice(len(requests), p=p))])


def _first_gap(busy: list[tuple[int, int]], lo: int, hi: int, duration: int) -> int | None:
    """The earliest start in [lo, hi] at which ``duration`` grains overlap none of the
    ``busy`` spans (unsorted, non-overlapping ``(start, end)``)."""
    t = lo
    for s, e in sorted(busy):
        if t > hi:
            return None
        if e <= t:
            continue
        if s >= t + duration:
            return t
        t = max(t, e)
    return t if t <= hi else None


def _unscheduled_priority(problem: Problem, placement: Placement) -> int:
    return sum(r.priority for i, r in enumerate(problem.requests) if i not in placement)


def earliest_start_bound(problem: Problem, cand: Candidates) -> int:
    """A proven lower bound: every request at its earliest possible start, or unscheduled
    where that is cheaper; every other term at zero.

    Valid because all terms are non-negative, a scheduled request starts no earlier than its
    earliest option, and a request without options is always unscheduled.  It is weak on
    loaded weeks (it ignores capacity); it is what CP-SAT's own bound reaches there too.
    """
    weights = problem.weights
    grain = cand.grain
    total = 0
    for r, request in enumerate(problem.requests):
        unscheduled = weights.unscheduled * request.priority
        options = cand.by_request[r]
        if not options:
            total += unscheduled
            continue
        earliest = min(cand.options[o].lo for o in options)
        wait = (
            weights.access_wait
            * request.priority
            * max(0, earliest * grain - cand.earliest_minute[r])
        )
        total += wait if r in cand.locked else min(wait, unscheduled)
    return total


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
