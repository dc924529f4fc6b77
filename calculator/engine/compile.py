"""Stage 6, compile: the whole scenario as one numeric function.

The function is built as a Python syntax tree from the project's own checked
tree — never from the scenario's text — and compiled once. Its arguments are
the inputs in base units, then the bound catalog figures the formulas read
(`gpu.memory`, figure slots: another entry is other arguments, not another
compile); it returns every formula's value in base units, in slot order:
derived values (dependency order), budget limits, latency budgets and latency
stages. Called with floats it is plain float arithmetic; called
with numpy arrays (and the array function table) it runs Monte Carlo.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Mapping
from typing import Any

from calculator.common.errors import Location
from calculator.common.records import record
from calculator.engine.scenario import CheckedScenario, Scenario
from calculator.engine.slots import DerivedSlot, FigureSlot, LimitSlot, PathBudgetSlot, SlotKey, StageSlot
from calculator.formula.expr import Binary, Call, Expr, Field, Formula, Name, Number, Quantity, Unary
from calculator.formula.numeric import SCALAR_FUNCTIONS, array_functions

_OPERATORS: dict[str, type[ast.operator]] = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}
# Every node gets the same position: set here rather than by ast.fix_missing_locations, which walks the tree again.
_AT: dict[str, Any] = {"lineno": 1, "col_offset": 0, "end_lineno": 1, "end_col_offset": 0}


@record
class Slot:
    """One formula the function computes: what it is and where it was written."""

    key: SlotKey
    formula: Formula
    location: Location


@record
class Compiled:
    inputs: list[str]
    figures: list[FigureSlot]  # the arguments after the inputs
    slots: list[Slot]
    index: dict[SlotKey, int]  # slot -> its position in the function's result
    code: types.CodeType

    def scalar(self) -> Callable[..., tuple[float, ...]]:
        return types.FunctionType(self.code, dict(SCALAR_FUNCTIONS))

    def vectorized(self) -> Callable[..., tuple[Any, ...]]:
        return types.FunctionType(self.code, array_functions())


def slots_of(scenario: Scenario) -> list[Slot]:
    slots = [Slot(DerivedSlot(name), _formula(scenario, name), scenario.values[name].text_location) for name in scenario.order]
    slots += [Slot(LimitSlot(i), b.limit, b.text_location) for i, b in enumerate(scenario.budgets)]
    for path in scenario.latency:
        slots.append(Slot(PathBudgetSlot(path.name), path.budget, path.text_location))
        slots += [Slot(StageSlot(path.name, names), f, where) for names, f, where in path.leaves()]
    return slots


def _formula(scenario: Scenario, name: str) -> Formula:
    formula = scenario.values[name].formula
    assert formula is not None
    return formula


def compile_scenario(checked: CheckedScenario) -> Compiled:
    """One function from inputs and catalog figures to every slot's value, all in base units."""
    scenario = checked.resolved
    inputs = [v.name for v in scenario.inputs]
    figures = list(checked.figures)
    slots = slots_of(scenario)
    variables = {name: f"i{n}" for n, name in enumerate(inputs)}
    variables.update({name: f"d{n}" for n, name in enumerate(scenario.order)})
    figure_variables = {slot: f"f{n}" for n, slot in enumerate(figures)}
    builder = _Builder(variables, figure_variables, checked.leaves)
    body: list[ast.stmt] = []
    results: list[ast.expr] = []
    for n, slot in enumerate(slots):
        target = variables[slot.key.name] if isinstance(slot.key, DerivedSlot) else f"s{n}"
        body.append(ast.Assign([ast.Name(target, ast.Store(), **_AT)], builder.build(slot.formula.expr, slot.location), **_AT))
        results.append(ast.Name(target, ast.Load(), **_AT))
    body.append(ast.Return(ast.Tuple(results, ast.Load(), **_AT), **_AT))
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(variables[name], **_AT) for name in inputs] + [ast.arg(figure_variables[f], **_AT) for f in figures],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    fields: dict[str, Any] = {"name": "scenario", "args": arguments, "body": body, "decorator_list": [], "returns": None}
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12+
        fields["type_params"] = []
    function = ast.FunctionDef(**fields, **_AT)
    module = ast.Module([function], type_ignores=[])
    module_code = compile(module, f"<scenario {scenario.file}>", "exec")
    code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    return Compiled(inputs, figures, slots, {s.key: n for n, s in enumerate(slots)}, code)


class _Builder:
    """Our tree to Python's: leaves become float constants in base units, bound figures arguments."""

    def __init__(self, variables: dict[str, str], figures: dict[FigureSlot, str], leaves: Mapping[Expr, float]):
        self.variables = variables
        self.figures = figures
        self.leaves = leaves

    def build(self, expr: Expr, where: Location) -> ast.expr:
        if isinstance(expr, Number):
            return ast.Constant(float(expr.value), **_AT)
        if isinstance(expr, Name) and expr.name in self.variables:
            return ast.Name(self.variables[expr.name], ast.Load(), **_AT)
        if isinstance(expr, Field) and expr.base != "ref":
            return ast.Name(self.figures[FigureSlot(expr.base, expr.field)], ast.Load(), **_AT)
        if isinstance(expr, (Quantity, Name, Field)):
            return ast.Constant(self.leaves[expr], **_AT)
        if isinstance(expr, Unary):
            return ast.UnaryOp(ast.USub(), self.build(expr.operand, where), **_AT)
        if isinstance(expr, Binary):
            left, right = self.build(expr.left, where), self.build(expr.right, where)
            if expr.op == "**":
                return _call("pow", [left, right])
            return ast.BinOp(left, _OPERATORS[expr.op](), right, **_AT)
        assert isinstance(expr, Call)
        return _call(expr.function, [self.build(a, where) for a in expr.args])


def _call(function: str, args: list[ast.expr]) -> ast.expr:
    return ast.Call(ast.Name(function, ast.Load(), **_AT), args, [], **_AT)
