"""Building the CP-SAT model (``psr_sched.solver.model``).

The builder writes variables and constraints through a writer: protobuf text parsed in one
call on OR-Tools ≥ 9.15 (:class:`~psr_sched.solver.model._TextWriter`), the ``CpModel``
methods otherwise (:class:`~psr_sched.solver.model._ApiWriter`).  The text is hand-written in
the form ``CpModel.add`` gives, so the two must write the same model, entry for entry: that
is checked here on clinics with every constraint family, whole and as neighbourhoods.  The
model's meaning is checked against the evaluator: a greedy schedule, hinted and fixed, is
feasible and costs what :func:`~psr_sched.solver.extract.evaluate` says.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from psr_sched import Problem, Weights
from psr_sched.demo import generate_clinic
from psr_sched.demo_intake import demo_intake
from psr_sched.intake.facts import IntakePolicy
from psr_sched.solver import model as model_module
from psr_sched.solver.candidates import Candidates, build_candidates, search_weights
from psr_sched.solver.extract import evaluate
from psr_sched.solver.greedy import Placement, greedy
from psr_sched.solver.model import ModelBuilder, RequestVars, ScheduleModel, add_hint

NATIVE = hasattr(cp_model.CpModel().proto, "merge_text_format")
native_only = pytest.mark.skipif(
    not NATIVE, reason="the text writer needs OR-Tools' C++ model proto (OR-Tools ≥ 9.15)"
)

_MIN, _MAX = -(2**63), 2**63 - 1


@dataclass
class Case:
    name: str
    problem: Problem
    cand: Candidates
    placement: Placement


def _case(name: str, problem: Problem) -> Case:
    cand = build_candidates(problem)
    return Case(name, problem, cand, greedy(problem, cand))


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    """Small clinics with every constraint family: rooms with and without turnover, a front
    desk, pins (locked and movable), preferences, a provider day limit, same-day sequences,
    follow-ups, before-visit links and (soft networks) out-of-network options."""
    clinic = generate_clinic(seed=0, providers=8, days=3)
    intake = demo_intake(clinic, 0)
    out = [
        _case("clinic", clinic),
        _case("intake-soft", intake.apply(clinic, IntakePolicy(network="soft"))),
        _case("intake-hard", intake.apply(clinic, IntakePolicy())),
        _case("small", generate_clinic(seed=2, providers=6, exam_rooms=3, procedure_rooms=2)),
    ]
    no_idle = clinic.model_copy(update={"weights": Weights(idle_gap=0)})
    out.append(_case("no-idle-gap", no_idle))
    return out


def _neighbourhoods(
    case: Case, count: int, seed: int
) -> Iterator[tuple[set[int], set[tuple[int, int]]]]:
    """Neighbourhoods like the search's: a few providers on one or two days; every visit
    booked there is free, and so are some unscheduled requests that could go there."""
    rng = random.Random(seed)
    cand, placement = case.cand, case.placement
    n_providers, n_days = len(case.problem.providers), len(cand.day_start)
    for _ in range(count):
        providers = rng.sample(range(n_providers), k=min(n_providers, 3))
        first = rng.randrange(n_days)
        days = {first, min(n_days - 1, first + 1)}
        cells = {(p, d) for p in providers for d in days}
        free = {
            r
            for r, (o, _t) in placement.items()
            if (cand.options[o].provider, cand.options[o].day) in cells and r not in cand.locked
        }
        free |= {
            r
            for r, opts in enumerate(cand.by_request)
            if r not in placement
            and any((cand.options[o].provider, cand.options[o].day) in cells for o in opts)
        }
        yield free, cells


def _text(sm: ScheduleModel, case: Case) -> str:
    """The whole model as the search uses it: hinted, a bound on a term, minimized."""
    add_hint(sm, case.problem, case.cand, case.placement)
    sm.model.add(sm.terms["unscheduled_priority"] <= 10**6)
    sm.model.minimize(sm.weighted)
    return str(sm.model.proto)


def _build_both(
    monkeypatch: pytest.MonkeyPatch, case: Case, **kwargs: Any
) -> tuple[ScheduleModel, ScheduleModel]:
    """The model built by the text writer, and by the API writer."""
    weights = search_weights(case.problem, case.cand)
    text = ModelBuilder(case.problem, case.cand, weights=weights, **kwargs).build()
    with monkeypatch.context() as m:
        m.setattr(model_module, "_writer", model_module._ApiWriter)
        api = ModelBuilder(case.problem, case.cand, weights=weights, **kwargs).build()
    return text, api


def _same_handles(a: ScheduleModel, b: ScheduleModel) -> None:
    assert list(a.requests) == list(b.requests)
    for r, ra in a.requests.items():
        rb = b.requests[r]
        assert (ra.options, ra.min_start, ra.by_day) == (rb.options, rb.min_start, rb.by_day)
        assert (ra.start.index, ra.unscheduled.index) == (rb.start.index, rb.unscheduled.index)
        assert {o: str(x) for o, x in ra.present.items()} == {
            o: str(x) for o, x in rb.present.items()
        }
        assert {d: str(x) for d, x in ra.on_day.items()} == {
            d: str(x) for d, x in rb.on_day.items()
        }
    assert {k: (f.index, la.index) for k, (f, la) in a.first_last.items()} == {
        k: (f.index, la.index) for k, (f, la) in b.first_last.items()
    }
    assert {r: v.index for r, v in a.time_ok.items()} == {r: v.index for r, v in b.time_ok.items()}
    assert {r: v.index for r, v in a.kept.items()} == {r: v.index for r, v in b.kept.items()}
    assert a.provider_day_options == b.provider_day_options
    assert a.fixed_vars == b.fixed_vars


@native_only
def test_text_and_api_writers_build_the_same_full_model(
    cases: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in cases:
        text, api = _build_both(monkeypatch, case)
        _same_handles(text, api)
        assert _text(text, case) == _text(api, case), case.name


@native_only
def test_text_and_api_writers_build_the_same_neighbourhoods(
    cases: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in cases[:3]:
        for free, cells in _neighbourhoods(case, 6, seed=len(case.name)):
            for kwargs in (
                {"free": free, "fixed": case.placement, "cells": cells},
                {"free": free, "fixed": case.placement},  # every option of a free request
            ):
                text, api = _build_both(monkeypatch, case, **kwargs)
                _same_handles(text, api)
                assert _text(text, case) == _text(api, case), (case.name, kwargs)
    # The locked core: free requests, nothing fixed.
    case = cases[1]
    core = set(case.cand.locked)
    text, api = _build_both(monkeypatch, case, free=core, fixed={})
    assert _text(text, case) == _text(api, case)


def _fixed_to_hint(sm: ScheduleModel) -> tuple[cp_model.CpSolver, str]:
    """Solve with every hinted variable fixed to its hint: the solver and its status."""
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    sm.model.minimize(sm.weighted)
    return solver, solver.status_name(solver.solve(sm.model))


def test_a_hinted_greedy_schedule_is_feasible_and_costs_what_the_evaluator_says(
    cases: list[Case],
) -> None:
    for case in cases:
        weights = search_weights(case.problem, case.cand)
        sm = ModelBuilder(case.problem, case.cand, weights=weights).build()
        add_hint(sm, case.problem, case.cand, case.placement)
        solver, status = _fixed_to_hint(sm)
        assert status in ("OPTIMAL", "FEASIBLE"), case.name
        expected = evaluate(case.problem, case.cand, case.placement)
        assert round(solver.objective_value) == expected.total(weights), case.name
        assert solver.value(sm.terms["unscheduled_priority"]) == expected.unscheduled_priority
        assert solver.value(sm.terms["access_wait"]) == expected.access_wait
        if weights.idle_gap:  # else not modelled
            assert solver.value(sm.terms["idle_gap"]) == expected.idle_gap
        for r, rv in sm.requests.items():
            chosen = [o for o in rv.options if solver.boolean_value(rv.present[o])]
            if r in case.placement:
                assert chosen == [case.placement[r][0]]
                assert solver.value(rv.start) == case.placement[r][1]
            else:
                assert chosen == []
                assert solver.boolean_value(rv.unscheduled)


def _status_with(sm: ScheduleModel, *constraints: Any) -> str:
    """The solve status of ``sm`` with ``constraints`` added (on a copy)."""
    model = sm.model.clone()
    for constraint in constraints:
        model.add(constraint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    return solver.status_name(solver.solve(model))


def _taken(sm: ScheduleModel, cand: Candidates) -> Iterator[tuple[RequestVars, int]]:
    """(request, option) pairs whose option can be taken, and whose start range has starts
    of the request's other options just before and just after it."""
    options = cand.options

    def covered(rv: RequestVars, t: int) -> bool:  # t is in the start range of some option
        return any(options[p].lo <= t <= options[p].hi for p in rv.options)

    for rv in sm.requests.values():
        for o in rv.options:
            opt = options[o]
            if (
                len(rv.options) > 1
                and covered(rv, opt.lo - 1)
                and covered(rv, opt.hi + 1)
                and _status_with(sm, rv.present[o] == 1) != "INFEASIBLE"
            ):
                yield rv, o


def test_start_ranges_bind_every_option(cases: list[Case]) -> None:
    """A request's start ranges are two linear constraints (``ModelBuilder._start_range``),
    yet each option's range holds: a taken option's start stays in it, and an unscheduled
    request sits at its earliest start.  (Checked without an idle gap, whose provider-day
    spans also keep a visit off the day's edges.)"""
    case = cases[4]
    assert case.problem.weights.idle_gap == 0
    sm = ModelBuilder(case.problem, case.cand).build()
    rv, o = next(_taken(sm, case.cand))
    x, start, opt = rv.present[o], rv.start, case.cand.options[o]
    assert _status_with(sm, x == 1, start == opt.lo) != "INFEASIBLE"
    assert _status_with(sm, x == 1, start == opt.hi) != "INFEASIBLE"
    assert _status_with(sm, x == 1, start == opt.lo - 1) == "INFEASIBLE"
    assert _status_with(sm, x == 1, start == opt.hi + 1) == "INFEASIBLE"
    assert _status_with(sm, rv.unscheduled == 1, start == rv.min_start) != "INFEASIBLE"
    assert _status_with(sm, rv.unscheduled == 1, start == rv.min_start + 1) == "INFEASIBLE"


def test_idle_spans_cover_every_visit(cases: list[Case]) -> None:
    """A provider-day's span [first, last) is two intervals in its no-overlap
    (``ModelBuilder._idle_span``), yet it covers every visit taken there."""
    case = cases[0]
    sm = ModelBuilder(case.problem, case.cand).build()
    rv, o = next(_taken(sm, case.cand))
    x, start, opt = rv.present[o], rv.start, case.cand.options[o]
    first, last = sm.first_last[opt.provider, opt.day]
    assert _status_with(sm, x == 1, first == start + 1) == "INFEASIBLE"
    assert _status_with(sm, x == 1, last == start + opt.duration - 1) == "INFEASIBLE"


def test_a_neighbourhood_keeps_the_schedule_feasible(cases: list[Case]) -> None:
    case = cases[1]
    for free, cells in _neighbourhoods(case, 4, seed=7):
        sm = ModelBuilder(
            case.problem, case.cand, free=free, fixed=case.placement, cells=cells
        ).build()
        add_hint(sm, case.problem, case.cand, case.placement)
        assert _fixed_to_hint(sm)[1] in ("OPTIMAL", "FEASIBLE")
        for r, rv in sm.requests.items():
            if r not in free and r in case.placement:  # fixed at its place
                assert rv.options == [case.placement[r][0]]
                assert sm.fixed_vars is not None and rv.start.index in sm.fixed_vars


def test_handles_are_named_like_the_model(cases: list[Case]) -> None:
    case = cases[0]
    sm = ModelBuilder(case.problem, case.cand, names=True).build()
    multi = 0
    for r, rv in sm.requests.items():
        if not rv.options:
            assert sm.fixed_vars is not None and rv.unscheduled.index in sm.fixed_vars
            continue
        assert rv.start.name == f"start_{r}"
        assert rv.min_start == min(case.cand.options[o].lo for o in rv.options)
        if len(rv.options) > 1:
            assert rv.unscheduled.name == f"unscheduled_{r}"
            assert [rv.present[o].name for o in rv.options] == [f"x_{o}" for o in rv.options]
            multi += 1
    assert multi > 0
    assert sm.first_last
    for key, (first, last) in sm.first_last.items():
        assert (first.name, last.name) == (f"first_{key}", f"last_{key}")


def test_the_model_is_unnamed_unless_asked(cases: list[Case]) -> None:
    case = cases[0]
    proto = ModelBuilder(case.problem, case.cand).build().model.proto
    assert not any(v.name for v in proto.variables)
    assert not any(c.name for c in proto.constraints)


@native_only
def test_text_and_api_writers_name_the_same_model(
    cases: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in cases:
        text, api = _build_both(monkeypatch, case, names=True)
        _same_handles(text, api)
        written = _text(text, case)
        assert written == _text(api, case), case.name
        assert 'name: "visit_' in written


# -- linear constraints in CpModel.add's form ---------------------------------------------

_LITERALS = st.integers(min_value=-4, max_value=5)  # variables 0..5; -1..-4 negate 0..3
_BOOLEANS = st.integers(min_value=-4, max_value=3)
_TERMS = st.lists(st.tuples(_LITERALS, st.integers(min_value=-4, max_value=4)), max_size=8)
_BOUND = st.one_of(st.just(None), st.integers(min_value=-50, max_value=50))


@native_only
@settings(max_examples=300, deadline=None)
@given(terms=_TERMS, constant=st.integers(-20, 20), lo=_BOUND, hi=_BOUND, enforce=_BOOLEANS)
def test_linear_constraints_are_written_as_cp_model_writes_them(
    terms: list[tuple[int, int]], constant: int, lo: int | None, hi: int | None, enforce: int
) -> None:
    lo_ = _MIN if lo is None else lo
    hi_ = _MAX if hi is None else hi
    if lo_ > hi_:
        lo_, hi_ = hi_, lo_

    def variables(m: cp_model.CpModel) -> list[cp_model.IntVar]:
        # Booleans 0..3 (negatable), integers 4..5
        return [m.new_bool_var(f"b{i}") for i in range(4)] + [
            m.new_int_var(-9, 9, f"i{i}") for i in range(2)
        ]

    reference = cp_model.CpModel()
    v = variables(reference)

    def lit(x: int) -> cp_model.IntVar:
        return v[x] if x >= 0 else v[~x].Not()

    expr = sum((c * lit(x) for x, c in terms), cp_model.LinearExpr.constant(constant))
    reference.add_linear_expression_in_domain(expr, cp_model.Domain(lo_, hi_)).only_enforce_if(
        lit(enforce)
    )

    written = cp_model.CpModel()
    writer = model_module._TextWriter(written)
    for i in range(4):
        writer.bool(f"b{i}")
    for i in range(2):
        writer.var([-9, 9], f"i{i}")
    writer.linear(terms, constant, lo_, hi_, enforce)
    writer.handles()
    assert str(written.proto) == str(reference.proto)
