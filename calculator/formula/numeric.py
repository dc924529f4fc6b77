"""The arithmetic of formulas on plain floats (and, for Monte Carlo, numpy arrays).

The function tables here are the only functions a formula can reach; the
compiled scenario and the step-by-step interpreter share them, so both agree
to the last bit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from calculator.formula import queueing
from calculator.formula.expr import Binary, Call, Expr, Field, Name, Number, Quantity, Unary

MAX_POWER = 1e6  # larger exponents only overflow or underflow; refuse them plainly


class NegativeBaseError(ValueError):
    """A negative number to a fractional power: a complex result, which no quantity is."""


def _power(base: float, exponent: float) -> float:
    if abs(exponent) > MAX_POWER:
        raise OverflowError("power too large")
    result = base**exponent
    if isinstance(result, complex):
        raise NegativeBaseError("a negative number to a fractional power")
    return float(result)


def _whole(step: Callable[[float], int]) -> Callable[[float], float]:
    """A rounding function that leaves an infinite value (an unstable queue's wait) infinite, as numpy does.

    The infinite case is the exception math's rounding raises (math.ceil(inf) and (nan) raise), not a test
    first: this runs in every re-evaluation of a scenario that rounds, and a try costs nothing until it catches."""

    def whole(x: float) -> float:
        try:
            return float(step(x))
        except (OverflowError, ValueError):
            return x

    return whole


SCALAR_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ceil": _whole(math.ceil),
    "floor": _whole(math.floor),
    "round": _whole(lambda x: math.floor(x + 0.5)),
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "exp": math.exp,
    "abs": abs,
    "pow": _power,
    **queueing.SCALAR,
}


def array_functions() -> dict[str, Callable[..., Any]]:
    """The same functions over numpy arrays, for Monte Carlo (numpy imported here only)."""
    import numpy as np  # numpy: only for uncertain inputs

    def power(base: Any, exponent: Any) -> Any:
        with np.errstate(all="ignore"):
            return np.power(np.asarray(base, dtype=float), exponent)

    return {
        "ceil": np.ceil,
        "floor": np.floor,
        "round": lambda x: np.floor(x + 0.5),
        "min": lambda *xs: functools.reduce(np.minimum, xs),
        "max": lambda *xs: functools.reduce(np.maximum, xs),
        "sqrt": np.sqrt,
        "log": np.log,
        "log2": np.log2,
        "log10": np.log10,
        "exp": np.exp,
        "abs": np.abs,
        "pow": power,
        **queueing.array_functions(),
    }


Leaf = Callable[[Expr], float]


def interpret(expr: Expr, values: Mapping[str, float], leaf: Leaf) -> float:
    """Evaluate one tree on floats in base units; `leaf` gives units, literals and fields."""
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Name) and expr.name in values:
        return values[expr.name]
    if isinstance(expr, (Quantity, Name, Field)):
        return leaf(expr)
    if isinstance(expr, Unary):
        return -interpret(expr.operand, values, leaf)
    if isinstance(expr, Binary):
        left, right = interpret(expr.left, values, leaf), interpret(expr.right, values, leaf)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if expr.op == "/":
            return left / right
        return _power(left, right)
    assert isinstance(expr, Call)
    return float(SCALAR_FUNCTIONS[expr.function](*(interpret(a, values, leaf) for a in expr.args)))
