"""`envelope explain`: how one value is derived, the way a hand calculation is written.

The formula as written; its closed form in the inputs alone (sympy, with units);
the same with the numbers plugged in; the value; the elasticity of the value to
each input (∂ln value/∂ln input, exact from sympy, relaxed where ceil/floor make
the derivative zero, numeric where sympy cannot); and, when inputs are
uncertain, which of them drive the spread (rank correlation of the samples).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from calculator.analysis.bounded import too_large_for_sympy
from calculator.analysis.latex import formula_latex, latex_number, latex_quantity, latex_value, substituted_latex, upright
from calculator.common.errors import EnvelopeError, Location, UsageError, closest_or_all
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.engine.judge import judge
from calculator.engine.model import Model, Override
from calculator.engine.resolve import field_figure_text
from calculator.engine.results import StageResult, ValueResult, with_unit
from calculator.engine.scenario import LatencyPath
from calculator.formula.expr import Binary, Call, Expr, Field, Name, Number, Quantity, Unary, has_rounding, to_text


@record(frozen=False)
class Driver:
    """An uncertain input's share in a value's spread."""

    input: str
    rank_correlation: float
    share: float  # of the sum of squared rank correlations


@record(frozen=False)
class Explanation:
    name: str
    formula: str
    closed_form: str
    closed_form_latex: str
    steps: list[str]
    value: float
    unit: str
    display: str
    sensitivity: dict[str, float]
    sensitivity_method: dict[str, str]
    drivers: list[Driver] = field(default_factory=list)
    kind: str = "derived"
    formula_latex: str = ""  # the formula as written, in LaTeX (calculator.analysis.latex)
    steps_latex: list[str] = field(default_factory=list)  # `steps` in LaTeX, one for one

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "formula": self.formula,
            "closed_form": self.closed_form,
            "value": self.value,
            "unit": self.unit,
            "sensitivity": self.sensitivity,
        }
        if self.drivers:
            data["drivers"] = {d.input: {"rank_correlation": d.rank_correlation, "share": d.share} for d in self.drivers}
        return data

    def ranked_sensitivity(self) -> list[tuple[str, float]]:
        """The elasticities, largest in size first (an undefined one last)."""
        return _ranked(self.sensitivity)

    def derivation_lines(self) -> list[str]:
        """formula → numbers substituted → result, one line each, as a hand calculation is written."""
        return [f"{self.name} = {self.formula}", *(f"{' ' * len(self.name)} = {step}" for step in self.steps)]

    def to_text(self) -> str:
        lines = self.derivation_lines()
        lines += ["", f"closed form: {self.name} = {self.closed_form}"]
        if self.sensitivity:
            lines += ["", "sensitivity (elasticity: % change of the value per 1% change of the input):"]
            lines += [
                f"  {name:<28} {elasticity:+.3g}{_method_note(self.sensitivity_method[name])}"
                for name, elasticity in _ranked(self.sensitivity)
            ]
        if self.drivers:
            lines += ["", "what drives the spread (rank correlation with the value, share of the spread):"]
            lines += [
                f"  {d.input:<28} {d.rank_correlation:+.2f}  {d.share:5.0%}  {'█' * round(20 * d.share)}" for d in self.drivers
            ]
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        lines = [f"**{self.name}** = `{self.formula}`", "", f"$${upright(self.name)} = {self.closed_form_latex}$$", ""]
        lines += [f"- $= {step}$" for step in self.steps_latex]
        if self.sensitivity:
            lines += ["", "| input | elasticity |", "|---|---:|"]
            lines += [
                f"| {name} | {elasticity:+.3g}{_method_note(self.sensitivity_method[name])} |"
                for name, elasticity in _ranked(self.sensitivity)
            ]
        if self.drivers:
            lines += ["", "| drives the spread | rank corr. | share |", "|---|---:|---:|"]
            lines += [f"| {d.input} | {d.rank_correlation:+.2f} | {d.share:.0%} |" for d in self.drivers]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """A handcalcs-style derivation: the formula, the numbers substituted, the value (as `derivation_lines`)."""
        rows = [f"{upright(self.name)} &= {self.formula_latex or self.closed_form_latex}"]
        rows += [f"&= {step}" for step in self.steps_latex]
        return "\n".join([r"\begin{aligned}", " \\\\\n".join(rows), r"\end{aligned}"]) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _ranked(sensitivity: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(sensitivity.items(), key=lambda item: -abs(item[1]) if math.isfinite(item[1]) else 0)


def _method_note(method: str) -> str:
    return {"exact": "", "relaxed": " (ceil/floor relaxed)", "numeric": " (numeric)"}.get(method, "")


def explain(
    model: Model, name: str, overrides: Mapping[str, Override] | None = None, samples: int | None = None, seed: int | None = None
) -> Explanation:
    """How `name` is derived, with the numbers of this run."""
    model, overrides = model.applying(overrides)  # another hardware entry: the formulas read its figures

    from calculator.analysis.symbolic import closed_form  # sympy comes with it: explain and solve only

    value = model.scenario.values.get(name)
    paths = {path.name: path for path in model.scenario.latency}
    if value is None and name.removeprefix("latency ") in paths:
        return _explain_path(model, paths[name.removeprefix("latency ")], overrides)
    if value is None and name in model.scenario.hardware:
        entry = model.scenario.hardware[name].id
        raise UsageError(
            f"'{name}' is a hardware binding ({entry}), not a value",
            Location(model.scenario.file),
            f"'envelope catalog {entry}' shows its figures; 'envelope sweep FILE {name}' compares entries",
        )
    if value is None:
        known = [*paths, *model.scenario.values]
        raise UsageError(
            f"no value '{name}' in this scenario",
            Location(model.scenario.file),
            closest_or_all(name, known, "latency paths and values"),
        )

    evaluation = model.evaluate(overrides)
    if value.kind == "input":
        simulation = evaluation.simulate(samples, seed) if name in evaluation.spreads else None
        shown = judge(evaluation, simulation).values[name]
        return Explanation(
            name,
            value.text,
            name,
            name,
            [shown.range_display()],
            shown.value,
            shown.unit.long_text(),
            shown.display,
            {name: 1.0},
            {name: "exact"},
            kind="input",
            formula_latex=upright(name),
            steps_latex=[latex_value(shown, model.scenario.sig_figs)],
        )
    assert value.formula is not None
    too_large = too_large_for_sympy(model, name)
    if too_large is not None:
        return _numeric_explanation(model, name, evaluation, samples, seed, too_large)
    display_form = closed_form(model, name)[0]
    numeric_form, symbols = closed_form(model, name, numeric=True, smooth=True)
    stepped = has_rounding(value.formula.expr, model.formula_of)
    # Monte Carlo (and numpy) only when an input this value depends on is uncertain;
    # the same samples then serve the percentiles and the drivers.
    simulation = evaluation.simulate(samples, seed) if set(symbols) & set(evaluation.spreads) else None
    result = judge(evaluation, simulation)
    shown = result.values[name]
    steps = [
        substituted(value.formula.expr, model, result.values, inline=False),
        substituted(value.formula.expr, model, result.values, inline=True),
        shown.range_display(),
    ]
    steps_latex = [
        substituted_latex(value.formula.expr, model, result.values, inline=False),
        substituted_latex(value.formula.expr, model, result.values, inline=True),
        latex_value(shown, result.sig_figs),
    ]
    if steps[0] == steps[1]:
        del steps[1], steps_latex[1]
    point = {symbols[n]: evaluation.base(n) for n in symbols}
    sensitivity, methods = {}, {}
    for input_name, symbol in symbols.items():
        sensitivity[input_name], methods[input_name] = _elasticity(
            numeric_form, symbol, point, model, evaluation, name, input_name, stepped
        )
    drivers = _drivers(simulation, evaluation, name) if simulation is not None else []
    return Explanation(
        name,
        value.formula.text,
        _plain(display_form),
        _latex(display_form),
        steps,
        shown.value,
        shown.unit.long_text(),
        shown.display,
        sensitivity,
        methods,
        drivers,
        formula_latex=formula_latex(value.formula.expr),
        steps_latex=steps_latex,
    )


def _numeric_explanation(
    model: Model, name: str, evaluation: Any, samples: int | None, seed: int | None, why: str
) -> Explanation:
    """`name` explained with numbers only: its closed form is too large for sympy (`why`), so the
    elasticities are finite differences and the closed form is not written out."""
    value = model.scenario.values[name]
    assert value.formula is not None
    inputs = _inputs_reached(model, value.formula.expr)
    simulation = evaluation.simulate(samples, seed) if set(inputs) & set(evaluation.spreads) else None
    values = judge(evaluation, simulation).values
    shown = values[name]
    steps = [substituted(value.formula.expr, model, values, inline=False), shown.range_display()]
    steps_latex = [
        substituted_latex(value.formula.expr, model, values, inline=False),
        latex_value(shown, model.scenario.sig_figs),
    ]
    sensitivity = {n: _numeric_elasticity(model, evaluation, name, n) for n in inputs}
    note = f"not written out: it is {why}; the numbers below are computed directly"
    drivers = _drivers(simulation, evaluation, name) if simulation is not None else []
    return Explanation(
        name,
        value.formula.text,
        note,
        r"\text{" + note.replace("_", r"\_") + "}",
        steps,
        shown.value,
        shown.unit.long_text(),
        shown.display,
        sensitivity,
        dict.fromkeys(sensitivity, "numeric"),
        drivers,
        formula_latex=formula_latex(value.formula.expr),
        steps_latex=steps_latex,
    )


def _inputs_reached(model: Model, expr: Expr) -> list[str]:
    """The inputs `expr` depends on, through derived values (walked without recursion)."""
    scenario = model.scenario
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, Name) and node.name in scenario.values and node.name not in seen:
            seen.add(node.name)
            value = scenario.values[node.name]
            if value.kind == "input":
                found[node.name] = None
            elif value.formula is not None:
                pending.append(value.formula.expr)
        elif isinstance(node, Binary):
            pending += [node.left, node.right]
        elif isinstance(node, Unary):
            pending.append(node.operand)
        elif isinstance(node, Call):
            pending += list(node.args)
    return sorted(found)


def _plain(expression: Any) -> str:
    import sympy  # sympy: ~0.4 s to import; explain and solve only

    return str(sympy.sstr(expression)).replace("ceiling(", "ceil(")


def _latex(expression: Any) -> str:
    """LaTeX with names kept whole (`dau_peak`, not d with a subscript)."""
    import sympy  # sympy: ~0.4 s to import; explain and solve only

    names = {
        symbol: r"\mathrm{" + str(symbol).strip("[]").replace("_", r"\_").replace("%", r"\%") + "}"
        for symbol in expression.free_symbols
    }
    return str(sympy.latex(expression, symbol_names=names, mul_symbol="times"))


def _elasticity(
    form: Any, symbol: Any, point: dict[Any, float], model: Model, evaluation: Any, name: str, input_name: str, stepped: bool
) -> tuple[float, str]:
    """∂ln value/∂ln input at the point: exact, relaxed (`form` is built without the ceil/floor a
    `stepped` value has), or by finite differences."""
    import sympy  # sympy: ~0.4 s to import; explain and solve only

    from calculator.analysis.symbolic import power_factor  # sympy comes with it: explain and solve only

    method = "relaxed" if stepped else "exact"
    try:
        factor = power_factor(form, symbol)  # a factor x**k: the elasticity is k
        elasticity = float(factor[0] if factor else (sympy.diff(form, symbol) * symbol / form).subs(point))
    except (TypeError, ValueError, ZeroDivisionError):
        elasticity = math.nan
    if math.isfinite(elasticity):
        return elasticity, method
    return _numeric_elasticity(model, evaluation, name, input_name), "numeric"


def _numeric_elasticity(model: Model, evaluation: Any, name: str, input_name: str, step: float = 1e-4) -> float:
    x = evaluation.base(input_name)
    try:
        up = model.evaluate({input_name: x * (1 + step)}).base(name)
        down = model.evaluate({input_name: x * (1 - step)}).base(name)
        centre = evaluation.base(name)
    except EnvelopeError:
        return math.nan
    if centre == 0:
        return math.nan
    return float((up - down) / (2 * step) / centre)


def _drivers(simulation: Any, evaluation: Any, name: str) -> list[Driver]:
    """Spearman correlation of each uncertain input's samples with the value's, as a tornado ranking."""
    import numpy as np  # numpy: only for uncertain inputs

    target = simulation.input_or_slot(evaluation, name)
    if np.ptp(target) == 0:
        return []
    target_ranks = np.argsort(np.argsort(target))
    correlations = {}
    for input_name, samples in simulation.inputs.items():
        rho = float(np.corrcoef(np.argsort(np.argsort(samples)), target_ranks)[0, 1])
        if math.isfinite(rho):
            correlations[input_name] = rho
    total = sum(r * r for r in correlations.values()) or 1.0
    ranked = sorted(correlations.items(), key=lambda item: -abs(item[1]))
    return [Driver(n, r, r * r / total) for n, r in ranked if abs(r) >= 0.01]


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}


def substituted(expr: Expr, model: Model, values: dict[str, ValueResult], inline: bool) -> str:
    """The formula with each value's number and unit in place of its name (`inline`: derived values expanded too)."""
    scenario = model.scenario

    def text(node: Expr) -> tuple[str, float]:
        """The node's text and its precedence (5: an atom, 4.5: a number with a unit)."""
        if isinstance(node, Name) and node.name in scenario.values:
            value = scenario.values[node.name]
            if inline and value.kind == "derived" and value.formula is not None:
                return text(value.formula.expr)
            shown = values[node.name]
            # An input is a given: show it exactly (to 6 figures), so a reader checking by hand uses the real number.
            figures = max(scenario.sig_figs, 6) if value.kind == "input" else scenario.sig_figs
            return with_unit(format_number(shown.value, figures), shown.unit), 4.5 if shown.unit.text else 5
        if isinstance(node, Field):
            return field_figure_text(node, scenario.hardware)[0], 4.5
        if isinstance(node, (Number, Quantity, Name)):
            return to_text(node), 4.5 if isinstance(node, Quantity) else 5
        if isinstance(node, Unary):
            return f"-{operand(node.operand, 3)}", 3
        if isinstance(node, Binary):
            level = _PRECEDENCE[node.op]
            op = {"*": "×", "**": "^"}.get(node.op, node.op)
            right_level = level + 0.5 if node.op in ("-", "/", "**") else level
            left_level = level + 0.5 if node.op == "**" else level
            return f"{operand(node.left, left_level)} {op} {operand(node.right, right_level)}", level
        assert isinstance(node, Call)
        return f"{node.function}({', '.join(text(a)[0] for a in node.args)})", 5

    def operand(node: Expr, needed: float) -> str:
        inner, level = text(node)
        # A number with a unit binds loosely next to `/` and `^`: `1 GB / (2 GB/s)`.
        if level == 4.5 and needed > 2:
            return f"({inner})"
        return f"({inner})" if level < needed else inner

    return text(expr)[0]


def _explain_path(model: Model, path: LatencyPath, overrides: Mapping[str, float] | None) -> Explanation:
    """A latency path: its stages added up (a parallel group's slowest branch), against its budget; each
    stage's elasticity is its share of the total when it is on the critical path, else 0."""
    result = judge(model.evaluate(overrides), None)
    shown = next(p for p in result.latency if p.path == path.name)
    unit = shown.unit.text
    formula = " + ".join(_stage_formula(stage) for stage in shown.stages)
    numbers = " + ".join(_stage_formula(stage, unit) for stage in shown.stages)
    total = with_unit(format_number(shown.total, result.sig_figs), shown.unit)
    budget = with_unit(format_number(shown.budget, result.sig_figs), shown.unit)
    steps = [numbers, f"{total} of {budget} ({shown.utilization:.0%}, {shown.status})"]
    share = latex_number(f"{shown.utilization:.0%}")
    steps_latex = [
        " + ".join(_stage_latex(stage, unit) for stage in shown.stages),
        latex_quantity(format_number(shown.total, result.sig_figs), unit)
        + r"\text{ of }"
        + latex_quantity(format_number(shown.budget, result.sig_figs), unit)
        + rf"\ ({share}\text{{, {shown.status}}})",
    ]
    sensitivity: dict[str, float] = {}
    for stage in shown.stages:
        _critical_shares(stage, stage.name, shown.total, sensitivity)
    return Explanation(
        path.name,
        formula,
        formula,
        " + ".join(_stage_latex(stage) for stage in shown.stages),
        steps,
        shown.total,
        shown.unit.long_text(),
        total,
        sensitivity,
        dict.fromkeys(sensitivity, "exact"),
        kind="latency",
        formula_latex=" + ".join(_stage_latex(stage) for stage in shown.stages),
        steps_latex=steps_latex,
    )


def _stage_formula(stage: StageResult, unit: str | None = None) -> str:
    """`network + max(ann, popular)`, or with each stage's time when `unit` is given."""
    children = stage.parallel if stage.parallel is not None else stage.sequence
    if children is None:
        return stage.name if unit is None else f"{format_number(stage.value, 3)} {unit}"
    inner = [_stage_formula(child, unit) for child in children]
    return f"max({', '.join(inner)})" if stage.parallel is not None else f"({' + '.join(inner)})"


def _stage_latex(stage: StageResult, unit: str | None = None) -> str:
    r"""`_stage_formula` in LaTeX: `\mathrm{network} + \max\left(...\right)`."""
    children = stage.parallel if stage.parallel is not None else stage.sequence
    if children is None:
        return upright(stage.name) if unit is None else latex_quantity(format_number(stage.value, 3), unit)
    inner = [_stage_latex(child, unit) for child in children]
    if stage.parallel is not None:
        return r"\max\left(" + ", ".join(inner) + r"\right)"
    return r"\left(" + " + ".join(inner) + r"\right)"


def _critical_shares(stage: StageResult, label: str, total: float, shares: dict[str, float]) -> None:
    children = stage.parallel if stage.parallel is not None else stage.sequence
    if children is None:
        shares[label] = stage.value / total if total else 0.0
        return
    slowest = max(children, key=lambda child: child.value) if stage.parallel is not None else None
    for child in children:
        if slowest is not None and child is not slowest:
            _zero_leaves(child, f"{label} › {child.name}", shares)
        else:
            _critical_shares(child, f"{label} › {child.name}", total, shares)


def _zero_leaves(stage: StageResult, label: str, shares: dict[str, float]) -> None:
    children = stage.parallel if stage.parallel is not None else stage.sequence
    if children is None:
        shares[label] = 0.0
    for child in children or []:
        _zero_leaves(child, f"{label} › {child.name}", shares)
