"""Target 6: Markdown notes with ```envelope blocks through `envelope render` (few examples: a process each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .harness import PROFILE, cli_ok
from .strategies import notes_texts

EXAMPLES = 3 if PROFILE == "ci" else settings().max_examples


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notes")


@settings(max_examples=EXAMPLES)
@given(text=notes_texts(), derivation=st.booleans())
def test_render(folder: Path, text: str, derivation: bool) -> None:
    (folder / "notes.md").write_text(text, encoding="utf-8")
    args = ["render", "notes.md", "-o", "out.md", *(["--derivation"] if derivation else [])]
    cli_ok("notes:render", {"args": args, "text": text}, args, folder)
