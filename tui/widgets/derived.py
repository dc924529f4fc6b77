"""Derived values: each in its display unit, its change from the file's value, its formula."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from ..format import change
from ..state import Workbench
from .palette import theme_color

COLUMNS = (("name", "name"), ("value", "value"), ("change", "Δ file"), ("formula", "formula"))


class DerivedTable(DataTable[Text]):
    """One row a derived value, in dependency order; only the cells that changed are redrawn on an edit."""

    @dataclass
    class Focused(Message):
        """The cursor is on a derived value (`open`: the user asked for its details)."""

        name: str
        open: bool = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.names: list[str] = []
        self.shown: dict[tuple[str, str], str] = {}
        self._column_keys: dict[str, ColumnKey] = {}

    def on_mount(self) -> None:
        self._column_keys = {key: self.add_column(label, key=key) for key, label in COLUMNS}

    def load(self, workbench: Workbench | None) -> None:
        """Rows for another scenario, added with their values (measuring widths once, not cell by cell)."""
        names = [v.name for v in workbench.scenario.derived] if workbench else []
        if names != self.names:
            self.clear()
            self.shown.clear()
            self.names = names
            if workbench is not None:
                self.add_rows_with_values(workbench)
        self.update_values(workbench)

    def add_rows_with_values(self, workbench: Workbench) -> None:
        for name in self.names:
            cells = self.cells(workbench, name)
            for column, (text, style) in cells.items():
                self.shown[(name, column)] = text + "\0" + style
            formula = workbench.scenario.values[name].formula.text
            self.add_row(*(Text(text, style=style, justify="right" if column != "name" else "left")
                           for column, (text, style) in cells.items()), Text(formula, style="dim"), key=name)

    def cells(self, workbench: Workbench, name: str) -> dict[str, tuple[str, str]]:
        """name, value and change (from the file) of one row, with their styles."""
        value, before = workbench.result.values[name], workbench.baseline.values[name]
        shown = value.range_display() if value.p05 is not None else value.display
        delta = change(value.value, before.value) if value.display != before.display else ""
        style = "bold" if delta else ""
        return {"name": (name, style), "value": (shown, style),
                "change": (delta, f"bold {theme_color(self, 'accent')}".strip())}

    def update_values(self, workbench: Workbench | None) -> None:
        """New values after an edit: cells whose text is unchanged are left alone (fast on large scenarios)."""
        if workbench is None:
            return
        for name in self.names:
            for column, (text, style) in self.cells(workbench, name).items():
                self._set(name, column, text, style)

    def _set(self, row: str, column: str, text: str, style: str) -> None:
        key = (row, column)
        if self.shown.get(key) == text + "\0" + style:
            return
        self.shown[key] = text + "\0" + style
        # Widening a column re-lays out the screen: only when the text no longer fits.
        wider = len(text) > self.columns[self._column_keys[column]].content_width
        self.update_cell(row, column, Text(text, style=style, justify="right" if column != "name" else "left"),
                         update_width=wider)

    @property
    def current(self) -> str | None:
        if not self.names or not 0 <= self.cursor_row < len(self.names):
            return None
        return self.names[self.cursor_row]

    def select_name(self, name: str) -> None:
        if name in self.names:
            self.move_cursor(row=self.names.index(name))

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving the cursor shows that value's details."""
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Focused(str(event.row_key.value)))

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a value: its details."""
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Focused(str(event.row_key.value), open=True))

