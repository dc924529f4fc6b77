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

from typing import Any

from .errors import EnvelopeError, Location
from .evaluate import Evaluation, Model
from .judge import BudgetResult, PathResult, Result, ValueResult
from .pipeline import load, loads

__all__ = [
    "BudgetResult",
    "EnvelopeError",
    "Evaluation",
    "Location",
    "Model",
    "PathResult",
    "Result",
    "ValueResult",
    "estimate",
    "evaluate",
    "load",
    "loads",
    "quantity",
]


def evaluate(path: str, overrides: dict[str, str] | None = None) -> Result:
    """Load and evaluate a scenario file; `overrides` maps input names to quantities ("200M user")."""
    model = load(path)
    parsed = {name: model.parse_override(name, text) for name, text in (overrides or {}).items()}
    result: Result = model.evaluate(parsed).result
    return result


def quantity(value: ValueResult, model: Model | None = None) -> Any:
    """A value of a result as a pint Quantity in its display unit (pass the model for its own units)."""
    from .units import registry, to_pint

    return registry().Quantity(value.value, to_pint(value.unit, model.scenario.units if model else None))


def estimate(text: str) -> Any:
    """One formula of literals, e.g. "100M user * 5 request/user/day -> request/s", as a pint Quantity."""
    model = loads(f"name: estimate\nderived:\n  estimate: {_yaml_quote(text)}\n", "<estimate>")
    return quantity(model.evaluate().result.values["estimate"])


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
