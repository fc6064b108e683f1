"""Scenarios: each change rebuilds a valid variant, compare() solves them side by side, and
``psr-sched whatif`` runs a scenario file."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pydantic import ValidationError

from builders import (
    at,
    date,
    make_problem,
    pin,
    provider,
    request,
    room,
    sessions,
    t,
    visit_type,
)
from psr_sched import FollowUp, Problem, ProblemError, SolveOptions, validate
from psr_sched.cli import main
from psr_sched.scenarios import (
    BASELINE,
    COMPARISON_COLUMNS,
    AddProvider,
    AddSessions,
    AddVisitType,
    CloseRoom,
    RemoveSessions,
    ScaleDemand,
    Scenario,
    SetWeights,
    compare,
    load_scenario_file,
)

#: Tiny instances: every request fits, so a short search is enough for what is checked.
FAST = SolveOptions(time_limit_s=1, workers=1, seed=0)


@pytest.fixture(scope="module")
def base() -> Problem:
    """Two days, two providers, one exam room; R2 follows R1; R3 is pinned."""
    return make_problem(
        providers=[provider("P1"), provider("P2", session=("13:00", "17:00"))],
        rooms=[room("X1")],
        visit_types=[visit_type(), visit_type("EXAM", 30, room_kind="exam")],
        requests=[
            request("R1", "EXAM"),
            request("R2", links=[FollowUp(request_id="R1")], patient="pt-R1"),
            request("R3"),
            *(request(f"R{i}") for i in range(4, 11)),
        ],
        pinned=[pin("R3", at("09:00"))],
        days=2,
    )


def _variant(base: Problem, *changes: Any, name: str = "variant") -> Problem:
    return Scenario(name=name, changes=changes).apply(base)


# -- each change -----------------------------------------------------------------------------


def test_add_sessions_weekly_and_dated(base: Problem) -> None:
    change = AddSessions(
        provider_id="P1",
        weekly=sessions(("13:00", "15:00"), weekdays=[1]),
        dated=[{"date": date(0), "start": "17:00", "end": "18:00"}],  # type: ignore[list-item]
    )
    variant = _variant(base, change)
    p1 = variant.providers[variant.provider_index["P1"]]
    assert len(p1.sessions) == 6
    assert p1.sessions[-1].weekday == 1 and p1.sessions[-1].start == t("13:00")
    assert [s.date for s in p1.extra_sessions] == [date(0)]
    # The base is untouched: a variant is a new problem.
    assert len(base.providers[0].sessions) == 5 and not base.providers[0].extra_sessions


def test_add_sessions_needs_something_and_a_known_provider(base: Problem) -> None:
    with pytest.raises(ValidationError, match="give weekly or dated sessions"):
        AddSessions(provider_id="P1")
    change = AddSessions(provider_id="PX", weekly=sessions(("13:00", "15:00")))
    with pytest.raises(ProblemError) as err:
        _variant(base, change, name="more hours")
    assert str(err.value) == (
        "scenario 'more hours': change 1 (add_sessions): provider_id: unknown provider 'PX'"
    )


def test_add_sessions_validates_the_rebuilt_provider(base: Problem) -> None:
    # An extra session without times is refused by Provider's own validator.
    change = AddSessions(provider_id="P1", dated=[{"date": date(1)}])  # type: ignore[list-item]
    with pytest.raises(ProblemError, match=r"change 1 \(add_sessions\): extra_sessions"):
        _variant(base, change)


def test_remove_sessions_by_weekday_and_date(base: Problem) -> None:
    variant = _variant(base, RemoveSessions(provider_id="P1", weekdays=[0], dates=[date(1)]))
    p1 = variant.providers[0]
    assert {s.weekday for s in p1.sessions} == {1, 2, 3, 4}
    assert [(u.date, u.start) for u in p1.unavailable] == [(date(1), None)]


def test_remove_sessions_errors_name_the_change(base: Problem) -> None:
    with pytest.raises(ProblemError, match=r"change 2 \(remove_sessions\): weekdays: .* 5"):
        _variant(
            base,
            SetWeights(weights={"idle_gap": 2}),
            RemoveSessions(provider_id="P1", weekdays=[5]),
        )
    with pytest.raises(ProblemError, match=r"dates: 2026-12-12 is not an open date"):
        _variant(base, RemoveSessions(provider_id="P1", dates=[date(5)]))
    with pytest.raises(ValidationError):
        RemoveSessions(provider_id="P1", weekdays=[7])


def test_add_provider(base: Problem) -> None:
    variant = _variant(base, AddProvider(provider=provider("LOCUM")))
    assert [p.id for p in variant.providers] == ["P1", "P2", "LOCUM"]
    with pytest.raises(ProblemError, match=r"'dup': change 1 \(add_provider\): .*used 2 times"):
        _variant(base, AddProvider(provider=provider("P2")), name="dup")


def test_close_room(base: Problem) -> None:
    change = CloseRoom(room_id="X1", dates=[date(0)], start=t("08:00"), end=t("10:00"))
    closed = _variant(base, change).rooms[0].closed
    assert [(c.date, c.start, c.end) for c in closed] == [(date(0), t("08:00"), t("10:00"))]
    with pytest.raises(ProblemError, match="room_id: unknown room 'X9'"):
        _variant(base, CloseRoom(room_id="X9", dates=[date(0)]))
    with pytest.raises(ValidationError, match="both start and end"):
        CloseRoom(room_id="X1", dates=[date(0)], start=t("08:00"))
    with pytest.raises(ValidationError):
        CloseRoom(room_id="X1", dates=[])


@pytest.mark.parametrize("seed", range(6))
def test_scale_demand_down_keeps_links_and_pins_whole(base: Problem, seed: int) -> None:
    variant = _variant(base, ScaleDemand(factor=0.5, seed=seed))
    ids = {r.id for r in variant.requests}
    assert len(ids) in (5, 6)  # 5 dropped, or 6 when the follow-up came along
    assert "R3" in ids  # pinned
    assert "R1" in ids or "R2" not in ids  # a follow-up never outlives its first visit
    again = _variant(base, ScaleDemand(factor=0.5, seed=seed))
    assert again == variant


def test_scale_demand_up_copies_as_new_patients(base: Problem) -> None:
    variant = _variant(base, ScaleDemand(factor=1.5, seed=2))
    added = variant.requests[len(base.requests) :]
    assert len(added) == 5
    assert [r.id.rsplit("-S", 1)[1] for r in added] == ["1", "2", "3", "4", "5"]
    originals = {r.id: r for r in base.requests}
    for copy in added:
        source, n = copy.id.rsplit("-S", 1)
        assert copy.patient_id == f"{originals[source].patient_id}-S{n}"
        assert copy.links == ()
        assert copy.visit_type == originals[source].visit_type
    assert _variant(base, ScaleDemand(factor=1.0)).requests == base.requests
    with pytest.raises(ValidationError):
        ScaleDemand(factor=0)


def test_set_weights(base: Problem) -> None:
    variant = _variant(base, SetWeights(weights={"idle_gap": 7, "mode": "lexicographic"}))
    assert variant.weights.idle_gap == 7 and variant.weights.mode == "lexicographic"
    assert variant.weights.access_wait == base.weights.access_wait
    with pytest.raises(ValidationError, match="idle_gapp"):
        SetWeights(weights={"idle_gapp": 7})
    with pytest.raises(ValidationError, match="idle_gap"):
        SetWeights(weights={"idle_gap": -1})


def test_add_visit_type_with_requests(base: Problem) -> None:
    change = AddVisitType(visit_type=visit_type("LONG", 60), requests=[request("N1", "LONG")])
    variant = _variant(base, change)
    assert variant.visit_type_by_code["LONG"].duration_minutes == 60
    assert variant.requests[-1].id == "N1"
    odd = AddVisitType(visit_type=visit_type("ODD", 7))
    with pytest.raises(ProblemError, match=r"visit type ODD: duration_minutes: 7 minutes"):
        _variant(base, odd, name="odd grain")


def test_scenario_from_a_mapping_names_the_variant(base: Problem) -> None:
    scenario = Scenario.model_validate(
        {
            "name": "locum",
            "changes": [
                {"kind": "add_provider", "provider": {"id": "L1", "sessions": []}},
                {"kind": "remove_sessions", "provider_id": "L1", "weekdays": [0]},
            ],
        }
    )
    with pytest.raises(ProblemError, match=r"change 2 \(remove_sessions\): weekdays"):
        scenario.apply(base)
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        Scenario.model_validate({"name": "x", "changes": [{"kind": "teleport"}]})
    variant = Scenario(name="renamed").apply(base)
    assert variant.name == "tiny: renamed" and variant.requests == base.requests


# -- compare ---------------------------------------------------------------------------------


def _scenarios() -> list[Scenario]:
    return [
        Scenario(name="locum", changes=[AddProvider(provider=provider("LOCUM"))]),
        Scenario(name="room shut", changes=[CloseRoom(room_id="X1", dates=[date(0), date(1)])]),
    ]


def _check_comparison(base: Problem, comparison: Any) -> None:
    frame = comparison.frame
    assert list(frame.columns) == COMPARISON_COLUMNS
    assert list(frame["scenario"]) == [BASELINE, "locum", "room shut"]
    assert frame["scheduled"].dtype == "int64" and frame["best_bound"].dtype == "Int64"
    for name, result in comparison.results.items():
        assert validate(comparison.problems[name], result).ok
    rows = frame.set_index("scenario")
    assert (rows["requests"] == len(base.requests)).all()
    # With the room shut both days, the one exam visit (and its follow-up) cannot be placed.
    assert rows.loc["room shut", "unscheduled"] == 2
    assert rows.loc[BASELINE, "unscheduled"] == 0
    assert len(comparison.problems["locum"].providers) == 3


def test_compare_with_a_thread_pool(base: Problem) -> None:
    with ThreadPoolExecutor(2) as pool:
        comparison = compare(base, _scenarios(), options=FAST, executor=pool)
    _check_comparison(base, comparison)
    ax = comparison.plot(["unscheduled", "scheduled"], ax=Figure().subplots())
    assert isinstance(ax, Axes) and ax.get_title() == "Scenarios compared"


def test_compare_with_the_default_process_pool(base: Problem) -> None:
    _check_comparison(base, compare(base, _scenarios(), options=FAST))


def test_compare_refuses_clashing_names_before_solving(base: Problem) -> None:
    with pytest.raises(ValueError, match="'baseline': the name is used more than once"):
        compare(base, [Scenario(name=BASELINE)], options=FAST)
    with pytest.raises(ValueError, match="nothing to compare"):
        compare(base, [], include_base=False)
    with pytest.raises(ProblemError, match="scenario 'bad'"):
        compare(base, [Scenario(name="bad", changes=[CloseRoom(room_id="Q", dates=[date(0)])])])


# -- scenario files and the command ----------------------------------------------------------

_YAML = """\
base: problem.json
time_limit_s: 1
scenarios:
  - name: locum afternoons
    changes:
      - kind: add_provider
        provider:
          id: LOCUM
          sessions: [{weekday: 0, start: 13:00, end: 17:00}]
  - name: demand +50%
    changes: [{kind: scale_demand, factor: 1.5, seed: 3}]
"""


@pytest.fixture
def scenario_dir(tmp_path: Path, base: Problem) -> Path:
    (tmp_path / "problem.json").write_text(base.to_json())
    (tmp_path / "whatif.yaml").write_text(_YAML)
    spec = {
        "base": "problem.json",
        "time_limit_s": 1,
        "scenarios": [
            {
                "name": "P2 away Monday",
                "changes": [
                    {"kind": "remove_sessions", "provider_id": "P2", "dates": [str(date(0))]}
                ],
            },
            {
                "name": "idle matters",
                "changes": [{"kind": "set_weights", "weights": {"idle_gap": 5}}],
            },
        ],
    }
    (tmp_path / "whatif.json").write_text(json.dumps(spec))
    return tmp_path


def test_yaml_times_are_times_not_base_60_numbers(scenario_dir: Path) -> None:
    spec, base = load_scenario_file(scenario_dir / "whatif.yaml")
    locum = spec.scenarios[0].changes[0]
    assert isinstance(locum, AddProvider)
    assert locum.provider.sessions[0].start == dt.time(13, 0)
    assert spec.time_limit_s == 1 and base.name == "tiny"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("file_name", ["whatif.json", "whatif.yaml"])
def test_whatif_command_writes_the_comparison(scenario_dir: Path, file_name: str) -> None:
    out = scenario_dir / "out"
    code, printed, _ = _run("whatif", str(scenario_dir / file_name), "--out", str(out))
    assert code == 0
    frame = pd.read_csv(out / "comparison.csv")
    assert list(frame.columns) == COMPARISON_COLUMNS
    spec, _ = load_scenario_file(scenario_dir / file_name)
    assert list(frame["scenario"]) == [BASELINE, *(s.name for s in spec.scenarios)]
    names = sorted(p.name for p in out.iterdir())
    assert "comparison.png" in names and "summary-baseline.json" in names
    assert len(names) == 2 + len(frame)
    summary = json.loads((out / "summary-baseline.json").read_text())
    assert summary["scenario"] == BASELINE and summary["requests"] == 10
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert "baseline" in printed


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", "{", "malformed JSON at line 1"),
        ("bad.yaml", "scenarios: [", "malformed YAML"),
        ("bad.txt", "{}", "ends in .json, .yaml or .yml"),
        ("bad.json", '{"base": "problem.json", "scenarios": []}', "scenarios"),
        (
            "bad.json",
            '{"base": "problem.json", "scenarios": [{"name": "s1", "changes": [{"kind": "x"}]}]}',
            "scenario 's1': change 1",
        ),
        (
            "bad.yaml",
            "base: problem.json\nscenarios:\n  - name: shut\n    changes:\n"
            "      - {kind: close_room, room_id: NOPE, dates: [2026-12-07]}\n",
            "scenario 'shut': change 1 (close_room): room_id: unknown room 'NOPE'",
        ),
        ("bad.json", '{"base": "missing.json", "scenarios": [{"name": "a"}]}', "cannot read"),
    ],
)
def test_whatif_bad_file_exits_2_and_writes_nothing(
    scenario_dir: Path, name: str, text: str, message: str
) -> None:
    (scenario_dir / name).write_text(text)
    out = scenario_dir / "out"
    code, printed, err = _run("whatif", str(scenario_dir / name), "--out", str(out))
    assert code == 2
    assert err.startswith("psr-sched: error: ") and message in err
    assert err.count("\n") == 1
    assert not out.exists()
    assert printed == ""


def test_compared_schedules_keep_local_times_across_daylight_saving() -> None:
    # The week of 2026-11-01 (Chicago leaves daylight time): offsets -05:00, then -06:00.
    from psr_sched import solve
    from psr_sched.demo import generate_clinic

    clinic = generate_clinic(
        seed=0, providers=4, exam_rooms=3, procedure_rooms=1, days=3, start=dt.date(2026, 10, 29)
    )
    greedy = SolveOptions(time_limit_s=1, workers=1, use_cpsat=False)
    with ThreadPoolExecutor(1) as pool:
        comparison = compare(clinic, [], options=greedy, executor=pool)
    result = comparison.results[BASELINE]
    expected = solve(clinic, greedy).to_frame(clinic)
    assert {t.utcoffset() for t in expected["start"]} == {
        dt.timedelta(hours=-5),
        dt.timedelta(hours=-6),
    }
    pd.testing.assert_frame_equal(result.to_frame(clinic), expected)
    assert all(a.start.tzinfo == clinic.horizon.zone for a in result.assignments)
