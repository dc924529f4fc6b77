"""`envelope solve`: how far an input can move before a budget breaks.

Numeric bracketing on the compiled scenario finds the edge (to float
precision, so the edge of a `ceil` step is exact); where the binding budget's
closed form can be inverted, sympy gives the same edge symbolically and the
answer says so.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Container, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calculator.analysis.bounded import too_large_for_sympy, within_deadline
from calculator.common.errors import EnvelopeError, Location, UsageError, did_you_mean
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.engine.judge import breaks_limit, display_unit, path_total
from calculator.engine.model import Evaluation, Model, Override
from calculator.engine.results import with_unit
from calculator.engine.scenario import CheckedValue
from calculator.engine.slots import LimitSlot, PathBudgetSlot
from calculator.formula.expr import Name, has_rounding
from calculator.units.system import Dimension, Unit

if TYPE_CHECKING:
    from calculator.analysis.risk import RiskPrecision

SEARCH_RANGE = 1e12  # how many times today's value, up and down, the search may go
BISECTIONS = 200
EDGE_RANGE_TOLERANCE = 1e-6  # --risk: how closely the edges at risk ∓ 2 standard errors are found


METHODS = {
    "symbolic": "closed form, solved by sympy",
    "numeric": "found numerically, by bisection",
    "monte carlo": "Monte Carlo, by bisection",
}
WHOLE_COUNTS = Path(__file__).resolve().parents[1] / "units" / "whole_counts.txt"


@record(frozen=False)
class Solution:
    input: str
    value: float  # in `unit`: the edge itself
    unit: Unit
    binding_budget: str
    direction: str  # "max": the largest value that holds; "min": the smallest
    current: float  # today's value, in `unit`
    method: str  # "symbolic" or "numeric"
    sig_figs: int = 3
    safe: float | None = None
    "the edge as shown, in `unit`: rounded to sig_figs (or to a whole count) toward the side that holds"
    budget: str | None = None
    "the one budget asked about (`--budget`), else every budget"
    unreachable: list[str] = field(default_factory=list)
    "budgets (and latency paths) that hold for no value of the input: left out of this answer"
    risk: RiskPrecision | None = None
    "`--risk`: the answer holds each budget's P(break) at most this risk; how precise it is (base units)"

    @property
    def headroom(self) -> float:
        """How many times today's value the edge is."""
        return self.value / self.current if self.current else math.inf

    def __repr__(self) -> str:
        toward = "up to" if self.direction == "max" else "down to"
        return f"<Solution {self.input} {toward} {self.display} ({self.binding_budget} binds)>"

    @property
    def display(self) -> str:
        """The edge as shown (`17.9M user`): setting the input to it still holds."""
        return with_unit(format_number(self.value if self.safe is None else self.safe, self.sig_figs), self.unit)

    def _times_today(self) -> str:
        """`3.25× today`, of the value shown."""
        shown = self.value if self.safe is None else self.safe
        return f"{format_number(shown / self.current, self.sig_figs)}× today" if self.current else "∞× today"

    def _what(self) -> str:
        if self.risk is not None:
            which = f"budget '{self.budget}'" if self.budget is not None else "every budget"
            return f"{which} breaks with probability at most {_share(self.risk.risk)}"
        if self.budget is not None:
            return f"budget '{self.budget}' holds"
        return "every other budget holds" if self.unreachable else "every budget holds"

    def _shown(self, base: float | None) -> str:
        return "none found" if base is None else with_unit(format_number(base / self.unit.factor, self.sig_figs), self.unit)

    def _edge_range(self, r: RiskPrecision) -> str:
        """`6.43M to 6.59M user`, low to high, from the edges at the stricter and the looser risk."""
        if r.stricter is None or r.looser is None:
            return f"{self._shown(r.stricter)} (stricter) and {self._shown(r.looser)} (looser)"
        low, high = sorted((r.stricter, r.looser))
        return f"{format_number(low / self.unit.factor, self.sig_figs)} to {self._shown(high)}"

    def _precision_lines(self) -> list[str]:
        """`--risk`: the samples, P(break) at the answer with its standard error, where the edge moves with it."""
        if self.risk is None:
            return []
        r = self.risk
        return [
            f"Monte Carlo: {r.samples:,} samples (seed {r.seed}), the same samples for every trial value;"
            f" bisection to {self._shown(r.bracket)}",
            f"precision: P(break) {_share(r.p_break)} ± {_share(r.standard_error)} at the answer (one standard error);"
            f" for a risk of {_share(r.risk)} ∓ {_share(r.spread)} (two standard errors) the edge is"
            f" {self._edge_range(r)}",
        ]

    def to_dict(self) -> dict[str, Any]:
        data = {
            "input": self.input,
            "value": float(f"{self.value:.6g}"),
            "unit": self.unit.long_text(),
            "display": self.display,
            "binding_budget": self.binding_budget,
            "direction": self.direction,
            "headroom": float(f"{self.headroom:.6g}"),
            "method": self.method,
        }
        if self.unreachable:
            data["holds_for_no_value"] = self.unreachable
        if self.risk is not None:
            data.update(_risk_dict(self.risk, self.unit))
        return data

    def to_text(self) -> str:
        today = with_unit(format_number(self.current, self.sig_figs), self.unit)
        word = "largest" if self.direction == "max" else "smallest"
        lines = [
            f"{self.input} can {self._verb()} {self.display} ({word} value at which {self._what()}; today {today},"
            f" {self._times_today()})",
            f"binding budget: {self.binding_budget}  ({METHODS[self.method]})",
        ]
        lines += [f"left out: {name} holds for no value of {self.input}" for name in self.unreachable]
        lines += self._precision_lines()
        return "\n".join(lines) + "\n"

    def _verb(self) -> str:
        """A largest value is what the input can grow to; a smallest, what it can fall to."""
        return "grow to" if self.direction == "max" else "fall to"

    def to_markdown(self) -> str:
        breaks = "breaks" if self.risk is None else f"breaks with probability over {_share(self.risk.risk)}"
        text = (
            f"**{self.input}** can {self._verb()} **{self.display}** ({self._times_today()})"
            f" before **{self.binding_budget}** {breaks}.\n"
        )
        for name in self.unreachable:
            text += f"\n**{name}** holds for no value of {self.input}: left out.\n"
        return text

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _share(p: float) -> str:
    """A probability as a percentage with the figures it needs: 5%, 0.15%, 0.012%."""
    return f"{format_number(p * 100, 2)}%"


def _risk_dict(risk: RiskPrecision, unit: Unit) -> dict[str, Any]:
    def shown(base: float | None) -> float | None:
        return None if base is None else float(f"{base / unit.factor:.6g}")

    return {
        "risk": risk.risk,
        "p_break": float(f"{risk.p_break:.6g}"),
        "p_break_standard_error": float(f"{risk.standard_error:.6g}"),
        "samples": risk.samples,
        "seed": risk.seed,
        "edge_at_risk_minus_2se": shown(risk.stricter),
        "edge_at_risk_plus_2se": shown(risk.looser),
        "bracket_width": shown(risk.bracket),
    }


def broken_budgets(evaluation: Evaluation, only: str | None = None) -> list[str]:
    """Names of the budgets and latency paths that the point values break (cheap: no results built)."""
    scenario = evaluation.model.scenario
    broken = [
        b.name
        for i, b in enumerate(scenario.budgets)
        if only in (None, b.name) and breaks_limit(b.op, evaluation.base(b.name), evaluation.slot(LimitSlot(i)))
    ]
    broken += [
        f"latency {p.name}"
        for p in scenario.latency
        if only in (None, p.name) and path_total(p, evaluation.slot) > evaluation.slot(PathBudgetSlot(p.name))
    ]
    return list(dict.fromkeys(broken))


def budget_names(model: Model) -> list[str]:
    """What `--budget` accepts: budgets by name, latency paths by name."""
    return [b.name for b in model.scenario.budgets] + [p.name for p in model.scenario.latency]


def solve(
    model: Model,
    input_name: str,
    budget: str | None = None,
    overrides: Mapping[str, Override] | None = None,
    risk: float | None = None,
    samples: int | None = None,
    seed: int | None = None,
) -> Solution | OptionSolution:
    """The edge of `input_name` at which the budgets (or `budget`) stop holding; budgets that hold for
    no value of the input are named and left out (every one of them: an error).

    With `risk` (0.05 for 5%): the edge at which each budget's Monte Carlo P(break) is at most `risk`
    (a percentile budget: its percentile holds), on `samples` draws seeded with `seed` (the scenario's
    settings by default), the same draws for every trial value.

    An input with options (`one_of`, `range`, `powers_of_two`) is answered with one of them: the largest
    that holds (the smallest, when the smallest option breaks and the largest holds), and what the next
    option breaks."""
    model, overrides = model.applying(overrides)  # another hardware entry: the formulas read its figures
    scenario = model.scenario
    where = Location(scenario.file)
    value = model.input(input_name, where)
    names = budget_names(model)
    if budget is not None and budget not in names:
        raise UsageError(
            f"no budget '{budget}' in this scenario (budgets and latency paths: {', '.join(names) or 'none'})",
            where,
            did_you_mean(budget, names),
        )
    base_overrides = dict(overrides or {})
    today = model.evaluate(base_overrides).base(input_name)
    unit = display_unit(value, today)
    if not today > 0:
        raise UsageError(f"solve needs '{input_name}' to be positive today, not {today:g}", value.location)
    if risk is not None and value.choices:
        return _solve_options(model, value, budget, base_overrides, today, (risk, samples, seed))
    if risk is not None:
        return _solve_at_risk(model, value, budget, base_overrides, today, unit, (risk, samples, seed))
    if value.choices:
        return _solve_options(model, value, budget, base_overrides, today, None)

    def holds_without(left_out: set[str]) -> Any:
        def holds(x: float) -> bool:
            try:
                return not set(broken_budgets(model.evaluate({**base_overrides, input_name: x}), budget)) - left_out
            except EnvelopeError:
                return False

        return holds

    unreachable: list[str] = []
    try:
        direction, inside, outside = _bracket(holds_without(set()), today, input_name, budget)
    except UsageError:
        unreachable = _unreachable(model, input_name, base_overrides, today, budget)
        if not unreachable:
            raise
        if set(unreachable) >= set(_all_labels(model, budget)):
            raise UsageError(
                f"{_listed(unreachable)} for no value of '{input_name}' from 1e-12 to 1e12 times today's",
                where,
                "it does not depend on this input enough: solve for another input",
            ) from None
        direction, inside, outside = _bracket(holds_without(set(unreachable)), today, input_name, budget)
    holds = holds_without(set(unreachable))
    edge, beyond = _bisect(holds, inside, outside)
    binding = [
        b for b in broken_budgets(model.evaluate({**base_overrides, input_name: beyond}), budget) if b not in unreachable
    ]  # what breaks just past the edge
    symbolic = _symbolic_edge(model, input_name, binding, base_overrides, edge)
    method = "numeric"
    if symbolic is not None:
        edge, method = symbolic, "symbolic"
    safe = _safe_edge(holds, edge, direction, unit, scenario.sig_figs, whole_step(value, scenario.units.whole))
    return Solution(
        input_name,
        edge / unit.factor,
        unit,
        ", ".join(binding) or "?",
        direction,
        today / unit.factor,
        method,
        scenario.sig_figs,
        safe / unit.factor,
        budget,
        unreachable,
    )


def _solve_at_risk(
    model: Model,
    value: CheckedValue,
    budget: str | None,
    overrides: Mapping[str, float],
    today: float,
    unit: Unit,
    monte_carlo: tuple[float, int | None, int | None],
) -> Solution:
    """The edge at which every budget's P(break) is at most the risk, on common random numbers."""
    from calculator.analysis.risk import CommonSamples, precision  # numpy: only for --risk

    risk, samples, seed = monte_carlo
    if not 0 < risk < 1:
        raise UsageError(
            f"--risk takes a probability more than 0% and less than 100%, not {_share(risk)}",
            Location("--risk"),
            hint="e.g. --risk 5% for the value that holds 95% of the time",
        )
    common = CommonSamples(model, value.name, overrides, samples, seed)
    holds = common.holds(risk, budget)
    direction, inside, outside = _bracket(holds, today, value.name, budget)
    edge, beyond = _bisect(holds, inside, outside)
    binding = common.binding(beyond, risk, budget)
    sig_figs = model.scenario.sig_figs
    safe = _safe_edge(holds, edge, direction, unit, sig_figs, whole_step(value, model.scenario.units.whole))

    def edge_at(threshold: float) -> float | None:
        at = common.holds(threshold, budget)
        try:
            _, holding, breaking = _bracket(at, today, value.name, budget)
        except UsageError:
            return None
        return _bisect(at, holding, breaking, EDGE_RANGE_TOLERANCE)[0]  # a range for the reader: 6 figures do

    precise = precision(common, risk, safe, abs(beyond - edge), edge_at, budget)
    return Solution(
        value.name,
        edge / unit.factor,
        unit,
        ", ".join(binding) or "?",
        direction,
        today / unit.factor,
        "monte carlo",
        sig_figs,
        safe / unit.factor,
        budget,
        risk=precise,
    )


@record(frozen=False)
class OptionSolution:
    """`solve --for INPUT` over an input with options: the largest option that holds (the smallest, for a
    minimum), and the next option beyond it with the budgets it breaks."""

    input: str
    direction: str  # "max": the largest option that holds; "min": the smallest
    options: list[str]  # every option as written, smallest first
    holding: list[bool]  # whether each option holds
    chosen: str | None  # None: no option holds
    next_option: str | None  # the option just beyond `chosen` (None: `chosen` is the last one)
    next_breaks: list[str]  # what the next option breaks (when no option holds: what the nearest one breaks)
    current: str  # today's option
    budget: str | None = None
    risk: float | None = None

    @property
    def holds(self) -> bool:
        return self.chosen is not None

    def _what(self) -> str:
        which = f"budget '{self.budget}'" if self.budget is not None else "every budget"
        if self.risk is not None:
            return f"{which} breaks with probability at most {_share(self.risk)}"
        return f"{which} holds"

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "direction": self.direction,
            "options": [{"option": o, "holds": h} for o, h in zip(self.options, self.holding, strict=True)],
            "display": self.chosen,
            "current": self.current,
            "next_option": self.next_option,
            "next_option_breaks": self.next_breaks,
            "method": "options",
            **({"risk": self.risk} if self.risk is not None else {}),
        }

    def to_text(self) -> str:
        if self.chosen is None:
            return (
                f"no option of {self.input} holds ({self._what()} at none of {', '.join(self.options)});"
                f" the nearest, {self.next_option}, breaks {', '.join(self.next_breaks)}\n"
            )
        word = "largest" if self.direction == "max" else "smallest"
        lines = [f"{self.input}: {self.chosen} ({word} option at which {self._what()}; today {self.current})"]
        if self.next_option is None:
            last = "largest" if self.direction == "max" else "smallest"
            lines.append(f"it is the {last} option: none beyond it to break a budget")
        else:
            lines.append(f"the next option, {self.next_option}, breaks {', '.join(self.next_breaks)}")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        if self.chosen is None:
            return (
                f"No option of **{self.input}** holds: the nearest, {self.next_option}, breaks {', '.join(self.next_breaks)}.\n"
            )
        beyond = f"; the next option, {self.next_option}, breaks **{', '.join(self.next_breaks)}**" if self.next_option else ""
        return f"**{self.input}** can be **{self.chosen}**{beyond}.\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _solve_options(
    model: Model,
    value: CheckedValue,
    budget: str | None,
    overrides: Mapping[str, float],
    today: float,
    monte_carlo: tuple[float, int | None, int | None] | None,
) -> OptionSolution:
    """Each option judged (at its point values, or with `monte_carlo` at the risk on common samples): the
    largest that holds, unless the smallest breaks and the largest holds (a minimum: the smallest that holds)."""
    choices = sorted(value.choices, key=lambda c: c.point)
    breaks = _option_breaks(model, value, budget, overrides, monte_carlo)
    broken = [breaks(c.point) for c in choices]
    holding = [not b for b in broken]
    direction = "min" if broken[0] and holding[-1] else "max"
    chosen: int | None
    if not any(holding):
        chosen, beyond = None, min(range(len(choices)), key=lambda n: abs(choices[n].point - today))
    elif direction == "max":
        chosen = max(n for n, h in enumerate(holding) if h)
        beyond = chosen + 1
    else:
        chosen = min(n for n, h in enumerate(holding) if h)
        beyond = chosen - 1
    after = choices[beyond] if 0 <= beyond < len(choices) else None
    current = next((c.text for c in choices if math.isclose(c.point, today, rel_tol=1e-12)), format_number(today, 6))
    return OptionSolution(
        value.name,
        direction,
        [c.text for c in choices],
        holding,
        choices[chosen].text if chosen is not None else None,
        after.text if after is not None else None,
        broken[beyond] if after is not None else [],
        current,
        budget,
        monte_carlo[0] if monte_carlo is not None else None,
    )


def _option_breaks(
    model: Model,
    value: CheckedValue,
    budget: str | None,
    overrides: Mapping[str, float],
    monte_carlo: tuple[float, int | None, int | None] | None,
) -> Any:
    """What an option breaks: the budgets its point values break, or with `monte_carlo` those whose
    P(break) is above the risk (a percentile budget: its percentile); an option that does not evaluate breaks."""
    if monte_carlo is not None:
        from calculator.analysis.risk import CommonSamples  # numpy: only for --risk

        risk, samples, seed = monte_carlo
        common = CommonSamples(model, value.name, overrides, samples, seed)
        held = common.holds(risk, budget)

        def at_risk(x: float) -> list[str]:
            if held(x):
                return []
            try:
                return common.binding(x, risk, budget) or ["?"]
            except EnvelopeError as error:
                return [f"its evaluation ({error.kind})"]

        return at_risk

    def at_point(x: float) -> list[str]:
        try:
            return broken_budgets(model.evaluate({**overrides, value.name: x}), budget)
        except EnvelopeError as error:
            return [f"its evaluation ({error.kind})"]

    return at_point


def _listed(labels: list[str]) -> str:
    return f"{labels[0]} holds" if len(labels) == 1 else f"{', '.join(labels)} hold"


def _all_labels(model: Model, budget: str | None) -> list[str]:
    labels = [b.name for b in model.scenario.budgets] + [f"latency {p.name}" for p in model.scenario.latency]
    return [label for label in labels if budget in (None, label, label.removeprefix("latency "))]


def _unreachable(model: Model, name: str, overrides: Mapping[str, float], today: float, budget: str | None) -> list[str]:
    """The budgets and latency paths that hold for no value of `name` in the search range."""
    found = []
    for label in _all_labels(model, budget):
        only = label.removeprefix("latency ")

        def holds(x: float, only: str = only, label: str = label) -> bool:
            try:
                return label not in broken_budgets(model.evaluate({**overrides, name: x}), only)
            except EnvelopeError:
                return False

        if holds(today):
            continue
        try:
            _bracket(holds, today, name, only)
        except UsageError:
            found.append(label)
    return found


@functools.lru_cache(maxsize=1)
def _whole_dimensions() -> frozenset[str]:
    lines = WHOLE_COUNTS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_whole(dimension: Dimension, declared: Container[str] = ()) -> bool:
    """An input counting whole things (gpu, node, or a scenario's unit marked `whole`): solved to whole numbers."""
    if len(dimension.exponents) != 1 or dimension.exponents[0][1] != 1.0:
        return False
    name = dimension.exponents[0][0]
    return name in _whole_dimensions() or name in declared


def whole_step(value: CheckedValue, declared: Container[str] = ()) -> float | None:
    """One whole unit of an input solved to whole numbers, in base units; None when it is not whole.

    A count of whole things (whole_counts.txt) is whole in its base unit (1 gpu); an input marked
    `integer: true` is whole in the unit it is written in (`{value: 80 GB, integer: true}`: whole GB).
    """
    if value.integer:
        return value.display.factor if value.display is not None else 1.0
    return 1.0 if _is_whole(value.dimension, declared) else None


def _safe_edge(holds: Any, edge: float, direction: str, unit: Unit, sig_figs: int, whole: float | None) -> float:
    """The edge (base units) rounded as shown — to `sig_figs` in `unit`, or to a whole number of `whole` —
    toward the side where the budgets hold, checked: setting the input to what is shown holds."""
    toward = math.floor if direction == "max" else math.ceil
    if whole is not None:
        count = edge / whole
        candidate = float(toward(count + (1e-9 if direction == "max" else -1e-9))) * whole
        return candidate if holds(candidate) else edge
    shown = edge / unit.factor
    if shown <= 0:
        return edge
    step = 10.0 ** (math.floor(math.log10(shown)) - sig_figs + 1)
    nearest = round(shown / step)
    for count in (nearest, nearest - 1 if direction == "max" else nearest + 1, toward(shown / step)):
        candidate = float(f"{count * step:.{sig_figs + 2}g}") * unit.factor
        if holds(candidate):
            return candidate
    return edge


@record
class BreakingPoint:
    """Where one budget (or latency path) breaks as one input moves, the rest as they are."""

    budget: str  # a budget's name, or "latency NAME"
    op: str  # the budget's comparison ("<=" for a latency path)
    factor: float  # times today's value of the input at which it breaks (1.0 when it is broken now)
    value: float  # the input there, in base units
    broken_now: bool
    holds_at: float | None = None
    "broken now: the nearest value of the input (base units) at which it holds again; None when none does"

    @property
    def distance(self) -> float:
        """How far from today, either way (|ln factor|): the nearest edge first."""
        return abs(math.log(self.factor)) if self.factor > 0 else math.inf


def breaking_points(model: Model, input_name: str, overrides: Mapping[str, Override] | None = None) -> list[BreakingPoint]:
    """For each budget and latency path that `input_name` can break: the first value (up or down) at which
    it breaks, found as `solve` finds its edge; nearest first. A budget the input never breaks is left out."""
    model, overrides = model.applying(overrides)  # another hardware entry: the formulas read its figures
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
            found.append(BreakingPoint(label, op, 1.0, today, True, _nearest_holding(holds, today, input_name, only)))
            continue
        try:
            _, inside, outside = _bracket(holds, today, input_name, only)
        except EnvelopeError:
            continue  # it holds whatever this input is
        beyond = _bisect(holds, inside, outside)[1]
        found.append(BreakingPoint(label, op, beyond / today, beyond, False))
    return sorted(found, key=lambda point: point.distance)


def _nearest_holding(holds: Any, today: float, name: str, budget: str) -> float | None:
    """The value of the input nearest today's at which a budget broken now holds: where it broke."""
    try:
        _, inside, outside = _bracket(holds, today, name, budget)
    except EnvelopeError:
        return None  # it breaks whatever this input is
    return _bisect(holds, inside, outside)[0]


def _bracket(holds: Any, today: float, name: str, budget: str | None) -> tuple[str, float, float]:
    """A holding and a breaking value of the input, either side of the edge."""
    what = f"budget '{budget}'" if budget else "every budget"
    if holds(today):
        for direction, factor in (("max", 2.0), ("min", 0.5)):
            x = today
            while SEARCH_RANGE**-1 <= x / today <= SEARCH_RANGE:
                if not holds(x * factor):
                    return direction, x, x * factor
                x *= factor
        raise UsageError(f"{what} holds for every value of '{name}' from 1e-12 to 1e12 times today's: nothing binds")
    for factor in (0.5, 2.0):
        x = today
        while SEARCH_RANGE**-1 <= x / today <= SEARCH_RANGE:
            x *= factor
            if holds(x):
                return ("max" if factor < 1 else "min"), x, x / factor
    raise UsageError(f"no value of '{name}' from 1e-12 to 1e12 times today's makes {what} hold")


def _bisect(holds: Any, inside: float, outside: float, rel_tol: float = 0.0) -> tuple[float, float]:
    """The last holding value and the first breaking one, next to each other to float precision
    (or within `rel_tol` of each other)."""
    for _ in range(BISECTIONS):
        if rel_tol and abs(outside - inside) <= rel_tol * abs(inside):
            break
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


def _symbolic_edge(
    model: Model, name: str, binding: list[str], overrides: Mapping[str, float], numeric_edge: float
) -> float | None:
    """The same edge from sympy, when one upper or lower budget binds and its formula inverts."""
    budgets = [b for b in model.scenario.budgets if b.name in binding]
    if len(budgets) != 1:
        return None
    steps = [has_rounding(expr, model.formula_of) for expr in (Name(budgets[0].name, 0), budgets[0].limit.expr)]
    if any(steps):
        return None  # a step (ceil, floor, round): the numeric edge is the exact one, and sympy is not needed
    if too_large_for_sympy(model, budgets[0].name) is not None:
        return None  # a closed form too large to invert: the numeric edge stands
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
            equation = sympy.Eq((value - limit).subs(others), 0)
            if any(power.exp.has(symbol) for power in equation.atoms(sympy.Pow)):
                return None  # the input in an exponent (a^a^a): no closed inverse, and sympy would search long
            solved = within_deadline(lambda: sympy.solve(equation, symbol))  # sympy.solve can run for minutes
            if solved is None:
                return None
            roots = list(solved)
    except (NotImplementedError, TypeError, ValueError):
        return None
    candidates = [float(r) for r in roots if r.is_real and float(r) > 0]
    close = [r for r in candidates if math.isclose(r, numeric_edge, rel_tol=1e-6)]
    return close[0] if close else None
