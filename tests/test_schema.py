"""`envelope schema` as an editor uses it: every shipped scenario, every docs/format.md example and every
`envelope init` template validates (jsonschema, on the YAML as PyYAML reads it); the correlation forms."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

import calculator
from calculator.cli.main import main
from tests.helpers import ROOT
from tests.test_docs_format import EXAMPLES

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
TEMPLATES = sorted((ROOT / "calculator" / "templates").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    from calculator.file.validate import json_schema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, text: str) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(yaml.safe_load(text))]


def test_the_shipped_files_are_all_found():
    assert len(SHIPPED) >= 16 and any(p.name == "tour.yaml" for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_validates(validator, path: Path):
    assert _errors(validator, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("line", "text"), EXAMPLES, ids=[f"line {line}" for line, _ in EXAMPLES])
def test_every_format_example_validates(validator, line: int, text: str):
    assert _errors(validator, text) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_validates(validator, path: Path):
    assert _errors(validator, path.read_text(encoding="utf-8")) == []


def test_the_schema_still_rejects_what_envelope_rejects(validator):
    assert _errors(validator, "name: x\ninputs: {a: 1 user}\nbudget: {a: <= 2 user}\n")  # a typo'd section
    assert _errors(validator, "name: x\ncorrelations:\n  - {between: [a], value: 0.5}\n")  # one name is no pair
    assert _errors(validator, "name: x\ncorrelations: {a: 0.5}\n")  # a key is two names joined by |


def test_the_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"extends", "catalog", "units", "correlations"} <= set(schema["properties"])


CORRELATED = """\
name: correlated
inputs:
  a: 1 to 3 user
  b: 1 to 3 user
derived:
  total: a + b
settings: {samples: 4000}
"""


@pytest.mark.parametrize(
    "form",
    ["correlations:\n  - {between: [a, b], value: 0.8}\n", "correlations:\n  'a|b': 0.8\n", "correlations:\n  [a, b]: 0.8\n"],
)
def test_every_correlation_form_means_the_same(form: str):
    model = calculator.loads(CORRELATED + form, "<test>")
    assert model.scenario.correlations == {("a", "b"): 0.8}


def test_a_contradiction_is_located_at_the_pair(tmp_path):
    text = CORRELATED.replace("derived:", "  c: 1 to 3 user\nderived:") + textwrap.dedent("""\
        correlations:
          - {between: [a, b], value: 0.9}
          - {between: [b, c], value: 0.9}
          - {between: [a, c], value: -0.9}
        """)
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.loads(text, "c.yaml")
    assert raised.value.location is not None and raised.value.location.line == 12  # the third pair
    assert "contradict" in raised.value.message


def test_a_malformed_list_correlation_is_located():
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.loads(CORRELATED + "correlations:\n  - {between: [a, b, a], value: 0.5}\n", "m.yaml")
    assert raised.value.render().startswith("m.yaml:9:")
    assert "'between' names two inputs: [a, b]" in raised.value.message


def test_the_schema_knows_the_option_forms(validator):
    good = """\
name: x
inputs:
  tp: { one_of: [1 gpu, 2 gpu, 4 gpu], value: 2 gpu }
  replicas: { range: [1 replica, 8 replica], step: 1 replica }
  batch: { powers_of_two: [8 sequence, 128 sequence] }
"""
    assert _errors(validator, good) == []
    assert _errors(validator, "name: x\ninputs:\n  tp: { one_of: [] }\n")  # no options
    assert _errors(validator, "name: x\ninputs:\n  tp: { range: [1 gpu] }\n")  # FROM without TO
    assert _errors(validator, "name: x\ninputs:\n  tp: { powers_of_two: [1 gpu, 2 gpu, 4 gpu] }\n")
    assert _errors(validator, "name: x\ninputs:\n  tp: { note: no value }\n")  # neither a value nor options
    assert _errors(validator, "name: x\ninputs:\n  tp: { one_of: 1 gpu }\n")  # a list, not one text
