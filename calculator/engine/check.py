"""Stage 5, check units: every formula's dimension, once, at load.

The stage returns a `CheckedScenario` (frozen): each value's dimension and
display unit, each input's point value in base units, every leaf (a literal
like `730 hour`, a unit standing alone, a `ref.` figure) in base units, every
bound catalog figure (`gpu.memory`) as a figure slot, and every limit's unit —
so compiling and evaluating are plain arithmetic. The `Checker` is this
stage's working state and ends with it; a later text to check (a `--set`, a
drill answer, another catalog entry) gets a checker of its own.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import cast

from calculator.catalog.figures import Entry
from calculator.common.errors import (
    DimensionError,
    EnvelopeError,
    EvaluationError,
    GrammarError,
    Location,
    Problems,
    ShapeError,
    UnknownNameError,
    UnknownUnitError,
    UsageError,
    did_you_mean,
)
from calculator.common.records import evolve, widen
from calculator.engine.resolve import field_figure_text
from calculator.engine.scenario import (
    Budget,
    CheckedScenario,
    CheckedValue,
    Choice,
    LatencyPath,
    Option,
    Options,
    Scenario,
    Value,
)
from calculator.engine.slots import FigureSlot
from calculator.engine.uncertainty import Spread
from calculator.formula.expr import (
    QUEUEING,
    ROUNDING,
    Binary,
    Call,
    Expr,
    Field,
    Formula,
    Name,
    Number,
    Quantity,
    Unary,
    UnitExpr,
    UnitFactor,
    end_of,
    names_in,
    to_text,
)
from calculator.formula.numeric import NegativeBaseError, interpret
from calculator.formula.parse import MULTIPLIERS, Distribution, Interval, parse_formula
from calculator.units.system import DIMENSIONLESS, Dimension, Unit, UnitSystem

MAX_DIMENSION_POWER = 64
_TIME = Dimension.of({"[time]": 1})


class Checker:
    """Dimensions and base-unit constants for one scenario's formulas."""

    def __init__(self, scenario: Scenario, units: UnitSystem | None = None, dimensions: Mapping[str, Dimension] | None = None):
        self.scenario = scenario
        self.units: UnitSystem = scenario.units if units is None else units
        self.dimensions: dict[str, Dimension] = dict(dimensions or {})  # each value's, as the check finds them
        self.displays: dict[str, Unit | None] = {}
        self.leaves: dict[Expr, tuple[float, Dimension]] = {}
        self.figures: dict[FigureSlot, tuple[float, Dimension]] = {}  # bound catalog figures the formulas read

    # -- leaves --------------------------------------------------------------------
    def leaf(self, node: Expr, where: Location) -> tuple[float, Dimension]:
        """A literal, a unit standing alone or a catalog field, in base units (`where`: the start
        of the formula's text, which node offsets count from)."""
        if node in self.leaves:
            return self.leaves[node]
        if isinstance(node, Quantity):
            unit = self.unit_of_literal(node, where)
            result = (node.value * unit.factor, unit.dimension)
        elif isinstance(node, Name):
            info = self.units.lookup(node.name, where.shifted(node.offset, end_of(node)))
            result = (info.factor, info.dimension)
        else:
            assert isinstance(node, Field)
            result = self.field(node)
            if node.base != "ref":  # a bound figure is an argument of the compiled function, not a constant
                self.figures[FigureSlot(node.base, node.field)] = result
                return result
        self.leaves[node] = result
        return result

    def unit_of_literal(self, node: Quantity, where: Location) -> Unit:
        first = node.unit[0].name
        if first in MULTIPLIERS and len(node.unit) > 0:
            try:
                return self.units.unit(node.unit, where)
            except (UnknownUnitError, GrammarError) as error:
                rest = " ".join(f.name for f in node.unit[1:])
                raise type(error)(
                    error.message, error.location, f"did you mean {node.value:g}{first}{' ' + rest if rest else ''}?"
                ) from None
        return self.units.unit(node.unit, where)

    def field(self, node: Field) -> tuple[float, Dimension]:
        text, where = field_figure_text(node, self.scenario.hardware)
        figure = parse_formula(text, where)
        catalog_checker = Checker(self.scenario, UnitSystem())  # a catalog figure is read in envelope's units only
        dimension = catalog_checker.dimension(figure.expr, where)
        return catalog_checker.constant(figure.expr, where), dimension

    def constant(self, expr: Expr, where: Location) -> float:
        """The value of an expression with no scenario names in it, in base units; a division by zero,
        an overflow or a value outside the reals is an EvaluationError at the part that fails, exactly
        as in a derived formula (an input, `--set`, a sweep bound, a unit's exponent)."""
        leaf = lambda node: self.leaf(node, where)[0]  # noqa: E731
        try:
            result = interpret(expr, {}, leaf)
        except (ArithmeticError, ValueError, TypeError):
            result = math.nan
        if math.isfinite(result):
            return result
        raise first_failure(expr, {}, leaf, where) or EvaluationError(
            f"'{to_text(expr)}' is not a finite number", where.shifted(expr.offset, end_of(expr))
        )

    # -- dimensions ----------------------------------------------------------------
    def dimension(self, expr: Expr, where: Location) -> Dimension:
        """The dimension of `expr`, or an error at the node that breaks the rules."""
        if isinstance(expr, Number):
            return DIMENSIONLESS
        if isinstance(expr, Name) and expr.name in self.scenario.values:
            return self.dimensions[expr.name]
        if isinstance(expr, (Quantity, Name, Field)):
            return self.leaf(expr, where)[1]
        if isinstance(expr, Unary):
            return self.dimension(expr.operand, where)
        if isinstance(expr, Binary):
            return self.binary(expr, where)
        assert isinstance(expr, Call)
        return self.call(expr, where)

    def binary(self, expr: Binary, where: Location) -> Dimension:
        left = self.dimension(expr.left, where)
        if expr.op == "**":
            return self.power(expr, left, where)
        right = self.dimension(expr.right, where)
        if expr.op in "+-":
            if left != right:
                verb = "add" if expr.op == "+" else "subtract"
                raise DimensionError(
                    f"cannot {verb} '{self.units.dimension_text(left)}' and '{self.units.dimension_text(right)}'"
                    f" in '{to_text(expr)}'",
                    where.shifted(expr.offset, end_of(expr)),
                    _conversion_hint(right, left, self.units),
                )
            return left
        return left * right if expr.op == "*" else left / right

    def power(self, expr: Binary, base: Dimension, where: Location) -> Dimension:
        exponent_dimension = self.dimension(expr.right, where)
        at = where.shifted(expr.offset, end_of(expr))
        if not exponent_dimension.dimensionless:
            raise DimensionError(f"an exponent must be dimensionless, not '{self.units.dimension_text(exponent_dimension)}'", at)
        if base.dimensionless:
            return DIMENSIONLESS
        if any(isinstance(n, Name) and n.name in self.scenario.values for n in names_in(expr.right)):
            raise DimensionError(f"'{self.units.dimension_text(base)}' can only be raised to a fixed number, not a value", at)
        exponent = self.constant(expr.right, where)
        largest = max(abs(p) for _, p in base.exponents) * abs(exponent)
        if not math.isfinite(largest) or largest > MAX_DIMENSION_POWER:
            raise DimensionError(f"power too large: '{self.units.dimension_text(base)}' to the {exponent:g}", at)
        return base**exponent

    def call(self, expr: Call, where: Location) -> Dimension:
        args = [self.dimension(a, where) for a in expr.args]
        at = where.shifted(expr.offset, end_of(expr))
        if expr.function in QUEUEING:
            return self.queue_call(expr, args, where)
        arity = {"min": None, "max": None}.get(expr.function, 1)
        if arity is None and len(args) < 2:
            raise GrammarError(f"{expr.function}() takes two or more arguments, not {len(args)}", at)
        if arity is not None and len(args) != arity:
            raise GrammarError(f"{expr.function}() takes one argument, not {len(args)}", at)
        if expr.function in ("min", "max"):
            for other in args[1:]:
                if other != args[0]:
                    raise DimensionError(
                        f"cannot compare '{self.units.dimension_text(args[0])}' and"
                        f" '{self.units.dimension_text(other)}' in {expr.function}()",
                        at,
                    )
            return args[0]
        (arg,) = args
        if expr.function in ROUNDING and not arg.counting:
            raise DimensionError(
                f"{expr.function}() takes a dimensionless or counting quantity (gpu, request, ...),"
                f" not '{self.units.dimension_text(arg)}': rounding 1.5 km depends on the unit",
                at,
                hint=f"divide by a unit first, e.g. {expr.function}(x / (1 {self.units.dimension_text(arg)}))",
            )
        if expr.function == "sqrt":
            return arg**0.5
        if expr.function in ("log", "log2", "log10", "exp") and not arg.dimensionless:
            raise DimensionError(f"{expr.function}() takes a dimensionless number, not '{self.units.dimension_text(arg)}'", at)
        return arg

    def queue_call(self, expr: Call, args: list[Dimension], where: Location) -> Dimension:
        """utilization, erlang_c, queue_wait (with an optional quantile) and batch_wait: each argument
        has its role's dimension; the result is a duration or a share."""
        roles = _QUEUE_ROLES[expr.function]
        required = sum(1 for role in roles if not role.endswith("?"))
        if not required <= len(args) <= len(roles):
            wanted = ", ".join(role.rstrip("?") for role in roles)
            raise GrammarError(
                f"{expr.function}() takes ({wanted}), not {len(args)} argument{'s' if len(args) != 1 else ''}",
                where.shifted(expr.offset, end_of(expr)),
                hint=f"e.g. {_QUEUE_EXAMPLES[expr.function]}",
            )
        for role, arg, node in zip(roles, args, expr.args, strict=False):
            role = role.rstrip("?")
            if not _ROLE_TESTS[role](arg):
                raise DimensionError(
                    f"the {role} of {expr.function}() must be {_ROLE_WORDS[role]}, not '{self.units.dimension_text(arg)}'",
                    where.shifted(node.offset, end_of(node)),
                    hint=f"e.g. {_QUEUE_EXAMPLES[expr.function]}",
                )
        constant_quantile = len(args) == 4 and not any(isinstance(n, (Name, Field)) for n in names_in(expr.args[3]))
        if expr.function == "queue_wait" and constant_quantile:
            quantile = self.constant(expr.args[3], where)
            if not 0 < quantile < 1:
                node = expr.args[3]
                raise EvaluationError(
                    f"the quantile of queue_wait() must be between 0% and 100%, not {quantile:.6g}",
                    where.shifted(node.offset, end_of(node)),
                    hint="e.g. 99% for the p99 wait",
                )
        return _TIME if expr.function in ("queue_wait", "general_queue_wait", "batch_wait") else DIMENSIONLESS

    # -- display units -------------------------------------------------------------
    def display(self, unit: UnitExpr, dimension: Dimension, what: str, where: Location) -> Unit:
        """A `-> unit` or `unit:`, which must have the value's dimension."""
        shown = self.units.unit(unit, where)
        if shown.dimension != dimension:
            raise DimensionError(
                f"{what} is in '{self.units.dimension_text(dimension)}'; it cannot be shown in '{shown.text}'",
                where.shifted(unit[0].offset, unit[-1].offset + len(unit[-1].name)),
                _conversion_hint(dimension, shown.dimension, self.units),
            )
        return shown


# Each queue function's arguments by role ("?": optional) and what each role's dimension must be.
_QUEUE_ROLES: dict[str, tuple[str, ...]] = {
    "utilization": ("rate", "service_time", "servers"),
    "erlang_c": ("rate", "service_time", "servers"),
    "queue_wait": ("rate", "service_time", "servers", "quantile?"),
    "general_queue_wait": ("rate", "service_time", "servers", "service_cv", "arrival_cv?"),
    "batch_wait": ("rate", "batch", "timeout"),
}
_ROLE_TESTS = {
    "rate": lambda d: (d * _TIME).counting,
    "service_time": lambda d: (d / _TIME).counting,
    "servers": lambda d: d.counting,
    "batch": lambda d: d.counting,
    "quantile": lambda d: d.dimensionless,
    "service_cv": lambda d: d.dimensionless,
    "arrival_cv": lambda d: d.dimensionless,
    "timeout": lambda d: d == _TIME,
}
_ROLE_WORDS = {
    "rate": "a count per time (request/s)",
    "service_time": "a duration per request (20 ms, or 20 ms/request)",
    "servers": "a count (replica, gpu, or a plain number)",
    "batch": "a count (request, or a plain number)",
    "quantile": "a plain share (99%)",
    "service_cv": "a plain number (the service time's standard deviation over its mean: 0 for a fixed time, 1 exponential)",
    "arrival_cv": "a plain number (the gaps between arrivals' standard deviation over their mean: 1 for Poisson)",
    "timeout": "a duration (5 ms)",
}
_QUEUE_EXAMPLES = {
    "utilization": "utilization(peak_qps, 20 ms/request, replicas)",
    "erlang_c": "erlang_c(peak_qps, 20 ms/request, replicas)",
    "queue_wait": "queue_wait(peak_qps, 20 ms/request, replicas, 99%)",
    "general_queue_wait": "general_queue_wait(peak_qps, 20 ms/request, replicas, 0.5)",
    "batch_wait": "batch_wait(peak_qps, 32, 5 ms)",
}


def _conversion_hint(actual: Dimension, wanted: Dimension, units: UnitSystem) -> str | None:
    """What turns `actual` into `wanted`: a forgotten 'per day' is the classic."""
    missing = wanted / actual
    if missing.dimensionless:
        return None
    if missing == _TIME**-1:
        return "divide by a time: a forgotten 'per day' or 'per second'?"
    if missing == _TIME:
        return "multiply by a time: a rate needs a duration to become an amount"
    if len(missing.exponents) == 1 and missing.exponents[0][1] < 0:
        return f"divide by something in '{units.dimension_text(missing**-1)}'"
    return f"multiply by something in '{units.dimension_text(missing)}'"


def check(scenario: Scenario, problems: Problems) -> CheckedScenario:
    """Dimensions, display units and input values for the whole scenario. Each entry is checked
    on its own: its error goes to `problems`, and what uses a broken value is not checked."""
    checker = Checker(scenario)
    checked: dict[str, CheckedValue] = {}
    for value in scenario.inputs:
        with problems.entry(value.name):
            checked[value.name] = check_input(checker, value)
            checker.dimensions[value.name] = checked[value.name].dimension
    for name in scenario.order:
        value = scenario.values[name]
        if problems.blocks(value.depends):
            problems.broken.add(name)
            continue
        with problems.entry(name):
            checked[name] = _check_derived(checker, value)
            checker.dimensions[name] = checked[name].dimension
    limit_units = []
    for budget in scenario.budgets:
        if not problems.blocks((budget.name, *budget.limit.value_names)):
            with problems.entry():
                _check_budget(checker, budget)
        limit_units.append(_written_unit(checker, budget))
    path_units: dict[str, Unit | None] = {}
    for path in scenario.latency:
        if not problems.blocks(n for formula in (path.budget, *(f for _, f in path.formulas())) for n in formula.value_names):
            with problems.entry():
                path_units[path.name] = _check_path(checker, path)
    figure_dimensions = {slot: dimension for slot, (_, dimension) in checker.figures.items()}
    option_figures: dict[str, tuple[Mapping[FigureSlot, float], ...]] = {}
    for binding, options in scenario.options.items():
        with problems.entry():
            option_figures[binding] = tuple(
                MappingProxyType(_entry_figures(scenario, figure_dimensions, binding, option.entry, option.location))
                for option in options
            )
    # The resolved scenario is kept with the checked values in place of its own (each one a Value
    # too): one object a value, not two, in a scenario that stays loaded.
    values = {name: checked.get(name, value) for name, value in scenario.values.items()}
    resolved = evolve(scenario, values=values)
    # the checked values in the file's order: the same dict when none was left out (the usual case)
    checked_values = (
        cast(dict[str, CheckedValue], values)
        if len(checked) == len(values)
        else {name: checked[name] for name in values if name in checked}
    )
    return CheckedScenario(
        resolved,
        MappingProxyType(checked_values),
        MappingProxyType({node: value for node, (value, _) in checker.leaves.items()}),
        MappingProxyType({slot: value for slot, (value, _) in checker.figures.items()}),
        MappingProxyType(figure_dimensions),
        tuple(limit_units),
        MappingProxyType(path_units),
        MappingProxyType(option_figures),
    )


def entry_figures(checked: CheckedScenario, binding: str, entry: Entry, where: Location) -> dict[FigureSlot, float]:
    """The figures the formulas read through `binding` (`gpu.memory`), taken from another catalog entry
    (`--set gpu=H200`), in base units; an entry of another kind, without a field a formula reads, or
    with a figure in another dimension is a UsageError at `where`."""
    bound = checked.hardware[binding]
    if entry.kind != bound.kind:
        kinds = checked.hardware.catalog.ids_of_kind(bound.kind)
        raise UsageError(
            f"'{entry.id}' is an entry of kind '{entry.kind}'; '{binding}' is bound to one of kind '{bound.kind}' ({bound.id})",
            where,
            f"{bound.kind} entries: " + ", ".join(kinds),
        )
    try:
        return _entry_figures(checked.resolved, checked.figure_dimensions, binding, entry, where)
    except EnvelopeError as error:
        raise UsageError(error.message, where, error.hint) from None


def _entry_figures(
    scenario: Scenario, dimensions: Mapping[FigureSlot, Dimension], binding: str, entry: Entry, where: Location
) -> dict[FigureSlot, float]:
    """`entry`'s figures for the slots of `binding`, each in the dimension the formulas were checked with."""
    catalog_checker = Checker(scenario, UnitSystem())  # a catalog figure is read in envelope's units only
    found: dict[FigureSlot, float] = {}
    for slot, dimension in dimensions.items():
        if slot.binding != binding:
            continue
        figure = entry.figures.get(slot.field)
        if figure is None:
            raise UnknownNameError(
                f"catalog entry {entry.id} has no field '{slot.field}' (a formula reads {binding}.{slot.field})",
                where,
                did_you_mean(slot.field, entry.figures) or "fields: " + ", ".join(entry.figures),
            )
        parsed = parse_formula(figure.text, figure.location)
        figure_dimension = catalog_checker.dimension(parsed.expr, figure.location)
        if figure_dimension != dimension:
            units = scenario.units
            raise DimensionError(
                f"{entry.id}'s {slot.field} is in '{units.dimension_text(figure_dimension)}', where the formulas read"
                f" {binding}.{slot.field} in '{units.dimension_text(dimension)}'",
                where,
            )
        found[slot] = catalog_checker.constant(parsed.expr, figure.location)
    return found


def _written_unit(checker: Checker, budget: Budget) -> Unit | None:
    """`<= 1 TB` shows its limit in TB; a limit that is a formula shows in the value's unit."""
    limit = budget.limit.expr
    if not isinstance(limit, Quantity):
        return None
    try:
        return checker.units.unit(limit.unit, budget.text_location)
    except EnvelopeError:  # reported by the budget's own check
        return None


def _whole(formula: Formula, where: Location) -> Location:
    """The span of a formula's whole text."""
    return where.shifted(0, len(formula.text.rstrip()))


def _check_budget(checker: Checker, budget: Budget) -> None:
    dimension = checker.dimensions[budget.name]
    limit = checker.dimension(budget.limit.expr, budget.text_location)
    if limit != dimension:
        raise DimensionError(
            f"budget compares '{budget.name}' ({checker.units.dimension_text(dimension)}) with a limit in"
            f" '{checker.units.dimension_text(limit)}'",
            _whole(budget.limit, budget.text_location),
            _bare_limit_hint(checker, budget, dimension)
            or _budget_time_hint(budget.name, limit, dimension)
            or _conversion_hint(limit, dimension, checker.units),
        )


def _budget_time_hint(name: str, limit: Dimension, value: Dimension) -> str | None:
    """The value is what is off (its formula forgot a 'per day'), not the limit: say which way to turn it."""
    if limit / value == _TIME**-1:
        return f"'{name}' is an amount and the limit a rate: divide '{name}' by a time (a forgotten 'per day'?)"
    if limit / value == _TIME:
        return f"'{name}' is a rate and the limit an amount: multiply '{name}' by a time, or limit it per second"
    return None


def _bare_limit_hint(checker: Checker, budget: Budget, dimension: Dimension) -> str | None:
    """A limit written as a bare number (`< 10` on a value in ms) lacks only its unit: say it with the unit."""
    if not isinstance(budget.limit.expr, Number) or dimension.dimensionless:
        return None
    display = checker.displays.get(budget.name)
    unit = display.text if display is not None else checker.units.dimension_text(dimension)
    return f"give the limit its unit: '{budget.op} {budget.limit.text.strip()} {unit}'"


def _check_path(checker: Checker, path: LatencyPath) -> Unit | None:
    """Every stage a duration, and the unit the path's budget is written in (None: a formula)."""
    _check_latency(checker, path.budget, path.text_location, f"latency budget of '{path.name}'")
    for stage, formula in path.formulas():
        _check_latency(checker, formula, stage.text_location, f"stage '{stage.name}'")
    first = path.budget.expr
    return checker.units.unit(first.unit, path.text_location) if isinstance(first, Quantity) else None


def _check_latency(checker: Checker, formula: Formula, where: Location, what: str) -> None:
    dimension = checker.dimension(formula.expr, where)
    if dimension != _TIME:
        raise DimensionError(
            f"{what} must be a duration, not '{checker.units.dimension_text(dimension)}'",
            _whole(formula, where),
            _conversion_hint(dimension, _TIME, checker.units),
        )


def _check_derived(checker: Checker, value: Value) -> CheckedValue:
    assert value.formula is not None
    dimension = checker.dimension(value.formula.expr, value.text_location)
    display = None
    if value.display_expr:
        display = checker.display(value.display_expr, dimension, f"'{value.name}'", value.text_location)
    elif isinstance(value.formula.expr, Quantity):  # a quantity written out shows in its own unit, as an input does
        display = checker.units.unit(value.formula.expr.unit, value.text_location)
    checker.displays[value.name] = display
    return _checked(value, dimension, display)


def _checked(
    value: Value,
    dimension: Dimension,
    display: Unit | None,
    point: float = 0.0,
    spread: Spread | None = None,
    choices: tuple[Choice, ...] = (),
) -> CheckedValue:
    return widen(value, CheckedValue, dimension=dimension, display=display, point=point, spread=spread, choices=choices)


def check_input(checker: Checker, value: Value) -> CheckedValue:
    """An input's dimension, display unit and point value in base units (the median when uncertain)."""
    spec, where = value.spec, value.text_location
    spread = None
    if isinstance(spec, Interval):
        dimension, spread, written = _interval(checker, spec, where)
        point = spread.median
    elif isinstance(spec, Distribution):
        dimension, spread, written = _distribution(checker, spec, where)
        point = spread.median
    else:
        assert spec is not None
        _no_names(spec, checker, where)
        dimension = checker.dimension(spec, where)
        point = checker.constant(spec, where)
        written = checker.units.unit(spec.unit, where) if isinstance(spec, Quantity) else _percent_if_written(spec, checker)
    if not math.isfinite(point):
        raise EvaluationError(f"'{value.name}' is too large to represent", where)
    display = written
    if value.display_expr:
        display = checker.display(value.display_expr, dimension, f"'{value.name}'", where)
    checker.displays[value.name] = display
    choices = check_options(checker, value, dimension, point, value.options) if value.options is not None else ()
    return _checked(value, dimension, display, point, spread, choices)


def check_input_text(checked: CheckedScenario, value: Value) -> CheckedValue:
    """A new text for an input (`--set`, a sweep's bound, a drill answer), checked as the file's inputs
    are, by a checker of its own: the checked scenario is not changed."""
    dimensions = {name: v.dimension for name, v in checked.values.items()}
    return check_input(Checker(checked.resolved, dimensions=dimensions), value)


MAX_OPTIONS = 10_000
"""Options one input may list or generate (a grid multiplies them: `envelope optimize` bounds the product)."""


def check_options(checker: Checker, value: Value, dimension: Dimension, point: float, options: Options) -> tuple[Choice, ...]:
    """Every option in the input's unit, none twice, and the point value one of them; `range:` and
    `powers_of_two:` expanded to their options."""
    if value.uncertain:
        raise ShapeError(
            f"'{value.name}' has options, so its value is one of them, not '{value.text.strip()}'",
            value.text_location.shifted(0, len(value.text.rstrip())),
            hint="an input is either chosen from options or uncertain, not both",
        )
    written = [_check_option(checker, value, dimension, option) for option in options.written]
    step = _check_option(checker, value, dimension, options.step) if options.step is not None else None
    choices = tuple(written) if options.form == "one_of" else _expanded(checker, value, options, written, step)
    repeat = first_repeat([c.point for c in choices])
    if repeat is not None:
        choice, twin = choices[repeat[0]], choices[repeat[1]]
        raise ShapeError(
            f"option '{choice.text}' of '{value.name}' repeats '{twin.text}'", _span(choice), hint="list each option once"
        )
    if options.chosen_written and not any(math.isclose(c.point, point, rel_tol=1e-12) for c in choices):
        listed = ", ".join(c.text for c in choices[:8]) + (", ..." if len(choices) > 8 else "")
        raise ShapeError(
            f"the value of '{value.name}' ({value.text.strip()}) is not one of its options",
            value.text_location.shifted(0, len(value.text.rstrip())),
            hint=f"options: {listed}",
        )
    return choices


def first_repeat(points: Sequence[float]) -> tuple[int, int] | None:
    """The first point (in order) equal to an earlier one within 1e-12 of either, and the earliest such
    earlier one: (index, index of its twin); None when all differ.

    Compared pairwise, 10,000 options took 50 million comparisons (8 s). Sorted, a point's twins are its
    neighbours: each run of neighbours within 2e-12 (a bound on every pair within 1e-12 between them) is
    compared pairwise, and a run is one point unless the options repeat."""
    order = sorted(range(len(points)), key=points.__getitem__)
    runs: list[list[int]] = []
    for before, after in itertools.pairwise(order):
        if math.isclose(points[before], points[after], rel_tol=2e-12, abs_tol=0):
            if runs and runs[-1][-1] == before:
                runs[-1].append(after)
            else:
                runs.append([before, after])
    repeats: list[tuple[int, int]] = []  # the first of each run
    for run in runs:
        members = sorted(run)  # in the options' order
        for n, index in enumerate(members):
            twin = next((i for i in members[:n] if math.isclose(points[i], points[index], rel_tol=1e-12, abs_tol=0)), None)
            if twin is not None:
                repeats.append((index, twin))
                break
    return min(repeats, default=None)


def _check_option(checker: Checker, value: Value, dimension: Dimension, option: Option) -> Choice:
    _no_names(option.spec, checker, option.location)
    found = checker.dimension(option.spec, option.location)
    choice = Choice(option.text, 0.0, option.location)
    if found != dimension:
        units = checker.units
        raise DimensionError(
            f"option '{option.text}' of '{value.name}' is in '{units.dimension_text(found)}', the input in"
            f" '{units.dimension_text(dimension)}'",
            _span(choice),
            hint="every option of an input (and its value) has the same unit",
        )
    point = checker.constant(option.spec, option.location)
    if not math.isfinite(point):
        raise EvaluationError(f"option '{option.text}' of '{value.name}' is too large to represent", _span(choice))
    return Choice(option.text, point, option.location)


def _span(choice: Choice) -> Location:
    return choice.location.shifted(0, len(choice.text))


def _expanded(checker: Checker, value: Value, options: Options, written: list[Choice], step: Choice | None) -> tuple[Choice, ...]:
    """`range: [FROM, TO], step: S` as FROM, FROM + S, ... up to TO; `powers_of_two: [FROM, TO]` as FROM, 2·FROM, ...
    up to TO. Each generated option is written in FROM's unit ('16 sequence')."""
    low, high = written
    spec = options.written[0].spec
    unit = checker.units.unit(spec.unit, low.location) if isinstance(spec, Quantity) else None
    factor = unit.factor if unit is not None else 1.0
    if not low.point < high.point:
        raise ShapeError(
            f"'{options.form}:' of '{value.name}' needs FROM below TO, not [{low.text}, {high.text}]", options.location
        )
    if options.form == "range":
        size = step.point if step is not None else factor
        if not size > 0:
            assert step is not None
            raise ShapeError(f"the step of '{value.name}' must be above zero, not {step.text}", _span(step))
        count = math.floor((high.point - low.point) / size * (1 + 1e-12)) + 1
        points = [low.point + n * size for n in range(min(count, MAX_OPTIONS + 1))]
    else:
        if not low.point > 0:
            raise ShapeError(f"powers_of_two: of '{value.name}' starts above zero, not at {low.text}", _span(low))
        count = math.floor(math.log2(high.point / low.point) * (1 + 1e-12)) + 1
        points = [low.point * 2**n for n in range(min(count, MAX_OPTIONS + 1))]
    if count > MAX_OPTIONS:
        raise ShapeError(
            f"'{options.form}:' of '{value.name}' makes {count:,} options, over {MAX_OPTIONS:,}",
            options.location,
            hint="take a larger step, or a narrower range",
        )
    return tuple(Choice(_written(point / factor, unit), point, low.location) for point in points)


def _written(number: float, unit: Unit | None) -> str:
    """A generated option as people write it: '16 sequence', '0.5 s', '3'."""
    shown = f"{number:.12g}"
    return f"{shown} {unit.text}" if unit is not None else shown


def _percent_if_written(spec: Expr, checker: Checker) -> Unit | None:
    """An input written `40%` shows as 40%, not 0.4."""
    if isinstance(spec, Number) and spec.text.endswith("%"):
        return checker.units.unit((UnitFactor("percent", 1.0, 0),), Location("<percent>"))
    return None


def _no_names(expr: Expr, checker: Checker, where: Location) -> None:
    for node in names_in(expr):
        if isinstance(node, Field) or node.name in checker.scenario.values:
            raise GrammarError(
                f"an input is a fixed quantity; '{to_text(node)}' belongs in 'derived:'", where.shifted(node.offset, end_of(node))
            )


def bounds(checker: Checker, low: Expr, high: Expr, where: Location) -> tuple[Dimension, float, float, Unit | None]:
    """Two bounds with one dimension; a bare number takes its partner's unit (`2B to 8B image`)."""
    for expr in (low, high):
        _no_names(expr, checker, where)
    high_dim = checker.dimension(high, where)
    low_dim = checker.dimension(low, where)
    written = checker.units.unit(high.unit, where) if isinstance(high, Quantity) else _percent_if_written(high, checker)
    low_value, high_value = checker.constant(low, where), checker.constant(high, where)
    if isinstance(low, Number) and isinstance(high, Quantity) and written is not None:
        low_dim, low_value = high_dim, low_value * written.factor
    if low_dim != high_dim:
        raise DimensionError(
            f"the bounds are in different units: '{checker.units.dimension_text(low_dim)}' and"
            f" '{checker.units.dimension_text(high_dim)}'",
            where.shifted(high.offset, end_of(high)),
        )
    return high_dim, low_value, high_value, written


def _interval(checker: Checker, spec: Interval, where: Location) -> tuple[Dimension, Spread, Unit | None]:
    dimension, low, high, written = bounds(checker, spec.low, spec.high, where)
    if not low < high:
        raise ShapeError(f"'A to B' needs A below B; here A = {to_text(spec.low)} and B = {to_text(spec.high)}", where)
    if low == 0:
        raise ShapeError(
            "a 90% interval from 0 cannot be lognormal",
            where,
            hint="start from a small positive number, or write normal(MEAN, SD)",
        )
    return dimension, Spread.interval(low, high), written


def _distribution(checker: Checker, spec: Distribution, where: Location) -> tuple[Dimension, Spread, Unit | None]:
    first, second = spec.args
    dimension, a, b, written = bounds(checker, first, second, where)
    if isinstance(first, Quantity):
        written = checker.units.unit(first.unit, where)
    if spec.kind == "normal":
        if b < 0:
            raise ShapeError("normal(MEAN, SD) needs SD of at least 0", where.shifted(second.offset, end_of(second)))
        return dimension, Spread("normal", a, b), written
    if not a < b:
        raise ShapeError("uniform(LOW, HIGH) needs LOW below HIGH", where)
    if not math.isfinite(b - a):
        raise EvaluationError("uniform(LOW, HIGH) is wider than a float can hold (HIGH - LOW overflows)", where)
    return dimension, Spread("uniform", a, b), written


def first_failure(
    expr: Expr, values: dict[str, float], leaf: Callable[[Expr], float], where: Location, queues: bool = False
) -> EnvelopeError | None:
    """The innermost part of `expr` that divides by zero, overflows or leaves the reals (a tree's depth is
    bounded by the parser, MAX_DEPTH). `queues`: an unstable queue's infinite wait, and what carries it,
    is a value, not an overflow (a formula's; a constant has no queue)."""
    children: tuple[Expr, ...] = ()
    if isinstance(expr, Binary):
        children = (expr.left, expr.right)
    elif isinstance(expr, Unary):
        children = (expr.operand,)
    elif isinstance(expr, Call):
        children = expr.args
    for child in children:
        inner = first_failure(child, values, leaf, where, queues)
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
    if math.isinf(result) and not (queues and _carries_infinity(expr, children, values, leaf)):
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
