"""Speed of the day simulation: 10,000 replications of a 10-provider, 200-visit day.

Not part of the test suite (its testpaths is ``tests/``).  Run from the repository root::

    pytest benchmarks/test_simulate_bench.py --benchmark-only

Target: the median of :func:`psr_sched.simulate.simulate_day` under 1 s.  The machine is
shared, so the benchmark also times a baseline in the same process, back to back: the same
call looped with the fewest replications it accepts (2), ``BASELINE_CALLS`` times, scaled to
10,000 replications.  The ratio of the two (the gain of vectorizing over replications) is
the figure to compare across machines.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

import pytest

from psr_sched import (
    AppointmentRequest,
    Assignment,
    Horizon,
    ObjectiveTerms,
    Problem,
    Provider,
    Result,
    SolveStatus,
    VisitType,
    Weights,
    build_problem,
    weekly_sessions,
)
from psr_sched.simulate import simulate_day

REPLICATIONS = 10_000
TARGET_S = 1.0
BASELINE_CALLS = 200
DAY = dt.date(2026, 12, 7)  # a Monday
ZONE = "America/Chicago"
# Booked minutes of one provider's day: 12 visits filling the morning (240 minutes), 8 in
# the afternoon (170 of 240 minutes).
MORNING = (20, 15, 20, 30, 15, 20, 20, 15, 30, 20, 15, 20)
AFTERNOON = (30, 20, 15, 20, 30, 20, 15, 20)
CODES = {15: "SICK", 20: "EST", 30: "ANNUAL"}


def _clinic_day(providers: int = 10) -> tuple[Problem, Result]:
    """A solved-looking day: ``providers`` × 20 visits back to back from each session start."""
    horizon = Horizon(start=DAY, end=DAY, timezone=ZONE)
    sessions = weekly_sessions((0,), (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17)))
    staff = [Provider(id=f"P{k:02d}", sessions=sessions) for k in range(providers)]
    types = [VisitType(code=code, duration_minutes=minutes) for minutes, code in CODES.items()]
    requests: list[AppointmentRequest] = []
    assignments: list[Assignment] = []
    for provider in staff:
        for first_hour, lengths in ((8, MORNING), (13, AFTERNOON)):
            start = horizon.local(DAY, dt.time(first_hour))
            for minutes in lengths:
                end = start + dt.timedelta(minutes=minutes)
                rid = f"R{len(requests):04d}"
                requests.append(
                    AppointmentRequest(
                        id=rid,
                        patient_id=f"Q{len(requests):04d}",
                        visit_type=CODES[minutes],
                        earliest=horizon.local(DAY, dt.time(7)),
                        latest=horizon.local(DAY, dt.time(18)),
                    )
                )
                assignments.append(
                    Assignment(
                        request_id=rid,
                        patient_id=requests[-1].patient_id,
                        visit_type=CODES[minutes],
                        provider_id=provider.id,
                        room_id=None,
                        start=start,
                        end=end,
                    )
                )
                start = end
    problem = build_problem(
        {"horizon": horizon, "providers": staff, "visit_types": types, "requests": requests}
    )
    result = Result(
        problem_name=problem.name,
        status=SolveStatus.FEASIBLE,
        assignments=tuple(assignments),
        unscheduled=(),
        terms=ObjectiveTerms(),
        weights=Weights(),
        objective=0,
        wall_time_s=0.0,
    )
    return problem, result


@pytest.fixture(scope="module")
def clinic_day() -> tuple[Problem, Result]:
    return _clinic_day()


def test_simulate_day_10k_replications(
    benchmark: Any, capsys: pytest.CaptureFixture[str], clinic_day: tuple[Problem, Result]
) -> None:
    problem, result = clinic_day
    assert len(result.assignments) == 200
    baseline_start = time.perf_counter()
    for seed in range(BASELINE_CALLS):
        simulate_day(problem, result, DAY, replications=2, seed=seed)
    baseline_s = (time.perf_counter() - baseline_start) * REPLICATIONS / (2 * BASELINE_CALLS)
    report = benchmark.pedantic(
        lambda: simulate_day(problem, result, DAY, replications=REPLICATIONS),
        rounds=7,
        iterations=1,
        warmup_rounds=1,
    )
    assert len(report.by_provider) == 10
    median_s = statistics.median(benchmark.stats.stats.data)
    benchmark.extra_info.update(
        median_s=median_s, baseline_s=baseline_s, speedup=baseline_s / median_s
    )
    with capsys.disabled():
        print(
            f"\nsimulate_day, {REPLICATIONS:,} replications of 10 providers × 20 visits: "
            f"median {median_s:.3f} s (target < {TARGET_S} s, "
            f"{'PASS' if median_s < TARGET_S else 'FAIL'}); looped 2 replications a call, "
            f"scaled: {baseline_s:.1f} s; speed-up {baseline_s / median_s:.0f}×"
        )
