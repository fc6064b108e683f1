"""The straightforward CP-SAT model, kept as a baseline for the engine: deliberately naive.

This is the model one writes first (``DESIGN.md``, "Performance"): for every request, one
optional interval per candidate option (a provider's session block on a date, from
:func:`~psr_sched.solver.candidates.build_candidates`) and one optional interval per
compatible concrete room; a ``NoOverlap`` per provider and per room over the whole horizon;
at most one placement per request; the front desk as one cumulative; links written directly
on start variables and date ordinals; every objective term of ``docs/rules.md``.  CP-SAT runs
with its default parameters except the time limit, the number of workers and the seed.

What it deliberately does *not* do, and the engine does: pool interchangeable rooms into a
cumulative, split the horizon into days, hint a greedy schedule, fall back to one, search
neighbourhoods, or tune parameters.  It shares no code with :mod:`psr_sched.solver.model`; the
candidate options (eligibility, windows, session blocks, room hours), the objective terms of a
found schedule (:func:`~psr_sched.solver.extract.evaluate`) and the reasons of unscheduled
requests are the solver's, so its schedules are reported like the engine's and go through the
same validation.

The objective CP-SAT minimizes equals the weighted objective of ``docs/rules.md`` at every
solution where each provider-day's first-start and last-end variables are tight (always true
at the optimum), and every schedule that keeps the rules is a solution of the model, so
CP-SAT's best bound is a proven lower bound on the problem's weighted objective.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from psr_sched import (
    BeforeVisit,
    FollowUp,
    Problem,
    Result,
    SameDaySequence,
    SolveStatus,
)
from psr_sched.solver.candidates import Candidates, build_candidates
from psr_sched.solver.extract import (
    assignments,
    evaluate,
    preferred_spans,
    unscheduled_reasons,
)

__all__ = ["BaselineOutcome", "solve_baseline"]

#: OR-Tools' linear expressions and literals (see the note in psr_sched.solver.model).
LinearExpr = Any
Literal = Any


@dataclass(slots=True)
class BaselineOutcome:
    """What one baseline solve gives.

    Attributes
    ----------
    result : Result or None
        The schedule as a :class:`~psr_sched.Result` (terms recomputed from the placement),
        or ``None`` when CP-SAT found no schedule within the time limit.
    status : str
        CP-SAT's status name (``OPTIMAL``, ``FEASIBLE``, ``UNKNOWN``, ``INFEASIBLE``, ...).
    objective : int or None
        CP-SAT's objective value of the schedule.
    best_bound : int or None
        CP-SAT's proven lower bound, rounded up (``None`` when it has none).
    time_to_first_s : float or None
        Seconds from the call to the first schedule found, model building included.
    wall_time_s : float
        Seconds of the whole call.
    stats : dict
        Model size, build time and solver figures.
    """

    result: Result | None
    status: str
    objective: int | None
    best_bound: int | None
    time_to_first_s: float | None
    wall_time_s: float
    stats: dict[str, Any] = field(default_factory=dict)


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Records when the first solution arrives and how many arrive."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.first_s: float | None = None
        self.solutions = 0

    def on_solution_callback(self) -> None:
        if self.first_s is None:
            self.first_s = time.perf_counter() - self.started
        self.solutions += 1


@dataclass(slots=True)
class _Request:
    """Variables of one request with options."""

    start: cp_model.IntVar
    size: LinearExpr  # duration in grains: a constant, or a variable when it depends
    end: LinearExpr  # start + size: an affine expression, or a variable
    scheduled: LinearExpr
    present: dict[int, Literal]  # option index → literal
    rooms: dict[int, Literal] = field(default_factory=dict)  # room index → literal
    date: cp_model.IntVar | None = None  # date ordinal, for links


class _NaiveModel:
    """Builds the straightforward model: variables, constraints, objective, in that order."""

    def __init__(self, problem: Problem, cand: Candidates) -> None:
        self.problem = problem
        self.cand = cand
        self.model = cp_model.CpModel()
        self.requests: dict[int, _Request] = {}
        self.intervals: dict[int, cp_model.IntervalVar] = {}  # option → provider interval
        self.room_intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)

    # -- variables ------------------------------------------------------------------------

    def variables(self) -> None:
        model, cand = self.model, self.cand
        for r, options in enumerate(cand.by_request):
            if not options:
                continue
            spans = [[cand.options[o].lo, cand.options[o].hi] for o in options]
            start = model.new_int_var_from_domain(cp_model.Domain.from_intervals(spans), f"s{r}")
            present = {o: model.new_bool_var(f"x{o}") for o in options}
            model.add_at_most_one(present.values())
            if r in cand.locked:
                model.add(sum(present.values()) == 1)
            durations = {cand.options[o].duration for o in options}
            size: LinearExpr
            end: LinearExpr
            if len(durations) == 1:
                size = durations.pop()
                end = start + size
            else:  # the duration depends on the provider
                size = model.new_int_var(min(durations), max(durations), f"d{r}")
                end = model.new_int_var(
                    min(s for s, _ in spans) + min(durations),
                    max(e for _, e in spans) + max(durations),
                    f"e{r}",
                )
                model.add(end == start + size)
            for o in options:
                option = cand.options[o]
                model.add(start >= option.lo).only_enforce_if(present[o])
                model.add(start <= option.hi).only_enforce_if(present[o])
                if not isinstance(size, int):
                    model.add(size == option.duration).only_enforce_if(present[o])
                self.intervals[o] = model.new_optional_interval_var(
                    start, option.duration, start + option.duration, present[o], f"v{o}"
                )
            self.requests[r] = _Request(start, size, end, sum(present.values()), present)

    def rooms(self) -> None:
        """One optional interval per request and concrete room of a compatible kind."""
        model, cand = self.model, self.cand
        for r, request in self.requests.items():
            by_pool: dict[int, list[int]] = defaultdict(list)
            for o in request.present:
                if cand.options[o].pool >= 0:
                    by_pool[cand.options[o].pool].append(o)
            for pool_index, options in by_pool.items():
                pool = cand.pools[pool_index]
                in_room = []
                for room in pool.rooms:
                    literal = model.new_bool_var(f"y{r}_{room}")
                    request.rooms[room] = literal
                    in_room.append(literal)
                    self.room_intervals[room].append(
                        model.new_optional_interval_var(
                            request.start,
                            request.size + pool.turnover,
                            request.end + pool.turnover,
                            literal,
                            f"room{r}_{room}",
                        )
                    )
                # A room of this pool exactly when an option of this pool is chosen: the
                # option's start range already lies inside the pool's open hours.
                model.add(sum(in_room) == sum(request.present[o] for o in options))

    # -- constraints ----------------------------------------------------------------------

    def provider_no_overlap(self) -> None:
        """One NoOverlap per provider over the whole horizon, and the daily maximum."""
        by_provider: dict[int, list[int]] = defaultdict(list)
        for o in self.intervals:
            by_provider[self.cand.options[o].provider].append(o)
        for provider, options in by_provider.items():
            self.model.add_no_overlap([self.intervals[o] for o in options])
            cap = self.problem.providers[provider].max_visits_per_day
            if cap is None:
                continue
            by_day: dict[int, list[Literal]] = defaultdict(list)
            for o in options:
                option = self.cand.options[o]
                by_day[option.day].append(self.requests[option.request].present[o])
            for literals in by_day.values():
                self.model.add(sum(literals) <= cap)

    def room_no_overlap(self) -> None:
        """One NoOverlap per room; each visit holds its room for duration plus turnover."""
        for intervals in self.room_intervals.values():
            self.model.add_no_overlap(intervals)

    def patient_no_overlap(self) -> None:
        by_patient: dict[str, list[int]] = defaultdict(list)
        for r in self.requests:
            by_patient[self.problem.requests[r].patient_id].append(r)
        for requests in by_patient.values():
            if len(requests) > 1:
                self.model.add_no_overlap(
                    [self.intervals[o] for r in requests for o in self.requests[r].present]
                )

    def front_desk(self) -> None:
        """One cumulative over the horizon: each arrival holds a station before its start;
        fixed intervals take away the stations that are not open."""
        cand, model = self.cand, self.model
        holds = [
            (r, cand.check_in[r]) for r in self.requests if cand.check_in[r] > 0
        ]  # empty without a front desk
        if not holds:
            return
        segments = sorted(s for day in cand.desk_spans for s in day)
        capacity = max((stations for _, _, stations in segments), default=0)
        if capacity == 0:
            for r, _ in holds:
                model.add(self.requests[r].scheduled == 0)
            return
        intervals = []
        demands = []
        for r, minutes in holds:
            request = self.requests[r]
            literal = model.new_bool_var(f"arrives{r}")
            model.add(literal == request.scheduled)
            intervals.append(
                model.new_optional_interval_var(
                    request.start - minutes, minutes, request.start, literal, f"desk{r}"
                )
            )
            demands.append(1)
        first = min(cand.options[o].lo for r, _ in holds for o in self.requests[r].present)
        last = max(cand.options[o].hi for r, _ in holds for o in self.requests[r].present)
        cursor = first - max(minutes for _, minutes in holds)
        for s, e, stations in [*segments, (last, last, capacity)]:
            if cursor < s:
                intervals.append(model.new_fixed_size_interval_var(cursor, s - cursor, "closed"))
                demands.append(capacity)
            if stations < capacity and s < e:
                intervals.append(model.new_fixed_size_interval_var(s, e - s, "fewer"))
                demands.append(capacity - stations)
            cursor = max(cursor, e)
        model.add_cumulative(intervals, demands, capacity)

    def _date(self, r: int) -> cp_model.IntVar:
        """The date ordinal of request ``r``'s visit (free when it is unscheduled)."""
        request = self.requests[r]
        if request.date is None:
            dates = self.cand.horizon.dates
            ordinals = sorted(
                {dates[self.cand.options[o].day].toordinal() for o in request.present}
            )
            request.date = self.model.new_int_var_from_domain(
                cp_model.Domain.from_values(ordinals), f"date{r}"
            )
            for o, literal in request.present.items():
                ordinal = dates[self.cand.options[o].day].toordinal()
                self.model.add(request.date == ordinal).only_enforce_if(literal)
        return request.date

    def links(self) -> None:
        """Same-day sequences, follow-ups and before-visit links, on starts and dates."""
        model, grain = self.model, self.cand.grain
        problem = self.problem
        for b, request in enumerate(problem.requests):
            for link in request.links:
                a = problem.request_index[link.request_id]
                first, second = self.requests.get(a), self.requests.get(b)
                if isinstance(link, SameDaySequence | BeforeVisit):
                    # Both or neither; a partner without options keeps the other out.
                    if first is None or second is None:
                        for one in (first, second):
                            if one is not None:
                                model.add(one.scheduled == 0)
                        continue
                    model.add(first.scheduled == second.scheduled)
                    both = model.new_bool_var(f"linked{a}_{b}")
                    model.add(both == second.scheduled)
                    if isinstance(link, SameDaySequence):
                        gap = second.start - first.end
                        model.add(self._date(a) == self._date(b)).only_enforce_if(both)
                        model.add(gap >= -(-link.min_gap_minutes // grain)).only_enforce_if(both)
                        model.add(gap <= link.max_gap_minutes // grain).only_enforce_if(both)
                    else:
                        model.add(self._date(b) <= self._date(a)).only_enforce_if(both)
                        model.add(
                            self._date(b) >= self._date(a) - link.max_days_before
                        ).only_enforce_if(both)
                elif isinstance(link, FollowUp):
                    if second is None:
                        continue
                    if first is None:
                        model.add(second.scheduled == 0)
                        continue
                    model.add(second.scheduled <= first.scheduled)
                    follows = model.new_bool_var(f"follows{a}_{b}")
                    model.add(follows == second.scheduled)
                    model.add(self._date(b) >= self._date(a) + link.min_days).only_enforce_if(
                        follows
                    )

    # -- objective ------------------------------------------------------------------------

    def objective(self) -> None:
        model, cand, problem = self.model, self.cand, self.problem
        weights = problem.weights
        grain = cand.grain
        terms: list[LinearExpr] = []
        constant = 0
        for r, request in enumerate(problem.requests):
            priority = request.priority
            pin = problem.pin_by_request.get(request.id)
            movable = pin is not None and not pin.locked
            variables = self.requests.get(r)
            if variables is None:
                constant += weights.unscheduled * priority
                if movable and pin is not None:
                    constant += weights.pinned_move * pin.move_cost
                continue
            unscheduled = 1 - variables.scheduled
            terms.append(weights.unscheduled * priority * unscheduled)
            # Wait counts only when scheduled: an unscheduled request sits at its lowest start.
            lowest = min(cand.options[o].lo for o in variables.present)
            model.add(variables.start == lowest).only_enforce_if(
                [literal.Not() for literal in variables.present.values()]
            )
            earliest = cand.earliest_minute[r]
            terms.append(weights.access_wait * priority * (grain * variables.start - earliest))
            terms.append(
                -weights.access_wait * priority * (grain * lowest - earliest) * unscheduled
            )
            if request.preferred_provider_ids:
                wanted = {problem.provider_index[p] for p in request.preferred_provider_ids}
                terms.extend(
                    weights.provider_preference_miss * literal
                    for o, literal in variables.present.items()
                    if cand.options[o].provider not in wanted
                )
            if request.preferred_times:
                inside = model.new_bool_var(f"on_time{r}")
                spans = preferred_spans(problem, cand, r)
                if spans:
                    domain = cp_model.Domain.from_intervals([[s, e - 1] for s, e in spans])
                    model.add_linear_expression_in_domain(variables.start, domain).only_enforce_if(
                        inside
                    )
                else:
                    model.add(inside == 0)
                model.add(inside <= variables.scheduled)
                terms.append(weights.time_preference_miss * (variables.scheduled - inside))
            if weights.out_of_network is not None:
                terms.extend(
                    weights.out_of_network * literal
                    for o, literal in variables.present.items()
                    if not cand.options[o].in_network
                )
            if movable and pin is not None:
                kept = model.new_bool_var(f"kept{r}")
                pinned_option = cand.pinned_option.get(r)
                if pinned_option is None or pinned_option not in variables.present:
                    model.add(kept == 0)
                else:
                    # Kept: the booked provider at the booked start (any of its options).
                    booked = problem.provider_index[pin.provider_id]
                    model.add(
                        sum(
                            literal
                            for o, literal in variables.present.items()
                            if cand.options[o].provider == booked
                        )
                        == 1
                    ).only_enforce_if(kept)
                    model.add(variables.start == cand.pinned_start[r]).only_enforce_if(kept)
                terms.append(weights.pinned_move * pin.move_cost * (1 - kept))
        terms.append(weights.idle_gap * self._idle_gap())
        model.minimize(sum(terms) + constant)

    def _idle_gap(self) -> LinearExpr:
        """Per provider-day: last end − first start − minutes seen, in minutes."""
        model, cand = self.model, self.cand
        by_provider_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for o in self.intervals:
            by_provider_day[(cand.options[o].provider, cand.options[o].day)].append(o)
        total: list[LinearExpr] = []
        for (provider, day), options in by_provider_day.items():
            lo = min(cand.options[o].lo for o in options)
            hi = max(cand.options[o].hi + cand.options[o].duration for o in options)
            first = model.new_int_var(lo, hi, f"first{provider}_{day}")
            last = model.new_int_var(lo, hi, f"last{provider}_{day}")
            model.add(last >= first)
            busy = []
            for o in options:
                option = cand.options[o]
                request = self.requests[option.request]
                literal = request.present[o]
                model.add(first <= request.start).only_enforce_if(literal)
                model.add(last >= request.start + option.duration).only_enforce_if(literal)
                busy.append(option.duration * literal)
            total.append(cand.grain * (last - first - sum(busy)))
        return sum(total)

    def build(self) -> cp_model.CpModel:
        self.variables()
        self.rooms()
        self.provider_no_overlap()
        self.room_no_overlap()
        self.patient_no_overlap()
        self.front_desk()
        self.links()
        self.objective()
        return self.model


def solve_baseline(
    problem: Problem, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0
) -> BaselineOutcome:
    """Build and solve the straightforward model within ``time_limit_s`` of wall time.

    The limit covers building the candidates and the model too: CP-SAT gets what is left
    (at least 10 ms).

    Parameters
    ----------
    problem : Problem
        The problem.
    time_limit_s : float
        Wall-clock limit of the whole call, seconds.
    workers : int
        CP-SAT's ``num_workers``.
    seed : int
        CP-SAT's ``random_seed``.

    Returns
    -------
    BaselineOutcome
        The schedule (or none), CP-SAT's status, objective and bound, and timings.
    """
    started = time.perf_counter()
    cand = build_candidates(problem)
    naive = _NaiveModel(problem, cand)
    model = naive.build()
    build_s = time.perf_counter() - started
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s - build_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    callback = _FirstSolution(started)
    status = solver.solve(model, callback)
    name = solver.status_name(status)
    proto = model.proto
    stats: dict[str, Any] = {
        "cpsat_status": name,
        "model_build_s": round(build_s, 3),
        "cpsat_time_limit_s": round(solver.parameters.max_time_in_seconds, 3),
        "cpsat_wall_s": round(solver.wall_time, 3),
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
        "options": len(cand.options),
        "solutions": callback.solutions,
    }
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    bound: int | None = None
    if status != cp_model.MODEL_INVALID and status != cp_model.INFEASIBLE:
        raw = solver.best_objective_bound
        if math.isfinite(raw):
            # Every term is non-negative, so zero is a bound too.
            bound = max(0, math.ceil(raw - 1e-6))
    if bound is not None:
        stats["bound_source"] = "cp-sat"
    if not found:
        return BaselineOutcome(None, name, None, bound, None, time.perf_counter() - started, stats)
    placement: dict[int, tuple[int, int]] = {}
    rooms: dict[int, int] = {}
    for r, variables in naive.requests.items():
        chosen = [o for o, literal in variables.present.items() if solver.boolean_value(literal)]
        if not chosen:
            continue
        placement[r] = (chosen[0], int(solver.value(variables.start)))
        rooms.update(
            (r, room) for room, literal in variables.rooms.items() if solver.boolean_value(literal)
        )
    terms = evaluate(problem, cand, placement)
    objective = terms.total(problem.weights)
    cpsat_objective = round(solver.objective_value)
    stats["cpsat_objective"] = cpsat_objective
    wall = time.perf_counter() - started
    result = Result(
        problem_name=problem.name,
        status=(
            SolveStatus.OPTIMAL
            if bound is not None and bound >= objective
            else SolveStatus.FEASIBLE
        ),
        assignments=tuple(assignments(problem, cand, placement, rooms)),
        unscheduled=tuple(unscheduled_reasons(problem, cand, placement)),
        terms=terms,
        weights=problem.weights,
        objective=objective,
        best_bound=bound,
        wall_time_s=wall,
        time_to_first_s=callback.first_s,
        stats=stats,
    )
    return BaselineOutcome(result, name, cpsat_objective, bound, callback.first_s, wall, stats)
