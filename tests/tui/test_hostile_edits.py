"""A TUI edit, a watched file or a folder that the engine refuses never closes the app nor drops an edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import drive, edit, settle
from tests.tui.test_app import details_text
from tui.app import EnvelopeApp
from tui.details import Selection
from tui.widgets.inputs import InputsPanel

HOSTILE = [
    ("users", "min(1 FLOP/candidate)"),
    ("users", "2^1e7"),
    ("requests_per_user", "1/0"),
    ("gpu_qps", "uniform(-1.7e308 gpu, 1.7e308 gpu)"),
]


def texts(app: EnvelopeApp) -> dict[str, str]:
    assert app.workbench is not None
    return {name: edit.text for name, edit in app.workbench.edits.items()}


@pytest.mark.parametrize("name, text", HOSTILE, ids=[text for _, text in HOSTILE])
def test_a_hostile_value_keeps_the_app_and_every_edit(small: Path, name: str, text: str) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M user")
        assert texts(app) == {"users": "20M user"}
        panel = await edit(pilot, name, text)
        assert app.is_running
        assert texts(app) == {"users": "20M user"}, "a refused value dropped an earlier edit"
        assert panel.editing == name, "the refused value's field closed"
        message = str(panel.query_one("#input-message").render())
        assert message.strip() and "internal error" not in message, f"not the engine's located message: {message}"

    drive(app, steps)


def test_a_watched_file_rewritten_to_a_broken_one(small: Path) -> None:
    app = EnvelopeApp([small], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "users", "20M user")
        small.write_text("name: t\ninputs:\n  a: 2\nderived:\n  b: min(a)\n", encoding="utf-8")
        app.check_disk()
        await settle(pilot)
        assert app.is_running
        assert app.query_one(InputsPanel) is not None
        assert app.entry is not None and app.entry.error is not None and "min()" in app.entry.error.message

    drive(app, steps)


def test_a_folder_with_a_broken_file(tmp_path: Path, small: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: t\ninputs:\n  a: 2\nderived:\n  b: min(a)\n", encoding="utf-8")
    (tmp_path / "zero.yaml").write_text("name: z\ninputs:\n  a: 1/0\n", encoding="utf-8")
    app = EnvelopeApp([tmp_path], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        await settle(pilot)
        assert app.is_running
        await edit(pilot, "users", "20M user")
        assert app.is_running

    drive(app, steps)


BLOW_UPS = (
    "name: blow-ups\ninputs:\n  a: 2\nderived:\n  d1: a + 1\n"
    + "".join(f"  d{i + 1}: d{i} * a + d{i}\n" for i in range(1, 40))
    + "  tower: a^a^a\nbudgets:\n  tower: <= 100\n"
)


@pytest.mark.parametrize("name", ["d40", "tower"])
def test_details_of_a_sympy_blow_up_end_and_keep_the_app(tmp_path: Path, name: str) -> None:
    """The report: explain of d40 (dN+1 = dN * a + dN) and solve of a^a^a ran over 60 s; the details panel
    spun and grew. The worker ends (pytest-timeout is the hang guard) and the panel has the value's numbers."""
    path = tmp_path / "blow.yaml"
    path.write_text(BLOW_UPS, encoding="utf-8")
    app = EnvelopeApp([path], watch_interval=None)
    expected = {"d40": 3**40, "tower": 2**4}  # d1 = 3 and each step multiplies by a + 1 = 3; 2^(2^2)

    async def steps(pilot: Pilot[None]) -> None:
        await edit(pilot, "a", "2")  # no edit (the file's value), yet through the edit path
        app.select(Selection("derived", name), open_details=True)
        await settle(pilot)
        assert app.is_running and app.details_open
        assert app.workbench is not None
        assert app.workbench.result.values[name].value == pytest.approx(expected[name], rel=1e-12)
        text = details_text(app)
        assert name in text and "computing" not in text.lower(), text

    drive(app, steps)
