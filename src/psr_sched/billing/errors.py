"""Errors raised by the billing package."""

from __future__ import annotations

from psr_sched.errors import ProblemError


class BillingError(ProblemError):
    """Bad billing input, or a question the billing facts cannot answer.

    A :class:`~psr_sched.errors.ProblemError`, so a caller that reports bad input catches both.
    Like every error of the library, the message names the record and the field at fault and
    never contains patient data: patient ids are opaque keys, and amounts tied to a patient
    are left out.
    """


class LedgerConflictError(BillingError):
    """A ledger entry id was posted before with different content."""
