"""The README's planning example (solve --risk, sweep --and): its scenario, commands and outputs replay as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from calculator.cli.main import main
from tests.helpers import ROOT


def planning_example() -> tuple[str, list[tuple[list[str], str]]]:
    """The scenario after `<!-- planning example -->` and each `$ envelope ...` transcript after it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- planning example -->")
    section = readme[start : readme.index("\n### ", start)]
    scenario = re.search(r"```yaml\n# serving.yaml\n(.*?)```", section, re.DOTALL)
    assert scenario is not None
    transcripts = []
    for block in re.findall(r"```text\n\$ (envelope .*?)\n(.*?)```", section, re.DOTALL):
        command, output = block
        transcripts.append((shlex.split(command)[1:], output))
    return scenario.group(1), transcripts


def test_the_readme_planning_transcripts_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    scenario, transcripts = planning_example()
    (tmp_path / "serving.yaml").write_text(scenario)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    assert [command[0] for command, _ in transcripts] == ["solve", "sweep"]
    for command, output in transcripts:
        assert main(command) == 0
        assert capsys.readouterr().out == output, command


def test_the_readme_risk_answer_is_within_its_precision_of_the_closed_form() -> None:
    _, transcripts = planning_example()
    solve_output = transcripts[0][1]
    # load = dau × searches × 3 / 86,400 s / (40 gpu × 50 request/s/gpu) <= 90% with P >= 95%: searches at its
    # 95th percentile, the interval's upper bound 8, gives dau <= 0.9 × 2,000 × 86,400 / 24 = 6.48M
    exact = 0.9 * 40 * 50 * 86_400 / (8 * 3)
    low, high = re.search(r"the edge is ([\d.]+)M to ([\d.]+)M user", solve_output).groups()  # type: ignore[union-attr]
    assert float(low) * 1e6 <= exact <= float(high) * 1e6
