"""LLM serving on L4: the per-token latency and the GPU quota break."""

import json
import sys
from math import ceil, floor
from pathlib import Path
from subprocess import run

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "llm_serving_l4.yaml"


MEMORY = catalog_number("gpus.yaml", "L4", "memory") * 1e9  # bytes per GPU
BANDWIDTH = catalog_number("gpus.yaml", "L4", "memory_bandwidth") * 1e9  # catalog is GB/s per GPU
FP8 = catalog_number("gpus.yaml", "L4", "fp8_flops") * 1e12
# an L4's share of the g6.48xlarge (8x L4) a tensor-parallel replica fills: 13.3504 / 8 = $1.67,
# not the 1-GPU g6.xlarge's $0.80 (the catalog's per-GPU L4 price)
PRICE = catalog_number("instances.yaml", "g6.48xlarge", "hourly_price") / 8

PARAMS = 70.6e9
WEIGHTS = PARAMS * 1
KV_PER_SEQUENCE = 2 * 80 * 8 * 128 * 2 * 2200
TP = 8
BATCH = 128
REPLICA_BW = TP * BANDWIDTH * 0.70
REPLICA_FP8 = TP * FP8 * 0.50


def tpot_seconds() -> float:
    memory = (WEIGHTS + BATCH * KV_PER_SEQUENCE) / REPLICA_BW
    compute = 2 * PARAMS * BATCH / REPLICA_FP8
    # PCIe: 25 us + 2 x 7/8 x 2 MiB of activations at 32 GB/s, twice per layer
    allreduce = 2 * 80 * (25e-6 + 2 * (TP - 1) / TP * BATCH * 8192 * 2 / 32e9)
    return max(memory, compute) + allreduce + 1e-3


REQUESTS_PER_DAY = 10e6 * 2 * 5


def replica_equivalents() -> tuple[float, float]:
    """(decoding, prefilling) replica-equivalents busy at peak; 1,000 prompt tokens prefilled a request."""
    peak_output = REQUESTS_PER_DAY * 400 / 86_400 * 2
    peak_prefill = REQUESTS_PER_DAY / 86_400 * 2 * 2 * PARAMS * 1000
    return peak_output / (BATCH / tpot_seconds()), peak_prefill / REPLICA_FP8


def tpot_under_load_seconds() -> float:
    decoding, prefilling = replica_equivalents()
    return tpot_seconds() / (1 - prefilling / (decoding + prefilling))


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_weights_alone_exceed_the_interactive_limit(result):
    # 70.6 GB over 8 x 300 GB/s at 70%: 42 ms a step before any KV read
    weights_ms = WEIGHTS / REPLICA_BW * 1e3
    assert weights_ms > 40
    assert result.values["weights_read_time"].value == pytest.approx(weights_ms, rel=1e-9)


def test_tpot_fails(result):
    paths = {p.path: p for p in result.latency}
    tpot = paths["time_per_output_token"]
    assert tpot.total == pytest.approx(tpot_under_load_seconds() * 1e3, rel=1e-9)
    assert tpot_seconds() > 2 * 40e-3  # ~120 ms decode-only, 3x the 40 ms interactive limit; ~167 ms with prefill
    assert tpot.status == "fail"
    assert paths["time_to_first_token"].status in ("ok", "warn")


def test_gpu_quota_fails(result):
    requests_per_day = REQUESTS_PER_DAY
    replicas = ceil(sum(replica_equivalents()) / 0.80)  # the base's 80% of the sequence slots in use at peak
    assert result.values["serving_gpus"].value == replicas * TP
    b = result.budget("serving_gpus")
    assert b.status == "fail"
    assert b.utilization == pytest.approx(replicas * TP / 1200, rel=1e-9)
    per_million = replicas * TP * PRICE / 3600 / (requests_per_day * 400 / 86_400) * 1e6
    assert result.values["cost_per_million_tokens"].value == pytest.approx(per_million, rel=1e-9)
    assert result.budget("cost_per_million_tokens").status == "fail"
    # sized by throughput alone (every slot busy): ~$9.68, over the $5 target (the 1-GPU rate gave $4.67)
    busy = calculator.load(SCENARIO).evaluate({"slot_utilization": 1.0}).result
    every_slot = ceil(sum(replica_equivalents())) * TP * PRICE / 3600 / (requests_per_day * 400 / 86_400) * 1e6
    assert every_slot == pytest.approx(9.68, abs=0.01)
    assert busy.values["cost_per_million_tokens"].value == pytest.approx(every_slot, rel=1e-9)


def test_batch_still_fits(result):
    sequences = floor((TP * MEMORY * 0.90 - WEIGHTS) / KV_PER_SEQUENCE)
    assert sequences == 141
    assert result.values["max_sequences"].value == sequences
    assert result.budget("decode_batch").status in ("ok", "warn")
    assert result.status == "fail"


def test_cli_exits_1():
    done = run(
        [sys.executable, "-m", "calculator.cli.main", "eval", str(SCENARIO), "--format", "json"], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "fail"
    assert {b["name"] for b in report["budgets"] if b["status"] == "fail"} == {"serving_gpus", "cost_per_million_tokens"}
    assert {p["path"] for p in report["latency"] if p["status"] == "fail"} == {"time_per_output_token"}
