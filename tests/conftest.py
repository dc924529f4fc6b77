from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets a cache (and cache secret) of its own, never the machine's: no test sees another's entries."""
    home = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    return home / "cache" / "envelope"


@pytest.fixture
def scenario(tmp_path: Path):
    """Write a scenario (dedented YAML) to a file and return a function that evaluates it."""

    def make(text: str, name: str = "s.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return make


@pytest.fixture
def user_cache(private_cache: Path) -> Path:
    """envelope's cache folder, empty and this test's own."""
    return private_cache
