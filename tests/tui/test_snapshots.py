"""Snapshots of the main screens (pytest-textual-snapshot). Review the report before `--snapshot-update`."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.helpers import ROOT
from tests.tui.conftest import settle, start_edit, write
from tui.app import EnvelopeApp


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths on screen, the same on every machine."""
    monkeypatch.chdir(ROOT)


def tour() -> EnvelopeApp:
    return EnvelopeApp(["scenarios/tour.yaml"], watch_interval=None)


def test_main_screen(snap_compare):
    assert snap_compare(tour(), terminal_size=(100, 30), run_before=settle)


def test_main_screen_80x24(snap_compare):
    assert snap_compare(tour(), terminal_size=(80, 24), run_before=settle)


def test_invalid_edit(snap_compare):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        panel = await start_edit(pilot, "dau")
        panel.field.cursor_blink = False  # a blinking cursor would make the snapshot depend on timing
        panel.field.value = "200M usr"
        await settle(pilot)

    assert snap_compare(tour(), terminal_size=(80, 24), run_before=run_before)


def test_budget_broken_with_details(snap_compare):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        panel = await start_edit(pilot, "dau")
        panel.field.value = "700M user"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("4", "down", "enter")
        await settle(pilot)

    assert snap_compare(tour(), terminal_size=(120, 34), run_before=run_before)


def test_save_preview(snap_compare):
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        panel = await start_edit(pilot, "retention")
        panel.field.value = "180 day"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(tour(), terminal_size=(80, 24), run_before=run_before)


def test_scenario_that_fails_to_load(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "broken.yaml",
        """\
        name: Broken
        inputs:
          users: 10M user
        derived:
          qps: users * 2 request/user/day + 1 byte
        """,
    )
    app = EnvelopeApp(["broken.yaml"], watch_interval=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
