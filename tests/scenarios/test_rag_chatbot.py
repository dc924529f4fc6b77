"""RAG chatbot: the headline figures recomputed by hand from the inputs and the catalog files."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number
from tests.scenarios.queue_figures import p99_wait

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "rag_chatbot.yaml"

H100_FP8 = catalog_number("gpus.yaml", "H100-SXM", "fp8_flops") * 1e12  # FLOP/s
H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "bf16_flops") * 1e12
H100_BANDWIDTH = catalog_number("gpus.yaml", "H100-SXM", "memory_bandwidth") * 1e12  # TB/s -> B/s
NVLINK = catalog_number("gpus.yaml", "H100-SXM", "interconnect_bandwidth") * 1e9  # B/s each way
GPU_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # a p5's share, USD/h
INDEX_NODE_PRICE = catalog_number("instances.yaml", "r7i.16xlarge", "hourly_price")
REDIS_MS = catalog_number("reference.yaml", "redis_query") / 1e3

# Llama 3.1 8B (config.json): 32 layers, 8 KV heads of 128; 8.03B weights, 525M of them the input embedding
LLM_PARAMS = catalog_number("llms.yaml", "Llama-3.1-8B", "params")
LLM_COMPUTE_PARAMS = LLM_PARAMS - 128_256 * 4_096
KV_PER_TOKEN = 2 * 32 * 8 * 128 * 2  # bytes, bf16: 128 KiB
# BERT-base: 2 x 12 x (4 x 768^2 + 2 x 768 x 3072) FLOP a token in its matmuls
BERT_FLOPS_PER_TOKEN = 2 * 12 * (4 * 768**2 + 2 * 768 * 3072)

PEAK_QPS = 1e6 * 5 / 86_400 * 3  # 173.6 answers/s
PROMPT = 1000 + 8 * 512 + 50  # 5,146 tokens
CHUNKS = 5e6 * 10


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_vector_index(result):
    # 50M chunks x (768 x 4 bytes + 256 bytes of HNSW links) = 166.4 GB: three zone replicas
    assert result.values["vector_index"].value == pytest.approx(CHUNKS * (768 * 4 + 256) / 1e9, rel=1e-9)
    assert result.values["index_nodes"].value == 3
    # embedding the corpus once: 50M x 512 tokens x (matmuls + attention at 512 tokens), H100 at 40%
    per_token = BERT_FLOPS_PER_TOKEN + 4 * 12 * 512 * 768
    hours = CHUNKS * 512 * per_token / (H100_BF16 * 0.40) / 3600
    assert result.values["corpus_embedding_gpu_hours"].value == pytest.approx(hours, rel=1e-9)


def test_prefill(result):
    assert result.values["prompt_tokens"].value == PROMPT
    flops = PROMPT * 2 * LLM_COMPUTE_PARAMS  # 77 TFLOP a prompt
    assert result.values["prefill_time"].value == pytest.approx(flops / (H100_FP8 * 0.40) * 1e3, rel=1e-9)
    prefill_gpus = ceil(PEAK_QPS * flops * 1.5 / (H100_FP8 * 0.40))
    assert prefill_gpus == 26
    assert result.values["prefill_gpus"].value == prefill_gpus


def test_decode(result):
    kv_sequence = KV_PER_TOKEN * (PROMPT + 300)  # 714 MB
    assert result.values["kv_per_token"].value == pytest.approx(128, rel=1e-9)  # KiB
    memory = LLM_PARAMS * 1 + 64 * kv_sequence  # FP8 weights + the batch's KV cache
    assert result.values["decode_memory"].value == pytest.approx(memory / 1e9, rel=1e-9)
    step = memory / (H100_BANDWIDTH * 0.70)
    assert result.values["decode_step_time"].value == pytest.approx(step * 1e3, rel=1e-9)
    decode_gpus = ceil(PEAK_QPS * 300 * 1.5 / (64 / step))
    assert decode_gpus == 28
    assert result.values["serving_gpus"].value == 26 + 28


def test_cost_per_answer(result):
    monthly = 54 * GPU_PRICE * HOURS_PER_MONTH + 3 * INDEX_NODE_PRICE * HOURS_PER_MONTH
    assert result.values["monthly_cost"].value == pytest.approx(monthly, rel=1e-9)
    answers_per_month = 1e6 * 5 / 86_400 * HOURS_PER_MONTH * 3600
    per_1k = monthly / answers_per_month * 1000
    assert result.values["cost_per_1k_answers"].value == pytest.approx(per_1k, rel=1e-9)
    assert result.budget("cost_per_1k_answers").status == "ok"


def test_latency_paths(result):
    paths = {p.path: p for p in result.latency}
    prefill_ms = PROMPT * 2 * LLM_COMPUTE_PARAMS / (H100_FP8 * 0.40) * 1e3
    embed_ms = 50 * BERT_FLOPS_PER_TOKEN / (H100_BF16 * 0.40) * 1e3
    transfer_ms = KV_PER_TOKEN * (PROMPT + 300) / NVLINK * 1e3
    # the prefill queue: M/M/26 at peak, one prompt a GPU; 2/3 busy, under 5% of prompts wait, so the p95 is 0
    peak = 1e6 * 5 / 86_400 * 3
    assert result.values["peak_qps"].value == pytest.approx(peak, rel=1e-9)
    assert peak * prefill_ms / 1e3 / 26 == pytest.approx(0.65, abs=0.01)
    queue_ms = p99_wait(peak, prefill_ms / 1e3, 26, quantile=0.95) * 1e3
    assert queue_ms == 0 == result.values["prefill_queueing"].value
    assert p99_wait(peak, prefill_ms / 1e3, 26, quantile=0.99) > 0  # the p99 would wait
    first = 50 + 5 + embed_ms + 10 + REDIS_MS + queue_ms + prefill_ms + transfer_ms
    assert paths["time_to_first_token"].total == pytest.approx(first / 1e3, rel=1e-9)  # shown in s
    step_ms = (LLM_PARAMS + 64 * KV_PER_TOKEN * (PROMPT + 300)) / (H100_BANDWIDTH * 0.70) * 1e3
    assert paths["full_answer"].total == pytest.approx((first + 299 * step_ms + 20) / 1e3, rel=1e-9)  # s
    assert all(p.status == "ok" for p in paths.values())
    assert result.status in ("ok", "warn")
