"""The greedy's occupancy (``psr_sched.solver.greedy._Occupancy``).

It keeps, per provider, room pool, front desk and patient, the free runs of grains and
refreshes them on every booking; the starts it reports must be exactly those found by
checking every grain of every resource from scratch, after any sequence of bookings and
releases (including double bookings, which the construction never makes itself).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from psr_sched import Problem
from psr_sched.demo import generate_clinic
from psr_sched.solver.candidates import Candidates, build_candidates
from psr_sched.solver.greedy import _Occupancy

Booking = tuple[int, int, int]  # request, option, start grain


def _starts_from_scratch(
    problem: Problem, cand: Candidates, size: int, booked: list[Booking], r: int, o: int
) -> list[int]:
    """Feasible starts of option ``o`` of ``r``, from the bookings alone."""
    provider = np.zeros((len(problem.providers), size), dtype=int)
    pool = np.zeros((len(cand.pools), size), dtype=int)
    desk = np.zeros(size, dtype=int)
    stations = np.zeros(size, dtype=int)
    for segments in cand.desk_spans:
        for s, e, n in segments:
            stations[s:e] += n
    patient = np.zeros(size, dtype=int)
    block_used = 0
    day_visits = 0
    opt = cand.options[o]
    pid = problem.requests[r].patient_id
    shared = sum(request.patient_id == pid for request in problem.requests) > 1
    for rb, ob, t in booked:
        other = cand.options[ob]
        provider[other.provider, t : t + other.duration] += 1
        if other.pool >= 0:
            pool[other.pool, t : t + other.duration + cand.pools[other.pool].turnover] += 1
        if problem.front_desk is not None and cand.check_in[rb] > 0:
            desk[max(0, t - cand.check_in[rb]) : t] += 1
        if problem.requests[rb].patient_id == pid:
            patient[t : t + other.duration] += 1
        block_used += other.duration if other.block == opt.block else 0
        day_visits += (other.provider, other.day) == (opt.provider, opt.day)
    block = cand.blocks[opt.block]
    limit = problem.providers[opt.provider].max_visits_per_day
    if block.end - block.start - block_used < opt.duration or (
        limit is not None and day_visits >= limit
    ):
        return []
    ci = cand.check_in[r] if problem.front_desk is not None else 0
    rooms = len(cand.pools[opt.pool].rooms) if opt.pool >= 0 else 0
    turnover = cand.pools[opt.pool].turnover if opt.pool >= 0 else 0
    found = []
    for t in range(opt.lo, opt.hi + 1):
        end = t + opt.duration
        if (
            provider[opt.provider, t:end].any()
            or (opt.pool >= 0 and (pool[opt.pool, t : end + turnover] >= rooms).any())
            or (ci > 0 and (t < ci or (desk[t - ci : t] >= stations[t - ci : t]).any()))
            or (shared and patient[t:end].any())
        ):
            continue
        found.append(t)
    return found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_starts_match_a_check_from_scratch(seed: int) -> None:
    problem = generate_clinic(
        seed=seed, providers=6, exam_rooms=2, procedure_rooms=1, days=2, load=1.0
    )
    cand = build_candidates(problem)
    assert problem.front_desk is not None
    occ = _Occupancy(problem, cand)
    rng = random.Random(seed)
    placeable = [r for r, options in enumerate(cand.by_request) if options]
    booked: list[Booking] = []
    for step in range(150):
        if booked and rng.random() < 0.2:
            r, o, t = booked.pop(rng.randrange(len(booked)))
            occ.book(r, o, t, sign=-1)
        else:
            r = rng.choice(placeable)
            o = rng.choice(cand.by_request[r])
            starts = occ.starts(r, o, 0, occ.size).tolist()
            # Now and then a double booking, at the option's first grain.
            if starts or step % 10 == 0:
                t = rng.choice(starts) if starts else cand.options[o].lo
                occ.book(r, o, t)
                booked.append((r, o, t))
        for _ in range(5):
            r = rng.choice(placeable)
            o = rng.choice(cand.by_request[r])
            expected = _starts_from_scratch(problem, cand, occ.size, booked, r, o)
            assert occ.starts(r, o, 0, occ.size).tolist() == expected
            lo, hi = sorted(rng.randrange(occ.size) for _ in range(2))
            inside = [t for t in expected if lo <= t <= hi]
            assert occ.first_start(r, o, lo, hi) == (inside[0] if inside else None)
