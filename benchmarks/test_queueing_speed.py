"""Monte Carlo of queueing stages against the same scenario with constant stages (issue 15).

Target: a latency path of 20 queueing stages (each the p99 wait of an M/M/c whose traffic is
uncertain) at 100,000 samples within 2x the same scenario whose 20 stages are constants, in
the same run. Both scenarios draw the same 20 uncertain traffics and compute each stage's
utilization, so the difference is the queueing arithmetic alone.
"""

from __future__ import annotations

import pytest

import calculator

STAGES, SAMPLES = 20, 100_000


def scenario_yaml(queueing: bool) -> str:
    lines = ["name: queueing speed", "units: [replica]", "inputs:"]
    for i in range(STAGES):
        servers = 8 + 2 * (i % 5)
        lines += [
            f"  traffic{i}: {60 * servers} to {85 * servers} request/s",  # 60-85% busy at 10 ms a request
            f"  service{i}: 10 ms/request",
            f"  replicas{i}: {servers} replica",
        ]
    lines += ["derived:"]
    for i in range(STAGES):
        lines.append(f"  load{i}: utilization(traffic{i}, service{i}, replicas{i})")
        stage = f"queue_wait(traffic{i}, service{i}, replicas{i}, 99%)" if queueing else f"{1 + i % 3} ms"
        lines.append(f"  wait{i}: {stage} -> ms")
    lines += ["latency:", "  request:", "    budget: 400 ms", "    stages:"]
    lines += [f"      stage{i}: wait{i}" for i in range(STAGES)]
    lines.append(f"settings: {{samples: {SAMPLES}, seed: 1}}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def queueing_model() -> calculator.Model:
    return calculator.loads(scenario_yaml(True), "<queueing stages>")


@pytest.fixture(scope="module")
def constant_model() -> calculator.Model:
    return calculator.loads(scenario_yaml(False), "<constant stages>")


@pytest.mark.benchmark(group="Monte Carlo 100k, 20 latency stages")
def test_monte_carlo_queueing_stages(benchmark, queueing_model):
    evaluation = queueing_model.evaluate()
    result = benchmark(evaluation.judge)
    path = result.latency[0]
    assert result.values["wait19"].p95 > result.values["wait19"].p05 > 0
    assert path.p_violation is not None


@pytest.mark.benchmark(group="Monte Carlo 100k, 20 latency stages")
def test_monte_carlo_constant_stages_floor(benchmark, constant_model):
    evaluation = constant_model.evaluate()
    result = benchmark(evaluation.judge)
    assert result.latency[0].total == pytest.approx(sum(1 + i % 3 for i in range(STAGES)))
