"""The TUI's hardware picker, driven with Pilot: a binding's row opens the catalog entries of its kind,
Enter on one re-evaluates with its figures (no reload), undo takes it back, compare shows the choice."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.conftest import drive, settle, write
from tui.app import EnvelopeApp
from tui.save import plan_save
from tui.screens.compare import CompareScreen
from tui.screens.hardware import HardwarePicker
from tui.widgets.derived import DerivedPanel
from tui.widgets.inputs import InputsPanel

GPU_SCENARIO = """\
name: Gpu pick
hardware:
  gpu: { one_of: [H100-SXM, H200, B200] }   # the options
inputs:
  tensor_parallel: 2 gpu
derived:
  memory: tensor_parallel * gpu.memory -> GB
budgets:
  memory: ">= 200 GB"
"""


def gpu_file(tmp_path: Path) -> Path:
    return write(tmp_path / "gpu.yaml", GPU_SCENARIO)


async def pick(pilot: Pilot[None], entry: str) -> None:
    """Select the `gpu` row, Enter, move to `entry` in the picker, Enter."""
    app = pilot.app
    panel = app.query_one(InputsPanel)
    panel.select_name("gpu")
    app.screen.set_focus(panel.table)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, HardwarePicker)
    table = app.screen.query_one(DataTable)
    rows = [str(key.value) for key in table.rows]
    table.move_cursor(row=rows.index(entry))
    await pilot.press("enter")
    await settle(pilot)


def test_picking_an_entry_re_evaluates_with_its_figures(tmp_path: Path):
    path = gpu_file(tmp_path)
    app = EnvelopeApp([path], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        derived = app.query_one(DerivedPanel)
        assert derived.cell("memory", "value") == "160 GB"  # 2 gpu x 80 GB (H100-SXM, the first option)
        model = app.workbench.model if app.workbench else None
        await pick(pilot, "B200")
        assert derived.cell("memory", "value") == "360 GB"  # 2 gpu x 180 GB
        assert app.workbench is not None and app.workbench.model is model  # no reload
        assert app.workbench.text("gpu") == "B200" and app.workbench.result.hardware == {"gpu": "B200"}
        await pilot.press("u")
        await settle(pilot)
        assert derived.cell("memory", "value") == "160 GB"

    drive(app, steps)


def test_the_picker_lists_the_options_and_escape_changes_nothing(tmp_path: Path):
    app = EnvelopeApp([gpu_file(tmp_path)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = app.query_one(InputsPanel)
        panel.select_name("gpu")
        app.screen.set_focus(panel.table)
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(key.value) for key in table.rows] == ["H100-SXM", "H200", "B200"]
        assert [str(c.label) for c in table.columns.values()] == ["entry", "gpu.memory"]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HardwarePicker)
        assert app.workbench is not None and not app.workbench.edits

    drive(app, steps, size=(80, 24))


def test_compare_shows_the_changed_choice(tmp_path: Path):
    app = EnvelopeApp([gpu_file(tmp_path)], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await pick(pilot, "H200")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        values = app.screen.query_one("#compare-values", DataTable)
        first = [str(cell) for cell in values.get_row_at(0)]
        assert first == ["gpu", "H100-SXM", "H200", "changed"]

    drive(app, steps)


def test_a_picked_entry_saves_into_the_bindings_value(tmp_path: Path):
    path = write(tmp_path / "plain.yaml", GPU_SCENARIO.replace("{ one_of: [H100-SXM, H200, B200] }", "H100-SXM"))
    plan = plan_save(path, {"gpu": "H200", "tensor_parallel": "4 gpu"}, None)
    assert plan.new_text == path.read_text().replace("gpu: H100-SXM", "gpu: H200").replace("2 gpu", "4 gpu")
    listed = write(tmp_path / "listed.yaml", GPU_SCENARIO.replace("] }", "], value: H100-SXM }"))
    plan = plan_save(listed, {"gpu": "B200"}, None)
    assert plan.new_text == listed.read_text().replace("value: H100-SXM", "value: B200")  # the comment kept


def test_a_choice_cannot_be_saved_into_a_one_of_without_value(tmp_path: Path):
    import pytest

    from tui.save import SaveRefused

    with pytest.raises(SaveRefused, match="'gpu' lists its options without 'value:'"):
        plan_save(gpu_file(tmp_path), {"gpu": "H200"}, None)


def test_the_details_explain_with_the_picked_entry(tmp_path: Path):
    import calculator
    from tui.details import analyse
    from tui.state import Workbench

    workbench = Workbench(calculator.load(gpu_file(tmp_path)))
    assert workbench.set("gpu", "B200")
    analysis = analyse(workbench, "memory")
    assert analysis.error is None and analysis.explanation is not None
    assert analysis.explanation.display == "360 GB"  # 2 gpu x 180 GB, the B200's memory
    assert "180 GB/gpu" in analysis.explanation.to_text()
