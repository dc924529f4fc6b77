"""Target 5: the `envelope` command on a few generated files (few examples: each is a new process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .harness import PROFILE, cli_ok
from .strategies import SCENARIOS, mutated_shipped, scenario_texts

EXAMPLES = 4 if PROFILE == "ci" else settings().max_examples
COMMANDS = [["eval"], ["eval", "--format", "json"], ["eval", "--format", "markdown"], ["check"], ["check", "--format", "github"]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    shutil.copy(SCENARIOS / "tour_base.yaml", path)  # what a mutated tour.yaml extends
    return path


@settings(max_examples=EXAMPLES)
@given(text=st.one_of(scenario_texts(), mutated_shipped().map(lambda case: case[1])), command=st.sampled_from(COMMANDS))
def test_cli(folder: Path, text: str, command: list[str]) -> None:
    (folder / "fuzz.yaml").write_text(text, encoding="utf-8")
    args = [command[0], "fuzz.yaml", *command[1:]]
    cli_ok("cli:" + " ".join(command), {"args": args, "text": text}, args, folder)
