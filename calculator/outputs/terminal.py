"""Terminal tables: a result, a sweep and the catalog, drawn with rich.

rich is imported inside each function, so `--format json` never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from calculator.common.numbers import format_number
from calculator.engine.results import STATUS_GLYPH, flat_stages, limit_text, risk_text, with_unit

if TYPE_CHECKING:
    from calculator.analysis.sweep import Sweep
    from calculator.catalog.entries import Catalog, Figure
    from calculator.engine.results import PathResult, Result

STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
STATUS_MARK = {status: f"{glyph} {status}" for status, glyph in STATUS_GLYPH.items()}


def print_table(result: Result, color: bool | None = None) -> None:
    """The result as rich tables on stdout, statuses coloured."""
    from rich.console import Console  # rich: only for a terminal table
    from rich.table import Table  # rich: only for a terminal table

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
            budgets.add_row(b.name, value, limit_text(b, sf), f"{b.utilization:.0%}{risk_text(b.p_violation)}",
                            f"[{style}]{STATUS_MARK[b.status]}[/]")
        console.print(budgets)
    for p in result.latency:
        style = STATUS_STYLE[p.status]
        console.print(f"[italic]latency {p.path}[/]: {format_number(p.total, sf)} of {format_number(p.budget, sf)}"
                      f" {p.unit.text} ({p.utilization:.0%}{risk_text(p.p_violation)})  [{style}]{STATUS_MARK[p.status]}[/]")
        console.print(_latency_table(p, sf))


def _latency_table(p: PathResult, sf: int) -> Any:
    from rich.table import Table  # rich: only for a terminal table

    table = Table()
    table.add_column("stage")
    table.add_column(p.unit.text, justify="right")
    table.add_column("of the budget (│ marks 100%)", no_wrap=True)
    for name, value in flat_stages(p.stages):
        width = round(20 * value / p.budget) if p.budget > 0 else 0
        bar = "█" * min(width, 20) + ("│" + "█" * min(width - 20, 10) + ("…" if width > 30 else "") if width > 20 else "")
        table.add_row(name, format_number(value, sf), bar)
    return table


def print_catalog(cat: Catalog, kind: str | None) -> None:
    """Catalog entries with their figures, as-of dates and stale marks."""
    from rich.console import Console  # rich: only for a terminal table
    from rich.table import Table  # rich: only for a terminal table

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


def _as_of(figure: Figure) -> str:
    return f"{figure.as_of} [yellow](stale)[/]" if figure.stale() else str(figure.as_of)


def print_sweep(table: Sweep, color: bool = True) -> None:
    """A sweep as a rich table: the input, the shown values, each budget's status and utilization."""
    from rich.console import Console  # rich: only for a terminal table
    from rich.table import Table  # rich: only for a terminal table

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
