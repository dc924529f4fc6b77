"""Published figures reproduced by small scenarios (tests/published/*.yaml).

Each file names its sources and, for a figure `NAME`, has an input `published_NAME`
(the figure, with its source in the note), an input `tolerance`, and a budget on `NAME`
between published_NAME x (1 - tolerance) and x (1 + tolerance). This module checks the
budgets and, independently of them, compares every value with its figure in base units.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import calculator
from calculator.cli.main import main

HERE = Path(__file__).parent
FILES = sorted(HERE.glob("*.yaml"))
PREFIX = "published_"


def published_names(path: Path) -> list[str]:
    inputs = yaml.safe_load(path.read_text(encoding="utf-8"))["inputs"]
    return [name.removeprefix(PREFIX) for name in inputs if name.startswith(PREFIX)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_figure_is_reproduced_within_its_tolerance(path):
    evaluation = calculator.load(path).evaluate()
    tolerance = evaluation.base("tolerance")
    names = published_names(path)
    assert names, f"{path.name} reproduces no published figure"
    for name in names:
        value, figure = evaluation.base(name), evaluation.base(PREFIX + name)
        assert abs(value / figure - 1) <= tolerance, (name, value, figure)
        assert {b.name for b in evaluation.result.budgets} >= {name}, f"{name} has no budget"
    assert all(b.status != "fail" for b in evaluation.result.budgets)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_cites_its_figures(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data.get("source") and data.get("description")
    for name, entry in data["inputs"].items():
        assert entry.get("note"), f"{path.name}: {name} has no note"
        if name.startswith(PREFIX):
            assert entry["note"].startswith("[Paper]"), f"{path.name}: {name} must cite where it is published"


def test_hand_checks():
    # the figures the files reproduce, by hand
    assert pytest.approx(5.76e23, rel=0.05) == 6 * 70e9 * 1.4e12  # Chinchilla, 6ND
    assert 1.4e12 / 70e9 == 20
    assert pytest.approx(21, rel=0.05) == 1.4e12 / (380 * 2048) / 86_400  # LLaMA-65B
    assert 2 * 80 * 8 * 128 * 2 == 320 * 1024  # Llama 3.1 70B: 320 KiB a token
    assert (512 + 64) * 61 * 2 == 70_272  # DeepSeek-V3 MLA
    assert pytest.approx(560, rel=0.03) == 30 * (10 + 0.25 / 30 * 1000)  # Dean's serial thumbnail page, ms


def test_a_miss_fails_its_budget():
    # a figure off by more than the tolerance breaks the budget: the suite can fail
    model = calculator.load(HERE / "llama_65b.yaml")
    slower = model.evaluate({"tokens_per_gpu": 300.0}).result  # 26.4 days, 26% over 21
    assert slower.budget("training_time").status == "fail"


def test_check_the_folder(capsys):
    assert main(["check", str(HERE)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("0 fail, 0 invalid")
