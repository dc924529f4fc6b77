"""Embedding backfill: FLOPs, GPUs, time, cost and the worker's CPU recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "embedding_backfill.yaml"

L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12
L4_PRICE = catalog_number("instances.yaml", "g6.xlarge", "hourly_price")  # the 1-GPU worker, USD/h
S3_GET = catalog_number("storage.yaml", "S3-Standard", "get_price")  # USD a request

# BERT-base: 2 x 12 layers x (4 x 768^2 + 2 x 768 x 3,072) FLOP a token in its matmuls,
# + 4 x 12 x 512 x 768 for attention scores and their product with V at 512 tokens
PER_TOKEN = 2 * 12 * (4 * 768**2 + 2 * 768 * 3072) + 4 * 12 * 512 * 768
PER_DOCUMENT = PER_TOKEN * 512  # ~97 GFLOP
GPU_HOURS = 1e9 * PER_DOCUMENT / (L4_BF16 * 0.40) / 3600


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_compute_and_gpus(result):
    assert result.values["flops_per_document"].value == pytest.approx(PER_DOCUMENT / 1e9, rel=1e-9)
    assert result.values["gpu_hours"].value == pytest.approx(GPU_HOURS, rel=1e-9)
    assert result.values["gpus_needed"].value == ceil(GPU_HOURS / 48) == 12
    assert result.values["backfill_time"].value == pytest.approx(GPU_HOURS / 12, rel=1e-9)
    assert result.budget("backfill_time").status == "warn"  # 46 of 48 hours


def test_cost_and_storage(result):
    assert result.values["backfill_cost"].value == pytest.approx(GPU_HOURS * L4_PRICE, rel=1e-9)
    assert result.values["embeddings_size"].value == pytest.approx(1e9 * 768 * 2 / 1e12, rel=1e-9)  # TB
    assert result.values["get_requests_cost"].value == pytest.approx(1e6 * S3_GET, rel=1e-9)  # 1M shard files


def test_the_cpu_keeps_up(result):
    per_worker = 1e9 / (GPU_HOURS / 12 * 3600) / 12  # documents a second a worker, ~500
    assert result.values["documents_per_worker"].value == pytest.approx(per_worker, rel=1e-9)
    assert result.values["tokenizer_vcpus"].value == pytest.approx(per_worker * 2e-3, rel=1e-9)
    assert result.budget("tokenizer_vcpus").utilization == pytest.approx(per_worker * 2e-3 / (4 * 0.8), rel=1e-9)
    assert result.values["read_rate_per_worker"].value == pytest.approx(per_worker * 2e3 / 1e6, rel=1e-9)  # MB/s
    assert result.status in ("ok", "warn")
