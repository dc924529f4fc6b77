"""A hand calculation as LaTeX that KaTeX, MathJax and matplotlib's mathtext all typeset.

Numbers are written as people write them (`2.31\\mathrm{k}`, `1.4 \\times 10^{20}`),
units upright after a thin space (`\\,\\mathrm{GB}/\\mathrm{s}`), products as
`\\times`, quotients as `\\frac`, ceil and floor as their brackets. Only a few
words sit in `\\text{}` (`to` in a range, `of` in a latency total), never a
whole step. tests/test_latex.py parses every line written here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from calculator.common.numbers import format_number
from calculator.engine.model import Model
from calculator.engine.resolve import field_figure_text
from calculator.engine.results import ValueResult
from calculator.formula.expr import Binary, Call, Expr, Field, Name, Number, Quantity, Unary, unit_text

_NUMBER = re.compile(r"^(?P<sign>-?)(?P<digits>\d[\d,_]*(?:\.\d*)?|\.\d+)(?:e(?P<exponent>[+-]?\d+))?(?P<suffix>[kMBT%]?)$")
_UNIT_FACTOR = re.compile(r"^(?P<name>[^\^]+)(?:\^(?P<power>-?[\d.]+))?$")
ATOM, FRACTION, QUANTITY, POWER, UNARY, PRODUCT, SUM = 5.0, 4.8, 4.5, 4.0, 3.0, 2.0, 1.0  # how tightly each binds
_NAMED_FUNCTIONS = {"min": r"\min", "max": r"\max", "log": r"\ln", "log2": r"\log_{2}", "log10": r"\log_{10}", "exp": r"\exp"}

Leaf = Callable[[Name | Field], tuple[str, float]]


def upright(word: str) -> str:
    r"""A name or unit word set upright: `\mathrm{peak\_qps}`."""
    escaped = word.replace("\\", "").replace("{", "").replace("}", "")
    for character in "_%#&$":
        escaped = escaped.replace(character, "\\" + character)
    return r"\mathrm{" + escaped + "}"


def latex_number(text: str) -> str:
    r"""`2.31k` → `2.31\mathrm{k}`, `1.4e20` → `1.4 \times 10^{20}`, `8,192` → `8{,}192`, `40%` → `40\%`."""
    text = text.strip()
    if text in ("∞", "-∞"):
        return text.replace("∞", r"\infty")
    match = _NUMBER.match(text)
    if match is None:
        return upright(text)  # `nan`: a word, set as one
    digits = match.group("digits").replace("_", "").replace(",", "{,}")
    latex = match.group("sign") + digits
    if match.group("exponent") is not None:
        latex += r" \times 10^{" + str(int(match.group("exponent"))) + "}"
    suffix = match.group("suffix")
    if suffix == "%":
        return latex + r"\%"
    return latex + (upright(suffix) if suffix else "")


def latex_unit(text: str) -> str:
    r"""A compact unit (`USD/hour/gpu`, `gpu*hour`, `m^2`) upright: `\mathrm{USD}/\mathrm{hour}/\mathrm{gpu}`."""
    if text in ("", "1"):
        return ""
    if text == "%":
        return r"\%"
    quotient = []
    for part in text.split("/"):
        product = []
        for factor in part.split("*"):
            match = _UNIT_FACTOR.match(factor.strip())
            if match is None:
                product.append(upright(factor))
                continue
            power = match.group("power")
            product.append(upright(match.group("name")) + ("^{" + power + "}" if power else ""))
        quotient.append(r" \cdot ".join(product))
    return "/".join(quotient)


def latex_quantity(number: str, unit: str) -> str:
    r"""`2.31k` and `photo/s` → `2.31\mathrm{k}\,\mathrm{photo}/\mathrm{s}`."""
    typeset = latex_unit(unit)
    if not typeset:
        return latex_number(number)
    return latex_number(number) + (typeset if unit == "%" else r"\," + typeset)


def latex_figure(text: str) -> str:
    r"""A catalog figure as written (`3.35 TB/s`) typeset."""
    number, _, unit = text.strip().partition(" ")
    return latex_quantity(number, unit.strip())


def latex_value(shown: ValueResult, sig_figs: int = 3) -> str:
    r"""A value as the outputs show it, its 90% range when uncertain: `17.4\mathrm{k}\ (9\mathrm{k}\text{ to }33\mathrm{k})`."""
    unit = shown.unit.text
    if shown.range_display(sig_figs) == shown.display:
        number = shown.display.removesuffix(unit).rstrip() if unit else shown.display
        return latex_quantity(number, unit)
    assert shown.p05 is not None and shown.p95 is not None
    middle, low, high = (latex_number(format_number(x, s)) for x, s in ((shown.value, sig_figs), (shown.p05, 2), (shown.p95, 2)))
    typeset = latex_unit(unit)
    if unit == "%":
        return rf"{middle}\%\ ({low}\%\text{{ to }}{high}\%)"
    return rf"{middle}\ ({low}\text{{ to }}{high})" + (r"\," + typeset if typeset else "")


def latex_expression(expr: Expr, leaf: Leaf) -> str:
    """`expr` as LaTeX, each name or catalog field written by `leaf`."""
    return _typeset(expr, leaf)[0]


def formula_latex(expr: Expr) -> str:
    r"""The formula as written, names upright: `\frac{\mathrm{peak\_qps}}{\mathrm{per\_gpu}}`."""

    def names(node: Name | Field) -> tuple[str, float]:
        return upright(node.name if isinstance(node, Name) else f"{node.base}.{node.field}"), ATOM

    return latex_expression(expr, names)


def substituted_latex(expr: Expr, model: Model, values: dict[str, ValueResult], inline: bool) -> str:
    """The formula with each value's number and unit in place of its name, as explain.substituted writes it in text."""
    scenario = model.scenario

    def numbers(node: Name | Field) -> tuple[str, float]:
        if isinstance(node, Field):
            return latex_figure(field_figure_text(node, scenario.hardware)[0]), QUANTITY
        value = scenario.values.get(node.name)
        if value is None:
            return upright(node.name), ATOM
        if inline and value.kind == "derived" and value.formula is not None:
            return _typeset(value.formula.expr, numbers)
        shown = values[node.name]
        # An input is a given: shown exactly (to 6 figures), as in the text steps.
        figures = max(scenario.sig_figs, 6) if value.kind == "input" else scenario.sig_figs
        return latex_quantity(format_number(shown.value, figures), shown.unit.text), QUANTITY if shown.unit.text else ATOM

    return latex_expression(expr, numbers)


def _typeset(node: Expr, leaf: Leaf) -> tuple[str, float]:
    """The node's LaTeX and how tightly it binds (ATOM … SUM)."""
    if isinstance(node, (Name, Field)):
        return leaf(node)
    if isinstance(node, Number):
        return latex_number(node.text or f"{node.value:g}"), ATOM
    if isinstance(node, Quantity):
        return latex_quantity(node.text or f"{node.value:g}", unit_text(node.unit)), QUANTITY
    if isinstance(node, Unary):
        return "-" + _operand(node.operand, leaf, UNARY), UNARY
    if isinstance(node, Binary):
        return _binary(node, leaf)
    return _call(node, leaf), ATOM


def _binary(node: Binary, leaf: Leaf) -> tuple[str, float]:
    if node.op == "/":
        return r"\frac{" + _typeset(node.left, leaf)[0] + "}{" + _typeset(node.right, leaf)[0] + "}", FRACTION
    if node.op == "**":
        return _operand(node.left, leaf, ATOM) + "^{" + _typeset(node.right, leaf)[0] + "}", POWER
    level = PRODUCT if node.op == "*" else SUM
    symbol = r"\times" if node.op == "*" else node.op
    right_needs = level + 0.5 if node.op == "-" else level  # a - (b + c)
    return f"{_operand(node.left, leaf, level)} {symbol} {_operand(node.right, leaf, right_needs)}", level


def _operand(node: Expr, leaf: Leaf, needed: float) -> str:
    latex, level = _typeset(node, leaf)
    return rf"\left({latex}\right)" if level < needed else latex


def _call(node: Call, leaf: Leaf) -> str:
    arguments = ", ".join(_typeset(a, leaf)[0] for a in node.args)
    brackets = {
        "ceil": (r"\left\lceil ", r"\right\rceil"),
        "floor": (r"\left\lfloor ", r"\right\rfloor"),
        "abs": (r"\left|", r"\right|"),
    }
    if node.function in brackets:
        opening, closing = brackets[node.function]
        return f"{opening}{arguments}{closing}"
    if node.function == "sqrt" and len(node.args) == 1:
        return r"\sqrt{" + arguments + "}"
    name = _NAMED_FUNCTIONS.get(node.function) or r"\operatorname{" + node.function.replace("_", r"\_") + "}"
    return rf"{name}\left({arguments}\right)"
