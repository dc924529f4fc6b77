"""Visual search (book ch. 2): key figures recomputed by hand from the scenario's inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number
from tests.scenarios.queue_figures import batch_wait, p99_wait

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "visual_search.yaml"


L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12  # FLOP/s per GPU
L4_PRICE = catalog_number("instances.yaml", "g6.xlarge", "hourly_price")  # USD/hour: the 1-GPU instance a worker runs on
ANN_NODE_PRICE = catalog_number("instances.yaml", "r7i.16xlarge", "hourly_price")  # USD/hour, the ANN shard server
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD/GB/month

# the scenario's inputs
CATALOG_IMAGES = math.sqrt(100e9 * 200e9)  # "100B to 200B image": point value = geometric mean
PEAK_QPS = 200e6 * 10 / 86_400 * 2  # 200M DAU x 10 searches a day, x2 at peak
ENCODER_FLOPS = 35e9
ENCODER_RATE = L4_BF16 * 0.35  # achieved FLOP/s per L4


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_peak_qps(result):
    assert result.values["peak_qps"].value == pytest.approx(PEAK_QPS, rel=1e-9)
    assert result.values["peak_qps"].unit.text == "request/s"


def test_embedding_storage_raw_and_pq(result):
    # fp32: 256 dims x 4 bytes = 1,024 bytes an image; PQ: 32-byte code + 8-byte id
    assert result.values["raw_embeddings"].value == pytest.approx(CATALOG_IMAGES * 256 * 4 / 1e12, rel=1e-9)
    assert result.values["pq_index"].value == pytest.approx(CATALOG_IMAGES * 40 / 1e12, rel=1e-9)
    assert result.values["pq_index"].unit.text == "TB"
    assert result.values["compression_ratio"].value == pytest.approx(1024 / 40, rel=1e-9)


def test_query_encoder_gpus(result):
    # ViT-B/16 (35 GFLOP) per query at peak, 1.5x failover, L4 at 35% of dense bf16
    expected = math.ceil(PEAK_QPS * ENCODER_FLOPS * 1.5 / ENCODER_RATE)
    assert result.values["query_encoder_gpus"].value == expected
    assert result.values["query_encoder_gpus"].unit.text == "gpu"


def test_ann_fleet(result):
    usable = 512 * 2**30 * 0.75  # bytes of index per r7i.16xlarge
    shards = math.ceil(CATALOG_IMAGES * 40 / usable)
    codes_per_query = CATALOG_IMAGES * 64 / 4e6  # nprobe / ivf_lists of the catalog
    scan_vcpus = PEAK_QPS * codes_per_query / 100e6  # 100M codes/s per vCPU
    replicas = math.ceil(scan_vcpus * 1.5 / (shards * 64 * 0.5))
    assert result.values["ann_shards"].value == shards
    assert result.values["ann_replicas"].value == replicas
    assert result.values["ann_nodes"].value == shards * replicas
    assert result.values["ann_nodes"].unit.text == "node"


def test_reindex_the_catalog(result):
    gpu_hours = CATALOG_IMAGES * ENCODER_FLOPS / ENCODER_RATE / 3600
    assert result.values["reindex_gpu_hours"].value == pytest.approx(gpu_hours, rel=1e-9)
    assert result.values["reindex_time"].value == pytest.approx(gpu_hours / 512 / 24, rel=1e-9)
    assert result.values["reindex_time"].unit.text == "day"


def test_monthly_cost(result):
    encoders = math.ceil(PEAK_QPS * ENCODER_FLOPS * 1.5 / ENCODER_RATE)
    ann_nodes = result.values["ann_nodes"].value  # checked by hand above
    storage_gb = CATALOG_IMAGES * 1024 / 1e9
    expected = (encoders * L4_PRICE + ann_nodes * ANN_NODE_PRICE) * HOURS_PER_MONTH + storage_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
    assert result.values["monthly_cost"].unit.text == "USD/month"


def test_latency_path(result):
    (path,) = result.latency
    encoders = math.ceil(PEAK_QPS * ENCODER_FLOPS * 1.5 / ENCODER_RATE)
    # ~800 images a second at each GPU: m = 4 arrivals in the 5 ms timeout, so a batch of 32 rarely fills
    batching = batch_wait(PEAK_QPS / encoders, 32, 0.005) * 1e3
    assert 2 < batching < 5
    assert result.values["encoder_batching"].value == pytest.approx(batching, rel=1e-9)
    encode = batching + ENCODER_FLOPS / ENCODER_RATE * 1e3  # batching + one forward pass, ms
    shards = math.ceil(CATALOG_IMAGES * 40 / (512 * 2**30 * 0.75))
    shard_scan = CATALOG_IMAGES * 64 / 4e6 / shards / 100e6 * 1e3  # ms
    # each query scans one replica of every shard: a shard server gets peak x 1.5 / replicas scans a second
    replicas = result.values["ann_replicas"].value  # checked by hand in test_ann_fleet
    rate = PEAK_QPS * 1.5 / replicas
    assert rate * shard_scan / 1e3 / 64 < 0.5
    queue = p99_wait(rate, shard_scan / 1e3, 64) * 1e3
    assert queue == 0 == result.values["ann_queueing"].value
    # network, fetch, preprocess, encode, coarse quantizer, queue, scan, fan-out, max(rescoring, filters), hydrate
    expected = 50 + 10 + 5 + encode + 2 + queue + shard_scan + 10 + max(5, 10) + 10
    assert path.path == "similar_images"
    assert path.total == pytest.approx(expected, rel=1e-9)
    assert path.status == "ok"


def test_base_scenario_passes(result):
    assert result.status in ("ok", "warn")
    assert all(b.status != "fail" for b in result.budgets)


def test_shard_servers_at_full_cpu_queue():
    # at a 100% CPU target half the replicas serve: the shard servers are 88% busy in failover and scans wait
    shards = math.ceil(CATALOG_IMAGES * 40 / (512 * 2**30 * 0.75))
    scan = CATALOG_IMAGES * 64 / 4e6 / shards / 100e6  # seconds
    replicas = math.ceil(PEAK_QPS * CATALOG_IMAGES * 64 / 4e6 / 100e6 * 1.5 / (shards * 64))
    assert replicas == 2
    wait = p99_wait(PEAK_QPS * 1.5 / replicas, scan, 64)
    assert wait > 0
    full = calculator.load(SCENARIO).evaluate({"ann_cpu_utilization": 1.0}).result
    assert full.values["ann_queueing"].value == pytest.approx(wait * 1e3, rel=1e-9)
