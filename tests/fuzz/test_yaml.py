"""Target 3: YAML shapes (random nested data under the format's keys) and mutated shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

import calculator

from .harness import only_envelope_errors
from .strategies import SCENARIOS, mutated_shipped, yaml_shapes
from .test_formulas import present


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a shape's `extends:` resolves: an empty folder."""
    return tmp_path_factory.mktemp("empty")


@given(text=yaml_shapes)
def test_yaml_shape(empty: Path, text: str) -> None:
    only_envelope_errors(
        "yaml:shape", text, lambda: present(calculator.loads(text, "shape.yaml", base_dir=empty).evaluate().result)
    )


@given(mutated_shipped())
def test_mutated_shipped_scenario(case: tuple[str, str]) -> None:
    name, text = case
    only_envelope_errors(
        "yaml:mutated", text, lambda: present(calculator.loads(text, name, base_dir=SCENARIOS).evaluate().result)
    )
