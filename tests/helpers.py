"""Helpers shared by the tests: the checkout's root, evaluating a scenario text, its error, cache entries."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import calculator

ROOT = Path(__file__).resolve().parents[1]


def cache_entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def evaluate(text: str, **overrides: str) -> calculator.Result:
    model = calculator.loads(textwrap.dedent(text), "<test>")
    parsed = {name: model.parse_override(name, value) for name, value in overrides.items()}
    return model.evaluate(parsed).result


def error_of(text: str) -> calculator.EnvelopeError:
    with pytest.raises(calculator.EnvelopeError) as caught:
        evaluate(text)
    return caught.value
