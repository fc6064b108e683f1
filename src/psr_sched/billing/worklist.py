"""Time-of-service collection worklist: what to ask each patient for at check-in, per day.

One row per scheduled visit, in order of day and start, with the columns of
:data:`COLLECTION_COLUMNS`:

``date``
    Local date of the visit in the problem's timezone (``datetime.date``).
``patient_id``, ``request_id``
    Opaque keys of the patient and the visit.
``expected_patient_amount``
    The visit's estimated patient share (:attr:`Estimate.patient_amount`): the copay for a
    copay-only visit, the self-pay price for a self-pay visit.
``prior_balance``
    What the patient owed before this schedule (e.g. :meth:`Ledger.balances`), shown **once
    per patient per day, on their first visit of the day**, and ``0.00`` on their other
    visits that day, so a day's column sums to what is owed without counting a balance twice.
    A patient who comes on two days has the balance on each day's first visit: each day's
    list stands alone, so totals over several days do count it once per day.  A negative
    balance is a credit on the account.
``verify_coverage``
    ``True`` when the payer's eligibility answer could not tell whether the coverage is in
    force and the visit was booked anyway (``facts.coverage_unverified``, set by
    :func:`~psr_sched.intake.facts.apply_intake` under the default ``unknown_coverage``
    policy): verify the coverage before collecting, the expected amount assumes it.
    ``False`` otherwise.  Written ``True``/``False`` in CSV; a ``collections.csv`` written
    before this column existed reads as all ``False``.

Amounts are ``Decimal`` objects with two decimal places in object columns: sums are exact,
and ``frame.to_csv(path, index=False)`` writes exact cents (``560.00``) and ISO dates, as
the command line's ``collections.csv`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd

from psr_sched.billing.errors import BillingError
from psr_sched.billing.estimate import Estimate
from psr_sched.domain.money import ZERO, to_money
from psr_sched.problem import Problem
from psr_sched.result import Assignment, Result

COLLECTION_COLUMNS = [
    "date",
    "patient_id",
    "request_id",
    "expected_patient_amount",
    "prior_balance",
    "verify_coverage",
]


def collection_worklist(
    problem: Problem,
    schedule: Result | Sequence[Assignment],
    estimates: Iterable[Estimate],
    prior_balances: Mapping[str, Decimal | int | str] | None = None,
    *,
    day: dt.date | None = None,
) -> pd.DataFrame:
    """The time-of-service collection worklist (format in the module docstring).

    Parameters
    ----------
    problem : Problem
        The problem the schedule solves; its timezone gives each visit's date.
    schedule : Result or sequence of Assignment
        The scheduled visits.
    estimates : iterable of Estimate
        At least one per scheduled visit, by ``request_id``
        (:func:`~psr_sched.billing.estimate_schedule`); others are ignored.
    prior_balances : mapping of patient id to amount, optional
        Balance owed before the schedule; a patient missing from it owes nothing.
    day : datetime.date, optional
        Keep only the visits of this local date.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLLECTION_COLUMNS`, one row per visit, ordered by date, start and
        request id; ``verify_coverage`` comes from the problem's request facts.

    Raises
    ------
    BillingError
        If a visit has no estimate, two estimates share a request id, or a prior balance is
        not an amount.
    """
    zone = ZoneInfo(problem.horizon.timezone)
    by_request: dict[str, Estimate] = {}
    for estimate in estimates:
        if estimate.request_id is None:
            continue
        if estimate.request_id in by_request:
            raise BillingError(f"request {estimate.request_id}: estimated more than once")
        by_request[estimate.request_id] = estimate
    balances = _balances(prior_balances or {})
    unverified = {r.id for r in problem.requests if r.facts.coverage_unverified}

    assignments = schedule.assignments if isinstance(schedule, Result) else tuple(schedule)
    visits = sorted(
        ((a.start.astimezone(zone).date(), a.start.astimezone(dt.UTC), a) for a in assignments),
        key=lambda visit: (visit[0], visit[1], visit[2].request_id),
    )
    rows = []
    seen: set[tuple[dt.date, str]] = set()
    for date, _, assignment in visits:
        if day is not None and date != day:
            continue
        visit_estimate = by_request.get(assignment.request_id)
        if visit_estimate is None:
            raise BillingError(f"request {assignment.request_id}: no estimate for this visit")
        first_of_day = (date, assignment.patient_id) not in seen
        seen.add((date, assignment.patient_id))
        rows.append(
            {
                "date": date,
                "patient_id": assignment.patient_id,
                "request_id": assignment.request_id,
                "expected_patient_amount": visit_estimate.patient_amount,
                "prior_balance": balances.get(assignment.patient_id, ZERO)
                if first_of_day
                else ZERO,
                "verify_coverage": assignment.request_id in unverified,
            }
        )
    frame = pd.DataFrame(rows, columns=COLLECTION_COLUMNS)
    for column in ("date", "expected_patient_amount", "prior_balance"):
        frame[column] = frame[column].astype(object)
    frame["verify_coverage"] = frame["verify_coverage"].astype(bool)
    return frame


def _balances(prior_balances: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
    balances: dict[str, Decimal] = {}
    for number, (patient_id, amount) in enumerate(prior_balances.items(), start=1):
        try:
            balances[patient_id] = to_money(amount)
        except ValueError as exc:
            # The patient key stays out of the message; the entry's position finds it.
            raise BillingError(f"prior balance #{number}: {exc}") from None
    return balances
