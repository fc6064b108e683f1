"""Hot paths of a solve on the demo week, timed with pytest-benchmark.

Not part of the test suite (its testpaths is ``tests/``).  Run from the repository root::

    pytest benchmarks/test_hotpaths.py --benchmark-only

Setup (the problem, its candidates, a greedy schedule) lives in module-scoped fixtures so
only the operation under test is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from psr_sched import Problem, Result, SolveOptions, parse_problem, solve, validate
from psr_sched.demo import demo_problem
from psr_sched.solver.candidates import Candidates, build_candidates
from psr_sched.solver.greedy import greedy
from psr_sched.solver.model import ModelBuilder, ScheduleModel

#: Target speed of building the full CP-SAT model, in candidate options per second.
MODEL_BUILD_TARGET_OPTIONS_PER_S = 100_000


@pytest.fixture(scope="module")
def problem() -> Problem:
    return demo_problem(0)


@pytest.fixture(scope="module")
def cand(problem: Problem) -> Candidates:
    return build_candidates(problem)


@pytest.fixture(scope="module")
def greedy_result(problem: Problem) -> Result:
    return solve(problem, SolveOptions(use_cpsat=False))


@pytest.fixture(scope="module")
def problem_json(problem: Problem) -> str:
    return problem.to_json()


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


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
    model: ScheduleModel = _pedantic(
        benchmark, lambda: ModelBuilder(problem, cand).build(), rounds=5
    )
    assert model.requests
    options = len(cand.options)
    median_s = benchmark.stats.stats.median
    rate = options / median_s
    benchmark.extra_info["options"] = options
    benchmark.extra_info["options_per_s"] = round(rate)
    verdict = "PASS" if rate >= MODEL_BUILD_TARGET_OPTIONS_PER_S else "FAIL"
    _report(
        capsys,
        f"model build: {options:,} options in {median_s:.3f} s (median) = {rate:,.0f} options/s "
        f"— {verdict} target ≥ {MODEL_BUILD_TARGET_OPTIONS_PER_S:,} options/s",
    )


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
