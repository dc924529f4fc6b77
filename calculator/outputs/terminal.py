"""Stage 9, present: a result as JSON data, Markdown, or a terminal table.

JSON keys follow DESIGN §2.1 exactly; the table is drawn with rich (imported
only here, so `--format json` never pays for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from calculator.common.numbers import format_number
from calculator.engine.judge import with_unit

if TYPE_CHECKING:
    from calculator.engine.judge import BudgetResult, PathResult, Result, StageResult, ValueResult

STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
STATUS_MARK = {"ok": "✓ ok", "warn": "! warn", "fail": "✗ fail"}


def _rounded(x: float) -> float:
    """JSON numbers to 6 significant figures: exact enough, readable in a diff."""
    return float(f"{x:.6g}") if x == x and abs(x) != float("inf") else x


def _value_dict(v: ValueResult) -> dict[str, Any]:
    data: dict[str, Any] = {"value": _rounded(v.value), "unit": v.unit.long_text(), "display": v.display,
                            "kind": v.kind, "formula": v.formula}
    if v.p05 is not None:
        data.update(p05=_rounded(v.p05), p50=_rounded(v.p50 or 0.0), p95=_rounded(v.p95 or 0.0))
    return data


def _budget_dict(b: BudgetResult) -> dict[str, Any]:
    data: dict[str, Any] = {"name": b.name, "op": b.op, "value": _rounded(b.value), "limit": _rounded(b.limit),
                            "unit": b.unit.long_text(), "utilization": _rounded(b.utilization), "status": b.status}
    if b.p_violation is not None:
        data["p_violation"] = _rounded(b.p_violation)
    return data


def _stage_dict(s: StageResult) -> dict[str, Any]:
    data: dict[str, Any] = {"name": s.name, "value": _rounded(s.value)}
    if s.parallel is not None:
        data["parallel"] = [_stage_dict(c) for c in s.parallel]
    if s.sequence is not None:
        data["sequence"] = [_stage_dict(c) for c in s.sequence]
    return data


def _path_dict(p: PathResult) -> dict[str, Any]:
    data: dict[str, Any] = {"path": p.path, "budget": _rounded(p.budget), "total": _rounded(p.total),
                            "unit": p.unit.long_text(), "utilization": _rounded(p.utilization), "status": p.status,
                            "stages": [_stage_dict(s) for s in p.stages]}
    if p.p_violation is not None:
        data["p_violation"] = _rounded(p.p_violation)
    return data


def result_to_dict(result: Result) -> dict[str, Any]:
    return {
        "scenario": result.scenario,
        "file": result.file,
        "status": result.status,
        "values": {name: _value_dict(v) for name, v in result.values.items()},
        "budgets": [_budget_dict(b) for b in result.budgets],
        "latency": [_path_dict(p) for p in result.latency],
    }


def limit_text(b: BudgetResult, sig_figs: int) -> str:
    """`<= 1 TB` in the unit the limit was written in, else in the value's unit."""
    unit = b.limit_unit or b.unit
    return f"{b.op} {with_unit(format_number(b.limit * b.unit.factor / unit.factor, sig_figs), unit)}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def result_to_markdown(result: Result) -> str:
    sf = result.sig_figs
    lines = [f"### {result.scenario} — {result.status}", "", "| name | value | formula |", "|---|---:|---|"]
    for v in result.values.values():
        formula = f"`{_md_escape(v.formula)}`" if v.formula else "input"
        lines.append(f"| {v.name} | {_md_escape(v.range_display(sf))} | {formula} |")
    if result.budgets:
        lines += ["", "| budget | value | limit | used | status |", "|---|---:|---:|---:|---|"]
        for b in result.budgets:
            value = with_unit(format_number(b.value, sf), b.unit)
            lines.append(f"| {b.name} | {value} | {_md_escape(limit_text(b, sf))} | {b.utilization:.0%}{_risk(b.p_violation)}"
                         f" | {b.status} |")
    for p in result.latency:
        lines += ["", f"Latency **{p.path}**: {format_number(p.total, sf)} of {format_number(p.budget, sf)} {p.unit.text}"
                  f" ({p.utilization:.0%}{_risk(p.p_violation)}) — {p.status}", "", "| stage | time |", "|---|---:|"]
        lines += [f"| {name} | {format_number(value, sf)} {p.unit.text} |" for name, value in _flat_stages(p.stages)]
    return "\n".join(lines) + "\n"


def _risk(p_violation: float | None) -> str:
    """`, P(break) 2.7%` after a utilization, when uncertain."""
    return "" if p_violation is None else f", P(break) {p_violation:.1%}"


def _flat_stages(stages: list[StageResult], prefix: str = "") -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    for s in stages:
        children = s.parallel if s.parallel is not None else s.sequence
        label = f"{prefix}{s.name}" + (" (parallel: slowest)" if s.parallel is not None else "")
        rows.append((label, s.value))
        if children:
            rows += _flat_stages(children, prefix + s.name + " › ")
    return rows


def print_table(result: Result, color: bool | None = None) -> None:
    """The result as rich tables on stdout, statuses coloured."""
    from rich.console import Console
    from rich.table import Table

    console = Console(no_color=color is False, highlight=False, soft_wrap=False)
    sf = result.sig_figs
    values = Table(title=f"{result.scenario}  [{STATUS_STYLE[result.status]}]{STATUS_MARK[result.status]}[/]",
                   title_justify="left", expand=False)
    values.add_column("name", style="bold")
    values.add_column("value", justify="right")
    values.add_column("formula / note", overflow="fold")
    for v in result.values.values():
        values.add_row(v.name, v.range_display(sf), v.formula or f"[dim]{v.note or 'input'}[/]")
    console.print(values)
    if result.budgets:
        budgets = Table(title="budgets", title_justify="left")
        budgets.add_column("budget", style="bold")
        for column in ("value", "limit", "used"):
            budgets.add_column(column, justify="right")
        budgets.add_column("status")
        for b in result.budgets:
            style = STATUS_STYLE[b.status]
            value = with_unit(format_number(b.value, sf), b.unit)
            budgets.add_row(b.name, value, limit_text(b, sf), f"{b.utilization:.0%}{_risk(b.p_violation)}",
                            f"[{style}]{STATUS_MARK[b.status]}[/]")
        console.print(budgets)
    for p in result.latency:
        style = STATUS_STYLE[p.status]
        console.print(f"[italic]latency {p.path}[/]: {format_number(p.total, sf)} of {format_number(p.budget, sf)}"
                      f" {p.unit.text} ({p.utilization:.0%}{_risk(p.p_violation)})  [{style}]{STATUS_MARK[p.status]}[/]")
        console.print(_latency_table(p, sf))


def _latency_table(p: PathResult, sf: int) -> Any:
    from rich.table import Table

    table = Table()
    table.add_column("stage")
    table.add_column(p.unit.text, justify="right")
    table.add_column("of the budget (│ marks 100%)", no_wrap=True)
    for name, value in _flat_stages(p.stages):
        width = round(20 * value / p.budget) if p.budget > 0 else 0
        bar = "█" * min(width, 20) + ("│" + "█" * min(width - 20, 10) + ("…" if width > 30 else "") if width > 20 else "")
        table.add_row(name, format_number(value, sf), bar)
    return table


def print_catalog(cat: object, kind: str | None) -> None:
    """Catalog entries with their figures, as-of dates and stale marks."""
    from rich.console import Console
    from rich.table import Table

    from calculator.catalog.entries import Catalog

    assert isinstance(cat, Catalog)
    console = Console(highlight=False)
    if kind in (None, "ref"):
        table = Table(title="reference numbers (ref.NAME)", title_justify="left")
        for column in ("name", "value", "as of", "source"):
            table.add_column(column, overflow="fold")
        for name, figure in cat.reference.items():
            table.add_row(name, figure.text, _as_of(figure), figure.source)
        console.print(table)
    for entry in cat.entries.values():
        if kind not in (None, entry.kind):
            continue
        sources = [f.source for f in entry.figures.values()]
        common = max(set(sources), key=sources.count)
        table = Table(title=f"{entry.kind} {entry.id} — {entry.description}", title_justify="left",
                      caption=f"source: {common}", caption_justify="left")
        for column in ("field", "value", "as of", "note or other source"):
            table.add_column(column, overflow="fold")
        for name, figure in entry.figures.items():
            other = figure.source if figure.source != common else ""
            table.add_row(name, figure.text, _as_of(figure), " ".join(filter(None, [figure.note, other])))
        console.print(table)


def _as_of(figure: object) -> str:
    from calculator.catalog.entries import Figure

    assert isinstance(figure, Figure)
    return f"{figure.as_of} [yellow](stale)[/]" if figure.stale() else str(figure.as_of)


def print_sweep(table: object, color: bool = True) -> None:
    """A sweep as a rich table: the input, the shown values, each budget's status and utilization."""
    from rich.console import Console
    from rich.table import Table

    from calculator.analysis.sweep import Sweep

    assert isinstance(table, Sweep)
    console = Console(no_color=not color, highlight=False)
    out = Table(title=f"sweep of {table.input}", title_justify="left")
    out.add_column(f"{table.input} ({table.unit.text})", justify="right", style="bold")
    for name in table.shown:
        out.add_column(f"{name} ({table.units[name].text})", justify="right")
    for label in table.budgets:
        out.add_column(label, justify="right")
    for row in table.rows:
        cells = [format_number(row.x, table.sig_figs)] + [format_number(row.values[n], table.sig_figs) for n in table.shown]
        cells += [f"[{STATUS_STYLE[row.statuses[b]]}]{row.utilizations[b]:.0%}[/]" for b in table.budgets]
        out.add_row(*cells)
    console.print(out)
