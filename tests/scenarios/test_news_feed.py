"""News feed (ch. 10): key outputs recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import DAYS_PER_MONTH, HOURS_PER_MONTH, catalog_number
from tests.scenarios.queue_figures import batch_wait, p99_wait

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "news_feed.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12  # FLOP/s per GPU
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # a p5.48xlarge's share, per GPU-hour
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD per GB-month

# The scenario's inputs, written out.
DAU = 2e9
LOADS_PER_USER = 2
PEAK = 3
POSTS_PER_DAY = 500e6
AUDIENCE = 300
USERS = 3e9
CANDIDATES = 1000
KEEP = 500
LIGHT_FLOPS = 10e6
MAIN_FLOPS = 1e9 + 7 * 10e6  # shared trunk + 7 reaction heads of 10 MFLOP
SERVING_UTIL = 0.25
FAILOVER = 1.5
PEAK_QPS = DAU * LOADS_PER_USER / 86_400 * PEAK
FLOPS_PER_LOAD = CANDIDATES * LIGHT_FLOPS + KEEP * MAIN_FLOPS


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    # 2B DAU x 2 feed loads a day / 86,400 s, x3 peak
    assert pytest.approx(138_889, rel=1e-5) == PEAK_QPS
    assert result.values["peak_qps"].value == pytest.approx(PEAK_QPS, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_fan_out_and_inbox_cache(result):
    # 500M posts x 300 friends = 150B inbox inserts a day, 50 per user a day
    fanout = POSTS_PER_DAY * AUDIENCE
    assert result.values["fanout_writes_per_day"].value == pytest.approx(fanout, rel=1e-9)
    assert result.values["peak_fanout_rate"].value == pytest.approx(fanout * PEAK / 86_400, rel=1e-9)
    assert result.values["pushed_posts_per_user"].value == pytest.approx(fanout / USERS, rel=1e-9)
    # 2B daily users x 500 entries x 16 bytes x 3 regions = 48 TB
    assert result.values["inbox_cache_size"].value == pytest.approx(DAU * 500 * 16 * 3 / 1e12, rel=1e-9)


def test_ranking_gpus(result):
    # 1,000 x 10 MFLOP + 500 x 1.07 GFLOP = 545 GFLOP a feed load
    assert result.values["ranking_flops_per_load"].value == pytest.approx(FLOPS_PER_LOAD / 1e9, rel=1e-9)
    flops = PEAK_QPS * FLOPS_PER_LOAD
    assert result.values["ranking_flops"].value == pytest.approx(flops / 1e15, rel=1e-9)  # PFLOPS
    gpus = ceil(flops * FAILOVER / (H100_BF16 * SERVING_UTIL))
    assert gpus == 460
    assert result.values["ranking_gpus"].value == gpus


def test_logs_training_and_cost(result):
    impressions = DAU * LOADS_PER_USER * 20  # 20 posts seen a feed load
    logs_tb_per_day = impressions * 200 / 1e12
    assert result.values["impression_logs_per_day"].value == pytest.approx(logs_tb_per_day, rel=1e-9)
    # a day of impressions x 3 x forward FLOPs, on H100s at 40%
    gpu_hours_per_day = impressions * 3 * MAIN_FLOPS / (H100_BF16 * 0.40) / 3600
    assert result.values["retrain_gpu_hours"].value == pytest.approx(gpu_hours_per_day, rel=1e-9)
    assert result.values["retrain_time"].value == pytest.approx(gpu_hours_per_day / 64, rel=1e-9)
    expected = (
        460 * H100_PRICE * HOURS_PER_MONTH
        + gpu_hours_per_day * DAYS_PER_MONTH * H100_PRICE
        + logs_tb_per_day * 90 * 1000 * BLOB_PRICE
    )
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["monthly_cost"].unit.text == "USD/month"


def test_latency_and_status(result):
    # 50 network + max(5 inbox, 20 pulled) + 10 features + 10 first pass + batching + queue + (15 + compute)
    # + 10 + 10
    compute_ms = FLOPS_PER_LOAD / (H100_BF16 * SERVING_UTIL) * 1e3
    gpus = ceil(PEAK_QPS * FLOPS_PER_LOAD * FAILOVER / (H100_BF16 * SERVING_UTIL))
    # ~300 feed loads a second at each GPU: 3 arrive in a 10 ms timeout, so a batch of 16 waits ~6 ms
    batching = batch_wait(PEAK_QPS / gpus, 16, 0.010) * 1e3
    assert 5 < batching < 10
    assert result.values["ranking_batching"].value == pytest.approx(batching, rel=1e-9)
    # a region's third of the GPUs for its third of the traffic: 2/3 busy, under 1% of loads wait
    assert PEAK_QPS / 3 * compute_ms / 1e3 / (gpus / 3) == pytest.approx(1 / FAILOVER, rel=0.01)
    queue = p99_wait(PEAK_QPS / 3, compute_ms / 1e3, round(gpus / 3)) * 1e3
    assert gpus % 3 == 1 and queue == 0 == result.values["ranking_queueing"].value
    # the note's claim: with a region lost, a region's 153 whole GPUs get half the traffic and never drain
    assert PEAK_QPS / 2 * compute_ms / 1e3 >= gpus // 3
    assert p99_wait(PEAK_QPS / 2, compute_ms / 1e3, gpus // 3) == float("inf")
    (path,) = result.latency
    assert path.total == pytest.approx(50 + 20 + 10 + 10 + batching + queue + 15 + compute_ms + 10 + 10, rel=1e-9)
    assert path.budget == 200
    assert path.status == "ok"
    assert result.status in ("ok", "warn")
    assert {b.name for b in result.budgets} == {"ranking_gpus", "inbox_cache_size", "monthly_cost", "retrain_time"}
