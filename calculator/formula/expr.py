"""The project's own small expression tree, with the position of every node.

`offset` is the node's character offset inside its formula text; the stage that
reports an error adds it to the formula's location in the file.
"""

from __future__ import annotations

from collections.abc import Callable

from calculator.common.records import record

FUNCTIONS = (
    "ceil",
    "floor",
    "round",
    "min",
    "max",
    "sqrt",
    "log",
    "log2",
    "log10",
    "exp",
    "abs",
    "utilization",
    "erlang_c",
    "queue_wait",
    "general_queue_wait",
    "batch_wait",
)
QUEUEING = ("utilization", "erlang_c", "queue_wait", "general_queue_wait", "batch_wait")  # calculator/formula/queueing.py
ROUNDING = ("ceil", "floor", "round")


@record
class UnitFactor:
    """One unit name raised to a power, as written: `hour` in `USD/hour`."""

    name: str
    power: float
    offset: int


UnitExpr = tuple[UnitFactor, ...]


@record
class Number:
    value: float
    offset: int
    text: str = ""  # as written: "100M", "40%"


@record
class Quantity:
    """A number followed by a unit: `730 hour`, `4 byte/image`."""

    value: float
    unit: UnitExpr
    offset: int
    text: str = ""  # the number as written


@record
class Name:
    """A scenario value or, failing that, a unit standing alone (`/ image`)."""

    name: str
    offset: int


@record
class Field:
    """A catalog field: `gpu.memory`, `ref.datacenter_round_trip`."""

    base: str
    field: str
    offset: int


@record
class Unary:
    op: str  # "-" only; "+" is dropped by the parser
    operand: Expr
    offset: int


@record
class Binary:
    op: str  # + - * / **
    left: Expr
    right: Expr
    offset: int


@record
class Call:
    function: str
    args: tuple[Expr, ...]
    offset: int


Expr = Number | Quantity | Name | Field | Unary | Binary | Call


@record
class Formula:
    """A parsed formula: its tree, the text it came from, its `-> unit`, and the names and fields it
    uses, left to right (as `names_in(expr)` finds them; the parser keeps them as it meets them, so
    later stages need not walk the tree again for them)."""

    text: str
    expr: Expr
    display: UnitExpr | None
    names: tuple[Name | Field, ...]

    @property
    def value_names(self) -> list[str]:
        """The names it uses that are not catalog fields (values, or units written alone), left to right."""
        return [n.name for n in self.names if isinstance(n, Name)]


def end_of(expr: Expr) -> int:
    """The offset just past `expr` in its formula text, as written without spaces inside a
    name, field or unit (the end of an error's span; `offset` is its start)."""
    if isinstance(expr, Number):
        return expr.offset + len(expr.text or "0")
    if isinstance(expr, Quantity):
        last = expr.unit[-1]
        return max(expr.offset + len(expr.text or "0"), last.offset + len(last.name if last.name != "percent" else "%"))
    if isinstance(expr, Name):
        return expr.offset + len(expr.name)
    if isinstance(expr, Field):
        return expr.offset + len(expr.base) + 1 + len(expr.field)
    if isinstance(expr, Unary):
        return end_of(expr.operand)
    if isinstance(expr, Binary):
        return end_of(expr.right)
    return (end_of(expr.args[-1]) if expr.args else expr.offset + len(expr.function) + 1) + 1  # the ')'


def names_in(expr: Expr) -> list[Name | Field]:
    """Every name and catalog field in `expr`, left to right (one walk with a stack: every formula
    of every scenario is walked more than once, and a list a node, joined, cost twice as much)."""
    found: list[Name | Field] = []
    pending: list[Expr] = [expr]
    while pending:
        node = pending.pop()
        if type(node) is Binary:  # exact types: the node classes have no subclasses, and this is faster
            pending += (node.right, node.left)
        elif type(node) is Name or type(node) is Field:
            found.append(node)
        elif type(node) is Unary:
            pending.append(node.operand)
        elif type(node) is Call:
            pending += reversed(node.args)
    return found


def has_rounding(expr: Expr, formula_of: Callable[[str], Expr | None]) -> bool:
    """Whether `expr` is a step function: it, or the formula of a name it uses (`formula_of`, followed
    down to the inputs), calls ceil, floor or round."""
    pending, seen = [expr], set()
    while pending:
        node = pending.pop()
        if isinstance(node, Call):
            if node.function in ROUNDING:
                return True
            pending += node.args
        elif isinstance(node, Unary):
            pending.append(node.operand)
        elif isinstance(node, Binary):
            pending += [node.left, node.right]
        elif isinstance(node, Name) and node.name not in seen:
            seen.add(node.name)
            formula = formula_of(node.name)
            if formula is not None:
                pending.append(formula)
    return False


def to_text(expr: Expr) -> str:
    """The expression written back out, fully parenthesised where it matters."""
    if isinstance(expr, Number):
        return expr.text or f"{expr.value:g}"
    if isinstance(expr, Quantity):
        return f"{expr.text or format(expr.value, 'g')} {unit_text(expr.unit)}"
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Field):
        return f"{expr.base}.{expr.field}"
    if isinstance(expr, Unary):
        return f"-{_wrapped(expr.operand)}"
    if isinstance(expr, Binary):
        return f"{_wrapped(expr.left)} {expr.op} {_wrapped(expr.right)}"
    return f"{expr.function}({', '.join(to_text(a) for a in expr.args)})"


def _wrapped(expr: Expr) -> str:
    text = to_text(expr)
    return f"({text})" if isinstance(expr, (Binary, Unary)) else text


def unit_text(unit: UnitExpr) -> str:
    """A unit written compactly: `USD/hour/gpu`, `m^2`."""
    top = [_factor_text(f.name, f.power) for f in unit if f.power > 0]
    bottom = [_factor_text(f.name, -f.power) for f in unit if f.power < 0]
    text = "*".join(top) or "1"
    return text + "".join(f"/{b}" for b in bottom) if bottom or top else ""


def _factor_text(name: str, power: float) -> str:
    name = "%" if name == "percent" else name
    return name if power == 1 else f"{name}^{power:g}"
