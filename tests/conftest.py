from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import calculator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scenario(tmp_path: Path):
    """Write a scenario (dedented YAML) to a file and return a function that evaluates it."""

    def make(text: str, name: str = "s.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return make


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """envelope's cache folder, empty and this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "envelope"


def cache_entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle"))


def evaluate(text: str, **overrides: str) -> calculator.Result:
    model = calculator.loads(textwrap.dedent(text), "<test>")
    parsed = {name: model.parse_override(name, value) for name, value in overrides.items()}
    return model.evaluate(parsed).result


def error_of(text: str) -> calculator.EnvelopeError:
    with pytest.raises(calculator.EnvelopeError) as caught:
        evaluate(text)
    return caught.value
