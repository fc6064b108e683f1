"""Hot paths of a solve on the demo week, timed with pytest-benchmark.

Not part of the test suite (its testpaths is ``tests/``).  Run from the repository root::

    pytest benchmarks/test_hotpaths.py --benchmark-only

Setup (the problem, its candidates, a greedy schedule, the neighbourhoods) lives in
module-scoped fixtures so only the operation under test is timed.  The model builds also
record, in ``extra_info``, the build's CPU time (``time.process_time``, median of the same
rounds): on a shared machine it moves less than the wall clock pytest-benchmark reports.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from psr_sched import Problem, Result, SolveOptions, parse_problem, solve, validate
from psr_sched.demo import demo_problem
from psr_sched.solver.candidates import Candidates, build_candidates, search_weights
from psr_sched.solver.greedy import Placement, greedy
from psr_sched.solver.model import ModelBuilder, ScheduleModel, add_hint

#: Target speed of building the full CP-SAT model, in candidate options per second.
MODEL_BUILD_TARGET_OPTIONS_PER_S = 100_000
#: Neighbourhoods timed per round of the sub-model benchmarks, and their shape: like the
#: search's (``psr_sched.solver.solve``), a few providers on one or two days, every visit
#: booked there free, plus up to ten unscheduled requests that could go there.
NEIGHBOURHOODS = 20
NEIGHBOURHOOD_PROVIDERS = 6
NEIGHBOURHOOD_UNSCHEDULED = 10

Neighbourhood = tuple[set[int], set[tuple[int, int]]]


@pytest.fixture(scope="module")
def problem() -> Problem:
    return demo_problem(0)


@pytest.fixture(scope="module")
def cand(problem: Problem) -> Candidates:
    return build_candidates(problem)


@pytest.fixture(scope="module")
def placement(problem: Problem, cand: Candidates) -> Placement:
    return greedy(problem, cand)


@pytest.fixture(scope="module")
def greedy_result(problem: Problem) -> Result:
    return solve(problem, SolveOptions(use_cpsat=False))


@pytest.fixture(scope="module")
def problem_json(problem: Problem) -> str:
    return problem.to_json()


@pytest.fixture(scope="module")
def neighbourhoods(problem: Problem, cand: Candidates, placement: Placement) -> list[Neighbourhood]:
    rng = random.Random(0)
    out = []
    n_days = len(cand.day_start)
    for _ in range(NEIGHBOURHOODS):
        providers = rng.sample(range(len(problem.providers)), k=NEIGHBOURHOOD_PROVIDERS)
        first = rng.randrange(n_days)
        cells = {(p, d) for p in providers for d in {first, min(n_days - 1, first + 1)}}
        free = {
            r
            for r, (o, _t) in placement.items()
            if (cand.options[o].provider, cand.options[o].day) in cells and r not in cand.locked
        }
        waiting = [
            r
            for r, opts in enumerate(cand.by_request)
            if r not in placement
            and any((cand.options[o].provider, cand.options[o].day) in cells for o in opts)
        ]
        free.update(waiting[:NEIGHBOURHOOD_UNSCHEDULED])
        out.append((free, cells))
    return out


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


class _CpuClock:
    """Wraps a target to record the CPU time of each call."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self.target = target
        self.seconds: list[float] = []

    def __call__(self) -> Any:
        t0 = time.process_time()
        out = self.target()
        self.seconds.append(time.process_time() - t0)
        return out

    def median(self) -> float:
        return statistics.median(self.seconds[1:] or self.seconds)  # without the warm-up


def _pedantic(benchmark: Any, target: Callable[[], Any], rounds: int) -> Any:
    """Time ``target`` for a fixed number of rounds (one call each), after one warm-up."""
    return benchmark.pedantic(target, rounds=rounds, iterations=1, warmup_rounds=1)


def test_build_candidates(benchmark: Any, problem: Problem) -> None:
    cand = _pedantic(benchmark, lambda: build_candidates(problem), rounds=10)
    benchmark.extra_info["options"] = len(cand.options)
    assert cand.options


def test_greedy_construction(benchmark: Any, problem: Problem, cand: Candidates) -> None:
    placement = _pedantic(benchmark, lambda: greedy(problem, cand), rounds=5)
    benchmark.extra_info["placed"] = len(placement)
    assert placement


def test_model_build(
    benchmark: Any,
    problem: Problem,
    cand: Candidates,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = _CpuClock(lambda: ModelBuilder(problem, cand).build())
    model: ScheduleModel = _pedantic(benchmark, clock, rounds=7)
    assert model.requests
    options = len(cand.options)
    median_s = benchmark.stats.stats.median
    rate = options / median_s
    cpu_rate = options / clock.median()
    benchmark.extra_info["options"] = options
    benchmark.extra_info["options_per_s"] = round(rate)
    benchmark.extra_info["cpu_s_median"] = round(clock.median(), 4)
    benchmark.extra_info["options_per_cpu_s"] = round(cpu_rate)
    benchmark.extra_info["target_options_per_s"] = MODEL_BUILD_TARGET_OPTIONS_PER_S
    verdict = "PASS" if rate >= MODEL_BUILD_TARGET_OPTIONS_PER_S else "FAIL"
    _report(
        capsys,
        f"model build: {options:,} options in {median_s:.3f} s (median) = {rate:,.0f} options/s "
        f"({cpu_rate:,.0f} per CPU second) — {verdict} target ≥ "
        f"{MODEL_BUILD_TARGET_OPTIONS_PER_S:,} options/s",
    )


def _submodels(
    problem: Problem, cand: Candidates, placement: Placement, hoods: list[Neighbourhood]
) -> list[ScheduleModel]:
    weights = search_weights(problem, cand)
    return [
        ModelBuilder(
            problem, cand, free=free, fixed=placement, cells=cells, weights=weights
        ).build()
        for free, cells in hoods
    ]


def test_submodel_build(
    benchmark: Any,
    problem: Problem,
    cand: Candidates,
    placement: Placement,
    neighbourhoods: list[Neighbourhood],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The neighbourhood models of the search: ``NEIGHBOURHOODS`` builds per round."""
    clock = _CpuClock(lambda: _submodels(problem, cand, placement, neighbourhoods))
    models: list[ScheduleModel] = _pedantic(benchmark, clock, rounds=5)
    n = len(models)
    options = sum(len(rv.options) for sm in models for rv in sm.requests.values())
    per_model_ms = 1000 * benchmark.stats.stats.median / n
    benchmark.extra_info["submodels"] = n
    benchmark.extra_info["options_per_submodel"] = round(options / n)
    benchmark.extra_info["ms_per_submodel"] = round(per_model_ms, 2)
    benchmark.extra_info["cpu_ms_per_submodel"] = round(1000 * clock.median() / n, 2)
    benchmark.extra_info["options_per_s"] = round(options / benchmark.stats.stats.median)
    _report(
        capsys,
        f"sub-model build: {per_model_ms:.1f} ms per neighbourhood model (median; "
        f"{1000 * clock.median() / n:.1f} ms CPU), {options / n:,.0f} options each",
    )


def test_submodel_hint(
    benchmark: Any,
    problem: Problem,
    cand: Candidates,
    placement: Placement,
    neighbourhoods: list[Neighbourhood],
) -> None:
    """Hinting the neighbourhood models with the incumbent, as the search does each step."""
    models = _submodels(problem, cand, placement, neighbourhoods)

    def hint_all() -> None:
        for sm in models:
            add_hint(sm, problem, cand, placement)

    _pedantic(benchmark, hint_all, rounds=10)
    benchmark.extra_info["ms_per_submodel"] = round(
        1000 * benchmark.stats.stats.median / len(models), 2
    )
    assert all(len(sm.model.proto.solution_hint.vars) for sm in models)


def test_validate_greedy_schedule(benchmark: Any, problem: Problem, greedy_result: Result) -> None:
    report = _pedantic(benchmark, lambda: validate(problem, greedy_result), rounds=20)
    benchmark.extra_info["assignments"] = len(greedy_result.assignments)
    assert report.ok
    assert report.terms == greedy_result.terms


def test_json_round_trip(benchmark: Any, problem: Problem, problem_json: str) -> None:
    def round_trip() -> Problem:
        return parse_problem(problem.to_json())

    again = _pedantic(benchmark, round_trip, rounds=20)
    benchmark.extra_info["json_bytes"] = len(problem_json.encode())
    assert again == problem
