"""A 2-D sweep (`envelope sweep X … --and Y …`) against its floor: the same grid hand-written in numpy.

Target: a 1,000 × 1,000 grid of a small serving scenario (four derived values, four budgets) within 2× the
same formulas, limits and statuses written by hand in numpy, measured side by side.

Measured 2026-12-02 (the 2-core VM, load average ~19 from other work): medians 410–450 ms against the floor's
416–531 ms in the same runs (0.8–1.0×; 2.6× before the statuses stayed codes and the checks skipped finite
slots). The floor has no unit conversions, no located-error check and no per-budget status arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

import calculator
from calculator.analysis.sweep import grid_sweep

STEPS = 1_000
SCENARIO = """\
name: grid
inputs:
  dau: 50M user
  searches: 5 request/user/day
  per_gpu: 1k request/s/gpu
derived:
  peak_qps: dau * searches * 3 -> request/s
  gpus: ceil(peak_qps / per_gpu)
  cost: gpus * 2 USD/hour/gpu -> USD/month
  storage: dau * 2 KB/user
budgets:
  peak_qps: <= 30k request/s
  gpus: <= 20 gpu
  cost: <= 50k USD/month
  storage: <= 1 TB
"""
DAY, MONTH = 86_400.0, 30.436875 * 86_400.0  # seconds; envelope's month is a Julian year / 12


def hand_written_grid() -> np.ndarray:
    """What a person writes: both axes as a mesh, the four formulas, each budget's status, the worst."""
    dau, searches = np.meshgrid(np.linspace(10e6, 200e6, STEPS), np.linspace(1, 10, STEPS) / DAY)
    peak = dau * searches * 3
    gpus = np.ceil(peak / 1000)
    cost = gpus * 2 / 3600 * MONTH
    storage = dau * 2000
    worst = np.zeros(dau.shape, dtype=int)
    for value, limit in ((peak, 30e3), (gpus, 20.0), (cost, 50e3), (storage, 1e12)):
        used = value / limit
        worst = np.maximum(worst, np.where(value > limit, 2, np.where(used >= 0.8, 1, 0)))
    return worst


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    model = calculator.loads(SCENARIO, "<grid>")
    model.vectorized(*[float(a) for a in model.default_arguments])  # the numpy form compiled once, as a warm run has it
    return model


def ours(model: calculator.Model):  # type: ignore[no-untyped-def]
    return grid_sweep(
        model, ("dau", "10M user", "200M user"), ("searches", "1 request/user/day", "10 request/user/day"), (STEPS, STEPS)
    )


@pytest.mark.benchmark(group="2-D sweep, 1,000 x 1,000 points")
def test_grid_sweep(benchmark, model):
    grid = benchmark(ours, model)
    assert grid.status.shape == (STEPS, STEPS)


@pytest.mark.benchmark(group="2-D sweep, 1,000 x 1,000 points")
def test_grid_sweep_floor(benchmark, model):
    worst = benchmark(hand_written_grid)
    grid = ours(model)
    # the same statuses at every point: the floor computes what the sweep computes
    assert (worst == grid.codes).all()
