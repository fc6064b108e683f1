"""Benchmark instance families, generated from seeds by :func:`psr_sched.demo.generate_clinic`.

Never hand-edited: a family name and a seed give the same problems, byte for byte, in every
process.  Run ``python -m benchmarks.instances`` for a table of the families' sizes.

=========  ==========================================================================
family     what it is
=========  ==========================================================================
S          one clinic day (a Tuesday): 18 providers on the roster, of whom about 10 see
           patients that day (the others' weekly half-days fall on other weekdays),
           11 rooms, about 150 requests
M          a clinic week: 25 providers, 20 rooms (16 exam, 4 procedure), about 1,000
           requests
L          a large clinic week: 60 providers, 45 rooms (36 exam, 9 procedure), about
           2,800 requests (the generator's room and front-desk conflicts cap it there)
M-over     the clinic week of M generated at full load, then topped up with extra
           requests until demand is 110% of the providers' session minutes
XL         a health system: 20 clinics of size M, each with its own seed and name
S0, M0,    S, M and L (L0 at 85% load) without the front desk, the shape of most
L0         clinics, scored on access only (:data:`ACCESS_WEIGHTS`)
M0-110,    M0 at full load topped up to 110% and 130% of session minutes, as M-over
M0-130
=========  ==========================================================================

S has no follow-ups (they need two days) and has same-day sequences only when its nurse
educator works that Tuesday: seeds 0, 1, 2 and 4 have 6 to 12 such links, seed 3 none.

Every problem carries what the generator builds: morning and afternoon sessions around a
lunch break, time off, provider-specific durations, a mix of in-person and virtual visit
types, payer networks, same-day sequences and follow-ups, pinned (locked and movable)
appointments, preferences, a front desk and a few requests built to be unplaceable.

Seeds: S, M, L and M-over use ``generate_clinic(seed=seed)``; clinic *k* (0 … 19) of XL uses
seed ``1000 × (seed + 1) + k``, so XL never repeats an M instance.  The extra requests of
M-over are clones of the clinic's own requests (same visit type, window, priority, payer and
preferences; a new id and a new patient), drawn by ``numpy.random.default_rng((seed, 110))``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from psr_sched import AppointmentRequest, Problem, Weights
from psr_sched.demo import demo_stats, generate_clinic
from psr_sched.solver.candidates import build_candidates

__all__ = [
    "FAMILIES",
    "Family",
    "FamilySpec",
    "Size",
    "family",
    "overbook",
    "size_of",
]


#: The objective of the families without a front desk (S0, M0, L0, M0-110, M0-130): access
#: only, 10,000 per unit of priority left unscheduled plus priority-weighted wait minutes,
#: no idle or preference term (moved pins still cost their ``move_cost``).  The relaxation's
#: bound counts exactly these terms, so the gap to it is the search's and the bound's alone.
ACCESS_WEIGHTS = Weights(
    unscheduled=10_000,
    access_wait=1,
    idle_gap=0,
    provider_preference_miss=0,
    time_preference_miss=0,
)


@dataclass(frozen=True, slots=True)
class FamilySpec:
    """How a family is generated, and the sizes it aims at (for the tests and the table).

    ``target_providers`` counts providers who can see some request of the problem (the
    generator's financial counselor, and S's providers off on that day, are not counted).
    """

    name: str
    description: str
    providers: int
    exam_rooms: int
    procedure_rooms: int
    days: int
    load: float
    target_providers: int
    target_rooms: int | None
    target_requests: int
    clinics: int = 1
    demand: float | None = None  # requested / session minutes after topping up (M-over)
    start: dt.date = dt.date(2026, 12, 7)  # a Monday
    front_desk: bool = True  # False: the generated front desk is removed (S0, M0, L0, ...)
    weights: Weights | None = None  # None: the generator's weights


FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in (
        FamilySpec(
            "S",
            "one clinic day",
            providers=18,
            exam_rooms=9,
            procedure_rooms=2,
            days=1,
            load=0.85,
            target_providers=10,
            target_rooms=None,
            target_requests=150,
            start=dt.date(2026, 12, 8),
        ),
        FamilySpec(
            "M",
            "a clinic week",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=0.85,
            target_providers=25,
            target_rooms=20,
            target_requests=1000,
        ),
        FamilySpec(
            "L",
            "a large clinic week",
            providers=60,
            exam_rooms=36,
            procedure_rooms=9,
            days=5,
            load=0.95,
            target_providers=60,
            target_rooms=45,
            target_requests=3000,
        ),
        FamilySpec(
            "M-over",
            "a clinic week with demand at 110% of capacity",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=1.0,
            target_providers=25,
            target_rooms=20,
            target_requests=1400,  # M at full load (about 1,100), topped up
            demand=1.10,
        ),
        FamilySpec(
            "S0",
            "one clinic day without a front desk",
            providers=18,
            exam_rooms=9,
            procedure_rooms=2,
            days=1,
            load=0.85,
            target_providers=10,
            target_rooms=None,
            target_requests=150,
            start=dt.date(2026, 12, 8),
            front_desk=False,
            weights=ACCESS_WEIGHTS,
        ),
        FamilySpec(
            "M0",
            "a clinic week without a front desk",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=0.85,
            target_providers=25,
            target_rooms=20,
            target_requests=1000,
            front_desk=False,
            weights=ACCESS_WEIGHTS,
        ),
        FamilySpec(
            "L0",
            "a large clinic week without a front desk",
            providers=60,
            exam_rooms=36,
            procedure_rooms=9,
            days=5,
            load=0.85,
            target_providers=60,
            target_rooms=45,
            target_requests=2600,
            front_desk=False,
            weights=ACCESS_WEIGHTS,
        ),
        FamilySpec(
            "M0-110",
            "a clinic week without a front desk, demand at 110% of capacity",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=1.0,
            target_providers=25,
            target_rooms=20,
            target_requests=1400,
            demand=1.10,
            front_desk=False,
            weights=ACCESS_WEIGHTS,
        ),
        FamilySpec(
            "M0-130",
            "a clinic week without a front desk, demand at 130% of capacity",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=1.0,
            target_providers=25,
            target_rooms=20,
            target_requests=1650,
            demand=1.30,
            front_desk=False,
            weights=ACCESS_WEIGHTS,
        ),
        FamilySpec(
            "XL",
            "a health system of 20 clinics of size M",
            providers=25,
            exam_rooms=16,
            procedure_rooms=4,
            days=5,
            load=0.85,
            target_providers=25,
            target_rooms=20,
            target_requests=1000,
            clinics=20,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Family:
    """The problems of one family for one seed."""

    name: str
    description: str
    seed: int
    problems: tuple[Problem, ...]


def clinic_seeds(name: str, seed: int = 0) -> list[int]:
    """Generator seeds of the family's clinics, without generating them."""
    spec = _spec(name)
    if spec.clinics == 1:
        return [seed]
    return [1000 * (seed + 1) + k for k in range(spec.clinics)]


def clinic_names(name: str, seed: int = 0) -> list[str]:
    """Problem names of the family's clinics, without generating them."""
    spec = _spec(name)
    seeds = clinic_seeds(name, seed)
    if spec.clinics == 1:
        return [f"{spec.name}: {spec.description} (seed {seed})"]
    return [
        f"{spec.name} clinic {k + 1:02d} of {spec.clinics}: {spec.description} "
        f"(family seed {seed}, clinic seed {clinic_seed})"
        for k, clinic_seed in enumerate(seeds)
    ]


def family(name: str, seed: int = 0) -> Family:
    """Generate the problems of family ``name`` (``S``, ``M``, ``L``, ``M-over``, ``XL``).

    Parameters
    ----------
    name : str
        Family name, one of :data:`FAMILIES`.
    seed : int
        Family seed; the same seed gives the same problems.

    Returns
    -------
    Family
        One problem, or 20 for XL.
    """
    spec = _spec(name)
    problems = []
    for clinic_seed, label in zip(clinic_seeds(name, seed), clinic_names(name, seed), strict=True):
        problem = generate_clinic(
            seed=clinic_seed,
            providers=spec.providers,
            exam_rooms=spec.exam_rooms,
            procedure_rooms=spec.procedure_rooms,
            days=spec.days,
            load=spec.load,
            start=spec.start,
            name=label,
        )
        if not spec.front_desk:
            problem = problem.replace(front_desk=None)
        if spec.weights is not None:
            problem = problem.replace(weights=spec.weights)
        if spec.demand is not None:
            problem = overbook(problem, spec.demand, seed=clinic_seed)
        problems.append(problem)
    return Family(spec.name, spec.description, seed, tuple(problems))


def _spec(name: str) -> FamilySpec:
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise ValueError(f"unknown instance family {name!r}; known: {known}") from None


def overbook(problem: Problem, demand: float, seed: int = 0) -> Problem:
    """Add cloned requests until requested minutes reach ``demand`` × session minutes.

    Demand and capacity are measured as :func:`psr_sched.demo.demo_stats` does: base
    durations of the requests over the session minutes (minus time off) of the providers
    with a skill some request needs.  Only requests that are placeable on their own, not
    linked, not pinned are cloned; each clone keeps its original's visit type, window,
    priority, payer and preferences, and gets a new id (``X0001`` …) and a new patient
    (``XP0001`` …).  The draw is ``numpy.random.default_rng((seed, 110))``: the same
    arguments give the same problem.

    Parameters
    ----------
    problem : Problem
        A generated problem.
    demand : float
        Target of requested / session minutes, e.g. 1.10.
    seed : int
        Seed of the draw.

    Returns
    -------
    Problem
        ``problem`` with the clones appended (itself when demand is already reached).
    """
    stats = demo_stats(problem)
    target = demand * stats["session_minutes"]
    requested = stats["requested_minutes"]
    types = problem.visit_type_by_code
    linked = {link.request_id for r in problem.requests for link in r.links}
    pinned = {pin.request_id for pin in problem.pinned}
    pool = [
        r
        for r in problem.requests
        if not r.links
        and r.id not in linked
        and r.id not in pinned
        and r.id not in stats["unplaceable"]
    ]
    if requested >= target or not pool:
        return problem
    rng = np.random.default_rng((seed, 110))
    clones: list[AppointmentRequest] = []
    while requested < target:
        for index in rng.permutation(len(pool)):
            if requested >= target:
                break
            original = pool[int(index)]
            number = len(clones) + 1
            clones.append(
                AppointmentRequest.model_validate(
                    {
                        **original.model_dump(),
                        "id": f"X{number:04d}",
                        "patient_id": f"XP{number:04d}",
                    }
                )
            )
            requested += types[original.visit_type].duration_minutes
    return problem.replace(requests=(*problem.requests, *clones))


# -- sizes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Size:
    """Counts of one problem, as in the table of ``python -m benchmarks.instances``."""

    name: str
    dates: int
    providers: int  # on the roster, financial counselor included
    seeing: int  # providers with at least one candidate option
    rooms: int
    requests: int
    pinned: int
    links: int
    unplaceable: int
    options: int
    load: float  # requested / session minutes


def size_of(problem: Problem) -> Size:
    """Counts of ``problem``, its candidate options and its load (demand / capacity)."""
    cand = build_candidates(problem)
    stats = demo_stats(problem)
    return Size(
        name=problem.name,
        dates=len(problem.horizon.dates),
        providers=len(problem.providers),
        seeing=len({option.provider for option in cand.options}),
        rooms=len(problem.rooms),
        requests=len(problem.requests),
        pinned=len(problem.pinned),
        links=stats["same_day_links"] + stats["follow_up_links"],
        unplaceable=len(stats["unplaceable"]),
        options=len(cand.options),
        load=stats["load"],
    )


_HEADER = (
    "family",
    "instance",
    "dates",
    "providers",
    "seeing patients",
    "rooms",
    "requests",
    "pinned",
    "links",
    "unplaceable",
    "options",
    "load",
)


def size_rows(names: Sequence[str], seed: int = 0) -> list[list[str]]:
    """Table rows, one per problem of each family (XL also gets a total row)."""
    rows: list[list[str]] = []
    for name in names:
        generated = family(name, seed)
        sizes = [size_of(problem) for problem in generated.problems]
        for k, size in enumerate(sizes):
            label = f"seed {seed}" if len(sizes) == 1 else f"clinic {k + 1:02d}"
            rows.append(_row(name, label, size))
        if len(sizes) > 1:
            total = Size(
                name="total",
                dates=max(s.dates for s in sizes),
                providers=sum(s.providers for s in sizes),
                seeing=sum(s.seeing for s in sizes),
                rooms=sum(s.rooms for s in sizes),
                requests=sum(s.requests for s in sizes),
                pinned=sum(s.pinned for s in sizes),
                links=sum(s.links for s in sizes),
                unplaceable=sum(s.unplaceable for s in sizes),
                options=sum(s.options for s in sizes),
                load=float(np.mean([s.load for s in sizes])),
            )
            rows.append(_row(name, f"total of {len(sizes)} (mean load)", total))
    return rows


def _row(name: str, label: str, size: Size) -> list[str]:
    return [
        name,
        label,
        str(size.dates),
        str(size.providers),
        str(size.seeing),
        str(size.rooms),
        f"{size.requests:,}",
        str(size.pinned),
        str(size.links),
        str(size.unplaceable),
        f"{size.options:,}",
        f"{size.load:.3f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instances",
        description="Sizes of the benchmark instance families.",
    )
    parser.add_argument(
        "--family",
        default=",".join(FAMILIES),
        help=f"comma-separated families (default: all of {', '.join(FAMILIES)})",
    )
    parser.add_argument("--seed", type=int, default=0, help="family seed")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.family.split(",") if n.strip()]
    for name in names:
        if name not in FAMILIES:
            parser.error(f"unknown family {name!r}; known: {', '.join(FAMILIES)}")
    t0 = time.perf_counter()
    rows = size_rows(names, args.seed)
    print("| " + " | ".join(_HEADER) + " |")
    print("|" + "|".join("---" for _ in _HEADER) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nproviders: roster including the financial counselor; seeing patients: providers")
    print("with at least one candidate option. load: requested / session minutes (base")
    print(f"durations). Generated in {time.perf_counter() - t0:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
