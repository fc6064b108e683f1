"""The CP-SAT model: variables, then one function per constraint family, then the objective.

The model can be built for all requests or for a neighbourhood: requests outside ``free``
are fixed at their current place (or fixed unscheduled), which is how the large-neighbourhood
search re-optimizes a part of a schedule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from psr_sched.domain import BeforeVisit, FollowUp, SameDaySequence, Weights
from psr_sched.problem import Problem
from psr_sched.solver.candidates import Candidates
from psr_sched.solver.extract import preferred_spans
from psr_sched.solver.greedy import Placement

#: OR-Tools' linear expressions and literals (a Boolean variable or its negation); their
#: stub unions include numpy scalars, which arithmetic on them cannot be typed with.
LinearExpr = Any
Literal = Any


@dataclass(slots=True)
class RequestVars:
    """Variables of one request."""

    start: cp_model.IntVar
    unscheduled: cp_model.IntVar
    options: list[int]  # option indices in the model
    present: dict[int, Literal]  # option → presence literal
    min_start: int
    by_day: dict[int, list[int]] = field(default_factory=dict)  # day → options
    on_day: dict[int, Literal] = field(default_factory=dict)


@dataclass(slots=True)
class ScheduleModel:
    """A built model with handles to its variables and objective terms."""

    model: cp_model.CpModel
    requests: dict[int, RequestVars]
    terms: dict[str, LinearExpr]
    weighted: LinearExpr
    first_last: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]]
    provider_day_options: dict[tuple[int, int], list[int]]
    time_ok: dict[int, cp_model.IntVar]
    kept: dict[int, cp_model.IntVar]


class ModelBuilder:
    """Builds a :class:`ScheduleModel` for ``problem`` (optionally a neighbourhood)."""

    def __init__(
        self,
        problem: Problem,
        cand: Candidates,
        free: set[int] | None = None,
        fixed: Placement | None = None,
        cells: set[tuple[int, int]] | None = None,
        weights: Weights | None = None,
    ) -> None:
        self.problem = problem
        self.weights = weights or problem.weights
        self.cand = cand
        self.grain = cand.grain
        self.model = cp_model.CpModel()
        self.free = free
        self.fixed = fixed or {}
        self.vars: dict[int, RequestVars] = {}
        self.intervals: dict[int, cp_model.IntervalVar] = {}
        self.room_intervals: dict[int, cp_model.IntervalVar] = {}
        self.first_last: dict[tuple[int, int], tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        self.time_ok: dict[int, cp_model.IntVar] = {}
        self.kept: dict[int, cp_model.IntVar] = {}
        self._provider_days: dict[tuple[int, int], list[int]] | None = None
        self.cells = cells
        self.included = self._included()

    # -- variables ------------------------------------------------------------------------

    def _included(self) -> list[int]:
        """Requests in the model: all of them, or a neighbourhood's free requests plus the
        fixed ones that can interact with them (same days, same patients, links)."""
        n = len(self.problem.requests)
        if self.free is None:
            return list(range(n))
        cand, problem = self.cand, self.problem
        days = {day for _, day in self.cells} if self.cells is not None else None
        patients = {problem.requests[r].patient_id for r in self.free}
        linked: set[int] = set()
        for r, request in enumerate(problem.requests):
            for link in request.links:
                other = problem.request_index[link.request_id]
                if r in self.free:
                    linked.add(other)
                if other in self.free:
                    linked.add(r)
        keep = []
        for r in range(n):
            if r in self.free or r in linked:
                # Linked partners stay in the model even when unscheduled, so the link
                # constraints see them (as fixed visits or as fixed unscheduled).
                keep.append(r)
            elif r in self.fixed and (
                days is None
                or cand.options[self.fixed[r][0]].day in days
                or problem.requests[r].patient_id in patients
            ):
                keep.append(r)
        return keep

    def _options_of(self, r: int) -> list[int]:
        if self.free is None:
            return self.cand.by_request[r]
        if r in self.free:
            if self.cells is None:
                return self.cand.by_request[r]
            options = self.cand.options
            return [
                o
                for o in self.cand.by_request[r]
                if (options[o].provider, options[o].day) in self.cells
            ]
        if r in self.fixed:
            return [self.fixed[r][0]]
        return []

    def _variables(self) -> None:
        m = self.model
        for r in self.included:
            opts = self._options_of(r)
            fixed_at = None if (self.free is None or r in self.free) else self.fixed.get(r)
            if not opts:
                zero = m.new_constant(0)
                self.vars[r] = RequestVars(zero, m.new_constant(1), [], {}, 0)
                continue
            if fixed_at is not None:
                spans = [[fixed_at[1], fixed_at[1]]]
            else:
                spans = [[self.cand.options[o].lo, self.cand.options[o].hi] for o in opts]
            domain = cp_model.Domain.from_intervals(spans)
            min_start = int(domain.min())
            start = m.new_int_var_from_domain(domain, f"start_{r}")
            must = fixed_at is not None or r in self.cand.locked
            unscheduled = m.new_constant(0) if must else m.new_bool_var(f"unscheduled_{r}")
            present: dict[int, Literal] = {}
            if len(opts) == 1:
                present[opts[0]] = m.new_constant(1) if must else unscheduled.Not()
            else:
                for o in opts:
                    present[o] = m.new_bool_var(f"x_{o}")
                m.add_exactly_one([*present.values(), unscheduled])
            rv = RequestVars(start, unscheduled, list(opts), present, min_start)
            for o in opts:
                opt = self.cand.options[o]
                rv.by_day.setdefault(opt.day, []).append(o)
                if len(opts) > 1 and fixed_at is None:
                    m.add_linear_constraint(start, opt.lo, opt.hi).only_enforce_if(present[o])
                self.intervals[o] = m.new_optional_interval_var(
                    start, opt.duration, start + opt.duration, present[o], f"visit_{o}"
                )
                if opt.pool >= 0:
                    turnover = self.cand.pools[opt.pool].turnover
                    self.room_intervals[o] = (
                        self.intervals[o]
                        if turnover == 0
                        else m.new_optional_interval_var(
                            start,
                            opt.duration + turnover,
                            start + opt.duration + turnover,
                            present[o],
                            f"room_{o}",
                        )
                    )
            if not must:
                # An unscheduled request sits at its earliest option so its wait is a constant.
                m.add(start == min_start).only_enforce_if(unscheduled)
            self.vars[r] = rv

    def _on_day(self, r: int, day: int) -> Literal:
        rv = self.vars[r]
        if day in rv.on_day:
            return rv.on_day[day]
        opts = rv.by_day.get(day, [])
        if not opts:
            lit: Literal = self.model.new_constant(0)
        elif len(opts) == 1:
            lit = rv.present[opts[0]]
        elif len(rv.by_day) == 1:
            lit = rv.unscheduled.Not()
        else:
            lit = self.model.new_bool_var(f"on_day_{r}_{day}")
            self.model.add(lit == sum(rv.present[o] for o in opts))
        rv.on_day[day] = lit
        return lit

    # -- constraint families --------------------------------------------------------------

    def _by_provider_day(self) -> dict[tuple[int, int], list[int]]:
        if self._provider_days is None:
            groups: dict[tuple[int, int], list[int]] = defaultdict(list)
            for o in self.intervals:
                opt = self.cand.options[o]
                groups[(opt.provider, opt.day)].append(o)
            self._provider_days = dict(groups)
        return self._provider_days

    def _provider_no_overlap(self) -> None:
        """A provider sees one patient at a time; at most ``max_visits_per_day`` a day."""
        for (p, _day), opts in self._by_provider_day().items():
            if len(opts) > 1:
                self.model.add_no_overlap([self.intervals[o] for o in opts])
            cap = self.problem.providers[p].max_visits_per_day
            if cap is not None and len(opts) > cap:
                self.model.add(
                    sum(self.vars[self.cand.options[o].request].present[o] for o in opts) <= cap
                )

    def _room_capacity(self) -> None:
        """Interchangeable rooms are pooled: at most as many visits as rooms, with turnover."""
        by_pool_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for o in self.room_intervals:
            opt = self.cand.options[o]
            by_pool_day[(opt.pool, opt.day)].append(o)
        for (pool, _day), opts in by_pool_day.items():
            capacity = len(self.cand.pools[pool].rooms)
            if len(opts) <= capacity:
                continue
            intervals = [self.room_intervals[o] for o in opts]
            if capacity == 1:
                self.model.add_no_overlap(intervals)
            else:
                self.model.add_cumulative(intervals, [1] * len(intervals), capacity)

    def _patient_no_overlap(self) -> None:
        """A patient is never in two places at once."""
        by_patient: dict[str, list[int]] = defaultdict(list)
        for r, rv in self.vars.items():
            if rv.options:
                by_patient[self.problem.requests[r].patient_id].append(r)
        for requests in by_patient.values():
            if len(requests) > 1:
                self.model.add_no_overlap(
                    [self.intervals[o] for r in requests for o in self.vars[r].options]
                )

    def _front_desk(self) -> None:
        """Each arrival holds a check-in station for its check-in minutes before its start."""
        if self.problem.front_desk is None:
            return
        for day, segments in enumerate(self.cand.desk_spans):
            intervals, demands = [], []
            for r, rv in self.vars.items():
                ci = self.cand.check_in[r]
                if ci == 0 or day not in rv.by_day:
                    continue
                lit = self._on_day(r, day)
                intervals.append(
                    self.model.new_optional_interval_var(
                        rv.start - ci, ci, rv.start, lit, f"checkin_{r}_{day}"
                    )
                )
                demands.append(1)
            if not intervals:
                continue
            capacity = max((s for _, _, s in segments), default=0)
            lo, hi = self.cand.day_start[day], self.cand.day_end[day]
            cursor = lo
            for s, e, stations in [*segments, (hi, hi, capacity)]:
                if cursor < s:  # no station at all
                    intervals.append(self.model.new_fixed_size_interval_var(cursor, s - cursor, ""))
                    demands.append(capacity)
                if stations < capacity and s < e:
                    intervals.append(self.model.new_fixed_size_interval_var(s, e - s, ""))
                    demands.append(capacity - stations)
                cursor = max(cursor, e)
            if capacity == 0:
                for r, rv in self.vars.items():
                    if self.cand.check_in[r] and day in rv.by_day:
                        self.model.add(self._on_day(r, day) == 0)
                continue
            self.model.add_cumulative(intervals, demands, capacity)

    def _links(self) -> None:
        """Same-day sequences (both or neither, gap bounds) and follow-ups (N days after)."""
        m = self.model
        for b, request in enumerate(self.problem.requests):
            if b not in self.vars:
                continue
            vb = self.vars[b]
            for link in request.links:
                a = self.problem.request_index[link.request_id]
                if a not in self.vars:
                    continue
                va = self.vars[a]
                if isinstance(link, SameDaySequence):
                    m.add(va.unscheduled == vb.unscheduled)
                    if not va.options or not vb.options:
                        continue
                    for day in set(va.by_day) | set(vb.by_day):
                        m.add(self._on_day(a, day) == self._on_day(b, day))
                    lo = -(-link.min_gap_minutes // self.grain)
                    hi = link.max_gap_minutes // self.grain
                    for o in va.options:
                        dur = self.cand.options[o].duration
                        m.add(vb.start - va.start - dur >= lo).only_enforce_if(va.present[o])
                        m.add(vb.start - va.start - dur <= hi).only_enforce_if(va.present[o])
                elif isinstance(link, BeforeVisit):
                    m.add(va.unscheduled == vb.unscheduled)
                    if not va.options or not vb.options:
                        continue
                    scheduled = vb.unscheduled.Not()
                    m.add(self._date_ordinal(b) <= self._date_ordinal(a)).only_enforce_if(scheduled)
                    m.add(
                        self._date_ordinal(b) >= self._date_ordinal(a) - link.max_days_before
                    ).only_enforce_if(scheduled)
                elif isinstance(link, FollowUp):
                    m.add(va.unscheduled <= vb.unscheduled)
                    if not va.options or not vb.options:
                        continue
                    m.add(
                        self._date_ordinal(b) >= self._date_ordinal(a) + link.min_days
                    ).only_enforce_if(vb.unscheduled.Not())

    def _date_ordinal(self, r: int) -> LinearExpr:
        rv = self.vars[r]
        dates = self.cand.horizon.dates
        return sum(dates[self.cand.options[o].day].toordinal() * rv.present[o] for o in rv.options)

    # -- objective ------------------------------------------------------------------------

    def _objective_terms(self) -> dict[str, LinearExpr]:
        m = self.model
        grain = self.grain
        problem = self.problem
        unscheduled: list[LinearExpr] = []
        wait: list[LinearExpr] = []
        pref_miss: list[LinearExpr] = []
        time_miss: list[LinearExpr] = []
        move_cost: list[LinearExpr] = []
        moves: list[LinearExpr] = []
        out_of_network: list[LinearExpr] = []
        for r, rv in self.vars.items():
            request = problem.requests[r]
            prio = request.priority
            unscheduled.append(prio * rv.unscheduled)
            pin = problem.pin_by_request.get(request.id)
            if not rv.options:
                if pin is not None and not pin.locked:
                    move_cost.append(pin.move_cost)
                    moves.append(1)
                continue
            out_of_network.extend(
                rv.present[o] for o in rv.options if not self.cand.options[o].in_network
            )
            e = self.cand.earliest_minute[r]
            wait.append(prio * (grain * rv.start - e))
            wait.append(-prio * (grain * rv.min_start - e) * rv.unscheduled)
            if request.preferred_provider_ids:
                wanted = {problem.provider_index[p] for p in request.preferred_provider_ids}
                pref_miss.extend(
                    rv.present[o] for o in rv.options if self.cand.options[o].provider not in wanted
                )
            if request.preferred_times:
                spans = preferred_spans(problem, self.cand, r)
                ok = m.new_bool_var(f"time_ok_{r}")
                if spans:
                    m.add_linear_expression_in_domain(
                        rv.start, cp_model.Domain.from_intervals([[s, e - 1] for s, e in spans])
                    ).only_enforce_if(ok)
                else:
                    m.add(ok == 0)
                m.add(ok + rv.unscheduled <= 1)
                self.time_ok[r] = ok
                time_miss.append(1 - rv.unscheduled - ok)
            if pin is not None and not pin.locked and r not in self.cand.locked:
                kept = m.new_bool_var(f"kept_{r}")
                o_pin = self.cand.pinned_option.get(r)
                if o_pin is None or o_pin not in rv.present:
                    m.add(kept == 0)
                else:
                    m.add_implication(kept, rv.present[o_pin])
                    m.add(rv.start == self.cand.pinned_start[r]).only_enforce_if(kept)
                self.kept[r] = kept
                move_cost.append(pin.move_cost * (1 - kept))
                moves.append(1 - kept)
        return {
            "unscheduled_priority": sum(unscheduled),
            "access_wait": sum(wait),
            "idle_gap": self._idle_gap(),
            "provider_preference_misses": sum(pref_miss),
            "time_preference_misses": sum(time_miss),
            "pinned_moves": sum(moves),
            "pinned_move_cost": sum(move_cost),
            "out_of_network_visits": sum(out_of_network),
        }

    def _idle_gap(self) -> LinearExpr:
        """Per provider-day: last end − first start − busy minutes (exact at optimum)."""
        if self.weights.idle_gap == 0:
            return 0
        m = self.model
        total: list[LinearExpr] = []
        for key, opts in self._by_provider_day().items():
            if self.free is not None and all(
                self.cand.options[o].request not in self.free for o in opts
            ):
                continue  # only fixed visits: a constant
            lo = min(self.cand.options[o].lo for o in opts)
            hi = max(self.cand.options[o].hi + self.cand.options[o].duration for o in opts)
            first = m.new_int_var(lo, hi, f"first_{key}")
            last = m.new_int_var(lo, hi, f"last_{key}")
            m.add(last >= first)
            busy = []
            for o in opts:
                opt = self.cand.options[o]
                rv = self.vars[opt.request]
                lit = rv.present[o]
                m.add(first <= rv.start).only_enforce_if(lit)
                m.add(last >= rv.start + opt.duration).only_enforce_if(lit)
                busy.append(opt.duration * lit)
            self.first_last[key] = (first, last)
            total.append(self.grain * (last - first - sum(busy)))
        return sum(total)

    # -- assembly -------------------------------------------------------------------------

    def build(self) -> ScheduleModel:
        """Variables, constraints in one visible sequence, then the objective."""
        self._variables()
        self._provider_no_overlap()
        self._room_capacity()
        self._patient_no_overlap()
        self._front_desk()
        self._links()
        terms = self._objective_terms()
        w = self.weights
        weighted = cp_model.LinearExpr.weighted_sum(
            [
                terms["unscheduled_priority"],
                terms["access_wait"],
                terms["idle_gap"],
                terms["provider_preference_misses"],
                terms["time_preference_misses"],
                terms["pinned_move_cost"],
                terms["out_of_network_visits"],
            ],
            [
                w.unscheduled,
                w.access_wait,
                w.idle_gap,
                w.provider_preference_miss,
                w.time_preference_miss,
                w.pinned_move,
                w.out_of_network or 0,
            ],
        )
        return ScheduleModel(
            self.model,
            self.vars,
            terms,
            weighted,
            self.first_last,
            self._by_provider_day(),
            self.time_ok,
            self.kept,
        )


def add_hint(sm: ScheduleModel, problem: Problem, cand: Candidates, placement: Placement) -> None:
    """Hint every decision variable with a complete placement (each variable once)."""
    hints: dict[int, tuple[cp_model.IntVar, int]] = {}

    def hint(var: Literal, value: int) -> None:
        if isinstance(var, cp_model.IntVar):
            hints.setdefault(var.index, (var, value))
        else:  # a negated Boolean
            base = var.Not()
            hints.setdefault(base.index, (base, 1 - value))

    for r, rv in sm.requests.items():
        if not rv.options:
            continue
        chosen = placement.get(r)
        for o, lit in rv.present.items():
            hint(lit, 1 if chosen is not None and chosen[0] == o else 0)
        hint(rv.unscheduled, 0 if chosen is not None else 1)
        hint(rv.start, chosen[1] if chosen is not None else rv.min_start)
        for day, lit in rv.on_day.items():
            hint(lit, 1 if chosen is not None and cand.options[chosen[0]].day == day else 0)
    spans: dict[tuple[int, int], list[int]] = {}
    for r, (o, t) in placement.items():
        if r not in sm.requests or not sm.requests[r].options:
            continue
        opt = cand.options[o]
        key = (opt.provider, opt.day)
        end = t + opt.duration
        if key in spans:
            spans[key] = [min(spans[key][0], t), max(spans[key][1], end)]
        else:
            spans[key] = [t, end]
    for key, (first, last) in sm.first_last.items():
        if key in spans:
            hint(first, spans[key][0])
            hint(last, spans[key][1])
        else:
            lowest = min(cand.options[o].lo for o in sm.provider_day_options[key])
            hint(first, lowest)
            hint(last, lowest)
    for r, ok in sm.time_ok.items():
        chosen = placement.get(r)
        spans_r = preferred_spans(problem, cand, r)
        inside = chosen is not None and any(s <= chosen[1] < e for s, e in spans_r)
        hint(ok, 1 if inside else 0)
    for r, kept in sm.kept.items():
        chosen = placement.get(r)
        same = (
            chosen is not None
            and chosen[0] == cand.pinned_option.get(r)
            and chosen[1] == cand.pinned_start.get(r)
        )
        hint(kept, 1 if same else 0)
    model = sm.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for var, value in hints.values():
        if not _is_constant(var):
            model.add_hint(var, value)


def _is_constant(var: cp_model.IntVar) -> bool:
    domain = var.proto.domain
    return len(domain) == 2 and domain[0] == domain[1]
