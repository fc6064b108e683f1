"""Solve options and progress callbacks."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger("psr_sched")


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress event of a solve."""

    phase: str  # "greedy", "cpsat", "lns", "done"
    elapsed_s: float
    objective: int | None
    bound: int | None
    scheduled: int | None = None


class ProgressCallback(Protocol):
    """Receives progress events; see :class:`Progress`."""

    def __call__(self, event: Progress) -> None: ...


def log_progress(event: Progress) -> None:
    """A callback that reports progress through the ``psr_sched`` logger."""
    logger.info(
        "%-6s %6.1fs objective=%s bound=%s",
        event.phase,
        event.elapsed_s,
        event.objective,
        event.bound,
    )


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """How to solve.

    Parameters
    ----------
    time_limit_s : float
        Wall-clock limit of the whole solve, always honored (plus the time to build the
        result).  Default 30.
    workers : int
        CP-SAT search workers.  Default 2.
    seed : int
        Random seed of CP-SAT and of the neighbourhood choice.
    relative_gap : float
        Stop when (objective − bound) / objective is at most this, with the best proven
        bound so far (CP-SAT's or the LP relaxation's).  Default 0 (use the time limit).
    deterministic : bool
        Same problem, seed and workers give the same schedule: the search is limited by
        CP-SAT's deterministic time (scaled from ``time_limit_s``) and runs interleaved.
        The wall-clock limit still applies; a run that hits it is reported in the stats.
    use_cpsat : bool
        False returns the greedy construction only.
    lns : bool
        Improve with large-neighbourhood search after the first CP-SAT phase.  Without
        it the full model gets the whole time limit; above 30,000 options (where loading
        it alone could overrun the limit) it is skipped and the constructions stand.
    lp : bool
        Solve the relaxations after the greedy construction, with up to ``lp_share`` of
        the time limit: the mean-busy-time LP (:mod:`psr_sched.solver.relaxation`) on
        every size, its slots sized to converge within a quarter of the limit, and on
        small problems or problems with a front desk the time-indexed LP
        (:mod:`psr_sched.solver.bound`) too.  Their optimum is a proven lower bound
        (reported when tighter than CP-SAT's) and their fractional schedules guide the
        constructions and dispatches that follow.  Skipped in lexicographic mode.
    lp_share : float
        Largest share of the time limit the LP may take, in (0, 1].  Default 0.45.
    callback : ProgressCallback or None
        Called on every improvement with a :class:`Progress` event.
    """

    time_limit_s: float = 30.0
    workers: int = 2
    seed: int = 0
    relative_gap: float = 0.0
    deterministic: bool = False
    use_cpsat: bool = True
    lns: bool = True
    lp: bool = True
    lp_share: float = 0.45
    callback: ProgressCallback | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ValueError(f"time_limit_s must be a positive number, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if not 0 < self.lp_share <= 1:
            raise ValueError(f"lp_share must be in (0, 1], got {self.lp_share}")
        if not (math.isfinite(self.relative_gap) and self.relative_gap >= 0):
            raise ValueError(f"relative_gap must be a non-negative number, got {self.relative_gap}")
