"""README.md and docs/ say what the code does: every command listed, the scenario format whole."""

from __future__ import annotations

import argparse
import re
import typing
from pathlib import Path

import pytest

from psr_sched.cli import _parser
from psr_sched.scenarios import Change, load_scenario_file

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCENARIOS_DOC = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_readme_command_table_lists_every_command(command: str) -> None:
    assert re.search(rf"^\| `psr-sched {command}\b", README, flags=re.MULTILINE), command


@pytest.mark.parametrize("command", _commands())
def test_readme_table_names_every_option(command: str) -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    row = next(line for line in README.splitlines() if line.startswith(f"| `psr-sched {command}"))
    for action in sub.choices[command]._actions:
        long = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
        if long and long[0] != "--quiet":
            assert long[0] in row, f"{command}: {long[0]} missing from README's table"


def test_scenario_doc_example_loads_and_covers_every_change_kind(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n(.*?)```", SCENARIOS_DOC, flags=re.DOTALL)
    assert block is not None
    path = tmp_path / "whatif.yaml"
    path.write_text(block.group(1))
    spec, base = load_scenario_file(path)
    assert len(spec.scenarios) >= 3
    for scenario in spec.scenarios:  # every change of the example applies to the demo
        scenario.apply(base)
    kinds = {
        typing.get_args(member.model_fields["kind"].annotation)[0]
        for member in typing.get_args(typing.get_args(Change)[0])
    }
    for kind in kinds:
        assert f"| `{kind}` |" in SCENARIOS_DOC, f"docs/scenarios.md lacks the change {kind}"


def test_readme_says_how_to_repeat_a_run() -> None:
    # Two default runs differ (parallel search on the wall clock): say so, and the way out.
    assert "--deterministic" in README
    assert re.search(r"repeat", README), "README should say --deterministic makes runs repeatable"
