"""Similar listings (ch. 9): key outputs recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "similar_listings.yaml"


MEMORY_REF_NS = catalog_number("reference.yaml", "main_memory_reference")  # ns
READ_1MB_US = catalog_number("reference.yaml", "read_1mb_sequential_memory")  # us
REDIS_US = catalog_number("reference.yaml", "redis_query")  # us

LISTINGS = 5e6
PEAK_QPS = 10e6 * 6 / 86_400 * 3  # 10M sessions x 6 listing pages a day, x3 peak
# a 6-click session with a window of 5 on each side: every click pairs with the 5 others,
# 6 x 5 = 30 ordered pairs (not 6 x 2 x 5 = 60: a session has no clicks beyond its ends)
PAIRS_PER_SESSION = sum(1 for i in range(6) for j in range(6) if i != j and abs(i - j) <= 5)
PAIRS = 800e6 * PAIRS_PER_SESSION  # 24e9 pairs: 800M sessions x 30
RETRAIN_H = PAIRS * 6 * 10 * MEMORY_REF_NS * 1e-9 / 32 / 3600  # 0.625 h


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    assert result.values["peak_qps"].value == pytest.approx(PEAK_QPS, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_embedding_table_and_index(result):
    # 5M listings x 32 dims x 4 bytes = 640 MB; + 128 bytes of HNSW links each
    table_mb = LISTINGS * 32 * 4 / 1e6
    assert result.values["embedding_table"].value == pytest.approx(table_mb, rel=1e-9)
    assert result.values["hnsw_index"].value == pytest.approx((table_mb * 1e6 + LISTINGS * 128) / 1e9, rel=1e-9)
    assert result.values["precomputed_neighbors"].value == pytest.approx(LISTINGS * 100 * 12 / 1e9, rel=1e-9)


def test_exact_search_versus_ann(result):
    # an exact scan streams 640 MB at 64 us a MB; HNSW takes 1 ms of one core
    scan_ms = LISTINGS * 32 * 4 / 1e6 * READ_1MB_US / 1e3
    assert result.values["brute_force_scan_time"].value == pytest.approx(scan_ms, rel=1e-9)
    assert result.values["brute_force_vcpus"].value == ceil(PEAK_QPS * scan_ms / 1e3)
    assert result.values["ann_vcpus"].value == ceil(PEAK_QPS * 1e-3)
    assert result.values["serving_nodes"].value == max(ceil(ceil(PEAK_QPS * 1e-3) / 0.5 / 32), 3)


def test_training_pairs_and_retrain_time(result):
    assert PAIRS_PER_SESSION == 30
    assert result.values["pairs_per_session"].value == PAIRS_PER_SESSION
    assert result.values["training_pairs"].value == pytest.approx(24e9, rel=1e-9)
    # each pair touches 1 + 5 rows, 10 epochs, a random memory access (50 ns) each, over 32 threads
    assert result.values["retrain_time"].value == pytest.approx(RETRAIN_H, rel=1e-9)
    assert pytest.approx(24e9 * 60 * 50e-9 / 32 / 3600) == RETRAIN_H  # 0.625 h


def test_pairs_in_a_session_longer_than_the_window():
    # 20 clicks, window 5: 2 x (5 x 20 - 15) = 170 pairs; the distance-d pairs number 20 - d, both ways
    expected = sum(1 for i in range(20) for j in range(20) if i != j and abs(i - j) <= 5)
    assert expected == 2 * (5 * 20 - 5 * 6 // 2)
    longer = calculator.load(SCENARIO).evaluate(overrides={"clicks_per_session": 20.0}).result
    assert longer.values["pairs_per_session"].value == expected


def test_paths(result):
    paths = {p.path: p for p in result.latency}
    assert paths["listing_page"].total == pytest.approx(50 + REDIS_US / 1e3 + 5 + 10 + 5, rel=1e-9)
    retrain_h = RETRAIN_H
    build_h = LISTINGS / (5e3 * 32) / 3600
    assert paths["nightly_pipeline"].total == pytest.approx(0.5 + retrain_h + build_h + 0.25, rel=1e-9)  # hours
    assert all(p.status == "ok" for p in paths.values())
    assert result.status in ("ok", "warn")


def test_monthly_cost(result):
    node_price = catalog_number("instances.yaml", "c7i.8xlarge", "hourly_price")  # USD/hour, the bound node
    blob = catalog_number("reference.yaml", "blob_storage_price")
    retrain_h = RETRAIN_H
    pipeline_h = 0.5 + retrain_h + LISTINGS / (5e3 * 32) / 3600 + 0.25
    storage_gb = 800e6 * 6 * 100 / 1e9 + (LISTINGS * 32 * 4 + LISTINGS * 128) / 1e9
    expected = 3 * node_price * 730.5 + pipeline_h / 24 * node_price * 730.5 + storage_gb * blob
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
