"""Street View blurring (book ch. 3): key figures recomputed by hand from the scenario's inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import calculator
from tests.scenarios.catalog_figures import HOURS_PER_MONTH, catalog_number

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "street_view_blurring.yaml"

DAYS_PER_YEAR = 365.25  # pint's year


L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12  # FLOP/s per GPU
L4_PRICE = catalog_number("instances.yaml", "g6.xlarge", "hourly_price")  # USD/hour: the 1-GPU instance a worker runs on
H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "bf16_flops") * 1e12
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")  # USD/GB/month

# the scenario's inputs
CORPUS = 220e9  # images
IMAGES_PER_DAY = CORPUS / (15 * DAYS_PER_YEAR)  # 220B captured over 15 years
FLOPS_PER_IMAGE = 5 * 360e9  # five ~1 MP tiles x Faster R-CNN R50-FPN
THROUGHPUT = L4_BF16 * 0.25 / FLOPS_PER_IMAGE  # images/s per L4 at 25% utilization
IMAGE_BYTES = 1.5e6


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_images_per_day(result):
    assert round(IMAGES_PER_DAY / 1e6, 1) == 40.2  # ~40M images a day
    assert result.values["images_per_day"].value == pytest.approx(IMAGES_PER_DAY, rel=1e-9)
    assert result.values["images_per_day"].unit.text == "image/day"


def test_detector_throughput_and_gpus(result):
    assert result.values["detector_throughput"].value == pytest.approx(THROUGHPUT, rel=1e-9)
    assert result.values["detector_throughput"].unit.text == "image/s/gpu"
    # around the clock vs a day's capture in an 8-hour window
    assert result.values["keep_up_gpus"].value == math.ceil(IMAGES_PER_DAY / 86_400 / THROUGHPUT)
    window_gpus = math.ceil(IMAGES_PER_DAY / (THROUGHPUT * 8 * 3600))
    assert result.values["detection_gpus"].value == window_gpus
    assert result.values["detection_gpus"].unit.text == "gpu"


def test_reprocess_the_corpus(result):
    gpu_hours = CORPUS / THROUGHPUT / 3600
    assert result.values["reprocess_gpu_hours"].value == pytest.approx(gpu_hours, rel=1e-9)
    assert result.values["reprocess_time"].value == pytest.approx(gpu_hours / 2500 / 24, rel=1e-9)
    assert result.values["reprocess_cost"].value == pytest.approx(gpu_hours * L4_PRICE, rel=1e-9)


def test_storage(result):
    assert result.values["daily_ingest"].value == pytest.approx(IMAGES_PER_DAY * IMAGE_BYTES / 1e12, rel=1e-9)
    assert result.values["originals_storage"].value == pytest.approx(IMAGES_PER_DAY * IMAGE_BYTES * 180 / 1e15, rel=1e-9)
    assert result.values["published_corpus"].value == pytest.approx(CORPUS * IMAGE_BYTES / 1e15, rel=1e-9)
    assert result.values["published_corpus"].unit.text == "PB"


def test_training_time(result):
    # 1M images x 5 tiles x 360 GFLOP x 3 (forward + backward) x 24 epochs, H100 at 35%, 8 GPUs
    flops = 1e6 * 5 * 360e9 * 3 * 24
    hours = flops / (H100_BF16 * 0.35) / 3600 / 8
    assert result.values["training_time"].value == pytest.approx(hours, rel=1e-9)
    assert result.values["training_time"].unit.text == "hour"


def test_monthly_cost(result):
    gpus = math.ceil(IMAGES_PER_DAY / (THROUGHPUT * 8 * 3600))
    vcpus = math.ceil(IMAGES_PER_DAY * (0.040 + 0.060) / (8 * 3600 * 0.7))
    originals_gb = IMAGES_PER_DAY * IMAGE_BYTES * 180 / 1e9
    # a c7i.large's price over its 2 vCPUs: $0.044625 a vCPU-hour (the old typed-in input rounded it to 0.0446)
    vcpu_price = catalog_number("instances.yaml", "c7i.large", "hourly_price") / catalog_number(
        "instances.yaml", "c7i.large", "vcpus"
    )
    expected = (gpus * L4_PRICE + vcpus * vcpu_price) * HOURS_PER_MONTH + originals_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)


def test_daily_batch_path(result):
    (path,) = result.latency
    gpus = math.ceil(IMAGES_PER_DAY / (THROUGHPUT * 8 * 3600))
    detect = IMAGES_PER_DAY / (THROUGHPUT * gpus) / 3600  # hours
    vcpus = math.ceil(IMAGES_PER_DAY * 0.1 / (8 * 3600 * 0.7))
    cpu = IMAGES_PER_DAY * 0.1 / vcpus / 3600  # hours
    expected = 4 + max(cpu, detect) + 2 + 2  # upload, detect || CPU stages, QA, publish
    assert path.path == "daily_batch"
    assert path.total == pytest.approx(expected, rel=1e-9)
    assert path.budget == 24
    assert path.status == "ok"


def test_base_scenario_passes(result):
    assert result.status in ("ok", "warn")
    assert all(b.status != "fail" for b in result.budgets)
