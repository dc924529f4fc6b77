"""A document that validated once is not validated again: its checked form is
kept in the cache under a hash of its content (calculator/validate.py)."""

from __future__ import annotations

import pytest

import calculator
from calculator.file import validate as validate_stage
from calculator.file.load import load_text
from calculator.file.shapes import InputEntry, ScenarioFile, Settings
from tests.helpers import cache_entries

TEXT = """\
name: cached
inputs:
  dau: {value: 100M user, note: "[Book]"}
  sessions: 3 session/user/day
derived:
  daily_sessions: dau * sessions -> session/day
settings: {samples: 1000}
"""


@pytest.fixture
def cache(user_cache):
    return user_cache / "validated"


def test_a_valid_document_is_kept_and_read_back(cache):
    first = validate_stage.validate(load_text(TEXT, "<a>"))
    assert len(cache_entries(cache)) == 1
    second = validate_stage.validate(load_text(TEXT, "<b>"))
    assert second == first
    assert second.inputs["dau"] == InputEntry(value="100M user", note="[Book]")
    assert second.settings == Settings(samples=1000)  # defaults filled in by pydantic, kept by the cache
    assert isinstance(second, ScenarioFile)


def test_a_cache_hit_does_not_call_pydantic(cache, monkeypatch):
    validate_stage.validate(load_text(TEXT, "<a>"))

    def refuse(*args):
        raise AssertionError("validated again")

    monkeypatch.setattr(validate_stage, "_validated", refuse)
    assert validate_stage.validate(load_text(TEXT, "<a>")).name == "cached"
    with pytest.raises(AssertionError, match="validated again"):
        validate_stage.validate(load_text(TEXT.replace("3 session", "4 session"), "<a>"))


def test_a_corrupt_entry_is_rebuilt(cache):
    validate_stage.validate(load_text(TEXT, "<a>"))
    [entry] = cache_entries(cache)
    entry.write_bytes(b"not a pickle")
    assert validate_stage.validate(load_text(TEXT, "<a>")).inputs["sessions"] == "3 session/user/day"
    assert entry.read_bytes() != b"not a pickle"


def test_an_invalid_document_is_not_kept_and_fails_every_time(cache):
    bad = TEXT.replace("derived:", "derivd:")
    for _ in range(2):
        with pytest.raises(calculator.EnvelopeError, match="unknown key 'derivd' in the top level") as error:
            validate_stage.validate(load_text(bad, "<bad>"))
        assert error.value.hint == "did you mean 'derived'?"
    assert cache_entries(cache) == []


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert validate_stage.validate(load_text(TEXT, "<a>")).name == "cached"


def test_the_cache_is_pruned(cache, monkeypatch):
    monkeypatch.setattr(validate_stage, "CACHE_ENTRIES", 3)
    for n in range(5):
        validate_stage.validate(load_text(TEXT.replace("3 session", f"{n + 1} session"), "<a>"))
    assert len(cache_entries(cache)) == 3
