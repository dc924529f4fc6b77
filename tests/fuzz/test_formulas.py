"""Target 1: formulas, grammar-shaped and random, as one-line estimates and as a derived value."""

from __future__ import annotations

from hypothesis import given

import calculator
from calculator.common.errors import EnvelopeError, Location
from calculator.formula.expr import names_in
from calculator.formula.parse import parse_formula

from .harness import only_envelope_errors
from .strategies import any_formulas, quote

BASE = 'name: formulas\nhardware: {gpu: H100-SXM}\ninputs:\n  a: "2 request/s"\n  b: "3 s"\n  c: "4"\n'


def present(result: calculator.Result) -> None:
    """Everything the CLI shows of a result: its JSON data, its Markdown, each value's display."""
    result.to_dict()
    result.to_markdown()
    for value in result.values.values():
        value.range_display(result.sig_figs)


@given(any_formulas)
def test_estimate(text: str) -> None:
    only_envelope_errors("formulas:estimate", text, lambda: str(calculator.estimate(text)))


@given(any_formulas)
def test_derived_value(formula: str) -> None:
    text = f"{BASE}derived:\n  x: {quote(formula)}\nbudgets:\n  x: {quote('<= ' + formula)}\n"
    only_envelope_errors("formulas:derived", text, lambda: present(calculator.loads(text, "f.yaml").evaluate().result))


@given(any_formulas)
def test_explain(formula: str) -> None:
    text = f"{BASE}derived:\n  x: {quote(formula)}\n"

    def run() -> None:
        explanation = calculator.explain(calculator.loads(text, "f.yaml"), "x")
        explanation.to_text()
        explanation.to_dict()

    only_envelope_errors("formulas:explain", text, run)


@given(any_formulas)
def test_the_names_the_parser_keeps_are_those_in_the_tree(formula: str) -> None:
    """Formula.names (kept while parsing) against a walk of the finished tree: the same, in the same order."""
    try:
        parsed = parse_formula(formula, Location("f.yaml", 1, 1), lambda name: name in ("a", "b", "c"))
    except EnvelopeError:
        return
    assert parsed.names == tuple(names_in(parsed.expr))
