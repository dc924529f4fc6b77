"""Real-time fraud detection: traffic, feature store, CPUs, network and latency recomputed by hand."""

from math import ceil
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "fraud_detection.yaml"

STORE_PRICE = catalog_number("instances.yaml", "r7i.16xlarge", "hourly_price")
STORE_VCPUS = catalog_number("instances.yaml", "r7i.16xlarge", "vcpus")
STORE_MEMORY = catalog_number("instances.yaml", "r7i.16xlarge", "memory") * 2**30  # GiB -> bytes
SCORING_PRICE = catalog_number("instances.yaml", "c7i.4xlarge", "hourly_price")
S3_PRICE = catalog_number("storage.yaml", "S3-Standard", "price")
REDIS_MS = catalog_number("reference.yaml", "redis_query") / 1e3

PEAK_TPS = 200e6 / 86_400 * 5  # 11.6k transactions/s
READS = PEAK_TPS * 5  # entity lookups/s


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_feature_store(result):
    assert result.values["peak_tps"].value == pytest.approx(PEAK_TPS, rel=1e-9)
    assert result.values["store_data"].value == pytest.approx(1.7e9 * 1e3 / 1e12, rel=1e-9)  # TB
    by_memory = ceil(1.7e12 * 2 / (STORE_MEMORY * 0.60))
    by_ops = ceil(2 * READS / (50e3 * STORE_VCPUS * 0.50))
    assert (by_memory, by_ops) == (11, 1)  # memory sizes the store
    assert result.values["store_nodes"].value == by_memory


def test_scoring_and_network(result):
    assert result.values["scoring_vcpus"].value == pytest.approx(PEAK_TPS * 1e-3 / 0.50, rel=1e-9)
    assert result.values["scoring_nodes"].value == 6  # 23 vCPUs fit 2 nodes; 3 zones x 2 set it
    reads_gbps = READS * 1e3 * 8 / 1e9
    assert result.values["feature_read_bandwidth"].value == pytest.approx(reads_gbps, rel=1e-9)
    total = 2 * reads_gbps + PEAK_TPS * 1e3 * 2 * 8 / 1e9
    assert result.values["network_total"].value == pytest.approx(total, rel=1e-9)


def test_events_and_cost(result):
    events_tb = 200e6 * 3e3 * 90 / 1e12  # 54 TB
    assert result.values["event_storage"].value == pytest.approx(events_tb, rel=1e-9)
    monthly = (11 * STORE_PRICE + 6 * SCORING_PRICE) * HOURS_PER_MONTH + events_tb * 1e3 * S3_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(monthly, rel=1e-9)


def test_fraud_check_latency(result):
    (path,) = result.latency
    assert path.total == pytest.approx(2 + max(REDIS_MS, 1) + 1 + 1 + REDIS_MS, rel=1e-9)
    assert path.status == "ok"
    assert result.status in ("ok", "warn")
