"""Every shipped scenario: it evaluates, it says where its numbers come from, and it has the status it should.

A scenario tagged `variant` shows a design change that breaks a budget, so it must fail;
every other shipped scenario must pass its budgets (ok or warn).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import calculator
from calculator.cli.main import main
from tests.helpers import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_evaluates_with_the_status_it_should(path):
    result = calculator.load(path).evaluate().result
    data = raw(path)
    if "variant" in (data.get("tags") or []):
        assert "extends" in data, "a variant extends the design it changes"
        assert result.status == "fail", "a variant shows what breaks"
    else:
        assert result.status in ("ok", "warn"), [b for b in result.budgets if b.status == "fail"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_cites_its_sources_and_every_input_has_a_note(path):
    data = raw(path)
    assert data.get("source"), f"{path.name} has no source:"
    for name, entry in (data.get("inputs") or {}).items():
        assert isinstance(entry, dict) and entry.get("note"), f"{path.name}: input '{name}' has no note"


def test_check_the_shipped_folder(capsys):
    variants = [p for p in SCENARIOS if "variant" in (raw(p).get("tags") or [])]
    code = main(["check", str(ROOT / "scenarios")])
    out = capsys.readouterr().out.splitlines()
    assert code == (1 if variants else 0)
    assert out[-1].startswith(f"{len(SCENARIOS)} scenarios:")
    assert out[-1].endswith(f"{len(variants)} fail, 0 invalid")
