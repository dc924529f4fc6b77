"""Stage 6, compile: the whole scenario as one numeric function.

The function is written as Python source from the project's own checked tree
— never from the scenario's text: every name in it is one this module chose
(`i0`, `d3`, `f1`), every constant the `repr` of a float, every function one
of the numeric table's and every operator one of four — and compiled once.
(Source, not `ast` nodes: CPython parses text in C, where building a node is a
Python object each, a third of the load of a large scenario.) Its arguments are
the inputs in base units, then the bound catalog figures the formulas read
(`gpu.memory`, figure slots: another entry is other arguments, not another
compile); it returns every formula's value in base units, in slot order:
derived values (dependency order), budget limits, latency budgets and latency
stages. Called with floats it is plain float arithmetic; called
with numpy arrays (and the array function table) it runs Monte Carlo.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from typing import Any

from calculator.common.errors import Location
from calculator.common.records import record
from calculator.engine.scenario import CheckedScenario, Scenario
from calculator.engine.slots import DerivedSlot, FigureSlot, LimitSlot, PathBudgetSlot, SlotKey, StageSlot
from calculator.formula.expr import Binary, Call, Expr, Field, Formula, Name, Number, Quantity, Unary
from calculator.formula.numeric import SCALAR_FUNCTIONS, array_functions


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
    parts: tuple[types.CodeType, ...]  # the functions `code` calls, for a large scenario (else none)

    def scalar(self) -> Callable[..., tuple[float, ...]]:
        return self._with(dict(SCALAR_FUNCTIONS))

    def vectorized(self) -> Callable[..., tuple[Any, ...]]:
        return self._with(array_functions())

    def _with(self, functions: dict[str, Callable[..., Any]]) -> Callable[..., tuple[Any, ...]]:
        if not self.parts:
            return types.FunctionType(self.code, functions)
        # The parts see the function table alone and the caller a copy with the parts in it: a part in
        # its own globals would be a reference cycle, left to the collector when the model goes.
        calling = {**functions, **{f"part{n}": types.FunctionType(part, functions) for n, part in enumerate(self.parts)}}
        return types.FunctionType(self.code, calling)


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
    writer = _Writer(variables, figure_variables, checked.leaves)
    targets = [variables[slot.key.name] if isinstance(slot.key, DerivedSlot) else f"s{n}" for n, slot in enumerate(slots)]
    arguments = [variables[name] for name in inputs] + [figure_variables[f] for f in figures]
    where = f"<scenario {scenario.file}>"
    parts: tuple[types.CodeType, ...] = ()
    if len(slots) <= PART_SIZE:
        code = _function("scenario", arguments, _assignments(writer, slots, targets), targets, where)
    else:
        code, parts = _in_parts(arguments, slots, targets, writer, where)
    return Compiled(inputs, figures, slots, {s.key: n for n, s in enumerate(slots)}, code, parts)


# CPython's compiler slows with a function's size (10,000 formulas in one function took 15x the time of
# 1,000; as 10 functions of 1,000, 10x), so a large scenario is compiled as functions of this many formulas.
PART_SIZE = 512


def _function(name: str, arguments: list[str], assignments: list[str], targets: list[str], where: str) -> types.CodeType:
    """The code of `def name(arguments): assignments; return (targets,)`."""
    return _code([f"def {name}({', '.join(arguments)}):", *assignments, f" return ({''.join(t + ',' for t in targets)})"], where)


def _code(lines: list[str], where: str) -> types.CodeType:
    """The code of the one function `lines` define."""
    module_code = compile("\n".join(lines), where, "exec")
    return next(c for c in module_code.co_consts if isinstance(c, types.CodeType))


def _assignments(writer: _Writer, slots: list[Slot], targets: list[str]) -> list[str]:
    return [f" {target} = {writer.text(slot.formula.expr)}" for target, slot in zip(targets, slots, strict=True)]


def _in_parts(
    arguments: list[str], slots: list[Slot], targets: list[str], writer: _Writer, where: str
) -> tuple[types.CodeType, tuple[types.CodeType, ...]]:
    """`part0`, `part1`, …, each computing PART_SIZE slots from the variables it reads (inputs, figures,
    slots of earlier parts), and the function that calls them in turn and joins their results. A part is
    written and compiled before the next is begun: its formulas' trees are read twice while in cache."""
    parts: list[types.CodeType] = []
    calls: list[str] = []
    earlier: dict[str, str] = {}  # a variable of an earlier part -> where the calling function finds it
    for start in range(0, len(targets), PART_SIZE):
        own_slots, own = slots[start : start + PART_SIZE], targets[start : start + PART_SIZE]
        assignments = _assignments(writer, own_slots, own)
        needed = sorted(_variables_read(own_slots, writer) - set(own))
        k = len(parts)
        parts.append(_function(f"part{k}", needed, assignments, own, where))
        calls.append(f" r{k} = part{k}({', '.join(earlier.get(v, v) for v in needed)})")
        earlier.update({target: f"r{k}[{n}]" for n, target in enumerate(own)})
    # one flat tuple display (`r0 + r1 + …` nests an addition a part, which CPython's compiler recurses through)
    joined = ", ".join(f"*r{k}" for k in range(len(parts)))
    return _code([f"def scenario({', '.join(arguments)}):", *calls, f" return ({joined},)"], where), tuple(parts)


def _variables_read(slots: list[Slot], writer: _Writer) -> set[str]:
    """The function's variables the slots' formulas read: values' and bound figures' (the names the parser kept)."""
    names = [n for slot in slots for n in slot.formula.names]
    read = {writer.variables[n.name] for n in names if isinstance(n, Name) and n.name in writer.variables}
    return read | {writer.figures[FigureSlot(n.base, n.field)] for n in names if isinstance(n, Field) and n.base != "ref"}


class _Writer:
    """Our tree as Python source: leaves become float constants in base units, bound figures arguments.
    Parentheses are written where Python's precedence would otherwise regroup an operation (a right
    operand of equal rank included: float sums do not reassociate), so the source's tree is ours."""

    def __init__(self, variables: dict[str, str], figures: dict[FigureSlot, str], leaves: Mapping[Expr, float]):
        self.variables = variables
        self.figures = figures
        self.leaves = leaves

    def text(self, expr: Expr) -> str:
        return self.ranked(expr)[0]

    def ranked(self, expr: Expr) -> tuple[str, int]:
        """The source of `expr` and how tightly it binds (_ATOM, _SIGN or an operator's rank)."""
        if isinstance(expr, Number):
            return _constant(float(expr.value))
        if isinstance(expr, Name) and expr.name in self.variables:
            return self.variables[expr.name], _ATOM
        if isinstance(expr, Field) and expr.base != "ref":
            return self.figures[FigureSlot(expr.base, expr.field)], _ATOM
        if isinstance(expr, (Quantity, Name, Field)):
            return _constant(self.leaves[expr])
        if isinstance(expr, Unary):
            return "-" + self.operand(expr.operand, _SIGN), _SIGN
        if isinstance(expr, Binary):
            if expr.op == "**":
                return f"pow({self.text(expr.left)}, {self.text(expr.right)})", _ATOM
            rank = _RANK[expr.op]
            return f"{self.operand(expr.left, rank)} {expr.op} {self.operand(expr.right, rank + 1)}", rank
        assert isinstance(expr, Call) and expr.function in SCALAR_FUNCTIONS
        return f"{expr.function}({', '.join(map(self.text, expr.args))})", _ATOM

    def operand(self, expr: Expr, least: int) -> str:
        """`expr` as an operand that must bind at least as tightly as `least`."""
        text, rank = self.ranked(expr)
        return text if rank >= least else f"({text})"


_RANK = {"+": 1, "-": 1, "*": 2, "/": 2}
_SIGN = 3  # a leading minus: tighter than any of the four operators (pow is written as a call)
_ATOM = 4


def _constant(value: float) -> tuple[str, int]:
    """A float as source that reads back as exactly that float (repr round-trips; `-2.0` is folded
    to the constant by CPython's compiler, as `1e999` is to infinity)."""
    if math.isfinite(value):
        return repr(value), _SIGN if math.copysign(1.0, value) < 0 else _ATOM
    if math.isnan(value):
        return "(1e999 - 1e999)", _ATOM
    return ("1e999", _ATOM) if value > 0 else ("-1e999", _SIGN)
