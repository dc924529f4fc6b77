"""LLM serving (Llama 3.1 70B on H100s): key outputs recomputed by hand."""

import math
from math import ceil, floor
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "llm_serving.yaml"


MEMORY = catalog_number("gpus.yaml", "H100-SXM", "memory") * 1e9  # bytes per GPU
BANDWIDTH = catalog_number("gpus.yaml", "H100-SXM", "memory_bandwidth") * 1e12  # bytes/s per GPU
FP8 = catalog_number("gpus.yaml", "H100-SXM", "fp8_flops") * 1e12  # FLOP/s per GPU
PRICE = catalog_number("gpus.yaml", "H100-SXM", "hourly_price")  # USD per GPU-hour

PARAMS = 70.6e9
WEIGHTS = PARAMS * 1  # FP8: 1 byte a parameter
KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V x layers x KV heads x head_dim x BF16
KV_PER_SEQUENCE = KV_PER_TOKEN * (2000 + 400 / 2)  # prompt + half the answer
TP = 4
BATCH = 128
REPLICA_BW = TP * BANDWIDTH * 0.70
REPLICA_FP8 = TP * FP8 * 0.50


def tpot_seconds() -> float:
    memory = (WEIGHTS + BATCH * KV_PER_SEQUENCE) / REPLICA_BW
    compute = 2 * PARAMS * BATCH / REPLICA_FP8
    message = BATCH * 8192 * 2  # bytes of activations per all-reduce
    allreduce = 2 * 80 * (10e-6 + 2 * (TP - 1) / TP * message / 450e9)
    return max(memory, compute) + allreduce + 1e-3


REQUESTS_PER_DAY = 10e6 * 2 * 5
PEAK_QPS = REQUESTS_PER_DAY / 86_400 * 2
PREFILL_FLOPS = 2 * PARAMS * 2000 * 0.5  # half the prompt comes from the prefix cache


def replica_equivalents() -> tuple[float, float]:
    """(decoding, prefilling) replica-equivalents busy at peak."""
    peak_output = REQUESTS_PER_DAY * 400 / 86_400 * 2
    return peak_output / (BATCH / tpot_seconds()), PEAK_QPS * PREFILL_FLOPS / REPLICA_FP8


def prefill_share() -> float:
    decoding, prefilling = replica_equivalents()
    return prefilling / (decoding + prefilling)


def tpot_under_load_seconds() -> float:
    # chunked prefill shares every replica's steps: it decodes only (1 - share) of its time
    return tpot_seconds() / (1 - prefill_share())


def replica_count() -> int:
    return ceil(sum(replica_equivalents()) / 0.80)  # 80% of the sequence slots in use at peak


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_memory(result):
    assert KV_PER_TOKEN == 327_680  # 320 KiB
    assert result.values["kv_bytes_per_token"].value == pytest.approx(KV_PER_TOKEN / 1024, rel=1e-9)  # KiB
    assert result.values["kv_at_max_context"].value == pytest.approx(KV_PER_TOKEN * 8192 / 1e9, rel=1e-9)
    free = TP * MEMORY * 0.90 - WEIGHTS
    assert result.values["kv_memory_per_replica"].value == pytest.approx(free / 1e9, rel=1e-9)
    sequences = floor(free / KV_PER_SEQUENCE)
    assert sequences == 301
    assert result.values["max_sequences"].value == sequences
    assert result.budget("decode_batch").status == "ok"


def test_decode_is_bandwidth_bound(result):
    weights_ms = WEIGHTS / REPLICA_BW * 1e3
    kv_ms = BATCH * KV_PER_SEQUENCE / REPLICA_BW * 1e3
    compute_ms = 2 * PARAMS * BATCH / REPLICA_FP8 * 1e3
    assert compute_ms < weights_ms + kv_ms
    assert result.values["weights_read_time"].value == pytest.approx(weights_ms, rel=1e-9)
    assert result.values["kv_read_time"].value == pytest.approx(kv_ms, rel=1e-9)
    assert result.values["tpot"].value == pytest.approx(tpot_seconds() * 1e3, rel=1e-9)
    assert result.values["decode_tokens_per_replica"].value == pytest.approx(BATCH / tpot_seconds(), rel=1e-9)


def test_prefill_shares_the_steps(result):
    # issue 16, item 3: the fleet puts prefill on the decode GPUs, 35% of their time, so a token under
    # load takes the decode step / 0.65, ~32.5 ms (the decode-only step alone is ~21 ms)
    assert prefill_share() == pytest.approx(0.35, abs=0.005)
    assert result.values["prefill_share"].value == pytest.approx(prefill_share(), rel=1e-9)
    assert tpot_under_load_seconds() * 1e3 == pytest.approx(32.5, abs=0.05)
    assert result.values["tpot_under_load"].value == pytest.approx(tpot_under_load_seconds() * 1e3, rel=1e-9)
    assert result.values["tpot"].value == pytest.approx(tpot_seconds() * 1e3, rel=1e-9)  # decode only
    # the tokens a replica streams, spread over all its time, are the decode-only batch over the longer step
    decoding, prefilling = replica_equivalents()
    assert BATCH / tpot_under_load_seconds() * (decoding + prefilling) == pytest.approx(BATCH / tpot_seconds() * decoding)


def test_fleet_and_cost(result):
    requests_per_day = REQUESTS_PER_DAY
    assert result.values["prefill_flops"].value == pytest.approx(PREFILL_FLOPS / 1e12, rel=1e-9)
    assert ceil(sum(replica_equivalents())) == 236  # by throughput alone every slot would be busy
    replicas = replica_count()
    assert replicas == 294
    assert result.values["serving_gpus"].value == replicas * TP
    per_token = replicas * TP * PRICE / 3600 / (requests_per_day * 400 / 86_400)
    assert result.values["cost_per_output_token"].value == pytest.approx(per_token, rel=1e-9)
    assert result.values["cost_per_million_tokens"].value == pytest.approx(per_token * 1e6, rel=1e-9)
    assert result.values["cost_per_million_tokens"].unit.text == "USD"
    assert result.values["monthly_cost"].value == pytest.approx(replicas * TP * PRICE * HOURS_PER_MONTH, rel=1e-9)


def test_latency_paths(result):
    paths = {p.path: p for p in result.latency}
    prefill_ms = 2 * PARAMS * 1000 / REPLICA_FP8 * 1e3
    ttft = paths["time_to_first_token"]
    # The admission queue: an M/M/c per replica, c = 128 sequence slots, each held for the request's time.
    # At 80% of the slots fewer than 1% of requests wait at all (Erlang C by its closed form here), so the
    # p99 wait is 0; sized by throughput alone (236 replicas) it is minutes.
    holding = prefill_ms / 1e3 + 400 * tpot_under_load_seconds()
    assert result.values["request_time"].value == pytest.approx(holding, rel=1e-9)
    load = PEAK_QPS / replica_count() * holding
    assert load / 128 == pytest.approx(0.80, abs=0.005)
    assert result.values["slots_in_use"].value == pytest.approx(load, rel=1e-9)
    assert erlang_c_closed_form(load, 128) < 0.01
    assert ttft.stages[2].name == "queueing" and ttft.stages[2].value == 0
    throughput_only = PEAK_QPS / 236 * holding
    drain = (128 - throughput_only) / holding
    p99 = math.log(erlang_c_closed_form(throughput_only, 128) / 0.01) / drain
    assert p99 > 60
    assert calculator.load(SCENARIO).evaluate({"slot_utilization": 1.0}).result.values["queueing"].value == pytest.approx(
        p99 * 1e3, rel=1e-6
    )
    # the first token comes out of the prefill pass: no decode step after it
    assert ttft.total == pytest.approx(50 + 10 + prefill_ms, rel=1e-9)
    assert ttft.budget == 450
    tpot = paths["time_per_output_token"]
    assert tpot.total == pytest.approx(tpot_under_load_seconds() * 1e3, rel=1e-9)
    assert tpot.stages[-1].name == "chunked_prefill"
    assert tpot.budget == 40
    assert ttft.status == "ok" and tpot.status == "warn"  # 32.5 of 40 ms: over the 80% warning line
    assert result.status in ("ok", "warn")


def erlang_c_closed_form(load: float, servers: int) -> float:
    """C(c, a) = (a^c/c!)·c/(c-a) / (Σ_{k<c} a^k/k! + that), by its terms."""
    terms = [1.0]
    for k in range(1, servers):
        terms.append(terms[-1] * load / k)
    last = terms[-1] * load / servers * servers / (servers - load)
    return last / (sum(terms) + last)
