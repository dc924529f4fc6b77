"""Two states side by side: the pinned state, the file as saved, or another scenario (A) against the current one (B)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Select

import calculator
from calculator import record

from ..format import STATUS_MARK, change, percent


@record
class Side:
    """One side of a comparison: a label and a result."""

    key: str
    label: str
    result: calculator.Result


def value_rows(a: calculator.Result, b: calculator.Result) -> list[tuple[str, str, str, str]]:
    """name, A, B, Δ for every hardware choice and every value in either (B's order first), from the
    engine's comparison; a binding bound to another entry reads `changed` (gpu  H100-SXM  H200)."""
    comparison = calculator.compare_results(a, b)
    rows = [(c.name, c.old or "—", c.new or "—", "changed" if c.changed else "") for c in comparison.choices]
    for row in comparison.values:
        left, right = row.old, row.new
        delta = ""
        if left is not None and right is not None:
            delta = change(right.value, left.value) if left.unit.text == right.unit.text else "unit differs"
        rows.append((row.name, left.display if left else "—", right.display if right else "—", delta))
    return rows


def budget_rows(a: calculator.Result, b: calculator.Result) -> list[tuple[str, Text, Text, str]]:
    """Budgets (and latency paths) by name: the value, used share and status on each side, Δ in points."""
    rows = []
    before, after = limit_values(a), limit_values(b)
    for row in calculator.compare_results(a, b).limits:
        delta = ""
        if row.old and row.new and math.isfinite(row.old[1]) and math.isfinite(row.new[1]) and row.old[1] != row.new[1]:
            points = f"{(row.new[1] - row.old[1]) * 100:+.0f}"
            delta = "" if points in ("+0", "-0") else f"{points} pts"  # float noise is no change
        rows.append((row.label, _status_text(row.old, before.get(row.name)), _status_text(row.new, after.get(row.name)), delta))
    return rows


def limit_values(result: calculator.Result) -> dict[str, str]:
    """Each budget's value (`name op`) and each latency path's total (`latency NAME`), as shown."""
    values = {f"{b.name} {b.op}": calculator.format_quantity(b.value, b.unit, result.sig_figs) for b in result.budgets}
    values.update({f"latency {p.path}": calculator.format_quantity(p.total, p.unit, result.sig_figs) for p in result.latency})
    return values


def _status_text(side: tuple[str, float] | None, value: str | None) -> Text:
    if side is None:
        return Text("—")
    status, share = side
    return Text(
        f"{value or ''} {percent(share)} {STATUS_MARK[status]} {status}".strip(),
        style={"ok": "green", "warn": "yellow", "fail": "bold red"}[status],
    )


class CompareScreen(ModalScreen[None]):
    """A (chosen) against B (the current state): values and budgets with their deltas."""

    AUTO_FOCUS = "#compare-values"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,c", "dismiss", "Close"),
        Binding("n", "next_side", "Compare with the next"),
        Binding("w", "pick_side", "Pick what to compare with"),
        Binding("x", "only_changes", "Only what changed"),
    ]

    def __init__(self, current: Side, others: Sequence[Side], chosen: str | None = None):
        super().__init__()
        self.current = current
        self.others = list(others)
        self.chosen = chosen or (self.others[0].key if self.others else None)
        self.only_changes = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="compare-dialog") as dialog:
            dialog.border_title = "compare"
            yield Select(
                [(side.label, side.key) for side in self.others],
                value=self.chosen or Select.BLANK,
                allow_blank=False,
                id="compare-with",
                prompt="compare with",
            )
            yield Label("", id="compare-title")
            yield DataTable(id="compare-budgets", cursor_type="row")
            yield DataTable(id="compare-values", cursor_type="row")

    def on_mount(self) -> None:
        budgets = self.query_one("#compare-budgets", DataTable)
        budgets.add_columns("budget", "A", "B", "Δ")
        values = self.query_one("#compare-values", DataTable)
        values.add_columns("value", "A", "B", "Δ")
        self.fill()

    def action_next_side(self) -> None:
        """The keyboard's way through the A sides: pinned, the file, each other scenario, round again."""
        keys = [side.key for side in self.others]
        if keys:
            following = keys[(keys.index(self.chosen) + 1) % len(keys)] if self.chosen in keys else keys[0]
            self.query_one("#compare-with", Select).value = following

    def action_pick_side(self) -> None:
        """Open the picker of A sides (↑ ↓ and enter choose)."""
        picker = self.query_one("#compare-with", Select)
        picker.focus()
        picker.expanded = True

    def action_only_changes(self) -> None:
        """Show only the rows that differ between A and B, or every row again."""
        self.only_changes = not self.only_changes
        self.fill()

    @on(Select.Changed, "#compare-with")
    def side_chosen(self, event: Select.Changed) -> None:
        """Another A side: refill the tables."""
        if isinstance(event.value, str):
            self.chosen = event.value
            self.fill()

    def fill(self) -> None:
        other = next((side for side in self.others if side.key == self.chosen), None)
        title = self.query_one("#compare-title", Label)
        budgets = self.query_one("#compare-budgets", DataTable)
        values = self.query_one("#compare-values", DataTable)
        budgets.clear()
        values.clear()
        if other is None:
            title.update("Nothing to compare with: pin a state (p) or open another scenario.")
            return
        title.update(
            Text.assemble(
                ("A ", "bold"),
                other.label,
                ("   B ", "bold"),
                self.current.label,
                ("   n next · w pick · x " + ("every row" if self.only_changes else "only what changed"), "dim"),
            )
        )
        for name, left, right, delta in budget_rows(other.result, self.current.result):
            if not self.only_changes or left.plain != right.plain:
                budgets.add_row(name, left, right, Text(delta, style="bold" if delta else ""), key=name)
        for name, left_text, right_text, delta in value_rows(other.result, self.current.result):
            if not self.only_changes or left_text != right_text:
                values.add_row(name, left_text, right_text, Text(delta, style="bold" if delta else ""), key=name)
