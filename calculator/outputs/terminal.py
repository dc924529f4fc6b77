"""Terminal tables: a result, a sweep and the catalog, drawn with rich.

rich is imported inside each function, so `--format json` never pays for it.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from calculator.catalog.figures import SHIPPED
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.common.text import rich_text, terminal_text
from calculator.engine.results import STATUS_GLYPH, flat_stages, judged_text, limit_text, risk_text, with_unit

if TYPE_CHECKING:
    from rich.console import Console

    from calculator.analysis.sweep import Sweep
    from calculator.catalog.figures import Catalog, Entry, Figure
    from calculator.engine.results import PathResult, Result


def stdout_console(**options: Any) -> Console:
    """A rich Console on stdout whose broken pipe (`envelope eval … | head`: the reader stopped) is raised as
    BrokenPipeError for the CLI's edge to end the command with, not rich's own `exit(1)`, which would read
    as a failed budget."""
    return _console_class()(**options)


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console as RichConsole  # rich: only for a terminal table

    class StdoutConsole(RichConsole):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush then has somewhere to go
            raise BrokenPipeError

    return StdoutConsole


STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
STATUS_MARK = {status: f"{glyph} {status}" for status, glyph in STATUS_GLYPH.items()}


def print_table(result: Result, color: bool | None = None) -> None:
    """The result as rich tables on stdout, statuses coloured."""
    from rich.table import Table  # rich: only for a terminal table

    console = stdout_console(no_color=color is False, highlight=False, soft_wrap=False)
    sf = result.sig_figs
    values = Table(
        title=f"{rich_text(result.scenario)}  [{STATUS_STYLE[result.status]}]{STATUS_MARK[result.status]}[/]",
        title_justify="left",
        expand=False,
    )
    values.add_column("name", style="bold")
    values.add_column("value", justify="right")
    values.add_column("formula / note", overflow="fold")
    for v in result.values.values():
        values.add_row(
            rich_text(v.name),
            rich_text(v.range_display(sf)),
            rich_text(v.formula) if v.formula else f"[dim]{rich_text(v.note or 'input', one_line=False)}[/]",
        )
    console.print(values)
    for line in result.catalog_overrides:
        console.print(f"[yellow]overridden[/] catalog entry {rich_text(line)}")
    if result.budgets:
        budgets = Table(title="budgets", title_justify="left")
        budgets.add_column("budget", style="bold")
        for column in ("value", "limit", "used"):
            budgets.add_column(column, justify="right")
        budgets.add_column("status")
        for b in result.budgets:
            style = STATUS_STYLE[b.status]
            value = with_unit(format_number(b.value, sf), b.unit) + judged_text(b.percentile, b.judged, b.unit, sf)
            value += f" ({b.reason})" if b.reason else ""
            budgets.add_row(
                rich_text(b.name),
                rich_text(value),
                rich_text(limit_text(b, sf)),
                f"{b.utilization:.0%}{risk_text(b.p_violation)}",
                f"[{style}]{STATUS_MARK[b.status]}[/]",
            )
        console.print(budgets)
    for p in result.latency:
        style = STATUS_STYLE[p.status]
        console.print(
            f"[italic]latency {rich_text(p.path)}[/]: {format_number(p.total, sf)} of"
            f" {format_number(p.budget, sf)} {rich_text(p.unit.text)}"
            f"{rich_text(judged_text(p.percentile, p.judged, p.unit, sf, ','))}"
            f" ({p.utilization:.0%}{risk_text(p.p_violation)})  [{style}]{STATUS_MARK[p.status]}[/]"
            + (f"  {rich_text(p.reason)}" if p.reason else "")
        )
        console.print(_latency_table(p, sf))


def _latency_table(p: PathResult, sf: int) -> Any:
    from rich.table import Table  # rich: only for a terminal table

    table = Table()
    table.add_column("stage")
    table.add_column(p.unit.text, justify="right")
    table.add_column("of the budget (│ marks 100%)", no_wrap=True)
    for name, value in flat_stages(p.stages):
        share = value / p.budget if p.budget > 0 else 0.0
        width = round(20 * min(max(share, 0.0), 2.0)) if math.isfinite(share) else 31  # past 150%: off the scale
        bar = "█" * min(width, 20) + ("│" + "█" * min(width - 20, 10) + ("…" if width > 30 else "") if width > 20 else "")
        table.add_row(rich_text(name), format_number(value, sf), bar)
    return table


def print_catalog(cat: Catalog, kind: str | None = None, entry: Entry | None = None) -> None:
    """The catalog's kinds with counts; one kind's entries; or one entry with every figure and its source."""
    console = stdout_console(highlight=False)
    if entry is not None:
        _print_entry(console, entry)
    elif kind == "ref":
        _print_reference(console, cat)
    elif kind is not None:
        _print_kind(console, cat, kind)
    else:
        _print_kinds(console, cat)


def _print_kinds(console: Any, cat: Catalog) -> None:
    from rich.table import Table  # rich: only for a terminal table

    table = Table(
        title="catalog kinds",
        title_justify="left",
        caption="envelope catalog KIND lists one kind; envelope catalog ID shows one entry",
        caption_justify="left",
    )
    for column in ("kind", "entries", "for example"):
        table.add_column(column, overflow="fold")
    for kind, count in cat.counts().items():
        examples = list(cat.reference) if kind == "ref" else cat.ids_of_kind(kind)
        table.add_row(kind, str(count), ", ".join(examples[:3]) + (", …" if len(examples) > 3 else ""))
    console.print(table)


def _print_kind(console: Any, cat: Catalog, kind: str) -> None:
    from rich.table import Table  # rich: only for a terminal table

    table = Table(title=f"{kind} entries (hardware: {{NAME: ID}}, then NAME.FIELD)", title_justify="left")
    table.add_column("id", style="bold", overflow="fold")
    table.add_column("description", overflow="fold")
    for entry in cat.of_kind(kind):
        mark = (
            f" [yellow](overridden by {entry.origin})[/]"
            if entry.overridden
            else (f" [cyan](from {entry.origin})[/]" if entry.origin != SHIPPED else "")
        )
        table.add_row(rich_text(entry.id), rich_text(entry.description) + mark)
    console.print(table)


def _print_reference(console: Any, cat: Catalog) -> None:
    from rich.table import Table  # rich: only for a terminal table

    table = Table(title="reference numbers (ref.NAME)", title_justify="left")
    for column in ("name", "value", "as of"):
        table.add_column(column, overflow="fold")
    notes = _Footnotes()
    for name, figure in cat.reference.items():
        table.add_row(rich_text(name) + notes.mark(figure, ""), rich_text(figure.text), _as_of(figure))
    console.print(table)
    notes.print(console)


def _print_entry(console: Any, entry: Entry) -> None:
    from rich.table import Table  # rich: only for a terminal table

    sources = [f.source for f in entry.figures.values()]
    common = max(set(sources), key=sources.count) if sources else ""
    console.print(f"[bold]{rich_text(entry.kind)} {rich_text(entry.id)}[/] — {rich_text(entry.description)}")
    if entry.aliases:
        console.print(rich_text("also: " + ", ".join(entry.aliases)))
    if entry.overridden:
        console.print(f"[yellow]overridden[/] by {rich_text(entry.origin)}: " + rich_text(", ".join(entry.overridden)))
    elif entry.origin != SHIPPED:
        console.print(f"from {rich_text(entry.origin)}")
    for name, label in entry.labels.items():
        console.print(rich_text(f"{name}: {label.text}"))
    if common:
        console.print(rich_text(f"source: {common}"))
    table = Table()
    for column in ("field", "value", "as of"):
        table.add_column(column, overflow="fold")
    notes = _Footnotes()
    for name, figure in entry.figures.items():
        mine = " [yellow]*[/]" if figure.origin != SHIPPED and name in entry.overridden else ""
        table.add_row(rich_text(name) + mine + notes.mark(figure, common), rich_text(figure.text), _as_of(figure))
    console.print(table)
    notes.print(console)


class _Footnotes:
    """A figure's note and its source when it differs from the entry's, numbered under the table."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def mark(self, figure: Figure, common: str) -> str:
        parts = [
            figure.note or "",
            f"source: {figure.source}" if figure.source != common else "",
            f"verified {figure.verified}" if figure.verified else "",
            f"from {figure.origin}" if figure.origin != SHIPPED else "",
        ]
        text = ". ".join(p.rstrip(".") for p in parts if p)
        if not text:
            return ""
        self.lines.append(text)
        return f" [{len(self.lines)}]"

    def print(self, console: Any) -> None:
        for number, line in enumerate(self.lines, 1):
            console.print(terminal_text(f"[{number}] {line}", one_line=True), markup=False)


def catalog_json(cat: Catalog, kind: str | None = None, entry: Entry | None = None) -> dict[str, Any]:
    """The same views as data (`envelope catalog --format json`)."""
    if entry is not None:
        return _entry_dict(entry)
    if kind == "ref":
        return {"kind": "ref", "entries": {name: _figure_dict(f) for name, f in cat.reference.items()}}
    if kind is not None:
        return {"kind": kind, "entries": {e.id: _entry_dict(e) for e in cat.of_kind(kind)}}
    return {"kinds": cat.counts()}


def _entry_dict(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "description": entry.description,
        "aliases": list(entry.aliases),
        "origin": entry.origin,
        "overridden": list(entry.overridden),
        "labels": {name: label.text for name, label in entry.labels.items()},
        "fields": {name: _figure_dict(f) for name, f in entry.figures.items()},
    }


def _figure_dict(figure: Figure) -> dict[str, Any]:
    return {
        "value": figure.text,
        "source": figure.source,
        "as_of": str(figure.as_of),
        "note": figure.note,
        "verified": str(figure.verified) if figure.verified else None,
        "perishable": figure.perishable,
        "stale": figure.stale(),
        "origin": figure.origin,
    }


def _as_of(figure: Figure) -> str:
    return f"{figure.as_of} [yellow](stale)[/]" if figure.stale() else str(figure.as_of)


def print_sweep(table: Sweep, color: bool = True) -> None:
    """A sweep as rich tables: the input, the shown values, each budget's status and utilization.

    Columns that do not fit the terminal's width go to a further table that repeats the input's
    column, rather than being cut to `…`.
    """
    from rich.table import Table  # rich: only for a terminal table

    console = stdout_console(no_color=not color, highlight=False)
    first = _SweepColumn(table.heading(table.input), [table.x_text(row) for row in table.rows])
    columns = [
        _SweepColumn(table.heading(name), [format_number(row.values[name], table.sig_figs) for row in table.rows])
        for name in table.shown
    ]
    columns += [
        _SweepColumn(
            label,
            [f"{row.utilizations[label]:.0%}" for row in table.rows],
            [STATUS_STYLE[row.statuses[label]] for row in table.rows],
        )
        for label in table.budgets
    ]
    for part, group in enumerate(_fitting_groups(first, columns, console.width)):
        out = Table(title=f"sweep of {rich_text(table.input)}" + (" (continued)" if part else ""), title_justify="left")
        for column in [first, *group]:
            out.add_column(rich_text(column.header), justify="right", style="bold" if column is first else None, no_wrap=True)
        for i in range(len(table.rows)):
            out.add_row(*(column.markup(i) for column in [first, *group]))
        console.print(out)


@record(frozen=False)
class _SweepColumn:
    header: str
    cells: list[str]
    styles: list[str] | None = None

    @property
    def width(self) -> int:
        return max(len(text) for text in [self.header, *self.cells]) + 3  # padding and a rule

    def markup(self, row: int) -> str:
        return f"[{self.styles[row]}]{self.cells[row]}[/]" if self.styles else self.cells[row]


def _fitting_groups(first: _SweepColumn, columns: list[_SweepColumn], width: int) -> list[list[_SweepColumn]]:
    """Columns in groups that fit `width` beside the first column, each column kept whole."""
    groups: list[list[_SweepColumn]] = [[]]
    used = first.width + 1
    for column in columns:
        if groups[-1] and used + column.width > width:
            groups.append([])
            used = first.width + 1
        groups[-1].append(column)
        used += column.width
    return groups
