"""Fixtures for the TUI tests: scenario files in a temporary folder, and a way to drive the app with Pilot."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.helpers import ROOT
from tui.app import EnvelopeApp
from tui.widgets.inputs import InputsPanel

SMALL = """\
# A small service, for the TUI tests.
name: Small service   # trailing comment
tags: [small, test]
inputs:
  users: 10M user              # who uses it
  requests_per_user:
    value: 20 request/user/day
    note: a guess
  gpu_qps: { value: 500 request/s/gpu, note: "measured" }
derived:
  qps: users * requests_per_user -> request/s
  gpus: ceil(qps / gpu_qps)
budgets:
  gpus: <= 8 gpu
latency:
  api:
    budget: 100 ms
    stages:
      network: 20 ms
      lookup:
        parallel:
          cache: 5 ms
          database: 30 ms
      model: 25 ms
"""


@pytest.fixture
def tour(tmp_path: Path) -> Path:
    """A copy of the shipped tour (and its base) in a temporary folder: saves never touch the repository."""
    for name in ("tour.yaml", "tour_base.yaml"):
        shutil.copy(ROOT / "scenarios" / name, tmp_path / name)
    return tmp_path / "tour.yaml"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


Steps = Callable[[Pilot[None]], Awaitable[None]]


def drive(app: EnvelopeApp, steps: Steps, size: tuple[int, int] = (100, 30)) -> None:
    """Run `app` headless and apply `steps` to it (Pilot), waiting for the first screen first."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[None]) -> None:
    """Until nothing is pending: messages, background loads, explain."""
    await pilot.pause()
    if any(worker.is_running for worker in pilot.app.workers):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def start_edit(pilot: Pilot[None], name: str) -> InputsPanel:
    app = pilot.app
    panel = app.query_one(InputsPanel)
    panel.select_name(name)
    app.screen.set_focus(panel.table)
    await pilot.press("enter")
    return panel


async def edit(pilot: Pilot[None], name: str, text: str) -> InputsPanel:
    """Select input `name`, Enter, replace its text, Enter."""
    panel = await start_edit(pilot, name)
    panel.field.value = text
    await pilot.press("enter")
    await settle(pilot)
    return panel
