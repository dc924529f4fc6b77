"""The engine's model of a scenario, as the stages after `validate` fill it in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from calculator.catalog.entries import Bindings
from calculator.common.errors import Location
from calculator.engine.uncertainty import MEMORY_BUDGET_BYTES, Spread
from calculator.formula.expr import Formula, UnitExpr
from calculator.formula.parse import InputSpec
from calculator.units.system import DIMENSIONLESS, Dimension, Unit, UnitSystem


@dataclass
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
    # Filled by the unit check:
    dimension: Dimension = DIMENSIONLESS
    display: Unit | None = None  # explicit (`-> unit`, `unit:`) or the unit an input was written in
    point: float = 0.0  # inputs: the value in base units (the median when uncertain)
    uncertain: bool = False
    spread: Spread | None = None  # inputs written as a distribution
    drill: bool = False  # derived values marked `drill: true`: asked in `envelope drill`
    integer: bool = False  # inputs marked `integer: true`: solved to whole numbers


@dataclass
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


@dataclass
class Stage:
    """One stage of a latency path: a duration, or branches run in parallel or in sequence."""

    name: str
    location: Location
    text_location: Location
    formula: Formula | None = None
    parallel: list[Stage] | None = None
    sequence: list[Stage] | None = None
    note: str | None = None

    def formulas(self) -> list[tuple[Stage, Formula]]:
        if self.formula is not None:
            return [(self, self.formula)]
        return [pair for child in (self.parallel or self.sequence or []) for pair in child.formulas()]


@dataclass
class LatencyPath:
    """A request path: the sum of its stages against a budget."""

    name: str
    budget: Formula
    stages: list[Stage]
    warn: float
    location: Location
    text_location: Location
    note: str | None = None
    display: Unit | None = None
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


@dataclass
class Scenario:
    """A checked scenario: values in dependency order, budgets, latency paths."""

    name: str
    file: str
    description: str | None
    sources: list[str]
    tags: list[str]
    values: dict[str, Value]
    order: list[str]  # derived values, each after what it uses
    budgets: list[Budget]
    latency: list[LatencyPath]
    units: UnitSystem
    hardware: Bindings
    "each `hardware:` name's catalog entry, and the catalog (shipped and the scenario's own files)"
    samples: int = 20_000
    seed: int = 0
    risk: float = 0.05
    sig_figs: int = 3
    memory_budget: float = MEMORY_BUDGET_BYTES
    "bytes Monte Carlo (and a sweep) may hold: settings.memory_budget"
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def inputs(self) -> list[Value]:
        return [v for v in self.values.values() if v.kind == "input"]

    @property
    def derived(self) -> list[Value]:
        return [self.values[name] for name in self.order]
