"""`envelope optimize` over 100,000 designs without uncertainty, beside the same grid hand-written in numpy.

Target (issue 14): under 0.5 s warm and within 1.5× of the numpy floor. The floor does what the search does:
every formula and whether each budget breaks for every design, the count of designs each budget rules out,
the feasible designs ranked by the objective, and for the ten listed, each budget's utilization and the
binding one. Run:
    pytest benchmarks/test_optimize_speed.py --benchmark-only --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

import pytest

import calculator
from calculator.analysis.optimize import Objective, optimize

SCENARIO = """\
name: 100,000 layouts
inputs:
  tensor_parallel: { range: [1 gpu, 8 gpu] }
  decode_batch: { range: [4 sequence, 200 sequence], step: 4 sequence }
  replicas: { range: [1 replica, 250 replica] }
  demand: 30 sequence/s
  reply_steps: 500
  weights: 140 GB
  hbm_per_gpu: 80 GB/gpu
  kv_per_sequence: 2 GB/sequence
  step_time_tp1: 60 ms
  gpu_price: 4 USD/hour/gpu
derived:
  gpus: tensor_parallel * replicas / (1 replica)
  memory_per_gpu: (weights + kv_per_sequence * decode_batch) / tensor_parallel -> GB/gpu
  time_per_token: step_time_tp1 * (1 gpu / tensor_parallel) ^ 0.7 * (1 + decode_batch / (128 sequence)) -> ms
  throughput: replicas / (1 replica) * decode_batch / (time_per_token * reply_steps) -> sequence/s
  monthly_cost: gpus * gpu_price -> USD/month
budgets:
  memory_per_gpu: <= hbm_per_gpu
  time_per_token: <= 50 ms
  throughput: ">= demand"
"""
TOP = 10
ROUNDS = 30  # the same for both: on a loaded machine, more rounds for one would give it more chances at a quiet moment
MONTH = 365.25 * 86400 / 12


def numpy_floor() -> tuple[int, list[int], list[int]]:
    """The same grid by hand: base units (seconds, bytes, USD), C order (replicas fastest)."""
    import numpy as np

    tp, batch, replicas = np.meshgrid(np.arange(1.0, 9.0), np.arange(4.0, 201.0, 4.0), np.arange(1.0, 251.0), indexing="ij")
    tp, batch, replicas = tp.ravel(), batch.ravel(), replicas.ravel()
    memory = (140e9 + 2e9 * batch) / tp
    tpot = 0.060 * (1 / tp) ** 0.7 * (1 + batch / 128)
    throughput = replicas * batch / (tpot * 500)
    cost = tp * replicas * 4 / 3600
    breaks = np.stack([memory > 80e9, tpot > 0.050, throughput < 30])
    feasible = np.flatnonzero(~breaks.any(axis=0))
    best = feasible[np.argsort(cost[feasible], kind="stable")][:TOP]
    used = np.stack([memory[best] / 80e9, tpot[best] / 0.050, 30 / throughput[best]])  # the listed designs' detail
    _ = np.argmax(used, axis=0), used.max(axis=0)
    return len(feasible), breaks.sum(axis=1).tolist(), best.tolist()


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    return calculator.loads(SCENARIO, "<100,000 layouts>")


@pytest.mark.benchmark(group="optimize, 100,000 designs")
def test_optimize_100k_designs(benchmark, model):
    outcome = benchmark.pedantic(
        optimize, args=(model, [Objective("monthly_cost", "min")], None, TOP), rounds=ROUNDS, warmup_rounds=2
    )
    feasible, broken, best = numpy_floor()
    assert outcome.evaluated == 100_000 and outcome.feasible == feasible
    assert list(outcome.infeasible_by_budget.values()) == [b for b in broken if b]
    first = best[0]  # the floor's cheapest design, its choices from its index in C order
    expected = {"tensor_parallel": f"{first // 12_500 + 1} gpu", "decode_batch": f"{(first // 250) % 50 * 4 + 4} sequence"}
    assert {k: outcome.designs[0].choices[k] for k in expected} == expected
    assert outcome.designs[0].choices["replicas"] == f"{first % 250 + 1} replica"


@pytest.mark.benchmark(group="optimize, 100,000 designs")
def test_optimize_100k_designs_numpy_floor(benchmark):
    feasible, _, best = benchmark.pedantic(numpy_floor, rounds=ROUNDS, warmup_rounds=2)
    assert feasible > 0 and len(best) == TOP
