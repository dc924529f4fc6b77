from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# benchmarks/floors/ holds scripts that the benchmarks run in a fresh interpreter or a terminal: they are
# not tests, and importing one (as --doctest-modules would) runs it.
collect_ignore = ["floors"]


@pytest.fixture(autouse=True, scope="session")
def private_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache and a state folder of the run's own (warmed by each benchmark's first round), never the
    user's: a benchmark of TUI edits would otherwise leave recovery files in the user's state folder."""
    home = tmp_path_factory.mktemp("envelope-home")
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "XDG_STATE_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    yield home
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
