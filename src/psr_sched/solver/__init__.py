"""The scheduling engine: candidates, greedy construction, CP-SAT model and search."""

from psr_sched.solver.options import Progress, ProgressCallback, SolveOptions, log_progress
from psr_sched.solver.solve import solve

__all__ = ["Progress", "ProgressCallback", "SolveOptions", "log_progress", "solve"]
