"""psr_sched: outpatient appointment scheduling with CP-SAT.

Build a :class:`Problem` from clinic resources and appointment requests, call
:func:`solve`, read the :class:`Result` as DataFrames, and check it with :func:`validate`.
:func:`solve_many` solves many clinics in parallel (a process pool, any executor, or Dask).
"""

from psr_sched.batch import BatchItem, solve_many
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
    "BatchItem",
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
    "solve_many",
    "validate",
    "weekly_sessions",
]
