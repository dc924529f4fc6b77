"""The TUI shows a percentile budget's judged percentile beside its median, in the budgets and latency panels."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import drive
from tui.app import EnvelopeApp
from tui.widgets.budgets import BudgetLine, BudgetsPanel
from tui.widgets.latency import LatencyPanel, StepLine

# response = 2 × latency: median 2 × sqrt(0.4 × 2.5) = 2 s, p95 2 × 2.5 = 5 s (the interval's upper bound)
SLO = """\
name: p95 SLO
inputs:
  latency: 0.4 s to 2.5 s
derived:
  response: latency * 2
budgets:
  response: {max: 4 s, percentile: 95%}
latency:
  api:
    budget: {max: 3 s, percentile: 95%}
    stages:
      call: latency
settings: {samples: 100000}
"""
# four standard errors of a sample p95 of this lognormal (sigma = ln(2.5/0.4) / 3.29), relative:
# 4 · sigma · sqrt(0.95 · 0.05 / n) / φ(1.645) = 1.1% at 100,000 samples
TOLERANCE = 4 * (math.log(2.5 / 0.4) / 3.29) * math.sqrt(0.95 * 0.05 / 100_000) / 0.10314


def judged(drawn: str) -> float:
    match = re.search(r"p95 ([\d.]+) s", drawn)
    assert match is not None, drawn
    return float(match.group(1))


def test_budgets_and_latency_panels_show_the_judged_percentile(tmp_path: Path) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(SLO, encoding="utf-8")
    app = EnvelopeApp([path], watch_interval=None)

    async def steps(pilot: Pilot[None]) -> None:
        line = next(row for row in app.query_one(BudgetsPanel).rows if isinstance(row, BudgetLine))
        assert line.budget.status == "fail"  # p95 5 s over 4 s, though the median 2 s is half of it
        drawn = line.draw(100).plain
        assert "2 s ≤ 4 s" in drawn  # the median against the limit, then the judged p95
        assert judged(drawn) == pytest.approx(5.0, rel=TOLERANCE)
        assert f"{line.budget.utilization:.0%}" in drawn and line.budget.utilization == pytest.approx(5 / 4, rel=TOLERANCE)
        rows = app.query_one(LatencyPanel).rows
        path_line = next(row for row in rows if isinstance(row, StepLine) and row.step.kind == "path")
        assert judged(path_line.draw(100).plain) == pytest.approx(2.5, rel=TOLERANCE)  # the interval's upper bound

    drive(app, steps)
