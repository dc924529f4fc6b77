"""Unsaved edits kept in a recovery file (tui/recovery.py): written on each edit, gone on save or discard,
offered back at the next start; an action that raises keeps the app, every edit and the recovery file."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import drive, edit, settle
from tui import recovery
from tui.app import EnvelopeApp
from tui.screens.dialogs import QuitScreen, SaveScreen
from tui.screens.recovery import RestoreScreen
from tui.state import Workbench

SECONDS_A_DAY = 24 * 60 * 60


def recovery_file(scenario: Path) -> Path:
    """Where the recovery of `scenario` must be, worked out here from the rule (not asked of tui.recovery)."""
    state = Path(os.environ["XDG_STATE_HOME"])
    return state / "envelope" / "recovery" / f"{hashlib.sha256(os.fsencode(scenario.resolve())).hexdigest()}.json"


def kept_edits(scenario: Path) -> dict[str, str] | None:
    path = recovery_file(scenario)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["path"] == str(scenario.resolve())
    edits: dict[str, str] = data["edits"]
    return edits


def gpus(users: float, gpu_qps: float = 500) -> int:
    """The small scenario's `gpus`, by hand: users x 20 request/user/day, over gpu_qps per GPU, rounded up."""
    return math.ceil(users * 20 / SECONDS_A_DAY / gpu_qps)


def texts(app: EnvelopeApp) -> dict[str, str]:
    assert app.workbench is not None
    return {name: e.text for name, e in app.workbench.edits.items()}


def notifications(app: EnvelopeApp) -> list[str]:
    return [n.message for n in app._notifications]


def edit_then_vanish(small: Path, *changes: tuple[str, str]) -> None:
    """A session that edits and then ends without saving or quitting (the terminal was closed)."""
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        for name, text in changes:
            await edit(pilot, name, text)

    drive(app, steps)


def test_each_edit_is_kept_and_undoing_all_removes_the_file(small: Path) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        assert kept_edits(small) == {"users": "30M user"}
        await edit(pilot, "gpu_qps", "1000 request/s/gpu")
        assert kept_edits(small) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}
        app.screen.set_focus(None)
        await pilot.press("u")
        await settle(pilot)
        assert kept_edits(small) == {"users": "30M user"}
        await pilot.press("u")
        await settle(pilot)
        assert not recovery_file(small).exists(), "no edits left, yet a recovery file"

    drive(app, steps)


def test_a_save_removes_the_recovery_file(small: Path) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        assert recovery_file(small).exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("y")
        await settle(pilot)

    drive(app, steps)
    assert "users: 30M user" in small.read_text(encoding="utf-8")
    assert not recovery_file(small).exists()


def test_quitting_without_saving_discards_the_recovery_file(small: Path) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        app.screen.set_focus(None)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("y")

    drive(app, steps)
    assert not recovery_file(small).exists()


def test_the_next_start_offers_the_edits_and_restores_them(small: Path) -> None:
    edit_then_vanish(small, ("users", "30M user"), ("gpu_qps", "1000 request/s/gpu"))
    assert kept_edits(small) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, RestoreScreen), "no offer of the kept edits"
        assert app.workbench is not None and app.workbench.edits == {}
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, RestoreScreen)
        assert texts(app) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}
        assert app.workbench.result.values["gpus"].value == gpus(30e6, 1000) == 7
        assert kept_edits(small) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}  # still kept: not saved
        app.screen.set_focus(None)
        await pilot.press("u")  # the restore is one undo step
        await settle(pilot)
        assert texts(app) == {}
        assert app.workbench.result.values["gpus"].value == gpus(10e6) == 5

    drive(app, steps)


def test_the_next_start_offers_the_edits_and_discards_them(small: Path) -> None:
    edit_then_vanish(small, ("users", "30M user"))
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, RestoreScreen)
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, RestoreScreen)
        assert texts(app) == {}
        assert app.workbench is not None and app.workbench.result.values["gpus"].value == gpus(10e6) == 5
        assert not recovery_file(small).exists()

    drive(app, steps)
    again = EnvelopeApp([small], watch_interval=None)

    async def no_offer(pilot: Pilot[None]) -> None:
        assert not isinstance(again.screen, RestoreScreen)

    drive(again, no_offer)


def test_a_restored_edit_the_changed_file_refuses_is_dropped_and_said(small: Path) -> None:
    edit_then_vanish(small, ("users", "30M user"), ("gpu_qps", "1000 request/s/gpu"))
    small.write_text(small.read_text(encoding="utf-8").replace("gpu_qps", "gpu_rate"), encoding="utf-8")
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, RestoreScreen)
        assert app.screen.changed_since
        await pilot.press("r")
        await settle(pilot)
        assert texts(app) == {"users": "30M user"}
        assert any("gpu_qps = 1000 request/s/gpu" in message for message in notifications(app)), notifications(app)

    drive(app, steps)


def test_an_action_that_raises_keeps_the_app_every_edit_and_the_recovery(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    def broken(self: Workbench, label: str = "pinned") -> None:
        raise RuntimeError("injected fault")

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        await edit(pilot, "gpu_qps", "1000 request/s/gpu")
        monkeypatch.setattr(Workbench, "pin_current", broken)
        app.screen.set_focus(None)
        await pilot.press("p")
        await settle(pilot)
        assert app.is_running
        assert texts(app) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}
        assert any("internal error: RuntimeError: injected fault" in message for message in notifications(app))
        assert kept_edits(small) == {"users": "30M user", "gpu_qps": "1000 request/s/gpu"}
        await edit(pilot, "users", "40M user")  # and the app goes on taking edits
        assert app.workbench is not None and app.workbench.result.values["gpus"].value == gpus(40e6, 1000) == 10

    drive(app, steps)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"format": 1}',
        '{"format": 2, "path": "P", "edits": {"users": "1 user"}, "saved_at": 1, "file_sha256": null}',
        '{"format": 1, "path": "elsewhere.yaml", "edits": {"users": "1 user"}, "saved_at": 1, "file_sha256": null}',
        '{"format": 1, "path": "P", "edits": {"users": 5}, "saved_at": 1, "file_sha256": null}',
        '{"format": 1, "path": "P", "edits": {}, "saved_at": 1, "file_sha256": null}',
        '{"format": 1, "path": "P", "edits": {"users": "1 user"}, "saved_at": "soon", "file_sha256": null}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_a_recovery_file_of_another_shape_is_no_recovery(small: Path, content: str) -> None:
    path = recovery_file(small)
    path.parent.mkdir(parents=True)
    path.write_text(content.replace('"P"', json.dumps(str(small.resolve()))), encoding="utf-8")
    assert recovery.find(small) is None


def test_a_fifo_in_place_of_a_recovery_file_is_not_opened(small: Path) -> None:
    path = recovery_file(small)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    started = time.monotonic()
    assert recovery.find(small) is None
    assert time.monotonic() - started < 5, "opening the FIFO blocked"


def test_a_state_folder_that_cannot_be_written_is_said_once_and_edits_go_on(
    small: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "30M user")
        await edit(pilot, "users", "40M user")
        assert app.is_running
        assert texts(app) == {"users": "40M user"}
        said = [m for m in notifications(app) if "recovery file" in m]
        assert len(said) == 1, notifications(app)

    drive(app, steps)


def test_the_latest_edits_win_whatever_order_the_writes_run_in(small: Path) -> None:
    keeper = recovery.Keeper()
    older, newer = keeper.ticket(small), keeper.ticket(small)
    keeper.keep(newer, small, {"users": "40M user"}, None)
    keeper.keep(older, small, {"users": "30M user"}, None)  # a worker that ran late
    assert kept_edits(small) == {"users": "40M user"}
    queued = keeper.ticket(small)
    keeper.discard(small)
    keeper.keep(queued, small, {"users": "50M user"}, None)  # queued before the discard
    assert kept_edits(small) is None
