"""Stage 7, evaluate: run the compiled scenario on inputs in base units.

A `Model` is a checked, compiled scenario; `Model.evaluate` is the warm path
(an input changed: one call of the compiled function). When that call fails —
a division by zero, an overflow — the formulas are interpreted one at a time
to find which one, so the error can name it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from calculator.catalog.entries import Bindings
from calculator.catalog.figures import Entry
from calculator.common.errors import (
    CorrelatedPointError,
    DimensionError,
    EnvelopeError,
    EvaluationError,
    Location,
    UsageError,
    closest_or_all,
    did_you_mean,
)
from calculator.common.numbers import counted
from calculator.common.records import record
from calculator.engine.check import check_input_text, entry_figures, first_failure
from calculator.engine.compile import Compiled, Slot, compile_scenario
from calculator.engine.judge import judge
from calculator.engine.results import Result
from calculator.engine.scenario import CheckedScenario, CheckedValue, Value
from calculator.engine.slots import DerivedSlot, FigureSlot, SlotKey, StageSlot
from calculator.engine.uncertainty import HistogramBin, InputValue, Simulation, Spread, simulate
from calculator.formula.expr import Expr, Field
from calculator.formula.numeric import interpret
from calculator.formula.parse import parse_input

if TYPE_CHECKING:
    from calculator.engine.views import ScenarioView


@record
class HardwareChoice:
    """`--set gpu=H200`: another catalog entry for a `hardware:` binding, with the figures the formulas read
    from it (base units), checked against the bound entry's kind and dimensions."""

    binding: str
    entry: Entry
    figures: Mapping[FigureSlot, float]


REBOUND_KEPT = 32  # models kept by `with_hardware`, one per set of choices

Override = float | HardwareChoice
"an input's new value in base units (an `InputValue` when uncertain), or another entry for a binding"


class Model:
    """A scenario checked and compiled: evaluate it as often as you like, with other inputs or other
    catalog entries (`with_hardware`: the same compiled function with other figure arguments)."""

    def __init__(self, scenario: CheckedScenario, compiled: Compiled | None = None):
        self.scenario = scenario
        self.compiled: Compiled = compile_scenario(scenario) if compiled is None else compiled
        self.function: Callable[..., tuple[float, ...]] = self.compiled.scalar()
        self._vectorized: Callable[..., tuple[Any, ...]] | None = None
        self.defaults: dict[str, float] = {v.name: v.point for v in scenario.inputs}
        self.positions = {name: n for n, name in enumerate(self.compiled.inputs)}
        # each derived value's place in the compiled function's result, by name (read for every value shown)
        self.derived_positions = {key.name: n for key, n in self.compiled.index.items() if isinstance(key, DerivedSlot)}
        # An uncertain input's default carries its spread; a plain float override makes it certain.
        self.default_arguments: list[float] = [InputValue(v.point, v.spread) if v.spread else v.point for v in scenario.inputs]
        self.figure_arguments: list[float] = [scenario.figures[slot] for slot in self.compiled.figures]
        # The figures are the function's last parameters: bound as their defaults, a re-evaluation passes
        # the inputs alone (no second list to unpack on every keystroke).
        self.function.__defaults__ = tuple(self.figure_arguments) or None
        self._view: ScenarioView | None = None
        self._rebound: dict[tuple[tuple[str, str, str], ...], Model] = {}  # with_hardware's models, by choice
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
        pending = [b.name for b in s.budgets] + [name for b in s.budgets for name in b.limit.value_names]
        pending += [
            name
            for path in s.latency
            for formula in (path.budget, *(f for _, f in path.formulas()))
            for name in formula.value_names
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
        probe = check_input_text(self.scenario, Value(name, "input", text, where, where, spec=spec))
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

    def parse_assignment(self, name: str, text: str, where: Location | None = None) -> Override:
        """`--set NAME=VALUE` for an input (`parse_override`) or a `hardware:` binding (`choose`)."""
        if name in self.scenario.hardware:
            return self.choose(name, text, where)
        return self.parse_override(name, text, where)

    def choose(self, binding: str, text: str, where: Location | None = None) -> HardwareChoice:
        """Another catalog entry for a `hardware:` binding, found as people type it (`h200`); refused when it
        is of another kind, not among the binding's `one_of:` options, or lacks a figure a formula reads."""
        where = where or Location(f"{binding}={text}")
        if binding not in self.scenario.hardware:
            raise UsageError(
                f"'{binding}' is not a hardware binding of this scenario",
                where,
                did_you_mean(binding, self.scenario.hardware) or _bindings_hint(self.scenario),
            )
        try:
            entry = self.scenario.hardware.catalog.find(text.strip(), where)
        except EnvelopeError as error:  # the catalog's own words, as a mistake in the command
            raise UsageError(error.message, where, error.hint) from None
        options = self.scenario.options.get(binding)
        if options is not None:
            ids = [option.entry.id for option in options]
            if entry.id not in ids:
                raise UsageError(f"'{entry.id}' is not one of the options of '{binding}'", where, "options: " + ", ".join(ids))
            return HardwareChoice(binding, entry, self.scenario.option_figures[binding][ids.index(entry.id)])
        return HardwareChoice(binding, entry, MappingProxyType(entry_figures(self.scenario, binding, entry, where)))

    def with_hardware(self, choices: Iterable[HardwareChoice]) -> Model:
        """The same checked, compiled scenario with other catalog entries bound: new figure arguments,
        no reload, no new check, no new compile."""
        choices = list(choices)
        if not choices:
            return self
        key = tuple(sorted((c.binding, c.entry.id, c.entry.origin) for c in choices))
        rebound = self._rebound.get(key)
        if rebound is None:
            rebound = self._rebind(choices)
            if len(self._rebound) >= REBOUND_KEPT:  # a long TUI session tries many: keep the latest few
                self._rebound.pop(next(iter(self._rebound)))
            self._rebound[key] = rebound
        return rebound

    def _rebind(self, choices: list[HardwareChoice]) -> Model:
        resolved = self.scenario.resolved
        bound = {name: resolved.hardware[name] for name in resolved.hardware}
        figures = dict(self.scenario.figures)
        for choice in choices:
            bound[choice.binding] = choice.entry
            figures.update(choice.figures)
        rebound = replace(resolved, hardware=Bindings(bound, resolved.hardware.catalog))
        return Model(replace(self.scenario, resolved=rebound, figures=MappingProxyType(figures)), self.compiled)

    def applying(self, overrides: Mapping[str, Override] | None) -> tuple[Model, dict[str, float]]:
        """The model with the overrides' hardware choices bound, and the overrides of inputs left."""
        choices = [o for o in (overrides or {}).values() if isinstance(o, HardwareChoice)]
        inputs = {name: o for name, o in (overrides or {}).items() if not isinstance(o, HardwareChoice)}
        return self.with_hardware(choices), inputs

    def input(self, name: str, where: Location) -> CheckedValue:
        value = self.scenario.values.get(name)
        if value is None or value.kind != "input":
            if name in self.scenario.hardware:
                kind = "a hardware binding: it takes a catalog entry, not a quantity"
            else:
                kind = "a derived value, not an input" if value else "not an input of this scenario"
            raise UsageError(f"'{name}' is {kind}", where, closest_or_all(name, [v.name for v in self.scenario.inputs], "inputs"))
        return value

    def formula_of(self, name: str) -> Expr | None:
        """The formula's tree of a derived value; None for an input or an unknown name."""
        value = self.scenario.values.get(name)
        return value.formula.expr if value is not None and value.formula is not None else None

    def evaluate(self, overrides: Mapping[str, Override] | None = None) -> Evaluation:
        """Every slot's value for the default inputs with `overrides` (base units, or `HardwareChoice`s).

        This is the warm path (a keystroke in the TUI): one call of the compiled
        function and a finiteness check, nothing else.
        """
        arguments = self.default_arguments.copy()
        if overrides:
            positions = self.positions
            try:  # no test of each override's type on the way: a hardware choice is keyed by a binding's name,
                # which is never an input's (resolve refuses one that is), so it raises KeyError here
                for name, value in overrides.items():
                    arguments[positions[name]] = value  # type: ignore[assignment]  # a float (see above)
            except KeyError:
                if not any(isinstance(o, HardwareChoice) for o in overrides.values()):
                    raise
                model, inputs = self.applying(overrides)
                return model.evaluate(inputs)
        try:
            slots = self.function(*arguments)
        except (ArithmeticError, ValueError):
            raise self.locate_failure(arguments) from None
        # One test of the sum (in C, no call a slot): it is finite when every slot is, unless it overflows,
        # and then each slot is tested.
        if not math.isfinite(sum(slots)) and not all(map(math.isfinite, slots)):
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
            failure = first_failure(slot.formula.expr, values, self.leaf_value, slot.location, queues=True)
            if failure:
                return failure
            if isinstance(slot.key, DerivedSlot):  # later formulas read only derived values
                values[slot.key.name] = interpret(slot.formula.expr, values, self.leaf_value)
        return None

    def vectorized(self, *inputs: Any) -> tuple[Any, ...]:
        """The compiled scenario over numpy arrays of inputs, with this model's catalog figures
        (built on first use: it imports numpy)."""
        return self.vectorized_with(inputs, self.figure_arguments)

    def vectorized_with(self, inputs: Sequence[Any], figures: Sequence[Any]) -> tuple[Any, ...]:
        """The compiled scenario over numpy arrays of inputs and of catalog figures (in `compiled.figures` order)."""
        if self._vectorized is None:
            self._vectorized = self.compiled.vectorized()
        return self._vectorized(*inputs, *figures)

    def leaf_value(self, node: Expr) -> float:
        """A leaf of a formula in base units: a literal, a unit, a `ref.` figure or a bound catalog figure."""
        if isinstance(node, Field) and node.base != "ref":
            return self.scenario.figures[FigureSlot(node.base, node.field)]
        return self.scenario.leaves[node]

    def slot(self, key: SlotKey) -> Slot:
        return self.compiled.slots[self.compiled.index[key]]


def _bindings_hint(scenario: CheckedScenario) -> str:
    names = ", ".join(scenario.hardware)
    return f"its bindings: {names}" if names else "it has no 'hardware:' section"


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
        return self.slots[self.model.derived_positions[name]]

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
