"""Monte Carlo, explain and solve against their floors (issue 4).

Targets: 100,000 samples over 20 uncertain inputs and 30 formulas within 1.5x
the same computation hand-written in numpy (sampling, formulas, percentiles)
and under 100 ms; `explain` and `solve` under 1 s cold.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

import calculator
from benchmarks.cold import installed_env
from calculator.engine.uncertainty import Z90

ROOT = Path(__file__).resolve().parents[1]
TOUR = str(ROOT / "scenarios" / "tour.yaml")
INPUTS, FORMULAS, SAMPLES = 20, 30, 100_000


def formulas() -> list[tuple[str, str]]:
    result = []
    for i in range(FORMULAS):
        a, b = f"a{i % INPUTS}", f"a{(i * 7 + 3) % INPUTS}"
        previous = f"d{i - 1}" if i else "a0"
        kind = i % 3
        text = {0: f"{previous} * 1.5 + {a}", 1: f"({previous} + {b}) / 2", 2: f"max({previous}, {a}) * 0.75"}[kind]
        result.append((f"d{i}", text))
    return result


def scenario_yaml() -> str:
    lines = ["name: monte carlo", "inputs:"] + [f"  a{i}: {10 + i} to {20 + i} request/s" for i in range(INPUTS)]
    lines += ["derived:"] + [f"  {n}: {t}" for n, t in formulas()]
    lines += ["budgets:", f"  d{FORMULAS - 1}: <= 100 request/s", f"settings: {{samples: {SAMPLES}, seed: 1}}"]
    return "\n".join(lines) + "\n"


def hand_written_numpy():
    """What a person writes: draw each lognormal, compute the formulas, np.percentile every output."""
    import numpy as np

    rng = np.random.default_rng(1)
    a = {}
    for i in range(INPUTS):
        low, high = 10.0 + i, 20.0 + i
        a[f"a{i}"] = rng.lognormal((math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / (2 * Z90), SAMPLES)
    d = {}
    for name, text in formulas():
        python = text.replace("max(", "np.maximum(")
        d[name] = eval(python, {"np": np}, {**a, **d})  # benchmark code: our own generated formulas
    outputs = np.vstack(list(a.values()) + list(d.values()))
    return np.percentile(outputs, [5, 50, 95], axis=1)


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    return calculator.loads(scenario_yaml(), "<monte carlo>")


@pytest.mark.benchmark(group="Monte Carlo 100k x 20 inputs x 30 formulas")
def test_monte_carlo(benchmark, model):
    evaluation = model.evaluate()
    result = benchmark(evaluation.judge)
    assert result.values["d29"].p95 > result.values["d29"].p05
    assert result.budgets[0].p_violation is not None


@pytest.mark.benchmark(group="Monte Carlo 100k x 20 inputs x 30 formulas")
def test_monte_carlo_floor(benchmark, model):
    table = benchmark(hand_written_numpy)
    ours = model.evaluate().judge().values["d29"]
    assert table[:, -1] == pytest.approx([ours.p05, ours.p50, ours.p95], rel=0.02)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculator.cli.main", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=installed_env(),
    )


def run_floor(script: str) -> subprocess.CompletedProcess[str]:
    """The same work written by hand in sympy (benchmarks/floors/), in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "floors" / script)],
        capture_output=True,
        text=True,
        check=True,
        env=installed_env(),
    )


@pytest.mark.benchmark(group="cold explain")
def test_cold_explain(benchmark):
    done = benchmark.pedantic(run, args=("explain", TOUR, "ranking_gpus"), rounds=5, iterations=1)
    assert "closed form" in done.stdout
    assert "= 5 gpu" in done.stdout


@pytest.mark.benchmark(group="cold explain")
def test_cold_explain_floor(benchmark):
    done = benchmark.pedantic(run_floor, args=("explain_by_hand.py",), rounds=5, iterations=1)
    assert "value: 5" in done.stdout


@pytest.mark.benchmark(group="cold solve")
def test_cold_solve(benchmark):
    done = benchmark.pedantic(run, args=("solve", TOUR, "--for", "dau"), rounds=5, iterations=1)
    assert "binding budget: feature_bandwidth" in done.stdout


@pytest.mark.benchmark(group="cold solve")
def test_cold_solve_floor(benchmark):
    done = benchmark.pedantic(run_floor, args=("solve_by_hand.py",), rounds=5, iterations=1)
    assert "binding budget: feature_bandwidth" in done.stdout
