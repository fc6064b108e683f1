"""Domain records: horizon, clinic resources, visit types, requests and weights."""

from psr_sched.domain.base import DomainModel, Identifier
from psr_sched.domain.resources import (
    DatedHours,
    FrontDesk,
    Provider,
    Room,
    StationShift,
    WeeklyHours,
    weekly_sessions,
)
from psr_sched.domain.time import Horizon, TimeWindow
from psr_sched.domain.visits import (
    DEFAULT_WEIGHTS,
    AppointmentRequest,
    BeforeVisit,
    FollowUp,
    PinnedAppointment,
    RequestFacts,
    RequestLink,
    SameDaySequence,
    VisitType,
    Weights,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "AppointmentRequest",
    "BeforeVisit",
    "DatedHours",
    "DomainModel",
    "FollowUp",
    "FrontDesk",
    "Horizon",
    "Identifier",
    "PinnedAppointment",
    "Provider",
    "RequestFacts",
    "RequestLink",
    "Room",
    "SameDaySequence",
    "StationShift",
    "TimeWindow",
    "VisitType",
    "WeeklyHours",
    "Weights",
    "weekly_sessions",
]
