"""Rows drawn to the list's width: a narrow screen cuts a long name, never the value beside it."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult

from tui.widgets.rows import MIN_NARROWED, Columns, HeadingLine, Row, RowList

HEADINGS = ("name", "value", "formula")
ROWS = [("impressions_per_day", "15B impression/day", "dau * requests"), ("qps", "86.8k request/s", "dau / day")]


def line(columns: Columns, cells: tuple[str, ...], width: int) -> str:
    return columns.line([Text(cell) for cell in cells], width).plain


def test_wide_lines_keep_every_column_whole():
    columns = Columns.fit(ROWS, HEADINGS, ("left", "right"), narrowing=0)
    # " " + name (19) + " " + value (18) + " " + formula
    assert line(columns, ROWS[0], 80) == " impressions_per_day 15B impression/day dau * requests"
    assert line(columns, ROWS[1], 80) == " qps                    86.8k request/s dau / day"


def test_a_narrow_line_cuts_the_name_and_keeps_the_value():
    columns = Columns.fit(ROWS, HEADINGS, ("left", "right"), narrowing=0)
    # 36 cells: the name column gives up 4 (1 + 19 + 1 + 18 + 1 = 40), leaving 15 for it
    assert line(columns, ROWS[0], 36) == " " + "impressions_pe…" + " " + "15B impression/day" + " "
    assert line(columns, ROWS[1], 36) == " " + "qps".ljust(15) + " " + "86.8k request/s".rjust(18) + " "
    narrowest = line(columns, ROWS[0], 20)  # the name keeps MIN_NARROWED cells; the line is cut at its end
    assert narrowest == (" " + "impressions…".ljust(MIN_NARROWED) + " 15B impression/day")[:20]


def test_headings_narrow_with_the_rows():
    columns = Columns.fit(ROWS, HEADINGS, ("left", "right"), narrowing=0)
    for width in (80, 36):
        heading = HeadingLine(HEADINGS, columns).draw(width).plain
        row = line(columns, ROWS[1], width)
        assert heading.index("value") + len("value") == row.index("86.8k request/s") + len("86.8k request/s")


def test_without_narrowing_the_line_is_only_cut_at_its_end():
    columns = Columns.fit(ROWS, HEADINGS, ("left", "right"))
    assert line(columns, ROWS[0], 30) == " impressions_per_day 15B impression/day"[:30]


@dataclass(frozen=True)
class CountedLine(Row):
    """A row that counts its draws, by name."""

    name: str
    value: str

    @property
    def key(self) -> str:
        return self.name

    def draw(self, width: int) -> Text:
        DRAWS[self.name] += 1
        return Text(f" {self.name} {self.value}")


DRAWS: Counter[str] = Counter()


class OneList(App[None]):
    def compose(self) -> ComposeResult:
        yield RowList(id="rows")


def test_replacing_one_row_draws_only_that_row_again():
    """An OptionList forgets every row's render when one is replaced; the rows' own cache means an edit
    draws the changed row, not each visible one (an edit in the TUI changes a few rows of twenty)."""
    DRAWS.clear()
    app = OneList()

    async def main() -> None:
        async with app.run_test(size=(40, 10)) as pilot:
            rows = app.query_one(RowList)
            rows.show_rows([CountedLine(f"r{i}", "1 GB") for i in range(5)])
            await pilot.pause()
            assert set(DRAWS) == {f"r{i}" for i in range(5)}
            DRAWS.clear()
            rows.show_rows([CountedLine(f"r{i}", "2 GB" if i == 3 else "1 GB") for i in range(5)])
            await pilot.pause()
            assert dict(DRAWS) == {"r3": 1}
            shown = [rows.render_line(y).text for y in range(5)]
            assert shown[3].strip() == "r3 2 GB" and shown[2].strip() == "r2 1 GB"

    asyncio.run(main())
