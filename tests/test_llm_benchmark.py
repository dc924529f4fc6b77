"""scenarios/llm_benchmark.yaml: continuous batching checked by hand and against NVIDIA NIM's measurement
(Llama-3.3-70B FP8, 2x H100 SXM, 5000 prompt / 500 output tokens, concurrency 1: 406.77 ms TTFT,
18.58 ms per output token)."""

from __future__ import annotations

import pytest

import calculator
from tests.helpers import ROOT

PARAMS, LAYERS, KV_HEADS, HEAD_DIM, HEADS, HIDDEN = 70553706496, 80, 8, 128, 64, 8192  # Llama-3.3-70B config.json
BANDWIDTH, FP8, NVLINK, HBM = 3.35e12, 1979e12, 450e9, 80e9  # H100 SXM, per GPU
TP, MBU, MFU, ALLREDUCE, OVERHEAD = 2, 0.70, 0.50, 10e-6, 1e-3
PROMPT, OUTPUT = 5000, 500


def by_hand(concurrency: int) -> dict[str, float]:
    weights = PARAMS * 1.0
    kv_token = 2 * LAYERS * KV_HEADS * HEAD_DIM * 2
    slots = int((TP * HBM * 0.9 - weights) // (kv_token * (PROMPT + OUTPUT)))
    flight = min(concurrency, slots)
    bandwidth, compute = TP * BANDWIDTH * MBU, TP * FP8 * MFU
    kv = flight * kv_token * (PROMPT + OUTPUT / 2) / bandwidth
    prefill_tokens = (flight - 1) / OUTPUT * PROMPT
    tokens = flight + prefill_tokens
    allreduce = 2 * LAYERS * (ALLREDUCE + (TP - 1) / TP * tokens * HIDDEN * 2 / NVLINK)
    step = max(weights / bandwidth, tokens * 2 * PARAMS / compute) + kv + allreduce + OVERHEAD
    attention = 2 * 2 * LAYERS * PROMPT**2 / 2 * HEADS * HEAD_DIM
    prefill = (
        max((PROMPT * 2 * PARAMS + attention) / compute, weights / bandwidth)
        + 2 * LAYERS * (ALLREDUCE + (TP - 1) / TP * PROMPT * HIDDEN * 2 / NVLINK)
        + OVERHEAD
    )
    waiting = max(concurrency - slots, 0) / flight * (prefill + OUTPUT * step)
    return {"ttft": waiting + prefill, "tpot": step, "throughput": flight / step, "slots": slots}


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    return calculator.load(ROOT / "scenarios" / "llm_benchmark.yaml")


def figures(model: calculator.Model, concurrency: int) -> dict[str, float]:
    result = model.evaluate({"concurrency": float(concurrency)}).result
    paths = {p.path: p.total * p.unit.factor for p in result.latency}
    return {
        "ttft": paths["time_to_first_token"],
        "tpot": paths["time_per_output_token"],
        "throughput": result.values["output_throughput"].base,
        "slots": result.values["max_sequences"].base,
    }


def test_nim_concurrency_one_within_15_percent(model):
    got = figures(model, 1)
    assert got["tpot"] == pytest.approx(18.58e-3, rel=0.15)
    assert got["ttft"] == pytest.approx(406.77e-3, rel=0.15)


@pytest.mark.parametrize("concurrency", [1, 10, 25, 40, 60])
def test_continuous_batching_matches_the_hand_calculation(model, concurrency):
    got, want = figures(model, concurrency), by_hand(concurrency)
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-9), key


def test_prefill_share_slows_each_token_and_the_first_token_has_no_decode_step(model):
    alone, loaded = figures(model, 1), figures(model, 25)
    # 25 in flight: 24 others each rejoin once every 500 steps with a 5000-token prompt, 240 prompt
    # tokens a step; their matmuls outlast the weight reads, so the step grows by the excess compute
    # and the prefill tokens' all-reduces (the decode-only step would stay memory-bound)
    compute = TP * FP8 * MFU
    prefill_tokens = 24 / OUTPUT * PROMPT
    excess = (25 + prefill_tokens) * 2 * PARAMS / compute - PARAMS / (TP * BANDWIDTH * MBU)
    allreduce = 2 * LAYERS * 0.5 * prefill_tokens * HIDDEN * 2 / NVLINK
    decode_only = by_hand(25)["tpot"] - excess - allreduce
    assert excess > 0
    assert loaded["tpot"] == pytest.approx(decode_only + excess + allreduce, rel=1e-9)
    assert loaded["tpot"] > 1.15 * decode_only
    assert loaded["ttft"] == pytest.approx(alone["ttft"], rel=1e-12)  # no queue while the KV cache has room
    assert figures(model, 80)["ttft"] > 5 * alone["ttft"]  # beyond the KV cache: waits of whole requests
