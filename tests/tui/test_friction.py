"""What a new user tripped on in the TUI (issue 13): dead keys, details that lag, empty panels, a cut bar."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widget import Widget

from tests.tui.conftest import SMALL, drive, edit, settle, write
from tests.tui.test_app import bar_text, details_text
from tui.app import EnvelopeApp
from tui.widgets.inputs import InputsPanel


def shown(widget: Widget) -> bool:
    """Displayed, and so is every widget it sits in."""
    node: Widget | None = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent if isinstance(node.parent, Widget) else None
    return True


def test_hiding_the_list_that_has_focus_gives_focus_to_a_shown_widget(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("1", "b")
        await settle(pilot)
        assert not app.query_one("#sidebar").display
        assert app.focused is not None and shown(app.focused)
        table = app.query_one(InputsPanel).table
        await pilot.press("2", "down")  # the keyboard answers at once
        assert app.focused is table and table.highlighted == 1

    drive(app, steps, size=(80, 24))


def test_opening_details_at_80_columns_does_not_leave_focus_in_the_hidden_list(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("1", "d")  # at 80 columns the details panel hides the list
        await settle(pilot)
        assert app.focused is not None and shown(app.focused)

    drive(app, steps, size=(80, 24))


def test_a_broken_budget_says_where_it_held(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "100M user")
        await pilot.press("d")
        await settle(pilot)
        text = details_text(app)
        # gpus = ceil(users * 20 / 86,400 / 500) <= 8 holds while users <= 8 * 500 * 86,400 / 20 = 17.28M
        assert "×1" not in text.split("breaks a budget at")[1]
        assert "holds up to" in text and "17.3M user" in text

    drive(app, steps)


def test_details_follow_a_number_key_jump(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M user")
        await pilot.press("4", "d")
        await settle(pilot)
        assert "budget gpus" in details_text(app)
        await pilot.press("3")
        await settle(pilot)
        assert "derived" in details_text(app) and "qps = users * requests_per_user" in details_text(app)

    drive(app, steps)


def test_escape_closes_the_details_panel(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("d")
        await settle(pilot)
        assert app.details_open
        await pilot.press("escape")
        await settle(pilot)
        assert not app.details_open
        assert app.focused is not None and shown(app.focused)

    drive(app, steps)


def test_a_scenario_without_latency_paths_has_no_latency_panel(tmp_path: Path):
    path = write(tmp_path / "flat.yaml", SMALL[: SMALL.index("latency:")])
    app = EnvelopeApp([path], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert not app.query_one("#latency").display
        budgets = app.query_one("#budgets").region
        assert budgets.height >= 2

    drive(app, steps, size=(80, 24))


def test_the_pin_mark_is_whole_at_120_columns(tour: Path):
    app = EnvelopeApp([tour], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "dau", "60M user")
        await pilot.press("p")
        await settle(pilot)
        assert "◆ pinned" in bar_text(app)
        bar = app.query_one("#scenario-bar")
        line = "".join(segment.text for segment in bar.render_line(0))
        assert "◆ pinned" in line

    drive(app, steps, size=(120, 40))


def test_compare_from_the_keyboard_with_values_and_only_what_changed(small: Path):
    from textual.widgets import DataTable

    from tui.screens.compare import CompareScreen

    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("p")
        await edit(pilot, "users", "20M user")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.chosen == "pin"
        budgets = screen.query_one("#compare-budgets", DataTable)
        row = [str(c) for c in budgets.get_row_at(0)]
        # gpus = ceil(users * 20 / 86,400 / 500): 5 gpu at 10M users, 10 gpu at 20M; the limit is 8
        assert row[0] == "gpus <= 8 gpu" and row[1].startswith("5 gpu 62%") and row[2].startswith("10 gpu 125%")
        await pilot.press("n")  # the next A side, without the mouse
        await settle(pilot)
        assert screen.chosen == "file"
        values = screen.query_one("#compare-values", DataTable)
        assert values.row_count == 5  # users, requests_per_user, gpu_qps, qps, gpus
        await pilot.press("x")
        await settle(pilot)
        shown_rows = [str(values.get_row_at(i)[0]) for i in range(values.row_count)]
        assert shown_rows == ["users", "qps", "gpus"]  # what the edit of users changed
        await pilot.press("w")
        await settle(pilot)
        assert screen.query_one("#compare-with").expanded  # type: ignore[attr-defined]

    drive(app, steps)
