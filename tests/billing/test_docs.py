"""The examples in the billing docstrings run and give what they show."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from psr_sched.billing import estimate, ledger


@pytest.mark.parametrize("module", [estimate, ledger], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failed == 0
