"""Event recommendation (ch. 7): key outputs recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "event_recommendation.yaml"


MISPREDICT_NS = catalog_number("reference.yaml", "branch_mispredict")  # ns
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD per GB-month

DAU = 1e6
REQUESTS_PER_USER = 4
PEAK = 3
CANDIDATES = 500
FEATURE_US = 10
NODE_PRICE = catalog_number("instances.yaml", "c7i.8xlarge", "hourly_price")  # USD/hour, the bound node


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    expected = DAU * REQUESTS_PER_USER / 86_400 * PEAK  # ~139 request/s
    assert result.values["peak_qps"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_ranking_cost(result):
    # a GBDT of 500 trees x depth 8, a mispredict-sized step per level
    gbdt_us = 500 * 8 * MISPREDICT_NS / 1e3
    assert result.values["gbdt_cpu"].value == pytest.approx(gbdt_us, rel=1e-9)
    # one request: 500 candidates x (features + trees), on one core
    assert result.values["ranking_time"].value == pytest.approx(CANDIDATES * (FEATURE_US + gbdt_us) / 1e3, rel=1e-9)
    # busy cores at peak / 50% target, in 32-vCPU nodes, at least 3
    peak = DAU * REQUESTS_PER_USER / 86_400 * PEAK
    vcpus = ceil(peak * CANDIDATES * (FEATURE_US + gbdt_us) * 1e-6 / 0.5)
    assert result.values["ranking_vcpus"].value == vcpus
    assert result.values["serving_nodes"].value == max(ceil(vcpus / catalog_number("instances.yaml", "c7i.8xlarge", "vcpus")), 3)


def test_candidate_share(result):
    # rules keep 500 of 1M live events (1M new a month x a 1-month listing window)
    assert result.values["candidate_share"].value == pytest.approx(500 / 1e6 * 100, rel=1e-9)  # %


def test_feature_store_and_logs(result):
    # 10M users x 1 KB + 1M live events x 2 KB
    assert result.values["feature_store_size"].value == pytest.approx((10e6 * 1e3 + 1e6 * 2e3) / 1e9, rel=1e-9)
    # 1M users x 4 requests x 10 shown x 500 bytes a day, kept a year
    logs_tb = DAU * REQUESTS_PER_USER * 10 * 500 * 365 / 1e12
    assert result.values["logs_total"].value == pytest.approx(logs_tb, rel=1e-9)


def test_retrain_time(result):
    # 40M impressions a day x 30 days x 10% kept, x 100 features x 500 trees x 20 ns, on 32 vCPUs
    rows = DAU * REQUESTS_PER_USER * 10 * 30 * 0.10
    hours = rows * 100 * 500 * 20e-9 / 32 / 3600
    assert result.values["retrain_time"].value == pytest.approx(hours, rel=1e-9)
    assert result.values["training_memory"].value == pytest.approx(rows * 100 / 1e9, rel=1e-9)  # GB


def test_monthly_cost(result):
    hours_per_month = 730.5
    retrain_h = DAU * REQUESTS_PER_USER * 10 * 30 * 0.10 * 100 * 500 * 20e-9 / 32 / 3600
    serving = 3 * NODE_PRICE * hours_per_month
    training = retrain_h / 24 * NODE_PRICE * hours_per_month
    storage_gb = DAU * REQUESTS_PER_USER * 10 * 500 * 365 / 1e9 + 1e6 * 10e3 * 12 / 1e9
    expected = serving + training + storage_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)


def test_passes(result):
    gbdt_us = 500 * 8 * MISPREDICT_NS / 1e3
    (path,) = result.latency
    # 50 network + max(10 rules, 5 user features) + 5 event features + ranking + 5 rules
    assert path.total == pytest.approx(50 + 10 + 5 + CANDIDATES * (FEATURE_US + gbdt_us) / 1e3 + 5, rel=1e-9)
    assert result.status in ("ok", "warn")
    assert all(b.status != "fail" for b in result.budgets)
