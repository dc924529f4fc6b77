"""The `envelope init` templates follow a system design interview, section by section, and each evaluates
cleanly: every budget and latency path ok, no problem reported. The new latency paths are checked by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import calculator
from tests.helpers import ROOT

TEMPLATES = sorted((ROOT / "calculator" / "templates").glob("*.yaml"))
# The interview framework: each step's heading comment, then the section it heads.
FRAMEWORK = [
    ("# 1. Requirements and scale", "inputs"),
    ("# 2. High-level architecture", "latency"),
    ("# 3. Deep dive", "derived"),
    ("# 4. Monitoring and budgets", "budgets"),
]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_each_template_follows_the_interview_framework(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    positions = []
    for heading, section in FRAMEWORK:
        at = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
        assert at is not None, f"{path.name}: no '{heading}' comment"
        # the section comes right after its heading (a `hardware:` line may come first in the deep dive)
        following = [line for line in lines[at + 1 : at + 3] if not line.startswith("hardware:")]
        assert following and following[0] == f"{section}:", f"{path.name}: '{heading}' does not head `{section}:`"
        positions.append(at)
    assert positions == sorted(positions), f"{path.name}: the steps are out of order"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_each_template_evaluates_cleanly(path: Path):
    model = calculator.load(path)
    result = model.evaluate().result
    assert result.status == "ok"
    assert result.budgets and all(b.status == "ok" for b in result.budgets)
    assert result.latency and all(p.status == "ok" for p in result.latency)  # step 2 is never empty
    assert not [v for v in result.values.values() if re.search(r"nan|inf|∞", v.display)]


def path_total(name: str, path: str) -> float:
    result = calculator.load(ROOT / "calculator" / "templates" / f"{name}.yaml").evaluate().result
    return next(p.total for p in result.latency if p.path == path)


def test_the_llm_answer_path_by_hand():
    # decode: 300 tokens, each a step of 70,553,706,496 params × 1 byte (Llama 3.1 70B in FP8) over
    # 4 × 3.35 TB/s of H100 HBM: 5.27 ms a step
    values = calculator.load(ROOT / "calculator" / "templates" / "llm-serving.yaml").evaluate().result.values
    step_ms = 70_553_706_496 / (4 * 3.35e12) * 1000
    assert values["time_per_token"].value == pytest.approx(step_ms)
    assert path_total("llm-serving", "answer") == pytest.approx(0.1 + 0.5 + 300 * step_ms / 1000)


def test_the_training_run_path_by_hand():
    # 6 × 7B × 1T = 4.2e22 FLOP over 256 × 989 TFLOPS × 40% = 1.0127e17 FLOP/s: 4.8 days, plus 2 + 1
    train_days = 6 * 7e9 * 1e12 / (256 * 989e12 * 0.40) / 86_400
    assert path_total("training", "run") == pytest.approx(2 + train_days + 1)


def test_the_nightly_batch_path_by_hand():
    # 200M items over 5 L4s (ceil(200M / (2k/s × 6 h)) = ceil(4.63)) at 2k/s each: 20,000 s;
    # 400 GB written at 1 GB/s: 400 s; 20,400 s in hours
    assert path_total("batch-pipeline", "nightly") == pytest.approx((200e6 / (5 * 2000) + 200e6 * 2e3 / 1e9) / 3600)
