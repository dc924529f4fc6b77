"""Harmful content detection (book ch. 5): key figures recomputed by hand from the scenario's inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number
from tests.scenarios.queue_figures import batch_wait

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "harmful_content.yaml"


L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12  # FLOP/s per GPU
# the g6.xlarge (1x L4) a replica runs on
L4_PRICE = catalog_number("instances.yaml", "g6.xlarge", "hourly_price")  # USD/hour per GPU
# DistilBERT's weights outside its (30,522 + 512) x 768 token and position embeddings: 42.5M of 66.4M
DISTILBERT_NON_EMBEDDING = 66_362_880 - (30_522 + 512) * 768
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD/GB/month
BLOB_GET_MS = catalog_number("reference.yaml", "blob_get")  # ms

# the scenario's inputs
POSTS_PER_DAY = 500e6
PEAK_RATE = POSTS_PER_DAY / 86_400 * 2
# text (DistilBERT, 64 tokens) + 0.6 images + 0.1 videos x 16 frames, ViT-B/16 at 35 GFLOP
TEXT_FLOPS = 2 * DISTILBERT_NON_EMBEDDING * 64
FLOPS_PER_POST = TEXT_FLOPS + 0.6 * 35e9 + 0.1 * 16 * 35e9
RATE = L4_BF16 * 0.30  # achieved FLOP/s per L4


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_posts_per_second(result):
    assert round(PEAK_RATE) == 11_574  # 2 x 5,787 posts/s
    assert result.values["peak_post_rate"].value == pytest.approx(PEAK_RATE, rel=1e-9)
    assert result.values["peak_post_rate"].unit.text == "post/s"


def test_inference_gpus(result):
    assert result.values["flops_per_post"].value == pytest.approx(FLOPS_PER_POST / 1e9, rel=1e-9)
    assert result.values["video_share_of_flops"].value == pytest.approx(0.1 * 16 * 35e9 / FLOPS_PER_POST, rel=1e-9)
    expected = math.ceil(PEAK_RATE * FLOPS_PER_POST * 1.5 / RATE)
    assert result.values["inference_gpus"].value == expected
    assert result.values["inference_gpus"].unit.text == "gpu"


def test_human_review_queue(result):
    flagged = POSTS_PER_DAY * 0.002
    queue = flagged * 0.004 + 3000  # borderline flagged posts + audit sample
    assert result.values["review_queue"].value == pytest.approx(queue, rel=1e-9)
    assert result.values["review_queue"].unit.text == "post/day"
    assert result.values["reviewers"].value == math.ceil(queue / 400)
    budget = result.budget("review_queue")
    assert budget.limit == 10_000  # the book's ~10k labels a day
    assert budget.utilization == pytest.approx(queue / 10_000, rel=1e-9)


def test_storage(result):
    assert result.values["feature_store"].value == pytest.approx(POSTS_PER_DAY * 4e3 * 90 / 1e12, rel=1e-9)
    # 2 years = 730.5 days in pint
    assert result.values["prediction_log"].value == pytest.approx(POSTS_PER_DAY * 200 * 730.5 / 1e12, rel=1e-9)
    media_per_post = 0.6 * 300e3 + 0.1 * 10e6
    assert result.values["media_read_bandwidth"].value == pytest.approx(PEAK_RATE * media_per_post / 1e9, rel=1e-9)


def test_text_flops_leave_the_embeddings_out(result):
    # 2 x 42.5M x 64 = 5.44 GFLOP a post; counting all 66M parameters gave 8.49
    assert catalog_number("encoders.yaml", "DistilBERT", "non_embedding_params") == DISTILBERT_NON_EMBEDDING
    assert result.values["text_flops"].value == pytest.approx(TEXT_FLOPS / 1e9, rel=1e-9)
    assert result.values["text_flops"].value < 2 * 66e6 * 64 / 1e9 * 0.65


def test_monthly_cost(result):
    gpus = math.ceil(PEAK_RATE * FLOPS_PER_POST * 1.5 / RATE)
    storage_gb = (POSTS_PER_DAY * 4e3 * 90 + POSTS_PER_DAY * 200 * 730.5) / 1e9
    reviewers = math.ceil((POSTS_PER_DAY * 0.002 * 0.004 + 3000) / 400)
    expected = gpus * L4_PRICE * HOURS_PER_MONTH + storage_gb * BLOB_PRICE + reviewers * 2400
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)


def test_violent_content_path(result):
    (path,) = result.latency
    gpus = math.ceil(PEAK_RATE * FLOPS_PER_POST * 1.5 / RATE)
    # each GPU's encoders batch up to 32 of their items within a 10 ms window, Poisson arrivals
    waits = {
        kind: batch_wait(PEAK_RATE * share / gpus, 32, 0.010) * 1e3
        for kind, share in (("text", 1), ("image", 0.6), ("video", 0.1))
    }
    assert waits["text"] < waits["image"] < waits["video"] < 10  # the rarer the item, the longer the wait
    for kind, wait in waits.items():
        assert result.values[f"{kind}_batching"].value == pytest.approx(wait, rel=1e-9)
    text = 2 + waits["text"] + TEXT_FLOPS / RATE * 1e3
    images = BLOB_GET_MS + 10 + waits["image"] + 35e9 / RATE * 1e3
    video = BLOB_GET_MS + 300 + waits["video"] + 16 * 35e9 / RATE * 1e3
    expected = 20 + max(text, images, video, 5) + 5 + 20
    assert path.path == "violent_content"
    assert path.total == pytest.approx(expected, rel=1e-9)
    assert path.budget == 1000
    assert path.status == "ok"


def test_base_scenario_passes(result):
    assert result.status in ("ok", "warn")
    assert all(b.status != "fail" for b in result.budgets)
