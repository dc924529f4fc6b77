"""The compile stage writes each formula as Python source: the source must group every operation as
the formula's tree does (float arithmetic does not reassociate), so the compiled function agrees
with the step-by-step interpreter, and with plain Python on the same tree, to the last bit."""

from __future__ import annotations

import gc
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calculator
import calculator.engine.compile as compile_stage
from calculator.engine.slots import DerivedSlot
from calculator.formula.numeric import SCALAR_FUNCTIONS, interpret

INPUTS = ("a", "b", "c")


@dataclass(frozen=True)
class Tree:
    """A formula written with a pair of parentheses around every operation, and its value by plain Python."""

    text: str
    value: Callable[[dict[str, float]], float]


def _number(x: float) -> Tree:
    return Tree(f"({x!r})" if math.copysign(1.0, x) < 0 else repr(x), lambda _: x)


def _name(name: str) -> Tree:
    return Tree(name, lambda values: values[name])


def _negated(t: Tree) -> Tree:
    return Tree(f"(-{t.text})", lambda v: -t.value(v))


_OPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
}


def _binary(op: str, left: Tree, right: Tree) -> Tree:
    return Tree(f"({left.text} {op} {right.text})", lambda v: _OPS[op](left.value(v), right.value(v)))


def _call(function: str, args: list[Tree]) -> Tree:
    apply = SCALAR_FUNCTIONS[function]
    return Tree(f"{function}({', '.join(a.text for a in args)})", lambda v: apply(*(a.value(v) for a in args)))


_finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
_leaves = st.one_of(
    st.sampled_from(INPUTS).map(_name),
    st.sampled_from([0.1, 0.3, 3.0, 7.0, 1e-300, 1e300, -0.0, -2.5]).map(_number),
    _finite.map(_number),
)
trees = st.recursive(
    _leaves,
    lambda sub: st.one_of(
        sub.map(_negated),
        st.tuples(st.sampled_from(sorted(_OPS)), sub, sub).map(lambda t: _binary(*t)),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(lambda t: _call(t[0], [t[1], t[2]])),
        sub.map(lambda t: _call("abs", [t])),
    ),
    max_leaves=12,
)


def _bits(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def _outcome(run: Callable[[], float]) -> bytes | type[BaseException]:
    try:
        return _bits(run())
    except ArithmeticError as error:
        return type(error)


def _model(formula: str, values: dict[str, float]) -> calculator.Model:
    inputs = "".join(f'  {name}: "{values[name]!r}"\n' for name in INPUTS)
    return calculator.loads(f"name: compiled\ninputs:\n{inputs}derived:\n  x: '{formula}'\n", "compiled.yaml")


@settings(max_examples=300, deadline=None)
@given(trees, st.tuples(_finite, _finite, _finite))
def test_the_compiled_function_agrees_with_the_interpreter_and_plain_python(tree: Tree, inputs: tuple[float, ...]) -> None:
    values = dict(zip(INPUTS, inputs, strict=True))
    model = _model(tree.text, values)
    (slot,) = model.compiled.slots
    compiled = _outcome(lambda: model.function(*model.default_arguments)[0])
    interpreted = _outcome(lambda: interpret(slot.formula.expr, values, model.leaf_value))
    assert compiled == interpreted
    assert compiled == _outcome(lambda: tree.value(values))


@pytest.mark.parametrize(
    ("formula", "expected"),
    [  # by hand, with a = 1, b = 2, c = 4: each differs when its parentheses are dropped
        ("a - (b - c)", 3.0),
        ("a - (b + c)", -5.0),
        ("c / (b * b)", 1.0),
        ("c / (b / b)", 4.0),
        ("-(a - c)", 3.0),
        ("-(b * c) + a", -7.0),
        ("a - -c", 5.0),
        ("(a - c) ** 2", 9.0),
        ("-c ** 0.5", -2.0),
    ],
)
def test_grouping_survives_compilation(formula: str, expected: float) -> None:
    model = _model(formula, {"a": 1.0, "b": 2.0, "c": 4.0})
    assert model.function(*model.default_arguments)[0] == expected


def test_rounding_is_the_float_sum_in_the_order_written() -> None:
    """0.1 + (0.2 + 0.3) and (0.1 + 0.2) + 0.3 are different floats: the written order is kept."""
    left = _model("(a + b) + c", {"a": 0.1, "b": 0.2, "c": 0.3})
    right = _model("a + (b + c)", {"a": 0.1, "b": 0.2, "c": 0.3})
    assert left.function(*left.default_arguments)[0] == (0.1 + 0.2) + 0.3 == 0.6000000000000001
    assert right.function(*right.default_arguments)[0] == 0.1 + (0.2 + 0.3) == 0.6


def _chain(length: int) -> str:
    """x1 = a + 1 GB, x2 = x1 + 1 GB, …: each value reads the one before, so every part reads an earlier one."""
    derived = "".join(f"  x{n}: x{n - 1} + 1 GB\n" for n in range(2, length + 1))
    return (
        "name: chain\nhardware: {gpu: H100-SXM}\ninputs:\n  a: 10 GB\n  b: 1 GB to 3 GB\n"
        f"derived:\n  x1: a + 1 GB\n{derived}  fits: x{length} + gpu.memory * 1 gpu\n  spread: x{length} + b\n"
        f"budgets:\n  x1: <= x{length}\n  fits: <= x1 * 2\n"
    )


def _parts_of(size: int, monkeypatch: pytest.MonkeyPatch, length: int = 21) -> calculator.Model:
    monkeypatch.setattr(compile_stage, "PART_SIZE", size)
    return calculator.loads(_chain(length), "chain.yaml")


def test_a_large_scenario_is_compiled_in_parts_that_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = _parts_of(4, monkeypatch)
    assert len(parts.compiled.parts) == 7  # 25 slots (x1…x21, fits, spread, two limits), four a part
    whole = _parts_of(512, monkeypatch)
    assert whole.compiled.parts == ()
    result = parts.evaluate().result
    assert result.values["x21"].value == 31  # GB: 10 GB + 21 × 1 GB, by hand (exact in floats)
    assert result.values["fits"].value == 111  # GB: and the H100's 80 GB (its datasheet)
    assert [b.status for b in result.budgets] == ["ok", "fail"]  # 11 GB <= 31 GB; 111 GB > 22 GB
    assert parts.evaluate().slots == whole.evaluate().slots


def test_the_parts_run_on_arrays_too(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _parts_of(4, monkeypatch)
    gb = 8e9  # base units: bits
    b = np.array([1, 2, 3]) * gb
    slots = dict(zip(model.compiled.index, model.vectorized(np.full(3, 10 * gb), b), strict=True))
    assert list(slots[DerivedSlot("x21")]) == [31 * gb] * 3
    assert list(slots[DerivedSlot("spread")]) == [32 * gb, 33 * gb, 34 * gb]


def test_parts_leave_nothing_only_the_collector_can_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part in the globals it runs in would be a reference cycle a model: garbage that waits for a
    collection (tests/test_collector.py says why that matters)."""
    _parts_of(4, monkeypatch).evaluate()  # caches warm
    gc.collect()
    gc.disable()
    try:
        model = _parts_of(4, monkeypatch)
        assert model.evaluate().result.values
        assert len(model.vectorized(np.full(2, 8e10), np.full(2, 8e9))) == 25
        del model
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_thousands_of_parts_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The calling function joins its parts' results in one flat display: `r0 + r1 + …` nests an
    addition a part, and CPython's compiler recursed past its limit at 5,000 of them."""
    model = _parts_of(1, monkeypatch, length=6000)
    assert len(model.compiled.parts) == 6004
    x6000 = model.evaluate().slots[model.compiled.index[DerivedSlot("x6000")]]
    assert x6000 == 6010 * 8e9  # bits: 10 GB + 6,000 × 1 GB
