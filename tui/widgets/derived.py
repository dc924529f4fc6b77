"""Derived values: each in its display unit, its change from the file's value, its formula."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from calculator import record

from ..format import change
from ..state import Workbench
from .palette import theme_color
from .rows import Columns, Headings, Row, RowList

HEADINGS = ("name", "value", "Δ file", "formula")
ALIGNS = ("left", "right", "right")


@record
class DerivedLine(Row):
    """One derived value: `peak_qps  292k request/s  ×14  average_qps * peak_to_average`."""

    name: str
    value: str
    change: str
    formula: str
    columns: Columns
    accent: str  # the theme's accent colour, for the change

    @property
    def key(self) -> str:
        return self.name

    def draw(self, width: int) -> Text:
        style = "bold" if self.change else ""
        return self.columns.line(
            [
                Text(self.name, style),
                Text(self.value, style),
                Text(self.change, f"bold {self.accent}".strip()),
                Text(self.formula, "dim"),
            ],
            width,
        )


class DerivedTable(RowList):
    """One row a derived value, in dependency order; an edit redraws the rows that changed."""

    kind = "derived"

    def select_name(self, name: str) -> None:
        keys = [row.key for row in self.rows]
        if name in keys:
            self.highlighted = keys.index(name)


class DerivedPanel(Vertical):
    """Column headings over the derived values (the headings stay when the rows scroll)."""

    def compose(self) -> ComposeResult:
        yield Headings(id="derived-headings")
        yield DerivedTable(id="derived-rows")

    @property
    def table(self) -> DerivedTable:
        return self.query_one(DerivedTable)

    def focus(self, scroll_visible: bool = True) -> DerivedPanel:
        self.table.focus(scroll_visible)
        return self

    def cell(self, name: str, column: str) -> str:
        """The text shown for `name` in `column` (name, value, change, formula)."""
        row = next(row for row in self.table.rows if isinstance(row, DerivedLine) and row.name == name)
        return str(getattr(row, column))

    def update_values(self, workbench: Workbench | None) -> None:
        """The rows for the workbench's result: its values, their change from the file's, their formulas."""
        rows = [] if workbench is None else [self._cells(workbench, value.name) for value in workbench.view.derived]
        columns = Columns.fit(rows, HEADINGS, ALIGNS, narrowing=0)  # a narrow screen cuts names, not values
        accent = theme_color(self, "accent")
        self.query_one(Headings).show(columns, HEADINGS)
        self.table.show_rows([DerivedLine(*cells, columns, accent) for cells in rows])

    @staticmethod
    def _cells(workbench: Workbench, name: str) -> tuple[str, str, str, str]:
        value, before = workbench.result.values[name], workbench.baseline.values[name]
        shown = value.range_display() if value.p05 is not None else value.display
        delta = change(value.value, before.value) if value.display != before.display else ""
        derived = workbench.view.derived_value(name)
        return name, shown, delta, derived.formula if derived else ""
