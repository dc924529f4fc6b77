"""What a new user trips on with the shipped files (issue 13's walk-through): a worked scenario or a
starter that prints a note on every command teaches people to ignore stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.cli.main import main
from tests.helpers import ROOT

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "calculator" / "templates").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_file_evaluates_without_notes(path: Path, capsys):
    assert main(["eval", str(path), "--format", "json"]) in (0, 1)  # variants fail on purpose
    assert capsys.readouterr().err == ""  # no declaration of a built-in counting unit, no other note


def test_init_says_an_unknown_template_before_an_existing_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenario.yaml").write_text("name: mine\n", encoding="utf-8")
    assert main(["init", "--template", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--template: error: no template 'nope' (templates: ads, batch-pipeline, llm-serving" in err
    assert "already exists" not in err
    assert (tmp_path / "scenario.yaml").read_text(encoding="utf-8") == "name: mine\n"


def test_the_readme_notes_example_renders_what_it_says(tmp_path, capsys):
    import math
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"^````markdown\n(```envelope\n.*?\n```)\n````", readme, re.MULTILINE | re.DOTALL)
    notes = tmp_path / "notes.md"
    notes.write_text(block + "\n", encoding="utf-8")
    assert main(["render", str(notes)]) == 0
    assert capsys.readouterr().out == f"{notes}: 1 block: 1 ok, 0 warn, 0 fail, 0 invalid\n"
    text = notes.read_text(encoding="utf-8")
    median = math.sqrt(1e9 * 3e9)  # the range's median: 1.73B users
    assert f"| dau | {median / 1e9:.2f}B (1B – 3B) user |" in text
    assert f"| qps | {median * 2 / 86_400 / 1e3:.1f}k (" in text  # 40.1k request/s
    assert f"| 100M user * 5 request/user/day to request/s | {100e6 * 5 / 86_400 / 1e3:.2f}k request/s |" in text
    assert f"| weights | {70e9 * 2 / 80e9:.2f} gpu |" in text  # 140 GB of weights over 80 GB H100s


def test_an_unknown_input_with_nothing_close_lists_the_inputs(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\ninputs:\n  dau: 1M user\n  rate: 2 request/user/day\nderived:\n  qps: dau * rate -> request/s\n"
        "budgets:\n  qps: <= 100 request/s\n",
        encoding="utf-8",
    )
    assert main(["solve", str(path), "--for", "peak_users"]) == 2
    assert capsys.readouterr().err == (
        f"{path}: error: 'peak_users' is not an input of this scenario\n  hint: inputs: dau, rate\n"
    )
