"""Read-only views of a loaded scenario, for clients (the TUI, notebooks) that show it.

A view is plain frozen data built from the checked scenario: the text as
written, where it was written, what uses what. Clients read these instead of
the engine's mutable `Scenario`, so the engine may change how it keeps a
scenario without breaking them.
"""

from __future__ import annotations

from collections.abc import Mapping

from calculator.catalog.figures import Figure
from calculator.common.errors import Location
from calculator.common.records import record
from calculator.engine.scenario import CheckedScenario, CheckedValue, Stage


@record
class InputView:
    """An input as the file writes it; `low`/`high` are its 5th/95th percentiles in base units when uncertain."""

    name: str
    text: str  # as written
    note: str | None
    source: Location  # of its key, in the file that holds it (a base file for an inherited input)
    unit: str  # the unit it is shown in ("" for a plain number)
    dimension: str  # spoken of as a unit: "request / second"
    uncertain: bool
    low: float | None
    high: float | None
    used_by: tuple[str, ...]  # derived values whose formulas name it
    options: tuple[str, ...] = ()  # the options to choose from, as people write them ('4 gpu'); () for none


@record
class DerivedView:
    name: str
    formula: str  # the formula's text as written
    note: str | None
    source: Location
    depends: tuple[str, ...]  # the values its formula names


@record
class BudgetView:
    name: str  # the value it limits
    op: str  # <= < >= >
    limit: str  # the limit's text as written
    warn: float  # the share of the limit at which it warns
    note: str | None
    source: Location


@record
class StageView:
    """A stage of a latency path: a duration (`formula`), or branches in parallel or in sequence."""

    name: str
    formula: str | None
    note: str | None
    parallel: tuple[StageView, ...] = ()
    sequence: tuple[StageView, ...] = ()

    @property
    def children(self) -> tuple[StageView, ...]:
        return self.parallel or self.sequence


@record
class PathView:
    name: str
    budget: str  # the budget's text as written
    warn: float
    note: str | None
    source: Location
    stages: tuple[StageView, ...]

    def stage(self, names: tuple[str, ...] | list[str]) -> StageView | None:
        """The stage at `names` (a path of stage names down the tree), or None."""
        stages, found = self.stages, None
        for name in names:
            found = next((s for s in stages if s.name == name), None)
            if found is None:
                return None
            stages = found.children
        return found


@record
class EntryView:
    """A catalog entry a binding may take: its id, what it is, and its figures (name → text with unit)."""

    id: str
    description: str
    figures: tuple[tuple[str, str], ...]


@record
class BindingView:
    """A `hardware:` binding: a name in formulas → a catalog entry and its figures (name → text with unit).

    `options` are the entries it may take: its `one_of:` list, or (`fixed` False) every catalog entry of
    its kind when the file lists none; `fields` are the figures the formulas read through it."""

    name: str
    entry: str
    figures: tuple[tuple[str, str], ...]
    kind: str = ""
    options: tuple[EntryView, ...] = ()
    listed: bool = False
    "True when the options are the file's `one_of:` list"
    fields: tuple[str, ...] = ()


@record
class ScenarioView:
    name: str
    file: str
    description: str | None
    tags: tuple[str, ...]
    inputs: tuple[InputView, ...]
    derived: tuple[DerivedView, ...]  # each after what it uses
    budgets: tuple[BudgetView, ...]
    latency: tuple[PathView, ...]
    bindings: tuple[BindingView, ...]
    files: tuple[str, ...]  # every file read: the scenario first, then its `extends:` chain

    def kind_of(self, name: str) -> str | None:
        """ "input" or "derived" for a value of the scenario, None for any other name."""
        if self.input(name) is not None:
            return "input"
        return "derived" if self.derived_value(name) is not None else None

    def input(self, name: str) -> InputView | None:
        return next((v for v in self.inputs if v.name == name), None)

    def derived_value(self, name: str) -> DerivedView | None:
        return next((v for v in self.derived if v.name == name), None)

    def path(self, name: str) -> PathView | None:
        return next((p for p in self.latency if p.name == name), None)


def scenario_view(scenario: CheckedScenario) -> ScenarioView:
    """The view of a checked scenario."""
    derived = scenario.derived
    inputs = tuple(_input(v, tuple(d.name for d in derived if v.name in d.depends), scenario) for v in scenario.inputs)
    budgets = tuple(BudgetView(b.name, b.op, b.limit.text, b.warn, b.note, b.location) for b in scenario.budgets)
    latency = tuple(
        PathView(p.name, p.budget.text, p.warn, p.note, p.location, tuple(map(_stage, p.stages))) for p in scenario.latency
    )
    return ScenarioView(
        scenario.name,
        scenario.file,
        scenario.description,
        tuple(scenario.tags),
        inputs,
        tuple(DerivedView(v.name, v.formula.text if v.formula else v.text, v.note, v.location, v.depends) for v in derived),
        budgets,
        latency,
        _bindings(scenario),
        _files(scenario),
    )


def _input(value: CheckedValue, used_by: tuple[str, ...], scenario: CheckedScenario) -> InputView:
    low = high = None
    if value.spread is not None:
        low, _, high = value.spread.quantiles()
    unit = value.display.text if value.display is not None else ""
    return InputView(
        value.name,
        value.text,
        value.note,
        value.location,
        unit,
        scenario.units.dimension_text(value.dimension),
        value.uncertain,
        low,
        high,
        used_by,
        tuple(choice.text for choice in value.choices),
    )


def _stage(stage: Stage) -> StageView:
    return StageView(
        stage.name,
        stage.formula.text if stage.formula else None,
        stage.note,
        tuple(map(_stage, stage.parallel or ())),
        tuple(map(_stage, stage.sequence or ())),
    )


def _bindings(scenario: CheckedScenario) -> tuple[BindingView, ...]:
    views = []
    for name, entry in scenario.hardware.items():
        listed = name in scenario.options
        if listed:
            entries = [option.entry for option in scenario.options[name]]
        else:  # every entry of its kind that has the figures the formulas read
            used = [slot.field for slot in scenario.figures if slot.binding == name]
            of_kind = scenario.hardware.catalog.of_kind(entry.kind)
            entries = [e for e in of_kind if all(f in e.figures for f in used)]
        options = tuple(EntryView(e.id, e.description, _figures(e.figures)) for e in entries)
        fields = tuple(slot.field for slot in scenario.figures if slot.binding == name)
        views.append(BindingView(name, entry.id, _figures(entry.figures), entry.kind, options, listed, fields))
    return tuple(views)


def _figures(figures: Mapping[str, Figure]) -> tuple[tuple[str, str], ...]:
    return tuple((key, figure.text) for key, figure in figures.items())


def _files(scenario: CheckedScenario) -> tuple[str, ...]:
    """The scenario's file, then every other file a value, budget or path comes from (its bases)."""
    places = [v.location for v in scenario.values.values()] + [b.location for b in scenario.budgets]
    places += [p.location for p in scenario.latency]
    return tuple(dict.fromkeys([scenario.file, *(place.file for place in places if place.file)]))
