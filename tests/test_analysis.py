"""explain, solve and sweep against answers derived by hand."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import calculator
from calculator.cli.main import main
from calculator.formula.expr import Binary, Call, Name, Number, has_rounding
from tests.helpers import ROOT

SERVING = """
name: serving
inputs:
  dau: 100M user
  rate: 5 request/user/day
  peak: 3
  per_gpu: 100 request/s/gpu
  batch_latency: 40 ms
derived:
  qps: dau * rate * peak -> request/s
  gpus: qps / per_gpu
  whole_gpus: ceil(gpus)
  p99: batch_latency * sqrt(qps / (1000 request/s)) -> ms
budgets:
  whole_gpus: <= 200 gpu
latency:
  request:
    budget: 500 ms
    stages:
      model: p99
"""


@pytest.fixture(scope="module")
def model() -> calculator.Model:
    return calculator.loads(SERVING, "<serving>")


def test_elasticities_are_the_exponents(model):
    p99 = calculator.explain(model, "p99")
    # p99 = batch_latency * (dau * rate * peak)^(1/2) / const: exponents 1, 1/2, 1/2, 1/2
    assert p99.sensitivity == pytest.approx({"batch_latency": 1.0, "dau": 0.5, "rate": 0.5, "peak": 0.5})
    gpus = calculator.explain(model, "gpus")
    assert gpus.sensitivity == pytest.approx({"dau": 1.0, "rate": 1.0, "peak": 1.0, "per_gpu": -1.0})


def test_elasticities_of_sums_and_of_a_name_in_two_places():
    model = calculator.loads(
        """
name: mixed
inputs:
  a: 3 request/s
  b: 1 request/s
  c: 2
derived:
  total: a + b
  curve: a * (a + b) * c
""",
        "<mixed>",
    )
    total = calculator.explain(model, "total")
    # d ln(a + b) / d ln a = a / (a + b) = 3/4; for b, 1/4
    assert total.sensitivity == pytest.approx({"a": 0.75, "b": 0.25})
    curve = calculator.explain(model, "curve")
    # ln curve = ln a + ln(a + b) + ln c: for a, 1 + 3/4; for b, 1/4; for c, 1
    assert curve.sensitivity == pytest.approx({"a": 1.75, "b": 0.25, "c": 1.0})
    assert set(curve.sensitivity_method.values()) == {"exact"}


def test_ceil_is_relaxed_for_sensitivity(model):
    whole = calculator.explain(model, "whole_gpus")
    assert whole.sensitivity["per_gpu"] == pytest.approx(-1.0)
    assert whole.sensitivity_method["per_gpu"] == "relaxed"


def test_explanation_shows_formula_closed_form_and_numbers(model):
    text = calculator.explain(model, "whole_gpus").to_text()
    qps = 100e6 * 5 * 3 / 86_400
    assert f"ceil({qps / 100:.3g} gpu)" in text  # 173.6 gpu, shown to 3 figures
    lines = text.splitlines()
    assert lines[0] == "whole_gpus = ceil(gpus)"
    assert "closed form: whole_gpus = ceil(dau*peak*rate/per_gpu)" in text
    assert lines[3].strip() == f"= {math.ceil(qps / 100)} gpu"


def test_explain_markdown_has_latex(model):
    markdown = calculator.explain(model, "qps").to_markdown()
    assert r"\mathrm{dau}" in markdown and "$$" in markdown


def test_explain_json_keys(model, capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SERVING)
    assert main(["explain", str(path), "gpus", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"name", "formula", "closed_form", "value", "unit", "sensitivity"}
    assert data["value"] == pytest.approx(100e6 * 5 * 3 / 86_400 / 100)
    assert main(["explain", str(path), "gpu"]) == 2
    assert "no value 'gpu' in this scenario" in capsys.readouterr().err


def test_uncertainty_drivers():
    model = calculator.loads("""
name: drivers
inputs:
  wide: 10 to 1000 user
  narrow: 9 to 11 request/user
derived:
  total: wide * narrow
settings: {samples: 20000}
""")
    drivers = calculator.explain(model, "total").drivers
    assert [d.input for d in drivers] == ["wide", "narrow"]
    # ln total = ln wide + ln narrow: shares are the variances' shares, sigma ~ ln(100) vs ln(11/9)
    expected = math.log(100) ** 2 / (math.log(100) ** 2 + math.log(11 / 9) ** 2)
    assert drivers[0].share == pytest.approx(expected, abs=0.01)


def test_solve_symbolic_edge(model):
    # p99 = 40 ms * sqrt(qps / 1000) <= 500 ms  <=>  qps <= 1000 * 12.5^2 = 156,250 request/s
    # qps = dau * 5 * 3 / 86,400  =>  dau <= 156,250 * 86,400 / 15 = 900M
    solution = calculator.solve(model, "dau", budget="request")
    assert solution.value == pytest.approx(900e6, rel=1e-9)
    assert solution.binding_budget == "latency request"
    assert solution.direction == "max"
    assert solution.headroom == pytest.approx(9.0, rel=1e-9)


def test_solve_inverts_a_power_law_and_a_sum_symbolically():
    model = calculator.loads(
        """
name: inverted
inputs:
  dau: 100M user
  rate: 5 request/user/day
  batch_latency: 40 ms
  background: 2k request/s
derived:
  qps: dau * rate * 3 -> request/s
  p99: batch_latency * sqrt(qps / (1000 request/s)) -> ms
  load: qps + background
budgets:
  p99: <= 500 ms
  load: <= 50k request/s
""",
        "<inverted>",
    )
    # p99 <= 500 ms  <=>  qps <= 1000 * 12.5^2 = 156,250 request/s  <=>  dau <= 156,250 * 86,400 / 15 = 900M
    p99 = calculator.solve(model, "dau", budget="p99")
    assert (p99.value, p99.method, p99.binding_budget) == (pytest.approx(900e6, rel=1e-12), "symbolic", "p99")
    # load <= 50k  <=>  qps <= 48,000 request/s  <=>  dau <= 48,000 * 86,400 / 15 = 276.48M (a sum: sympy.solve)
    load = calculator.solve(model, "dau", budget="load")
    assert (load.value, load.method) == (pytest.approx(276.48e6, rel=1e-12), "symbolic")
    assert calculator.solve(model, "dau").binding_budget == "load"  # 276M comes before 900M


def test_solve_step_edge_is_exact(model):
    # whole_gpus = ceil(qps / 100) <= 200  <=>  qps <= 20,000  <=>  dau <= 20,000 * 86,400 / 15 = 115.2M
    solution = calculator.solve(model, "dau")
    assert solution.binding_budget == "whole_gpus"
    assert solution.value == pytest.approx(115.2e6, rel=1e-12)
    assert solution.method == "numeric"
    over = model.evaluate({"dau": solution.value * (1 + 1e-12)}).result
    assert over.status == "fail"
    assert model.evaluate({"dau": solution.value}).result.status != "fail"


def test_a_step_is_seen_through_the_values_it_uses(model):
    steps = {name: has_rounding(Name(name, 0), model.formula_of) for name in ("qps", "gpus", "whole_gpus", "p99")}
    assert steps == {"qps": False, "gpus": False, "whole_gpus": True, "p99": False}
    looped = {"a": Binary("*", Name("b", 0), Number(2.0, 0), 0), "b": Call("round", (Name("a", 0),), 0)}
    assert has_rounding(Name("a", 0), looped.get)  # a cycle ends (names are followed once)


def test_solving_for_a_step_needs_no_sympy(tmp_path):
    (tmp_path / "serving.yaml").write_text(SERVING)
    code = (
        "import sys, calculator\n"
        "solution = calculator.solve(calculator.load('serving.yaml'), 'dau')\n"
        "print(solution.binding_budget, solution.method, 'sympy' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert shown.stdout.split() == ["whole_gpus", "numeric", "False"]


def test_solve_smallest_value_for_a_lower_limit():
    model = calculator.loads("""
name: floor
inputs:
  gpus: 10 gpu
  load: 500 request/s
derived:
  per_gpu: load / gpus
budgets:
  gpus: ">= 4 gpu"
""")
    solution = calculator.solve(model, "gpus")
    assert (solution.direction, solution.value) == ("min", pytest.approx(4.0))


def test_solve_messages(model, capsys, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SERVING)
    assert main(["solve", str(path), "--for", "qps"]) == 2
    assert "'qps' is a derived value, not an input" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "dau", "--budget", "whole_gpu"]) == 2
    assert "no budget 'whole_gpu' in this scenario" in capsys.readouterr().err
    nothing = tmp_path / "n.yaml"
    nothing.write_text("name: n\ninputs:\n  a: 1 user\nbudgets:\n  a: <= 10 user\n  b: 2 user\n".replace("  b: 2 user\n", ""))
    assert main(["solve", str(nothing), "--for", "a", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == pytest.approx(10.0)


def test_solve_when_nothing_binds(tmp_path, capsys):
    path = tmp_path / "free.yaml"
    path.write_text("name: free\ninputs:\n  a: 1 user\n  b: 1 gpu\nbudgets:\n  b: <= 10 gpu\n")
    assert main(["solve", str(path), "--for", "a"]) == 2
    assert "every budget holds for every value of 'a'" in capsys.readouterr().err


def test_sweep_rows_and_crossings(model):
    table = calculator.sweep(model, "dau", "50M user", "150M user", steps=3, show=["whole_gpus"])
    assert [row.x for row in table.rows] == pytest.approx([50e6, 100e6, 150e6])
    assert [row.values["whole_gpus"] for row in table.rows] == [math.ceil(d * 15 / 86_400 / 100) for d in (50e6, 100e6, 150e6)]
    assert [row.statuses["whole_gpus"] for row in table.rows] == ["ok", "warn", "fail"]
    assert table.crossings() == [("whole_gpus", 100e6, "ok", "warn"), ("whole_gpus", 150e6, "warn", "fail")]
    csv_lines = table.to_csv().splitlines()
    assert csv_lines[0] == "dau [user],whole_gpus [gpu],whole_gpus status"
    assert csv_lines[2] == "1e+08,174,warn"


def test_sweep_log_steps_and_plot(model):
    table = calculator.sweep(model, "dau", "1M user", "1B user", steps=4, log=True)
    assert [row.x for row in table.rows] == pytest.approx([1e6, 1e7, 1e8, 1e9])
    drawing = table.plot(color=False)
    assert "dau (user)" in drawing and "% of budget" in drawing


def test_sweep_cli_formats_and_errors(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SERVING)
    assert main(["sweep", str(path), "dau", "50M user", "150M user", "--steps", "3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "user" and len(data["rows"]) == 3
    assert main(["sweep", str(path), "dau", "50M user", "150 byte"]) == 2
    assert "'dau' is in 'user', not 'byte'" in capsys.readouterr().err
    assert main(["sweep", str(path), "dau", "0 user", "1 user", "--log"]) == 2
    assert "--log needs both ends of the range above zero" in capsys.readouterr().err
    assert main(["sweep", str(path), "dau", "1 user", "2 user", "--steps", "1"]) == 2
    assert "--steps takes 2 to 10,000, not 1" in capsys.readouterr().err


def test_tour_explain_and_solve_from_cli(capsys):
    tour = str(ROOT / "scenarios" / "tour.yaml")
    assert main(["explain", tour, "feature_bandwidth", "--format", "latex"]) == 0
    assert r"\begin{aligned}" in capsys.readouterr().out
    assert main(["solve", tour, "--for", "dau", "--format", "json"]) == 0
    solved = json.loads(capsys.readouterr().out)
    # feature_bandwidth < 2 x 10 GiB/s; it is dau x 12 x 3 / 86,400 x 2,000 x 256 byte/s
    edge = 2 * 10 * 2**30 / (12 * 3 / 86_400 * 2_000 * 256)
    assert solved["value"] == pytest.approx(edge, rel=1e-5)
    assert solved["binding_budget"] == "feature_bandwidth"
