"""Unscheduled requests counted by reason code."""

from __future__ import annotations

import pandas as pd

from psr_sched.errors import ProblemError
from psr_sched.problem import Problem
from psr_sched.reporting._columns import category, counts
from psr_sched.reporting.schedule import Schedule, visits
from psr_sched.result import ReasonCode, Result

__all__ = ["UNLISTED", "UNSCHEDULED_COLUMNS", "unscheduled_counts"]

UNSCHEDULED_COLUMNS = ["reason", "requests", "priority"]

#: Reason of a request neither scheduled nor listed as unscheduled (a schedule read without
#: its ``unscheduled.csv``).
UNLISTED = "UNLISTED"


def unscheduled_counts(
    problem: Problem,
    schedule: Schedule,
    unscheduled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How many requests are unscheduled for each reason, and their priority.

    Parameters
    ----------
    problem : Problem
        The problem the schedule answers.
    schedule : Result or pandas.DataFrame
        The schedule (see :mod:`psr_sched.reporting.schedule`).
    unscheduled : pandas.DataFrame, optional
        Columns ``request_id`` and ``reason`` (a :class:`~psr_sched.result.ReasonCode`
        value), as :meth:`Result.unscheduled_frame
        <psr_sched.result.Result.unscheduled_frame>` and ``unscheduled.csv``.  Taken from
        the result when ``schedule`` is one.  Requests in neither count as
        :data:`UNLISTED`.

    Returns
    -------
    pandas.DataFrame
        One row per reason code (declaration order of
        :class:`~psr_sched.result.ReasonCode`, then :data:`UNLISTED`), zero counts
        included; columns :data:`UNSCHEDULED_COLUMNS`: ``reason`` (category),
        ``requests`` (Int64) and ``priority`` (Int64, the sum of their priorities, the
        objective's ``unscheduled_priority`` in total).

    Raises
    ------
    ProblemError
        If the schedule does not fit the problem, or the unscheduled list lacks a column,
        names an unknown request or reason, repeats a request or lists a scheduled one.
    """
    scheduled = {v.request.id for v in visits(problem, schedule)}
    if unscheduled is None and isinstance(schedule, Result):
        unscheduled = schedule.unscheduled_frame()
    reasons: dict[str, str] = {}
    if unscheduled is not None:
        missing = [c for c in ("request_id", "reason") if c not in unscheduled.columns]
        if missing:
            raise ProblemError(f"unscheduled list: missing column(s) {', '.join(missing)}")
        known = {code.value for code in ReasonCode}
        pairs = zip(unscheduled["request_id"], unscheduled["reason"], strict=True)
        for row, (rid, reason) in enumerate(pairs, start=1):
            where = f"unscheduled row {row}"
            rid, reason = str(rid).strip(), str(reason).strip()
            if rid not in problem.request_index:
                raise ProblemError(f"{where}: request_id: request {rid} is unknown")
            if reason not in known:
                raise ProblemError(f"{where}: reason: {reason!r} is not a reason code")
            if rid in reasons:
                raise ProblemError(f"{where}: request {rid} is listed more than once")
            if rid in scheduled:
                raise ProblemError(f"{where}: request {rid} is also scheduled")
            reasons[rid] = reason
    order = [code.value for code in ReasonCode] + [UNLISTED]
    number = dict.fromkeys(order, 0)
    priority = dict.fromkeys(order, 0)
    for request in problem.requests:
        if request.id in scheduled:
            continue
        reason = reasons.get(request.id, UNLISTED)
        number[reason] += 1
        priority[reason] += request.priority
    return pd.DataFrame(
        {
            "reason": category(order, order),
            "requests": counts([number[r] for r in order]),
            "priority": counts([priority[r] for r in order]),
        },
        columns=UNSCHEDULED_COLUMNS,
    )
