"""Edits in place (calculator.rewrite_inputs): only the edited values' spans change; quoting only where YAML needs it."""

from __future__ import annotations

import pytest

import calculator
from calculator.file.edit import plain_reads_back
from calculator.file.yaml_nodes import parse

FLOW = "name: f\ninputs:\n  latency: { value: 2 ms, note: x }   # flow\n  n: 3\n"


def test_a_scalars_span_is_its_text_quotes_included():
    text = "name: s\ninputs:\n  a: 5 user   # c\n  b: 'six user'\n  c: { value: \"7 user\", note: n }\n"
    spans = parse(text, "<t>").spans
    assert text[slice(*spans[("inputs", "a")])] == "5 user"
    assert text[slice(*spans[("inputs", "b")])] == "'six user'"
    assert text[slice(*spans[("inputs", "c", "value")])] == '"7 user"'
    assert text[slice(*spans[("inputs", "c")])] == '{ value: "7 user", note: n }'


def test_offsets_count_characters_not_bytes():
    text = "name: é\ninputs:\n  a: 5 user  # ünïcode\n  b: 6 user\n"
    new, _ = calculator.rewrite_inputs(text, {"b": "60 user"})
    assert new == "name: é\ninputs:\n  a: 5 user  # ünïcode\n  b: 60 user\n"


def test_a_value_in_a_flow_mapping_changes_alone():
    new, changes = calculator.rewrite_inputs(FLOW, {"latency": "3 ms", "n": "4"})
    assert new == "name: f\ninputs:\n  latency: { value: 3 ms, note: x }   # flow\n  n: 4\n"
    assert [(c.name, c.old, c.new) for c in changes] == [("latency", "2 ms", "3 ms"), ("n", "3", "4")]


@pytest.mark.parametrize(
    ("new", "written"),
    [
        ("5 user # five", '"5 user # five"'),  # ' #' would start a comment
        ("a: b", '"a: b"'),  # ': ' would start a mapping
        ("[5] user", '"[5] user"'),  # a leading '[' would start a flow sequence
        ("null", '"null"'),  # plain, YAML reads it as no value
        ("2 ms, 3 ms", '"2 ms, 3 ms"'),  # in a flow mapping a comma ends the value
    ],
)
def test_a_value_is_quoted_when_yaml_would_read_it_otherwise(new: str, written: str):
    text, _ = calculator.rewrite_inputs(FLOW, {"latency": new})
    assert text == FLOW.replace("value: 2 ms,", f"value: {written},")
    assert parse(text, "<t>").data["inputs"]["latency"]["value"] == new


def test_old_quoting_is_kept():
    old = "name: q\ninputs:\n  a: '5 user'   # single\n  b: \"6 user\"\n  c: 'it''s'\n"
    new, _ = calculator.rewrite_inputs(old, {"a": "it's 7", "b": 'say "8"'})
    assert new == "name: q\ninputs:\n  a: 'it''s 7'   # single\n  b: \"say \\\"8\\\"\"\n  c: 'it''s'\n"
    data = parse(new, "<t>").data["inputs"]
    assert (data["a"], data["b"]) == ("it's 7", 'say "8"')


def test_plain_text_that_reads_back_stays_plain():
    assert plain_reads_back("200M to 800M param") and plain_reads_back("40%")
    assert not plain_reads_back("5 user # x") and not plain_reads_back("1, 2", flow=True)


def test_an_input_added_to_a_flow_inputs_is_refused():
    with pytest.raises(calculator.EnvelopeError, match="not a block mapping"):
        calculator.rewrite_inputs("name: f\ninputs: { a: 1 }\n", {"b": "2"})


def test_an_input_added_after_a_nested_last_entry_goes_before_the_next_sections_comment():
    old = "name: a\ninputs:\n  a:\n    value: 1\n    note: x\n\n# the formulas\nderived:\n  b: a * 2\n"
    new, changes = calculator.rewrite_inputs(old, {"z": "9"})
    assert new == "name: a\ninputs:\n  a:\n    value: 1\n    note: x\n  z: 9\n\n# the formulas\nderived:\n  b: a * 2\n"
    assert changes[0].old is None


def test_text_that_is_not_yaml_is_an_error():
    with pytest.raises(calculator.EnvelopeError, match="YAML syntax"):
        calculator.rewrite_inputs("name: [unclosed\n", {"a": "1"})
