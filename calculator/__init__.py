"""envelope's engine: unit-aware back-of-envelope estimates for ML system design.

    >>> import calculator
    >>> qps = calculator.estimate("100M user * 5 request/user/day -> request/s")
    >>> round(qps.magnitude)
    5787
    >>> str(qps.units)
    'request / second'

The engine never imports a UI; the TUI, the CLI and notebooks all use this API.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from calculator.common.cache import write_text_atomically
from calculator.common.collector import paused
from calculator.units.system import registry, to_pint

with paused():  # importing allocates and frees nothing: collections here are pure cost
    from calculator.common.errors import (
        DimensionError,
        EnvelopeError,
        ErrorGroup,
        EvaluationError,
        FileError,
        FormulaSyntaxError,
        GrammarError,
        Location,
        ShapeError,
        UnknownNameError,
        UnknownUnitError,
        UsageError,
    )
    from calculator.common.numbers import format_number
    from calculator.engine.model import Evaluation, Model
    from calculator.engine.pipeline import load, loads
    from calculator.engine.results import (
        STATUS_EMOJI,
        STATUS_GLYPH,
        BudgetResult,
        PathResult,
        Result,
        StageResult,
        ValueResult,
        format_quantity,
    )
    from calculator.engine.uncertainty import HistogramBin
    from calculator.engine.views import (
        BindingView,
        BudgetView,
        DerivedView,
        InputView,
        PathView,
        ScenarioView,
        StageView,
    )
    from calculator.file.edit import InputChange, rewrite_inputs

__all__ = [
    "STATUS_EMOJI",
    "STATUS_GLYPH",
    "BindingView",
    "BreakingPoint",
    "BudgetResult",
    "BudgetView",
    "Comparison",
    "DerivedView",
    "DimensionError",
    "Drill",
    "DrillFeedback",
    "EnvelopeError",
    "ErrorGroup",
    "Evaluation",
    "EvaluationError",
    "Explanation",
    "FileError",
    "FormulaSyntaxError",
    "GrammarError",
    "HistogramBin",
    "InputChange",
    "InputView",
    "LimitComparison",
    "Location",
    "Model",
    "PathResult",
    "PathView",
    "Result",
    "ScenarioView",
    "ShapeError",
    "Solution",
    "StageResult",
    "StageView",
    "Sweep",
    "UnknownNameError",
    "UnknownUnitError",
    "UsageError",
    "ValueComparison",
    "ValueResult",
    "breaking_points",
    "compare_results",
    "drill",
    "estimate",
    "evaluate",
    "explain",
    "format_number",
    "format_quantity",
    "load",
    "loads",
    "quantity",
    "rewrite_inputs",
    "solve",
    "sweep",
    "write_text_atomically",
]

if TYPE_CHECKING:
    from calculator.analysis.compare import Comparison, LimitComparison, ValueComparison
    from calculator.analysis.drill import Drill
    from calculator.analysis.drill import Feedback as DrillFeedback
    from calculator.analysis.explain import Explanation
    from calculator.analysis.solve import BreakingPoint, Solution
    from calculator.analysis.sweep import Sweep


def explain(model: Model, name: str, overrides: dict[str, float] | None = None) -> Explanation:
    """How `name` is derived: formula, closed form (sympy), numbers, elasticities, spread drivers."""
    from calculator.analysis.explain import explain as explain_value  # loaded when its command runs (start-up)

    return explain_value(model, name, overrides)


def solve(model: Model, input_name: str, budget: str | None = None) -> Solution:
    """The largest (or smallest) value of an input at which every budget (or `budget`) holds."""
    from calculator.analysis.solve import solve as solve_input  # loaded when its command runs (start-up)

    return solve_input(model, input_name, budget)


def breaking_points(model: Model, input_name: str, overrides: dict[str, float] | None = None) -> list[BreakingPoint]:
    """Where each budget and latency path breaks as one input moves (the rest as they are), nearest first."""
    from calculator.analysis.solve import breaking_points as find  # loaded when first asked (start-up)

    return find(model, input_name, overrides)


def drill(model: Model, count: int | None = 5, clock: Callable[[], float] | None = None, traffic: str | None = None) -> Drill:
    """An interview-practice session on `model`: `.current`, `.answer("20k request/s")`, `.summary()`."""
    from calculator.analysis.drill import Drill  # sympy comes with it: loaded when first asked (start-up)

    return Drill(model, count, clock or time.monotonic, traffic)


def compare_results(old: Result, new: Result) -> Comparison:
    """Two results side by side: every value, budget and latency path of either, paired by name."""
    from calculator.analysis.compare import compare_results as compare  # loaded when first asked (start-up)

    return compare(old, new)


def sweep(
    model: Model, input_name: str, start: str, stop: str, steps: int = 11, log: bool = False, show: list[str] | None = None
) -> Sweep:
    """Values and budget statuses as one input goes from `start` to `stop` (quantities, e.g. "10M user")."""
    from calculator.analysis.sweep import sweep as sweep_input  # loaded when its command runs (start-up)

    return sweep_input(model, input_name, start, stop, steps, log, show)


def evaluate(path: str, overrides: dict[str, str] | None = None) -> Result:
    """Load and evaluate a scenario file; `overrides` maps input names to quantities ("200M user")."""
    model = load(path)
    parsed = {name: model.parse_override(name, text) for name, text in (overrides or {}).items()}
    result: Result = model.evaluate(parsed).result
    return result


def quantity(value: ValueResult, model: Model | None = None) -> Any:
    """A value of a result as a pint Quantity in its display unit (pass the model for its own units)."""
    return registry().Quantity(value.value, to_pint(value.unit, model.scenario.units if model else None))


_ESTIMATE_SCENARIO = "name: estimate\nderived:\n  estimate: |-\n    "  # the formula starts at line 4, column 5
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)\s*(.*)")


def estimate(text: str) -> Any:
    """One formula of literals, e.g. "100M user * 5 request/user/day -> request/s", as a pint Quantity.

    Errors point into `text` itself (`<estimate>:1:COLUMN`)."""
    formula = " ".join(text.splitlines())  # a formula is one line
    assignment = _ASSIGNMENT.fullmatch(formula)
    if assignment:
        name, rest = assignment.groups()
        raise UsageError(
            f"estimate() takes a formula, not an assignment to '{name}'",
            Location("<estimate>", 1, 1, 1, len(formula) + 1),
            hint=f'drop "{name} =": estimate("{rest}")',
        )
    try:
        model = loads(f"{_ESTIMATE_SCENARIO}{formula}\n", "<estimate>")
        return quantity(model.evaluate().result.values["estimate"])
    except EnvelopeError as error:
        raise _in_formula(error) from None


def _in_formula(error: EnvelopeError) -> EnvelopeError:
    """The error with its place in the user's formula rather than in the scenario wrapped around it."""
    singles = [type(e)(e.message, _formula_place(e.location), e.hint) for e in error.errors]
    return singles[0] if len(singles) == 1 else ErrorGroup(singles)


def _formula_place(where: Location | None) -> Location:
    if where is None or where.line != 4:
        return Location("<estimate>")
    end_line, end_column = (1, max(1, where.end_column - 4)) if where.end_line == 4 else (0, 0)
    return Location("<estimate>", 1, max(1, where.column - 4), end_line, end_column)
