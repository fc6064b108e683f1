"""Problem: a clinic, its requests and pinned visits, cross-checked and indexed."""

from __future__ import annotations

import json
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from psr_sched.domain import (
    DEFAULT_WEIGHTS,
    AppointmentRequest,
    BeforeVisit,
    DomainModel,
    FrontDesk,
    Horizon,
    PinnedAppointment,
    Provider,
    Room,
    SameDaySequence,
    VisitType,
    Weights,
)
from psr_sched.errors import ProblemError, describe_validation_error
from psr_sched.io.text import read_text


class Problem(DomainModel):
    """Everything the solver needs, validated as a whole.

    Parameters
    ----------
    name : str
        Label of the clinic or scenario.
    horizon : Horizon
        Dates, timezone and grain.
    providers, rooms, visit_types, requests : tuples of records
        Ids unique within each list.
    front_desk : FrontDesk or None
        Check-in stations; ``None`` means check-in is not a constraint.
    pinned : tuple of PinnedAppointment
        Already-booked visits, at most one per request.
    weights : Weights
        Objective weights.
    """

    name: str = "clinic"
    horizon: Horizon
    providers: tuple[Provider, ...]
    rooms: tuple[Room, ...] = ()
    front_desk: FrontDesk | None = None
    visit_types: tuple[VisitType, ...]
    requests: tuple[AppointmentRequest, ...]
    pinned: tuple[PinnedAppointment, ...] = ()
    weights: Weights = Field(default=DEFAULT_WEIGHTS)

    @model_validator(mode="after")
    def _cross_references(self) -> Problem:
        errors = list(self._reference_errors())
        if errors:
            head = "\n".join(errors[:5])
            more = f"\n... and {len(errors) - 5} more" if len(errors) > 5 else ""
            raise ValueError(head + more)
        return self

    def _reference_errors(self) -> list[str]:
        errors: list[str] = []
        for label, ids in (
            ("provider", [p.id for p in self.providers]),
            ("room", [r.id for r in self.rooms]),
            ("visit type", [v.code for v in self.visit_types]),
            ("request", [r.id for r in self.requests]),
        ):
            for key, count in Counter(ids).items():
                if count > 1:
                    errors.append(f"{label} {key}: id is used {count} times")
        if errors:
            # Every reference below is looked up by id: with an id used twice they would
            # report knock-on errors (a pin's request "unknown") instead of the root cause.
            return errors
        providers = {p.id for p in self.providers}
        types = {v.code: v for v in self.visit_types}
        requests = {r.id: r for r in self.requests}
        grain = self.horizon.grain_minutes
        for vt in self.visit_types:
            durations = [("duration_minutes", vt.duration_minutes)] + [
                (f"provider_durations.{pid}", minutes)
                for pid, minutes in vt.provider_durations.items()
            ]
            for field, minutes in durations:
                if minutes % grain:
                    errors.append(
                        f"visit type {vt.code}: {field}: {minutes} minutes is not a multiple "
                        f"of the {grain}-minute grain"
                    )
            for pid in vt.provider_durations:
                if pid not in providers:
                    errors.append(
                        f"visit type {vt.code}: provider_durations: unknown provider {pid!r}"
                    )
        for req in self.requests:
            if req.visit_type not in types:
                errors.append(f"request {req.id}: visit_type: {req.visit_type!r} is unknown")
            for field in ("preferred_provider_ids", "allowed_provider_ids"):
                for pid in getattr(req, field) or ():
                    if pid not in providers:
                        errors.append(f"request {req.id}: {field}: unknown provider {pid!r}")
            for link in req.links:
                other = requests.get(link.request_id)
                if other is None:
                    errors.append(f"request {req.id}: links: unknown request {link.request_id!r}")
                elif link.request_id == req.id:
                    errors.append(f"request {req.id}: links: a request cannot follow itself")
                elif (
                    isinstance(link, SameDaySequence | BeforeVisit)
                    and other.patient_id != req.patient_id
                ):
                    errors.append(
                        f"request {req.id}: links: {link.kind} link with request "
                        f"{other.id} of another patient"
                    )
        errors.extend(self._cycle_errors(requests))
        pinned_requests = Counter(pin.request_id for pin in self.pinned)
        rooms = {r.id: r for r in self.rooms}
        for pin in self.pinned:
            where = f"pinned appointment {pin.request_id}"
            pinned_request = requests.get(pin.request_id)
            if pinned_request is None:
                errors.append(f"{where}: request_id: unknown request")
                continue
            if pinned_requests[pin.request_id] > 1:
                errors.append(f"{where}: request_id: pinned more than once")
            if pin.provider_id not in providers:
                errors.append(f"{where}: provider_id: unknown provider {pin.provider_id!r}")
            pinned_type = types.get(pinned_request.visit_type)
            if pin.room_id is not None:
                room = rooms.get(pin.room_id)
                if room is None:
                    errors.append(f"{where}: room_id: unknown room {pin.room_id!r}")
                elif pinned_type is not None and room.kind != pinned_type.room_kind:
                    errors.append(
                        f"{where}: room_id: room {room.id} is a {room.kind!r} room, "
                        f"visit type {pinned_type.code} needs {pinned_type.room_kind!r}"
                    )
        return errors

    @staticmethod
    def _cycle_errors(requests: dict[str, AppointmentRequest]) -> list[str]:
        state: dict[str, int] = {}
        errors: list[str] = []

        def visit(rid: str) -> bool:
            state[rid] = 1
            for link in requests[rid].links:
                nxt = link.request_id
                if nxt not in requests or nxt == rid:
                    continue
                if state.get(nxt) == 1:
                    return True
                if nxt not in state and visit(nxt):
                    return True
            state[rid] = 2
            return False

        for rid in requests:
            if rid not in state and visit(rid):
                errors.append(f"request {rid}: links: the links form a cycle")
                break
        return errors

    # -- index maps ---------------------------------------------------------------------

    @cached_property
    def provider_index(self) -> dict[str, int]:
        """Provider id → position."""
        return {p.id: i for i, p in enumerate(self.providers)}

    @cached_property
    def room_index(self) -> dict[str, int]:
        """Room id → position."""
        return {r.id: i for i, r in enumerate(self.rooms)}

    @cached_property
    def visit_type_by_code(self) -> dict[str, VisitType]:
        """Visit type code → visit type."""
        return {v.code: v for v in self.visit_types}

    @cached_property
    def request_index(self) -> dict[str, int]:
        """Request id → position."""
        return {r.id: i for i, r in enumerate(self.requests)}

    @cached_property
    def pin_by_request(self) -> dict[str, PinnedAppointment]:
        """Request id → its pinned appointment."""
        return {p.request_id: p for p in self.pinned}

    # -- variants and files -------------------------------------------------------------

    def replace(self, **changes: Any) -> Problem:
        """Return a variant with some fields changed, validated like a new problem."""
        current = {name: getattr(self, name) for name in type(self).model_fields}
        return build_problem({**current, **changes})

    def to_json(self, indent: int | None = 2) -> str:
        """Serialize to JSON; :func:`load_problem` reads it back unchanged."""
        return self.model_dump_json(indent=indent)

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return (
            f"Problem(name={self.name!r}, dates={len(self.horizon.dates)}, "
            f"providers={len(self.providers)}, rooms={len(self.rooms)}, "
            f"requests={len(self.requests)}, pinned={len(self.pinned)})"
        )


def build_problem(data: Any) -> Problem:
    """Validate ``data`` (a mapping) into a :class:`Problem`; raise :class:`ProblemError`."""
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        raise ProblemError(describe_validation_error(exc, data)) from None


def parse_problem(text: str | bytes) -> Problem:
    """Parse problem JSON text; raise :class:`ProblemError` with a readable message."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ProblemError("a problem file must hold a JSON object")
    return build_problem(data)


def load_problem(path: str | Path) -> Problem:
    """Read a problem JSON file (UTF-8; see :func:`psr_sched.io.read_text`)."""
    path = Path(path)
    return parse_problem(read_text(path))
