"""`envelope solve --risk 5%`: the edge of an input at which every budget's probability of breaking is at most 5%.

The Monte Carlo draws of every uncertain input are drawn once (seeded); each trial
value of the solved input then runs through the compiled scenario on those same
samples (common random numbers). The estimate of P(break) is then a fixed, monotone
step function of the input, so bisection finds its edge exactly and the answer is
the same on every run with the same seed. How precise it is: P(break) at the answer
with its standard error, and where the edge moves when P(break) is two standard
errors either side of the risk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from calculator.common.errors import EnvelopeError, Location, UsageError
from calculator.common.records import record
from calculator.engine.judge import breaks_limit, judged_percentile, path_total
from calculator.engine.slots import DerivedSlot, LimitSlot, PathBudgetSlot, SlotKey

if TYPE_CHECKING:
    import numpy as np

    from calculator.engine.model import Model

SPREAD_ERRORS = 2.0  # the edge's range: where P(break) is this many standard errors either side of the risk


@record
class RiskPrecision:
    """How precise a risk-aware answer is (values of the input in base units)."""

    risk: float
    samples: int
    seed: int
    p_break: float
    "the largest P(break) of the budgets at the answer"
    standard_error: float
    "of that P(break): sqrt(p(1 - p) / samples)"
    stricter: float | None
    "the edge for a risk 2 standard errors lower (None when none is found in the search range)"
    looser: float | None
    "the edge for a risk 2 standard errors higher"
    spread: float
    "those 2 standard errors of P(break) at the risk: sqrt(risk(1 - risk) / samples) × 2"
    bracket: float
    "the bisection's last holding and first breaking values differ by this much"


class CommonSamples:
    """Every uncertain input's samples, drawn once; P(break) of each budget at any value of one input."""

    def __init__(
        self, model: Model, input_name: str, overrides: Mapping[str, float], samples: int | None, seed: int | None
    ) -> None:
        evaluation = model.evaluate(overrides)
        simulation = evaluation.simulate(samples, seed)
        if simulation is None:
            raise UsageError(
                "--risk needs an uncertain input: with every input certain, P(break) is 0 or 1",
                Location("--risk"),
                hint="write a guess as 'A to B' (a 90% interval), or solve without --risk",
            )
        self.model = model
        self.overrides = dict(overrides)
        self.input = input_name
        self.count = simulation.count
        self.seed = model.scenario.seed if seed is None else seed
        self.draws = {name: draws for name, draws in simulation.inputs.items() if name != input_name}
        if not self.draws:
            raise UsageError(
                f"--risk needs an uncertain input other than '{input_name}': solving for it takes each trial value"
                " exactly, and nothing else is uncertain",
                Location("--risk"),
                hint="solve for another input, or without --risk",
            )
        self.arguments: list[Any] = [
            self.draws.get(name, point) for name, point in zip(model.compiled.inputs, evaluation.arguments, strict=True)
        ]
        self.position = model.positions[input_name]

    def slots(self, x: float) -> list[np.ndarray]:
        """Every slot's samples with the input at `x` (base units)."""
        import numpy as np  # numpy: only for uncertain inputs

        arguments = self.arguments.copy()
        arguments[self.position] = x
        with np.errstate(all="ignore"):
            raw = self.model.vectorized(*arguments)
        return [np.broadcast_to(np.asarray(s, dtype=float), (self.count,)) for s in raw]

    def breaking(self, x: float, only: str | None) -> tuple[dict[str, float], list[str]]:
        """P(break) of each budget and latency path (or only `only`) at `x`, and the percentile budgets
        that break at their percentile. A sample that is not a number counts as breaking."""
        import numpy as np  # numpy: only for uncertain inputs

        scenario, index = self.model.scenario, self.model.compiled.index
        slots = self.slots(x)
        point = None  # the point evaluation, for a percentile budget's limit (as judge takes it)
        if any(b.percentile is not None for b in scenario.budgets) or any(p.percentile is not None for p in scenario.latency):
            point = self.model.evaluate({**self.overrides, self.input: x})

        def samples_of(key: SlotKey) -> Any:
            return slots[index[key]]

        p_break: dict[str, float] = {}
        over: list[str] = []
        with np.errstate(all="ignore"):
            for i, budget in enumerate(scenario.budgets):
                if only not in (None, budget.name):
                    continue
                values, limits = self._value(budget.name, x, slots), samples_of(LimitSlot(i))
                if budget.percentile is None:
                    broken = breaks_limit(budget.op, values, limits) | np.isnan(values)
                    p_break[budget.name] = max(float(np.mean(broken)), p_break.get(budget.name, 0.0))
                elif point is not None:
                    limit = point.slot(LimitSlot(i))
                    judged = judged_percentile(values, limits, limit, budget.percentile)
                    if breaks_limit(budget.op, judged, limit) or math.isnan(judged):
                        over.append(budget.name)
            for path in scenario.latency:
                if only not in (None, path.name):
                    continue
                totals, limits = path_total(path, samples_of, np.maximum), samples_of(PathBudgetSlot(path.name))
                label = f"latency {path.name}"
                if path.percentile is None:
                    p_break[label] = float(np.mean((totals > limits) | np.isnan(totals)))
                elif point is not None:
                    limit = point.slot(PathBudgetSlot(path.name))
                    judged = judged_percentile(totals, limits, limit, path.percentile)
                    if judged > limit or math.isnan(judged):
                        over.append(label)
        return p_break, over

    def _value(self, name: str, x: float, slots: list[np.ndarray]) -> np.ndarray:
        import numpy as np  # numpy: only for uncertain inputs

        if name == self.input:
            return np.full(self.count, x)
        if name in self.model.positions:
            return np.broadcast_to(np.asarray(self.arguments[self.model.positions[name]], dtype=float), (self.count,))
        return slots[self.model.compiled.index[DerivedSlot(name)]]

    def holds(self, risk: float, only: str | None) -> Callable[[float], bool]:
        """Whether every budget (or `only`) breaks with probability at most `risk` at a value of the input."""

        def holds(x: float) -> bool:
            try:
                p_break, over = self.breaking(x, only)
            except EnvelopeError:
                return False
            return not over and all(p <= risk for p in p_break.values())

        return holds

    def binding(self, x: float, risk: float, only: str | None) -> list[str]:
        """The budgets that break at `x`: P(break) over `risk`, or a percentile budget over its limit."""
        p_break, over = self.breaking(x, only)
        return list(dict.fromkeys([label for label, p in p_break.items() if p > risk] + over))

    def largest_p_break(self, x: float, only: str | None) -> float:
        p_break, _ = self.breaking(x, only)
        return max(p_break.values(), default=0.0)


def standard_error(p: float, count: int) -> float:
    """The standard error of a share `p` estimated from `count` independent samples."""
    return math.sqrt(max(p * (1 - p), 0.0) / count)


def precision(
    common: CommonSamples,
    risk: float,
    answer: float,
    bracket: float,
    edge_at: Callable[[float], float | None],
    only: str | None,
) -> RiskPrecision:
    """P(break) at the answer and its standard error, and the edges at risk ∓ 2 standard errors
    (`edge_at(threshold)` solves for one threshold on the same samples)."""
    p = common.largest_p_break(answer, only)
    spread = SPREAD_ERRORS * standard_error(risk, common.count)
    stricter, looser = edge_at(max(risk - spread, 0.0)), edge_at(min(risk + spread, 1.0))
    return RiskPrecision(risk, common.count, common.seed, p, standard_error(p, common.count), stricter, looser, spread, bracket)
