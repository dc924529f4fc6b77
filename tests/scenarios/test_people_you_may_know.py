"""People you may know (ch. 11): key outputs recomputed by hand."""

from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import DAYS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "people_you_may_know.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12  # FLOP/s per GPU
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # USD per GPU-hour, a p5's share
H100_MEMORY_GB = catalog_number("gpus.yaml", "H100-SXM", "fields", "memory")
NVLINK_GB_S = catalog_number("interconnects.yaml", "NVLink-4", "bandwidth")  # per GPU, per direction
FABRIC_GB_S = catalog_number("interconnects.yaml", "InfiniBand-NDR", "bandwidth") / 8  # 400 Gb/s a port, one per GPU
SAME_ZONE_GIB_S = catalog_number("reference.yaml", "same_zone_network_bandwidth")  # GiB/s
REDIS_US = catalog_number("reference.yaml", "redis_query")  # microseconds

USERS = 1e9
DAU = 300e6
DEGREE = 1000
PEAK_QPS = DAU * 2 / 86_400 * 3


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_graph_size(result):
    # 1B users x 1,000 connections / 2 = 5e11 edges; both directions x 16 bytes + 8 bytes a user
    edges = USERS * DEGREE / 2
    assert edges == 5e11
    assert result.values["edges"].value == pytest.approx(edges, rel=1e-9)
    assert result.values["graph_storage"].value == pytest.approx((2 * edges * 16 + USERS * 8) / 1e12, rel=1e-9)
    # 7 new connections a user a month, each shared by two users
    new_per_day = USERS * 7 / DAYS_PER_MONTH / 2
    assert result.values["new_edges_per_day"].value == pytest.approx(new_per_day, rel=1e-9)
    assert result.values["graph_churn"].value == pytest.approx(new_per_day / edges * 100, rel=1e-9)  # percent


def test_friends_of_friends(result):
    # 1,000 x 1,000 two-hop candidates a user, for 300M daily users
    assert result.values["fof_candidates"].value == pytest.approx(DEGREE * DEGREE, rel=1e-9)
    assert result.values["fof_pairs_per_run"].value == pytest.approx(DAU * DEGREE**2, rel=1e-9)
    # online scoring would gather 1M x 512-byte embeddings per page view
    per_request = DEGREE**2 * 512
    assert result.values["online_gather_bytes"].value == pytest.approx(per_request / 1e6, rel=1e-9)  # MB
    assert result.values["online_gather_bandwidth"].value == pytest.approx(PEAK_QPS * per_request / 1e12, rel=1e-9)
    expected_ms = per_request / (SAME_ZONE_GIB_S * 2**30) * 1e3
    assert result.values["online_gather_time"].value == pytest.approx(expected_ms, rel=1e-9)


def test_batch_job(result):
    # GNN for 1B users at 10 MFLOP + edge head on 3e14 pairs at 0.4 MFLOP, H100s at 30%
    flops = USERS * 10e6 + DAU * DEGREE**2 * 400e3
    gpu_hours = flops / (H100_BF16 * 0.30) / 3600
    assert result.values["batch_gpu_hours"].value == pytest.approx(gpu_hours, rel=1e-9)
    assert result.values["batch_compute_time"].value == pytest.approx(gpu_hours / 32, rel=1e-9)
    assert 3 < gpu_hours / 32 < 4  # about 3.5 hours of a 6-hour window
    assert result.values["batch_gpu_cost"].value == pytest.approx(gpu_hours * DAYS_PER_MONTH * H100_PRICE, rel=1e-9)


PAIRS = DAU * DEGREE**2  # 3e14 (user, friend-of-friend) pairs a night
GATHER_BYTES = PAIRS * 512  # a 512-byte fp16 candidate embedding a pair: 153.6 PB


def test_gathers_stay_on_nvlink(result):
    assert result.values["batch_gather_bytes"].value == pytest.approx(GATHER_BYTES / 1e15, rel=1e-9)  # PB
    # one table copy per node, 1B x 512 B / 8 GPUs = 64 GB a GPU; 7 of 8 gathers come over NVLink
    assert result.values["embedding_shard"].value == pytest.approx(USERS * 512 / 8 / 1e9, rel=1e-9)
    assert result.budget("embedding_shard").utilization == pytest.approx(64 / H100_MEMORY_GB, rel=1e-9)
    nvlink_h = GATHER_BYTES * 7 / 8 / (32 * NVLINK_GB_S * 1e9) / 3600  # 2.59 h
    assert result.values["nvlink_gather_time"].value == pytest.approx(nvlink_h, rel=1e-9)
    assert result.values["fabric_gather_time"].value == 0
    compute_h = (USERS * 10e6 + PAIRS * 400e3) / (H100_BF16 * 0.30) / 3600 / 32
    assert nvlink_h < compute_h
    assert result.values["batch_time"].value == pytest.approx(max(compute_h, nvlink_h), rel=1e-9)


def test_one_table_over_the_cluster_is_bound_by_the_fabric():
    # 32 shards: 7/32 of the gathers over NVLink, 24/32 over InfiniBand at 50 GB/s a GPU: 20 hours
    spread = calculator.load(SCENARIO).evaluate({"embedding_shards": 32.0}).result
    fabric_h = GATHER_BYTES * 24 / 32 / (32 * FABRIC_GB_S * 1e9) / 3600
    assert fabric_h == pytest.approx(20.0)
    assert spread.values["fabric_gather_time"].value == pytest.approx(fabric_h, rel=1e-9)
    assert spread.values["batch_time"].value == pytest.approx(fabric_h, rel=1e-9)
    assert spread.budget("batch_time").status == "fail"


def test_store_latency_and_status(result):
    # 300M users x 100 suggestions x 12 bytes x 3 regions
    assert result.values["recs_store_size"].value == pytest.approx(DAU * 100 * 12 * 3 / 1e12, rel=1e-9)  # TB
    # 50 network + 5 gateway + one Redis read + max(5 filter, 10 hydrate)
    (path,) = result.latency
    assert path.total == pytest.approx(50 + 5 + REDIS_US / 1e3 + 10, rel=1e-9)
    assert path.status == "ok"
    assert result.status in ("ok", "warn")
    assert all(b.status == "ok" for b in result.budgets)
