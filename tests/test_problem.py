"""Problem validation: errors name the record and the field; JSON round trip; DST rule."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from builders import (
    at,
    check,
    dated,
    desk,
    make_problem,
    pin,
    provider,
    request,
    visit_type,
)
from builders import room as make_room
from psr_sched import (
    FollowUp,
    Horizon,
    Problem,
    ProblemError,
    SameDaySequence,
    SolveOptions,
    Weights,
    build_problem,
    parse_problem,
    solve,
    weekly_sessions,
)


def base() -> dict[str, Any]:
    """A valid problem as plain JSON data, with requests R16 and R17."""
    problem = make_problem(
        providers=[provider("P1"), provider("P2")],
        visit_types=[visit_type("V30", 30), visit_type("V60", 60)],
        requests=[request("R16"), request("R17", "V60")],
    )
    data: dict[str, Any] = json.loads(problem.to_json())
    return data


def request_17(data: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in data["requests"] if r["id"] == "R17")


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ProblemError) as info:
        build_problem(data)
    return str(info.value)


def test_base_is_valid() -> None:
    assert isinstance(build_problem(base()), Problem)


def test_duplicate_request_id() -> None:
    data = base()
    data["requests"][0]["id"] = "R17"
    message = error_of(data)
    assert "request R17" in message
    assert "id" in message


def test_duplicate_provider_id() -> None:
    data = base()
    data["providers"][1]["id"] = "P1"
    message = error_of(data)
    assert "provider P1" in message
    assert "id" in message


def test_duplicate_visit_type_code() -> None:
    data = base()
    data["visit_types"][1]["code"] = "V30"
    assert "visit type V30" in error_of(data)


def test_unknown_visit_type() -> None:
    data = base()
    request_17(data)["visit_type"] = "NOPE"
    message = error_of(data)
    assert "request R17" in message
    assert "visit_type" in message


def test_window_ending_before_it_starts() -> None:
    data = base()
    r = request_17(data)
    r["earliest"], r["latest"] = r["latest"], r["earliest"]
    message = error_of(data)
    assert "request R17" in message
    assert "latest" in message


def test_empty_window() -> None:
    data = base()
    r = request_17(data)
    r["latest"] = r["earliest"]
    message = error_of(data)
    assert "request R17" in message
    assert "latest" in message


@pytest.mark.parametrize("minutes", [0, -30])
def test_non_positive_duration(minutes: int) -> None:
    data = base()
    data["visit_types"][1]["duration_minutes"] = minutes
    message = error_of(data)
    assert "visit type V60" in message
    assert "duration_minutes" in message


def test_duration_not_a_multiple_of_the_grain() -> None:
    data = base()
    data["visit_types"][1]["duration_minutes"] = 32
    message = error_of(data)
    assert "visit type V60" in message
    assert "duration_minutes" in message
    assert "grain" in message


def test_provider_duration_not_a_multiple_of_the_grain() -> None:
    data = base()
    data["visit_types"][1]["provider_durations"] = {"P2": 44}
    message = error_of(data)
    assert "visit type V60" in message
    assert "provider_durations" in message


def test_naive_datetime() -> None:
    data = base()
    request_17(data)["earliest"] = "2026-12-07T08:00:00"
    message = error_of(data)
    assert "request R17" in message
    assert "earliest" in message


def test_datetime_off_the_minute() -> None:
    data = base()
    request_17(data)["earliest"] = "2026-12-07T08:00:30-06:00"
    message = error_of(data)
    assert "request R17" in message
    assert "earliest" in message


def test_horizon_end_before_start() -> None:
    data = base()
    data["horizon"]["end"] = "2026-12-06"
    message = error_of(data)
    assert "horizon" in message
    assert "end" in message


def test_horizon_without_open_dates() -> None:
    # Saturday and Sunday only, both closed by default.
    data = base()
    data["horizon"]["start"] = "2026-12-12"
    data["horizon"]["end"] = "2026-12-13"
    message = error_of(data)
    assert "horizon" in message
    assert "no open date" in message


def test_unknown_timezone() -> None:
    data = base()
    data["horizon"]["timezone"] = "Mars/Olympus_Mons"
    message = error_of(data)
    assert "horizon.timezone" in message
    assert "Mars/Olympus_Mons" in message


def test_grain_not_dividing_the_hour() -> None:
    data = base()
    data["horizon"]["grain_minutes"] = 7
    assert "horizon.grain_minutes" in error_of(data)


def test_link_cycle() -> None:
    data = base()
    data["requests"][0]["links"] = [{"kind": "follow_up", "request_id": "R17"}]
    request_17(data)["links"] = [{"kind": "follow_up", "request_id": "R16"}]
    message = error_of(data)
    assert "links" in message
    assert "cycle" in message
    assert "request R16" in message or "request R17" in message


def test_link_to_unknown_request() -> None:
    data = base()
    request_17(data)["links"] = [{"kind": "follow_up", "request_id": "R99"}]
    message = error_of(data)
    assert "request R17" in message
    assert "links" in message


def test_link_to_itself() -> None:
    data = base()
    request_17(data)["links"] = [{"kind": "follow_up", "request_id": "R17"}]
    message = error_of(data)
    assert "request R17" in message
    assert "links" in message


def test_same_day_sequence_across_patients() -> None:
    data = base()
    request_17(data)["links"] = [{"kind": "same_day_sequence", "request_id": "R16"}]
    message = error_of(data)
    assert "request R17" in message
    assert "links" in message


def test_unknown_preferred_provider() -> None:
    data = base()
    request_17(data)["preferred_provider_ids"] = ["P9"]
    message = error_of(data)
    assert "request R17" in message
    assert "preferred_provider_ids" in message


def test_priority_out_of_range() -> None:
    data = base()
    request_17(data)["priority"] = 0
    message = error_of(data)
    assert "request R17" in message
    assert "priority" in message


def test_unknown_field_rejected() -> None:
    data = base()
    request_17(data)["colour"] = "blue"
    message = error_of(data)
    assert "request R17" in message
    assert "colour" in message


def test_pin_of_unknown_request() -> None:
    data = base()
    data["pinned"] = [
        {"request_id": "R99", "provider_id": "P1", "start": "2026-12-07T08:00:00-06:00"}
    ]
    message = error_of(data)
    assert "pinned appointment R99" in message
    assert "request_id" in message


def test_error_message_never_echoes_values() -> None:
    # Patient ids are opaque but still patient data: never in an error message.
    data = base()
    r = request_17(data)
    r["patient_id"] = "SECRET-PATIENT-42"
    r["earliest"] = "not a date"
    message = error_of(data)
    assert "SECRET-PATIENT-42" not in message
    assert "not a date" not in message
    assert "request R17" in message


def test_malformed_json() -> None:
    with pytest.raises(ProblemError, match="malformed JSON"):
        parse_problem("{not json")


def test_json_round_trip_simple() -> None:
    problem = build_problem(base())
    assert parse_problem(problem.to_json()) == problem


def test_json_round_trip_every_feature() -> None:
    problem = make_problem(
        providers=[
            provider(
                "P1",
                skills=["lab", "md"],
                networks=["A", "B"],
                max_visits_per_day=5,
                extra_sessions=[dated(0, "13:00", "14:00")],
                unavailable=[dated(0, "09:00", "09:30"), dated(1)],
            ),
            provider("P2", session=("09:00", "11:00")),
        ],
        rooms=[make_room("X1", turnover=10, closed=[dated(0, "07:00", "08:00")]), make_room("X2")],
        visit_types=[
            visit_type("LAB", 15, skill="lab", room_kind="exam", check_in=5),
            visit_type("MD", 30, skill="md", provider_durations={"P2": 45}),
        ],
        requests=[
            request("A", "LAB", patient="x", priority=3, payer="A"),
            request(
                "B",
                "MD",
                patient="x",
                preferred_providers=["P1"],
                allowed_providers=["P1", "P2"],
                preferred_times=[("09:00", "10:00")],
                links=[SameDaySequence(request_id="A", min_gap_minutes=5, max_gap_minutes=60)],
            ),
            request("C", "MD", patient="y", links=[FollowUp(request_id="B", min_days=1)]),
        ],
        front_desk=desk(("07:00", "12:00", 2)),
        pinned=[pin("A", at("08:00"), room_id="X2", locked=False, move_cost=30)],
        weights=Weights(idle_gap=3, mode="lexicographic"),
        days=3,
    )
    text = problem.to_json()
    again = parse_problem(text)
    assert again == problem
    assert again.to_json() == text
    assert parse_problem(problem.to_json(indent=None)) == problem


def test_replace_validates_like_a_new_problem() -> None:
    problem = build_problem(base())
    with pytest.raises(ProblemError, match="request R17"):
        problem.replace(requests=(*problem.requests, problem.requests[1]))


# -- daylight saving time -----------------------------------------------------------------

NY = "America/New_York"
SPRING_FORWARD = dt.date(2026, 3, 8)  # a Sunday: 02:00-03:00 does not exist


def dst_problem(start: str, end: str) -> Problem:
    h0, m0 = (int(x) for x in start.split(":"))
    h1, m1 = (int(x) for x in end.split(":"))
    return build_problem(
        {
            "horizon": Horizon(
                start=SPRING_FORWARD,
                end=SPRING_FORWARD,
                timezone=NY,
                closed_weekdays=(),
            ),
            "providers": [
                provider(
                    "PDST",
                    weekly=weekly_sessions((6,), (dt.time(h0, m0), dt.time(h1, m1))),
                )
            ],
            "visit_types": [visit_type()],
            "requests": [
                request(
                    "R1",
                    earliest=dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.UTC),
                    latest=dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC),
                )
            ],
        }
    )


def test_horizon_local_rejects_skipped_wall_time() -> None:
    horizon = Horizon(start=SPRING_FORWARD, end=SPRING_FORWARD, timezone=NY, closed_weekdays=())
    with pytest.raises(ValueError, match="does not exist"):
        horizon.local(SPRING_FORWARD, dt.time(2, 30))
    # 01:59 and 03:00 exist and are one elapsed minute apart.
    a = horizon.local_minute(SPRING_FORWARD, dt.time(1, 59))
    b = horizon.local_minute(SPRING_FORWARD, dt.time(3, 0))
    assert b - a == 1


def test_session_at_skipped_wall_time_is_a_problem_error() -> None:
    problem = dst_problem("02:30", "04:00")
    with pytest.raises(ProblemError, match="provider PDST") as info:
        solve(problem, SolveOptions(time_limit_s=2, workers=1))
    assert "02:30" in str(info.value)


def test_session_around_the_gap_counts_true_minutes() -> None:
    # A session 01:00-04:00 on the spring-forward day lasts two real hours.  Four 30-minute
    # visits fit exactly: 01:00, 01:30, 03:00 (= 01:30 + 30 real minutes), 03:30.
    problem = dst_problem("01:00", "04:00").replace(
        requests=tuple(
            request(
                f"R{i}",
                earliest=dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.UTC),
                latest=dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC),
                priority=6 - i,
            )
            for i in range(1, 6)
        )
    )

    result = solve(problem, SolveOptions(time_limit_s=10, workers=2, seed=0))
    check(problem, result)
    assert len(result.assignments) == 4
    assert [u.request_id for u in result.unscheduled] == ["R5"]
    local = sorted(
        a.start.astimezone(problem.horizon.zone).strftime("%H:%M") for a in result.assignments
    )
    assert local == ["01:00", "01:30", "03:00", "03:30"]
