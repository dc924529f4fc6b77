"""A list of one-line rows drawn to the list's width: the budgets and the latency waterfall.

One widget however many rows (an OptionList underneath: cursor, keys, mouse and
scrolling come with it). A widget a row made the first screen and every edit
restyle and re-lay out dozens of widgets; here a changed row is one prompt
replaced and one repaint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import events, on
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList, Static

from calculator import record

MIN_NARROWED = 12


@record
class Columns:
    """Widths and alignments of a row's columns; the last column takes the rest of the line.

    `narrowing`: a column that gives up width (down to MIN_NARROWED, cut with …) when the
    line is too narrow for the columns after it, so that a value is never cut before a name.
    """

    widths: tuple[int, ...]
    aligns: tuple[str, ...]
    narrowing: int | None = None

    @classmethod
    def fit(
        cls, rows: Sequence[Sequence[str]], headings: Sequence[str], aligns: Sequence[str], narrowing: int | None = None
    ) -> Columns:
        """As wide as the widest text (or heading) of each column but the last."""
        return cls(
            tuple(max(len(row[i]) for row in [*rows, headings]) for i in range(len(headings) - 1)), tuple(aligns), narrowing
        )

    def offset(self, column: int) -> int:
        """Where `column` starts: a space at the left, one between columns (at full width)."""
        return 1 + sum(self.widths[:column]) + column

    def at(self, width: int) -> tuple[int, ...]:
        """The widths on a line `width` cells wide."""
        spare = width - (1 + sum(self.widths) + len(self.widths))
        if self.narrowing is None or spare >= 0:
            return self.widths
        widths = list(self.widths)
        widths[self.narrowing] = max(MIN_NARROWED, widths[self.narrowing] + spare)
        return tuple(widths)

    def line(self, cells: Sequence[Text], width: int) -> Text:
        parts = [Text(" ")]
        for cell, cell_width, align in zip(cells, self.at(width), self.aligns, strict=False):
            if cell.cell_len > cell_width:
                cell.truncate(cell_width, overflow="ellipsis")
            cell.align(align, cell_width)  # type: ignore[arg-type]
            parts += [cell, Text(" ")]
        text = Text.assemble(*parts, cells[-1])
        text.truncate(width)
        return text


class Row(Visual):
    """A row's content, drawn at whatever width the list has (bars scale with it).

    Subclasses are frozen dataclasses with a `key` (what the row is: a budget's
    name, a stage's path) and a `draw(width)`; equal rows are not redrawn. A row
    is a Textual Visual that knows it is one line high: the list never renders a
    row just to measure it.
    """

    @property
    def key(self) -> str:
        raise NotImplementedError

    def draw(self, width: int) -> Text:
        raise NotImplementedError

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return 1

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        if options.selection is not None:  # text being selected with the mouse: drawn as it is now
            return self._drawn(width, style, options)
        key = (self, width, style)
        try:
            strips = _DRAWN.get(key)
        except TypeError:  # a row holding a mutable result (a budget's, a latency path's): drawn each time
            return self._drawn(width, style, options)
        if strips is None:
            strips = _DRAWN[key] = self._drawn(width, style, options)
            if len(_DRAWN) > DRAWN_KEPT:
                del _DRAWN[next(iter(_DRAWN))]
        return strips

    def _drawn(self, width: int, style: Style, options: RenderOptions) -> list[Strip]:
        return Content.from_rich_text(self.draw(width)).render_strips(width, 1, style, options)


# The strips of rows drawn lately, by (row, width, style). An OptionList forgets every row's render
# when one row is replaced, so an edit would draw each visible row again (21 at 100x30) where one or
# a few changed; a row is a value (equal rows draw the same), so an unchanged one is drawn once.
DRAWN_KEPT = 1024
_DRAWN: dict[tuple[Row, int, Style], list[Strip]] = {}


@record
class HeadingLine(Row):
    """The headings, drawn with the rows' columns at the same width (so they narrow together)."""

    headings: tuple[str, ...]
    columns: Columns

    @property
    def key(self) -> str:
        return "headings"

    def draw(self, width: int) -> Text:
        return self.columns.line([Text(h, "bold") for h in self.headings], width)


class Headings(Static):
    """Column headings over a RowList, redrawn only when the columns change."""

    columns: Columns | None = None

    def show(self, columns: Columns, headings: Sequence[str]) -> None:
        if columns != self.columns:
            self.columns = columns
            self.update(HeadingLine(tuple(headings), columns), layout=False)  # one line, whatever it says


class RowList(OptionList):
    """Rows with a cursor; moving to a row or pressing Enter on it calls `focused(index, open)`,
    which tells the app (`Focused`) what the details panel should show."""

    kind = ""
    """What a row is, for the details panel: input, derived, budget or latency."""

    @record(frozen=False)
    class Focused(Message):
        """The cursor is on row `index` (`key`) of `rows` (`open`: Enter or a click asked for its details)."""

        rows: RowList
        key: str
        index: int
        open: bool = False

        @property
        def control(self) -> RowList:
            return self.rows

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[Row] = []

    def show_rows(self, rows: Sequence[Row]) -> None:
        """Show `rows`, replacing only those that changed; the cursor stays on its row
        (on the first, when the rows are other things: another scenario)."""
        rows = list(rows)
        if [row.key for row in rows] != [row.key for row in self.rows]:
            with self.prevent(OptionList.OptionHighlighted):
                self.set_options(rows)
                self.highlighted = 0 if rows else None
        else:
            for index, (old, new) in enumerate(zip(self.rows, rows, strict=True)):
                if old != new:
                    self.replace_option_prompt_at_index(index, new)
        self.rows = rows

    @property
    def current(self) -> int | None:
        index = self.highlighted
        return index if index is not None and 0 <= index < len(self.rows) else None

    def focused(self, index: int, open: bool) -> None:
        """The cursor is on row `index` (`open`: Enter or a click asked for its details)."""
        self.post_message(self.Focused(self, self.rows[index].key, index, open))

    @on(events.Focus)
    def _list_focused(self) -> None:
        """Coming to a list (a number key, tab, a click) shows its row in the details panel, as moving does."""
        if self.current is not None:
            self.focused(self.current, False)

    @on(OptionList.OptionHighlighted)
    def _row_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.current is not None:
            self.focused(self.current, False)

    @on(OptionList.OptionSelected)
    def _row_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.focused(self.current, True)
