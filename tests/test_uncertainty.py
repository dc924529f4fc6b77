"""Monte Carlo against closed-form answers: a product of lognormals is lognormal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calculator.engine import uncertainty
from calculator.engine.uncertainty import Spread, percentiles
from tests.helpers import error_of, evaluate

Z90 = 1.6448536269514722


def phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


PRODUCT = """
    name: product
    inputs:
      users: 50M to 200M user
      per_user: 2 to 8 request/user/day
      per_gpu: 500 request/s/gpu
    derived:
      qps: users * per_user -> request/s
      gpus: qps / per_gpu
    budgets:
      gpus: <= 20 gpu
    settings: {samples: 200000, seed: 7}
"""


def lognormal_of_product() -> tuple[float, float]:
    """ln(qps) is normal: the sum of the two inputs' ln-normals (independent)."""
    sigma_users = math.log(200e6 / 50e6) / (2 * Z90)
    sigma_rate = math.log(8 / 2) / (2 * Z90)
    mu = math.log(math.sqrt(50e6 * 200e6)) + math.log(math.sqrt(2 * 8)) - math.log(86_400)
    return mu, math.hypot(sigma_users, sigma_rate)


def test_percentiles_of_a_product_of_lognormals():
    mu, sigma = lognormal_of_product()
    qps = evaluate(PRODUCT).values["qps"]
    assert qps.value == pytest.approx(math.exp(mu), rel=1e-12)  # the point value: medians in
    assert qps.p50 == pytest.approx(math.exp(mu), rel=0.01)
    assert qps.p05 == pytest.approx(math.exp(mu - Z90 * sigma), rel=0.02)
    assert qps.p95 == pytest.approx(math.exp(mu + Z90 * sigma), rel=0.02)


def test_probability_of_violation_matches_the_lognormal_tail():
    mu, sigma = lognormal_of_product()
    result = evaluate(PRODUCT)
    (budget,) = result.budgets
    # gpus = qps / 500 > 20  <=>  qps > 10,000: about 10%
    expected = 1 - phi((math.log(10_000) - mu) / sigma)
    assert budget.p_violation == pytest.approx(expected, abs=0.005)
    assert budget.status == "warn"  # point value 4,630/500 = 9.3 gpu is ok, but P(break) >= 5%
    assert budget.utilization == pytest.approx(math.exp(mu) / 500 / 20)


def test_correlation_widens_the_spread_of_a_product():
    correlated = PRODUCT.replace("    settings:", "    correlations:\n      [users, per_user]: 0.8\n    settings:")
    independent = evaluate(PRODUCT).values["qps"]
    together = evaluate(correlated).values["qps"]
    assert together.p95 / together.p05 > 1.2 * independent.p95 / independent.p05
    sigma_users = sigma_rate = math.log(4) / (2 * Z90)
    # A rank correlation of 0.8 is a normal-score correlation of 2 sin(pi 0.8 / 6) = 0.813
    rho = 2 * math.sin(math.pi * 0.8 / 6)
    sigma = math.sqrt(sigma_users**2 + sigma_rate**2 + 2 * rho * sigma_users * sigma_rate)
    assert together.p95 / together.p50 == pytest.approx(math.exp(Z90 * sigma), rel=0.05)


def test_an_uncertain_input_shows_its_own_bounds():
    users = evaluate(PRODUCT).values["users"]
    assert (users.p05, users.p95) == (pytest.approx(50e6), pytest.approx(200e6))
    assert users.range_display() == "100M (50M – 200M) user"


def test_samples_are_reproducible_with_the_seed():
    first = evaluate(PRODUCT).values["qps"]
    second = evaluate(PRODUCT).values["qps"]
    assert (first.p05, first.p95) == (second.p05, second.p95)


def test_samples_do_not_depend_on_drawing_them_on_two_threads(monkeypatch):
    spreads = {f"x{i}": Spread.interval(1.0 + i, 4.0 + i) for i in range(5)} | {
        "n": Spread("normal", 3.0, 1.0),
        "u": Spread("uniform", 1.0, 2.0),
    }
    monkeypatch.setattr(uncertainty, "PARALLEL_DRAWS", 10**12)  # one thread
    alone = uncertainty.draw(spreads, np.random.default_rng(7), 50_000)
    monkeypatch.setattr(uncertainty, "PARALLEL_DRAWS", 0)  # two threads
    together = uncertainty.draw(spreads, np.random.default_rng(7), 50_000)
    assert alone.keys() == together.keys() == spreads.keys()
    for name in spreads:
        assert np.array_equal(alone[name], together[name])
    # Each input has the distribution it asked for: x0 is 1 to 4, so its median is 2 and 5% lie under 1.
    assert np.median(together["x0"]) == pytest.approx(2.0, rel=0.02)
    assert np.mean(together["x0"] < 1.0) == pytest.approx(0.05, abs=0.005)
    assert np.corrcoef(together["x0"], together["x4"])[0, 1] == pytest.approx(0.0, abs=0.02)  # independent streams


def test_normal_and_uniform_inputs():
    result = evaluate("""
        name: shapes
        inputs:
          t: normal(60 ms, 15 ms)
          u: uniform(10 ms, 30 ms)
        derived:
          total: t + u -> ms
        settings: {samples: 200000}
    """)
    total = result.values["total"]
    sd = math.hypot(15, 20 / math.sqrt(12))
    assert total.value == pytest.approx(80)
    assert total.p50 == pytest.approx(80, abs=0.3)
    assert total.p95 - total.p05 == pytest.approx(2 * Z90 * sd, rel=0.03)  # near-normal sum


def test_latency_path_probability_of_violation():
    result = evaluate("""
        name: path
        inputs:
          slow: normal(60 ms, 15 ms)
        latency:
          p:
            budget: 100 ms
            stages:
              a: slow
              b: 20 ms
        settings: {samples: 200000}
    """)
    (path,) = result.latency
    assert path.p_violation == pytest.approx(1 - phi((100 - 20 - 60) / 15), abs=0.005)


def test_percentiles_agree_with_numpy():
    rows = [np.random.default_rng(1).lognormal(0, 1, 10_001), np.arange(10_001.0)]
    small = [np.random.default_rng(2).lognormal(0, 1, n) for n in (2, 3, 20, 21)]
    for row in small:
        assert percentiles([row])[0] == pytest.approx(np.percentile(row, [5, 50, 95]), rel=1e-12)
    ours = percentiles(rows)
    for row, got in zip(rows, ours, strict=True):
        assert got == pytest.approx(np.percentile(row, [5, 50, 95]), rel=1e-12)
    many = [np.random.default_rng(seed).lognormal(0, 1, 100_001) for seed in range(7)]  # on two threads
    assert len(many) * len(many[0]) >= uncertainty.PARALLEL_DRAWS
    for row, got in zip(many, percentiles(many), strict=True):
        assert got == pytest.approx(np.percentile(row, [5, 50, 95]), rel=1e-12)


def test_interval_spread():
    spread = Spread.interval(2.0, 8.0)
    assert spread.kind == "lognormal" and spread.median == pytest.approx(4.0)
    assert Spread.interval(-1.0, 3.0) == Spread("normal", 1.0, 4 / (2 * Z90))


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ("n: 8 to 2 user", "'A to B' needs A below B; here A = 8 and B = 2 user"),
        ("n: 0 to 2 user", "a 90% interval from 0 cannot be lognormal"),
        ("n: 2 byte to 8 user", "the bounds are in different units: 'byte' and 'user'"),
        ("n: normal(5 ms, -1 ms)", "normal(MEAN, SD) needs SD of at least 0"),
        ("n: uniform(5 ms, 1 ms)", "uniform(LOW, HIGH) needs LOW below HIGH"),
    ],
)
def test_bad_distributions(inputs, message):
    assert error_of(f"name: x\ninputs:\n  {inputs}\n").message == message


@pytest.mark.parametrize(
    ("correlations", "message"),
    [
        ("[a, c]: 0.5", "correlation names 'c', which is a point value (3 user), not an uncertain input"),
        ("[a, d]: 0.5", "correlation names 'd', which is not an uncertain input"),
        ("[a, b]: 1.5", "a correlation must be between -1 and 1 (exclusive), not 1.5"),
        ("[a, a]: 0.5", "a correlation names two different inputs"),
    ],
)
def test_bad_correlations(correlations, message):
    text = f"name: x\ninputs:\n  a: 1 to 2 user\n  b: 1 to 2 user\n  c: 3 user\ncorrelations:\n  {correlations}\n"
    assert message in error_of(text).message
