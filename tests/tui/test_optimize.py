"""Options in the TUI, driven with Pilot: ] and [ cycle an input through its options, o picks from a list,
a typed value that is no option is refused; O opens the optimize screen, whose best design (worked out by
hand in tests/test_optimize.py) Enter applies as one step of undo, and a save writes `value:` beside the options."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static

from tests.test_optimize import GRID
from tests.tui.conftest import drive, settle, start_edit, write
from tui.app import EnvelopeApp
from tui.screens.dialogs import SaveScreen
from tui.screens.optimize import OptimizeScreen
from tui.screens.options import OptionsScreen
from tui.widgets.inputs import InputsPanel


def _focus(app: EnvelopeApp, name: str) -> InputsPanel:
    panel = app.query_one(InputsPanel)
    panel.select_name(name)
    app.screen.set_focus(panel.table)
    return panel


async def _optimize_screen(app: EnvelopeApp, pilot: Pilot[None]) -> OptimizeScreen:
    """`O`, and the screen once its search has finished."""
    await pilot.press("O")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, OptimizeScreen)
    await screen.workers.wait_for_complete()
    return screen


def test_brackets_cycle_through_the_options(tmp_path: Path):
    app = EnvelopeApp([write(tmp_path / "grid.yaml", GRID)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        _focus(app, "gpus")
        row = next(r for r in app.query_one(InputsPanel).table.rows if r.key == "gpus")
        assert row.draw(60).plain.split()[0] == "◇"  # the mark of an input with options
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.workbench.text("gpus") == "2 gpu"
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert app.workbench.text("gpus") == "1 gpu" and "gpus" not in app.workbench.edits  # round to the file's
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.workbench.text("gpus") == "8 gpu"
        assert app.workbench.result.values["cost"].value == 8 * 2 * 365.25 * 24 / 12

    drive(app, steps)


def test_o_picks_an_option_from_the_list(tmp_path: Path):
    app = EnvelopeApp([write(tmp_path / "grid.yaml", GRID)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        _focus(app, "batch")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OptionsScreen)
        assert app.screen.options == ["8 sequence", "16 sequence", "32 sequence", "64 sequence"]
        assert app.screen.query_one(OptionList).highlighted == 0  # the current one
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, OptionsScreen)
        assert app.workbench.text("batch") == "32 sequence"

    drive(app, steps)


def test_a_typed_value_that_is_no_option_is_refused(tmp_path: Path):
    app = EnvelopeApp([write(tmp_path / "grid.yaml", GRID)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "gpus")
        panel.field.value = "3 gpu"
        await pilot.press("enter")
        await settle(pilot)
        message = str(panel.query_one("#input-message", Static).render())
        assert "not one of the options of 'gpus': 1 gpu, 2 gpu, 4 gpu, 8 gpu" in message
        assert "gpus" not in app.workbench.edits
        panel.field.value = "4 gpu"
        await pilot.press("enter")
        await settle(pilot)
        assert app.workbench.text("gpus") == "4 gpu"

    drive(app, steps)


def test_the_optimize_screen_applies_the_cheapest_design(tmp_path: Path):
    path = write(tmp_path / "grid.yaml", GRID)
    before = path.read_text(encoding="utf-8")
    app = EnvelopeApp([path], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        screen = await _optimize_screen(app, pilot)
        await settle(pilot)
        table = screen.query_one("#optimize-designs", DataTable)
        # By hand (tests/test_optimize.py): 3 of 16 feasible, the cheapest 4 gpu × 32 sequence.
        assert table.row_count == 3
        assert [str(c) for c in table.get_row_at(0)[:3]] == ["5.84k USD/month", "4 gpu", "32 sequence"]
        summary = str(screen.query_one("#optimize-summary", Static).render())
        assert "16 designs evaluated, 3 feasible" in summary and "throughput 10, latency 4" in summary
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, OptimizeScreen)
        assert {n: e.text for n, e in app.workbench.edits.items()} == {"gpus": "4 gpu", "batch": "32 sequence"}
        assert app.workbench.result.status == "warn"  # throughput at exactly 100% of its minimum
        await pilot.press("u")  # one step undoes the whole design
        await settle(pilot)
        assert app.workbench.edits == {}
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.workbench.edits == {}
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert set(app.workbench.edits) == {"gpus", "batch"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("y")
        await settle(pilot)

    drive(app, steps)
    after = path.read_text(encoding="utf-8")
    assert after == before.replace("8 gpu] }", "8 gpu], value: 4 gpu }").replace(
        "64 sequence] }", "64 sequence], value: 32 sequence }"
    )


def test_maximize_and_another_objective(tmp_path: Path):
    app = EnvelopeApp([write(tmp_path / "grid.yaml", GRID)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        screen = await _optimize_screen(app, pilot)
        await pilot.press("s")  # maximize cost: 8 gpu first
        await settle(pilot)
        await screen.workers.wait_for_complete()
        await settle(pilot)
        table = screen.query_one("#optimize-designs", DataTable)
        assert str(table.get_row_at(0)[0]) == "11.7k USD/month" and str(table.get_row_at(0)[1]) == "8 gpu"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, OptimizeScreen) and app.workbench.edits == {}

    drive(app, steps)


def test_optimize_without_options_says_so(tmp_path: Path):
    app = EnvelopeApp([write(tmp_path / "plain.yaml", "name: plain\ninputs:\n  a: 2 gpu\n")], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("O")
        await settle(pilot)
        assert not isinstance(app.screen, OptimizeScreen)
        assert any("no input has options" in n.message for n in app._notifications)

    drive(app, steps)


def test_the_optimize_screen_chooses_hardware_too(tmp_path: Path):
    from tests.test_optimize import CARDS, HARDWARE

    write(tmp_path / "cards.yaml", CARDS)
    app = EnvelopeApp([write(tmp_path / "which.yaml", HARDWARE)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        screen = await _optimize_screen(app, pilot)
        await settle(pilot)
        table = screen.query_one("#optimize-designs", DataTable)
        # By hand (tests/test_optimize.py): the cheapest is 4 × Card-S at 4 USD/hour.
        assert [str(c) for c in table.get_row_at(0)[:3]] == ["4 USD/hour", "4 gpu", "Card-S"]
        await pilot.press("enter")
        await settle(pilot)
        assert {n: e.text for n, e in app.workbench.edits.items()} == {"gpus": "4 gpu"}  # Card-S is the file's
        assert app.workbench.text("gpu") == "Card-S"
        assert app.workbench.result.values["memory"].display == "160 GB"

    drive(app, steps)
