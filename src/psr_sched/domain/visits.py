"""Visit types, appointment requests, their links, and already-booked appointments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from psr_sched.domain.base import DomainModel, Identifier
from psr_sched.domain.time import TimeWindow


def _whole_minute(value: dt.datetime) -> dt.datetime:
    if value.second or value.microsecond:
        raise ValueError("must be on a whole minute (no seconds)")
    return value


#: A timezone-aware datetime on a whole minute.
Moment = Annotated[AwareDatetime, AfterValidator(_whole_minute)]


class VisitType(DomainModel):
    """A kind of visit.

    Parameters
    ----------
    code : str
        Unique code, e.g. ``"NEW"`` or ``"TELE"``.
    name : str
        Readable name.
    duration_minutes : int
        Base duration, positive.
    provider_durations : dict of str to int
        Per-provider durations overriding the base one.
    room_kind : str or None
        Room kind needed; ``None`` for a virtual visit that needs no room.
    required_skill : str or None
        Skill a provider must have.
    check_in_minutes : int
        Minutes at a front-desk station before the visit starts (0 for virtual visits).
    """

    code: Identifier
    name: str = ""
    duration_minutes: int = Field(gt=0, le=720)
    provider_durations: dict[str, Annotated[int, Field(gt=0, le=720)]] = Field(default_factory=dict)
    room_kind: str | None = None
    required_skill: str | None = None
    check_in_minutes: int = Field(default=0, ge=0, le=120)

    @property
    def virtual(self) -> bool:
        """Whether the visit needs no room."""
        return self.room_kind is None

    def duration_for(self, provider_id: str) -> int:
        """Duration in minutes when seen by ``provider_id``."""
        return self.provider_durations.get(provider_id, self.duration_minutes)


class SameDaySequence(DomainModel):
    """This request starts on the same day as another ends, with a gap in [min, max] minutes.

    Both are scheduled or neither is.
    """

    kind: Literal["same_day_sequence"] = "same_day_sequence"
    request_id: Identifier
    min_gap_minutes: int = Field(default=0, ge=0)
    max_gap_minutes: int = Field(default=120, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> SameDaySequence:
        if self.max_gap_minutes < self.min_gap_minutes:
            raise ValueError(
                f"max_gap_minutes {self.max_gap_minutes} is below "
                f"min_gap_minutes {self.min_gap_minutes}"
            )
        return self


class FollowUp(DomainModel):
    """This request falls at least ``min_days`` calendar days after another.

    It is scheduled only if the other one is.
    """

    kind: Literal["follow_up"] = "follow_up"
    request_id: Identifier
    min_days: int = Field(default=1, ge=1)


class BeforeVisit(DomainModel):
    """This request falls on the date of another visit or up to ``max_days_before`` days
    earlier (a financial-counselling visit before a procedure, say).  Both are scheduled or
    neither is."""

    kind: Literal["before_visit"] = "before_visit"
    request_id: Identifier
    max_days_before: int = Field(default=14, ge=0)


RequestLink = Annotated[SameDaySequence | FollowUp | BeforeVisit, Field(discriminator="kind")]


class RequestFacts(DomainModel):
    """Facts from intake and eligibility that constrain a request (see ``psr_sched.intake``).

    Parameters
    ----------
    coverage_active_dates : tuple of datetime.date or None
        Dates on which the patient's coverage is active; a visit falls on one of them.
        ``None``: not checked.  Ignored for self-pay requests (``payer`` is ``None``).
    authorization_expected : datetime (timezone-aware) or None
        A prior authorization is pending and expected at this moment: no visit before it.
    extra_check_in_minutes : int
        Extra front-desk minutes for incomplete intake (missing card image, consent, ...).
    coverage_unverified : bool
        The payer's answer could not tell whether the coverage is in force (UNKNOWN) and the
        intake policy booked the visit anyway: the collection worklist flags it
        (``verify_coverage``).  Constrains nothing.
    """

    coverage_active_dates: tuple[dt.date, ...] | None = None
    authorization_expected: Moment | None = None
    extra_check_in_minutes: int = Field(default=0, ge=0, le=120)
    coverage_unverified: bool = False


class AppointmentRequest(DomainModel):
    """A patient's request for one visit.

    Parameters
    ----------
    id : str
        Unique request id.
    patient_id : str
        Opaque patient key (never a name or member id).
    visit_type : str
        Code of a :class:`VisitType`.
    earliest, latest : datetime (timezone-aware)
        The visit starts at or after ``earliest`` and ends at or before ``latest``.
        Access wait is measured from ``earliest``.
    priority : int
        Weight of the request in the objective, 1 (routine) .. 100.
    preferred_provider_ids : tuple of str
        Providers the patient would like to see (continuity of care); soft.
    allowed_provider_ids : tuple of str or None
        Providers the visit may be booked with at all; hard.  ``None``: any eligible one.
    preferred_times : tuple of TimeWindow
        Local times of day the patient would like the visit to start in; soft.
    payer : str or None
        Payer network of the patient's coverage; ``None`` means self-pay.
    links : tuple of SameDaySequence, FollowUp or BeforeVisit
        Constraints tying this request to other requests.
    facts : RequestFacts
        Coverage, authorization and intake facts that constrain the request.
    """

    id: Identifier
    patient_id: Identifier
    visit_type: Identifier
    earliest: Moment
    latest: Moment
    priority: int = Field(default=1, ge=1, le=100)
    preferred_provider_ids: tuple[str, ...] = ()
    allowed_provider_ids: tuple[str, ...] | None = None
    preferred_times: tuple[TimeWindow, ...] = ()
    payer: str | None = None
    links: tuple[RequestLink, ...] = ()
    facts: RequestFacts = RequestFacts()

    @model_validator(mode="after")
    def _window(self) -> AppointmentRequest:
        if self.latest.astimezone(dt.UTC) <= self.earliest.astimezone(dt.UTC):
            # The times themselves stay out of the message: a patient's dates are PHI.
            raise ValueError("latest must be after earliest (the window ends before it starts)")
        return self

    def __repr__(self) -> str:
        return f"AppointmentRequest(id={self.id!r}, visit_type={self.visit_type!r})"


class PinnedAppointment(DomainModel):
    """An already-booked visit for a request: kept as is, or movable at a cost.

    Parameters
    ----------
    request_id : str
        The request this booking fulfils.
    provider_id : str
        Provider booked.
    room_id : str or None
        Room booked, if any; kept when it is free, otherwise another of the same kind.
    start : datetime (timezone-aware)
        Booked start.
    locked : bool
        If true the visit keeps its provider and start.  If false the solver may move it
        (another time or provider) for ``move_cost``, or in the last resort cancel it.
    move_cost : int
        Objective cost of moving it, in weighted minutes.
    """

    request_id: Identifier
    provider_id: Identifier
    room_id: str | None = None
    start: Moment
    locked: bool = True
    move_cost: int = Field(default=120, ge=0)


class Weights(DomainModel):
    """Weights of the objective terms; every term is in weighted minutes.

    Parameters
    ----------
    unscheduled : int
        Cost of leaving a request unplaced, per unit of priority.  In ``"weighted"`` mode
        it should dominate the other terms; in ``"lexicographic"`` mode unscheduled
        priority is minimized first and this weight only scales the reported term.
    access_wait : int
        Cost per minute between a request's ``earliest`` and its start, per unit of priority.
    idle_gap : int
        Cost per minute of provider idle time between the first start and the last end of
        a provider's day.
    provider_preference_miss : int
        Cost when a request with preferred providers is seen by another one.
    time_preference_miss : int
        Cost when a request with preferred times starts outside all of them.
    pinned_move : int
        Multiplier of each movable pinned visit's ``move_cost`` when it is moved.
    out_of_network : int or None
        ``None`` (default): a provider outside the request's payer network is never booked.
        A number: such a booking is allowed at this cost per visit.
    mode : {"weighted", "lexicographic"}
        ``"lexicographic"`` first minimizes priority-weighted unscheduled requests, then the
        weighted sum of the rest at that level.
    """

    unscheduled: int = Field(default=10_000, ge=0)
    access_wait: int = Field(default=1, ge=0)
    idle_gap: int = Field(default=1, ge=0)
    provider_preference_miss: int = Field(default=60, ge=0)
    time_preference_miss: int = Field(default=30, ge=0)
    pinned_move: int = Field(default=1, ge=0)
    out_of_network: int | None = Field(default=None, ge=0)
    mode: Literal["weighted", "lexicographic"] = "weighted"


DEFAULT_WEIGHTS = Weights()

__all__ = [
    "DEFAULT_WEIGHTS",
    "AppointmentRequest",
    "BeforeVisit",
    "FollowUp",
    "PinnedAppointment",
    "RequestFacts",
    "RequestLink",
    "SameDaySequence",
    "TimeWindow",
    "VisitType",
    "Weights",
]
