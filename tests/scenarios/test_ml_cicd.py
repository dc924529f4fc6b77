"""ML CI/CD pipeline: key outputs recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import DAYS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "ml_cicd.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12  # FLOP/s per GPU
# an H100's share of the p5.48xlarge (8x H100) it runs in
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # USD per GPU-hour
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD per GB-month

# BERT-large: 335.1M weights, of which (30,522 + 512 + 2) x 1,024 are embeddings (lookups, no FLOPs)
PARAMS = 335_141_888
COMPUTE_PARAMS = PARAMS - (30_522 + 512 + 2) * 1_024  # 303.4M
# 6 FLOP/param/token x 340M params x (200M samples/day x 3 days x 128 tokens), at 40% of bf16 peak
RETRAIN_GPU_HOURS = 6 * COMPUTE_PARAMS * (200e6 * 3 * 128) / (H100_BF16 * 0.40) / 3600
# 2 FLOP/param/token x 340M x 20M samples x 128 tokens x 2 models, at 40%
EVAL_GPU_HOURS = 2 * COMPUTE_PARAMS * 20e6 * 128 * 2 / (H100_BF16 * 0.40) / 3600
# 5k requests/s x 2 x 340M x 20 items x 128 tokens, at 30%
PEAK_FLOPS = 5e3 * 2 * COMPUTE_PARAMS * 20 * 128
PER_GPU = H100_BF16 * 0.30


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_retrain(result):
    assert result.values["retrain_gpu_hours"].value == pytest.approx(RETRAIN_GPU_HOURS, rel=1e-9)
    assert result.values["train_time"].value == pytest.approx(RETRAIN_GPU_HOURS / 32, rel=1e-9)
    assert result.values["eval_time"].value == pytest.approx(EVAL_GPU_HOURS / 8 * 60, rel=1e-9)  # minutes


def test_shadow_and_canary_gpus(result):
    # 26.2 GPUs of compute (29.3 when the embeddings were counted as FLOPs)
    assert result.values["production_gpus"].value == ceil(PEAK_FLOPS / PER_GPU) == 27
    assert result.values["shadow_gpus"].value == ceil(PEAK_FLOPS * 0.10 / PER_GPU) == 3
    assert result.values["canary_gpus"].value == ceil(PEAK_FLOPS * 0.05 / PER_GPU) == 2
    # 3 GPUs x 4 h shadow + 2 GPUs x 6 h canary
    assert result.values["release_gpu_hours"].value == pytest.approx(3 * 4 + 2 * 6, rel=1e-9)


def test_monthly_gpu_hours_and_storage(result):
    per_release = RETRAIN_GPU_HOURS + EVAL_GPU_HOURS + 24
    monthly = per_release * DAYS_PER_MONTH  # one release a day
    assert result.values["monthly_gpu_hours"].value == pytest.approx(monthly, rel=1e-9)
    assert result.budget("monthly_gpu_hours").utilization == pytest.approx(monthly / 6000, rel=1e-9)
    # 90 versions x 335M params (all of them, embeddings included) x 16 bytes
    registry_gb = 90 * PARAMS * 16 / 1e9
    assert result.values["registry_storage"].value == pytest.approx(registry_gb, rel=1e-9)
    # 200M samples x 1 KB a day, 180 days
    data_tb = 200e6 * 1e3 * 180 / 1e12
    assert result.values["training_data_retained"].value == pytest.approx(data_tb, rel=1e-9)
    cost = monthly * H100_PRICE + (data_tb * 1e3 + registry_gb) * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(cost, rel=1e-9)


def test_commit_to_production(result):
    # build 15 min + max(10, 20 min) + train + max(eval, 15 min) + 4 h + 6 h + 4 x 30 min, in hours
    eval_hours = EVAL_GPU_HOURS / 8
    expected = 0.25 + 20 / 60 + RETRAIN_GPU_HOURS / 32 + max(eval_hours, 0.25) + 4 + 6 + 2
    (path,) = result.latency
    assert path.total == pytest.approx(expected, rel=1e-9)
    assert path.budget == 24
    assert path.status == "ok"
    assert result.status in ("ok", "warn")
