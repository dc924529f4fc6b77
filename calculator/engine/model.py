"""Stage 7, evaluate: run the compiled scenario on inputs in base units.

A `Model` is a checked, compiled scenario; `Model.evaluate` is the warm path
(an input changed: one call of the compiled function). When that call fails —
a division by zero, an overflow — the formulas are interpreted one at a time
to find which one, so the error can name it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from calculator.common.errors import (
    CorrelatedPointError,
    DimensionError,
    EnvelopeError,
    EvaluationError,
    Location,
    UsageError,
    closest_or_all,
)
from calculator.common.numbers import counted
from calculator.engine.check import Checker, check_input
from calculator.engine.compile import Compiled, Slot, compile_scenario
from calculator.engine.judge import judge
from calculator.engine.results import Result
from calculator.engine.scenario import Scenario, Value
from calculator.engine.slots import DerivedSlot, SlotKey, StageSlot
from calculator.engine.uncertainty import HistogramBin, InputValue, Simulation, Spread, simulate
from calculator.formula.expr import QUEUEING, Binary, Call, Expr, Formula, Name, Unary, end_of, names_in, to_text
from calculator.formula.numeric import NegativeBaseError, interpret
from calculator.formula.parse import parse_input

if TYPE_CHECKING:
    from calculator.engine.views import ScenarioView


class Model:
    """A scenario checked and compiled: evaluate it as often as you like."""

    def __init__(self, scenario: Scenario, checker: Checker):
        self.scenario = scenario
        self.checker = checker
        self.compiled: Compiled = compile_scenario(scenario, checker)
        self.function: Callable[..., tuple[float, ...]] = self.compiled.scalar()
        self._vectorized: Callable[..., tuple[Any, ...]] | None = None
        self.defaults: dict[str, float] = {v.name: v.point for v in scenario.inputs}
        self.positions = {name: n for n, name in enumerate(self.compiled.inputs)}
        # An uncertain input's default carries its spread; a plain float override makes it certain.
        self.default_arguments: list[float] = [InputValue(v.point, v.spread) if v.spread else v.point for v in scenario.inputs]
        self._view: ScenarioView | None = None
        # Latency stages, by slot position: a duration below zero is refused at the stage
        self.stage_slots = [(n, slot) for n, slot in enumerate(self.compiled.slots) if isinstance(slot.key, StageSlot)]

    @property
    def name(self) -> str:
        return self.scenario.name

    def __repr__(self) -> str:
        s = self.scenario
        return (
            f"<Model {s.name!r} ({s.file}): {counted(len(s.inputs), 'input')}, {len(s.values) - len(s.inputs)} derived,"
            f" {counted(len(s.budgets), 'budget')}, {counted(len(s.latency), 'latency path')}>"
        )

    def unbudgeted_inputs(self) -> list[str]:
        """Inputs that no budget and no latency path depends on, even through other values: changing one
        changes nothing that is checked (`users` when the traffic comes from `monthly_views`)."""
        s = self.scenario
        pending = [b.name for b in s.budgets] + [name for b in s.budgets for name in _formula_names(b.limit)]
        pending += [
            name
            for path in s.latency
            for formula in (path.budget, *(f for _, f in path.formulas()))
            for name in _formula_names(formula)
        ]
        reached: set[str] = set()
        while pending:
            name = pending.pop()
            if name in reached or name not in s.values:
                continue
            reached.add(name)
            pending += s.values[name].depends
        return [v.name for v in s.inputs if v.name not in reached]

    def _repr_markdown_(self) -> str:
        """In a notebook: the scenario evaluated, as Markdown tables."""
        return self.evaluate().result.to_markdown()

    def view(self) -> ScenarioView:
        """The scenario as read-only data: inputs, derived values, budgets, latency paths, files (built once)."""
        from calculator.engine.views import scenario_view  # only clients that show a scenario need it (start-up)

        if self._view is None:
            self._view = scenario_view(self.scenario)
        return self._view

    def parse_override(self, name: str, text: str, where: Location | None = None, point_only: bool = False) -> InputValue:
        """`--set NAME=VALUE`: a new value for an input, in base units, checked against its dimension.

        The result is a float (the point value) that carries the spread when the text
        is uncertain (`50M to 200M user`), so `evaluate` can simulate it. A point value
        for an input that a correlation names is refused, as the same value in the file is
        (`point_only`: the caller uses only point values, as a sweep's ends, so it may).
        """
        where = where or Location(f"{name}={text}")
        value = self.input(name, where)
        spec, _ = parse_input(text, where)
        probe = Value(name, "input", text, where, where, spec=spec)
        check_input(self.checker, probe)
        if probe.dimension != value.dimension:
            units = self.scenario.units
            raise DimensionError(
                f"'{name}' is in '{units.dimension_text(value.dimension)}', not '{units.dimension_text(probe.dimension)}'", where
            )
        if probe.spread is None and not point_only:
            self._refuse_point_if_correlated(name, text, where)
        return InputValue(probe.point, probe.spread)

    def correlated_with(self, name: str) -> list[str]:
        """The inputs a correlation pairs with input `name`."""
        return [b if a == name else a for a, b in self.scenario.correlations if name in (a, b)]

    def _refuse_point_if_correlated(self, name: str, text: str, where: Location) -> None:
        partners = self.correlated_with(name)
        if partners:
            raise CorrelatedPointError(
                f"'{name}' is correlated with {', '.join(repr(p) for p in partners)}, so it takes a range, not the"
                f" point value '{text.strip()}'",
                where,
                f"write it as 'A to B' (or normal(), uniform()), or drop the correlation of '{name}' from 'correlations:'",
                name,
                partners,
            )

    def input(self, name: str, where: Location) -> Value:
        value = self.scenario.values.get(name)
        if value is None or value.kind != "input":
            kind = "a derived value, not an input" if value else "not an input of this scenario"
            raise UsageError(f"'{name}' is {kind}", where, closest_or_all(name, [v.name for v in self.scenario.inputs], "inputs"))
        return value

    def formula_of(self, name: str) -> Expr | None:
        """The formula's tree of a derived value; None for an input or an unknown name."""
        value = self.scenario.values.get(name)
        return value.formula.expr if value is not None and value.formula is not None else None

    def evaluate(self, overrides: Mapping[str, float] | None = None) -> Evaluation:
        """Every slot's value for the default inputs with `overrides` (base units).

        This is the warm path (a keystroke in the TUI): one call of the compiled
        function and a finiteness check, nothing else.
        """
        arguments = self.default_arguments.copy()
        if overrides:
            for name, value in overrides.items():
                arguments[self.positions[name]] = value
        try:
            slots = self.function(*arguments)
        except (ArithmeticError, ValueError):
            raise self.locate_failure(arguments) from None
        if not all(map(math.isfinite, slots)):
            failure = self.first_failure(arguments)
            if failure is not None:  # else every infinity is an unstable queue's wait, which is a legal value
                raise failure
        for n, slot in self.stage_slots:
            if slots[n] < 0:
                assert isinstance(slot.key, StageSlot)
                raise EvaluationError(
                    f"latency stage '{'.'.join(slot.key.stage)}' is negative ({slots[n]:g} s)",
                    slot.location.shifted(0, len(slot.formula.text.rstrip())),
                    hint="a stage takes time: write its duration as a positive quantity",
                )
        return Evaluation(self, arguments, slots)

    def locate_failure(self, arguments: list[float]) -> EnvelopeError:
        """Interpret slot by slot to name the formula (and the part of it) that failed."""
        return self.first_failure(arguments) or EvaluationError("evaluation failed", Location(self.scenario.file))

    def first_failure(self, arguments: list[float]) -> EnvelopeError | None:
        """The first formula that fails, or None when the only non-finite values are unstable queues' waits."""
        values = dict(zip(self.compiled.inputs, arguments, strict=True))
        for slot in self.compiled.slots:
            failure = _first_failure(slot.formula.expr, values, self.leaf(slot.location), slot.location)
            if failure:
                return failure
            if isinstance(slot.key, DerivedSlot):  # later formulas read only derived values
                values[slot.key.name] = interpret(slot.formula.expr, values, self.leaf(slot.location))
        return None

    def vectorized(self, *arguments: Any) -> tuple[Any, ...]:
        """The compiled scenario over numpy arrays (built on first use: it imports numpy)."""
        if self._vectorized is None:
            self._vectorized = self.compiled.vectorized()
        return self._vectorized(*arguments)

    def leaf(self, where: Location) -> Callable[[Expr], float]:
        return lambda node: self.checker.leaf(node, where)[0]

    def slot(self, key: SlotKey) -> Slot:
        return self.compiled.slots[self.compiled.index[key]]


def _formula_names(formula: Formula) -> list[str]:
    return [n.name for n in names_in(formula.expr) if isinstance(n, Name)]


def _first_failure(expr: Expr, values: dict[str, float], leaf: Callable[[Expr], float], where: Location) -> EnvelopeError | None:
    """The innermost part of `expr` that divides by zero, overflows or leaves the reals."""
    children: tuple[Expr, ...] = ()
    if isinstance(expr, Binary):
        children = (expr.left, expr.right)
    elif isinstance(expr, Unary):
        children = (expr.operand,)
    elif isinstance(expr, Call):
        children = expr.args
    for child in children:
        inner = _first_failure(child, values, leaf, where)
        if inner:
            return inner
    at = where.shifted(expr.offset, end_of(expr))
    try:
        result = interpret(expr, values, leaf)
    except ZeroDivisionError:
        return EvaluationError(f"division by zero in '{to_text(expr)}'", at)
    except OverflowError:
        return EvaluationError(f"overflow in '{to_text(expr)}': the result is too large for a float", at)
    except ValueError as error:
        reason = str(error) if isinstance(error, NegativeBaseError) else "an argument outside the function's domain"
        return EvaluationError(f"{reason} in '{to_text(expr)}'", at)
    if math.isinf(result) and not _carries_infinity(expr, children, values, leaf):
        return EvaluationError(f"overflow in '{to_text(expr)}': the result is too large for a float", at)
    if math.isnan(result):
        return EvaluationError(f"'{to_text(expr)}' is not a number (infinity minus infinity?)", at)
    return None


def _carries_infinity(expr: Expr, children: tuple[Expr, ...], values: dict[str, float], leaf: Callable[[Expr], float]) -> bool:
    """Whether an infinite `expr` is an unstable queue's wait, or carries one from a part (or a value) of it,
    rather than a finite computation that overflowed."""
    if (isinstance(expr, Call) and expr.function in QUEUEING) or not children:
        return True
    return any(math.isinf(interpret(child, values, leaf)) for child in children)


class Evaluation:
    """One run: inputs and every slot, in base units; results are built on demand."""

    __slots__ = ("__dict__", "arguments", "model", "slots")

    def __init__(self, model: Model, arguments: list[float], slots: tuple[float, ...]):
        self.model = model
        self.arguments = arguments
        self.slots = slots

    @property
    def inputs(self) -> dict[str, float]:
        return dict(zip(self.model.compiled.inputs, self.arguments, strict=True))

    @property
    def spreads(self) -> dict[str, Spread]:
        """The uncertain inputs of this run: the scenario's, as changed by overrides."""
        return {
            name: argument.spread
            for name, argument in zip(self.model.compiled.inputs, self.arguments, strict=True)
            if isinstance(argument, InputValue) and argument.spread is not None
        }

    def base(self, name: str) -> float:
        """A value (input or derived) in base units."""
        position = self.model.positions.get(name)
        if position is not None:
            return self.arguments[position]
        return self.slots[self.model.compiled.index[DerivedSlot(name)]]

    def slot(self, key: SlotKey) -> float:
        return self.slots[self.model.compiled.index[key]]

    def simulate(self, samples: int | None = None, seed: int | None = None) -> Simulation | None:
        """Monte Carlo over the uncertain inputs, or None when every input is certain."""
        spreads = self.spreads
        if not spreads:
            return None
        scenario = self.model.scenario
        correlations = {pair: rho for pair, rho in scenario.correlations.items() if set(pair) <= set(spreads)}
        return simulate(self, spreads, samples or scenario.samples, scenario.seed if seed is None else seed, correlations)

    def histogram(self, name: str, bins: int = 12) -> list[HistogramBin]:
        """The Monte Carlo distribution of a value (base units), or [] when nothing uncertain reaches it."""
        simulation = self.simulate()
        return simulation.histogram(self, name, bins) if simulation is not None else []

    def judge(self, samples: int | None = None, seed: int | None = None, simulate: bool = True) -> Result:
        """Values, budgets and latency paths with statuses (and percentiles when uncertain,
        unless `simulate` is False: point values only, no numpy, for a quick first look)."""
        return judge(self, self.simulate(samples, seed) if simulate else None)

    @cached_property
    def result(self) -> Result:
        return self.judge()
