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

import importlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from calculator.common.collector import paused
from calculator.common.errors import (
    CorrelatedPointError,
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

# The rest of the public API is imported when first used (PEP 562): `import calculator.cli.main`
# imports this package first, and a command loads only the stages it runs (the views, the file
# editor and the analyses are a sixth of a cold `envelope eval` if imported eagerly).
_LAZY = {
    "format_number": "calculator.common.numbers",
    "write_text_atomically": "calculator.common.cache",
    "record": "calculator.common.records",
    **dict.fromkeys(["Evaluation", "HardwareChoice", "Model", "Override"], "calculator.engine.model"),
    **dict.fromkeys(["Designs", "evaluate_designs"], "calculator.engine.designs"),
    "load": "calculator.engine.pipeline",
    "loads": "calculator.engine.pipeline",
    **dict.fromkeys(
        ["STATUS_EMOJI", "STATUS_GLYPH", "BudgetResult", "PathResult", "Result", "StageResult", "ValueResult"],
        "calculator.engine.results",
    ),
    "format_quantity": "calculator.engine.results",
    "HistogramBin": "calculator.engine.uncertainty",
    **dict.fromkeys(
        ["BindingView", "BudgetView", "DerivedView", "EntryView", "InputView", "PathView", "ScenarioView", "StageView"],
        "calculator.engine.views",
    ),
    "InputChange": "calculator.file.edit",
    "rewrite_inputs": "calculator.file.edit",
    "drop_correlation": "calculator.file.edit",
    **dict.fromkeys(["ChoiceComparison", "Comparison", "LimitComparison", "ValueComparison"], "calculator.analysis.compare"),
    "Drill": "calculator.analysis.drill",
    "DrillFeedback": "calculator.analysis.drill:Feedback",
    "Explanation": "calculator.analysis.explain",
    "Optimization": "calculator.analysis.optimize",
    "BreakingPoint": "calculator.analysis.solve",
    "Solution": "calculator.analysis.solve",
    "OptionSolution": "calculator.analysis.solve",
    "Sweep": "calculator.analysis.sweep",
    "Grid": "calculator.analysis.sweep",
}


if not TYPE_CHECKING:  # for mypy the names are the imports below: a misspelt name is an error, not Any

    def __getattr__(name: str) -> Any:
        module, _, attribute = _LAZY.get(name, "").partition(":")
        if not module:
            raise AttributeError(f"module 'calculator' has no attribute '{name}'")
        with paused():  # importing allocates and frees nothing: collections here are pure cost
            value = getattr(importlib.import_module(module), attribute or name)
        globals()[name] = value  # found directly from now on
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "STATUS_EMOJI",
    "STATUS_GLYPH",
    "BindingView",
    "BreakingPoint",
    "BudgetResult",
    "BudgetView",
    "ChoiceComparison",
    "Comparison",
    "CorrelatedPointError",
    "DerivedView",
    "Designs",
    "DimensionError",
    "Drill",
    "DrillFeedback",
    "EntryView",
    "EnvelopeError",
    "ErrorGroup",
    "Evaluation",
    "EvaluationError",
    "Explanation",
    "FileError",
    "FormulaSyntaxError",
    "GrammarError",
    "Grid",
    "HardwareChoice",
    "HistogramBin",
    "InputChange",
    "InputView",
    "LimitComparison",
    "Location",
    "Model",
    "Optimization",
    "OptionSolution",
    "Override",
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
    "drop_correlation",
    "estimate",
    "evaluate",
    "evaluate_designs",
    "explain",
    "format_number",
    "format_quantity",
    "load",
    "loads",
    "optimize",
    "quantity",
    "record",
    "rewrite_inputs",
    "solve",
    "sweep",
    "sweep_grid",
    "write_text_atomically",
]

if TYPE_CHECKING:
    from calculator.analysis.compare import ChoiceComparison, Comparison, LimitComparison, ValueComparison
    from calculator.analysis.drill import Drill
    from calculator.analysis.drill import Feedback as DrillFeedback
    from calculator.analysis.explain import Explanation
    from calculator.analysis.optimize import Optimization
    from calculator.analysis.solve import BreakingPoint, OptionSolution, Solution
    from calculator.analysis.sweep import Grid, Sweep
    from calculator.common.cache import write_text_atomically
    from calculator.common.numbers import format_number
    from calculator.common.records import record
    from calculator.engine.designs import Designs, evaluate_designs
    from calculator.engine.model import Evaluation, HardwareChoice, Model, Override
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
        EntryView,
        InputView,
        PathView,
        ScenarioView,
        StageView,
    )
    from calculator.file.edit import InputChange, drop_correlation, rewrite_inputs


def explain(model: Model, name: str, overrides: Mapping[str, Override] | None = None) -> Explanation:
    """How `name` is derived: formula, closed form (sympy), numbers, elasticities, spread drivers."""
    from calculator.analysis.explain import explain as explain_value  # loaded when its command runs (start-up)

    return explain_value(model, name, overrides)


def solve(
    model: Model,
    input_name: str,
    budget: str | None = None,
    risk: float | None = None,
    samples: int | None = None,
    seed: int | None = None,
) -> Solution | OptionSolution:
    """The largest (or smallest) value of an input at which every budget (or `budget`) holds; with `risk`
    (0.05), at which every budget's Monte Carlo P(break) is at most it, on the same `samples` for every
    trial value (seeded with `seed`; the scenario's settings by default). An input with options: the
    largest (smallest) option that holds, and what the next one breaks (an OptionSolution)."""
    from calculator.analysis.solve import solve as solve_input  # loaded when its command runs (start-up)

    return solve_input(model, input_name, budget, risk=risk, samples=samples, seed=seed)


def breaking_points(model: Model, input_name: str, overrides: Mapping[str, Override] | None = None) -> list[BreakingPoint]:
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


def sweep_grid(
    model: Model,
    x: Sequence[str],
    y: Sequence[str],
    steps: tuple[int, int] = (11, 11),
    log: bool = False,
    show: str | None = None,
) -> Grid:
    """Values and budget statuses over a grid of two axes, each (name, from, to) as quantities
    (`("dau", "10M user", "200M user")`) or (name,) for an input with options or a hardware binding
    (`("gpu",)`): numpy arrays indexed [y, x]."""
    from calculator.analysis.sweep import grid_sweep  # loaded when its command runs (start-up)

    return grid_sweep(model, x, y, steps, log, show)


def optimize(
    model: Model,
    minimize: Sequence[str] = (),
    maximize: Sequence[str] = (),
    overrides: Mapping[str, Override] | None = None,
    top: int | None = None,
) -> Optimization:
    """Every combination of the options of the inputs and of the `hardware:` bindings (those `overrides` does not
    fix, as `--set` does): the best `top` designs where
    every budget holds by the objective (`minimize` first, then `maximize`; two or more: the Pareto front)."""
    from calculator.analysis.optimize import Objective  # loaded when first asked (start-up)
    from calculator.analysis.optimize import optimize as search  # loaded when first asked (start-up)

    objectives = [Objective(name, "min") for name in minimize] + [Objective(name, "max") for name in maximize]
    return search(model, objectives, overrides, top)


def evaluate(path: str, overrides: dict[str, str] | None = None) -> Result:
    """Load and evaluate a scenario file; `overrides` maps input names to quantities ("200M user")
    and `hardware:` binding names to catalog entries ("gpu": "H200")."""
    from calculator.engine.pipeline import load  # imported when first used (start-up: see _LAZY)

    model = load(path)
    parsed = {name: model.parse_assignment(name, text) for name, text in (overrides or {}).items()}
    result: Result = model.evaluate(parsed).result
    return result


def quantity(value: ValueResult, model: Model | None = None) -> Any:
    """A value of a result as a pint Quantity in its display unit (pass the model for its own units)."""
    from calculator.units.system import registry, to_pint  # imported when first used (start-up: see _LAZY)

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
    from calculator.engine.pipeline import loads  # imported when first used (start-up: see _LAZY)

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
