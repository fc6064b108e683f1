"""Simulation of a solved day: the engine against exact values, hand cases and a reference.

* The exact slot-by-slot computation is checked on hand-computed cases; the simulation is
  checked against it (same 1-minute discretized durations) for even spacing and the
  Bailey–Welch rule, with and without no-shows, at 99 % confidence with fixed seeds.
* The queue discipline is checked against an event-driven reference on random
  deterministic sessions (hypothesis).
* ``simulate_day`` runs on a solved generated clinic and on hand-built days (a morning that
  overruns the lunch break, no-shows per request, a later session end).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psr_sched
from builders import ZONE, at, date, make_problem, provider, request, sessions, visit_type
from psr_sched import (
    Assignment,
    ObjectiveTerms,
    Problem,
    Result,
    SolveStatus,
    Weights,
)
from psr_sched.demo import generate_clinic
from psr_sched.simulate import (
    DEFAULT_CV,
    METRICS,
    PUNCTUAL,
    DurationModel,
    LatenessModel,
    SimulationModel,
    compare_policies,
    exact_single_provider,
    policy_appointments,
    simulate_day,
    simulate_schedule,
)

#: One mean visit of 15 minutes with the measured cv (FACTS.md), 10 patients a session.
MEAN = 15
PATIENTS = 10
SESSION = PATIENTS * MEAN
DURATION = DurationModel(mean_minutes=MEAN)
#: Everything known in advance: fixed durations, everybody comes, on time.
CERTAIN = SimulationModel(cv=0.0, no_show_probability=0.0, lateness=PUNCTUAL)


def fixed(minutes: float) -> DurationModel:
    return DurationModel(mean_minutes=minutes, cv=0.0)


# -- duration model -----------------------------------------------------------------------


def test_lognormal_parameters_give_the_mean_and_cv() -> None:
    model = DurationModel(mean_minutes=13.4)
    assert model.cv == pytest.approx(math.sqrt(0.52))
    assert math.exp(model.log_mean + model.log_sd**2 / 2) == pytest.approx(13.4)
    assert math.sqrt(math.exp(model.log_sd**2) - 1) == pytest.approx(model.cv)


def test_discretized_duration_keeps_the_mean() -> None:
    pmf = DURATION.pmf()
    assert pmf.sum() == pytest.approx(1.0)
    assert (pmf >= 0).all()
    assert np.arange(pmf.size) @ pmf == pytest.approx(MEAN, abs=0.05)


def test_fixed_duration_is_a_point_mass() -> None:
    pmf = fixed(12).pmf()
    assert pmf.size == 13
    assert pmf[12] == 1.0


def test_pmf_rejects_a_large_tail() -> None:
    with pytest.raises(ValueError, match="tail"):
        DURATION.pmf(tail=0.5)


# -- exact computation --------------------------------------------------------------------


def test_exact_with_fixed_durations() -> None:
    # Even spacing at the mean: nobody waits, no idle, no overtime.  Bailey–Welch: every
    # patient after the first waits one mean duration; the last ends at the session end.
    even = exact_single_provider(
        policy_appointments("even", 6, mean_minutes=MEAN), fixed(MEAN), session_end=6 * MEAN
    )
    assert (even.wait, even.idle, even.overtime, even.seen) == (0, 0, 0, 6)
    bailey_welch = exact_single_provider(
        policy_appointments("bailey_welch", 6, mean_minutes=MEAN),
        fixed(MEAN),
        session_end=6 * MEAN,
    )
    assert bailey_welch.expected_wait.tolist() == [0, MEAN, MEAN, MEAN, MEAN, MEAN]
    assert (bailey_welch.idle, bailey_welch.overtime) == (0, 0)


def test_exact_with_no_shows_by_hand() -> None:
    # Two 20-minute visits at 0 and 15, each patient coming with probability 1/2, session
    # 30.  The second waits 5 minutes if the first came, 2.5 on average; the provider idles
    # 15 minutes if the first did not.  Completion: 40, 20, 35 or 15, each with probability
    # 1/4, so the expected overtime is (10 + 5) / 4.
    exact = exact_single_provider([0, 15], fixed(20), session_end=30, no_show=0.5)
    assert exact.expected_wait.tolist() == [0, 2.5]
    assert exact.wait == pytest.approx(1.25)  # (0.5 × 0 + 0.5 × 2.5) / 1 patient seen
    assert exact.idle == pytest.approx(7.5)
    assert exact.overtime == pytest.approx(3.75)
    assert exact.seen == pytest.approx(1.0)
    simulated = simulate_schedule(
        [0, 15], fixed(20), session_end=30, no_show=0.5, replications=20_000, seed=3, level=0.99
    )
    for metric, value in exact.metrics.items():
        assert simulated.metrics[metric].covers(value), metric


def test_exact_rejects_fractional_minutes() -> None:
    with pytest.raises(ValueError, match="whole minutes"):
        exact_single_provider([0, 7.5], DURATION, session_end=30)


@pytest.mark.parametrize("no_show", [0.0, 0.15])
@pytest.mark.parametrize("policy", ["even", "bailey_welch"])
def test_simulation_agrees_with_the_exact_values(policy: str, no_show: float) -> None:
    times = policy_appointments(policy, PATIENTS, mean_minutes=MEAN)
    exact = exact_single_provider(times, DURATION, session_end=SESSION, no_show=no_show)
    simulated = simulate_schedule(
        times,
        DURATION,
        session_end=SESSION,
        no_show=no_show,
        discrete=True,
        replications=40_000,
        seed=11,
        level=0.99,
    )
    for metric in METRICS:
        estimate = simulated.metrics[metric]
        assert estimate.covers(exact.metrics[metric]), (metric, estimate, exact.metrics[metric])
    waited = ~np.isnan(simulated.expected_wait)
    assert np.allclose(
        simulated.expected_wait[waited], exact.expected_wait[waited], atol=0.6
    )  # per-appointment means of ~34,000 patients: a loose band, the CIs above are tight


@pytest.mark.parametrize("no_show", [0.0, 0.15])
def test_bailey_welch_trades_patient_wait_for_provider_idle(no_show: float) -> None:
    # Same patients, durations and session: Bailey–Welch (two at the start, then one every
    # mean duration) against even spacing at the mean.
    even, bailey_welch = (
        exact_single_provider(
            policy_appointments(policy, PATIENTS, mean_minutes=MEAN),
            DURATION,
            session_end=SESSION,
            no_show=no_show,
        )
        for policy in ("even", "bailey_welch")
    )
    assert bailey_welch.idle < even.idle
    assert bailey_welch.wait > even.wait
    assert bailey_welch.overtime < even.overtime  # it also finishes its plan a slot early


# -- policies -----------------------------------------------------------------------------


def test_policy_appointments() -> None:
    assert policy_appointments("even", 4, mean_minutes=15, session_minutes=80).tolist() == [
        0,
        20,
        40,
        60,
    ]
    assert policy_appointments("bailey_welch", 4, mean_minutes=15).tolist() == [0, 0, 15, 30]
    assert policy_appointments("slack_0.2", 3, mean_minutes=15).tolist() == [0, 18, 36]
    assert policy_appointments("slack", 3, mean_minutes=10).tolist() == [0, 11, 22]
    assert policy_appointments("overbook_1", 3, mean_minutes=20).tolist() == [0, 15, 30, 45]
    # Default overbooking: round(12 × 0.15 / 0.85) = 2 extra patients.
    assert policy_appointments("overbook", 12, mean_minutes=15, no_show=0.15).size == 14


@pytest.mark.parametrize(
    ("policy", "message"),
    [("dome", "unknown"), ("overbook_x", "not a valid parameter"), ("slack_-2", "above -1")],
)
def test_policy_errors(policy: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        policy_appointments(policy, 4, mean_minutes=15)


def test_compare_policies_frame() -> None:
    frame = compare_policies(12, replications=2_000)
    assert list(frame.columns) == [
        "policy",
        "booked",
        "metric",
        "mean",
        "ci_low",
        "ci_high",
        "exact",
    ]
    assert frame["policy"].unique().tolist() == ["even", "bailey_welch", "overbook", "slack"]
    for _, rows in frame.groupby("policy"):
        assert tuple(rows["metric"]) == METRICS
    booked = frame.drop_duplicates("policy").set_index("policy")["booked"]
    assert booked.to_dict() == {"even": 12, "bailey_welch": 12, "overbook": 14, "slack": 12}
    assert frame["exact"].notna().all()
    assert (frame["ci_low"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["ci_high"]).all()


def test_compare_policies_without_punctual_patients_has_no_exact_values() -> None:
    frame = compare_policies(
        6, policies=("even",), lateness=LatenessModel(), replications=500, seed=1
    )
    assert frame["exact"].isna().all()
    wait, delay = (frame.set_index("metric").loc[m, "mean"] for m in ("wait", "delay"))
    assert wait > delay  # early arrivals wait for their appointment time


# -- queue discipline ---------------------------------------------------------------------


def test_late_patient_is_seen_on_arrival_without_holding_up_the_next() -> None:
    # Appointments 0 and 10, 15-minute visits.  The first patient is 30 minutes late: the
    # second is seen 10-25, the first 30-45.  Nobody waits; idle 0-10 and 25-30.
    simulated = simulate_schedule(
        [0, 10],
        fixed(15),
        session_end=30,
        lateness=[LatenessModel(mean_minutes=30, sd_minutes=0), PUNCTUAL],
        replications=2,
    )
    assert simulated.expected_wait.tolist() == [0, 0]
    assert simulated.metrics["idle"].mean == 15
    assert simulated.metrics["overtime"].mean == 15


def test_early_patient_waits_for_the_appointment_time() -> None:
    # Appointments 0 and 20, 5-minute visits; the second patient arrives 15 minutes early
    # and is seen at 20: a wait of 15, a delay of 0.
    simulated = simulate_schedule(
        [0, 20],
        fixed(5),
        session_end=30,
        lateness=[PUNCTUAL, LatenessModel(mean_minutes=-15, sd_minutes=0)],
        replications=2,
    )
    assert simulated.expected_wait.tolist() == [0, 15]
    assert simulated.metrics["wait"].mean == 7.5
    assert simulated.metrics["delay"].mean == 0
    assert simulated.metrics["idle"].mean == 15


def _event_driven(
    appointments: Sequence[int],
    minutes: Sequence[int],
    lateness: Sequence[int],
    shows: Sequence[bool],
    session_end: int,
) -> tuple[list[float], float, float]:
    """Reference: whenever the provider is free, see the present patient who became ready
    first (then by appointment order); a no-show is a zero-length visit at its time."""
    ready = [
        max(a, a + late) if s else a
        for a, late, s in zip(appointments, lateness, shows, strict=True)
    ]
    waits = [math.nan] * len(appointments)
    free, idle, left = 0.0, 0.0, set(range(len(appointments)))
    while left:
        present = [i for i in left if ready[i] <= free]
        if not present:
            moment = min(ready[i] for i in left)
            idle, free = idle + moment - free, moment
            continue
        i = min(present, key=lambda k: (ready[k], k))
        left.remove(i)
        if shows[i]:
            waits[i] = free - (appointments[i] + lateness[i])
            free += minutes[i]
    return waits, idle, max(0.0, free - session_end)


@st.composite
def _sessions(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], list[bool], int]:
    n = draw(st.integers(1, 6))
    appointments = sorted(draw(st.lists(st.integers(0, 90), min_size=n, max_size=n)))
    minutes = draw(st.lists(st.integers(1, 30), min_size=n, max_size=n))
    lateness = draw(st.lists(st.integers(-20, 40), min_size=n, max_size=n))
    shows = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return appointments, minutes, lateness, shows, draw(st.integers(30, 150))


@settings(max_examples=80, deadline=None)
@given(_sessions())
def test_engine_matches_an_event_driven_reference(
    case: tuple[list[int], list[int], list[int], list[bool], int],
) -> None:
    appointments, minutes, lateness, shows, session_end = case
    simulated = simulate_schedule(
        appointments,
        [fixed(m) for m in minutes],
        session_end=session_end,
        no_show=[0.0 if s else 1.0 for s in shows],
        lateness=[LatenessModel(mean_minutes=x, sd_minutes=0) for x in lateness],
        replications=2,
    )
    waits, idle, overtime = _event_driven(appointments, minutes, lateness, shows, session_end)
    assert np.allclose(simulated.expected_wait, waits, equal_nan=True)
    assert simulated.metrics["idle"].mean == pytest.approx(idle)
    assert simulated.metrics["overtime"].mean == pytest.approx(overtime, abs=1e-9)
    seen = sum(shows)
    expected_wait = np.nansum(waits) / seen if seen else math.nan
    assert simulated.metrics["wait"].mean == pytest.approx(expected_wait, nan_ok=True)


def test_simulate_schedule_errors() -> None:
    with pytest.raises(ValueError, match="nondecreasing"):
        simulate_schedule([10, 0], DURATION, session_end=30)
    with pytest.raises(ValueError, match="replications"):
        simulate_schedule([0], DURATION, session_end=30, replications=1)
    with pytest.raises(ValueError, match="2 models for 1"):
        simulate_schedule([0], [DURATION, DURATION], session_end=30)
    with pytest.raises(ValueError, match="probabilities"):
        simulate_schedule([0], DURATION, session_end=30, no_show=1.5)


# -- a solved clinic day ------------------------------------------------------------------


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Result]:
    problem = generate_clinic(seed=1, providers=4, exam_rooms=3, procedure_rooms=1, days=1)
    result = psr_sched.solve(problem, psr_sched.SolveOptions(time_limit_s=3))
    return problem, result


def test_simulate_day_report(solved: tuple[Problem, Result]) -> None:
    problem, result = solved
    report = simulate_day(problem, result, replications=2_000, seed=5)
    providers = {a.provider_id for a in result.assignments}
    assert set(report.by_provider) == providers
    frame = report.to_frame()
    assert list(frame.columns) == ["provider_id", "metric", "mean", "ci_low", "ci_high"]
    assert len(frame) == (len(providers) + 1) * len(METRICS)
    assert frame["provider_id"].isna().sum() == len(METRICS)  # the clinic's rows
    assert (frame["ci_low"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["ci_high"]).all()
    assert (frame["mean"] >= 0).all()
    assert len(report.visits) == len(result.assignments)
    assert report.visits["mean_wait"].ge(report.visits["mean_delay"]).all()
    again = simulate_day(problem, result, report.day, replications=2_000, seed=5)
    pd.testing.assert_frame_equal(again.to_frame(), frame)


def _minute(moment: dt.time | dt.datetime) -> int:
    """Minutes after local midnight."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(ZONE).time()
    return moment.hour * 60 + moment.minute


def _working_spans(problem: Problem, provider_id: str, day: dt.date) -> list[tuple[int, int]]:
    """Session minutes of the day minus time off (the generated clinic's calendars)."""
    person = next(p for p in problem.providers if p.id == provider_id)
    spans = [
        (_minute(w.start), _minute(w.end)) for w in person.sessions if w.weekday == day.weekday()
    ]
    for off in person.unavailable:
        if off.date == day and off.start is not None and off.end is not None:
            lo, hi = _minute(off.start), _minute(off.end)
            spans = [
                piece
                for s, e in spans
                for piece in ((s, min(e, lo)), (max(s, hi), e))
                if piece[0] < piece[1]
            ]
    return spans


def test_certain_day_reproduces_the_schedule(solved: tuple[Problem, Result]) -> None:
    # Fixed durations equal to the booked ones, punctual patients, no no-shows: nobody
    # waits, no overtime, and the idle time is the schedule's gaps inside each span.
    problem, result = solved
    report = simulate_day(problem, result, model=CERTAIN, replications=2)
    for provider_id, estimates in report.by_provider.items():
        visits = sorted(
            (_minute(a.start), _minute(a.end))
            for a in result.assignments
            if a.provider_id == provider_id
        )
        idle = 0
        for lo, hi in _working_spans(problem, provider_id, report.day):
            inside = [(s, e) for s, e in visits if lo <= s < hi]
            ends = [lo] + [e for _, e in inside[:-1]]
            idle += sum(s - before for (s, _), before in zip(inside, ends, strict=True))
        assert estimates["wait"].mean == 0
        assert estimates["overtime"].mean == 0
        assert estimates["idle"].mean == pytest.approx(idle)
        assert estimates["seen"].mean == len(visits)


def test_certain_no_show_of_one_request(solved: tuple[Problem, Result]) -> None:
    problem, result = solved
    gone = result.assignments[0]
    model = SimulationModel(
        cv=0.0, no_show_probability=0.0, no_show_by_request={gone.request_id: 1.0}
    )
    report = simulate_day(problem, result, model=model, replications=2)
    visits = report.visits.set_index("request_id")
    assert math.isnan(visits.loc[gone.request_id, "mean_wait"])
    count = sum(a.provider_id == gone.provider_id for a in result.assignments)
    assert report.by_provider[gone.provider_id]["seen"].mean == count - 1
    assert report.clinic["seen"].mean == len(result.assignments) - 1


def test_later_session_end_lowers_overtime(solved: tuple[Problem, Result]) -> None:
    problem, result = solved
    model = SimulationModel(duration_factor=1.3)
    provider_id = result.assignments[0].provider_id
    base = simulate_day(problem, result, model=model, replications=2_000, seed=2)
    later = simulate_day(
        problem,
        result,
        model=model,
        session_end={provider_id: at("18:00")},
        replications=2_000,
        seed=2,
    )
    before = base.by_provider[provider_id]["overtime"].mean
    assert 0 < later.by_provider[provider_id]["overtime"].mean < before


def _day_result(problem: Problem, visits: list[tuple[str, str, str]]) -> Result:
    """A result booking ``(request id, start, end)`` with provider P1 on Monday."""
    by_id = {r.id: r for r in problem.requests}
    return Result(
        problem_name=problem.name,
        status=SolveStatus.FEASIBLE,
        assignments=tuple(
            Assignment(
                request_id=rid,
                patient_id=by_id[rid].patient_id,
                visit_type=by_id[rid].visit_type,
                provider_id="P1",
                room_id=None,
                start=at(start),
                end=at(end),
            )
            for rid, start, end in visits
        ),
        unscheduled=(),
        terms=ObjectiveTerms(),
        weights=Weights(),
        objective=0,
        wall_time_s=0.0,
    )


def test_morning_overrun_delays_the_afternoon() -> None:
    # Sessions 08:00-12:00 and 13:00-17:00.  The 11:30 visit lasts 120 minutes instead of
    # 30: the morning runs 90 minutes over, the 13:00 patient waits 30 minutes.  Idle: the
    # morning until 11:30; the afternoon none (the break is not idle time).
    problem = make_problem(
        providers=[provider(weekly=sessions(("08:00", "12:00"), ("13:00", "17:00")))],
        visit_types=[visit_type("LONG", 30), visit_type("V30", 30)],
        requests=[request("R1", "LONG"), request("R2", "V30")],
    )
    result = _day_result(problem, [("R1", "11:30", "12:00"), ("R2", "13:00", "13:30")])
    model = SimulationModel(
        cv=0.0, no_show_probability=0.0, lateness=PUNCTUAL, durations={"LONG": fixed(120)}
    )
    report = simulate_day(problem, result, date(0), model=model, replications=2)
    clinic = report.clinic
    assert (clinic["wait"].mean, clinic["idle"].mean, clinic["overtime"].mean) == (15, 210, 90)
    assert report.visits.set_index("request_id")["mean_wait"].to_dict() == {"R1": 0, "R2": 30}


def test_default_model_cites_facts() -> None:
    model = SimulationModel()
    assert model.cv == DEFAULT_CV
    assert model.duration_of("EST", 20) == DurationModel(mean_minutes=20, cv=DEFAULT_CV)
    assert model.no_show_of("R1") == 0.15
    assert model.lateness == LatenessModel(mean_minutes=-10, sd_minutes=10)


def test_simulate_day_errors(solved: tuple[Problem, Result]) -> None:
    problem, result = solved
    with pytest.raises(ValueError, match="not an open date"):
        simulate_day(problem, result, dt.date(2030, 1, 1), replications=10)
    with pytest.raises(ValueError, match="unknown provider"):
        simulate_day(problem, result, session_end={"NOBODY": at("18:00")}, replications=10)
    with pytest.raises(ValueError, match="level"):
        simulate_day(problem, result, replications=10, level=1.5)
