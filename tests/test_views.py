"""The typed public views of a scenario and the analyses the TUI shows (breaking points, comparison, histogram)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

import calculator
from tests.helpers import ROOT

SERVICE = """\
name: service
inputs:
  users: { value: 10M user, note: who }
  rate: 8.64 request/user/day
  per_gpu: 10 request/s/gpu
derived:
  qps: users * rate -> request/s
  gpus: qps / per_gpu
budgets:
  gpus: <= 200 gpu
  qps: { min: 500 request/s }
"""


def test_the_view_of_the_tour_and_its_base():
    view = calculator.load(ROOT / "scenarios" / "tour.yaml").view()
    assert Path(view.files[0]).name == "tour.yaml" and [Path(f).name for f in view.files[1:]] == ["tour_base.yaml"]
    dau = view.input("dau")
    assert dau is not None and dau.text == "50M user" and dau.note == "[Tour] daily active users"
    assert Path(dau.source.file).name == "tour_base.yaml" and "average_qps" in dau.used_by
    params = view.input("model_params")
    assert params is not None and params.uncertain
    assert (params.low, params.high) == pytest.approx((200e6, 800e6))  # `200M to 800M` is its 5th-95th percentile
    assert [b.op for b in view.budgets if b.name == "log_storage"] == ["<="]
    assert [(b.name, b.entry) for b in view.bindings] == [("gpu", "H100-SXM")]
    assert dict(view.bindings[0].figures)  # the entry's figures, by name
    assert view.kind_of("dau") == "input" and view.kind_of("peak_qps") == "derived" and view.kind_of("nope") is None


def test_a_latency_paths_stages_are_a_tree():
    view = calculator.loads(
        "name: l\nlatency:\n  api:\n    budget: 100 ms\n    stages:\n      net: 20 ms\n"
        "      fan:\n        parallel:\n          a: 5 ms\n          b: 7 ms\n"
    ).view()
    path = view.path("api")
    assert path is not None and path.budget == "100 ms"
    assert [s.name for s in path.stages] == ["net", "fan"]
    branch = path.stage(["fan", "b"])
    assert branch is not None and branch.formula == "7 ms"
    assert path.stage(["fan", "c"]) is None


def test_breaking_points_by_hand():
    model = calculator.loads(SERVICE)
    # qps = 10M * 8.64 / 86400 = 1000 request/s, gpus = 100: gpus <= 200 breaks just above x2 users;
    # qps >= 500 breaks just below x0.5 users.
    points = {p.budget: p for p in calculator.breaking_points(model, "users")}
    assert points["gpus"].factor == pytest.approx(2.0) and points["gpus"].factor > 2.0
    assert points["qps"].factor == pytest.approx(0.5) and points["qps"].factor < 0.5
    assert not points["gpus"].broken_now
    # per_gpu moves gpus only: gpus breaks below 5 request/s/gpu (x0.5); qps never breaks, so it is left out
    assert [(p.budget, round(p.factor, 6)) for p in calculator.breaking_points(model, "per_gpu")] == [("gpus", 0.5)]


def test_a_budget_broken_now_breaks_at_factor_one():
    model = calculator.loads(SERVICE)
    broken = calculator.breaking_points(model, "users", {"users": 30e6})  # 300 gpus > 200
    assert broken[0].budget == "gpus" and broken[0].broken_now and broken[0].factor == 1.0


def test_compare_results_pairs_values_and_limits():
    model = calculator.loads(SERVICE)
    old, new = model.evaluate().result, model.evaluate({"users": 25e6}).result
    comparison = calculator.compare_results(old, new)
    qps = next(row for row in comparison.values if row.name == "qps")
    assert qps.changed and qps.relative == pytest.approx(1.5)  # 1000 -> 2500 request/s
    rate = next(row for row in comparison.values if row.name == "rate")
    assert not rate.changed
    gpus = next(row for row in comparison.limits if row.name == "gpus <=")
    assert gpus.old == ("ok", pytest.approx(0.5)) and gpus.new == ("fail", pytest.approx(1.25)) and gpus.regressed
    assert gpus.label == "gpus <= 200 gpu"


def test_histogram_of_a_monte_carlo_value():
    model = calculator.loads("name: h\ninputs:\n  x: 1 to 3 user\nderived:\n  y: x * 2\nsettings: { samples: 20000 }\n")
    bins = model.evaluate().histogram("y", 10)
    assert len(bins) == 10 and sum(b.share for b in bins) == pytest.approx(1.0)
    assert all(math.isclose(a.high, b.low) for a, b in itertools.pairwise(bins))
    # bins run from the 1st to the 99th percentile of y = 2x, x lognormal with p5 = 1, p95 = 3
    sigma = math.log(3) / (2 * 1.6448536269514722)
    assert bins[0].low == pytest.approx(2 * math.exp(-2.3263 * sigma) * math.sqrt(3), rel=0.03)
    assert model.evaluate({"x": 2.0}).histogram("y") == []  # nothing uncertain: no distribution


def test_a_budget_broken_now_says_where_it_holds_again():
    model = calculator.loads(SERVICE)
    broken = calculator.breaking_points(model, "users", {"users": 30e6})
    # gpus = users * 8.64 / 86,400 / (10 request/s/gpu): 200 gpus, the limit, at 20M users
    assert broken[0].holds_at == pytest.approx(200 * 10 * 86_400 / 8.64, rel=1e-9)
