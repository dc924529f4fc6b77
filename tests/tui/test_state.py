"""Edits, undo, redo, reset and reload on a Workbench (no UI)."""

from __future__ import annotations

from pathlib import Path

import pytest

import calculator
from tui.state import Workbench


def test_edit_undo_redo_reset(small: Path):
    bench = Workbench(calculator.load(small))
    assert bench.result.values["gpus"].value == 5
    assert bench.set("users", "100M user")
    assert bench.result.values["gpus"].value == 47
    assert bench.result.status == "fail"
    assert bench.baseline.values["gpus"].value == 5
    assert bench.reset("users")
    assert bench.edits == {}
    assert bench.undo()
    assert bench.text("users") == "100M user"
    assert bench.undo() and bench.edits == {}
    assert not bench.undo()
    assert bench.redo() and bench.text("users") == "100M user"


def test_setting_the_files_value_is_no_edit(small: Path):
    bench = Workbench(calculator.load(small))
    assert not bench.set("users", " 10M user ")
    assert bench.edits == {}


def test_a_refused_edit_changes_nothing(small: Path):
    bench = Workbench(calculator.load(small))
    with pytest.raises(calculator.EnvelopeError, match="unknown unit"):
        bench.set("users", "10M usr")
    with pytest.raises(calculator.EnvelopeError, match="division by zero"):
        bench.set("gpu_qps", "0 request/s/gpu")
    assert bench.edits == {} and bench.undo_stack == []


def test_uncertain_edit_gives_percentiles_and_risk(small: Path):
    bench = Workbench(calculator.load(small))
    bench.set("users", "5M to 20M user")
    budget = bench.result.budgets[0]
    assert budget.p_violation is not None and 0 < budget.p_violation < 1
    assert bench.result.values["qps"].p05 < bench.result.values["qps"].p95


def test_reload_keeps_edits_the_new_file_accepts(small: Path):
    bench = Workbench(calculator.load(small))
    bench.set("users", "20M user")
    bench.set("gpu_qps", "400 request/s/gpu")
    small.write_text(small.read_text(encoding="utf-8").replace("gpu_qps", "gpu_rate"), encoding="utf-8")
    dropped = bench.rebase(calculator.load(small))
    assert dropped == ["gpu_qps = 400 request/s/gpu"]
    assert set(bench.edits) == {"users"}
