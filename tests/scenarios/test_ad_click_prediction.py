"""Ad click prediction (ch. 8): key outputs recomputed by hand."""

from math import ceil, sqrt
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "ad_click_prediction.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12  # FLOP/s per GPU
H100_MEMORY_GB = catalog_number("gpus.yaml", "H100-SXM", "fields", "memory")
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # USD per GPU-hour, a p5's share
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD per GB-month

DAU = 750e6
REQUESTS_PER_USER = 10
IMPRESSIONS_PER_REQUEST = 2
CTR = sqrt(0.01 * 0.02)  # point value of "1% to 2%": the geometric mean


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_traffic_and_clicks(result):
    peak = DAU * REQUESTS_PER_USER / 86_400 * 2
    assert result.values["peak_qps"].value == pytest.approx(peak, rel=1e-9)
    impressions = DAU * REQUESTS_PER_USER * IMPRESSIONS_PER_REQUEST  # 15B a day
    assert result.values["impressions_per_day"].value == pytest.approx(impressions, rel=1e-9)
    assert result.values["clicks_per_day"].value == pytest.approx(impressions * CTR, rel=1e-9)
    assert result.values["clicks_per_day"].unit.text == "click/day"


def test_serving_gpus(result):
    # per request: 10k ads x 1 MFLOP + 100 ads x 50 MFLOP = 15 GFLOP
    per_request = 10_000 * 1e6 + 100 * 50e6
    peak = DAU * REQUESTS_PER_USER / 86_400 * 2
    by_compute = ceil(peak * per_request * 1.5 / (H100_BF16 * 0.25))
    assert result.values["gpus_by_compute"].value == by_compute
    # 2B rows x 64 dims x 2 bytes = 256 GB of tables, over 75% of each GPU's memory
    tables_gb = 2e9 * 64 * 2 / 1e9
    assert result.values["embedding_tables"].value == pytest.approx(tables_gb, rel=1e-9)
    per_replica = ceil(tables_gb / (H100_MEMORY_GB * 0.75))
    replicas = max(ceil(by_compute / per_replica), 3)
    assert (by_compute, per_replica, replicas) == (16, 5, 4)
    assert result.values["serving_gpus"].value == replicas * per_replica


def test_training_memory_is_checked(result):
    # 2B rows x (64 x 4 bytes fp32 + one 4-byte row-wise AdaGrad accumulator) = 520 GB
    training_gb = 2e9 * (64 * 4 + 4) / 1e9
    one_node_gb = 8 * H100_MEMORY_GB * 0.75  # 480 GB: the old design's single node
    assert training_gb > one_node_gb
    assert result.values["training_memory"].value == pytest.approx(training_gb, rel=1e-9)
    assert result.values["training_gpu_memory"].value == pytest.approx(16 * H100_MEMORY_GB * 0.75, rel=1e-9)
    budget = result.budget("training_memory")
    assert budget.utilization == pytest.approx(training_gb / (16 * H100_MEMORY_GB * 0.75), rel=1e-9)
    assert budget.status == "ok"


def test_one_node_or_adam_breaks_the_training_memory():
    model = calculator.load(SCENARIO)
    one_node = model.evaluate({"training_gpus": 8.0}).result.budget("training_memory")
    assert one_node.status == "fail"
    # Adam: two fp32 moments per value, 2 x 64 x 4 = 512 B a row: 2B x 768 B = 1.54 TB
    adam = model.evaluate({"optimizer_state_per_row": 512 * 8.0}).result.budget("training_memory")  # base unit: bit
    assert adam.utilization == pytest.approx(2e9 * (256 + 512) / (16 * H100_MEMORY_GB * 1e9 * 0.75), rel=1e-9)
    assert adam.status == "fail"


def test_training_data(result):
    impressions = DAU * REQUESTS_PER_USER * IMPRESSIONS_PER_REQUEST
    assert result.values["log_per_day"].value == pytest.approx(impressions * 1e3 / 1e12, rel=1e-9)  # TB/day
    assert result.values["log_ingest"].value == pytest.approx(impressions * 1e3 / 86_400 * 2 / 1e9, rel=1e-9)  # GB/s
    clicks = impressions * CTR
    examples = clicks + (impressions - clicks) * 0.10
    assert result.values["training_examples_per_day"].value == pytest.approx(examples, rel=1e-9)
    # a 5-minute micro-batch, 3 x 50 MFLOP each, on 16 H100s at 30%: well under a second
    seconds = examples * 300 / 86_400 * 3 * 50e6 / (16 * H100_BF16 * 0.30)
    assert result.values["update_time"].value == pytest.approx(seconds, rel=1e-9)
    assert seconds < 1


def test_monthly_cost(result):
    impressions = DAU * REQUESTS_PER_USER * IMPRESSIONS_PER_REQUEST
    storage_gb = impressions * 1e3 * 90 / 1e9
    expected = (20 + 16) * H100_PRICE * 730.5 + storage_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)


def test_latency_paths(result):
    paths = {p.path: p for p in result.latency}
    # 20 network + max(10 retrieval, 5 user features) + 5 ad features + 15 + 20 + 5
    assert paths["ad_request"].total == pytest.approx(20 + 10 + 5 + 15 + 20 + 5, rel=1e-9)
    assert paths["ad_request"].status == "ok"
    # freshness, in minutes: 3 click wait + 5 batch + fine-tune (seconds) + 2 push
    impressions = DAU * REQUESTS_PER_USER * IMPRESSIONS_PER_REQUEST
    examples = impressions * CTR + (impressions - impressions * CTR) * 0.10
    fine_tune_min = examples * 300 / 86_400 * 3 * 50e6 / (16 * H100_BF16 * 0.30) / 60
    assert paths["model_freshness"].total == pytest.approx(3 + 5 + fine_tune_min + 2, rel=1e-9)
    assert paths["model_freshness"].status == "ok"
    assert result.status in ("ok", "warn")
