"""``benchmarks/levers.py``: every lever runs, its schedules validate, and every monkeypatch of
the engine module is undone afterwards, error or not.  No timings: those belong to the
benchmark itself."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ortools.sat.python import cp_model

from psr_sched import SolveOptions
from psr_sched.demo import generate_clinic
from psr_sched.solver import model
from psr_sched.solver.candidates import build_candidates, search_weights
from psr_sched.solver.extract import evaluate
from psr_sched.solver.greedy import greedy

# ``benchmarks`` is a package at the repository root, outside the installed distribution.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
levers = importlib.import_module("benchmarks.levers")
compare = importlib.import_module("benchmarks.compare")

ENGINE: ModuleType = importlib.import_module("psr_sched.solver.solve")


def snapshot() -> dict[str, Any]:
    """Every attribute of the engine and model modules and of ModelBuilder, by identity."""
    return {
        **{f"solve.{k}": v for k, v in vars(ENGINE).items()},
        **{f"model.{k}": v for k, v in vars(model).items()},
        **{f"ModelBuilder.{k}": v for k, v in vars(model.ModelBuilder).items()},
    }


def assert_unchanged(before: dict[str, Any]) -> None:
    after = snapshot()
    assert after.keys() == before.keys()
    changed = [name for name in before if after[name] is not before[name]]
    assert not changed, f"engine attributes left patched: {changed}"


@pytest.fixture(scope="module")
def measured() -> tuple[Any, dict[str, Any]]:
    # One clinic day with 38 requests and 85 candidate options: the LP, the guided builds and
    # the full CP-SAT model all run within the limit.  (Three providers on one day give a
    # problem without any candidate option, where every lever is trivially the same.)
    problem = generate_clinic(
        seed=0, providers=6, exam_rooms=2, procedure_rooms=1, days=1, load=0.8
    )
    before = snapshot()
    instance = levers.run_levers(
        problem, time_limit=1.0, levers=list(levers.LEVERS), repeats=1, workers=1, label="tiny"
    )
    return instance, before


def test_every_lever_runs_and_validates(measured: tuple[Any, dict[str, Any]]) -> None:
    instance, _ = measured
    names = [r.run.method for r in instance.runs]
    assert names == [levers.ALL_ON, *levers.LEVERS]
    assert instance.size.options > 0
    for r in instance.runs:
        assert r.run.valid, (r.run.method, r.run.validation)
        assert r.run.objective is not None
        assert r.run.scheduled
    assert instance.valid
    assert instance.of(levers.ALL_ON)[0].ratio == 1.0
    for r in instance.runs:
        assert r.ratio == compare.ratio(
            r.run.objective, instance.of(levers.ALL_ON)[0].run.objective
        )


def test_patches_undone_after_runs(measured: tuple[Any, dict[str, Any]]) -> None:
    _, before = measured
    assert_unchanged(before)
    assert ENGINE.add_hint is model.add_hint
    assert ENGINE._GUIDED_TRIES > 0
    assert model._union is levers.UNION


def test_runs_without_lp_use_the_all_on_lp_bound(measured: tuple[Any, dict[str, Any]]) -> None:
    instance, _ = measured
    all_on = instance.of(levers.ALL_ON)[0].run
    lp = all_on.stats["lp_bound"]
    for name in ("lp-guided", "greedy-only"):
        run = instance.of(name)[0].run
        assert "lp_bound" not in run.stats
        assert run.bound is not None and run.bound >= lp
        own = run.stats["solver_bound"]
        if own is None or own <= lp:
            assert run.bound_source == "all-on run's LP bound"
    for name in ("randomized-rounding", "complete-hint"):
        run = instance.of(name)[0].run
        assert run.bound == run.stats["solver_bound"]
        assert not run.bound_source.startswith(name)


def test_lever_effects_are_reported(measured: tuple[Any, dict[str, Any]]) -> None:
    instance, _ = measured
    hint = instance.of("complete-hint")[0]
    assert hint.effect.endswith("CP-SAT models without hint")
    assert int(hint.effect.split()[0]) >= 1  # the full model ran, without its hint
    probing = instance.of("presolve-probing-on")[0]
    assert "CP-SAT solves" in probing.effect
    rounding = instance.of("randomized-rounding")[0].run
    # One LP-guided construction and its dispatch per LP solved (the mean-busy-time LP,
    # and on small problems the time-indexed LP too), no randomized retries.
    assert len(rounding.stats.get("lp_guided_objectives", [])) <= 4


@pytest.mark.parametrize("name", [n for n, lever in levers.LEVERS.items() if lever.patch])
def test_patch_active_inside_and_undone_on_error(name: str) -> None:
    before = snapshot()
    room_capacity = model.ModelBuilder._room_capacity
    lever = levers.LEVERS[name]
    with pytest.raises(RuntimeError, match="boom"), lever.applied(SolveOptions()) as (opts, _):
        assert opts == SolveOptions()
        if name == "randomized-rounding":
            assert ENGINE._GUIDED_TRIES == 0
        elif name == "complete-hint":
            assert ENGINE.add_hint is not model.add_hint
        elif name == "loose-domains":
            assert model._union([0, 10], [5, 20]) == [0, 20]
        elif name == "rooms-unpooled":
            assert model.ModelBuilder._room_capacity is not room_capacity
        elif name == "presolve-probing-on":
            solver = ENGINE._parameters(SolveOptions(), 1.0, large=True)
            defaults = levers.cpsat_defaults()
            assert solver.parameters.cp_model_probing_level == defaults["cp_model_probing_level"]
            assert solver.parameters.symmetry_level == defaults["symmetry_level"]
        raise RuntimeError("boom")
    assert_unchanged(before)
    solver = ENGINE._parameters(SolveOptions(), 1.0, large=True)
    assert solver.parameters.cp_model_probing_level == 0  # the engine's own choice again


def test_a_raising_solve_is_a_failed_run_and_patches_are_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = generate_clinic(seed=0, providers=6, exam_rooms=2, procedure_rooms=1, days=1)
    before = snapshot()
    seen: list[object] = []

    def broken(problem: Any, options: Any) -> None:
        seen.append(ENGINE.add_hint)
        raise RuntimeError("solver broke")

    monkeypatch.setattr(levers, "solve", broken)
    instance = levers.run_levers(problem, time_limit=1.0, levers=["complete-hint", "lns"])
    assert [r.run.method for r in instance.runs] == [levers.ALL_ON, "complete-hint", "lns"]
    assert not instance.valid
    for r in instance.runs:
        assert not r.run.found and not r.run.valid
        assert "solver broke" in r.run.validation
        assert r.ratio is None
    assert seen[1] is not model.add_hint  # the patch was active during the failing solve
    assert_unchanged(before)


def test_loose_domains_fill_holes() -> None:
    assert levers.UNION([0, 10], [5, 20]) == [0, 5, 10, 20]
    with levers.LEVERS["loose-domains"].applied(SolveOptions()) as (_, counts):
        assert model._union([0, 10], [5, 20]) == [0, 20]
    assert counts["start domains with holes, filled"] == 1


@pytest.mark.parametrize(
    ("name", "counter"),
    [("loose-domains", "start domains with holes, filled"), ("rooms-unpooled", "room Booleans")],
)
def test_model_levers_accept_a_schedule_at_its_cost(name: str, counter: str) -> None:
    """Hull domains (the options' ranges still bind the start) and one interval per concrete
    room (a pool's rooms are interchangeable) reformulate the model without changing what it
    accepts: a greedy schedule, fixed as the hint, is still feasible (with a room found for
    every visit) and costs what the evaluator says.  Every schedule a lever run returns is
    validated in ``test_every_lever_runs_and_validates``."""
    problem = generate_clinic(seed=2, providers=6, exam_rooms=2, procedure_rooms=1, days=2)
    cand = build_candidates(problem)
    weights = search_weights(problem, cand)
    placement = greedy(problem, cand)
    with levers.LEVERS[name].applied(SolveOptions()) as (_, counts):
        sm = model.ModelBuilder(problem, cand, weights=weights).build()
    assert counts[counter] >= 1
    model.add_hint(sm, problem, cand, placement)
    sm.model.minimize(sm.weighted)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    assert solver.solve(sm.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert round(solver.objective_value) == evaluate(problem, cand, placement).total(weights)


def test_option_levers_change_only_their_field() -> None:
    base = SolveOptions(time_limit_s=7.0, seed=3)
    expected = {
        "lp-guided": SolveOptions(time_limit_s=7.0, seed=3, lp=False),
        "lns": SolveOptions(time_limit_s=7.0, seed=3, lns=False),
        "greedy-only": SolveOptions(time_limit_s=7.0, seed=3, use_cpsat=False),
    }
    for name, options in expected.items():
        with levers.LEVERS[name].applied(base) as (opts, _):
            assert opts == options


def test_report(measured: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    instance, _ = measured
    args = levers.parse_args(["--family", "S", "--time-limits", "S=1", "--out", str(tmp_path)])
    console, md = levers.render([instance], args, {"CPU": "test"}, "python -m benchmarks.levers")
    for name in levers.LEVERS:
        assert name in console and name in md
    assert "## Levers of the issue" in md
    assert "`_room_capacity`" in md
    assert "objective / all-on" in md


def test_unknown_lever_rejected() -> None:
    with pytest.raises(SystemExit):
        levers.parse_args(["--levers", "lns,nope"])
    with pytest.raises(ValueError, match="unknown lever"):
        levers.run_levers(generate_clinic(seed=1, providers=3, days=1), time_limit=1, levers=["x"])
