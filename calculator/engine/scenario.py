"""The engine's model of a scenario: what resolve builds (`Scenario`) and what check makes of it
(`CheckedScenario`). Every object here is frozen: a stage builds new ones, never fills in another's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from calculator.catalog.entries import Bindings
from calculator.catalog.figures import Entry
from calculator.common.errors import Location
from calculator.common.records import record
from calculator.engine.slots import FigureSlot
from calculator.engine.uncertainty import MEMORY_BUDGET_BYTES, Spread
from calculator.formula.expr import Expr, Formula, UnitExpr
from calculator.formula.parse import InputSpec
from calculator.units.system import Dimension, Unit, UnitSystem


@record
class Option:
    """One option of an input as written: `4 gpu` in `one_of:`, or FROM, TO or the step of a compact form."""

    spec: Expr
    location: Location
    text: str


OptionForm = Literal["one_of", "range", "powers_of_two"]


@record
class Options:
    """An input's options: `one_of:` a list, or a compact `range:` (with `step:`) or `powers_of_two:`."""

    form: OptionForm
    written: tuple[Option, ...]  # one_of: every option; range and powers_of_two: FROM and TO
    location: Location  # of the form's key
    step: Option | None = None  # range: the step, when written
    chosen_written: bool = False  # whether `value:` was written (else the first option is the point value)


@record
class Choice:
    """An option as the unit check found it: as people write it ('16 sequence', generated ones in FROM's
    unit), its value in base units, and where it is written (a generated option: where FROM is)."""

    text: str
    point: float
    location: Location


@record
class Value:
    """An input or a derived value, by name."""

    name: str
    kind: Literal["input", "derived"]
    text: str  # as written in the file
    location: Location  # of its key
    text_location: Location  # where its text starts, for positions inside it
    note: str | None = None
    formula: Formula | None = None  # derived values
    spec: InputSpec | None = None  # inputs
    display_expr: UnitExpr | None = None
    depends: tuple[str, ...] = ()
    uncertain: bool = False
    drill: bool = False  # derived values marked `drill: true`: asked in `envelope drill`
    integer: bool = False  # inputs marked `integer: true`: solved to whole numbers
    options: Options | None = None  # inputs with options to choose from (`one_of:`, `range:`, `powers_of_two:`)


@record(kw_only=True)
class CheckedValue(Value):
    """A value as the unit check found it: its dimension, display unit and (inputs) point value."""

    dimension: Dimension
    display: Unit | None  # explicit (`-> unit`, `unit:`) or the unit an input was written in
    point: float = 0.0  # inputs: the value in base units (the median when uncertain)
    spread: Spread | None = None  # inputs written as a distribution
    choices: tuple[Choice, ...] = ()  # inputs with options: every option, checked and expanded


@record
class Budget:
    """A limit on one value: `encoder_gpus: <= 64 gpu`."""

    name: str
    op: str  # <= < >= >
    limit: Formula
    warn: float
    location: Location
    text_location: Location
    note: str | None = None
    percentile: float | None = None
    "judged at this quantile (0.95 for `percentile: 95%`) of the value's samples, not at its point value"


@record
class Stage:
    """One stage of a latency path: a duration, or branches run in parallel or in sequence."""

    name: str
    location: Location
    text_location: Location
    formula: Formula | None = None
    parallel: tuple[Stage, ...] | None = None
    sequence: tuple[Stage, ...] | None = None
    note: str | None = None

    def formulas(self) -> list[tuple[Stage, Formula]]:
        if self.formula is not None:
            return [(self, self.formula)]
        return [pair for child in (self.parallel or self.sequence or []) for pair in child.formulas()]


@record
class LatencyPath:
    """A request path: the sum of its stages against a budget."""

    name: str
    budget: Formula
    stages: tuple[Stage, ...]
    warn: float
    location: Location
    text_location: Location
    note: str | None = None
    percentile: float | None = None
    "judged at this quantile (0.99 for `percentile: 99%`) of the total's samples, not at its point value"

    def formulas(self) -> list[tuple[Stage, Formula]]:
        return [pair for stage in self.stages for pair in stage.formulas()]

    def leaves(self) -> list[tuple[tuple[str, ...], Formula, Location]]:
        """Every stage that has a formula, named by the stages from the path down to it."""
        found: list[tuple[tuple[str, ...], Formula, Location]] = []
        pending: list[tuple[tuple[str, ...], Stage]] = [((stage.name,), stage) for stage in reversed(self.stages)]
        while pending:  # a stack, not recursion: a file can nest stages deeply
            names, stage = pending.pop()
            if stage.formula is not None:
                found.append((names, stage.formula, stage.text_location))
            pending += [((*names, child.name), child) for child in reversed(stage.parallel or stage.sequence or [])]
        return found


@record
class HardwareOption:
    """One entry a `hardware:` binding may take (`one_of:`), and where the file names it."""

    entry: Entry
    location: Location


@record
class Scenario:
    """A resolved scenario: every name found, values in dependency order, budgets, latency paths."""

    name: str
    file: str
    description: str | None
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    values: Mapping[str, Value]
    order: tuple[str, ...]  # derived values, each after what it uses
    budgets: tuple[Budget, ...]
    latency: tuple[LatencyPath, ...]
    units: UnitSystem
    hardware: Bindings
    "each `hardware:` name's catalog entry, and the catalog (shipped and the scenario's own files)"
    options: Mapping[str, tuple[HardwareOption, ...]] = field(default_factory=dict)
    "the entries a `hardware:` binding may take (`one_of:`), in the file's order; absent: any of its kind"
    samples: int = 20_000
    seed: int = 0
    risk: float = 0.05
    sig_figs: int = 3
    memory_budget: float = MEMORY_BUDGET_BYTES
    "bytes Monte Carlo (and a sweep) may hold: settings.memory_budget"
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)

    @property
    def inputs(self) -> list[Value]:
        return [v for v in self.values.values() if v.kind == "input"]

    @property
    def derived(self) -> list[Value]:
        return [self.values[name] for name in self.order]


@record
class CheckedScenario:
    """What the check stage returns: the resolved scenario with every value's dimension and display
    unit, every leaf's constant and every limit's unit found once. Nothing later changes it; a
    different hardware entry is a different set of figures for the same checked formulas."""

    resolved: Scenario
    "the resolved scenario, each of its values the checked one (a CheckedValue is a Value)"
    values: Mapping[str, CheckedValue]
    leaves: Mapping[Expr, float]
    "every literal (`730 hour`), unit standing alone and `ref.` figure of the formulas, in base units"
    figures: Mapping[FigureSlot, float]
    "every bound catalog figure a formula reads (`gpu.memory`), in base units: the compiled function's figure arguments"
    figure_dimensions: Mapping[FigureSlot, Dimension]
    limit_units: tuple[Unit | None, ...]
    "the unit each budget's limit was written in (`1 TB`), by budget position; None for a formula"
    path_units: Mapping[str, Unit | None]
    "the unit each latency path's budget was written in, by path name"
    option_figures: Mapping[str, tuple[Mapping[FigureSlot, float], ...]]
    "for a binding with `one_of:`, each option's figures (as `figures`), in the options' order"

    @property
    def name(self) -> str:
        return self.resolved.name

    @property
    def file(self) -> str:
        return self.resolved.file

    @property
    def description(self) -> str | None:
        return self.resolved.description

    @property
    def sources(self) -> tuple[str, ...]:
        return self.resolved.sources

    @property
    def tags(self) -> tuple[str, ...]:
        return self.resolved.tags

    @property
    def order(self) -> tuple[str, ...]:
        return self.resolved.order

    @property
    def budgets(self) -> tuple[Budget, ...]:
        return self.resolved.budgets

    @property
    def latency(self) -> tuple[LatencyPath, ...]:
        return self.resolved.latency

    @property
    def units(self) -> UnitSystem:
        return self.resolved.units

    @property
    def hardware(self) -> Bindings:
        return self.resolved.hardware

    @property
    def options(self) -> Mapping[str, tuple[HardwareOption, ...]]:
        return self.resolved.options

    @property
    def samples(self) -> int:
        return self.resolved.samples

    @property
    def seed(self) -> int:
        return self.resolved.seed

    @property
    def risk(self) -> float:
        return self.resolved.risk

    @property
    def sig_figs(self) -> int:
        return self.resolved.sig_figs

    @property
    def memory_budget(self) -> float:
        return self.resolved.memory_budget

    @property
    def correlations(self) -> Mapping[tuple[str, str], float]:
        return self.resolved.correlations

    @property
    def inputs(self) -> list[CheckedValue]:
        return [v for v in self.values.values() if v.kind == "input"]

    @property
    def derived(self) -> list[CheckedValue]:
        return [self.values[name] for name in self.order]
