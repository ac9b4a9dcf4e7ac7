"""The examples in the docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "crm_roi.inputs.sniff", "crm_roi.inputs.mapping", "crm_roi.inputs.parse",
    "crm_roi.inputs.schema", "crm_roi.engine.money", "crm_roi.engine.sums",
    "crm_roi.engine.compare", "crm_roi.inputs.ids", "crm_roi.render.safe", "crm_roi.render.table",
    "crm_roi.render.locale", "crm_roi.cli.values", "crm_roi.render.funnel", "crm_roi.engine.invest",
    "crm_roi.render.invest",
    "crm_roi.engine.calendar", "crm_roi.engine.buying", "crm_roi.render.customers",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
