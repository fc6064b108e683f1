"""The benchmark instance families and the straightforward CP-SAT baseline of ``benchmarks/``.

The families must have the sizes the benchmark protocol promises and be reproducible from
seeds; the baseline's schedules must keep every rule (``psr_sched.validate``) and, where it
proves an optimum, agree with the engine's.  No timings here: those belong to the benchmarks.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from builders import (
    at,
    check,
    desk,
    make_problem,
    pin,
    provider,
    request,
    room,
    solve_checked,
    visit_type,
)
from psr_sched import FollowUp, Problem, SameDaySequence, SolveStatus, validate
from psr_sched.demo import demo_stats, generate_clinic

# ``benchmarks`` is a package at the repository root, outside the installed distribution.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
instances = importlib.import_module("benchmarks.instances")
baseline_cpsat = importlib.import_module("benchmarks.baseline_cpsat")
compare = importlib.import_module("benchmarks.compare")

TOLERANCE = 0.25


# -- families -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sizes() -> dict[str, Any]:
    return {
        name: instances.size_of(instances.family(name, 0).problems[0])
        for name in ("S", "M", "L", "M-over")
    }


def _near(value: float, target: float) -> bool:
    return (1 - TOLERANCE) * target <= value <= (1 + TOLERANCE) * target


@pytest.mark.parametrize("name", ["S", "M", "L"])
def test_family_sizes_are_near_their_targets(name: str, sizes: dict[str, Any]) -> None:
    spec = instances.FAMILIES[name]
    size = sizes[name]
    assert _near(size.seeing, spec.target_providers), size
    assert _near(size.requests, spec.target_requests), size
    if spec.target_rooms is not None:
        assert _near(size.rooms, spec.target_rooms), size
    assert size.dates == spec.days
    assert 0.75 <= size.load <= 1.0


def test_families_are_realistic(sizes: dict[str, Any]) -> None:
    # Linked and pinned visits in every family; follow-ups need a week, so not in S.
    for name, size in sizes.items():
        assert size.pinned > 0, name
        assert size.links > 0, name
        assert size.unplaceable > 0, name  # the generator's deliberately unplaceable requests
    problem = instances.family("M", 0).problems[0]
    stats = demo_stats(problem)
    assert stats["follow_up_links"] > 0 and stats["same_day_links"] > 0
    assert stats["virtual_visit_types"] > 0
    assert any(v.provider_durations for v in problem.visit_types)
    # Morning and afternoon sessions around a lunch break.
    assert any(len({(w.weekday) for w in p.sessions}) < len(p.sessions) for p in problem.providers)


def test_m_over_demand_is_110_percent(sizes: dict[str, Any]) -> None:
    over = instances.family("M-over", 0).problems[0]
    stats = demo_stats(over)
    assert 1.10 <= stats["load"] < 1.11
    clones = [r for r in over.requests if r.id.startswith("X")]
    assert clones
    assert len({r.patient_id for r in clones}) == len(clones)
    assert not any(r.links for r in clones)
    assert sizes["M-over"].requests > sizes["M"].requests


def test_families_are_reproducible() -> None:
    first = instances.family("S", 3).problems[0]
    again = instances.family("S", 3).problems[0]
    other = instances.family("S", 4).problems[0]
    assert first.to_json() == again.to_json()
    assert first.to_json() != other.to_json()
    base = generate_clinic(seed=5, providers=8, exam_rooms=3, procedure_rooms=1, days=2, load=1.0)
    assert instances.overbook(base, 1.1, seed=5).to_json() == (
        instances.overbook(base, 1.1, seed=5).to_json()
    )


def test_xl_is_twenty_distinct_clinics_of_size_m(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_clinic(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return kwargs

    # Record the generator's arguments instead of generating 20 clinic weeks.
    monkeypatch.setattr(instances, "generate_clinic", fake_clinic)
    xl = instances.family("XL", 0)
    m = instances.FAMILIES["M"]
    assert len(xl.problems) == len(calls) == 20
    assert len({c["seed"] for c in calls}) == 20
    assert len({c["name"] for c in calls}) == 20
    assert not {c["seed"] for c in calls} & set(range(100))  # never an M instance's seed
    for c in calls:
        assert (c["providers"], c["exam_rooms"], c["procedure_rooms"], c["days"], c["load"]) == (
            m.providers,
            m.exam_rooms,
            m.procedure_rooms,
            m.days,
            m.load,
        )
    assert instances.clinic_seeds("XL", 1) != instances.clinic_seeds("XL", 0)


def test_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown instance family"):
        instances.family("XXL")


# -- baseline -----------------------------------------------------------------------------


def _check_baseline(problem: Problem, time_limit_s: float) -> Any:
    outcome = baseline_cpsat.solve_baseline(problem, time_limit_s=time_limit_s, workers=2)
    assert outcome.result is not None, outcome.status
    check(problem, outcome.result)  # valid, terms recomputed, every request accounted for
    assert outcome.time_to_first_s is not None
    assert outcome.best_bound is not None
    assert outcome.best_bound <= outcome.result.objective
    return outcome


def test_baseline_schedule_validates_on_a_small_clinic() -> None:
    # Links of both kinds, locked and movable pins, provider-specific durations, a front desk.
    problem = generate_clinic(
        seed=3, providers=8, exam_rooms=3, procedure_rooms=1, days=3, load=0.3
    )
    outcome = _check_baseline(problem, time_limit_s=3)
    assert len(outcome.result.assignments) > len(problem.requests) // 2


def test_baseline_on_the_briefs_tiny_clinic() -> None:
    problem = generate_clinic(
        seed=1, providers=3, exam_rooms=2, procedure_rooms=1, days=1, load=0.5
    )
    outcome = _check_baseline(problem, time_limit_s=3)
    assert validate(problem, outcome.result).ok


def _rooms_and_desk() -> Problem:
    exam = visit_type("EX", 30, room_kind="exam", check_in=10)
    proc = visit_type("PR", 45, room_kind="procedure", check_in=5, provider_durations={"P2": 30})
    return make_problem(
        providers=[provider("P1"), provider("P2", max_visits_per_day=2)],
        rooms=[room("X1"), room("X2"), room("PR1", "procedure", turnover=10)],
        visit_types=[exam, proc],
        requests=[
            request("R1", "EX", priority=3),
            request("R2", "EX", preferred_providers=["P2"]),
            request("R3", "PR", preferred_times=[("09:00", "10:00")]),
            request("R4", "PR"),
            request("R5", "EX", earliest=at("09:00")),
        ],
        front_desk=desk(("07:30", "12:00", 1)),
    )


def _links_and_pins() -> Problem:
    return make_problem(
        providers=[provider("P1"), provider("P2", session=("13:00", "17:00"))],
        requests=[
            request("A", patient="p1"),
            request("B", patient="p1", links=[SameDaySequence(request_id="A", max_gap_minutes=30)]),
            request("C", patient="p1", links=[FollowUp(request_id="A", min_days=2)]),
            request("D", priority=2),
            request("E"),
        ],
        pinned=[
            pin("D", at("08:00")),
            pin("E", at("08:30"), locked=False, move_cost=30),
        ],
        days=3,
    )


@pytest.mark.parametrize("build", [_rooms_and_desk, _links_and_pins])
def test_baseline_proves_the_engines_optimum(build: Any) -> None:
    problem = build()
    engine = solve_checked(problem)
    outcome = _check_baseline(problem, time_limit_s=10)
    assert outcome.result.status == SolveStatus.OPTIMAL
    assert outcome.result.objective == engine.objective == outcome.best_bound


# -- the runner's arguments ---------------------------------------------------------------


def test_compare_arguments() -> None:
    args = compare.parse_args(
        ["--family", "S,M-over", "--time-limit", "5", "--time-limits", "S=2,M-over=30"]
    )
    assert args.family == ["S", "M-over"]
    assert compare.time_limit_for("S", args) == 2
    assert compare.time_limit_for("M-over", args) == 30
    assert compare.time_limit_for("L", args) == 5
    default = compare.parse_args([])
    assert default.family is None and not default.no_baseline
    for bad in (["--family", "XXL"], ["--time-limits", "Q=3"], ["--time-limits", "S=0"]):
        with pytest.raises(SystemExit):
            compare.parse_args(bad)


def test_run_bound_takes_the_larger_and_names_it() -> None:
    lp = compare.Bound(100, "LP (lp-time-indexed-30min)")
    assert compare.run_bound(lp, 90, "engine", {"bound_source": "cp-sat"}) == (
        100,
        "LP (lp-time-indexed-30min)",
    )
    assert compare.run_bound(lp, 120, "engine", {"bound_source": "cp-sat"}) == (
        120,
        "engine: cp-sat",
    )
    assert compare.run_bound(compare.Bound(None, "none"), None, "greedy", {}) == (None, "none")


def test_lp_bound_refines_its_slots_while_time_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    """With time to spare the runner's LP bound goes down the slot ladder and keeps the
    largest proven value; an explicit slot length solves that LP only."""
    problem = generate_clinic(seed=1, providers=4, days=1)
    solved: list[int] = []
    bound_module = importlib.import_module("psr_sched.solver.bound")
    original = bound_module.lp_lower_bound

    def recording(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs["slot_minutes"])
        return original(*args, **kwargs)

    monkeypatch.setattr(bound_module, "lp_lower_bound", recording)
    single = compare.lp_bound(problem, 60.0, slot_minutes=30)
    assert solved == [30] and single.note == ""
    solved.clear()
    refined = compare.lp_bound(problem, 60.0)
    assert solved == [30, 15, 10, 5]
    assert refined.value is not None and single.value is not None
    assert refined.value >= single.value
    assert refined.note.startswith("slots tried: 30 min, 15 min")
    fine = compare.lp_bound(problem, 60.0, slot_minutes=5)
    assert fine.value is not None and refined.value >= fine.value


def test_lp_ladder_adds_fine_slots_to_hour_long_slots_only() -> None:
    assert compare.lp_ladder(30) == [(30, 0), (15, 0), (10, 0), (5, 0)]
    assert compare.lp_ladder(60) == [
        (60, 0),
        (60, compare.LP_FINE_MINUTES),
        (30, 0),
        (15, 0),
        (10, 0),
        (5, 0),
    ]
    assert compare.lp_ladder(60, fine_minutes=10) == [
        (60, 10),
        (30, 10),
        (15, 10),
        (10, 10),
        (5, 10),
    ]
