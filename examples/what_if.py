"""What-if: the demo week as it is, with one provider's Friday off, and with a Saturday clinic.

Each variant is rebuilt through validation (``Problem.replace``), solved with the same seed,
and compared side by side as one frame.

Run: python examples/what_if.py
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

import psr_sched as ps
from psr_sched.demo import demo_problem

TIME_LIMIT = float(os.environ.get("PSR_EXAMPLE_TIME_LIMIT", "20"))


def variants(base: ps.Problem) -> dict[str, ps.Problem]:
    """Named variants of ``base``."""
    friday = base.horizon.dates[-1]
    first = base.providers[0]
    friday_off = ps.Provider.model_validate(
        {
            **first.model_dump(),
            "unavailable": [
                *first.model_dump()["unavailable"],
                {"date": friday, "reason": "leave"},
            ],
        }
    )
    saturday = friday + dt.timedelta(days=1)
    weekend_horizon = base.horizon.model_dump() | {"end": saturday, "closed_weekdays": [6]}
    saturday_doc = ps.Provider.model_validate(
        {
            **first.model_dump(),
            "id": "LOCUM",
            "name": "Saturday locum",
            "extra_sessions": [{"date": saturday, "start": "08:00", "end": "12:00"}],
        }
    )
    return {
        "baseline": base,
        f"{first.id} off on Friday": base.replace(providers=(friday_off, *base.providers[1:])),
        "Saturday morning locum": base.replace(
            horizon=ps.Horizon.model_validate(weekend_horizon),
            providers=(*base.providers, saturday_doc),
        ),
    }


def main() -> None:
    rows = []
    for name, problem in variants(demo_problem(seed=0)).items():
        result = ps.solve(problem, ps.SolveOptions(time_limit_s=TIME_LIMIT, seed=0))
        assert ps.validate(problem, result).ok
        rows.append(
            {
                "scenario": name,
                "scheduled": len(result.assignments),
                "unscheduled": len(result.unscheduled),
                **result.terms.model_dump(),
                "objective": result.objective,
            }
        )
    frame = pd.DataFrame(rows).set_index("scenario")
    print(frame[["scheduled", "unscheduled", "access_wait", "idle_gap", "objective"]])


if __name__ == "__main__":
    main()
