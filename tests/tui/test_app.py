"""The TUI driven as a user would, with Pilot: every action of issue 5."""

from __future__ import annotations

import os
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.helpers import ROOT
from tests.tui.conftest import drive, edit, settle, start_edit, write
from tui.app import KEYS, EnvelopeApp, ScenarioBar
from tui.screens.compare import CompareScreen
from tui.screens.dialogs import ConflictScreen, HelpScreen, QuitScreen, SaveAsScreen, SaveScreen
from tui.widgets.budgets import BudgetLine, BudgetsPanel
from tui.widgets.derived import DerivedPanel
from tui.widgets.details import DetailsPanel
from tui.widgets.inputs import InputsPanel
from tui.widgets.latency import LatencyPanel
from tui.widgets.scenario_list import ScenarioList


def cell(app: EnvelopeApp, name: str, column: str = "value") -> str:
    return app.query_one(DerivedPanel).cell(name, column)


def bar_text(app: EnvelopeApp) -> str:
    return str(app.query_one(ScenarioBar).render().plain)  # type: ignore[union-attr]


def budget(app: EnvelopeApp, name: str) -> BudgetLine:
    return next(row for row in app.query_one(BudgetsPanel).rows if isinstance(row, BudgetLine) and row.key == name)


def details_text(app: EnvelopeApp) -> str:
    from rich.console import Console

    console = Console(width=80, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(app.query_one(DetailsPanel).content)
    return console.export_text()


def test_first_screen_shows_the_values_of_the_first_scenario(tour: Path):
    app = EnvelopeApp([tour], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert cell(app, "peak_qps") == "20.8k request/s"
        assert "OK" in bar_text(app) and "Format tour" in bar_text(app)
        assert budget(app, "ranking_gpus").budget.status == "ok"
        assert [row.step.label for row in app.query_one(LatencyPanel).rows][:3] == ["feed", "total", "network"]
        assert app.focused is app.query_one(InputsPanel).table

    drive(app, steps)


def test_edit_updates_derived_values_budgets_and_latency(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "users")
        await pilot.press("ctrl+u", *"100M", "space", *"user")
        assert panel.field.value == "100M user"
        await pilot.press("enter")
        await settle(pilot)
        assert panel.editing is None
        assert cell(app, "qps") == "23.1k request/s"
        assert cell(app, "qps", "change") == "×10"
        assert budget(app, "gpus").budget.status == "fail"
        assert "FAIL" in bar_text(app) and "1 edit" in bar_text(app)
        assert next(row for row in app.query_one(InputsPanel).table.rows if row.key == "users").edited

    drive(app, steps)


def test_keys_typed_right_after_enter_go_to_the_field(small: Path):
    """A fast typist's keys arrive together: those after Enter belong to the field. (They used to reach
    the table and the app's keys first: 'u' undid, 'r' reset, 'q' quit.)"""
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = app.query_one(InputsPanel)
        panel.select_name("users")
        app.screen.set_focus(panel.table)
        for key in ["e", *"20M", "space", *"user", "q"]:  # one burst, no pause: e, then the value, and a stray q
            app.post_message(events.Key(key, " " if key == "space" else key))
        await pilot.pause()
        assert panel.editing == "users" and app.is_running
        assert panel.field.value == "20M userq"  # the file's text was selected: typing replaced it
        panel.field.value = "20M user"
        await pilot.press("enter")
        await settle(pilot)
        assert app.workbench.edits["users"].text == "20M user"
        assert cell(app, "qps") == "4.63k request/s"  # 20M user * 20 request/user/day / 86,400 s/day

    drive(app, steps)


def test_invalid_value_shows_the_engine_message_and_is_never_applied(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "users")
        panel.field.value = "100M usr"
        await pilot.pause()
        message = str(panel.query_one("#input-message", Static).render())
        assert "unknown unit" in message and "usr" in message
        await pilot.press("enter")
        await settle(pilot)
        assert panel.editing == "users" and app.workbench.edits == {}
        panel.field.value = "10M byte"
        await pilot.pause()
        assert "'users' is in 'user', not 'byte'" in str(panel.query_one("#input-message", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert panel.editing is None and app.workbench.edits == {}
        assert cell(app, "qps") == "2.31k request/s"

    drive(app, steps)


def test_uncertain_value_shows_range_and_probability_of_breaking(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M to 80M user")
        assert "(" in cell(app, "qps") and "–" in cell(app, "qps")
        assert "P(break)" in budget(app, "gpus").draw(100).plain

    drive(app, steps)


def test_undo_redo_and_reset(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "100M user")
        await edit(pilot, "gpu_qps", "1k request/s/gpu")
        assert set(app.workbench.edits) == {"users", "gpu_qps"}
        await pilot.press("u")
        await settle(pilot)
        assert set(app.workbench.edits) == {"users"}
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert set(app.workbench.edits) == {"users", "gpu_qps"}
        app.query_one(InputsPanel).select_name("users")
        await pilot.press("r")
        await settle(pilot)
        assert set(app.workbench.edits) == {"gpu_qps"}
        await pilot.press("R")
        await settle(pilot)
        assert app.workbench.edits == {} and cell(app, "qps") == "2.31k request/s"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert set(app.workbench.edits) == {"gpu_qps"}

    drive(app, steps)


def test_save_shows_the_change_first_and_keeps_every_other_byte(small: Path):
    before = small.read_text(encoding="utf-8")
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        await edit(pilot, "gpu_qps", "600 request/s/gpu")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)
        assert "+  users: 30M user" in app.screen.plan.diff()
        assert small.read_text(encoding="utf-8") == before  # nothing written yet
        await pilot.press("y")
        await settle(pilot)
        assert app.workbench.edits == {}
        assert "1 edit" not in bar_text(app)

    drive(app, steps)
    after = small.read_text(encoding="utf-8")
    assert after == before.replace("10M user ", "30M user ").replace("500 request/s/gpu", "600 request/s/gpu")
    assert "# who uses it" in after and "# trailing comment" in after


def test_save_cancelled_writes_nothing(small: Path):
    before = small.read_bytes()
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert set(app.workbench.edits) == {"users"}

    drive(app, steps)
    assert small.read_bytes() == before


def test_conflict_on_external_change_then_reload_and_save(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        text = small.read_text(encoding="utf-8").replace("note: a guess", "note: measured in May")
        small.write_text(text, encoding="utf-8")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        assert small.read_text(encoding="utf-8") == text  # not overwritten
        await pilot.press("r")
        await settle(pilot)
        assert app.workbench.text("users") == "30M user"  # the edit survives the reload
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("y")
        await settle(pilot)

    drive(app, steps)
    saved = small.read_text(encoding="utf-8")
    assert "note: measured in May" in saved and "users: 30M user" in saved


def test_conflict_then_save_as(small: Path):
    app = EnvelopeApp([small], watch_interval=None)
    target = small.with_name("small_copy.yaml")

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        small.write_text(small.read_text(encoding="utf-8") + "# changed elsewhere\n", encoding="utf-8")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, SaveAsScreen)
        field = app.screen.query_one("#save-as-path")
        field.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert app.entry is not None and app.entry.path == target

    drive(app, steps)
    assert "users: 30M user" in target.read_text(encoding="utf-8")
    assert "users: 10M user" in small.read_text(encoding="utf-8")


def test_reload_follows_the_file_on_disk(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert cell(app, "qps") == "2.31k request/s"
        small.write_text(small.read_text(encoding="utf-8").replace("10M user", "20M user"), encoding="utf-8")
        app.check_disk()
        await settle(pilot)
        assert cell(app, "qps") == "4.63k request/s"

    drive(app, steps)


def test_the_watcher_polls_by_itself(small: Path):
    app = EnvelopeApp([small], watch_interval=0.05)

    async def steps(pilot: Pilot[None]) -> None:
        small.write_text(small.read_text(encoding="utf-8").replace("10M user", "40M user"), encoding="utf-8")
        for _ in range(40):
            await pilot.pause(0.05)
            if cell(app, "qps") == "9.26k request/s":
                break
        assert cell(app, "qps") == "9.26k request/s"

    drive(app, steps)


def test_a_bad_file_shows_its_error_and_loads_once_fixed(tmp_path: Path, small: Path):
    bad = write(
        tmp_path / "bad.yaml",
        """\
        name: Bad
        inputs:
          users: 10M user
        derived:
          qps: users * 2 request/user/day + 1 byte
        """,
    )
    app = EnvelopeApp([bad, small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert app.entry is not None and app.entry.status == "error"
        assert app.has_class("-error")
        error = str(app.query_one("#error-text", Static).render())
        assert "bad.yaml:5:" in error and "error:" in error and "^" in error
        assert "error" in str(app.query_one(ScenarioList).options.get_option_at_index(0).prompt)
        bad.write_text(bad.read_text(encoding="utf-8").replace(" + 1 byte", " -> request/s"), encoding="utf-8")
        app.check_disk()
        await settle(pilot)
        assert app.entry.status == "ok" and not app.has_class("-error")
        assert cell(app, "qps") == "231 request/s"

    drive(app, steps)


def test_pin_and_compare(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("p")
        await edit(pilot, "users", "20M user")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        values = app.screen.query_one("#compare-values", DataTable)
        row = [str(c) for c in values.get_row_at(values.get_row_index("qps"))]
        assert row == ["qps", "2.31k request/s", "4.63k request/s", "+100%"]
        budgets = app.screen.query_one("#compare-budgets", DataTable)
        assert "+62 pts" in str(budgets.get_row_at(0)[3])
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)

    drive(app, steps)


def test_compare_two_scenarios_side_by_side(small: Path):
    other = write(
        small.with_name("bigger.yaml"),
        small.read_text(encoding="utf-8").replace("10M user", "40M user").replace("Small service", "Bigger service"),
    )
    app = EnvelopeApp([small, other], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        screen.query_one("#compare-with").value = str(other)  # type: ignore[attr-defined]
        await settle(pilot)
        values = screen.query_one("#compare-values", DataTable)
        assert [str(c) for c in values.get_row_at(values.get_row_index("qps"))][1:] == [
            "9.26k request/s",
            "2.31k request/s",
            "-75%",
        ]

    drive(app, steps)


def test_browse_and_filter_scenarios(tour: Path, small: Path):
    app = EnvelopeApp([small.parent], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        options = app.query_one(ScenarioList).options
        assert options.option_count == 3
        await pilot.press("slash", *"#rank")
        await settle(pilot)
        assert options.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.entry is not None and app.entry.path == tour
        await pilot.press("escape")
        await settle(pilot)
        assert options.option_count == 3
        await pilot.press("down")
        await settle(pilot)
        assert app.entry.path.name == "tour_base.yaml"

    drive(app, steps)


def test_edits_are_kept_per_scenario_while_browsing(tour: Path, small: Path):
    app = EnvelopeApp([small, tour], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M user")
        app.current = str(tour)
        await settle(pilot)
        assert app.workbench.edits == {}
        app.current = str(small)
        await settle(pilot)
        assert app.workbench.text("users") == "20M user"
        assert "✎" in str(app.query_one(ScenarioList).options.get_option_at_index(0).prompt)

    drive(app, steps)


def test_details_of_a_budget_explain_why(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "100M user")
        await pilot.press("4", "enter")
        await settle(pilot)
        assert app.details_open
        text = details_text(app)
        assert "budget gpus" in text and "✗ fail" in text and "must fall" in text
        assert "gpus = ceil(qps / gpu_qps)" in text
        assert "closed form" in text and "sensitivity" in text and "users" in text

    drive(app, steps)


def test_details_of_an_uncertain_value_have_a_histogram(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "5M to 20M user")
        await pilot.press("3", "enter")
        await settle(pilot)
        text = details_text(app)
        assert "qps" in text and "distribution" in text and "what drives the spread" in text

    drive(app, steps)


def test_details_of_an_input_and_a_stage(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("d")
        await settle(pilot)
        text = details_text(app)
        assert "users" in text and "used by" in text and "breaks a budget at" in text
        assert "gpus ≤" in text and "×1.73" in text and "17.3M user" in text
        await pilot.press("5", "down", "down", "down", "down")
        await settle(pilot)
        text = details_text(app)
        assert "cache" in text and "stage of api" in text and "5 ms" in text

    drive(app, steps)


def test_help_lists_every_key():
    app = EnvelopeApp([ROOT / "scenarios" / "tour.yaml"], watch_interval=None)
    listed = " ".join(key for key, _, _ in KEYS)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)

    drive(app, steps)
    names = {"question_mark": "?", "slash": "/", "shift+s": "S"}
    for binding in EnvelopeApp.BINDINGS:
        for key in binding.key.split(","):  # type: ignore[union-attr]
            assert names.get(key, key) in listed, key
    for key in ("e", "r", "esc", "enter"):
        assert key in listed


def test_command_palette_runs_actions(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"details")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.details_open

    drive(app, steps)


def test_quit_asks_when_edits_are_unsaved(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M user")
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, QuitScreen)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("y")

    drive(app, steps)
    assert app.return_code == 0


def test_mouse_click_edits_an_input(small: Path):
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        table = app.query_one(InputsPanel).table
        await pilot.click(table, offset=(8, 1))  # the second row: users, requests_per_user
        await pilot.click(table, offset=(8, 1))
        await settle(pilot)
        assert app.query_one(InputsPanel).editing == "requests_per_user"

    drive(app, steps)


def test_works_at_80x24_and_toggles_panels(tour: Path):
    app = EnvelopeApp([tour], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert app.screen.has_class("-narrow")
        for selector in ("#inputs-table", "#derived", "#budgets", "#latency"):
            region = app.query_one(selector).region
            assert region.height >= 2 and region.right <= 80 and region.bottom <= 24, selector
        await pilot.press("b")
        await settle(pilot)
        assert not app.query_one("#sidebar").display
        await pilot.press("d")
        await settle(pilot)
        assert app.query_one(DetailsPanel).display

    drive(app, steps, size=(80, 24))


def test_wide_terminal_puts_budgets_beside_values(tour: Path):
    app = EnvelopeApp([tour], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert app.screen.has_class("-very-wide")
        assert app.query_one("#limits-panel").region.x > app.query_one("#values-panel").region.x

    drive(app, steps, size=(200, 40))


def test_no_color_is_respected(tour: Path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = EnvelopeApp([tour], watch_interval=None)
    assert app.no_color


def test_after_first_paint_is_called_once_even_without_values(tmp_path: Path, small: Path):
    """The CLI's hook (the garbage collector back on) runs once the first screen is up, whatever it shows."""
    broken = write(tmp_path / "broken.yaml", "name: broken\ninputs: [\n")
    for paths in ([small], [broken], [tmp_path / "empty-folder"]):
        (tmp_path / "empty-folder").mkdir(exist_ok=True)
        calls: list[float] = []
        app = EnvelopeApp(paths, watch_interval=None, after_first_paint=lambda calls=calls: calls.append(1))

        async def steps(pilot: Pilot[None], calls: list[float] = calls) -> None:
            await pilot.pause()
            assert calls == [1]

        drive(app, steps)


def test_help_and_palette_come_from_the_bindings_and_keys_is_listed_once(small: Path):
    app = EnvelopeApp([small], watch_interval=None)
    titles: list[str] = []

    async def steps(pilot: Pilot[None]) -> None:
        titles.extend(command.title for command in app.get_system_commands(app.screen))

    drive(app, steps)
    assert titles.count("Keys") == 1 and titles.count("Quit") == 1
    bindings = [b for b in EnvelopeApp.BINDINGS if isinstance(b, Binding)]
    assert {b.id for b in bindings if b.id} <= set(titles)
    help_rows = {does for _, does, _ in KEYS}
    assert all(b.tooltip in help_rows for b in bindings)  # each binding's help text is its tooltip, once
