"""`solve --risk`: the edge at which every budget breaks with probability at most the risk, on common random
numbers; and whole counts (whole units, `integer: true`) solved to whole numbers on the side that holds."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from statistics import NormalDist

import pytest

import calculator
from calculator.cli.main import main

Z90 = NormalDist().inv_cdf(0.95)
SAMPLES = 50_000

# load is lognormal with 5th/95th percentiles 1 and 4 request/s/user; traffic = users × load.
# P(users·load > L) <= r  <=>  users <= L / q(1 - r), q the lognormal quantile of load.
TRAFFIC = f"""\
name: traffic at risk
inputs:
  load: 1 to 4 request/s/user
  users: 1000 user
derived:
  traffic: users * load -> request/s
budgets:
  traffic: <= 10k request/s
settings: {{samples: {SAMPLES}, seed: 11}}
"""
MU, SIGMA = math.log(2), math.log(4) / (2 * Z90)  # ln of the interval's geometric middle; its 90% half-width / Z90


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text))
    return str(file)


def relative_quantile_error(sigma: float, p: float, samples: int) -> float:
    """One standard error of a lognormal's sample quantile, relative to the quantile:
    sigma·sqrt(p(1-p)/n)/φ(z) (the quantile's error is sqrt(p(1-p)/n)/f(q), f(q) = φ(z)/(q·sigma))."""
    return sigma * math.sqrt(p * (1 - p) / samples) / NormalDist().pdf(NormalDist().inv_cdf(p))


def test_risk_solve_matches_the_closed_form_quantile(tmp_path: Path, capsys) -> None:
    file = _write(tmp_path, TRAFFIC)
    assert main(["solve", file, "--for", "users", "--risk", "1%", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    exact = 10_000 / math.exp(MU + SIGMA * NormalDist().inv_cdf(0.99))  # 1,876 users
    # the edge is the limit over the sampled 99th percentile of load: four of its standard errors (1.1% at
    # 20k samples, 0.7% at 50k) bound a seeded run's miss while a p95 answer (2,500) would be far outside
    assert data["value"] == pytest.approx(exact, rel=4 * relative_quantile_error(SIGMA, 0.99, SAMPLES))
    assert data["direction"] == "max" and data["binding_budget"] == "traffic"
    assert data["method"] == "monte carlo" and data["risk"] == 0.01
    assert data["samples"] == SAMPLES and data["seed"] == 11
    # at the answer P(break) is at most the risk, with its binomial standard error
    assert data["p_break"] <= 0.01
    assert data["p_break_standard_error"] == pytest.approx(math.sqrt(data["p_break"] * (1 - data["p_break"]) / SAMPLES))
    # the edge for a risk 2 standard errors either side brackets the answer
    assert data["edge_at_risk_minus_2se"] < data["value"] < data["edge_at_risk_plus_2se"]
    assert data["bracket_width"] < 1e-9 * data["value"]


def test_the_answer_holds_at_the_risk_and_is_stable_with_the_seed(tmp_path: Path, capsys) -> None:
    file = _write(tmp_path, TRAFFIC)
    model = calculator.load(file)
    first = calculator.solve(model, "users", risk=0.05)
    again = calculator.solve(calculator.load(file), "users", risk=0.05)
    assert (first.value, first.safe) == (again.value, again.safe)  # common random numbers: the same every run
    other = calculator.solve(model, "users", risk=0.05, seed=12)
    assert other.value != first.value
    exact = 10_000 / 4.0  # the 95th percentile of `1 to 4` is its upper bound
    tolerance = 4 * relative_quantile_error(SIGMA, 0.95, SAMPLES)
    assert first.value == pytest.approx(exact, rel=tolerance) and other.value == pytest.approx(exact, rel=tolerance)
    # what is shown holds: the eval at the shown value has P(break) at most 5% on the same seed
    shown = model.parse_override("users", first.display)
    result = model.evaluate({"users": shown}).result
    assert result.budget("traffic").p_violation is not None and result.budget("traffic").p_violation <= 0.05
    assert main(["solve", file, "--for", "users", "--risk", "5%"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"users can grow to {first.display} (largest value at which every budget breaks with probability")
    assert f"Monte Carlo: {SAMPLES:,} samples (seed 11), the same samples for every trial value" in out
    assert "precision: P(break) " in out and "(two standard errors) the edge is" in out


# demand is normal (mean 1000, sd 100 request/s); each gpu serves 50 request/s. The smallest fleet whose
# capacity falls short with probability at most 5%: servers >= (1000 + 1.645 × 100) / 50 = 23.29 → 24 gpu.
FLEET = f"""\
name: fleet at risk
inputs:
  demand: normal(1000, 100 request/s)
  servers: 30 gpu
  per_gpu: 50 request/s/gpu
derived:
  capacity: servers * per_gpu
  headroom: capacity / demand
budgets:
  headroom: {{min: 1}}
settings: {{samples: {SAMPLES}}}
"""


def test_a_whole_count_is_solved_upward_to_the_whole_number_that_holds(tmp_path: Path, capsys) -> None:
    file = _write(tmp_path, FLEET)
    assert main(["solve", file, "--for", "servers", "--risk", "5%", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    exact = (1000 + NormalDist().inv_cdf(0.95) * 100) / 50
    # a normal's sample quantile errs by sqrt(p(1-p)/n)/φ(z)·sd = 0.67 request/s at 50k samples: 0.013 gpu
    assert data["value"] == pytest.approx(exact, abs=4 * 0.0135)
    assert data["direction"] == "min" and data["display"] == "24 gpu"  # ceil(23.29): whole gpus, on the side that holds


def test_a_percentile_budget_is_held_at_its_own_percentile(tmp_path: Path, capsys) -> None:
    # a p99 budget with --risk 5%: the p99 must hold, not only P(break) <= 5%
    file = _write(tmp_path, TRAFFIC.replace("traffic: <= 10k request/s", "traffic: {max: 10k request/s, percentile: 99%}"))
    assert main(["solve", file, "--for", "users", "--risk", "5%", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    exact = 10_000 / math.exp(MU + SIGMA * NormalDist().inv_cdf(0.99))
    assert data["value"] == pytest.approx(exact, rel=4 * relative_quantile_error(SIGMA, 0.99, SAMPLES))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--risk", "0%"], "error: --risk takes a probability more than 0% and less than 100%, not 0%"),
        (["--risk", "100%"], "error: --risk takes a probability more than 0% and less than 100%, not 100%"),
        (["--risk", "five"], "error: --risk takes a probability such as 5% or 0.05, not 'five'"),
        (["--seed", "3"], "error: --samples and --seed go with --risk (a solve without it uses point values)"),
        (["--risk", "5%", "--samples", "10"], "error: --samples takes 100 to 2,000,000, not 10"),
    ],
)
def test_bad_risk_options_exit_2(tmp_path: Path, capsys, arguments: list[str], message: str) -> None:
    file = _write(tmp_path, TRAFFIC)
    assert main(["solve", file, "--for", "users", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_risk_needs_an_uncertain_input(tmp_path: Path, capsys) -> None:
    file = _write(tmp_path, TRAFFIC.replace("1 to 4 request/s/user", "2 request/s/user"))
    assert main(["solve", file, "--for", "users", "--risk", "5%"]) == 2
    err = capsys.readouterr().err
    assert "--risk: error: --risk needs an uncertain input: with every input certain, P(break) is 0 or 1" in err
    assert "hint: write a guess as 'A to B'" in err


INTEGER = """\
name: batches
inputs:
  batch: {value: 8, integer: true}
  plain: 8
  memory: {value: 40 GB, integer: true}
derived:
  work: batch * 3
  other: plain * 3
  use: memory * 3
budgets:
  work: <= 100
  other: <= 100
  use: <= 200 GB
"""


def test_an_integer_mark_solves_to_whole_numbers_in_the_unit_written(tmp_path: Path) -> None:
    model = calculator.load(_write(tmp_path, INTEGER))
    # 3 × batch <= 100: batch <= 33.3, so 33 with the mark; the unmarked twin shows 33.3
    marked = calculator.solve(model, "batch")
    assert marked.value == pytest.approx(100 / 3) and marked.display == "33"
    assert calculator.solve(model, "plain").display == "33.3"
    # 3 × memory <= 200 GB: 66.7 GB, so 66 GB (whole in GB, the unit it is written in, not in bytes)
    assert calculator.solve(model, "memory").display == "66 GB"


def test_replicas_are_whole_counts(tmp_path: Path) -> None:
    text = """\
    name: replicas
    inputs:
      replicas: 3 replica
      qps: 1000 request/s
    derived:
      per_replica: qps / replicas
    budgets:
      per_replica: <= 300 request/s/replica
    """
    solution = calculator.solve(calculator.load(_write(tmp_path, text)), "replicas")
    assert solution.value == pytest.approx(1000 / 300) and solution.display == "4 replica"  # ceil(3.33)


def test_integer_mark_must_be_a_boolean(tmp_path: Path, capsys) -> None:
    file = _write(tmp_path, "name: bad\ninputs:\n  batch: {value: 8, integer: sometimes}\n")
    assert main(["eval", file]) == 2
    err = capsys.readouterr().err
    assert "s.yaml:3:21: error: 'inputs.batch.integer': Input should be a valid boolean, unable to interpret input" in err


def test_risk_solve_of_one_budget_and_of_an_uncertain_input(tmp_path: Path, capsys) -> None:
    text = TRAFFIC.replace("  traffic: <= 10k request/s\n", "  traffic: <= 10k request/s\n  load: <= 100 request/s/user\n")
    file = _write(tmp_path, text)
    model = calculator.load(file)
    # --budget traffic: the same edge as with traffic alone; load never binds users
    assert calculator.solve(model, "users", "traffic", risk=0.05).value == calculator.solve(model, "users", risk=0.05).value
    # solving for load itself: it takes each trial value exactly, and nothing else is uncertain
    with pytest.raises(calculator.UsageError) as raised:
        calculator.solve(model, "load", risk=0.05)
    assert raised.value.message == (
        "--risk needs an uncertain input other than 'load': solving for it takes each trial value exactly,"
        " and nothing else is uncertain"
    )
    assert main(["solve", file, "--for", "load", "--risk", "5%"]) == 2
    assert "--risk: error: --risk needs an uncertain input other than 'load'" in capsys.readouterr().err
