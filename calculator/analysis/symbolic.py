"""sympy expressions built from the project's own tree, on demand (explain, solve).

sympy never sees the scenario's text: each node of our checked tree becomes the
sympy node it means. Two forms: `display` keeps units and catalog fields as
symbols (for people), `numeric` puts every constant in base units (for
derivatives and solving). Importing this module imports sympy (~0.2 s), so only
explain and solve do.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from calculator.engine.model import Model
from calculator.formula.expr import ROUNDING, Binary, Call, Expr, Field, Name, Number, Quantity, Unary

_FUNCTIONS: dict[str, Any] = {
    "ceil": sympy.ceiling,
    "floor": sympy.floor,
    "round": lambda x: sympy.floor(x + sympy.Rational(1, 2)),
    "min": sympy.Min,
    "max": sympy.Max,
    "sqrt": sympy.sqrt,
    "log": sympy.log,
    "log2": lambda x: sympy.log(x, 2),
    "log10": lambda x: sympy.log(x, 10),
    "exp": sympy.exp,
    "abs": sympy.Abs,
    # Queueing has no closed form worth inverting (Erlang C is a finite sum up to the server count):
    # utilization is its plain product; the others stay named functions, so derivatives of them do not
    # evaluate and explain falls back to numeric elasticities, and solve to its numeric edge.
    "utilization": lambda rate, service_time, servers: rate * service_time / servers,
    "erlang_c": sympy.Function("erlang_c"),
    "queue_wait": sympy.Function("queue_wait"),
    "general_queue_wait": sympy.Function("general_queue_wait"),
    "batch_wait": sympy.Function("batch_wait"),
}


# Steps as written, for people: evaluating ceiling() of symbols compares them, and sympy's first
# comparison imports sympy.tensor (~0.13 s cold) only to leave the ceiling as it was.
_SHOWN_STEPS: dict[str, Any] = {
    "ceil": lambda x: sympy.ceiling(x, evaluate=False),
    "floor": lambda x: sympy.floor(x, evaluate=False),
    "round": lambda x: sympy.floor(x + sympy.Rational(1, 2), evaluate=False),
}


def number(value: float) -> Any:
    """A float as sympy shows it best: an Integer when whole."""
    return sympy.Integer(int(value)) if float(value).is_integer() and abs(value) < 1e15 else sympy.Float(value, 6)


class Builder:
    """Our tree to sympy, with derived names expanded down to the inputs."""

    def __init__(self, model: Model, numeric: bool, keep: frozenset[str] = frozenset(), smooth: bool = False):
        self.model = model
        self.numeric = numeric
        # ceil/floor/round left out: a smooth stand-in for derivatives (and sympy evaluating
        # ceiling() of a numeric expression costs ~70 ms the first time in a process)
        self.smooth = smooth
        self.keep = keep  # derived names to leave as symbols (the formula as written)
        self.symbols: dict[str, sympy.Symbol] = {}
        self.cache: dict[str, Any] = {}

    def symbol(self, name: str) -> sympy.Symbol:
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name, positive=True)
        return self.symbols[name]

    def value(self, name: str) -> Any:
        """A scenario value: an input's symbol, or a derived value's closed form."""
        scenario = self.model.scenario
        value = scenario.values[name]
        if value.kind == "input" or name in self.keep:
            return self.symbol(name)
        if name not in self.cache:
            assert value.formula is not None
            self.cache[name] = self.build(value.formula.expr, value.text_location)
        return self.cache[name]

    def build(self, expr: Expr, where: Any) -> Any:
        if isinstance(expr, Number):
            return number(expr.value)
        if isinstance(expr, Name) and expr.name in self.model.scenario.values:
            return self.value(expr.name)
        if isinstance(expr, (Quantity, Name, Field)):
            return self.leaf(expr, where)
        if isinstance(expr, Unary):
            return -self.build(expr.operand, where)
        if isinstance(expr, Binary):
            left, right = self.build(expr.left, where), self.build(expr.right, where)
            return {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
                "**": lambda: left**right,
            }[expr.op]()
        assert isinstance(expr, Call)
        if expr.function in ROUNDING and self.smooth:
            return self.build(expr.args[0], where)
        if expr.function in ROUNDING and not self.numeric:
            return _SHOWN_STEPS[expr.function](self.build(expr.args[0], where))
        return _FUNCTIONS[expr.function](*(self.build(a, where) for a in expr.args))

    def leaf(self, expr: Quantity | Name | Field, where: Any) -> Any:
        if self.numeric:
            return sympy.Float(self.model.leaf_value(expr))
        if isinstance(expr, Field):
            return sympy.Symbol(f"{expr.base}.{expr.field}", positive=True)
        if isinstance(expr, Name):
            return self.unit_symbol(expr.name)
        unit = sympy.Integer(1)
        for factor in expr.unit:
            unit = unit * self.unit_symbol(factor.name) ** number(factor.power)
        return number(expr.value) * unit

    def unit_symbol(self, name: str) -> sympy.Symbol:
        """A unit as a symbol in brackets, `[request]`, so it never reads as a value's name."""
        return sympy.Symbol("[%]" if name == "percent" else f"[{name}]", positive=True)


def closed_form(model: Model, name: str, numeric: bool = False, smooth: bool = False) -> tuple[Any, dict[str, sympy.Symbol]]:
    """`name` as an expression in the scenario's inputs alone, and the input symbols it uses
    (`smooth`: without ceil/floor/round, for derivatives)."""
    builder = Builder(model, numeric, smooth=smooth)
    expression = builder.value(name)
    return expression, builder.symbols


def numeric_only(form: Any) -> bool:
    """Whether `form` calls a function sympy cannot differentiate or invert (a queue's wait)."""
    return bool(form.atoms(AppliedUndef))


def power_factor(form: Any, symbol: sympy.Symbol) -> tuple[Any, Any] | None:
    """(k, rest) when `form` = rest·symbol**k with a numeric k and the symbol nowhere in rest: most
    estimates are such products. Then ∂ln form/∂ln symbol is k, and form = L inverts to
    (L/rest)**(1/k), with no sum: sympy's first sum imports sympy.tensor (~0.13 s cold)."""
    powers = form.as_powers_dict()  # a product's factors {base: exponent}; anything else {form: 1}
    k = powers.get(symbol)
    if k is None or not k.is_number or k == 0 or any(base.has(symbol) for base in powers if base != symbol):
        return None
    return k, sympy.Mul(*(base**exponent for base, exponent in powers.items() if base != symbol))
