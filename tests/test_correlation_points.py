"""One rule for a correlation on an input that is a point value (issue 13): refused where it is
written, in the file, through `extends:`, by `--set`, the Python API and a TUI edit; what only
uses point values (sweep, solve) still runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Static

import calculator
from calculator.cli.main import main
from tests.tui.conftest import drive, settle, start_edit
from tui.app import EnvelopeApp
from tui.screens.dialogs import SaveScreen

BASE = """\
name: correlated
inputs:
  dau: 50M to 200M user
  rate: 2 to 6 request/user/day
correlations:
  - { between: [dau, rate], value: 0.5 }
derived:
  q: dau * rate -> request/s
budgets:
  q: <= 100k request/s
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_point_value_in_the_file_is_a_located_shape_error(tmp_path, capsys):
    file = _write(tmp_path, "s.yaml", BASE.replace("50M to 200M user", "100M user"))
    assert main(["eval", file]) == 2
    err = capsys.readouterr().err
    # line 6 is the list item; `  - { between: ` is 15 characters, the pair's key at column 7
    assert f"{file}:6:7: error: correlation names 'dau', which is a point value (100M user), not an uncertain input" in err
    assert f"hint: write 'dau' (set at {file}:3:3) as 'A to B', normal() or uniform(), or drop this correlation" in err
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.load(file)
    assert raised.value.kind == "shape"
    assert main(["check", file]) == 2
    assert "1 scenario: 0 ok, 0 warn, 0 fail, 1 invalid" in capsys.readouterr().out


def test_a_point_value_set_by_an_extending_file_points_at_that_file(tmp_path, capsys):
    base = _write(tmp_path, "base.yaml", BASE)
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\ninputs:\n  dau: 100M user\n")
    assert main(["eval", child]) == 2
    err = capsys.readouterr().err
    assert f"{base}:6:7: error: correlation names 'dau', which is a point value (100M user)" in err
    assert "(set at " in err and "child.yaml:4:3)" in err


def test_a_name_that_is_no_input_is_an_unknown_name_with_a_suggestion(tmp_path, capsys):
    file = _write(tmp_path, "s.yaml", BASE.replace("between: [dau, rate]", "between: [dua, rate]"))
    assert main(["eval", file]) == 2
    err = capsys.readouterr().err
    assert "6:7: error: correlation names 'dua', which is not an uncertain input" in err
    assert "hint: did you mean 'dau'?" in err
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.load(file)
    assert raised.value.kind == "unknown-name"


def test_set_refuses_a_point_value_for_a_correlated_input_and_takes_a_range(tmp_path, capsys):
    file = _write(tmp_path, "s.yaml", BASE)
    assert main(["eval", file, "--set", "dau=100M user"]) == 2
    err = capsys.readouterr().err
    assert (
        "--set dau=100M user: error: 'dau' is correlated with 'rate', so it takes a range, not the point value '100M user'"
    ) in err
    assert "or drop the correlation of 'dau' from 'correlations:'" in err
    assert main(["eval", file, "--set", "dau=100M to 200M user", "--format", "json"]) == 0
    capsys.readouterr()
    with pytest.raises(calculator.EnvelopeError, match="correlated with 'rate'"):
        calculator.evaluate(file, {"dau": "100M user"})


def test_point_only_analyses_still_run_on_a_correlated_input(tmp_path, capsys):
    file = _write(tmp_path, "s.yaml", BASE)
    assert main(["sweep", file, "dau", "10M user", "1B user", "--steps", "3", "--no-plot"]) == 0
    assert main(["solve", file, "--for", "dau", "--format", "json"]) == 0
    # q = dau * median(rate) / 86,400 s <= 100k request/s with median(rate) = sqrt(2 * 6) request/user/day
    edge = 100e3 * 86_400 / (2 * 6) ** 0.5
    assert f'"value": {float(f"{edge:.6g}")}' in capsys.readouterr().out


def test_the_tui_refuses_the_edit_says_why_and_escape_keeps_the_file(tmp_path):
    file = Path(_write(tmp_path, "s.yaml", BASE))
    app = EnvelopeApp([file], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "dau")
        panel.field.value = "100M user"
        await pilot.pause()
        message = str(panel.query_one("#input-message", Static).render())
        assert "'dau' is correlated with 'rate', so it takes a range" in message
        assert "drop the correlation of 'dau'" in message
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)  # the fix, offered with its diff
        assert "'dau' is correlated with rate" in str(app.screen.query_one("#save-reason", Label).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.workbench is not None and "dau" not in app.workbench.edits

    drive(app, steps, size=(120, 40))
    assert file.read_text(encoding="utf-8") == BASE


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_tui_drops_the_correlation_and_sets_the_point_value_on_y(tmp_path, size):
    file = Path(_write(tmp_path, "s.yaml", BASE))
    app = EnvelopeApp([file], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "dau")
        panel.field.value = "100M user"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.workbench is not None and not app.workbench.edits  # saved: the file is the new baseline

    drive(app, steps, size=size)
    # the only correlation goes with its `correlations:` line; every other byte stays
    expected = BASE.replace("correlations:\n  - { between: [dau, rate], value: 0.5 }\n", "").replace(
        "dau: 50M to 200M user", "dau: 100M user"
    )
    assert file.read_text(encoding="utf-8") == expected
    assert calculator.load(file).view().input("dau").text == "100M user"


def test_a_correlation_from_a_base_is_not_dropped_through_the_extending_file(tmp_path):
    _write(tmp_path, "base.yaml", BASE)
    child = Path(_write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n"))
    app = EnvelopeApp([child], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        panel = await start_edit(pilot, "dau")
        panel.field.value = "100M user"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, SaveScreen)
        assert "dau" not in app.workbench.edits

    drive(app, steps, size=(120, 40))
    assert (tmp_path / "base.yaml").read_text(encoding="utf-8") == BASE
    assert child.read_text(encoding="utf-8") == "extends: base.yaml\nname: child\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # one of two list entries: its line only
            "correlations:\n  - { between: [a, b], value: 0.5 }\n  - {between: [c, d], value: 0.2}\nx: 1\n",
            "correlations:\n  - {between: [c, d], value: 0.2}\nx: 1\n",
        ),
        ("correlations:\n  b|a: 0.5   # note\n  [c, d]: 0.2\n", "correlations:\n  [c, d]: 0.2\n"),  # either order
        ("correlations:\n  - between: [b, a]\n    value: 0.5\nx: 1\n", "x: 1\n"),  # a two-line entry, the only one
    ],
)
def test_drop_correlation_removes_whole_lines_and_keeps_the_rest(text, expected):
    assert calculator.drop_correlation("name: t\n" + text, "a", "b") == ("name: t\n" + expected, "0.5")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("correlations: [{between: [a, b], value: 0.5}]\n", "<text>:2:1: error: the correlations are written on one line"),
        ("correlations:\n  c|d: 0.5\n", "<text>:2:1: error: this file does not write the correlation of 'a' and 'b'"),
    ],
)
def test_drop_correlation_refuses_what_it_cannot_drop_by_lines(text, message):
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.drop_correlation("name: t\n" + text, "a", "b")
    assert raised.value.render().startswith(message)
