"""LLM serving as a choice: tensor-parallel degree x decode batch, every design worked out by hand.

The scenario's model, written again here per (tensor_parallel, decode_batch) from Llama 3.1 70B's config and
the H100's catalog figures: memory for the batch's KV cache, the decode step, the prefill share, the fleet
sized at 80% of the slots, the p99 slot wait (Erlang C, tests/scenarios/queue_figures.py), TTFT and TPOT.
"""

import json
from math import ceil, floor
from pathlib import Path

import pytest

from calculator.cli.main import main
from tests.scenarios.catalog_figures import catalog_number
from tests.scenarios.queue_figures import p99_wait

SCENARIO = Path(__file__).parents[2] / "scenarios" / "llm_serving.yaml"

MEMORY = catalog_number("gpus.yaml", "H100-SXM", "memory") * 1e9
BANDWIDTH = catalog_number("gpus.yaml", "H100-SXM", "memory_bandwidth") * 1e12
FP8 = catalog_number("gpus.yaml", "H100-SXM", "fp8_flops") * 1e12
PRICE = catalog_number("gpus.yaml", "H100-SXM", "hourly_price")  # USD per GPU-hour

PARAMS = 70.6e9
WEIGHTS = PARAMS * 1  # FP8
KV_PER_SEQUENCE = 2 * 80 * 8 * 128 * 2 * (2000 + 400 / 2)  # bytes: K and V, prompt + half the answer
REQUESTS_PER_DAY = 10e6 * 2 * 5
PEAK_QPS = REQUESTS_PER_DAY / 86_400 * 2
AVERAGE_OUTPUT = REQUESTS_PER_DAY * 400 / 86_400  # token/s
PREFILL_FLOPS = 2 * PARAMS * 2000 * 0.5

TENSOR_PARALLEL = (2, 4, 8)
DECODE_BATCH = (16, 32, 64, 128, 256)


def broken_budgets(tp: int, batch: int) -> tuple[set[str], float]:
    """The budgets design (tp, batch) breaks, and its cost per million output tokens."""
    bandwidth, flops = tp * BANDWIDTH * 0.70, tp * FP8 * 0.50
    max_sequences = floor((tp * MEMORY * 0.9 - WEIGHTS) / KV_PER_SEQUENCE)
    message = batch * 8192 * 2
    allreduce = 2 * 80 * (10e-6 + 2 * (tp - 1) / tp * message / 450e9)
    memory_time = (WEIGHTS + batch * KV_PER_SEQUENCE) / bandwidth
    tpot = max(memory_time, 2 * PARAMS * batch / flops) + allreduce + 1e-3
    decoding = AVERAGE_OUTPUT * 2 / (batch / tpot)
    prefilling = PEAK_QPS * PREFILL_FLOPS / flops
    share = prefilling / (decoding + prefilling)
    tpot_under_load = tpot / (1 - share)
    replicas = ceil((decoding + prefilling) / 0.80)
    prefill_time = max(PREFILL_FLOPS / flops, WEIGHTS / bandwidth)
    request_time = prefill_time + 400 * tpot_under_load
    ttft = 0.050 + 0.010 + p99_wait(PEAK_QPS / replicas, request_time, batch) + prefill_time
    gpus = replicas * tp
    cost = gpus * PRICE / 3600 / AVERAGE_OUTPUT * 1e6
    limits = {
        "decode_batch": batch / max_sequences,
        "serving_gpus": gpus / 1200,
        "cost_per_million_tokens": cost / 5,
        "time_to_first_token": ttft / 0.450,
        "time_per_output_token": tpot_under_load / 0.040,
    }
    assert all(abs(u - 1) > 1e-3 for u in limits.values())  # no design sits on a limit
    return {name for name, used in limits.items() if used > 1}, cost


def test_the_cheapest_layout_by_hand(capsys):
    designs = {(tp, b): broken_budgets(tp, b) for tp in TENSOR_PARALLEL for b in DECODE_BATCH}
    feasible = {key: cost for key, (broken, cost) in designs.items() if not broken}
    best = min(feasible, key=feasible.__getitem__)
    counts: dict[str, int] = {}
    for broken, _ in designs.values():
        for name in broken:
            counts[name] = counts.get(name, 0) + 1
    # 2 H100s hold 73 GB of KV cache next to the weights: 101 sequences, so 128 and 256 do not fit
    assert counts["decode_batch"] == 2
    assert main(["optimize", str(SCENARIO), "--minimize", "cost_per_million_tokens", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["evaluated"], data["feasible"]) == (len(designs), len(feasible))
    assert data["infeasible_by_budget"] == counts
    top = data["designs"][0]
    assert top["choices"] == {"tensor_parallel": f"{best[0]} gpu", "decode_batch": f"{best[1]} sequence"}
    assert top["objectives"][0]["value"] == pytest.approx(feasible[best], rel=1e-6)
    # the file's own layout (4 GPUs, 128 slots) is feasible, and dearer than the best
    assert (4, 128) in feasible and feasible[(4, 128)] > feasible[best]
    assert [d["choices"] for d in data["designs"]] == [
        {"tensor_parallel": f"{tp} gpu", "decode_batch": f"{b} sequence"} for tp, b in sorted(feasible, key=feasible.__getitem__)
    ]
