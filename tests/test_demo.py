"""Tests of the seeded clinic generator and the embedded demo clinic."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import defaultdict

import numpy as np
import pytest

from psr_sched.demo import COUNSELING_SKILL, _generate, demo_problem, demo_stats, generate_clinic
from psr_sched.domain import Provider
from psr_sched.problem import Problem, parse_problem

Reference = list[tuple[str, str, str | None, dt.datetime, dt.datetime]]


@pytest.fixture(scope="module")
def demo() -> tuple[Problem, Reference]:
    return _generate(seed=0)


@pytest.fixture(scope="module")
def small() -> tuple[Problem, Reference]:
    return _generate(seed=7, providers=8)


# -- independent helpers ----------------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _sessions(problem: Problem, provider: Provider, day: dt.date) -> list[tuple[dt.datetime, ...]]:
    """Sessions of a provider on a date, minus time off, as UTC spans."""
    local = problem.horizon.local
    spans = [
        (local(day, w.start), local(day, w.end))
        for w in provider.sessions
        if w.weekday == day.weekday()
    ]
    spans += [
        (local(day, x.start), local(day, x.end))
        for x in provider.extra_sessions
        if x.date == day and x.start is not None and x.end is not None
    ]
    for off in provider.unavailable:
        if off.date != day:
            continue
        if off.start is None or off.end is None:
            return []
        cut = (local(day, off.start), local(day, off.end))
        pieces = []
        for s, e in spans:
            if cut[1] <= s or cut[0] >= e:
                pieces.append((s, e))
                continue
            if s < cut[0]:
                pieces.append((s, cut[0]))
            if cut[1] < e:
                pieces.append((cut[1], e))
        spans = pieces
    return [(_utc(s), _utc(e)) for s, e in spans]


def _eligible(problem: Problem, request_id: str, provider_id: str) -> bool:
    request = problem.requests[problem.request_index[request_id]]
    visit_type = problem.visit_type_by_code[request.visit_type]
    provider = problem.providers[problem.provider_index[provider_id]]
    skilled = visit_type.required_skill is None or visit_type.required_skill in provider.skills
    allowed = request.allowed_provider_ids is None or provider_id in request.allowed_provider_ids
    in_network = (
        provider.networks is None or request.payer is None or request.payer in provider.networks
    )
    return skilled and allowed and in_network


def _overlapping(spans: list[tuple[dt.datetime, dt.datetime]]) -> bool:
    spans = sorted(spans)
    return any(b[0] < a[1] for a, b in itertools.pairwise(spans))


# -- determinism and files --------------------------------------------------------------


def test_same_seed_same_json(small: tuple[Problem, Reference]) -> None:
    assert generate_clinic(seed=7, providers=8).to_json() == small[0].to_json()


def test_other_seed_other_problem(small: tuple[Problem, Reference]) -> None:
    assert generate_clinic(seed=8, providers=8).to_json() != small[0].to_json()


def test_global_random_state_untouched() -> None:
    np.random.seed(123)
    random.seed(123)
    generate_clinic(seed=1, providers=3, days=2)
    draws = (np.random.random(), random.random())
    np.random.seed(123)
    random.seed(123)
    assert draws == (np.random.random(), random.random())


def test_json_round_trip(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    text = problem.to_json()
    again = parse_problem(text)
    assert again == problem
    assert again.to_json() == text


# -- the demo clinic ---------------------------------------------------------------------


def test_demo_counts(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    stats = demo_stats(problem)
    json.dumps(stats)  # plain values, printable by the command line
    assert stats["providers"] == 25  # 24 clinicians and educators, one financial counselor
    assert len(stats["specialties"]) >= 7
    assert stats["rooms"] >= 15
    assert stats["rooms_by_kind"] == {"exam": 12, "procedure": 4}
    assert stats["visit_types"] >= 5
    assert stats["virtual_visit_types"] >= 1
    assert 900 <= stats["requests"] <= 1100
    assert 0.80 <= stats["load"] <= 0.90
    assert set(stats["requests_by_priority"]) == {"1", "3", "10"}
    assert {"MEDICARE", "MEDICAID", "BCBS", "AETNA", "UHC", "self-pay"} <= set(stats["payers"])
    assert stats["with_preferred_provider"] > stats["requests"] // 2
    assert stats["with_preferred_times"] > 0
    assert stats["with_allowed_providers"] > 0
    assert stats["patients"] < stats["requests"]  # linked visits share a patient


def test_demo_is_the_default_clinic(demo: tuple[Problem, Reference]) -> None:
    assert demo_problem(seed=0) == demo[0]


def test_demo_clinic_features(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    assert len(problem.horizon.dates) == 5
    assert [d.weekday() for d in problem.horizon.dates] == [0, 1, 2, 3, 4]
    virtual = [v for v in problem.visit_types if v.virtual]
    assert virtual and all(v.check_in_minutes == 0 for v in virtual)
    in_person = [v for v in problem.visit_types if not v.virtual and v.code != "EDU"]
    assert all(5 <= v.check_in_minutes <= 10 for v in in_person)
    assert any(v.provider_durations for v in problem.visit_types)
    assert any(r.turnover_minutes > 0 for r in problem.rooms if r.kind == "procedure")
    providers = problem.providers
    assert any(p.max_visits_per_day for p in providers)
    assert any(u.start is None for p in providers for u in p.unavailable)  # a day off
    assert any(p.extra_sessions for p in providers)
    assert any(p.networks is not None and "MEDICAID" not in p.networks for p in providers)
    hours = {(w.start, w.end) for p in providers for w in p.sessions}
    assert hours == {(dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))}
    assert problem.front_desk is not None
    assert max(s.stations for s in problem.front_desk.shifts) == 3
    assert all(r.id.startswith("R") and r.patient_id.startswith("P") for r in problem.requests)


def test_financial_counselor(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    counselors = [p for p in problem.providers if COUNSELING_SKILL in p.skills]
    assert len(counselors) == 1
    counselor = counselors[0]
    assert counselor.skills == (COUNSELING_SKILL,)
    assert counselor.networks is None  # sees every payer's patients, and self-pay ones
    assert 3 <= len(counselor.sessions) <= 5
    assert {w.weekday for w in counselor.sessions} <= {0, 1, 2, 3, 4}
    visit_type = problem.visit_type_by_code["FINCOUNSEL"]
    assert visit_type.required_skill == COUNSELING_SKILL
    assert visit_type.duration_minutes == 30 and visit_type.check_in_minutes == 0
    # No clinic room needed; one exists of any kind the visit type asks for.
    assert visit_type.room_kind in (None, *(r.kind for r in problem.rooms))
    # Intake adds counselling visits; the generated week has none, and the counselor's
    # idle sessions stay out of the load.
    assert all(r.visit_type != "FINCOUNSEL" for r in problem.requests)
    others = [p for p in problem.providers if p is not counselor]
    assert all(COUNSELING_SKILL not in p.skills for p in others)
    stats = demo_stats(problem)
    assert (
        stats["session_minutes"]
        == demo_stats(problem.replace(providers=tuple(others)))["session_minutes"]
    )


def test_counselor_comes_on_top_of_the_providers(small: tuple[Problem, Reference]) -> None:
    problem = small[0]
    assert [p.id for p in problem.providers][-1] == "FC01"
    assert sum(COUNSELING_SKILL not in p.skills for p in problem.providers) == 8


def test_links_and_pins(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    stats = demo_stats(problem)
    assert stats["same_day_links"] >= 10
    assert stats["follow_up_links"] >= 10
    assert 0.03 <= stats["pinned"] / stats["requests"] <= 0.07
    assert stats["pinned_locked"] > stats["pinned_movable"] > 0


def test_intended_unplaceable_requests(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    unplaceable = demo_stats(problem)["unplaceable"]
    assert sorted(unplaceable.values()) == [
        "NO_ROOM_OF_KIND",
        "NO_SESSION_IN_WINDOW",
        "NO_SESSION_IN_WINDOW",
        "NO_SKILLED_PROVIDER",
        "OUT_OF_NETWORK",
    ]
    placed = {row[0] for row in demo[1]}
    assert placed.isdisjoint(unplaceable)
    assert placed | set(unplaceable) == {r.id for r in problem.requests}


def test_locked_pins_are_feasible(demo: tuple[Problem, Reference]) -> None:
    problem = demo[0]
    types = problem.visit_type_by_code
    by_provider, by_patient = defaultdict(list), defaultdict(list)
    by_kind: dict[str | None, list[tuple[dt.datetime, int]]] = defaultdict(list)
    rooms = {room.id: room for room in problem.rooms}
    locked = [pin for pin in problem.pinned if pin.locked]
    assert locked
    for pin in locked:
        request = problem.requests[problem.request_index[pin.request_id]]
        visit_type = types[request.visit_type]
        provider = problem.providers[problem.provider_index[pin.provider_id]]
        start = _utc(pin.start)
        end = start + dt.timedelta(minutes=visit_type.duration_for(provider.id))
        assert _utc(request.earliest) <= start and end <= _utc(request.latest)
        assert _eligible(problem, request.id, provider.id)
        day = pin.start.astimezone(problem.horizon.zone).date()
        assert any(s <= start and end <= e for s, e in _sessions(problem, provider, day))
        assert (pin.room_id is None) == visit_type.virtual
        by_provider[provider.id].append((start, end))
        by_patient[request.patient_id].append((start, end))
        if pin.room_id is not None:
            turnover = dt.timedelta(minutes=rooms[pin.room_id].turnover_minutes)
            by_kind[visit_type.room_kind] += [(start, 1), (end + turnover, -1)]
    assert not any(_overlapping(spans) for spans in by_provider.values())
    assert not any(_overlapping(spans) for spans in by_patient.values())
    for kind, events in by_kind.items():
        capacity = sum(room.kind == kind for room in problem.rooms)
        level = itertools.accumulate(delta for _, delta in sorted(events))
        assert max(level) <= capacity


# -- the reference schedule: the problem admits one placing every placeable request --------


def _check_reference(problem: Problem, reference: Reference) -> None:
    """Every hard rule of docs/rules.md, checked on the generator's reference schedule."""
    types, horizon = problem.visit_type_by_code, problem.horizon
    rooms = {room.id: room for room in problem.rooms}
    placed: dict[str, tuple[dt.datetime, dt.datetime, dt.date]] = {}
    busy: dict[tuple[str, str], list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    per_day: dict[tuple[str, dt.date], int] = defaultdict(int)
    for request_id, provider_id, room_id, start, end in reference:
        request = problem.requests[problem.request_index[request_id]]
        visit_type = types[request.visit_type]
        provider = problem.providers[problem.provider_index[provider_id]]
        start, end = _utc(start), _utc(end)
        day = start.astimezone(horizon.zone).date()
        placed[request_id] = (start, end, day)
        assert day in horizon.dates
        assert horizon.minute_of(start) % horizon.grain_minutes == 0
        assert end - start == dt.timedelta(minutes=visit_type.duration_for(provider_id))
        assert _utc(request.earliest) <= start and end <= _utc(request.latest)
        assert _eligible(problem, request_id, provider_id)
        assert any(s <= start and end <= e for s, e in _sessions(problem, provider, day))
        if room_id is None:
            assert visit_type.virtual
        else:
            room = rooms[room_id]
            assert room.kind == visit_type.room_kind
            turnover = dt.timedelta(minutes=room.turnover_minutes)
            busy[("room", room_id)].append((start, end + turnover))
        busy[("provider", provider_id)].append((start, end))
        busy[("patient", request.patient_id)].append((start, end))
        per_day[(provider_id, day)] += 1
    assert not [key for key, spans in busy.items() if _overlapping(spans)]
    for (provider_id, _), count in per_day.items():
        cap = problem.providers[problem.provider_index[provider_id]].max_visits_per_day
        assert cap is None or count <= cap
    for pin in problem.pinned:
        assert placed[pin.request_id][0] == _utc(pin.start)
    for request in problem.requests:
        for link in request.links:
            if request.id not in placed:
                assert link.kind == "follow_up" or link.request_id not in placed
                continue
            assert link.request_id in placed
            first, second = placed[link.request_id], placed[request.id]
            if link.kind == "same_day_sequence":
                gap = (second[0] - first[1]).total_seconds() / 60
                assert first[2] == second[2]
                assert link.min_gap_minutes <= gap <= link.max_gap_minutes
            else:
                assert (second[2] - first[2]).days >= link.min_days
    # Front desk: at most the stations of the covering shifts check patients in at once.
    assert problem.front_desk is not None
    holds: dict[dt.date, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for request_id, (start, _, day) in placed.items():
        request = problem.requests[problem.request_index[request_id]]
        check_in = types[request.visit_type].check_in_minutes
        if check_in:
            holds[day] += [(start - dt.timedelta(minutes=check_in), 1), (start, -1)]
    for day, events in holds.items():
        level = 0
        for moment, delta in sorted(events):
            level += delta
            local = moment.astimezone(horizon.zone).time()
            stations = sum(
                shift.stations
                for shift in problem.front_desk.shifts
                if shift.start <= local < shift.end
                and (shift.weekday is None or shift.weekday == day.weekday())
            )
            assert level <= stations or delta < 0


def test_reference_schedule_is_valid(demo: tuple[Problem, Reference]) -> None:
    _check_reference(*demo)


def test_small_reference_schedule_is_valid(small: tuple[Problem, Reference]) -> None:
    _check_reference(*small)


# -- scaling and arguments --------------------------------------------------------------


def test_small_clinic(small: tuple[Problem, Reference]) -> None:
    stats = demo_stats(small[0])
    assert stats["providers"] == 9  # and the financial counselor
    assert 150 <= stats["requests"] <= 450
    assert 0.78 <= stats["load"] <= 0.92
    assert len(stats["unplaceable"]) == 5


def test_load_drives_demand() -> None:
    light = demo_stats(generate_clinic(seed=2, providers=8, load=0.5))
    assert 0.45 <= light["load"] <= 0.55


def test_two_weeks_across_daylight_saving() -> None:
    problem = generate_clinic(seed=5, providers=7, days=10, start=dt.date(2026, 10, 26))
    assert len(problem.horizon.dates) == 10
    assert problem.horizon.dates[-1] == dt.date(2026, 11, 6)
    assert 0.78 <= demo_stats(problem)["load"] <= 0.92


@pytest.mark.parametrize(
    "changes",
    [
        {"providers": 0},
        {"exam_rooms": 0},
        {"procedure_rooms": -1},
        {"days": 0},
        {"load": 0},
        {"load": 1.5},
    ],
)
def test_bad_arguments(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        generate_clinic(**changes)  # type: ignore[arg-type]
