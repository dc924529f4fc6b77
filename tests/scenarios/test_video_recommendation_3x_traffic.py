"""Video recommendation at 3x traffic: the GPU, cost and re-train budgets break."""

import json
import math
import sys
from math import ceil
from pathlib import Path
from subprocess import run

import pytest

import calculator
from tests.scenarios.catalog_figures import catalog_number
from tests.scenarios.queue_figures import p99_wait

ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "video_recommendation_3x_traffic.yaml"


H100_BF16 = catalog_number("gpus.yaml", "H100-SXM", "fields", "bf16_flops") * 1e12
H100_PRICE = catalog_number("instances.yaml", "p5.48xlarge", "hourly_price") / 8  # a p5.48xlarge's share, per GPU-hour
BLOB_PRICE = catalog_number("reference.yaml", "blob_storage_price")

REQUESTS_PER_DAY = 450e9 / 30.4375 / 3 * 2  # 3x views, 3 views a session, 2 pages a session


@pytest.fixture(scope="module")
def result():
    return calculator.load(SCENARIO).evaluate().result


def test_ranking_gpus_break_the_budget(result):
    peak_qps = REQUESTS_PER_DAY / 86_400 * 2
    gpus = ceil(peak_qps * 1000 * 50e6 * 1.5 / (H100_BF16 * 0.25))
    assert gpus == 70
    assert result.values["ranking_gpus"].value == gpus
    b = result.budget("ranking_gpus")
    assert b.status == "fail"
    assert b.utilization == pytest.approx(70 / 48, rel=1e-9)


def test_monthly_cost_breaks_the_budget(result):
    logs_gb = REQUESTS_PER_DAY * 100 * 100 * 90 / 1e9
    expected = 70 * H100_PRICE * 730.5 + logs_gb * BLOB_PRICE
    assert result.values["monthly_cost"].value == pytest.approx(expected, rel=1e-9)
    assert result.budget("monthly_cost").status == "fail"


def test_daily_retrain_no_longer_fits(result):
    hours = 450e9 / 30.4375 * 5 * 30 * 3 * 50e6 / (H100_BF16 * 0.40) / 8 / 3600
    assert hours > 24
    assert result.values["retrain_time"].value == pytest.approx(hours, rel=1e-9)
    assert result.budget("retrain_time").status == "fail"


def test_what_still_holds(result):
    assert result.budget("ann_index").status == "ok"  # the catalog did not grow
    assert result.status == "fail"


def test_latency_breaks_at_the_fixed_fleet(result):
    # 3x the base's peak on the 48-GPU quota, 32 GPUs after losing one region of 3: offered load
    # 3 x 76,060 request/s x 1000 x 50 MFLOP / (H100 bf16 x 25%) GPUs of work, more than 32
    peak_qps = 450e9 / 30.4375 / 3 * 2 / 86_400 * 2
    load = peak_qps * 1000 * 50e6 / (H100_BF16 * 0.25)
    assert load / 32 > 1
    (path,) = result.latency
    assert path.status == "fail" and math.isinf(path.total)
    assert path.reason == f"unstable queue: utilization {calculator.format_number(load / 32 * 100)}% in queue_wait()"


def test_cli_exits_1():
    # `envelope eval` exits 1 when a budget fails (2 would mean an invalid file)
    done = run(
        [sys.executable, "-m", "calculator.cli.main", "eval", str(SCENARIO), "--format", "json"], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "fail"
    assert {b["name"] for b in report["budgets"] if b["status"] == "fail"} == {"ranking_gpus", "monthly_cost", "retrain_time"}


def test_a_traffic_sweep_shows_the_hockey_stick():
    # 150B to 330B views a month at the fixed 48-GPU fleet (32 GPUs with a region lost)
    model = calculator.load(SCENARIO)
    sweep = calculator.sweep(model, "monthly_views", "150B view/month", "330B view/month", steps=7, show=["ranking_queueing"])
    service = 1000 * 50e6 / (H100_BF16 * 0.25)  # seconds of one GPU per request
    views = [150e9 + 30e9 * i for i in range(7)]
    rates = [v / 30.4375 / 3 * 2 / 86_400 * 2 for v in views]
    waits = [p99_wait(rate, service, 32) for rate in rates]
    got = [row.values["ranking_queueing"] / 1e3 for row in sweep.rows]
    for want, value in zip(waits, got, strict=True):
        assert value == pytest.approx(want, rel=1e-9, abs=1e-12)
    utilization = [rate * service / 32 for rate in rates]
    assert utilization[0] < 0.5 and 0.95 < utilization[5] < 1 < utilization[6]
    # flat, then steep: the last stable step waits over 4x the one before, yet under a millisecond
    assert waits[0] == waits[1] == 0 and waits[5] > 4 * waits[4] > 0 and waits[5] < 1e-3
    assert math.isinf(got[6])
    # the homepage path (110 ms + compute + the wait, of 200 ms) breaks where the p99 wait reaches
    # the 90 ms left, by hand: bisect the views a month
    low, high = views[5], views[6]
    for _ in range(200):
        middle = (low + high) / 2
        rate = middle / 30.4375 / 3 * 2 / 86_400 * 2
        total = 110 + service * 1e3 + p99_wait(rate, service, 32) * 1e3
        low, high = (middle, high) if total <= 200 else (low, middle)
    edges = dict(calculator.sweep(model, "monthly_views", "150B view/month", "330B view/month", steps=7).breaks())
    assert edges["latency homepage"] == pytest.approx(high, rel=1e-6)
    assert high / 30.4375 / 3 * 2 / 86_400 * 2 * service / 32 > 0.999  # within a tenth of a percent of rho = 1
