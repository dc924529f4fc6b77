"""The formula grammar: what it reads, and what it deliberately refuses."""

from __future__ import annotations

import re

import pytest

from calculator.common.errors import EnvelopeError, Location
from calculator.formula.expr import Binary, Call, Field, Name, Number, Quantity, names_in, to_text
from calculator.formula.parse import Interval, parse_formula, parse_input

HERE = Location("f.yaml", 3, 10)


def parse(text: str, values: tuple[str, ...] = ("dau", "x", "y")):
    return parse_formula(text, HERE, set(values).__contains__)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e9", 1e9),
        ("1_000_000", 1e6),
        ("40%", 0.4),
        ("10k", 1e4),
        ("10K", 1e4),
        ("100M", 1e8),
        ("175B", 1.75e11),
        ("2T", 2e12),
        ("2.5", 2.5),
        (".5", 0.5),
    ],
)
def test_numbers_and_attached_multipliers(text, value):
    node = parse(text).expr
    assert isinstance(node, Number)
    assert node.value == value


def test_attached_word_is_a_unit_and_detached_B_is_a_byte():
    eighty = parse("80GB").expr
    assert isinstance(eighty, Quantity) and eighty.value == 80 and eighty.unit[0].name == "GB"
    params = parse("175B param").expr
    assert isinstance(params, Quantity) and params.value == 1.75e11 and params.unit[0].name == "param"
    bytes_ = parse("175 B").expr
    assert isinstance(bytes_, Quantity) and bytes_.value == 175 and bytes_.unit[0].name == "B"


def test_quantity_literal_takes_the_whole_unit():
    node = parse("4 byte/image").expr
    assert isinstance(node, Quantity)
    assert [(f.name, f.power) for f in node.unit] == [("byte", 1), ("image", -1)]


def test_unit_after_number_stops_at_a_scenario_name():
    node = parse("2 user / dau").expr
    assert isinstance(node, Binary) and node.op == "/"
    assert isinstance(node.left, Quantity) and isinstance(node.right, Name)


def test_precedence_and_right_associative_power():
    assert to_text(parse("x + y * 2").expr) == "x + (y * 2)"
    assert to_text(parse("2 ^ 3 ** 2").expr) == "2 ** (3 ** 2)"
    assert to_text(parse("-x ** 2").expr) == "-(x ** 2)"


def test_display_unit_and_functions_and_fields():
    formula = parse("ceil(x / gpu.memory) -> gpu")
    assert isinstance(formula.expr, Call) and formula.expr.function == "ceil"
    assert isinstance(formula.expr.args[0], Binary) and isinstance(formula.expr.args[0].right, Field)
    assert formula.display is not None and formula.display[0].name == "gpu"


def test_interval_input():
    spec, _ = parse_input("2B to 8B image", HERE)
    assert isinstance(spec, Interval)
    assert isinstance(spec.low, Number) and spec.low.value == 2e9
    assert isinstance(spec.high, Quantity) and spec.high.value == 8e9


# Deliberately refused: each of these must stay an error (cf. simpleeval's missed-features tests).
@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("__import__(os)", "'__import__' is not a function envelope knows", 10),
        ("__import__('os')", "strings are not part of a formula", 21),
        ("x.__class__.__bases__", "only catalog fields like 'gpu.memory' may follow a '.'", 21),
        ("os.system()", "only catalog fields", 19),
        ("x[0]", "indexing is not part of a formula", 11),
        ("lambda: 1", "lambdas, slices and mappings are not part of a formula", 16),
        ("max(1, key=2)", "keyword arguments and assignments are not part of a formula", 20),
        ('"abc"', "strings are not part of a formula", 10),
        ("x if y else 2", "unexpected 'if' after a complete formula", 12),
        ("x; y", "unexpected character ';'", 11),
        ("x +", "expected a number, a name or '(' here, found the end of the formula", 13),
        ("100 M user", "'M' alone is not a unit here", 14),
        ("x * 1e999", "the number 1e999 is too large for a float", 14),  # not an unstable queue's infinity
        ("(" * 60 + "1" + ")" * 60, "formula nests deeper than 40 levels", 50),
        ("-" * 60 + "1", "formula nests deeper than 40 levels", 49),
        ("x" * 3000, "formula is 3,000 characters long", 10),
        # 101 factors: 100 products, each the left operand of the next, and the first one's operands 101 deep;
        # the walk meets the right-hand 'a' (offset 2) first.
        ("a*" * 100 + "a", "formula is more than 100 operations deep", 12),
    ],
)
def test_refused(text, message, column):
    with pytest.raises(EnvelopeError) as caught:
        parse(text)
    assert message in caught.value.message
    assert str(caught.value.location) == f"f.yaml:3:{column}"


def test_a_formula_100_operations_deep_is_parsed():
    formula = parse("a*" * 99 + "a")  # 99 products: 100 levels with the names
    depth, node = 1, formula.expr
    while isinstance(node, Binary):
        depth, node = depth + 1, node.left
    assert depth == 100


def test_detached_multiplier_hint():
    with pytest.raises(EnvelopeError) as caught:
        parse("100 M user")
    assert caught.value.hint == "did you mean 100M user?"


def test_a_formula_keeps_its_names_and_fields_left_to_right():
    formula = parse_formula("max(a, b.c) * -d ** e + sqrt(f) -> byte", Location("x"), lambda name: True)
    assert [n.name if isinstance(n, Name) else f"{n.base}.{n.field}" for n in formula.names] == ["a", "b.c", "d", "e", "f"]


def test_names_in_lists_names_and_fields_left_to_right():
    text = "max(a, b.c) * -d + min(g, h ** 2) / (i - ceil(j / k))"
    formula = parse_formula(text, Location("x"), lambda name: True)
    found = [n.name if isinstance(n, Name) else f"{n.base}.{n.field}" for n in names_in(formula.expr)]
    functions = {"max", "min", "ceil"}
    assert found == [word for word in re.findall(r"[a-z]+(?:\.[a-z]+)?", text) if word not in functions]


def test_reloading_a_ten_thousand_formula_file_tokenizes_none_of_it_again():
    """The token cache is an LRU: smaller than a file's formulas, a reload misses every one."""
    from calculator.formula import parse as parse_module

    texts = [f"(d{i} + 1 request/s) * {i}" for i in range(10_000)]
    for text in texts:
        parse_module.tokenize(text, HERE)
    misses = parse_module._scan.cache_info().misses
    again = [parse_module.tokenize(text, HERE) for text in texts]
    assert parse_module._scan.cache_info().misses == misses
    assert [token.text for token in again[7]] == ["(", "d7", "+", "1", "request", "/", "s", ")", "*", "7", ""]
