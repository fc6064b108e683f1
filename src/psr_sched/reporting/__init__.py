"""KPI frames of a schedule, and (in :mod:`psr_sched.reporting.plots`) their plots.

Every frame is a pure function of the problem and the schedule (a
:class:`~psr_sched.result.Result` or a schedule frame such as
:func:`~psr_sched.validate.read_schedule_csv` returns), tidy, with stable column names and
dtypes: ids as categoricals in the problem's order, counts as ``Int64``, moments
timezone-aware in the horizon's zone, dates as ``datetime.date``, amounts as ``Decimal``.

* :func:`provider_utilization`, :func:`room_utilization` — booked over available minutes
  per resource and date; :func:`idle_gaps` — idle minutes inside providers' booked spans.
* :func:`access_wait` — median and 90th-percentile wait by visit type, priority, payer
  class; :func:`equity_access_wait` — by payer class, language and age band.
* :func:`third_next_available` — TNAA per provider and visit type.
* :func:`unscheduled_counts` — unscheduled requests by reason code.
* :func:`front_desk_load` — check-in arrivals and station load per 15 minutes.
* :func:`collections_by_day` — expected time-of-service collections per date.

The plots need matplotlib, which the frames do not.
"""

from psr_sched.reporting.access import (
    ACCESS_WAIT_COLUMNS,
    EQUITY_COLUMNS,
    access_wait,
    equity_access_wait,
)
from psr_sched.reporting.collections_by_day import (
    COLLECTIONS_BY_DAY_COLUMNS,
    collections_by_day,
)
from psr_sched.reporting.front_desk import FRONT_DESK_COLUMNS, front_desk_load
from psr_sched.reporting.groups import (
    AGE_BANDS,
    DEFAULT_PAYER_CLASSES,
    PAYER_CLASSES,
    age_band,
    payer_class,
)
from psr_sched.reporting.schedule import Schedule, schedule_frame
from psr_sched.reporting.tnaa import TNAA_COLUMNS, third_next_available
from psr_sched.reporting.unscheduled import UNLISTED, UNSCHEDULED_COLUMNS, unscheduled_counts
from psr_sched.reporting.utilization import (
    IDLE_GAP_COLUMNS,
    PROVIDER_UTILIZATION_COLUMNS,
    ROOM_UTILIZATION_COLUMNS,
    idle_gaps,
    provider_utilization,
    room_utilization,
)

__all__ = [
    "ACCESS_WAIT_COLUMNS",
    "AGE_BANDS",
    "COLLECTIONS_BY_DAY_COLUMNS",
    "DEFAULT_PAYER_CLASSES",
    "EQUITY_COLUMNS",
    "FRONT_DESK_COLUMNS",
    "IDLE_GAP_COLUMNS",
    "PAYER_CLASSES",
    "PROVIDER_UTILIZATION_COLUMNS",
    "ROOM_UTILIZATION_COLUMNS",
    "TNAA_COLUMNS",
    "UNLISTED",
    "UNSCHEDULED_COLUMNS",
    "Schedule",
    "access_wait",
    "age_band",
    "collections_by_day",
    "equity_access_wait",
    "front_desk_load",
    "idle_gaps",
    "payer_class",
    "provider_utilization",
    "room_utilization",
    "schedule_frame",
    "third_next_available",
    "unscheduled_counts",
]
