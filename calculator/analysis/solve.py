"""`envelope solve`: how far an input can move before a budget breaks.

Numeric bracketing on the compiled scenario finds the edge (to float
precision, so the edge of a `ceil` step is exact); where the binding budget's
closed form can be inverted, sympy gives the same edge symbolically and the
answer says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calculator.common.errors import EnvelopeError, Location, UsageError, did_you_mean
from calculator.common.numbers import format_number
from calculator.engine.judge import breaks_limit, display_unit, path_total
from calculator.engine.model import Evaluation, Model
from calculator.engine.results import with_unit
from calculator.engine.slots import LimitSlot, PathBudgetSlot
from calculator.formula.expr import Name, has_rounding
from calculator.units.system import Unit

SEARCH_RANGE = 1e12  # how many times today's value, up and down, the search may go
BISECTIONS = 200


@dataclass
class Solution:
    input: str
    value: float  # in `unit`
    unit: Unit
    binding_budget: str
    direction: str  # "max": the largest value that holds; "min": the smallest
    current: float  # today's value, in `unit`
    method: str  # "symbolic" or "numeric"
    sig_figs: int = 3

    @property
    def headroom(self) -> float:
        """How many times today's value the edge is."""
        return self.value / self.current if self.current else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "value": float(f"{self.value:.6g}"), "unit": self.unit.long_text(),
                "binding_budget": self.binding_budget, "direction": self.direction,
                "headroom": float(f"{self.headroom:.6g}"), "method": self.method}

    def to_text(self) -> str:
        edge = with_unit(format_number(self.value, self.sig_figs), self.unit)
        today = with_unit(format_number(self.current, self.sig_figs), self.unit)
        word = "largest" if self.direction == "max" else "smallest"
        return (f"{self.input} can go to {edge} ({word} value at which every budget holds; today {today},"
                f" {format_number(self.headroom, self.sig_figs)}× today)\n"
                f"binding budget: {self.binding_budget}  [{self.method}]\n")

    def to_markdown(self) -> str:
        edge = with_unit(format_number(self.value, self.sig_figs), self.unit)
        return (f"**{self.input}** can reach **{edge}** ({format_number(self.headroom, self.sig_figs)}× today)"
                f" before **{self.binding_budget}** breaks.\n")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def broken_budgets(evaluation: Evaluation, only: str | None = None) -> list[str]:
    """Names of the budgets and latency paths that the point values break (cheap: no results built)."""
    scenario = evaluation.model.scenario
    broken = [b.name for i, b in enumerate(scenario.budgets)
              if only in (None, b.name) and breaks_limit(b.op, evaluation.base(b.name), evaluation.slot(LimitSlot(i)))]
    broken += [f"latency {p.name}" for p in scenario.latency
               if only in (None, p.name) and path_total(p, evaluation.slot) > evaluation.slot(PathBudgetSlot(p.name))]
    return list(dict.fromkeys(broken))


def solve(model: Model, input_name: str, budget: str | None = None,
          overrides: Mapping[str, float] | None = None) -> Solution:
    """The edge of `input_name` at which the budgets (or `budget`) stop holding."""
    scenario = model.scenario
    where = Location(scenario.file)
    value = model.input(input_name, where)
    if budget is not None and budget not in {b.name for b in scenario.budgets} | {p.name for p in scenario.latency}:
        names = [b.name for b in scenario.budgets] + [p.name for p in scenario.latency]
        raise UsageError(f"no budget '{budget}' in this scenario", where, did_you_mean(budget, names))
    base_overrides = dict(overrides or {})
    today = model.evaluate(base_overrides).base(input_name)
    unit = display_unit(value, today)
    if not today > 0:
        raise UsageError(f"solve needs '{input_name}' to be positive today, not {today:g}", value.location)

    def holds(x: float) -> bool:
        try:
            return not broken_budgets(model.evaluate({**base_overrides, input_name: x}), budget)
        except EnvelopeError:
            return False

    direction, inside, outside = _bracket(holds, today, input_name, budget)
    edge, beyond = _bisect(holds, inside, outside)
    binding = broken_budgets(model.evaluate({**base_overrides, input_name: beyond}), budget)  # what breaks just past the edge
    symbolic = _symbolic_edge(model, input_name, binding, base_overrides, edge)
    method = "numeric"
    if symbolic is not None:
        edge, method = symbolic, "symbolic"
    return Solution(input_name, edge / unit.factor, unit, ", ".join(binding) or "?", direction, today / unit.factor,
                    method, scenario.sig_figs)


@dataclass(frozen=True)
class BreakingPoint:
    """Where one budget (or latency path) breaks as one input moves, the rest as they are."""

    budget: str  # a budget's name, or "latency NAME"
    op: str  # the budget's comparison ("<=" for a latency path)
    factor: float  # times today's value of the input at which it breaks (1.0 when it is broken now)
    value: float  # the input there, in base units
    broken_now: bool

    @property
    def distance(self) -> float:
        """How far from today, either way (|ln factor|): the nearest edge first."""
        return abs(math.log(self.factor)) if self.factor > 0 else math.inf


def breaking_points(model: Model, input_name: str, overrides: Mapping[str, float] | None = None) -> list[BreakingPoint]:
    """For each budget and latency path that `input_name` can break: the first value (up or down) at which
    it breaks, found as `solve` finds its edge; nearest first. A budget the input never breaks is left out."""
    model.input(input_name, Location(model.scenario.file))
    base_overrides = dict(overrides or {})
    today = model.evaluate(base_overrides).base(input_name)
    if not today > 0:
        return []
    limits = [(b.name, b.name, b.op) for b in model.scenario.budgets]
    limits += [(p.name, f"latency {p.name}", "<=") for p in model.scenario.latency]
    found = []
    for only, label, op in limits:
        def holds(x: float, only: str = only, label: str = label) -> bool:
            try:
                return label not in broken_budgets(model.evaluate({**base_overrides, input_name: x}), only)
            except EnvelopeError:
                return False

        if not holds(today):
            found.append(BreakingPoint(label, op, 1.0, today, True))
            continue
        try:
            _, inside, outside = _bracket(holds, today, input_name, only)
        except EnvelopeError:
            continue  # it holds whatever this input is
        beyond = _bisect(holds, inside, outside)[1]
        found.append(BreakingPoint(label, op, beyond / today, beyond, False))
    return sorted(found, key=lambda point: point.distance)


def _bracket(holds: Any, today: float, name: str, budget: str | None) -> tuple[str, float, float]:
    """A holding and a breaking value of the input, either side of the edge."""
    what = f"budget '{budget}'" if budget else "every budget"
    if holds(today):
        for direction, factor in (("max", 2.0), ("min", 0.5)):
            x = today
            while SEARCH_RANGE ** -1 <= x / today <= SEARCH_RANGE:
                if not holds(x * factor):
                    return direction, x, x * factor
                x *= factor
        raise UsageError(f"{what} holds for every value of '{name}' from 1e-12 to 1e12 times today's: nothing binds")
    for factor in (0.5, 2.0):
        x = today
        while SEARCH_RANGE ** -1 <= x / today <= SEARCH_RANGE:
            x *= factor
            if holds(x):
                return ("max" if factor < 1 else "min"), x, x / factor
    raise UsageError(f"no value of '{name}' from 1e-12 to 1e12 times today's makes {what} hold")


def _bisect(holds: Any, inside: float, outside: float) -> tuple[float, float]:
    """The last holding value and the first breaking one, next to each other to float precision."""
    for _ in range(BISECTIONS):
        middle = math.sqrt(inside * outside)
        if middle in (inside, outside):
            middle = (inside + outside) / 2
            if middle in (inside, outside):
                break
        if holds(middle):
            inside = middle
        else:
            outside = middle
    return inside, outside


def _symbolic_edge(model: Model, name: str, binding: list[str], overrides: Mapping[str, float],
                   numeric_edge: float) -> float | None:
    """The same edge from sympy, when one upper or lower budget binds and its formula inverts."""
    budgets = [b for b in model.scenario.budgets if b.name in binding]
    if len(budgets) != 1:
        return None
    steps = [has_rounding(expr, model.formula_of) for expr in (Name(budgets[0].name, 0), budgets[0].limit.expr)]
    if any(steps):
        return None  # a step (ceil, floor, round): the numeric edge is the exact one, and sympy is not needed
    import sympy  # sympy: ~0.4 s to import; explain and solve only

    from calculator.analysis.symbolic import Builder, numeric_only, power_factor  # sympy comes with it: explain and solve only

    budget = budgets[0]
    builder = Builder(model, numeric=True)
    try:
        value = builder.value(budget.name)
        limit = builder.build(budget.limit.expr, budget.text_location)
        evaluation = model.evaluate(overrides)
        symbol = builder.symbols.get(name)
        if symbol is None or numeric_only(value) or numeric_only(limit):
            return None
        others = {s: evaluation.base(n) for n, s in builder.symbols.items() if n != name}
        factor = None if limit.has(symbol) else power_factor(value, symbol)
        if factor is not None:  # value = rest·x**k = limit  <=>  x = (limit/rest)**(1/k)
            k, rest = factor
            roots = [((limit / rest) ** (1 / k)).subs(others)]
        else:
            roots = sympy.solve(sympy.Eq((value - limit).subs(others), 0), symbol)
    except (NotImplementedError, TypeError, ValueError):
        return None
    candidates = [float(r) for r in roots if r.is_real and float(r) > 0]
    close = [r for r in candidates if math.isclose(r, numeric_edge, rel_tol=1e-6)]
    return close[0] if close else None
