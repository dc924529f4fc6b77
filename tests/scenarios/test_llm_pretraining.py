"""LLM pre-training: 6ND compute, GPU-hours, days, cost and checkpoints recomputed by hand."""

from math import sqrt
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "llm_pretraining.yaml"

H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "bf16_flops") * 1e12
GPU_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # USD per GPU-hour
S3_PRICE = catalog_number("storage.yaml", "S3-Standard", "price")  # USD/GB/month
PARAMS = catalog_number("llms.yaml", "Llama-3.1-70B", "params")  # 70.55B
TOKENS = 15e12
MFU = sqrt(0.35 * 0.45)  # the point value of "35% to 45%": the median of a lognormal, ~39.7%
FLOPS = 6 * PARAMS * TOKENS  # 6.35e24
GPU_HOURS = FLOPS / (H100_BF16 * MFU * 0.90) / 3600


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_compute(result):
    assert result.values["tokens_per_param"].value == pytest.approx(TOKENS / PARAMS, rel=1e-9)  # ~213, not 20
    assert result.values["training_flops"].value == pytest.approx(FLOPS, rel=1e-9)
    assert pytest.approx(6.35e24, rel=1e-3) == FLOPS


def test_gpu_hours_days_and_cost(result):
    assert result.values["gpu_hours"].value == pytest.approx(GPU_HOURS, rel=1e-9)
    assert result.values["wall_clock"].value == pytest.approx(GPU_HOURS / 4096 / 24, rel=1e-9)
    assert 45 < GPU_HOURS / 4096 / 24 < 55  # about 50 days
    assert result.values["training_cost"].value == pytest.approx(GPU_HOURS * GPU_PRICE, rel=1e-9)


def test_checkpoints(result):
    size_tb = PARAMS * 14 / 1e12  # ~0.99 TB
    assert result.values["checkpoint_size"].value == pytest.approx(size_tb, rel=1e-9)
    assert result.values["checkpoint_storage"].value == pytest.approx(20 * size_tb, rel=1e-9)
    assert result.values["checkpoint_write_time"].value == pytest.approx(size_tb / 2, rel=1e-9)  # s at 2 TB/s
    assert result.values["checkpoint_storage_cost"].value == pytest.approx(20 * size_tb * 1e3 * S3_PRICE, rel=1e-9)


def test_mfu_is_uncertain_and_the_budgets_hold(result):
    # the 90% interval of the GPU-hours follows MFU's: 45% gives the low end, 35% the high one
    hours = result.values["gpu_hours"]
    assert hours.p05 == pytest.approx(FLOPS / (H100_BF16 * 0.45 * 0.90) / 3600, rel=0.03)  # Monte Carlo
    assert hours.p95 == pytest.approx(FLOPS / (H100_BF16 * 0.35 * 0.90) / 3600, rel=0.03)
    assert result.status in ("ok", "warn")
    assert all(b.status == "ok" for b in result.budgets)
