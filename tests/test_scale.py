"""The scale runner: batch measurement, the memory sampler and the report."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from psr_sched import SolveOptions
from psr_sched.demo import generate_clinic

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
scale = importlib.import_module("benchmarks.scale")


def test_a_small_batch_is_measured_and_reported(tmp_path: Path) -> None:
    problems = [
        generate_clinic(seed=s, providers=4, exam_rooms=3, procedure_rooms=1, days=1, name=f"c{s}")
        for s in (0, 1)
    ]
    options = SolveOptions(time_limit_s=2, workers=1, relative_gap=0.9)
    run = scale.run_batch("tiny", problems, options, jobs=2)
    assert run.clinics == 2 and run.failed == 0
    assert run.requests == sum(len(p.requests) for p in problems)
    assert 0 < run.scheduled <= run.requests
    assert len(run.objectives) == 2 and len(run.gaps) == 2
    assert run.reached == sum(g <= 0.9 for g in run.gaps)
    # The sampler saw at least this interpreter (tens of MiB), and nothing absurd.
    assert 20 < run.peak_mib < 8 * 1024
    lines = scale.table([run], 0.9)
    assert lines[2].startswith("| tiny | 2 | ")
    scale.plot([run, run], tmp_path / "curve.png", 0.9)
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_memory_sampler_counts_child_processes() -> None:
    import subprocess

    with scale.MemorySampler(period_s=0.05) as alone:
        pass
    code = "import time; b = bytearray(200 * 2**20); time.sleep(1.0)"
    with scale.MemorySampler(period_s=0.05) as with_child:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert with_child.peak_mib >= alone.peak_mib + 150
