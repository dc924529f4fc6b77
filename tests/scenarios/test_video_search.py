"""Video search (book ch. 4): key figures recomputed by hand from the scenario's inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "video_search.yaml"





L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12  # FLOP/s per GPU
L4_PRICE = catalog_number("gpus.yaml", "L4", "hourly_price")  # USD/hour per GPU
H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "bf16_flops") * 1e12
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD/GB/month

# the scenario's inputs
PEAK_QPS = 500e6 * 2 / 86_400 * 2  # 500M users x 2 searches a day, x2 at peak
TEXT_FLOPS = 2 * 63e6 * 16  # CLIP text tower, 16 tokens
FRAME_FLOPS = 35e9  # ViT-B/16
FRAMES_PER_VIDEO = 10 * 12  # 10-minute mean length, one frame every 5 s
FRAMES_PER_DAY = 500 * 60 * 12 * 1440  # 500 h of video a minute, 12 frames a minute of video
FRAME_RATE = L4_BF16 * 0.35  # achieved FLOP/s per L4 on the frame encoder


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    assert result.values["peak_qps"].value == pytest.approx(PEAK_QPS, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_index_sizes(result):
    assert result.values["video_embeddings"].value == pytest.approx(1e9 * 512 * 4 / 1e12, rel=1e-9)  # TB
    assert result.values["ann_index"].value == pytest.approx(1e9 * 72 / 1e9, rel=1e-9)  # GB
    assert result.values["frame_embeddings"].value == pytest.approx(1e9 * FRAMES_PER_VIDEO * 512 * 2 / 1e12, rel=1e-9)
    assert result.values["inverted_index"].value == pytest.approx(1e9 * 150 * 4 / 1e9, rel=1e-9)
    assert result.values["ann_index"].unit.text == "GB"


def test_text_encoder_serving(result):
    assert result.values["text_encoder_flops"].value == pytest.approx(TEXT_FLOPS / 1e9, rel=1e-9)
    expected = math.ceil(PEAK_QPS * TEXT_FLOPS * 1.5 / (L4_BF16 * 0.20))
    assert result.values["text_encoder_gpus"].value == expected
    assert result.values["text_encoder_gpus"].unit.text == "gpu"


def test_indexing_new_uploads(result):
    assert result.values["new_videos_per_day"].value == pytest.approx(500 * 60 / 10 * 1440, rel=1e-9)
    assert result.values["new_frames_per_day"].value == pytest.approx(FRAMES_PER_DAY, rel=1e-9)
    # at the daily peak (x2)
    expected = math.ceil(FRAMES_PER_DAY / 86_400 * FRAME_FLOPS * 2 / FRAME_RATE)
    assert result.values["indexing_gpus"].value == expected


def test_reindex_and_training(result):
    gpu_hours = 1e9 * FRAMES_PER_VIDEO * FRAME_FLOPS / FRAME_RATE / 3600
    assert result.values["reindex_gpu_hours"].value == pytest.approx(gpu_hours, rel=1e-9)
    assert result.values["reindex_time"].value == pytest.approx(gpu_hours / 512 / 24, rel=1e-9)
    # 10M pairs x 8 frames x 35 GFLOP x 3 (forward + backward) x 10 epochs, H100 at 40%, 8 GPUs
    train_hours = 10e6 * 8 * FRAME_FLOPS * 3 * 10 / (H100_BF16 * 0.40) / 3600 / 8
    assert result.values["training_time"].value == pytest.approx(train_hours, rel=1e-9)


def test_monthly_cost(result):
    gpus = math.ceil(PEAK_QPS * TEXT_FLOPS * 1.5 / (L4_BF16 * 0.20)) + math.ceil(
        FRAMES_PER_DAY / 86_400 * FRAME_FLOPS * 2 / FRAME_RATE
    )
    nodes = math.ceil(PEAK_QPS * 1.5 / 500)
    storage_gb = (1e9 * 512 * 4 + 1e9 * FRAMES_PER_VIDEO * 512 * 2) / 1e9
    expected = (gpus * L4_PRICE + nodes * 4.2336) * HOURS_PER_MONTH + storage_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["monthly_cost"].unit.text == "USD/month"


def test_latency_parallel_branches(result):
    (path,) = result.latency
    text_branch = 30
    visual_branch = 5 + TEXT_FLOPS / (L4_BF16 * 0.20) * 1e3 + 20  # batching + encode + ANN, ms
    expected = 50 + 5 + max(text_branch, visual_branch) + 5 + 20 + 10
    assert path.path == "search"
    assert path.total == pytest.approx(expected, rel=1e-9)
    assert path.status == "ok"


def test_base_scenario_passes(result):
    assert result.status in ("ok", "warn")
    assert all(b.status != "fail" for b in result.budgets)
