"""The picker of a `hardware:` binding: the catalog entries it may take, with the figures its formulas read.

The entries are the binding's `one_of:` options, or every catalog entry of its
kind that has those figures (`calculator.BindingView.options`). Enter picks
the entry under the cursor, Escape leaves the binding as it was; the choice is
applied by the inputs panel as an edit (undo takes it back), and the engine
re-evaluates the compiled scenario with the entry's figures: no reload.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

import calculator


def entry_rows(binding: calculator.BindingView) -> list[tuple[str, ...]]:
    """One row an entry: its id, then each figure the formulas read through the binding (— when absent)."""
    rows = []
    for entry in binding.options:
        figures = dict(entry.figures)
        rows.append((entry.id, *(figures.get(name, "—") for name in binding.fields)))
    return rows


class HardwarePicker(ModalScreen[str | None]):
    """Pick the catalog entry of one binding: ↑ ↓ move, Enter picks, Escape cancels."""

    AUTO_FOCUS = "#hardware-entries"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, binding: calculator.BindingView, current: str):
        super().__init__()
        self.binding = binding
        self.current = current

    def compose(self) -> ComposeResult:
        binding = self.binding
        with Vertical(classes="dialog", id="hardware-dialog") as dialog:
            dialog.border_title = f"{binding.name}: a catalog entry of kind {binding.kind}"
            source = "its one_of options" if binding.listed else f"every {binding.kind} entry with the figures the formulas read"
            yield Label(Text.assemble(("now ", "dim"), (self.current, "bold"), (f"   · {source}", "dim")))
            yield DataTable(id="hardware-entries", cursor_type="row")
            yield Label("↵ pick · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("entry", *(f"{self.binding.name}.{name}" for name in self.binding.fields))
        ids = []
        for row in entry_rows(self.binding):
            style = "bold" if row[0] == self.current else ""
            table.add_row(Text(("● " if row[0] == self.current else "  ") + row[0], style), *row[1:], key=row[0])
            ids.append(row[0])
        if self.current in ids:
            table.move_cursor(row=ids.index(self.current))

    @on(DataTable.RowSelected, "#hardware-entries")
    def picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
