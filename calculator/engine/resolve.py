"""Stages 3-4, parse and resolve: every text of a validated file parsed, every
name found (a value, a unit, or a catalog field), and derived values put in
dependency order, with cycles named.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import replace
from typing import Any

from calculator.catalog.entries import Bindings, with_user_files
from calculator.catalog.figures import Catalog, Entry
from calculator.common.errors import (
    FormulaSyntaxError,
    GrammarError,
    Location,
    Problems,
    ShapeError,
    UnknownNameError,
    UnknownUnitError,
    closest_or_all,
    did_you_mean,
)
from calculator.engine.scenario import Budget, HardwareOption, LatencyPath, Option, OptionForm, Options, Scenario, Stage, Value
from calculator.engine.uncertainty import MEMORY_BUDGET_BYTES, correlation_pairs
from calculator.file.document import Document
from calculator.file.shapes import (
    BudgetEntry,
    DerivedEntry,
    HardwareOptions,
    InputEntry,
    ParallelStage,
    PathBudgetEntry,
    ScenarioFile,
    SequenceStage,
    StageEntry,
)
from calculator.formula.expr import Field, Formula, Name, Number, Quantity, UnitFactor, end_of
from calculator.formula.parse import Distribution, Interval, parse_formula, parse_input, parse_unit
from calculator.units.system import UnitSystem

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED = {"ref", "to", "normal", "uniform"}
DEFAULT_WARN = 0.8
_BUDGET = re.compile(r"\s*(<=|>=|≤|≥|<|>)\s*(.*)", re.S)
_SAME_OP = {"≤": "<=", "≥": ">="}  # as every table prints them


def resolve(file: ScenarioFile, document: Document, problems: Problems) -> Scenario:
    """The scenario's texts parsed and its names resolved. A broken entry's error goes to
    `problems` and the entry is left out, with whatever uses it."""
    units = _declare_units(file, document)
    hardware, options = _bind_hardware(file, document)
    values = _inputs(file, document, problems)
    values.update(_derived(file, document, values, problems))
    risk = 0.0  # stands in for a broken risk: that is reported, and nothing runs
    with problems.entry():
        risk = _fraction(file.settings.risk, document.text_at("settings", "risk"))
    memory_budget = float(MEMORY_BUDGET_BYTES)
    if file.settings.memory_budget is not None:
        with problems.entry():
            memory_budget = _bytes(file.settings.memory_budget, document.text_at("settings", "memory_budget"), units)
    scenario = Scenario(
        name=file.name,
        file=document.file,
        description=file.description,
        sources=(file.source,) if isinstance(file.source, str) else tuple(file.source or ()),
        tags=tuple(file.tags),
        values=values,
        order=(),
        budgets=tuple(_budgets(file, document, values, problems)),
        latency=tuple(_latency(file, document, values, problems)),
        units=units,
        hardware=hardware,
        options=options,
        samples=file.settings.samples,
        seed=file.settings.seed,
        risk=risk,
        sig_figs=file.settings.sig_figs,
        memory_budget=memory_budget,
    )
    scenario = _dependency_order(_resolve_names(scenario, problems), problems)
    if not file.correlations:
        return scenario
    uncertain = {v.name for v in scenario.values.values() if v.uncertain}
    points = {v.name: (v.text, v.location) for v in scenario.values.values() if v.kind == "input" and not v.uncertain}
    with problems.entry():
        where = lambda key: document.where("correlations", tuple(key.split("|")))  # noqa: E731
        pairs = correlation_pairs(file.correlations, where, uncertain, points)
        scenario = replace(scenario, correlations=pairs)
    return scenario


WHOLE = "whole"  # `units: {shard: whole}`: a new counting dimension counted in whole numbers


def _declare_units(file: ScenarioFile, document: Document) -> UnitSystem:
    units = UnitSystem()
    for name, definition in sorted(file.units.items(), key=lambda item: item[1] is not None):
        where = document.where("units", name)
        if not IDENTIFIER.match(name):
            raise ShapeError(f"'{name}' is not a unit name (letters, digits and _)", where)
        if definition is None or definition.strip() == WHOLE:
            units.declare(name, None, where, whole=definition is not None)
            continue
        text_at = document.text_at("units", name)
        formula = parse_formula(definition, text_at)
        if not isinstance(formula.expr, Quantity):
            raise ShapeError(
                f"a unit alias is a number and a unit, like '1000 frame', not '{definition}'",
                text_at,
                hint=f"'{name}: null' is a new counting unit, '{name}: {WHOLE}' one counted in whole numbers",
            )
        base = units.unit(formula.expr.unit, text_at)
        scaled = type(base)(base.factor * formula.expr.value, base.dimension, base.text, base.factors)
        units.declare(name, scaled, where)
    return units


def _bind_hardware(file: ScenarioFile, document: Document) -> tuple[Bindings, dict[str, tuple[HardwareOption, ...]]]:
    """Each `hardware:` name bound to a catalog entry (of any kind), found as people type it; a binding
    with `one_of:` also gets its options, all of one kind, the point being `value:` or the first."""
    if not file.hardware and not file.catalog:
        return Bindings({}), {}  # most scenarios: the catalog is read only if a formula asks for `ref.`
    cat = with_user_files((path, document.text_at("catalog", path)) for path in file.catalog)
    bound: dict[str, Entry] = {}
    options: dict[str, tuple[HardwareOption, ...]] = {}
    for name, written in file.hardware.items():
        if not IDENTIFIER.match(name) or name in RESERVED:
            raise ShapeError(f"'{name}' cannot name a hardware binding", document.where("hardware", name))
        if isinstance(written, HardwareOptions):
            options[name] = _hardware_options(name, written, cat, document)
            bound[name] = _hardware_point(name, written, options[name], cat, document)
        else:
            bound[name] = cat.find(str(written), document.text_at("hardware", name))
    return Bindings(bound, cat), options


def _hardware_options(name: str, written: HardwareOptions, cat: Catalog, document: Document) -> tuple[HardwareOption, ...]:
    if not written.one_of:
        raise ShapeError(f"'{name}: one_of:' lists no entries", document.where("hardware", name, "one_of"))
    options: list[HardwareOption] = []
    for n, text in enumerate(written.one_of):
        where = document.text_at("hardware", name, "one_of", str(n))
        entry = cat.find(str(text), where)
        first = options[0].entry if options else entry
        if entry.kind != first.kind:
            raise ShapeError(
                f"'{text}' is an entry of kind '{entry.kind}'; the options of '{name}' are of kind '{first.kind}'",
                where,
                f"one binding takes entries of one kind ({first.id} is of kind '{first.kind}')",
            )
        if any(option.entry.id == entry.id for option in options):
            raise ShapeError(f"'{text}' is listed twice in the options of '{name}' (as {entry.id})", where)
        options.append(HardwareOption(entry, where))
    return tuple(options)


def _hardware_point(
    name: str, written: HardwareOptions, options: tuple[HardwareOption, ...], cat: Catalog, document: Document
) -> Entry:
    if written.value is None:
        return options[0].entry
    where = document.text_at("hardware", name, "value")
    entry = cat.find(str(written.value), where)
    if not any(option.entry.id == entry.id for option in options):
        raise ShapeError(
            f"'{written.value}' is not one of the options of '{name}'",
            where,
            "options: " + ", ".join(option.entry.id for option in options),
        )
    return entry


def _check_name(name: str, values: dict[str, Value], hardware: Container[str], where: Location) -> None:
    if not IDENTIFIER.match(name):
        raise ShapeError(f"'{name}' is not a name: use letters, digits and _, not starting with a digit", where)
    if name in RESERVED or name in hardware:
        raise ShapeError(f"'{name}' is reserved; pick another name", where)
    if name in values:
        raise ShapeError(f"'{name}' is both an input and a derived value; names must be unique", where)


def _inputs(file: ScenarioFile, document: Document, problems: Problems) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, raw in file.inputs.items():
        with problems.entry(name):
            values[name] = _input(name, raw, file, document, values)
    return values


def _input(name: str, raw: Any, file: ScenarioFile, document: Document, values: dict[str, Value]) -> Value:
    entry = raw if isinstance(raw, InputEntry) else InputEntry(value=raw)
    options = _options(name, entry, document) if isinstance(raw, InputEntry) else None
    if entry.value is not None:
        text = entry.value
        path: tuple[str, ...] = ("inputs", name, "value") if isinstance(raw, InputEntry) else ("inputs", name)
        text_at = document.text_at(*path)
    elif options is not None:  # the point value is the first option
        first = options.written[0]
        text, text_at = first.text, first.location
    else:
        raise ShapeError(
            f"input '{name}' has no value",
            document.where("inputs", name),
            hint="give it 'value:', or options to choose from: 'one_of:', 'range:' or 'powers_of_two:'",
        )
    spec, display = parse_input(text, text_at)
    if entry.unit is not None:
        display = parse_unit(entry.unit, document.text_at("inputs", name, "unit"))
    return Value(
        name,
        "input",
        text,
        document.where("inputs", name),
        text_at,
        entry.note,
        spec=spec,
        display_expr=display,
        uncertain=isinstance(spec, (Interval, Distribution)),
        integer=entry.integer,
        options=options,
    )


_OPTION_FORMS = ("one_of", "range", "powers_of_two")


def _options(name: str, entry: InputEntry, document: Document) -> Options | None:
    """The options an input lists, parsed; their units and values are checked with the input's (engine/check)."""
    forms = [form for form in _OPTION_FORMS if getattr(entry, form) is not None]
    if entry.step is not None and entry.range is None:
        raise ShapeError(
            f"'step:' of input '{name}' belongs to a 'range:'",
            document.where("inputs", name, "step"),
            hint="write range: [FROM, TO] beside it, or remove step:",
        )
    if not forms:
        return None
    if len(forms) > 1:
        raise ShapeError(
            f"input '{name}' lists its options twice ({' and '.join(f'{f}:' for f in forms)})",
            document.where("inputs", name, forms[1]),
            hint="keep one: one_of: [...], range: [FROM, TO] or powers_of_two: [FROM, TO]",
        )
    form: OptionForm = "one_of" if forms[0] == "one_of" else "range" if forms[0] == "range" else "powers_of_two"
    texts: list[str] = getattr(entry, form)
    where = document.where("inputs", name, form)
    if not texts:
        raise ShapeError(f"'{form}:' of input '{name}' lists no options", where, hint="list at least one, e.g. [1 gpu, 2 gpu]")
    if form != "one_of" and len(texts) != 2:
        raise ShapeError(
            f"'{form}:' of input '{name}' takes two quantities, [FROM, TO], not {len(texts)}",
            where,
            hint=f"e.g. {form}: [1 gpu, 64 gpu]" + (", step: 1 gpu" if form == "range" else ""),
        )
    written = tuple(_option(text, document.text_at("inputs", name, form, str(n))) for n, text in enumerate(texts))
    step = _option(entry.step, document.text_at("inputs", name, "step")) if entry.step is not None else None
    return Options(form, written, where, step, chosen_written=entry.value is not None)


def _option(text: str, where: Location) -> Option:
    spec, _ = parse_input(text, where)
    if isinstance(spec, (Interval, Distribution)):
        raise ShapeError(
            f"an option is one quantity, not '{text.strip()}'",
            where.shifted(0, len(text.rstrip())),
            hint="list each option as a fixed quantity; an uncertain input has no options to choose",
        )
    return Option(spec, where, text.strip())


def _derived(file: ScenarioFile, document: Document, values: dict[str, Value], problems: Problems) -> dict[str, Value]:
    known = set(file.inputs) | set(file.derived)  # a broken input is still a name, not a unit
    derived: dict[str, Value] = {}
    for name, raw in file.derived.items():
        with problems.entry(name):
            _check_name(name, values, file.hardware, document.where("derived", name))
            derived[name] = _derived_value(name, raw, document, known)
    return derived


def _derived_value(name: str, raw: Any, document: Document, known: set[str]) -> Value:
    entry = raw if isinstance(raw, DerivedEntry) else DerivedEntry(formula=raw)
    path = ("derived", name, "formula") if isinstance(raw, DerivedEntry) else ("derived", name)
    text_at = document.text_at(*path)
    formula = parse_formula(entry.formula, text_at, known.__contains__)
    display = formula.display
    if entry.unit is not None:
        if display is not None:
            raise ShapeError("two display units: use '-> unit' or 'unit:', not both", document.where("derived", name, "unit"))
        display = parse_unit(entry.unit, document.text_at("derived", name, "unit"))
    return Value(
        name,
        "derived",
        entry.formula,
        document.where("derived", name),
        text_at,
        entry.note,
        formula=formula,
        display_expr=display,
        drill=entry.drill,
        # the values it uses, once each: what a broken entry takes out with it is left out whole,
        # so every name here that is not left out stays a value
        depends=tuple(dict.fromkeys(n for n in formula.value_names if n in known)),
    )


def _budgets(file: ScenarioFile, document: Document, values: dict[str, Value], problems: Problems) -> list[Budget]:
    budgets: list[Budget] = []
    known = set(values) | problems.broken
    for name, raw in file.budgets.items():
        if name in problems.broken:
            continue  # its value is broken, and said so
        with problems.entry():
            budgets += _budget(name, raw, document, values, known)
    return budgets


def _budget(name: str, raw: str | BudgetEntry, document: Document, values: dict[str, Value], known: set[str]) -> list[Budget]:
    where = document.where("budgets", name)
    if name not in values:
        raise UnknownNameError(f"budget on unknown value '{name}'", where, closest_or_all(name, values, "values"))
    if isinstance(raw, str):
        text_at = document.text_at("budgets", name)
        op, limit, offset = _comparison(raw, text_at)
        formula = parse_formula(limit, text_at.after(offset), known.__contains__)
        return [Budget(name, op, formula, DEFAULT_WARN, where, text_at.after(offset))]
    return _budget_entry(name, raw, document, known)


def _budget_entry(name: str, entry: BudgetEntry, document: Document, known: set[str]) -> list[Budget]:
    where = document.where("budgets", name)
    warn = DEFAULT_WARN if entry.warn is None else _fraction(entry.warn, document.text_at("budgets", name, "warn"))
    percentile = None
    if entry.percentile is not None:
        percentile = _percentile(entry.percentile, document.text_at("budgets", name, "percentile"))
    budgets = []
    for op, key, text in (("<=", "max", entry.max), (">=", "min", entry.min)):
        if text is not None:
            text_at = document.text_at("budgets", name, key)
            limit = parse_formula(text, text_at, known.__contains__)
            budgets.append(Budget(name, op, limit, warn, where, text_at, entry.note, percentile))
    if not budgets:
        if percentile is not None:
            raise ShapeError(
                f"budget on '{name}' has a percentile but no limit to judge it against",
                where,
                hint=f"add the limit: {{max: LIMIT, percentile: {entry.percentile}}} (or min:)",
            )
        raise ShapeError(f"budget on '{name}' has neither max nor min", where)
    return budgets


def _percentile(text: str, where: Location) -> float:
    """A percentile like '95%' or '0.95', as a quantile strictly between 0 and 1."""
    formula = parse_formula(text, where)
    if not isinstance(formula.expr, Number) or not 0 < formula.expr.value < 1:
        raise ShapeError(
            f"a percentile is more than 0% and less than 100%, not '{text}'",
            where,
            hint="e.g. 95% for a p95, 99% for a p99",
        )
    return formula.expr.value


def _comparison(text: str, where: Location) -> tuple[str, str, int]:
    match = _BUDGET.match(text)
    if not match:
        raise FormulaSyntaxError(
            f"a budget is '<= LIMIT', '< LIMIT', '>= LIMIT' or '> LIMIT' (or ≤ ≥), not '{text}'",
            where,
            hint="or a mapping: {max: LIMIT, min: LIMIT, warn: 80%}",
        )
    return _SAME_OP.get(match.group(1), match.group(1)), match.group(2), match.start(2)


def _fraction(text: str, where: Location) -> float:
    """A share like '80%' or '0.8'."""
    formula = parse_formula(text, where)
    if not isinstance(formula.expr, Number) or not 0 < formula.expr.value <= 1:
        raise ShapeError(f"expected a share between 0% and 100%, not '{text}'", where)
    return formula.expr.value


def _bytes(text: str, where: Location, units: UnitSystem) -> float:
    """A size like '512 MB' in bytes."""
    formula = parse_formula(text, where)
    byte = units.unit((UnitFactor("byte", 1.0, 0),), where)
    if isinstance(formula.expr, Quantity):
        size = units.unit(formula.expr.unit, where)
        if size.dimension == byte.dimension and formula.expr.value > 0:
            return formula.expr.value * size.factor / byte.factor
    raise ShapeError(f"expected a size above zero like '512 MB' or '2 GB', not '{text}'", where)


def _latency(file: ScenarioFile, document: Document, values: dict[str, Value], problems: Problems) -> list[LatencyPath]:
    paths = []
    known = set(values) | problems.broken
    for name, entry in file.latency.items():
        with problems.entry():
            paths.append(_latency_path(name, entry, document, known))
    return paths


def _latency_path(name: str, entry: Any, document: Document, known: set[str]) -> LatencyPath:
    path = ("latency", name)
    warn = DEFAULT_WARN if entry.warn is None else _fraction(entry.warn, document.text_at(*path, "warn"))
    budget_text, budget_at, percentile = _path_budget(name, entry.budget, document)
    stages = tuple(_stages(entry.stages, (*path, "stages"), document, known))
    if not stages:
        raise ShapeError(f"latency path '{name}' has no stages", document.where(*path, "stages"))
    return LatencyPath(
        name,
        parse_formula(budget_text, budget_at, known.__contains__),
        stages,
        warn,
        document.where(*path),
        budget_at,
        entry.note,
        percentile=percentile,
    )


def _path_budget(name: str, budget: str | PathBudgetEntry, document: Document) -> tuple[str, Location, float | None]:
    """A path's limit (its text and where it is) and the percentile it is judged at, if any."""
    path = ("latency", name, "budget")
    if isinstance(budget, str):
        return budget, document.text_at(*path), None
    if budget.min is not None:
        raise ShapeError(
            f"latency path '{name}' has a min: a path's budget is an upper limit",
            document.where(*path, "min"),
            hint="write {max: LIMIT, percentile: 99%}; for a floor on a value, use budgets:",
        )
    percentile = None if budget.percentile is None else _percentile(budget.percentile, document.text_at(*path, "percentile"))
    if budget.max is None:
        raise ShapeError(
            f"latency path '{name}' has a budget without max: no limit to judge the total against",
            document.where(*path),
            hint="write {max: 200 ms, percentile: 99%}",
        )
    return budget.max, document.text_at(*path, "max"), percentile


def _stages(raw: dict[str, Any], path: tuple[str, ...], document: Document, known: set[str]) -> list[Stage]:
    stages = []
    for name, entry in raw.items():
        where = document.where(*path, name)
        if isinstance(entry, (str, StageEntry)):
            text = entry if isinstance(entry, str) else entry.value
            text_at = document.text_at(*path, name) if isinstance(entry, str) else document.text_at(*path, name, "value")
            note = None if isinstance(entry, str) else entry.note
            stages.append(Stage(name, where, text_at, parse_formula(text, text_at, known.__contains__), note=note))
        elif isinstance(entry, ParallelStage):
            children = _stages(entry.parallel, (*path, name, "parallel"), document, known)
            stages.append(Stage(name, where, where, parallel=tuple(children), note=entry.note))
        elif isinstance(entry, SequenceStage):
            children = _stages(entry.sequence, (*path, name, "sequence"), document, known)
            stages.append(Stage(name, where, where, sequence=tuple(children), note=entry.note))
    return stages


def _resolve_names(scenario: Scenario, problems: Problems) -> Scenario:
    """Every name is a value or a unit, and every field is in the catalog; an entry with a name
    that is neither is left out, and so is all that uses a broken entry."""
    for value in scenario.values.values():
        if value.formula:
            with problems.entry(value.name):
                _resolve_formula(value.formula, value.text_location, scenario, problems)
    budgets, paths = [], []
    for budget in scenario.budgets:
        with problems.entry():
            _resolve_formula(budget.limit, budget.text_location, scenario, problems)
            budgets.append(budget)
    for path in scenario.latency:
        with problems.entry():
            for formula, where in [(path.budget, path.text_location), *((f, s.text_location) for s, f in path.formulas())]:
                _resolve_formula(formula, where, scenario, problems)
            paths.append(path)
    return _leave_out_broken(replace(scenario, budgets=tuple(budgets), latency=tuple(paths)), problems)


def _resolve_formula(formula: Formula, where: Location, scenario: Scenario, problems: Problems) -> None:
    for node in formula.names:  # a value's name needs no place: only a unit or a field may be wrong
        if isinstance(node, Field):
            at = where.shifted(node.offset, end_of(node))
            _resolve_field(node, scenario, at, where.shifted(node.offset + len(node.base) + 1, end_of(node)))
        elif node.name not in scenario.values and node.name not in problems.broken:
            _resolve_unit_name(node, scenario, where.shifted(node.offset, end_of(node)))


def _leave_out_broken(scenario: Scenario, problems: Problems) -> Scenario:
    """Broken values out of the scenario, and (silently: their cause is reported) every value,
    budget and latency path that uses one, until nothing left uses a broken name."""

    if not problems.broken:
        return scenario  # nothing to leave out (the usual case: no walk of every formula)

    def uses_broken(formula: Formula) -> bool:
        return problems.blocks(formula.value_names)

    values = dict(scenario.values)
    changed = True
    while changed:
        changed = False
        for value in list(values.values()):
            if value.name in problems.broken or (value.formula and uses_broken(value.formula)):
                problems.broken.add(value.name)
                del values[value.name]
                changed = True
    budgets = tuple(b for b in scenario.budgets if b.name in values and not uses_broken(b.limit))
    latency = tuple(p for p in scenario.latency if not uses_broken(p.budget) and not any(uses_broken(f) for _, f in p.formulas()))
    return replace(scenario, values=values, budgets=budgets, latency=latency)


def _resolve_unit_name(node: Name, scenario: Scenario, at: Location) -> None:
    try:
        scenario.units.lookup(node.name, at)
    except UnknownUnitError:
        hint = did_you_mean(node.name, scenario.values)
        raise UnknownNameError(f"unknown name '{node.name}': not a value of this scenario, nor a unit", at, hint) from None


def _resolve_field(node: Field, scenario: Scenario, at: Location, field_at: Location) -> None:
    cat = scenario.hardware.catalog
    if node.base == "ref":
        if node.field not in cat.reference:
            raise UnknownNameError(
                f"no reference number 'ref.{node.field}'",
                field_at,
                did_you_mean(node.field, cat.reference) or "see 'envelope catalog ref'",
            )
        return
    if node.base not in scenario.hardware:
        hint = "bind it under 'hardware:', e.g. hardware: {gpu: H100-SXM}"
        raise UnknownNameError(
            f"'{node.base}' is not a hardware binding or 'ref'", at, did_you_mean(node.base, scenario.hardware) or hint
        )
    entry = scenario.hardware[node.base]
    if node.field in entry.labels:
        raise GrammarError(
            f"{node.base}.{node.field} is text ('{entry.labels[node.field].text}'), not a number",
            field_at,
            "formulas read numeric fields: " + ", ".join(entry.figures),
        )
    if node.field not in entry.figures:
        raise UnknownNameError(
            f"catalog entry {entry.id} has no field '{node.field}'",
            field_at,
            did_you_mean(node.field, entry.figures) or "fields: " + ", ".join(entry.figures),
        )


def field_figure_text(node: Field, bindings: Bindings) -> tuple[str, Location]:
    """The text and place of the catalog figure a field names (a user catalog's figure is placed in its file)."""
    figure = bindings.catalog.reference[node.field] if node.base == "ref" else bindings[node.base].figures[node.field]
    return figure.text, figure.location


def _dependency_order(scenario: Scenario, problems: Problems) -> Scenario:
    """Derived names each after the values it uses (`depends`, set where each value is made); a cycle is
    an error naming it, and its values are left out (with what uses them)."""
    while True:
        try:
            return replace(scenario, order=tuple(_ordered(scenario)))
        except CycleError as cycle:
            problems.errors.append(cycle)
            problems.broken.update(cycle.names)
            scenario = _leave_out_broken(scenario, problems)


def _ordered(scenario: Scenario) -> list[str]:
    derived = {v.name: v for v in scenario.values.values() if v.kind == "derived"}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in derived:
        _visit(root, derived, state, order)
    return order


class CycleError(ShapeError):
    """Derived values that depend on each other, in a ring."""

    def __init__(self, names: list[str], location: Location):
        super().__init__(
            f"cycle: {' -> '.join(names)}", location, hint="a derived value cannot depend on itself; make one of them an input"
        )
        self.names = names


def _visit(root: str, derived: dict[str, Value], state: dict[str, int], order: list[str]) -> None:
    """Depth-first from `root`, with an explicit stack so long chains cannot overflow."""
    trail: list[str] = []
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        name, next_child = stack.pop()
        if next_child == 0:
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                cycle = [*trail[trail.index(name) :], name]
                raise CycleError(cycle, derived[name].location)
            state[name] = 1
            trail.append(name)
        children = [d for d in derived[name].depends if d in derived]
        if next_child < len(children):
            stack.append((name, next_child + 1))
            stack.append((children[next_child], 0))
            continue
        trail.pop()
        state[name] = 2
        order.append(name)
