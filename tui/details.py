"""What the details panel says about a selected value, budget or latency stage (renderables, no widgets).

The quick part (formula, the numbers it uses, what a 1% change of an input
moves) comes from the result and the compiled model and is shown at once; the
slow part (`calculator.explain`: closed form with sympy, elasticities, spread
drivers; and the Monte Carlo histogram) is computed off the UI thread and
shown when ready.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import field

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

import calculator
from calculator import record

from .format import STATUS_MARK, bar, change, number, percent, percentile_name
from .state import Workbench

OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}
HISTOGRAM_BINS = 12


@record
class Selection:
    """What the details panel is about: an input or derived value, a budget (by index) or a latency stage."""

    kind: str  # input, derived, budget, latency
    name: str
    index: int = 0

    @property
    def value_name(self) -> str | None:
        """The value to explain: the value itself, or a budget's value."""
        return self.name if self.kind in ("input", "derived", "budget") else None


@record(frozen=False)
class Analysis:
    """The slow part, computed in a worker: the engine's explanation and a histogram of the samples."""

    explanation: calculator.Explanation | None = None
    histogram: list[tuple[float, float, float]] = field(default_factory=list)  # (low, high, share)
    error: str | None = None


def analyse(workbench: Workbench, name: str) -> Analysis:
    """`calculator.explain` (when the engine has it) and the histogram of an uncertain value. Slow: run off the UI."""
    analysis = Analysis()
    overrides = workbench.overrides()
    try:
        analysis.explanation = calculator.explain(workbench.model, name, overrides)
    except calculator.EnvelopeError as error:
        analysis.error = error.render()
    value = workbench.result.values.get(name)
    if value is not None and value.p05 is not None and value.p05 != value.p95:
        analysis.histogram = histogram(workbench, name)
    return analysis


def histogram(workbench: Workbench, name: str) -> list[tuple[float, float, float]]:
    """The Monte Carlo samples of a value, in its display unit, in bins from its 1st to 99th percentile."""
    value = workbench.result.values[name]
    factor = value.base / value.value if value.value else 1.0
    return [(b.low / factor, b.high / factor, b.share) for b in workbench.evaluation.histogram(name, HISTOGRAM_BINS)]


# --- rendering -----------------------------------------------------------------------------------------------------


def describe(workbench: Workbench, selection: Selection, analysis: Analysis | None, styles: dict[str, str]) -> RenderableType:
    """The panel's content for `selection` (`analysis` None: still computing)."""
    if selection.kind == "input" and workbench.binding(selection.name) is not None:
        return _binding(workbench, selection.name, styles)
    if selection.kind == "input":
        return _input(workbench, selection.name, analysis, styles)
    if selection.kind == "derived":
        return _derived(workbench, selection.name, analysis, styles)
    if selection.kind == "budget":
        return _budget(workbench, selection.index, analysis, styles)
    return _stage(workbench, selection.name, styles)


def _heading(title: str, kind: str, status: str | None, styles: dict[str, str]) -> Text:
    text = Text(title, style="bold")
    text.append(f"  {kind}", style="dim")
    if status:
        text.append(f"  {STATUS_MARK[status]} {status}", style=styles.get(status, ""))
    return text


def _facts(rows: Sequence[tuple[str, RenderableType | str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def _input(workbench: Workbench, name: str, analysis: Analysis | None, styles: dict[str, str]) -> RenderableType:
    view = workbench.view.input(name)
    assert view is not None, name
    result = workbench.result.values[name]
    rows: list[tuple[str, RenderableType | str]] = [("as written", workbench.text(name))]
    if name in workbench.edits:
        rows.append(("in the file", Text(workbench.original_text(name), style="dim")))
    rows.append(("value", result.display))
    if result.p05 is not None and result.p95 is not None and result.p05 != result.p95:
        low, high = (calculator.format_quantity(x, result.unit) for x in (result.p05, result.p95))
        rows.append(("p5 – p95", f"{low} – {high}"))
    if view.note:
        rows.append(("note", view.note))
    if view.used_by:
        rows.append(("used by", ", ".join(view.used_by)))
    parts: list[RenderableType] = [_heading(name, "input", None, styles), _facts(rows)]
    limits = breaking_points(workbench, name)
    if limits:
        table = Table.grid(padding=(0, 1))
        for row in limits:
            table.add_row(*row)
        parts += [Text("\nbreaks a budget at (the rest as they are)", style="bold"), table]
    parts += _histogram_part(analysis, result.unit.text)
    return Group(*parts)


def _binding(workbench: Workbench, name: str, styles: dict[str, str]) -> RenderableType:
    """A hardware binding: the entry it is bound to now (and in the file), and the figures its formulas read."""
    binding = workbench.binding(name)
    assert binding is not None, name
    now = workbench.text(name)
    rows: list[tuple[str, RenderableType | str]] = [("entry", now)]
    if name in workbench.edits:
        rows.append(("in the file", Text(binding.entry, style="dim")))
    entry = next((e for e in binding.options if e.id == now), None)
    if entry is not None:
        rows.append(("is", entry.description))
        figures = dict(entry.figures)
        rows += [(f"{name}.{field}", figures.get(field, "—")) for field in binding.fields]
    rows.append(("choices", f"{len(binding.options)} {binding.kind} entries (enter picks)"))
    return Group(_heading(name, f"hardware ({binding.kind})", None, styles), _facts(rows))


def breaking_points(workbench: Workbench, name: str) -> list[tuple[str, str, str]]:
    """For each budget that input `name` can break: where it breaks, as a factor on the input and a value
    (the engine's); for one broken now, where it held: `holds up to 17.3M user`."""
    unit = workbench.result.values[name].unit
    rows = []
    for p in calculator.breaking_points(workbench.model, name, workbench.overrides()):
        label = f"{p.budget} {OP_TEXT[p.op]}"
        today = p.value
        if not p.broken_now:
            rows.append((label, f"×{number(p.factor)}", calculator.format_quantity(p.value / unit.factor, unit)))
        elif p.holds_at is None:
            rows.append((f"{label} (broken now)", "holds for", "no value"))
        else:
            side = "holds up to" if p.holds_at < today else "holds from"
            rows.append(
                (
                    f"{label} (broken now)",
                    f"{side} ×{number(p.holds_at / today)}",
                    calculator.format_quantity(p.holds_at / unit.factor, unit),
                )
            )
    return rows


def _derived(workbench: Workbench, name: str, analysis: Analysis | None, styles: dict[str, str]) -> RenderableType:
    result = workbench.result.values[name]
    before = workbench.baseline.values[name]
    status = workbench.result.worst_status_of(name)
    parts: list[RenderableType] = [_heading(name, "derived", status, styles)]
    shown = result.range_display() if result.p05 is not None else result.display
    rows: list[tuple[str, RenderableType | str]] = [("value", Text(shown, style="bold"))]
    if before.display != result.display:
        rows.append(("in the file", f"{before.display}  ({change(result.value, before.value)})"))
    if result.note:
        rows.append(("note", result.note))
    parts.append(_facts(rows))
    parts += _derivation(workbench, name, analysis, styles)
    parts += _histogram_part(analysis, result.unit.text)
    return Group(*parts)


def _derivation(workbench: Workbench, name: str, analysis: Analysis | None, styles: dict[str, str]) -> list[RenderableType]:
    """Formula, numbers substituted, closed form, sensitivity, spread drivers (the engine's explain when ready)."""
    formula = workbench.result.values[name].formula or ""
    explanation = analysis.explanation if analysis else None
    if explanation is None:
        lines: list[RenderableType] = [Text(f"\n{name} = {formula}", style="bold")]
        derived = workbench.view.derived_value(name)
        uses = derived.depends if derived else ()
        lines += [Text(f"  {dep} = {workbench.result.values[dep].display}") for dep in uses if dep in workbench.result.values]
        note = (
            analysis.error
            if analysis and analysis.error
            else ("closed form and sensitivity: computing…" if analysis is None else "")
        )
        if note:
            lines.append(Text(note, style="dim italic"))
        return lines
    steps = explanation.steps
    parts: list[RenderableType] = [Text(f"\n{name} = {explanation.formula}", style="bold")]
    parts += [Text(f"{' ' * len(name)} = {step}") for step in steps]
    parts.append(Text(f"\nclosed form\n  {name} = {explanation.closed_form}"))
    ranked = explanation.ranked_sensitivity()
    if ranked:
        parts += [Text("\nsensitivity (% change per 1% of the input)", style="bold"), _ranking(ranked, styles)]
    drivers = explanation.drivers
    if drivers:
        parts.append(Text("\nwhat drives the spread", style="bold"))
        parts.append(_ranking([(d.input, d.share) for d in drivers], styles, as_share=True))
    return parts


def _ranking(items: Sequence[tuple[str, float]], styles: dict[str, str], suffix: str = "", as_share: bool = False) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    largest = max((abs(v) for _, v in items if math.isfinite(v)), default=1.0) or 1.0
    for label, value in items:
        shown = percent(value) if as_share else (f"{value:+.3g}{suffix}" if math.isfinite(value) else "–")
        share = abs(value) / largest if math.isfinite(value) else 0.0
        table.add_row(label, shown, bar(share, 10, style=styles.get("accent", "")))
    return table


def _histogram_part(analysis: Analysis | None, unit: str) -> list[RenderableType]:
    if analysis is None or not analysis.histogram:
        return []
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    tallest = max(share for _, _, share in analysis.histogram) or 1.0
    for low, high, share in analysis.histogram:
        table.add_row(f"{number(low, 2)}–{number(high, 2)}", bar(share / tallest, 16), percent(share))
    return [Text(f"\ndistribution (Monte Carlo, {unit or 'no unit'})", style="bold"), table]


def _budget(workbench: Workbench, index: int, analysis: Analysis | None, styles: dict[str, str]) -> RenderableType:
    budget = workbench.result.budgets[index]
    parts: list[RenderableType] = [_heading(f"budget {budget.name}", "", budget.status, styles)]
    rows: list[tuple[str, RenderableType | str]] = [
        ("limit", f"{budget.name} {OP_TEXT[budget.op]} {calculator.format_quantity(budget.limit, budget.unit)}"),
        ("value", calculator.format_quantity(budget.value, budget.unit)),
        *_judged_row(budget),
        (
            "used",
            Text.assemble(
                bar(budget.utilization, 16, style=styles.get(budget.status, "")),
                f" {percent(budget.utilization)} (warn at {percent(budget.warn)})",
            ),
        ),
    ]
    if budget.p_violation is not None:
        rows.append(("P(break)", percent(budget.p_violation)))
    rows.append(("to hold", _to_hold(budget)))
    if len(workbench.baseline.budgets) == len(workbench.result.budgets):
        before = workbench.baseline.budgets[index]
        if before.utilization != budget.utilization:
            rows.append(("in the file", f"{percent(before.utilization)} {STATUS_MARK[before.status]} {before.status}"))
    parts.append(_facts(rows))
    if workbench.view.kind_of(budget.name) == "derived":
        parts += _derivation(workbench, budget.name, analysis, styles)
    return Group(*parts)


def _judged_row(limited: calculator.BudgetResult | calculator.PathResult) -> list[tuple[str, RenderableType | str]]:
    """A percentile budget's judged percentile: what its status and utilization are of."""
    if limited.percentile is None or limited.judged is None:
        return []
    return [(percentile_name(limited.percentile), f"{calculator.format_quantity(limited.judged, limited.unit)} (judged)")]


def _to_hold(budget: calculator.BudgetResult) -> str:
    """How far the value may move before it breaks, or how far it must move to hold."""
    used = budget.utilization
    if not math.isfinite(used) or used == 0:
        return "–"
    if budget.op in ("<=", "<"):
        return (
            f"the value may grow ×{number(1 / used)} before it breaks"
            if used <= 1
            else f"the value must fall by {percent(1 - 1 / used)} to hold"
        )
    return (
        f"the value may fall by {percent(1 - used)} before it breaks"
        if used <= 1
        else f"the value must grow ×{number(used)} to hold"
    )


def _stage(workbench: Workbench, key: str, styles: dict[str, str]) -> RenderableType:
    """A latency path or one of its stages: its share of the budget, its formula, the largest stages."""
    path_name, *stage_names = key.split("/")
    path = next((p for p in workbench.result.latency if p.path == path_name), None)
    if path is None:
        return Text(f"no latency path '{path_name}'")
    unit = path.unit.text
    rows: list[tuple[str, RenderableType | str]] = [
        ("budget", f"{number(path.budget)} {unit}"),
        ("total", f"{number(path.total)} {unit}  ({percent(path.utilization)})"),
        ("slack", f"{number(path.budget - path.total)} {unit}"),
        *_judged_row(path),
    ]
    if path.p_violation is not None:
        rows.append(("P(break)", percent(path.p_violation)))
    parts: list[RenderableType] = [_heading(f"latency {path_name}", "", path.status, styles)]
    if stage_names:
        stage = _find_stage(path.stages, stage_names)
        formula = _stage_formula(workbench, path_name, stage_names)
        parts[0] = _heading(" › ".join(stage_names), f"stage of {path_name}", None, styles)
        stage_rows: list[tuple[str, RenderableType | str]] = []
        if stage is not None:
            stage_rows.append(
                (
                    "duration",
                    f"{number(stage.value)} {unit}  ({percent(stage.value / path.budget)} of the budget)"
                    if path.budget
                    else f"{number(stage.value)} {unit}",
                )
            )
        if formula:
            stage_rows.append(("formula", formula))
        if stage is not None and stage.parallel:
            slowest = max(stage.parallel, key=lambda c: c.value)
            stage_rows.append(("counts", f"the slowest branch: {slowest.name} ({number(slowest.value)} {unit})"))
        parts.append(_facts(stage_rows))
        parts.append(Text(f"\npath {path_name}", style="bold"))
    parts.append(_facts(rows))
    ranked = sorted(((s.name, s.value) for s in path.stages), key=lambda item: -item[1])
    if ranked and path.budget:
        parts.append(Text("\nlargest stages (share of the budget)", style="bold"))
        table = Table.grid(padding=(0, 1))
        for name, value in ranked:
            table.add_row(
                name,
                f"{number(value)} {unit}",
                bar(value / path.budget, 12, style=styles.get(path.status, "")),
                percent(value / path.budget),
            )
        parts.append(table)
    return Group(*parts)


def _find_stage(stages: Sequence[calculator.StageResult], names: Sequence[str]) -> calculator.StageResult | None:
    found = None
    for name in names:
        found = next((s for s in stages if s.name == name), None)
        if found is None:
            return None
        stages = found.parallel or found.sequence or []
    return found


def _stage_formula(workbench: Workbench, path_name: str, names: Sequence[str]) -> str | None:
    path = workbench.view.path(path_name)
    stage = path.stage(list(names)) if path else None
    return stage.formula if stage else None
