"""Drill mode in the TUI (D): values hidden until answered, answers with units, scored by order of magnitude,
the worked steps shown; the same session as `envelope drill`.

The true values are worked out by hand from tests/tui/conftest.py's SMALL scenario:
qps = 10M user × 20 request/user/day / 86,400 s = 2,314.8 request/s; gpus = ceil(2,314.8 / 500) = 5 gpu.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from tests.tui.conftest import drive, settle
from tui.app import EnvelopeApp
from tui.screens.drill import HIDDEN, DrillScreen

QPS = 10e6 * 20 / 86_400  # request/s


def row(screen: DrillScreen, name: str) -> list[str]:
    table = screen.query_one("#drill-questions", DataTable)
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row(name)]


def shown(screen: DrillScreen) -> str:
    static = screen.query_one("#drill-text", Static)
    content = static.content if hasattr(static, "content") else static.renderable  # textual 3+: content
    return content.plain if isinstance(content, Text) else str(content)


async def answer(pilot: Pilot[None], text: str) -> None:
    field = pilot.app.screen.query_one("#drill-answer", Input)
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


def test_a_drill_asks_hides_scores_and_shows_the_steps(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        # the budgeted value and what it depends on, each after what it uses; nothing revealed yet
        assert [q.name for q in screen.drill.questions] == ["qps", "gpus"]
        assert row(screen, "qps") == ["qps", "", HIDDEN, ""]
        assert row(screen, "gpus") == ["gpus", "", HIDDEN, ""]
        assert "users = 10M user  (who uses it)" not in shown(screen)  # a YAML comment is not a note
        assert "requests_per_user = 20 request/user/day  (a guess)" in shown(screen)  # the requirements
        assert "2.31k" not in shown(screen)
        assert "[1/2] qps" in str(screen.query_one("#drill-prompt", Label).render())

        await answer(pilot, "2 TB")  # the wrong kind: explained, asked again
        assert "you gave an amount of data; the question asks for requests per second (request/s): try once more" in shown(screen)
        assert row(screen, "qps")[2] == HIDDEN

        await answer(pilot, "about 230k request/s")  # 99× the 2.31k request/s: no marks
        assert row(screen, "qps")[1:] == ["about 230k request/s", "2.31k request/s", f"none {230e3 / QPS:.0f}× high"]
        text = shown(screen)
        assert "230k request/s: 99× too high — no marks" in text
        assert "qps = users * requests_per_user -> request/s" in text  # the worked steps: formula, numbers, value
        assert "= 10M user × 20 request/user/day" in text
        assert "your answer follows if users were 99× larger" in text  # the input that explains the miss

        await answer(pilot, "15 gpu")  # 3× the 5 gpus: half marks
        assert row(screen, "gpus") == ["gpus", "15 gpu", "5 gpu", "half 3× high"]
        text = shown(screen)
        assert "score: 0.5 of 2 (25%)" in text
        assert "  qps: about 230k request/s for 2.31k request/s (99× too high)" in text
        assert "  gpus: 15 gpu for 5 gpu (3× too high)" in text
        assert "Does gpus meet its budget (<= 8 gpu)? yes: 5 gpu, 62% of the limit (ok)" in text
        assert screen.query_one("#drill-answer", Input).disabled

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DrillScreen)

    drive(app, steps)


def test_reveal_shows_the_answer_unscored_and_answers_typed_while_scoring_wait_their_turn(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert row(screen, "qps") == ["qps", "—", "2.31k request/s", "revealed"]
        assert "true value: 2.31k request/s" in shown(screen)
        # two answers at once (a fast typist): the second waits for the first to be scored
        screen.pending += ["2 TB", "5 gpu"]
        screen.next_pending()
        await settle(pilot)
        assert row(screen, "gpus") == ["gpus", "5 gpu", "5 gpu", "full exact"]
        assert "score: 1 of 1 (100%)" in shown(screen)

    drive(app, steps)


def test_drill_fits_a_small_terminal(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        for selector in ("#drill-questions", "#drill-prompt", "#drill-answer", "#drill-log"):
            region = screen.query_one(selector).region
            assert region.height > 0 and region.right <= 80 and region.bottom <= 24, selector

    drive(app, steps, size=(80, 24))


def test_drill_is_in_the_palette_and_the_help():
    from tui.app import keys

    assert any(key == "D" and "drill" in what for key, what, _ in keys())
