"""psr_sched: outpatient appointment scheduling with CP-SAT.

Build a :class:`Problem` from clinic resources and appointment requests, call
:func:`solve`, read the :class:`Result` as DataFrames, and check it with :func:`validate`.
"""

from psr_sched.domain import (
    DEFAULT_WEIGHTS,
    AppointmentRequest,
    BeforeVisit,
    DatedHours,
    FollowUp,
    FrontDesk,
    Horizon,
    PinnedAppointment,
    Provider,
    RequestFacts,
    Room,
    SameDaySequence,
    StationShift,
    TimeWindow,
    VisitType,
    WeeklyHours,
    Weights,
    weekly_sessions,
)
from psr_sched.errors import ProblemError
from psr_sched.problem import Problem, build_problem, load_problem, parse_problem
from psr_sched.result import (
    Assignment,
    ObjectiveTerms,
    ReasonCode,
    Result,
    SolveStatus,
    Unscheduled,
)
from psr_sched.solver import Progress, SolveOptions, log_progress, solve
from psr_sched.validate import ScheduleError, ValidationReport, Violation, validate

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_WEIGHTS",
    "AppointmentRequest",
    "Assignment",
    "BeforeVisit",
    "DatedHours",
    "FollowUp",
    "FrontDesk",
    "Horizon",
    "ObjectiveTerms",
    "PinnedAppointment",
    "Problem",
    "ProblemError",
    "Progress",
    "Provider",
    "ReasonCode",
    "RequestFacts",
    "Result",
    "Room",
    "SameDaySequence",
    "ScheduleError",
    "SolveOptions",
    "SolveStatus",
    "StationShift",
    "TimeWindow",
    "Unscheduled",
    "ValidationReport",
    "Violation",
    "VisitType",
    "WeeklyHours",
    "Weights",
    "__version__",
    "build_problem",
    "load_problem",
    "log_progress",
    "parse_problem",
    "solve",
    "validate",
    "weekly_sessions",
]
