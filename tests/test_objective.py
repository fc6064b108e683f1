"""Objective terms: preferences, idle gap, unscheduled priority, weighting modes."""

from __future__ import annotations

import datetime as dt

from builders import (
    at,
    make_problem,
    placed,
    provider,
    reasons,
    request,
    solve_checked,
    starts,
    visit_type,
)
from psr_sched import (
    AppointmentRequest,
    Horizon,
    Problem,
    ReasonCode,
    TimeWindow,
    Weights,
    build_problem,
    weekly_sessions,
)

NY = "America/New_York"


def test_provider_preference_missed_when_waiting_costs_more() -> None:
    # R1 prefers P2, whose session starts at 09:30; P1 is free at 08:00.  P2: wait 90;
    # P1: miss 60.  objective = 60, one miss.
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("09:30", "12:00"))],
        requests=[request("R1", preferred_providers=["P2"])],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P1"
    assert result.terms.provider_preference_misses == 1
    assert result.objective == 60


def test_provider_preference_kept_when_waiting_costs_less() -> None:
    # Same with P2 from 08:30: P2 at 08:30 (wait 30) beats P1 at 08:00 (miss 60).
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("08:30", "12:00"))],
        requests=[request("R1", preferred_providers=["P2"])],
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P2"
    assert starts(result) == {"R1": "08:30"}
    assert result.terms.provider_preference_misses == 0
    assert result.objective == 30


def test_provider_preference_weight_scales() -> None:
    # Weight 100 per miss: P2 at 09:30 (wait 90) now beats P1 (miss 100).  objective = 90.
    problem = make_problem(
        providers=[provider("P1"), provider("P2", session=("09:30", "12:00"))],
        requests=[request("R1", preferred_providers=["P2"])],
        weights=Weights(provider_preference_miss=100),
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].provider_id == "P2"
    assert result.objective == 90


def test_time_preference_missed_when_waiting_costs_more() -> None:
    # Preferred start 10:00-11:00, earliest 08:00: wait 120 > miss 30 → 08:00 with a miss.
    problem = make_problem(requests=[request("R1", preferred_times=[("10:00", "11:00")])])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.terms.time_preference_misses == 1
    assert result.objective == 30


def test_time_preference_kept_when_waiting_costs_less() -> None:
    # Preferred 08:15-09:00: 08:15 costs 15 < 30.  objective = 15.
    problem = make_problem(requests=[request("R1", preferred_times=[("08:15", "09:00")])])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:15"}
    assert result.terms.time_preference_misses == 0
    assert result.objective == 15


def test_time_preference_end_is_exclusive() -> None:
    # Preferred 07:00-08:00 while the session starts at 08:00: a start at 08:00 is not in
    # the window (end exclusive), so it is a miss.  objective = 30.
    problem = make_problem(requests=[request("R1", preferred_times=[("07:00", "08:00")])])
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.terms.time_preference_misses == 1
    assert result.objective == 30


def test_time_preference_second_window() -> None:
    # Two preferred windows, 11:00-12:00 and 08:20-08:25: the second costs 20 < 30.
    problem = make_problem(
        requests=[request("R1", preferred_times=[("11:00", "12:00"), ("08:20", "08:25")])]
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:20"}
    assert result.objective == 20


def test_idle_gap_dominating_closes_the_gap() -> None:
    # One provider; R1 from 08:00, R2 from 10:00.  idle_gap weight 10.  R1 at 08:00 would
    # leave 90 idle minutes (900); R1 at t ∈ [08:00, 09:30] costs (t - 08:00) +
    # 10 × (09:30 - t), minimal at t = 09:30: wait 90, idle 0.  objective = 90.
    problem = make_problem(
        requests=[request("R1"), request("R2", earliest=at("10:00"))],
        weights=Weights(idle_gap=10),
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "09:30", "R2": "10:00"}
    assert result.terms.idle_gap == 0
    assert result.terms.access_wait == 90
    assert result.objective == 90


def test_idle_gap_term_reported_even_with_zero_weight() -> None:
    # idle_gap weight 0: R1 at 08:00, R2 at 10:00; the idle term is 90 minutes but costs
    # nothing.  objective = 0.
    problem = make_problem(
        requests=[request("R1"), request("R2", earliest=at("10:00"))],
        weights=Weights(idle_gap=0),
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00", "R2": "10:00"}
    assert result.terms.idle_gap == 90
    assert result.objective == 0


def test_idle_gap_counts_per_provider_day() -> None:
    # Two days, one provider: R1 Monday 08:00, R2 from Tuesday 10:00.  Different dates, so
    # no idle minutes at all (idle is per provider and date).  objective = 0.
    problem = make_problem(
        requests=[request("R1"), request("R2", earliest=at("10:00", 1))],
        weights=Weights(idle_gap=10),
        days=2,
    )
    result = solve_checked(problem)
    assert placed(result)["R1"].start == at("08:00")
    assert placed(result)["R2"].start == at("10:00", 1)
    assert result.terms.idle_gap == 0
    assert result.objective == 0


def test_unscheduled_dominates_highest_priority_is_placed() -> None:
    # One 30-minute slot (session 08:00-08:30), three requests of priorities 1, 5, 3:
    # the priority-5 one is placed; 10 000 × (1 + 3) = 40 000.
    problem = make_problem(
        providers=[provider(session=("08:00", "08:30"))],
        requests=[request("R1", priority=1), request("R2", priority=5), request("R3", priority=3)],
    )
    result = solve_checked(problem)
    assert starts(result) == {"R2": "08:00"}
    assert reasons(result) == {
        "R1": ReasonCode.NO_CAPACITY_IN_WINDOW,
        "R3": ReasonCode.NO_CAPACITY_IN_WINDOW,
    }
    assert result.terms.unscheduled_priority == 4
    assert result.terms.unscheduled_count == 2
    assert result.objective == 40_000


def test_unscheduled_two_short_beat_one_long() -> None:
    # Session 08:00-09:00: either R1 (60 minutes, priority 3) or R2 and R3 (30 minutes,
    # priority 2 each).  Leaving R1 out costs 30 000 plus 2 × 30 wait for the second short
    # visit; leaving R2 and R3 out costs 40 000.  objective = 30 060.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        visit_types=[visit_type("V60", 60), visit_type()],
        requests=[
            request("R1", "V60", priority=3),
            request("R2", priority=2),
            request("R3", priority=2),
        ],
    )
    result = solve_checked(problem)
    assert sorted(starts(result).values()) == ["08:00", "08:30"]
    assert set(reasons(result)) == {"R1"}
    assert result.objective == 30_060


def test_weighted_mode_with_small_unscheduled_weight_is_truly_weighted() -> None:
    # Weights(unscheduled=1): placing R1 at 10:00 costs 120 minutes of wait, leaving it
    # unscheduled costs 1 × 1.  The weighted optimum leaves it unscheduled: objective 1.
    # (A result claiming OPTIMAL with objective 120 has a best_bound above the optimum.)
    problem = make_problem(
        providers=[provider(session=("10:00", "12:00"))],
        requests=[request("R1")],
        weights=Weights(unscheduled=1),
    )
    result = solve_checked(problem)
    assert result.assignments == ()
    assert result.objective == 1


def test_lexicographic_mode_minimizes_unscheduled_first() -> None:
    # Session 08:00-09:00: R1 (60 minutes, priority 3) or R2 + R3 (30 minutes, priority
    # 2 each).  Weights unscheduled=1, access_wait=100.
    #   weighted:      R1 alone: 1 × 4 + 0 = 4
    #                  (R2 + R3 at 08:00 and 08:30: 1 × 3 + 100 × 2 × 30 = 6003)
    #   lexicographic: unscheduled priority first: 3 < 4, so R2 + R3 at 08:00 and 08:30;
    #                  reported objective = terms.total(weights) = 3 + 6000 = 6003.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        visit_types=[visit_type("V60", 60), visit_type()],
        requests=[
            request("R1", "V60", priority=3),
            request("R2", priority=2),
            request("R3", priority=2),
        ],
        weights=Weights(unscheduled=1, access_wait=100, mode="lexicographic"),
    )
    result = solve_checked(problem)
    assert set(reasons(result)) == {"R1"}
    assert sorted(starts(result).values()) == ["08:00", "08:30"]
    assert result.terms.unscheduled_priority == 3
    assert result.terms.access_wait == 60
    assert result.objective == 6003


def test_weighted_mode_same_instance_prefers_the_long_visit() -> None:
    # The weighted twin of the test above: R1 alone, objective 4.
    problem = make_problem(
        providers=[provider(session=("08:00", "09:00"))],
        visit_types=[visit_type("V60", 60), visit_type()],
        requests=[
            request("R1", "V60", priority=3),
            request("R2", priority=2),
            request("R3", priority=2),
        ],
        weights=Weights(unscheduled=1, access_wait=100),
    )
    result = solve_checked(problem)
    assert starts(result) == {"R1": "08:00"}
    assert result.objective == 4


# -- time preferences on daylight-saving days ----------------------------------------------
# The rule compares the visit's local wall-clock start time with the window's wall times.


def _dst_problem(
    day: dt.date,
    session: tuple[dt.time, dt.time],
    earliest: dt.datetime,
    preferred: tuple[dt.time, dt.time],
) -> Problem:
    return build_problem(
        {
            "horizon": Horizon(start=day, end=day, timezone=NY, closed_weekdays=()),
            "providers": [provider("P1", weekly=weekly_sessions((day.weekday(),), session))],
            "visit_types": [visit_type()],
            "requests": [
                AppointmentRequest(
                    id="R1",
                    patient_id="x",
                    visit_type="V30",
                    earliest=earliest,
                    latest=earliest + dt.timedelta(hours=6),
                    preferred_times=(TimeWindow(start=preferred[0], end=preferred[1]),),
                )
            ],
        }
    )


def test_time_preference_window_spanning_the_spring_forward_gap() -> None:
    # New York, Sunday 2026-03-08: 02:00-03:00 does not exist.  Preferred 02:30-04:00,
    # earliest 03:00 EDT (07:00 UTC).  A start at 03:00 has wall time 03:00, inside
    # [02:30, 04:00): no miss, no wait.  objective = 0.
    problem = _dst_problem(
        dt.date(2026, 3, 8),
        (dt.time(1), dt.time(5)),
        dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),
        (dt.time(2, 30), dt.time(4)),
    )
    result = solve_checked(problem)
    assert [a.start for a in result.assignments] == [dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC)]
    assert result.terms.time_preference_misses == 0
    assert result.objective == 0


def test_time_preference_on_the_fall_back_day_uses_wall_time() -> None:
    # New York, Sunday 2026-11-01: 01:00-02:00 happens twice.  Preferred 01:30-02:00,
    # earliest 01:15 EST (the second 01:15, 06:15 UTC).  Starting at 01:15 EST is a miss
    # (wall time 01:15 < 01:30): cost 30.  Starting at 01:30 EST (06:30 UTC) is inside
    # the window: wait 15.  objective = 15.
    problem = _dst_problem(
        dt.date(2026, 11, 1),
        (dt.time(0, 30), dt.time(5)),
        dt.datetime(2026, 11, 1, 6, 15, tzinfo=dt.UTC),
        (dt.time(1, 30), dt.time(2)),
    )
    result = solve_checked(problem)
    # Compared in UTC: aware datetimes with fold=1 never compare equal across zones (PEP 495).
    assert [a.start.astimezone(dt.UTC) for a in result.assignments] == [
        dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    ]
    assert result.terms.time_preference_misses == 0
    assert result.objective == 15
