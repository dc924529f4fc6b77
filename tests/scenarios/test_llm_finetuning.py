"""LLM fine-tuning, full vs LoRA: memory per GPU, time and cost recomputed by hand."""

from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "llm_finetuning.yaml"

H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "bf16_flops") * 1e12
L40S_BF16 = catalog_number("gpus.yaml", "L40S", "bf16_flops") * 1e12
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # USD per GPU-hour
L40S_PRICE = catalog_number("instances.yaml", "g6e.xlarge", "hourly_price")  # the 1-GPU instance

# Llama 3.1 8B config.json: 32 layers, hidden 4,096, 8 KV heads of 128, vocabulary 128,256
PARAMS = catalog_number("llms.yaml", "Llama-3.1-8B", "params")
COMPUTE_PARAMS = PARAMS - 128_256 * 4_096
TOKENS = 50e3 * 2000 * 3  # 300M
ACTIVATIONS = 34 * 4096 * 32 * 4096  # bytes: 34 h a token a layer, 32 layers, one 4k sequence
# rank 16 on Q (4096 -> 4096), K and V (4096 -> 1024), O (4096 -> 4096), in 32 layers
LORA_PARAMS = 16 * ((4096 + 4096) + 2 * (4096 + 1024) + (4096 + 4096)) * 32


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_full_fine_tuning_memory_time_cost(result):
    assert result.values["activations"].value == pytest.approx(ACTIVATIONS / 1e9, rel=1e-9)
    assert result.values["full_state"].value == pytest.approx(PARAMS * 16 / 1e9, rel=1e-9)  # 128 GB
    per_gpu = PARAMS * 16 / 8 + ACTIVATIONS
    assert result.values["full_memory_per_gpu"].value == pytest.approx(per_gpu / 1e9, rel=1e-9)
    hours = 6 * COMPUTE_PARAMS * TOKENS / (8 * H100_BF16 * 0.40) / 3600
    assert result.values["full_time"].value == pytest.approx(hours, rel=1e-9)
    assert result.values["full_cost"].value == pytest.approx(hours * 8 * H100_PRICE, rel=1e-9)


def test_lora_memory_time_cost(result):
    assert LORA_PARAMS == 13_631_488
    assert result.values["lora_params"].value == pytest.approx(LORA_PARAMS, rel=1e-9)
    per_gpu = PARAMS * 2 + LORA_PARAMS * 16 + ACTIVATIONS
    assert result.values["lora_memory_per_gpu"].value == pytest.approx(per_gpu / 1e9, rel=1e-9)
    assert per_gpu / 1e9 < 48  # one L40S
    hours = 4 * COMPUTE_PARAMS * TOKENS / (L40S_BF16 * 0.40) / 3600
    assert result.values["lora_time"].value == pytest.approx(hours, rel=1e-9)
    assert result.values["lora_cost"].value == pytest.approx(hours * L40S_PRICE, rel=1e-9)


def test_full_fine_tuning_does_not_fit_one_gpu():
    one_gpu = calculator.load(SCENARIO).evaluate({"full_gpus": 1.0}).result
    assert one_gpu.budget("full_memory_per_gpu").status == "fail"  # 128 GB + activations > 80 GB
    assert one_gpu.values["full_memory_per_gpu"].value == pytest.approx((PARAMS * 16 + ACTIVATIONS) / 1e9, rel=1e-9)


def test_the_trade_off(result):
    full_cost = 6 * COMPUTE_PARAMS * TOKENS / (8 * H100_BF16 * 0.40) / 3600 * 8 * H100_PRICE
    lora_cost = 4 * COMPUTE_PARAMS * TOKENS / (L40S_BF16 * 0.40) / 3600 * L40S_PRICE
    assert result.values["lora_saving"].value == pytest.approx((1 - lora_cost / full_cost) * 100, rel=1e-9)
    assert result.status == "ok"
