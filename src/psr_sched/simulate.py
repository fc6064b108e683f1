"""Monte Carlo simulation of a solved clinic day: patient waits, provider idle time, overtime.

A schedule says when each patient is booked; the day as it happens differs.  Visits run
long or short, patients arrive early or late, some never come.  This module replays a
scheduled day many times with random visit durations, arrivals and no-shows, vectorized
with numpy over replications and providers, and reports the expected patient wait, provider
idle time and overtime with confidence intervals.  :func:`exact_single_provider` computes
the same expectations exactly for one provider with punctual patients, by convolving
discretized service times slot by slot; :func:`compare_policies` sets appointment rules
side by side (even spacing, Bailey–Welch, overbooking, slack).

Model of a provider's day
-------------------------
* **Durations.**  Each visit's duration is lognormal with a given mean and coefficient of
  variation (cv).  By default the mean is the visit's scheduled minutes times
  ``SimulationModel.duration_factor`` (1.0: visit types are booked at their mean length) and
  the cv is ``sqrt(0.52)``: one clinic's 6,852 measured consultations had a mean of 13.4,
  a median of 12 and a standard deviation of 9.6 minutes, a squared cv of about 0.52, and
  lognormal is the usual fit (HanguData, Data 8(3):47, 2023; ``/work/shared/FACTS.md``).
* **No-shows.**  Each patient fails to come with probability
  ``SimulationModel.no_show_probability`` (default 0.15, the low end of the 15–30 % typical
  of primary care; Marshfield Clinic measured 8.0 % in 2021, safety-net clinics exceed
  40 %; FACTS.md), overridable per request.  A no-show is a visit of zero length at its
  appointment time: the provider stays available until then, then moves on.  No-shows wait
  for nothing and are left out of the waits.
* **Lateness.**  A patient arrives at the appointment time plus a normal deviate (minutes,
  negative = early).  The default, mean −10 and SD 10 minutes, puts 84 % of arrivals before
  the appointment time, as the 84.4 % of 410,808 visits of Cerruti et al. (BMC Health Serv
  Res 2023, doi:10.1186/s12913-023-10379-w); the normal shape and the SD are assumptions.
  :data:`PUNCTUAL` (mean 0, SD 0) gives the classical model with punctual patients.
* **Queue discipline.**  A patient becomes *ready* at the later of their arrival and their
  appointment time (a provider never starts a visit before its appointment time); ready
  patients are seen first come, first served by ready time, ties in appointment order.  So
  punctual and early patients are seen in appointment order, and a late patient is seen
  when they arrive and the provider is free: they neither lose their turn for the day nor
  hold up the patients behind them.  Per replication the recursion is
  ``start_i = max(ready_i, end_prev)`` and ``end_i = start_i + duration_i`` in ready order.
* **Sessions.**  A provider's working spans on the day are their sessions minus time off
  (:func:`psr_sched.solver.candidates.provider_blocks`), touching spans joined.  Each visit
  belongs to the span its scheduled start lies in.  The provider's day is one queue, so a
  morning that overruns the lunch break delays the afternoon.

Measures, per provider-day and replication
------------------------------------------
* ``wait``: minutes from a patient's arrival to the start of their visit (the in-clinic
  wait, early arrival included), averaged over the patients who came.  Estimated as a
  ratio of expectations, E[total wait] / E[patients seen], with a delta-method interval.
* ``delay``: minutes from the later of arrival and appointment time to the start: the part
  of the wait the schedule causes.  Equal to ``wait`` for punctual patients.
* ``idle``: minutes in a span, from its start to its last visit's end, in which the
  provider sees nobody (the time after the last visit of a span is not counted).
* ``overtime``: per span, minutes from the span's end to its last visit's end, if
  positive; summed over the spans of the day.
* ``seen``: patients who came.

Confidence intervals use the normal approximation over replications.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field

from psr_sched.domain import DomainModel
from psr_sched.problem import Problem
from psr_sched.result import Assignment, Result
from psr_sched.solver.candidates import provider_blocks

__all__ = [
    "DEFAULT_CV",
    "DEFAULT_NO_SHOW",
    "METRICS",
    "POLICIES",
    "PUNCTUAL",
    "DurationModel",
    "Estimate",
    "ExactSchedule",
    "LatenessModel",
    "ScheduleSimulation",
    "SimulationModel",
    "SimulationReport",
    "compare_policies",
    "exact_single_provider",
    "policy_appointments",
    "simulate_day",
    "simulate_schedule",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Coefficient of variation of visit durations: sqrt of the squared cv 0.52 measured over
#: 6,852 consultations (HanguData, Data 8(3):47, 2023; FACTS.md).
DEFAULT_CV = math.sqrt(0.52)
#: No-show probability: the low end of the 15–30 % typical of primary care (FACTS.md).
DEFAULT_NO_SHOW = 0.15
#: Measures reported for every provider, the clinic and every policy.
METRICS = ("wait", "delay", "idle", "overtime", "seen")
#: Appointment rules known to :func:`policy_appointments`.
POLICIES = ("even", "bailey_welch", "overbook", "slack")
#: Default slack of the ``"slack"`` policy: intervals 10 % longer than the mean duration.
DEFAULT_SLACK = 0.1

# Random draws per chunk of replications: keeps memory flat on large days (about 16 MB per
# float array) without costing speed.
_CHUNK_ELEMENTS = 2_000_000


# -- model --------------------------------------------------------------------------------


class DurationModel(DomainModel):
    """Lognormal visit duration given by its mean and coefficient of variation.

    Parameters
    ----------
    mean_minutes : float
        Mean duration, positive.
    cv : float
        Standard deviation over the mean; 0 gives a fixed duration.  Default
        :data:`DEFAULT_CV`.
    """

    mean_minutes: float = Field(gt=0, le=720)
    cv: float = Field(default=DEFAULT_CV, ge=0, le=5)

    @property
    def log_mean(self) -> float:
        """Mean of the underlying normal: ``ln(mean) − sigma² / 2``."""
        return math.log(self.mean_minutes) - self.log_sd**2 / 2

    @property
    def log_sd(self) -> float:
        """Standard deviation of the underlying normal: ``sqrt(ln(1 + cv²))``."""
        return math.sqrt(math.log1p(self.cv**2))

    def pmf(self, tail: float = 1e-4) -> FloatArray:
        """Probabilities of 0, 1, 2, ... whole minutes: the duration rounded to the minute.

        The distribution is cut at its ``1 − tail`` quantile and renormalized.  A fixed
        duration (cv 0) is a point mass at the rounded mean.

        Parameters
        ----------
        tail : float
            Probability mass cut from the right tail, in (0, 0.01].

        Returns
        -------
        numpy.ndarray
            ``pmf[k]`` is the probability of ``k`` minutes; it sums to 1.
        """
        if not 0 < tail <= 0.01:
            raise ValueError(f"tail: {tail} is not in (0, 0.01]")
        if self.cv == 0:
            point = np.zeros(round(self.mean_minutes) + 1)
            point[-1] = 1.0
            return point
        log_normal = NormalDist(self.log_mean, self.log_sd)
        top = math.ceil(math.exp(log_normal.inv_cdf(1 - tail)))
        edges = np.arange(top + 1) + 0.5  # upper edge of each minute's bin
        cdf = np.array([log_normal.cdf(math.log(edge)) for edge in edges])
        pmf = np.diff(cdf, prepend=0.0)
        return np.asarray(pmf / cdf[-1], dtype=np.float64)


class LatenessModel(DomainModel):
    """Normal deviation of arrival from appointment time, in minutes (negative = early).

    Parameters
    ----------
    mean_minutes : float
        Mean deviation.  Default −10: with the default SD, 84 % of patients arrive early, as
        in Cerruti et al. (BMC Health Serv Res 2023) over 410,808 visits.
    sd_minutes : float
        Standard deviation; 0 makes every patient deviate by exactly the mean.  Default 10
        (an assumption).
    """

    mean_minutes: float = Field(default=-10.0, ge=-240, le=240)
    sd_minutes: float = Field(default=10.0, ge=0, le=240)


#: Every patient arrives exactly at the appointment time.
PUNCTUAL = LatenessModel(mean_minutes=0.0, sd_minutes=0.0)


class SimulationModel(DomainModel):
    """How a scheduled day deviates from its schedule; every default can be overridden.

    Parameters
    ----------
    duration_factor : float
        Mean duration of a visit over its scheduled minutes.  Default 1.0: visit types are
        booked at their mean length.
    cv : float
        Coefficient of variation of every visit's duration.  Default :data:`DEFAULT_CV`.
    durations : dict of str to DurationModel
        Duration models by visit type code, replacing the two settings above for that type.
    no_show_probability : float
        Probability that a patient does not come.  Default :data:`DEFAULT_NO_SHOW`.
    no_show_by_request : dict of str to float
        Per-request no-show probabilities (from a no-show prediction, say).
    lateness : LatenessModel
        Arrival deviation of every patient.  Default ``LatenessModel()`` (mean −10, SD 10).
    """

    duration_factor: float = Field(default=1.0, gt=0, le=10)
    cv: float = Field(default=DEFAULT_CV, ge=0, le=5)
    durations: dict[str, DurationModel] = Field(default_factory=dict)
    no_show_probability: float = Field(default=DEFAULT_NO_SHOW, ge=0, le=1)
    no_show_by_request: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    lateness: LatenessModel = LatenessModel()

    def duration_of(self, visit_type: str, scheduled_minutes: float) -> DurationModel:
        """Duration model of a visit of ``visit_type`` booked for ``scheduled_minutes``."""
        model = self.durations.get(visit_type)
        if model is not None:
            return model
        return DurationModel(mean_minutes=scheduled_minutes * self.duration_factor, cv=self.cv)

    def no_show_of(self, request_id: str) -> float:
        """No-show probability of a request."""
        return self.no_show_by_request.get(request_id, self.no_show_probability)


# -- estimates ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """A simulated expectation with its confidence interval.

    Attributes
    ----------
    mean : float
        Estimate of the expectation (NaN when it is undefined, e.g. the wait of a provider
        whose patients never come).
    ci_low, ci_high : float
        Bounds of the confidence interval (normal approximation over replications).
    """

    mean: float
    ci_low: float
    ci_high: float

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.ci_high - self.ci_low) / 2

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.ci_low <= value <= self.ci_high


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level: {level} is not in (0, 1)")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _mean_estimate(samples: FloatArray, z: float) -> Estimate:
    mean = float(samples.mean())
    half = z * float(samples.std(ddof=1)) / math.sqrt(samples.size)
    return Estimate(mean, mean - half, mean + half)


def _ratio_estimate(numerator: FloatArray, denominator: FloatArray, z: float) -> Estimate:
    """E[numerator] / E[denominator], with a delta-method interval."""
    mean_denominator = float(denominator.mean())
    if mean_denominator == 0:
        return Estimate(math.nan, math.nan, math.nan)
    ratio = float(numerator.mean()) / mean_denominator
    residual = numerator - ratio * denominator
    half = z * float(residual.std(ddof=1)) / (mean_denominator * math.sqrt(numerator.size))
    return Estimate(ratio, ratio - half, ratio + half)


def _estimates(
    wait: FloatArray,
    delay: FloatArray,
    idle: FloatArray,
    overtime: FloatArray,
    seen: FloatArray,
    z: float,
) -> dict[str, Estimate]:
    return {
        "wait": _ratio_estimate(wait, seen, z),
        "delay": _ratio_estimate(delay, seen, z),
        "idle": _mean_estimate(idle, z),
        "overtime": _mean_estimate(overtime, z),
        "seen": _mean_estimate(seen, z),
    }


def _estimate_rows(estimates: Mapping[str, Estimate]) -> list[dict[str, Any]]:
    return [
        {"metric": metric, "mean": e.mean, "ci_low": e.ci_low, "ci_high": e.ci_high}
        for metric, e in estimates.items()
    ]


# -- the vectorized engine ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Day:
    """Visits of ``G`` provider-days padded to ``n`` visits, in minutes on one clock.

    Padding visits have ``valid`` false, zero duration and ready time ``floor`` (at or
    before every span start), so wherever they fall in the service order they change
    nothing.
    """

    appointment: FloatArray  # (G, n), nondecreasing over the valid visits of a row
    valid: BoolArray  # (G, n)
    span: IntArray  # (G, n): index of the visit's working span, -1 for padding
    span_start: FloatArray  # (G, S)
    span_end: FloatArray  # (G, S)
    floor: FloatArray  # (G,)
    log_mean: FloatArray  # (G, n)
    log_sd: FloatArray  # (G, n)
    no_show: FloatArray  # (G, n)
    late_mean: FloatArray  # (G, n)
    late_sd: FloatArray  # (G, n)
    pmfs: tuple[tuple[FloatArray, BoolArray], ...] | None  # discrete durations: pmf, visits

    @property
    def shape(self) -> tuple[int, int]:
        rows, width = self.appointment.shape
        return rows, width

    @property
    def visit_span_start(self) -> FloatArray:
        return self._per_visit(self.span_start)

    @property
    def visit_span_end(self) -> FloatArray:
        return self._per_visit(self.span_end)

    def _per_visit(self, per_span: FloatArray) -> FloatArray:
        index = np.where(self.span >= 0, self.span, 0)
        values = np.take_along_axis(per_span, index, axis=1)
        return np.where(self.valid, values, self.floor[:, None])

    @property
    def needs_sort(self) -> bool:
        """Whether ready times can leave appointment order (some patient may be late)."""
        late = self.valid & ((self.late_sd > 0) | (self.late_mean > 0))
        return bool(late.any())


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Per-replication sums per provider-day, and per-visit sums over replications."""

    wait: FloatArray  # (R, G) total wait of the patients seen
    delay: FloatArray  # (R, G)
    idle: FloatArray  # (R, G)
    overtime: FloatArray  # (R, G)
    seen: FloatArray  # (R, G)
    visit_wait: FloatArray  # (G, n) wait summed over the replications the patient came
    visit_delay: FloatArray  # (G, n)
    visit_seen: FloatArray  # (G, n) replications in which the patient came


def _durations(day: _Day, rng: np.random.Generator, reps: int) -> FloatArray:
    rows, width = day.shape
    if day.pmfs is None:
        normal = rng.standard_normal((reps, rows, width))
        normal *= day.log_sd
        normal += day.log_mean
        return np.exp(normal)
    minutes = np.zeros((reps, rows, width))
    for pmf, visits in day.pmfs:
        count = int(visits.sum())
        draws = rng.choice(pmf.size, size=(reps, count), p=pmf)
        minutes[:, visits] = draws
    return minutes


def _run(day: _Day, replications: int, seed: int) -> _Outcome:
    rng = np.random.default_rng(seed)
    rows, width = day.shape
    spans = day.span_start.shape[1]
    visit_start = day.visit_span_start
    visit_end = day.visit_span_end
    span_masks = [day.valid & (day.span == s) for s in range(spans)]
    needs_sort = day.needs_sort
    total_wait, total_delay, total_idle, overtime, seen = (
        np.zeros((replications, rows)) for _ in range(5)
    )
    visit_wait = np.zeros((rows, width))
    visit_delay = np.zeros((rows, width))
    visit_seen = np.zeros((rows, width))
    chunk = max(1, _CHUNK_ELEMENTS // max(1, rows * width))
    for lo in range(0, replications, chunk):
        reps = min(chunk, replications - lo)
        part = slice(lo, lo + reps)
        service = _durations(day, rng, reps)
        shows = (rng.random((reps, rows, width)) >= day.no_show) & day.valid
        service *= shows
        if needs_sort:
            lateness = rng.standard_normal((reps, rows, width))
            lateness *= day.late_sd
            lateness += day.late_mean
            arrival = day.appointment + lateness
            ready = np.where(shows, np.maximum(arrival, day.appointment), day.appointment)
        else:
            arrival = np.broadcast_to(day.appointment + day.late_mean, (reps, rows, width))
            ready = np.broadcast_to(day.appointment, (reps, rows, width))
        ready = np.where(day.valid, ready, day.floor[:, None])
        start, before = _serve(ready, service, day.floor, needs_sort)
        end = start + service
        wait = np.where(shows, start - arrival, 0.0)
        delay = np.where(shows, start - ready, 0.0)
        # Idle before each visit, counted from its span's start (breaks are not idle).
        gap = start - np.maximum(before, visit_start)
        idle = np.where(day.valid, np.maximum(gap, 0.0), 0.0)
        over = end - visit_end
        for mask in span_masks:
            overtime[part] += np.where(mask, over, 0.0).max(axis=2, initial=0.0)
        total_wait[part] = wait.sum(axis=2)
        total_delay[part] = delay.sum(axis=2)
        total_idle[part] = idle.sum(axis=2)
        seen[part] = shows.sum(axis=2)
        visit_wait += wait.sum(axis=0)
        visit_delay += delay.sum(axis=0)
        visit_seen += shows.sum(axis=0)
    return _Outcome(
        wait=total_wait,
        delay=total_delay,
        idle=total_idle,
        overtime=overtime,
        seen=seen,
        visit_wait=visit_wait,
        visit_delay=visit_delay,
        visit_seen=visit_seen,
    )


def _serve(
    ready: FloatArray, service: FloatArray, floor: FloatArray, needs_sort: bool
) -> tuple[FloatArray, FloatArray]:
    """Start of every visit, and the end of the visit before it, in the input order.

    Patients are served first come, first served by ready time (a stable sort keeps
    appointment order among ties); the provider is free from ``floor`` on.
    """
    reps, rows, width = ready.shape
    order = None
    if needs_sort:
        order = np.argsort(ready, axis=2, kind="stable")
        ready = np.take_along_axis(ready, order, axis=2)
        service = np.take_along_axis(service, order, axis=2)
    # Visit-major copies: the recursion reads and writes one visit position at a time.
    ready_by_visit = np.ascontiguousarray(np.moveaxis(ready, 2, 0))
    service_by_visit = np.ascontiguousarray(np.moveaxis(service, 2, 0))
    start = np.empty((width, reps, rows))
    before = np.empty((width, reps, rows))
    free = np.broadcast_to(floor, (reps, rows)).copy()
    for j in range(width):
        before[j] = free
        np.maximum(ready_by_visit[j], free, out=free)
        start[j] = free
        free += service_by_visit[j]
    start = np.moveaxis(start, 0, 2)
    before = np.moveaxis(before, 0, 2)
    if order is None:
        return start, before
    # Back to the input order: position ``order[r, g, j]`` receives the j-th served visit.
    target = (order + np.arange(reps * rows).reshape(reps, rows, 1) * width).ravel()
    unsorted_start = np.empty(start.size)
    unsorted_before = np.empty(before.size)
    unsorted_start[target] = start.ravel()
    unsorted_before[target] = before.ravel()
    return unsorted_start.reshape(start.shape), unsorted_before.reshape(before.shape)


def _day_arrays(
    appointments: Sequence[FloatArray],
    spans: Sequence[Sequence[tuple[float, float]]],
    visit_spans: Sequence[IntArray],
    durations: Sequence[Sequence[DurationModel]],
    no_shows: Sequence[FloatArray],
    lateness: Sequence[Sequence[LatenessModel]],
    *,
    discrete: bool,
) -> _Day:
    """Pad per-provider lists into the engine's arrays."""
    rows = len(appointments)
    width = max(1, max(a.size for a in appointments))
    span_width = max(1, max(len(s) for s in spans))
    floor = np.array([min(s for s, _ in group) for group in spans], dtype=np.float64)
    appointment = np.repeat(floor[:, None], width, axis=1)
    valid = np.zeros((rows, width), dtype=np.bool_)
    span = np.full((rows, width), -1, dtype=np.int64)
    span_start = np.repeat(floor[:, None], span_width, axis=1)
    span_end = np.repeat(floor[:, None], span_width, axis=1)
    log_mean = np.zeros((rows, width))
    log_sd = np.zeros((rows, width))
    no_show = np.zeros((rows, width))
    late_mean = np.zeros((rows, width))
    late_sd = np.zeros((rows, width))
    models: dict[DurationModel, BoolArray] = {}
    for g in range(rows):
        n = appointments[g].size
        appointment[g, :n] = appointments[g]
        valid[g, :n] = True
        span[g, :n] = visit_spans[g]
        for s, (lo, hi) in enumerate(spans[g]):
            span_start[g, s], span_end[g, s] = lo, hi
        for i, model in enumerate(durations[g]):
            log_mean[g, i], log_sd[g, i] = model.log_mean, model.log_sd
            models.setdefault(model, np.zeros((rows, width), dtype=np.bool_))[g, i] = True
        no_show[g, :n] = no_shows[g]
        late_mean[g, :n] = [x.mean_minutes for x in lateness[g]]
        late_sd[g, :n] = [x.sd_minutes for x in lateness[g]]
    pmfs = tuple((m.pmf(), mask) for m, mask in models.items()) if discrete else None
    return _Day(
        appointment=appointment,
        valid=valid,
        span=span,
        span_start=span_start,
        span_end=span_end,
        floor=floor,
        log_mean=log_mean,
        log_sd=log_sd,
        no_show=no_show,
        late_mean=late_mean,
        late_sd=late_sd,
        pmfs=pmfs,
    )


def _check_replications(replications: int) -> None:
    if replications < 2:
        raise ValueError(f"replications: {replications} is below 2 (no confidence interval)")


# -- one provider -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleSimulation:
    """Simulated measures of one provider's session.

    Attributes
    ----------
    replications : int
        Simulated days.
    level : float
        Confidence level of the intervals.
    metrics : dict of str to Estimate
        The measures of :data:`METRICS` (see the module docstring).
    expected_wait : numpy.ndarray
        Mean wait of each appointment over the replications its patient came (NaN if never).
    """

    replications: int
    level: float
    metrics: Mapping[str, Estimate]
    expected_wait: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: ``metric``, ``mean``, ``ci_low``, ``ci_high``."""
        return pd.DataFrame(_estimate_rows(self.metrics))


def _per_appointment(values: Any, n: int, name: str) -> FloatArray:
    array = np.broadcast_to(np.asarray(values, dtype=np.float64), (n,)).copy()
    if ((array < 0) | (array > 1)).any():
        raise ValueError(f"{name}: probabilities must lie in [0, 1]")
    return array


def _models(value: Any, n: int, kind: type[Any], name: str) -> list[Any]:
    if isinstance(value, kind):
        return [value] * n
    models = list(value)
    if len(models) != n:
        raise ValueError(f"{name}: {len(models)} models for {n} appointments")
    return models


def _appointments(appointment_minutes: npt.ArrayLike, session_start: float) -> FloatArray:
    times = np.asarray(appointment_minutes, dtype=np.float64).reshape(-1)
    if times.size == 0:
        raise ValueError("appointment_minutes: no appointment")
    if (np.diff(times) < 0).any():
        raise ValueError("appointment_minutes: times must be in nondecreasing order")
    if times[0] < session_start:
        raise ValueError(
            f"appointment_minutes: the first appointment {times[0]:g} is before the session "
            f"start {session_start:g}"
        )
    return times


def simulate_schedule(
    appointment_minutes: npt.ArrayLike,
    durations: DurationModel | Sequence[DurationModel],
    *,
    session_end: float,
    session_start: float = 0.0,
    no_show: float | npt.ArrayLike = 0.0,
    lateness: LatenessModel | Sequence[LatenessModel] = PUNCTUAL,
    discrete: bool = False,
    replications: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> ScheduleSimulation:
    """Simulate one provider's session booked at the given appointment times.

    Parameters
    ----------
    appointment_minutes : array_like of float
        Appointment times in minutes on the session's clock, in nondecreasing order.
    durations : DurationModel or sequence of DurationModel
        One model for every visit, or one per appointment.
    session_end : float
        End of the session; visits ending after it make overtime.
    session_start : float
        Start of the session, at or before the first appointment.  Default 0.
    no_show : float or array_like of float
        No-show probability, one for all or one per appointment.  Default 0.
    lateness : LatenessModel or sequence of LatenessModel
        Arrival deviation, one for all or one per appointment.  Default :data:`PUNCTUAL`.
    discrete : bool
        Draw durations from the 1-minute discretization :meth:`DurationModel.pmf` (the
        distribution :func:`exact_single_provider` uses) instead of the lognormal itself.
    replications : int
        Simulated sessions, at least 2.
    seed : int
        Seed of ``numpy.random.default_rng``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    ScheduleSimulation
        The measures with their confidence intervals.
    """
    _check_replications(replications)
    z = _z(level)
    times = _appointments(appointment_minutes, session_start)
    n = times.size
    if session_end <= session_start:
        raise ValueError(f"session_end: {session_end:g} is not after {session_start:g}")
    day = _day_arrays(
        [times],
        [[(session_start, session_end)]],
        [np.zeros(n, dtype=np.int64)],
        [_models(durations, n, DurationModel, "durations")],
        [_per_appointment(no_show, n, "no_show")],
        [_models(lateness, n, LatenessModel, "lateness")],
        discrete=discrete,
    )
    outcome = _run(day, replications, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_wait = outcome.visit_wait[0, :n] / outcome.visit_seen[0, :n]
    metrics = _estimates(
        outcome.wait[:, 0],
        outcome.delay[:, 0],
        outcome.idle[:, 0],
        outcome.overtime[:, 0],
        outcome.seen[:, 0],
        z,
    )
    return ScheduleSimulation(replications, level, metrics, expected_wait)


# -- exact computation for one provider ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExactSchedule:
    """Exact expectations for one provider's session with punctual patients.

    Attributes
    ----------
    expected_wait : numpy.ndarray
        Expected wait of each appointment, given that its patient comes.
    wait : float
        Expected total wait over expected patients seen (``wait`` of :data:`METRICS`).
    idle : float
        Expected provider idle minutes before the last visit ends.
    overtime : float
        Expected minutes past the session end.
    seen : float
        Expected patients seen.
    """

    expected_wait: FloatArray
    wait: float
    idle: float
    overtime: float
    seen: float

    @property
    def metrics(self) -> dict[str, float]:
        """The measures of :data:`METRICS`; ``delay`` equals ``wait`` (punctual patients)."""
        return {
            "wait": self.wait,
            "delay": self.wait,
            "idle": self.idle,
            "overtime": self.overtime,
            "seen": self.seen,
        }


def exact_single_provider(
    appointment_minutes: npt.ArrayLike,
    durations: DurationModel | Sequence[DurationModel],
    *,
    session_end: float,
    session_start: int = 0,
    no_show: float | npt.ArrayLike = 0.0,
    tail: float = 1e-4,
) -> ExactSchedule:
    """Exact expected waits, idle time and overtime of one provider's session.

    Durations are the 1-minute discretization :meth:`DurationModel.pmf`; patients are
    punctual.  The distribution of the end of visit *i − 1* is carried slot by slot: the
    start of visit *i* is its maximum with the appointment time, and the end of visit *i* is
    the start convolved with the visit's duration, a mixture of zero minutes (no-show) and
    the duration pmf.  The cost is about ``n × support × longest duration`` operations,
    small for a session.

    Parameters
    ----------
    appointment_minutes : array_like of int
        Appointment times in whole minutes, nondecreasing.
    durations : DurationModel or sequence of DurationModel
        One model for every visit, or one per appointment.
    session_end : float
        End of the session; visits ending after it make overtime.
    session_start : int
        Start of the session in whole minutes, at or before the first appointment.
        Default 0.
    no_show : float or array_like of float
        No-show probability, one for all or one per appointment.
    tail : float
        Right-tail mass cut from each duration distribution (see :meth:`DurationModel.pmf`).

    Returns
    -------
    ExactSchedule
        The exact expectations.
    """
    times = _appointments(appointment_minutes, session_start)
    if not np.array_equal(times, np.round(times)):
        raise ValueError("appointment_minutes: times must be whole minutes")
    if not float(session_start).is_integer():
        raise ValueError(f"session_start: {session_start} is not a whole minute")
    n = times.size
    models = _models(durations, n, DurationModel, "durations")
    no_shows = _per_appointment(no_show, n, "no_show")
    pmfs: dict[DurationModel, FloatArray] = {}
    offset = int(session_start)
    free = np.ones(1)  # pmf of the moment the provider is free, from ``offset`` on
    expected_wait = np.zeros(n)
    idle = 0.0
    for i in range(n):
        appointment = int(times[i])
        moments = offset + np.arange(free.size)
        expected_wait[i] = float(np.maximum(moments - appointment, 0) @ free)
        idle += float(np.maximum(appointment - moments, 0) @ free)
        if appointment > offset:
            # The provider starts at the appointment time at the earliest.
            cut = min(appointment - offset, free.size)
            free = np.concatenate(([free[: cut + 1].sum()], free[cut + 1 :]))
            offset = appointment
        pmf = pmfs.get(models[i])
        if pmf is None:
            pmf = pmfs[models[i]] = models[i].pmf(tail)
        service = (1 - no_shows[i]) * pmf
        service[0] += no_shows[i]
        free = np.convolve(free, service)
    moments = offset + np.arange(free.size)
    overtime = float(np.maximum(moments - session_end, 0) @ free)
    seen = float((1 - no_shows).sum())
    wait = float((1 - no_shows) @ expected_wait) / seen if seen > 0 else math.nan
    return ExactSchedule(expected_wait, wait, idle, overtime, seen)


# -- appointment policies ------------------------------------------------------------------


def policy_appointments(
    policy: str,
    n_patients: int,
    *,
    mean_minutes: float,
    session_minutes: float | None = None,
    no_show: float = 0.0,
) -> IntArray:
    """Appointment times of a policy, in whole minutes from the session start.

    Parameters
    ----------
    policy : str
        * ``"even"``: ``n`` patients at intervals ``session / n``.
        * ``"bailey_welch"``: two patients at the start, then one every mean duration
          (Bailey–Welch rule; FACTS.md, Cayirli & Veral 2003).
        * ``"overbook"`` or ``"overbook_<k>"``: ``n + k`` patients at intervals
          ``session / (n + k)``, to offset no-shows.  Default ``k = round(n q / (1 − q))``
          for no-show probability ``q``, which makes the expected patients seen about ``n``.
        * ``"slack"`` or ``"slack_<s>"``: intervals ``mean × (1 + s)``; default ``s`` 0.1.
    n_patients : int
        Patients the session is planned for.
    mean_minutes : float
        Mean visit duration.
    session_minutes : float, optional
        Session length; default ``n_patients × mean_minutes``.
    no_show : float
        No-show probability, used by ``"overbook"`` without an explicit ``k``.

    Returns
    -------
    numpy.ndarray of int
        Appointment times, rounded to whole minutes.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients: {n_patients} is below 1")
    if mean_minutes <= 0:
        raise ValueError(f"mean_minutes: {mean_minutes} is not positive")
    session = n_patients * mean_minutes if session_minutes is None else session_minutes
    if session <= 0:
        raise ValueError(f"session_minutes: {session} is not positive")
    slot = np.arange(n_patients, dtype=np.float64)
    if policy == "even":
        times = slot * session / n_patients
    elif policy == "bailey_welch":
        times = np.maximum(slot - 1, 0) * mean_minutes
    elif policy == "overbook" or policy.startswith("overbook_"):
        extra = _policy_parameter(policy, int, None)
        if extra is None:
            extra = round(n_patients * no_show / (1 - no_show)) if no_show < 1 else 0
        if extra < 0:
            raise ValueError(f"policy {policy!r}: extra patients must not be negative")
        booked = n_patients + extra
        times = np.arange(booked, dtype=np.float64) * session / booked
    elif policy == "slack" or policy.startswith("slack_"):
        slack = _policy_parameter(policy, float, DEFAULT_SLACK)
        if slack is None or slack <= -1:
            raise ValueError(f"policy {policy!r}: slack must be above -1")
        times = slot * mean_minutes * (1 + slack)
    else:
        raise ValueError(f"policy {policy!r} is unknown; known: {', '.join(POLICIES)}")
    return np.round(times).astype(np.int64)


def _policy_parameter(policy: str, kind: type[Any], default: Any) -> Any:
    _, separator, text = policy.partition("_")
    if not separator:
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"policy {policy!r}: {text!r} is not a valid parameter") from None


POLICY_COLUMNS = ["policy", "booked", "metric", "mean", "ci_low", "ci_high", "exact"]


def compare_policies(
    n_patients: int,
    *,
    mean_minutes: float = 13.4,
    cv: float = DEFAULT_CV,
    no_show: float = DEFAULT_NO_SHOW,
    session_minutes: float | None = None,
    policies: Sequence[str] = POLICIES,
    lateness: LatenessModel = PUNCTUAL,
    discrete: bool = False,
    exact: bool = True,
    replications: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Simulate one provider's session under several appointment policies.

    Every policy sees the same durations, no-show probability and session; each is simulated
    with the same seed (common random numbers).  The defaults follow FACTS.md: mean 13.4
    minutes, cv ``sqrt(0.52)``, no-show probability 0.15, punctual patients.

    Parameters
    ----------
    n_patients : int
        Patients the session is planned for.
    mean_minutes, cv : float
        Lognormal visit duration.
    no_show : float
        No-show probability of every patient.
    session_minutes : float, optional
        Session length; default ``n_patients × mean_minutes``.
    policies : sequence of str
        Policy names of :func:`policy_appointments`.
    lateness : LatenessModel
        Arrival deviation of every patient.
    discrete : bool
        Draw durations from the 1-minute discretization, as the exact values assume.
    exact : bool
        Add the exact expectations of :func:`exact_single_provider` (1-minute
        discretization) in column ``exact``; NaN when patients are not punctual.
    replications, seed, level
        As in :func:`simulate_schedule`.

    Returns
    -------
    pandas.DataFrame
        One row per policy and measure: ``policy``, ``booked`` (appointments),
        ``metric``, ``mean``, ``ci_low``, ``ci_high``, ``exact``.
    """
    duration = DurationModel(mean_minutes=mean_minutes, cv=cv)
    session = n_patients * mean_minutes if session_minutes is None else session_minutes
    punctual = lateness.mean_minutes <= 0 and lateness.sd_minutes == 0
    rows: list[dict[str, Any]] = []
    for policy in policies:
        times = policy_appointments(
            policy, n_patients, mean_minutes=mean_minutes, session_minutes=session, no_show=no_show
        )
        simulated = simulate_schedule(
            times,
            duration,
            session_end=session,
            no_show=no_show,
            lateness=lateness,
            discrete=discrete,
            replications=replications,
            seed=seed,
            level=level,
        )
        exact_values: dict[str, float] = {}
        if exact and punctual:
            exact_values = exact_single_provider(
                times, duration, session_end=session, no_show=no_show
            ).metrics
        for row in _estimate_rows(simulated.metrics):
            rows.append(
                {
                    "policy": policy,
                    "booked": int(times.size),
                    **row,
                    "exact": exact_values.get(row["metric"], math.nan),
                }
            )
    return pd.DataFrame(rows, columns=POLICY_COLUMNS)


# -- a solved clinic day ------------------------------------------------------------------


REPORT_COLUMNS = ["provider_id", "metric", "mean", "ci_low", "ci_high"]
VISIT_COLUMNS = [
    "request_id",
    "provider_id",
    "visit_type",
    "start",
    "mean_minutes",
    "no_show_probability",
    "mean_wait",
    "mean_delay",
]


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """Simulated measures of a solved clinic day.

    Attributes
    ----------
    day : datetime.date
        The simulated date.
    replications : int
        Simulated days.
    level : float
        Confidence level of the intervals.
    by_provider : dict of str to dict of str to Estimate
        Measures of :data:`METRICS` per provider with visits on the day.
    clinic : dict of str to Estimate
        The same over the clinic: ``wait`` and ``delay`` per patient seen; ``idle``,
        ``overtime`` and ``seen`` summed over the providers.
    visits : pandas.DataFrame
        One row per visit (columns ``VISIT_COLUMNS``): its duration mean, no-show
        probability, and mean wait and delay over the replications its patient came.
    """

    day: dt.date
    replications: int
    level: float
    by_provider: Mapping[str, Mapping[str, Estimate]]
    clinic: Mapping[str, Estimate]
    visits: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Tidy measures: one row per provider and measure, then the clinic's rows.

        Columns ``provider_id`` (missing on the clinic rows), ``metric``, ``mean``,
        ``ci_low``, ``ci_high``.
        """
        rows = [
            {"provider_id": provider_id, **row}
            for provider_id, estimates in self.by_provider.items()
            for row in _estimate_rows(estimates)
        ]
        rows += [{"provider_id": None, **row} for row in _estimate_rows(self.clinic)]
        frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        frame["provider_id"] = frame["provider_id"].astype("string")
        return frame


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _the_day(problem: Problem, result: Result, day: dt.date | None) -> dt.date:
    zone = problem.horizon.zone
    dates = sorted({a.start.astimezone(zone).date() for a in result.assignments})
    if day is None:
        if len(dates) != 1:
            raise ValueError(f"day: the schedule has visits on {len(dates)} dates; name one")
        return dates[0]
    if day not in problem.horizon.dates:
        raise ValueError(f"day: {day} is not an open date of the horizon")
    if day not in dates:
        raise ValueError(f"day: the schedule has no visit on {day}")
    return day


def simulate_day(
    problem: Problem,
    result: Result,
    day: dt.date | None = None,
    *,
    model: SimulationModel | None = None,
    session_end: Mapping[str, dt.datetime] | None = None,
    replications: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
) -> SimulationReport:
    """Simulate a solved day: expected patient wait, provider idle time and overtime.

    Parameters
    ----------
    problem : Problem
        The problem the schedule solves (for sessions, time off and the timezone).
    result : Result
        The schedule; only its visits on ``day`` are simulated.
    day : datetime.date, optional
        Local date to simulate; may be left out when the schedule covers one date.
    model : SimulationModel, optional
        Durations, no-shows and lateness; default ``SimulationModel()``.
    session_end : dict of str to datetime, optional
        Per provider id, the end of the provider's last working span of the day, replacing
        the scheduled one (a clinic that closes later, say).
    replications : int
        Simulated days, at least 2.
    seed : int
        Seed of ``numpy.random.default_rng``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    SimulationReport
        Measures per provider and for the clinic, and per-visit waits.

    Raises
    ------
    ValueError
        If the day has no visits or is not in the horizon, or an argument is out of range.
    """
    _check_replications(replications)
    z = _z(level)
    model = model or SimulationModel()
    day = _the_day(problem, result, day)
    horizon = problem.horizon
    zone = horizon.zone
    origin = horizon.day_start_minute(day)
    by_provider: dict[str, list[Assignment]] = {}
    for a in sorted(result.assignments, key=lambda a: (a.start, a.request_id)):
        if a.start.astimezone(zone).date() == day:
            by_provider.setdefault(a.provider_id, []).append(a)
    provider_ids = sorted(by_provider, key=problem.provider_index.__getitem__)
    day_index = horizon.dates.index(day)
    grain = horizon.grain_minutes
    blocks: dict[int, list[tuple[float, float]]] = {}
    for block in provider_blocks(problem):
        if block.day == day_index:
            span = (float(block.start * grain - origin), float(block.end * grain - origin))
            blocks.setdefault(block.provider, []).append(span)
    overrides = session_end or {}
    for provider_id in overrides:
        if provider_id not in problem.provider_index:
            raise ValueError(f"session_end: unknown provider {provider_id!r}")

    appointments, spans, visit_spans, durations, no_shows, lateness = [], [], [], [], [], []
    for provider_id in provider_ids:
        visits = by_provider[provider_id]
        starts = np.array([horizon.minute_of(a.start) - origin for a in visits], dtype=float)
        ends = np.array([horizon.minute_of(a.end) - origin for a in visits], dtype=float)
        working = blocks.get(problem.provider_index[provider_id], [])
        # A visit outside every session (edited by hand, say) is its own span.
        outside = [
            (float(s), float(e))
            for s, e in zip(starts, ends, strict=True)
            if not any(lo <= s < hi for lo, hi in working)
        ]
        working = _merge(working + outside)
        if provider_id in overrides:
            last_start, _ = working[-1]
            new_end = float(horizon.minute_of(overrides[provider_id]) - origin)
            if new_end <= last_start:
                raise ValueError(
                    f"session_end: provider {provider_id}: the end is not after the start of "
                    "the provider's last span of the day"
                )
            working[-1] = (last_start, new_end)
        appointments.append(starts)
        spans.append(working)
        visit_spans.append(
            np.array(
                [next(k for k, (lo, hi) in enumerate(working) if lo <= s < hi) for s in starts],
                dtype=np.int64,
            )
        )
        durations.append(
            [
                model.duration_of(a.visit_type, e - s)
                for a, s, e in zip(visits, starts, ends, strict=True)
            ]
        )
        no_shows.append(np.array([model.no_show_of(a.request_id) for a in visits]))
        lateness.append([model.lateness] * len(visits))

    engine_day = _day_arrays(
        appointments, spans, visit_spans, durations, no_shows, lateness, discrete=False
    )
    outcome = _run(engine_day, replications, seed)
    estimates = {
        provider_id: _estimates(
            outcome.wait[:, g],
            outcome.delay[:, g],
            outcome.idle[:, g],
            outcome.overtime[:, g],
            outcome.seen[:, g],
            z,
        )
        for g, provider_id in enumerate(provider_ids)
    }
    clinic = _estimates(
        outcome.wait.sum(axis=1),
        outcome.delay.sum(axis=1),
        outcome.idle.sum(axis=1),
        outcome.overtime.sum(axis=1),
        outcome.seen.sum(axis=1),
        z,
    )
    return SimulationReport(
        day=day,
        replications=replications,
        level=level,
        by_provider=estimates,
        clinic=clinic,
        visits=_visit_frame(by_provider, provider_ids, durations, no_shows, outcome, zone),
    )


def _visit_frame(
    by_provider: Mapping[str, list[Assignment]],
    provider_ids: list[str],
    durations: list[list[DurationModel]],
    no_shows: list[FloatArray],
    outcome: _Outcome,
    zone: dt.tzinfo,
) -> pd.DataFrame:
    rows = []
    for g, provider_id in enumerate(provider_ids):
        for i, a in enumerate(by_provider[provider_id]):
            seen = outcome.visit_seen[g, i]
            rows.append(
                {
                    "request_id": a.request_id,
                    "provider_id": provider_id,
                    "visit_type": a.visit_type,
                    "start": a.start.astimezone(zone),
                    "mean_minutes": durations[g][i].mean_minutes,
                    "no_show_probability": float(no_shows[g][i]),
                    "mean_wait": outcome.visit_wait[g, i] / seen if seen else math.nan,
                    "mean_delay": outcome.visit_delay[g, i] / seen if seen else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=VISIT_COLUMNS)
