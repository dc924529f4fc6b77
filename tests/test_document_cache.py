"""A text parsed once is not parsed again: its Document (data and every key's place) is kept in the
cache under a hash of the text, where it is shown from and the parser's code (calculator/load.py)."""

from __future__ import annotations

import pytest

import calculator
from calculator.common.errors import Location
from calculator.file import yaml_nodes as yaml_text
from calculator.file.load import parse_yaml
from tests.helpers import cache_entries

TEXT = """\
name: cached   # a comment
inputs:
  dau: {value: 100M user, note: "[Book]"}
  sessions: 3 session/user/day
"""


@pytest.fixture
def cache(user_cache):
    return user_cache / "documents"


def refuse(*args):
    raise AssertionError("parsed again")


def test_a_parsed_text_is_kept_and_read_back_with_its_places(cache):
    first = parse_yaml(TEXT, "a.yaml")
    assert len(cache_entries(cache)) == 1
    second = parse_yaml(TEXT, "a.yaml")
    assert second is not first and second == first
    assert second.data["inputs"]["dau"] == {"value": "100M user", "note": "[Book]"}
    assert second.where("inputs", "sessions") == Location("a.yaml", 4, 3, 4, 11)  # the key 'sessions'
    assert second.text_at("inputs", "dau", "note") == Location("a.yaml", 3, 34, 3, 40)  # inside the quotes (33 and 40)


def test_a_cache_hit_does_not_parse(cache, monkeypatch):
    parse_yaml(TEXT, "a.yaml")
    monkeypatch.setattr(yaml_text, "parse", refuse)
    assert parse_yaml(TEXT, "a.yaml").data["name"] == "cached"
    with pytest.raises(AssertionError, match="parsed again"):  # another text
        parse_yaml(TEXT.replace("3 session", "4 session"), "a.yaml")
    with pytest.raises(AssertionError, match="parsed again"):  # the same text in another file: other places
        parse_yaml(TEXT, "b.yaml")
    with pytest.raises(AssertionError, match="parsed again"):  # the same text further down a Markdown note
        parse_yaml(TEXT, "a.yaml", first_line=10)


def test_a_corrupt_entry_is_parsed_again(cache):
    parse_yaml(TEXT, "a.yaml")
    [entry] = cache_entries(cache)
    entry.write_bytes(b"not a pickle")
    assert parse_yaml(TEXT, "a.yaml").where("inputs", "dau") == Location("a.yaml", 3, 3, 3, 6)


def test_a_text_that_does_not_parse_is_not_kept_and_fails_every_time(cache):
    bad = "name: x\ninputs:\n  dau: [1, 2\n"
    for _ in range(2):
        with pytest.raises(calculator.EnvelopeError) as caught:
            parse_yaml(bad, "bad.yaml")
        assert str(caught.value.location).startswith("bad.yaml:4:")
        assert "YAML syntax" in caught.value.message
    assert cache_entries(cache) == []


def test_a_scenario_that_extends_another_is_the_same_from_the_cache(cache, tmp_path):
    (tmp_path / "base.yaml").write_text("name: base\nunits: [widget]\ninputs:\n  a: 2 widget\n  b: 3 widget\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: child\ninputs:\n  b: 5 widget\nderived:\n  c: a * b\n")
    first = calculator.load(tmp_path / "child.yaml").evaluate().result.values["c"].value
    second = calculator.load(tmp_path / "child.yaml").evaluate().result.values["c"].value
    assert first == second == 10  # 2 widget * 5 widget: the child's b over the base's, twice
    assert len(cache_entries(cache)) == 2


@pytest.fixture
def memory(monkeypatch):
    """The in-process entries, empty and this test's own."""
    from calculator.common import cache as user_cache

    monkeypatch.setattr(user_cache, "_in_process", type(user_cache._in_process)())
    monkeypatch.setattr(user_cache, "_in_process_seen", type(user_cache._in_process_seen)())
    return user_cache


def test_in_process_keeps_a_text_loaded_twice_in_memory_and_writes_nothing_to_disk(cache, memory, monkeypatch):
    parsed = []
    real = yaml_text.parse
    monkeypatch.setattr(yaml_text, "parse", lambda *args: parsed.append(args[0]) or real(*args))
    with memory.in_process("documents"):
        first = parse_yaml(TEXT, "a.yaml")  # a keystroke's text, most likely never loaded again: not kept
        second = parse_yaml(TEXT, "a.yaml")  # loaded again (an extends: base): parsed, and kept from now on
        third = parse_yaml(TEXT, "a.yaml")
    assert parsed == [TEXT, TEXT]  # the third came from memory
    assert first == second == third and third is not second
    assert cache_entries(cache) == []  # the language server's keystrokes never reach the disk
    parse_yaml(TEXT, "a.yaml")  # outside the block, memory is not read: parsed, and written to disk
    assert parsed == [TEXT, TEXT, TEXT] and len(cache_entries(cache)) == 1


def test_in_process_reads_the_disk_and_leaves_other_kinds_to_it(cache, memory, monkeypatch):
    parse_yaml(TEXT, "a.yaml")  # on disk, from an earlier run
    with memory.in_process("validated"):
        calculator.loads(TEXT.replace("cached", "other"), "b.yaml")  # documents still written to disk
    assert len(cache_entries(cache)) == 2
    monkeypatch.setattr(yaml_text, "parse", refuse)
    with memory.in_process("documents"):
        assert parse_yaml(TEXT, "a.yaml").data["name"] == "cached"  # a disk entry is read inside the block too


def test_in_process_keeps_only_the_latest_entries(cache, memory, monkeypatch):
    texts = [TEXT.replace("3 session", f"{n} session") for n in range(memory._IN_PROCESS_ENTRIES + 1)]
    with memory.in_process("documents"):
        for text in texts:
            parse_yaml(text, "a.yaml")
            parse_yaml(text, "a.yaml")  # the second time, kept
        monkeypatch.setattr(yaml_text, "parse", refuse)
        parse_yaml(texts[-1], "a.yaml")
        with pytest.raises(AssertionError, match="parsed again"):  # the oldest one was let go
            parse_yaml(texts[0], "a.yaml")
