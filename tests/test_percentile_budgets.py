"""Percentile budgets: `{max: 2 s, percentile: 95%}` judges the 95th percentile of the value, not its median."""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest

from calculator.cli.main import main
from tests.helpers import error_of, evaluate

Z90 = NormalDist().inv_cdf(0.95)  # `A to B` is a 90% interval: A and B are its 5th and 95th percentiles
SAMPLES = 20_000


def lognormal_of_interval(low: float, high: float) -> tuple[float, float]:
    """mu and sigma of ln X for the lognormal whose 5th and 95th percentiles are `low` and `high` (docs/format.md)."""
    return (math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / (2 * Z90)


def lognormal_quantile(mu: float, sigma: float, p: float) -> float:
    return math.exp(mu + sigma * NormalDist().inv_cdf(p))


def quantile_tolerance(mu: float, sigma: float, p: float, samples: int) -> float:
    """Four standard errors of a sample quantile: sqrt(p(1-p)/n) / f(q), with the lognormal's density
    f(q) = φ(z) / (q·sigma) at q = exp(mu + sigma·z). A seeded run is one fixed draw; four standard
    errors leave it room while still catching a wrong percentile (p95 against p90 differs by ~10 SE here)."""
    z = NormalDist().inv_cdf(p)
    q = math.exp(mu + sigma * z)
    density = NormalDist().pdf(z) / (q * sigma)
    return 4 * math.sqrt(p * (1 - p) / samples) / density


# latency: lognormal with 5th/95th percentiles 0.4 s and 2.5 s; twice it is `response`.
# The median of response is 2·sqrt(0.4·2.5) = 2 s, under the 2.5 s limit (80% used: warn at the point);
# its p95 is 2 × 2.5 = 5 s, over it.
P95_SCENARIO = f"""\
name: A p95 SLO
inputs:
  latency: 0.4 s to 2.5 s
derived:
  response: latency * 2
budgets:
  response: {{max: 2.5 s, percentile: 95%, warn: 90%}}
settings: {{samples: {SAMPLES}, seed: 3}}
"""


def test_median_passes_and_the_p95_fails_against_the_closed_form_quantile(tmp_path: Path, capsys) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(P95_SCENARIO)
    mu, sigma = lognormal_of_interval(0.4, 2.5)
    mu += math.log(2)  # response = 2 × latency
    p95 = lognormal_quantile(mu, sigma, 0.95)
    assert math.exp(mu) < 2.5 < p95  # the point passes, the percentile breaks
    assert main(["eval", str(file), "--format", "json"]) == 1
    budget = json.loads(capsys.readouterr().out)["budgets"][0]
    assert budget["status"] == "fail"
    assert budget["value"] == pytest.approx(math.exp(mu), rel=1e-5)  # the median, as before
    assert budget["percentile"] == 95
    assert budget["judged"] == pytest.approx(p95, abs=quantile_tolerance(mu, sigma, 0.95, SAMPLES))
    assert budget["utilization"] == pytest.approx(budget["judged"] / 2.5, rel=1e-5)
    assert main(["check", str(file)]) == 1
    assert "fail" in capsys.readouterr().out


def test_a_percentile_that_holds_follows_the_usual_warn_rule() -> None:
    # p50 of the same value: 2 s of 2.5 s is 80%, under the 90% warn share: ok, even though P(break) is ~21%
    result = evaluate(P95_SCENARIO.replace("percentile: 95%", "percentile: 50%"))
    budget = result.budgets[0]
    assert budget.status == "ok"
    assert budget.judged == pytest.approx(2.0, rel=0.02)
    assert budget.p_violation == pytest.approx(
        1 - NormalDist().cdf(math.log(2.5 / 2) / lognormal_of_interval(0.4, 2.5)[1]), abs=0.01
    )
    # at 70%, judged 2 s is 80% of the limit, above the warn share
    warned = evaluate(P95_SCENARIO.replace("percentile: 95%, warn: 90%", "percentile: 50%, warn: 70%"))
    assert warned.budgets[0].status == "warn"


def test_a_lower_limit_judges_the_stated_percentile() -> None:
    # throughput: lognormal with 5th/95th 100 and 400 request/s; its p5 is 100 request/s exactly
    text = """\
    name: floor
    units: [request]
    inputs:
      throughput: 100 request/s to 400 request/s
    budgets:
      throughput: {min: 120 request/s, percentile: 5%}
    settings: {samples: 20000}
    """
    budget = evaluate(text).budgets[0]
    mu, sigma = lognormal_of_interval(100, 400)
    assert budget.judged == pytest.approx(100, abs=quantile_tolerance(mu, sigma, 0.05, SAMPLES))
    assert budget.status == "fail"  # p5 (100) is below the 120 floor, though the median (200) is above it
    assert budget.utilization == pytest.approx(120 / budget.judged, rel=1e-9)


def test_a_latency_path_at_its_p99(tmp_path: Path, capsys) -> None:
    text = f"""\
name: p99 path
inputs:
  rank: 20 ms to 80 ms
latency:
  feed:
    budget: {{max: 150 ms, percentile: 99%}}
    stages:
      network: 30 ms
      rank: rank
settings: {{samples: {SAMPLES}}}
"""
    file = tmp_path / "path.yaml"
    file.write_text(text)
    mu, sigma = lognormal_of_interval(0.020, 0.080)
    p99 = 0.030 + lognormal_quantile(mu, sigma, 0.99)  # a constant stage shifts every quantile
    # 30 + 40·e^(0.421 × 2.326) = 136.6 ms: under 150 ms, and 91% of it, above the 80% warn share
    assert 0.8 * 0.150 < p99 < 0.150
    assert main(["eval", str(file), "--format", "json"]) == 0
    path = json.loads(capsys.readouterr().out)["latency"][0]
    assert path["status"] == "warn"
    assert path["percentile"] == 99
    assert path["judged"] == pytest.approx(p99 * 1000, abs=1000 * quantile_tolerance(mu, sigma, 0.99, SAMPLES))
    assert path["total"] == pytest.approx(30 + 40)  # the median total: 30 + sqrt(20·80)
    assert main(["eval", str(file), "--set", "rank=30 ms to 120 ms"]) == 1  # p99 = 30 + 60·e^0.980 = 190 ms
    assert "latency feed: 90 of 150 ms, p99 1" in capsys.readouterr().out  # the judged p99 beside the median total


def test_without_uncertainty_the_percentile_is_the_point_value() -> None:
    result = evaluate("""\
    name: certain
    inputs:
      response: 3 s
    budgets:
      response: {max: 2 s, percentile: 95%}
    """)
    budget = result.budgets[0]
    assert (budget.judged, budget.status, budget.utilization) == (3.0, "fail", 1.5)
    assert budget.p_violation is None


def test_outputs_show_the_judged_percentile_beside_the_median(capsys) -> None:
    result = evaluate(P95_SCENARIO)
    markdown = result.to_markdown()
    assert "| response | 2 s (p95 " in markdown
    from calculator.outputs.terminal import print_table

    print_table(result, color=False)
    assert "2 s (p95 " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("budget", "message", "where"),
    [
        (
            "{max: 2 s, percentile: 100%}",
            "a percentile is more than 0% and less than 100%, not '100%'",
            "5:36",
        ),
        ("{max: 2 s, percentile: 0%}", "a percentile is more than 0% and less than 100%, not '0%'", "5:36"),
        ("{max: 2 s, percentile: 1.5}", "a percentile is more than 0% and less than 100%, not '1.5'", "5:36"),
        ("{percentile: 95%}", "budget on 'response' has a percentile but no limit to judge it against", "5:3"),
    ],
)
def test_a_bad_percentile_budget_is_a_located_error(tmp_path: Path, capsys, budget: str, message: str, where: str) -> None:
    text = f"name: bad\ninputs:\n  response: 1 s to 3 s\nbudgets:\n  response: {budget}\n"
    error = error_of(text)
    assert error.message == message
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    assert main(["eval", str(file)]) == 2
    assert f"bad.yaml:{where}: error: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("budget", "message", "where"),
    [
        (
            "{min: 100 ms, percentile: 99%}",
            "latency path 'feed' has a min: a path's budget is an upper limit",
            "5:14",
        ),
        ("{percentile: 99%}", "latency path 'feed' has a budget without max: no limit to judge the total against", "5:5"),
        ("{max: 100 ms, percentile: 99.9}", "a percentile is more than 0% and less than 100%, not '99.9'", "5:39"),
    ],
)
def test_a_bad_latency_percentile_is_a_located_error(tmp_path: Path, capsys, budget: str, message: str, where: str) -> None:
    text = f"name: bad\nlatency:\n  feed:\n    stages: {{rank: 20 ms}}\n    budget: {budget}\n"
    assert error_of(text).message == message
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    assert main(["eval", str(file)]) == 2
    assert f"bad.yaml:{where}: error: {message}" in capsys.readouterr().err


def test_a_github_annotation_names_the_judged_percentile(tmp_path: Path, capsys) -> None:
    file = tmp_path / "slo.yaml"
    file.write_text(P95_SCENARIO)
    assert main(["check", str(file), "--format", "github"]) == 1
    annotation = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("::error"))
    # at the max (column 19: after "  response: {max: "); the median 2 s, and the p95 (about 5 s) that failed
    assert ",line=7,col=19,title=budget response fail::response is 2 s (p95 " in annotation
    assert "%25 of <= 2.5 s" in annotation


def test_a_percentile_that_is_not_a_number_fails() -> None:
    # rate above 100 request/s makes the one-server queue unstable: its wait is infinite, and w − w is NaN there.
    # The point (86.6 request/s) is stable; P(rate > 100) = 1 − Φ(ln(100/86.6) / 0.334) = 33%, so the p95 is NaN.
    result = evaluate("""\
    name: nan
    inputs:
      rate: 50 request/s to 150 request/s
    derived:
      w: queue_wait(rate, 10 ms, 1)
      gap: w - w
    budgets:
      gap: {max: 1 s, percentile: 95%}
    """)
    budget = result.budgets[0]
    assert budget.judged is not None and math.isnan(budget.judged)
    assert budget.status == "fail" and result.status == "fail"
    assert "(p95 not a number)" in result.to_markdown()
