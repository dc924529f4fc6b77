"""The sweep's table and plot: a log axis for --log, breaks where they happen, readable headers, one marker a series."""

from __future__ import annotations

import pytest

import calculator
from calculator.outputs.terminal import print_sweep

SERVING = """
name: serving
inputs:
  dau: 100M user
  rate: 5 request/user/day
  peak: 3
  per_gpu: 100 request/s/gpu
  mfu: 40%
  headroom_factor: 1.5
derived:
  qps: dau * rate * peak -> request/s
  whole_gpus: ceil(qps / per_gpu)
  spare: whole_gpus * headroom_factor
budgets:
  whole_gpus: <= 200 gpu
  spare: <= 400 gpu
"""


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    return calculator.loads(SERVING, "<serving>")


def _axis_line(drawing: str, labels: list[str]) -> str:
    return next(line for line in drawing.splitlines() if all(label in line for label in labels))


def test_log_sweep_plots_on_a_log_axis(model):
    table = calculator.sweep(model, "dau", "10M user", "90M user", steps=3, log=True, show=["whole_gpus"])
    assert [row.x for row in table.rows] == pytest.approx([10e6, 30e6, 90e6])  # geometric: 30M is the middle
    axis = _axis_line(table.plot(width=80, color=False), ["10M", "30M", "90M"])
    left, middle, right = (axis.index(label) for label in ("10M", "30M", "90M"))
    # on a log axis 30M sits halfway from 10M to 90M; on a linear one it would sit at a quarter
    assert abs((middle - left) / (right - left) - 0.5) < 0.08


def test_a_break_is_marked_where_the_budget_breaks_not_at_the_next_sample(model):
    table = calculator.sweep(model, "dau", "50M user", "150M user", steps=3, show=["whole_gpus"])
    # ceil(dau * 15 / 86,400 / 100) > 200 once dau > 200 * 8,640,000 / 15 = 115.2M
    assert table.breaks() == [("whole_gpus", pytest.approx(200 * 8_640_000 / 15, rel=1e-6))]


def test_a_dimensionless_input_is_named_without_empty_parentheses(model, capsys):
    table = calculator.sweep(model, "headroom_factor", "1", "3", steps=3, show=["spare"])
    assert "headroom_factor ()" not in table.to_markdown()
    assert table.to_markdown().startswith("| headroom_factor | spare (gpu) |")
    assert "headroom_factor []" not in table.to_csv()
    assert "headroom_factor ()" not in table.plot(color=False)
    print_sweep(table, color=False)
    assert "headroom_factor ()" not in capsys.readouterr().out


def test_each_series_has_its_own_marker(model):
    table = calculator.sweep(model, "dau", "50M user", "150M user", steps=5)
    legend = [line for line in table.plot(width=80, color=False).splitlines() if "whole_gpus" in line or "spare" in line]
    markers = [
        line.split("whole_gpus")[0].split()[-1] if "whole_gpus" in line else line.split("spare")[0].split()[-1] for line in legend
    ]
    assert len(markers) == 2 and markers[0] != markers[1]


def test_the_table_header_reads_whole_at_80_columns(model, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    table = calculator.sweep(
        calculator.loads(SERVING.replace("budgets:", "budgets:\n  qps: <= 1M request/s"), "<s>"),
        "dau",
        "50M user",
        "150M user",
        steps=3,
        show=["qps", "whole_gpus", "spare", "peak", "rate"],
    )
    print_sweep(table, color=False)
    out = capsys.readouterr().out
    assert "…" not in out
    for header in ("dau (user)", "qps (request/s)", "whole_gpus (gpu)", "rate (request/user/day)"):
        assert header in out or all(word in out for word in header.split())
    assert max(len(line) for line in out.splitlines()) <= 80
