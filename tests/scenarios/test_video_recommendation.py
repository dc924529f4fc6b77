"""Video recommendation (ch. 6): key outputs recomputed by hand."""

import math
from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import DAYS_PER_MONTH, HOURS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "video_recommendation.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12  # FLOP/s per GPU
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # a p5.48xlarge's share, per GPU-hour
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD per GB-month

# The scenario's inputs, written out.
MONTHLY_VIEWS = 150e9
VIEWS_PER_SESSION = 3
PAGES_PER_SESSION = 2
PEAK = 2
CANDIDATES = 1000
RANKER_FLOPS = 50e6
SERVING_UTIL = 0.25
FAILOVER = 1.5


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    # 150B views a month / 30.4375 days / 3 views a session x 2 pages, per second, x2 peak
    sessions_per_day = MONTHLY_VIEWS / DAYS_PER_MONTH / VIEWS_PER_SESSION
    expected = sessions_per_day * PAGES_PER_SESSION / 86_400 * PEAK
    assert expected == pytest.approx(76_060, rel=1e-3)
    assert result.values["peak_qps"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_ranking_gpus(result):
    # peak x 1,000 candidates x 50 MFLOP x 1.5 failover, over one H100 at 25% of bf16 peak
    peak_qps = MONTHLY_VIEWS / DAYS_PER_MONTH / VIEWS_PER_SESSION * PAGES_PER_SESSION / 86_400 * PEAK
    flops = peak_qps * CANDIDATES * RANKER_FLOPS
    assert result.values["ranking_flops"].value == pytest.approx(flops / 1e15, rel=1e-9)  # PFLOPS
    gpus = ceil(flops * FAILOVER / (H100_BF16 * SERVING_UTIL))
    assert gpus == 24
    assert result.values["ranking_gpus"].value == gpus


def test_storage(result):
    # 10B videos x 256 dims x 4 bytes; the PQ index is 72 bytes a video
    assert result.values["embedding_table"].value == pytest.approx(10e9 * 256 * 4 / 1e12, rel=1e-9)  # TB
    assert result.values["ann_index"].value == pytest.approx(10e9 * 72 / 1e9, rel=1e-9)  # GB
    # impression logs: sessions x 2 pages x 100 recs x 100 bytes a day, kept 90 days
    per_day = MONTHLY_VIEWS / DAYS_PER_MONTH / VIEWS_PER_SESSION * PAGES_PER_SESSION * 100 * 100
    assert result.values["impression_logs_total"].value == pytest.approx(per_day * 90 / 1e15, rel=1e-9)  # PB


def test_monthly_cost(result):
    gpu_cost = 24 * H100_PRICE * HOURS_PER_MONTH
    logs_gb = MONTHLY_VIEWS / DAYS_PER_MONTH / VIEWS_PER_SESSION * PAGES_PER_SESSION * 100 * 100 * 90 / 1e9
    expected = gpu_cost + logs_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["monthly_cost"].unit.text == "USD/month"


def test_retrain_time(result):
    # 30 days x 4.93B views x 5 samples x 3 x 50 MFLOP, on 8 H100s at 40%
    samples = MONTHLY_VIEWS / DAYS_PER_MONTH * 5 * 30
    hours = samples * 3 * RANKER_FLOPS / (H100_BF16 * 0.40) / 8 / 3600
    assert result.values["retrain_time"].value == pytest.approx(hours, rel=1e-9)


def p99_queue_wait(rate: float, service: float, servers: int) -> float:
    """The M/M/c p99 wait by its closed form: C = (a^c/c!)·c/(c-a) / (Σ_{k<c} a^k/k! + that); P(W>t) = C·e^-(cμ-λ)t."""
    load = rate * service
    terms = [1.0]
    for k in range(1, servers):
        terms.append(terms[-1] * load / k)
    last = terms[-1] * load / servers * servers / (servers - load)
    waiting = last / (sum(terms) + last)
    return max(0.0, math.log(waiting / 0.01) / ((servers - load) / service))


def test_passes_with_latency(result):
    # 50 network + 5 user features + max(5 + 20, 15, 10, 2) + 5 + queue + (15 + compute) + 10
    compute_ms = CANDIDATES * RANKER_FLOPS / (H100_BF16 * SERVING_UTIL) * 1e3
    peak_qps = MONTHLY_VIEWS / DAYS_PER_MONTH / VIEWS_PER_SESSION * PAGES_PER_SESSION / 86_400 * PEAK
    queue_ms = p99_queue_wait(peak_qps, compute_ms / 1e3, 16) * 1e3  # 24 GPUs with one region of 3 lost
    assert 0 < queue_ms < 5
    assert result.values["ranking_queueing"].value == pytest.approx(queue_ms, rel=1e-9)
    (path,) = result.latency
    assert path.total == pytest.approx(50 + 5 + 25 + 5 + queue_ms + 15 + compute_ms + 10, rel=1e-9)
    assert path.status == "ok"
    assert result.status in ("ok", "warn")
    assert {b.name for b in result.budgets} >= {"ranking_gpus", "monthly_cost"}
