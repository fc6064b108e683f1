"""Result of a solve: the schedule, the unscheduled requests with reasons, and the objective."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import AwareDatetime, Field

from psr_sched.domain import DomainModel, Weights

if TYPE_CHECKING:
    from psr_sched.problem import Problem


class ReasonCode(StrEnum):
    """Why a request ended unscheduled."""

    NO_SKILLED_PROVIDER = "NO_SKILLED_PROVIDER"
    NO_ALLOWED_PROVIDER = "NO_ALLOWED_PROVIDER"
    OUT_OF_NETWORK = "OUT_OF_NETWORK"
    NO_ROOM_OF_KIND = "NO_ROOM_OF_KIND"
    NO_SESSION_IN_WINDOW = "NO_SESSION_IN_WINDOW"
    LINKED_REQUEST_UNAVAILABLE = "LINKED_REQUEST_UNAVAILABLE"
    LINKED_REQUEST_UNSCHEDULED = "LINKED_REQUEST_UNSCHEDULED"
    COVERAGE_INACTIVE = "COVERAGE_INACTIVE"
    AUTH_PENDING = "AUTH_PENDING"
    NO_CAPACITY_IN_WINDOW = "NO_CAPACITY_IN_WINDOW"
    NOT_PLACED_IN_TIME = "NOT_PLACED_IN_TIME"


class SolveStatus(StrEnum):
    """How a solve ended."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    GREEDY = "GREEDY"


class Assignment(DomainModel):
    """One scheduled visit."""

    request_id: str
    patient_id: str
    visit_type: str
    provider_id: str
    room_id: str | None
    start: AwareDatetime
    end: AwareDatetime


class Unscheduled(DomainModel):
    """A request left unscheduled, and why."""

    request_id: str
    reason: ReasonCode
    message: str


class ObjectiveTerms(DomainModel):
    """The objective's parts, unweighted, in their natural units.

    Attributes
    ----------
    unscheduled_priority : int
        Sum of the priorities of unscheduled requests.
    unscheduled_count : int
        Number of unscheduled requests.
    access_wait : int
        Sum over scheduled requests of priority × minutes from ``earliest`` to start.
    idle_gap : int
        Sum over provider-days of last end − first start − busy minutes.
    provider_preference_misses : int
        Scheduled requests with preferred providers seen by another provider.
    time_preference_misses : int
        Scheduled requests with preferred times starting outside all of them.
    pinned_moves : int
        Movable pinned visits moved (other provider or start) or cancelled.
    pinned_move_cost : int
        Sum of ``move_cost`` over those.
    out_of_network_visits : int
        Scheduled visits with a provider outside the request's payer network (only when
        ``Weights.out_of_network`` allows them).
    """

    unscheduled_priority: int = 0
    unscheduled_count: int = 0
    access_wait: int = 0
    idle_gap: int = 0
    provider_preference_misses: int = 0
    time_preference_misses: int = 0
    pinned_moves: int = 0
    pinned_move_cost: int = 0
    out_of_network_visits: int = 0

    def weighted(self, weights: Weights) -> dict[str, int]:
        """Each term times its weight, keyed by term name."""
        return {
            "unscheduled": weights.unscheduled * self.unscheduled_priority,
            "access_wait": weights.access_wait * self.access_wait,
            "idle_gap": weights.idle_gap * self.idle_gap,
            "provider_preference": weights.provider_preference_miss
            * self.provider_preference_misses,
            "time_preference": weights.time_preference_miss * self.time_preference_misses,
            "pinned_moves": weights.pinned_move * self.pinned_move_cost,
            "out_of_network": (weights.out_of_network or 0) * self.out_of_network_visits,
        }

    def total(self, weights: Weights) -> int:
        """The weighted objective."""
        return sum(self.weighted(weights).values())


SCHEDULE_COLUMNS = [
    "request_id",
    "patient_id",
    "visit_type",
    "provider_id",
    "room_id",
    "start",
    "end",
    "wait_minutes",
]
UNSCHEDULED_COLUMNS = ["request_id", "reason", "message"]


class Result(DomainModel):
    """The outcome of :func:`psr_sched.solve`.

    Every request of the problem appears exactly once, in ``assignments`` or in
    ``unscheduled``.
    """

    problem_name: str
    status: SolveStatus
    assignments: tuple[Assignment, ...]
    unscheduled: tuple[Unscheduled, ...]
    terms: ObjectiveTerms
    weights: Weights
    objective: int = Field(description="weighted objective of the schedule")
    best_bound: int | None = Field(
        default=None, description="proven lower bound on the weighted objective"
    )
    wall_time_s: float
    time_to_first_s: float | None = None
    baseline_objective: int | None = Field(
        default=None, description="weighted objective of the greedy construction"
    )
    baseline_terms: ObjectiveTerms | None = None
    stats: dict[str, Any] = Field(default_factory=dict)

    def in_zone(self, zone: dt.tzinfo) -> Result:
        """This result with every start and end expressed in ``zone``.

        JSON keeps each moment's UTC offset but not its IANA zone, so a result read back
        from JSON shows a schedule across a daylight-saving change in one fixed offset; pass
        the problem's ``horizon.zone`` to restore local times (the moments do not change).
        """
        assignments = tuple(
            a.model_copy(update={"start": a.start.astimezone(zone), "end": a.end.astimezone(zone)})
            for a in self.assignments
        )
        return self.model_copy(update={"assignments": assignments})

    @property
    def gap(self) -> float | None:
        """Relative gap (objective − bound) / objective, or ``None`` without a bound."""
        if self.best_bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))

    def to_frame(self, problem: Problem | None = None) -> pd.DataFrame:
        """The schedule as a frame, one row per visit, ordered by start then provider.

        ``wait_minutes`` needs the problem (for each request's ``earliest``); without it
        the column is missing values.
        """
        earliest = {r.id: r.earliest for r in problem.requests} if problem is not None else {}
        rows = [
            {
                "request_id": a.request_id,
                "patient_id": a.patient_id,
                "visit_type": a.visit_type,
                "provider_id": a.provider_id,
                "room_id": a.room_id,
                "start": a.start,
                "end": a.end,
                "wait_minutes": _wait(a.start, earliest.get(a.request_id)),
            }
            for a in self.assignments
        ]
        frame = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
        if frame.empty:
            return frame
        tz = self.assignments[0].start.tzinfo
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(tz)
        frame["wait_minutes"] = frame["wait_minutes"].astype("Int64")
        return frame.sort_values(["start", "provider_id"], kind="stable").reset_index(drop=True)

    def unscheduled_frame(self) -> pd.DataFrame:
        """Unscheduled requests with reason code and message."""
        return pd.DataFrame(
            [
                {"request_id": u.request_id, "reason": u.reason.value, "message": u.message}
                for u in self.unscheduled
            ],
            columns=UNSCHEDULED_COLUMNS,
        )

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, reasons, terms, objective, bound, gap, timings."""
        reasons: dict[str, int] = {}
        for u in self.unscheduled:
            reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
        return {
            "problem": self.problem_name,
            "status": self.status.value,
            "requests": len(self.assignments) + len(self.unscheduled),
            "scheduled": len(self.assignments),
            "unscheduled": len(self.unscheduled),
            "unscheduled_by_reason": dict(sorted(reasons.items())),
            "objective": self.objective,
            "objective_terms": self.terms.model_dump(),
            "weighted_terms": self.terms.weighted(self.weights),
            "best_bound": self.best_bound,
            "gap": self.gap,
            "wall_time_s": round(self.wall_time_s, 3),
            "time_to_first_s": (
                None if self.time_to_first_s is None else round(self.time_to_first_s, 3)
            ),
            "baseline_objective": self.baseline_objective,
            "baseline_terms": (
                None if self.baseline_terms is None else self.baseline_terms.model_dump()
            ),
            "stats": self.stats,
        }

    def __repr__(self) -> str:
        return (
            f"Result(status={self.status.value}, scheduled={len(self.assignments)}, "
            f"unscheduled={len(self.unscheduled)}, objective={self.objective}, "
            f"bound={self.best_bound})"
        )


def _wait(start: dt.datetime, earliest: dt.datetime | None) -> int | None:
    if earliest is None:
        return None
    return int((start.astimezone(dt.UTC) - earliest.astimezone(dt.UTC)).total_seconds() // 60)
