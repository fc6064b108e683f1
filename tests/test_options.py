"""Solve options: determinism, the time limit, greedy-only mode and progress callbacks."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psr_sched import Problem, Progress, SolveOptions, SolveStatus, solve, validate
from psr_sched.demo import generate_clinic


@pytest.fixture(scope="module")
def clinic() -> Problem:
    return generate_clinic(seed=11, providers=8, exam_rooms=5, procedure_rooms=1, days=3)


def test_deterministic_mode_repeats_the_schedule(clinic: Problem) -> None:
    options = SolveOptions(time_limit_s=10, workers=2, seed=4, deterministic=True)
    first = solve(clinic, options)
    second = solve(clinic, options)
    assert validate(clinic, first).ok
    # Reproducibility is promised for runs the wall clock did not cut short.
    assert "deterministic_run_cut_by_wall_clock" not in first.stats
    assert "deterministic_run_cut_by_wall_clock" not in second.stats
    assert first.assignments == second.assignments
    assert first.objective == second.objective


def test_a_deterministic_solve_cut_by_the_wall_clock_says_so(
    clinic: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A deterministic budget far beyond the time limit: the wall clock must cut the full
    # model, and the result must not pass for a repeatable one.
    import importlib

    engine = importlib.import_module("psr_sched.solver.solve")
    monkeypatch.setattr(engine, "_DETERMINISTIC_UNITS_PER_S", 1000.0)
    options = SolveOptions(time_limit_s=3, workers=2, deterministic=True, lns=False, lp=False)
    result = solve(clinic, options)
    assert result.stats["cpsat_status"] in ("FEASIBLE", "UNKNOWN")
    assert result.stats.get("deterministic_run_cut_by_wall_clock") is True
    assert result.wall_time_s < 6


def test_time_limit_is_honored(clinic: Problem) -> None:
    started = time.perf_counter()
    result = solve(clinic, SolveOptions(time_limit_s=2, workers=2))
    elapsed = time.perf_counter() - started
    # The limit covers the search; building the result afterwards takes a fraction of it.
    assert result.wall_time_s <= 2.5
    assert elapsed <= 5.0
    assert validate(clinic, result).ok


def test_greedy_only_mode(clinic: Problem) -> None:
    result = solve(clinic, SolveOptions(use_cpsat=False))
    assert result.status == SolveStatus.GREEDY
    assert result.objective == result.baseline_objective
    assert validate(clinic, result).ok


def test_progress_events_reach_the_callback(clinic: Problem) -> None:
    events: list[Progress] = []
    result = solve(clinic, SolveOptions(time_limit_s=2, callback=events.append))
    phases = [e.phase for e in events]
    assert phases[0] == "greedy" and phases[-1] == "done"
    assert events[-1].objective == result.objective
    objectives = [e.objective for e in events if e.phase in ("greedy", "lns", "done")]
    assert all(b <= a for a, b in itertools.pairwise(objectives))


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="time_limit_s"):
        SolveOptions(time_limit_s=0)
    with pytest.raises(ValueError, match="workers"):
        SolveOptions(workers=0)


def test_neighbourhood_sub_models_keep_the_incumbent_feasible(
    clinic: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Force the neighbourhood search on a small clinic.  Every sub-model holds the
    # incumbent, so none may be infeasible (linked partners left unscheduled stay in a
    # sub-model and count in its "never more unscheduled" constraint).
    import importlib

    engine = importlib.import_module("psr_sched.solver.solve")
    monkeypatch.setattr(engine, "_FULL_MODEL_MAX_OPTIONS", 0)
    result = solve(clinic, SolveOptions(time_limit_s=6, workers=2, seed=1, lp=False))
    assert validate(clinic, result).ok
    outcomes = result.stats["lns_outcomes"]
    assert isinstance(outcomes, dict) and sum(outcomes.values()) > 0
    assert "INFEASIBLE" not in outcomes


def test_relative_gap_stops_at_the_lp_bound(
    clinic: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    engine = importlib.import_module("psr_sched.solver.solve")
    monkeypatch.setattr(engine, "_FULL_MODEL_MAX_OPTIONS", 0)  # the neighbourhood search
    result = solve(clinic, SolveOptions(time_limit_s=20, workers=2, relative_gap=0.5))
    assert validate(clinic, result).ok
    assert result.stats.get("stopped_at_relative_gap") is True
    assert result.best_bound is not None
    assert (result.objective - result.best_bound) / result.objective <= 0.5
    assert result.wall_time_s < 15


def test_time_window_neighbourhood_frees_one_window_of_one_day(clinic: Problem) -> None:
    # Every third neighbourhood takes every provider of one day and frees only the visits
    # starting in a window there (plus unscheduled requests that could start in it).
    import importlib

    engine_module = importlib.import_module("psr_sched.solver.solve")
    from psr_sched.solver.candidates import build_candidates
    from psr_sched.solver.greedy import greedy

    engine = engine_module.Engine(clinic, SolveOptions(seed=3))
    engine.cand = cand = build_candidates(clinic)
    placement = greedy(clinic, cand)
    engine.incumbent = engine_module._Incumbent(placement, 0)
    for _ in range(20):
        free, cells, windowed, label = engine._choose_neighbourhood(2)
        assert label == "window"
        assert windowed
        (day,) = {d for _, d in cells}
        assert cells == {(b.provider, day) for b in cand.blocks if b.day == day}
        starts = [placement[r][1] for r in free if r in placement]
        assert starts and max(starts) - min(starts) < engine.lns_window // cand.grain
        inside = [
            r
            for r, (o, t) in placement.items()
            if cand.options[o].day == day
            and min(starts) <= t <= max(starts)
            and r not in cand.locked
        ]
        assert set(inside) <= free  # nothing movable in the window is left fixed
        assert all(cand.options[placement[r][0]].day == day for r in free if r in placement)


def test_pull_neighbourhood_moves_waiting_requests_toward_an_earlier_gap(
    clinic: Problem,
) -> None:
    # Every third neighbourhood, for an unlinked request that waits long: a window around
    # the earliest gap in some provider's day that it fits, every provider of that day, and
    # the request (and a few more that wait on later days) free to move there or to stay.
    import importlib

    import numpy as np

    engine_module = importlib.import_module("psr_sched.solver.solve")
    from psr_sched.solver.candidates import build_candidates
    from psr_sched.solver.greedy import greedy

    engine = engine_module.Engine(clinic, SolveOptions(seed=5))
    engine.cand = cand = build_candidates(clinic)
    placement = greedy(clinic, cand)
    # Open gaps on the first day: drop every third of its unlinked visits (they become
    # unscheduled and will be pulled back).
    linked = {r for r in range(len(clinic.requests)) if engine._partners(r)}
    first_day = sorted(
        r
        for r, (o, _t) in placement.items()
        if cand.options[o].day == 0 and r not in linked and r not in cand.locked
    )
    for r in first_day[::3]:
        del placement[r]
    engine.incumbent = engine_module._Incumbent(placement, 0)
    pulls = 0
    for k in range(30):
        engine.rng = np.random.default_rng(k)
        focus = engine._pick_focus()
        if focus is None or engine._partners(focus):
            continue
        cells, window, pulled = engine._pull_cells(focus)
        if window is None:
            continue
        pulls += 1
        lo, hi = window
        (day,) = {d for _, d in cells if cand.day_start[d] <= lo < cand.day_end[d]}
        assert {(b.provider, day) for b in cand.blocks if b.day == day} <= cells
        assert focus in pulled and len(pulled) <= engine_module._LNS_PULLED
        for r in pulled:
            if r in placement:  # it waits on a later day, and may also stay there
                o, _t = placement[r]
                assert cand.options[o].day > day
                assert (cand.options[o].provider, cand.options[o].day) in cells
            assert any(
                cand.options[q].day == day and cand.options[q].lo < hi and cand.options[q].hi >= lo
                for q in cand.by_request[r]
            )
        # The same draw as a neighbourhood: the pulled requests and every movable visit
        # starting in the window that day are free; nothing else placed is.
        engine.rng = np.random.default_rng(k)
        free, cells2, windowed, label = engine._choose_neighbourhood(0)
        assert label == "pull"
        assert windowed and cells2 == cells
        inside = {
            r
            for r, (o, t) in placement.items()
            if cand.options[o].day == day and lo <= t < hi and r not in cand.locked
        }
        assert {r for r in free if r in placement} == inside | (pulled & set(placement))
        assert pulled <= free
    assert pulls >= 10


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=8),
    st.integers(0, 70),
    st.integers(0, 30),
    st.integers(1, 10),
)
def test_first_gap_is_the_earliest_free_start(
    spans: list[tuple[int, int]], lo: int, width: int, duration: int
) -> None:
    # Against a brute force over every start: the pull neighbourhood's gap finder.
    import importlib

    engine_module = importlib.import_module("psr_sched.solver.solve")
    busy: list[tuple[int, int]] = []
    for start, length in spans:  # keep them disjoint, as one provider's visits are
        if all(start + length <= s or e <= start for s, e in busy):
            busy.append((start, start + length))
    hi = lo + width
    expected = next(
        (t for t in range(lo, hi + 1) if all(t + duration <= s or e <= t for s, e in busy)),
        None,
    )
    assert engine_module._first_gap(busy, lo, hi, duration) == expected
