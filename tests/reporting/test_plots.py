"""Every plot draws onto the Axes it is given (or a new one) and saves to a PNG file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from psr_sched.reporting import provider_utilization, room_utilization, schedule_frame
from psr_sched.reporting.plots import (
    access_wait_histogram,
    provider_gantt,
    room_gantt,
    scenario_comparison,
    utilization_heatmap,
)

from .clinic import PROBLEM, result, schedule

SCENARIOS = pd.DataFrame(
    {
        "scenario": ["baseline", "extra Tuesday", "room 3 closed"],
        "scheduled": [975, 990, 950],
        "median_wait_minutes": [510.0, 480.0, 720.5],
    }
)

PLOTS: dict[str, Callable[[Axes | None], Axes]] = {
    "provider_gantt": lambda ax: provider_gantt(PROBLEM, result(), ax),
    "room_gantt": lambda ax: room_gantt(PROBLEM, schedule(), ax),
    "utilization_heatmap": lambda ax: utilization_heatmap(
        provider_utilization(PROBLEM, result()), ax
    ),
    "room_heatmap": lambda ax: utilization_heatmap(room_utilization(PROBLEM, result()), ax),
    "access_wait_histogram": lambda ax: access_wait_histogram(
        schedule_frame(PROBLEM, schedule()), ax
    ),
    "scenario_comparison": lambda ax: scenario_comparison(SCENARIOS, "scheduled", ax),
    "scenario_comparison_many": lambda ax: scenario_comparison(
        SCENARIOS, ["scheduled", "median_wait_minutes"], ax
    ),
}


@pytest.mark.parametrize("name", list(PLOTS))
def test_draws_on_a_new_axes_and_saves(name: str, tmp_path: Path) -> None:
    ax = PLOTS[name](None)
    assert isinstance(ax, Axes)
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", list(PLOTS))
def test_draws_on_the_axes_given(name: str, tmp_path: Path) -> None:
    figure = Figure()
    given = figure.add_subplot()
    assert PLOTS[name](given) is given
    figure.savefig(tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_gantt_rows_and_day() -> None:
    ax = provider_gantt(PROBLEM, result())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P1", "P2"]
    assert ax.get_title() == "Providers, 2026-12-07"
    tuesday = provider_gantt(PROBLEM, result(), day=dt.date(2026, 12, 8))
    assert tuesday.get_title() == "Providers, 2026-12-08"
    labels = [t.get_text() for t in room_gantt(PROBLEM, result()).get_xticklabels()]
    assert labels[0] == "07:00" and labels[-1] == "19:00"  # the room's open hours


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="wait_minutes"):
        access_wait_histogram(schedule())
    with pytest.raises(ValueError, match="provider_id or room_id"):
        utilization_heatmap(pd.DataFrame({"date": [], "utilization": []}))
    with pytest.raises(ValueError, match="missing column"):
        scenario_comparison(SCENARIOS, "objective")
    with pytest.raises(ValueError, match="appears more than once"):
        scenario_comparison(pd.concat([SCENARIOS, SCENARIOS]), "scheduled")
    with pytest.raises(ValueError, match="not numeric"):
        scenario_comparison(SCENARIOS.assign(scheduled="many"), "scheduled")


def test_histogram_of_an_empty_schedule() -> None:
    ax = access_wait_histogram(schedule_frame(PROBLEM, schedule().iloc[0:0]))
    assert ax.texts[0].get_text() == "no scheduled visit"
