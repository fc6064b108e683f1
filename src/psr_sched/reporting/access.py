"""Access wait: median and 90th percentile by visit type, priority and payer class, and the
equity view by payer class, language and age band.

The access wait of a scheduled request is the minutes from its ``earliest`` to the visit's
start (floor), the unit of the objective's ``access_wait`` term.  Percentiles interpolate
linearly between order statistics (``numpy.percentile``'s default): the waits 0, 60 and 120
have median 60 and 90th percentile 108.  Unscheduled requests have no wait; they are
counted in ``unscheduled`` so that a group with short waits but many requests left out
shows as such.

Both frames are tidy and long: one row per (``dimension``, ``group``), the first row being
dimension ``"all"``, group ``"all"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from psr_sched.domain import AppointmentRequest
from psr_sched.problem import Problem
from psr_sched.reporting._columns import category, counts, floats
from psr_sched.reporting.groups import (
    AGE_BANDS,
    PAYER_CLASSES,
    UNKNOWN,
    PatientBands,
    payer_class,
    payer_classifier,
)
from psr_sched.reporting.schedule import Schedule, visits

if TYPE_CHECKING:
    import datetime as dt

    from psr_sched.intake.patients import Patient

__all__ = ["ACCESS_WAIT_COLUMNS", "EQUITY_COLUMNS", "access_wait", "equity_access_wait"]

ACCESS_WAIT_COLUMNS = [
    "dimension",
    "group",
    "requests",
    "scheduled",
    "unscheduled",
    "median_wait_minutes",
    "p90_wait_minutes",
]
EQUITY_COLUMNS = [*ACCESS_WAIT_COLUMNS, "median_gap_minutes"]


@dataclass(frozen=True, slots=True)
class _Dimension:
    """A way to group requests: its name, each request's group, and the groups' order."""

    name: str
    group_of: Callable[[AppointmentRequest], str]
    order: Sequence[str]


def _table(problem: Problem, schedule: Schedule, dimensions: Sequence[_Dimension]) -> pd.DataFrame:
    waits = {v.request.id: v.wait_minutes for v in visits(problem, schedule)}
    every = _Dimension("all", lambda _: "all", ("all",))
    rows: list[tuple[str, str, int, list[int]]] = []
    for dimension in (every, *dimensions):
        requests: dict[str, int] = {}
        scheduled: dict[str, list[int]] = {}
        for request in problem.requests:
            group = dimension.group_of(request)
            requests[group] = requests.get(group, 0) + 1
            found = scheduled.setdefault(group, [])
            if request.id in waits:
                found.append(waits[request.id])
        rank = {g: i for i, g in enumerate(dimension.order)}
        for group in sorted(requests, key=lambda g: (rank.get(g, len(rank)), g)):
            rows.append((dimension.name, group, requests[group], scheduled[group]))
    stats = [_percentiles(w) for _, _, _, w in rows]
    return pd.DataFrame(
        {
            "dimension": category([r[0] for r in rows], ["all", *(d.name for d in dimensions)]),
            "group": pd.Series([r[1] for r in rows], dtype=object),
            "requests": counts([r[2] for r in rows]),
            "scheduled": counts([len(r[3]) for r in rows]),
            "unscheduled": counts([r[2] - len(r[3]) for r in rows]),
            "median_wait_minutes": floats([s[0] for s in stats]),
            "p90_wait_minutes": floats([s[1] for s in stats]),
        },
        columns=ACCESS_WAIT_COLUMNS,
    )


def _percentiles(waits: list[int]) -> tuple[float | None, float | None]:
    if not waits:
        return None, None
    median, p90 = np.percentile(np.asarray(waits, dtype=float), [50, 90])
    return float(median), float(p90)


def access_wait(
    problem: Problem,
    schedule: Schedule,
    *,
    payer_classes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Median and 90th-percentile access wait by visit type, priority and payer class.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    payer_classes : mapping of str to str, optional
        Payer → class, over :data:`~psr_sched.reporting.groups.DEFAULT_PAYER_CLASSES`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ACCESS_WAIT_COLUMNS`:

        ``dimension`` (category)
            ``"all"``, ``"visit_type"``, ``"priority"`` or ``"payer_class"``.
        ``group`` (str)
            ``"all"``; a visit type code (problem order); a priority (``"1"``, ``"5"``,
            ascending); a payer class (order of
            :data:`~psr_sched.reporting.groups.PAYER_CLASSES`).  Only groups with requests.
        ``requests``, ``scheduled``, ``unscheduled`` (Int64)
            Requests of the group, and how many of them are scheduled or not.
        ``median_wait_minutes``, ``p90_wait_minutes`` (float64)
            Over the scheduled ones; ``NaN`` when none is.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    ValueError
        If ``payer_classes`` maps a payer to an unknown class.
    """
    table = payer_classifier(payer_classes)
    priorities = sorted({r.priority for r in problem.requests})
    return _table(
        problem,
        schedule,
        [
            _Dimension("visit_type", lambda r: r.visit_type, [v.code for v in problem.visit_types]),
            _Dimension("priority", lambda r: str(r.priority), [str(p) for p in priorities]),
            _Dimension("payer_class", lambda r: payer_class(r.payer, table), PAYER_CLASSES),
        ],
    )


def equity_access_wait(
    problem: Problem,
    schedule: Schedule,
    patients: Iterable[Patient] | None = None,
    *,
    payer_classes: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Access wait by payer class, language and age band, against the clinic's median.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    patients : iterable of Patient, optional
        Registration records (:class:`psr_sched.intake.Patient`).  Without them the view
        has the payer class only.  Only bands are derived from them
        (:mod:`psr_sched.reporting.groups`); no name, birth date or other identifier
        reaches the frame.
    payer_classes : mapping of str to str, optional
        Payer → class, over :data:`~psr_sched.reporting.groups.DEFAULT_PAYER_CLASSES`.
    as_of : datetime.date, optional
        Date the ages are taken on; the horizon's first date by default.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EQUITY_COLUMNS`: those of :func:`access_wait`, with dimensions
        ``"all"``, ``"payer_class"`` and, given patients, ``"language"`` (primary subtag,
        alphabetical, ``"unknown"`` last for patients without a record) and ``"age_band"``
        (order of :data:`~psr_sched.reporting.groups.AGE_BANDS`), and
        ``median_gap_minutes`` (float64): the group's median less the median of all
        scheduled requests.  Small groups are shown as they are: suppress them before
        sharing the frame outside the clinic.

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem.
    ValueError
        If ``payer_classes`` maps a payer to an unknown class.
    """
    table = payer_classifier(payer_classes)
    dimensions = [_Dimension("payer_class", lambda r: payer_class(r.payer, table), PAYER_CLASSES)]
    if patients is not None:
        bands = PatientBands(patients, as_of or problem.horizon.start)
        languages = sorted({bands.language(r.patient_id) for r in problem.requests} - {UNKNOWN})
        dimensions += [
            _Dimension("language", lambda r: bands.language(r.patient_id), languages),
            _Dimension(
                "age_band",
                lambda r: bands.age_band(r.patient_id),
                [label for label, _, _ in AGE_BANDS],
            ),
        ]
    frame = _table(problem, schedule, dimensions)
    overall = frame["median_wait_minutes"].iloc[0]
    frame["median_gap_minutes"] = frame["median_wait_minutes"] - overall
    return frame[EQUITY_COLUMNS]
