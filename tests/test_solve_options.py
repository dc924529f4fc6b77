"""`solve --for INPUT` over an input with options: the largest option that holds (the smallest, for a
minimum) and what the next option breaks, worked by hand; exit 1 when no option holds."""

from __future__ import annotations

import json

import pytest

from calculator.cli.main import main

SCENARIO = """\
name: options
inputs:
  batch: { powers_of_two: [8 sequence, 128 sequence], value: 16 sequence }
  replicas: { range: [1 replica, 6 replica], value: 3 replica }
  gpus: { one_of: [4 gpu, 1 gpu, 2 gpu] }
  per_replica: 100 sequence/s/replica
  weights: 120 GB
derived:
  latency: batch / (8 sequence) * 100 ms
  capacity: replicas * per_replica
  shard: weights / gpus
budgets:
  latency: <= LATENCY
  capacity: ">= 250 sequence/s"
  shard: <= 50 GB/gpu
"""


@pytest.fixture
def scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(latency: str = "450 ms") -> str:
        (tmp_path / "s.yaml").write_text(SCENARIO.replace("LATENCY", latency), encoding="utf-8")
        return "s.yaml"

    return write


def _solved(capsys, *args: str) -> tuple[int, dict]:
    code = main(["solve", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_largest_power_of_two_that_holds(scenario, capsys):
    # latency = batch / 8 × 100 ms = 12.5 ms per sequence: ≤ 450 ms up to 36, so 32 holds and 64 (800 ms) breaks.
    holding = [b for b in (8, 16, 32, 64, 128) if 12.5 * b <= 450]
    assert holding == [8, 16, 32]
    code, data = _solved(capsys, scenario(), "--for", "batch")
    assert code == 0
    assert (data["direction"], data["display"], data["current"]) == ("max", "32 sequence", "16 sequence")
    assert (data["next_option"], data["next_option_breaks"]) == ("64 sequence", ["latency"])
    assert [o["holds"] for o in data["options"]] == [b in holding for b in (8, 16, 32, 64, 128)]
    assert main(["solve", scenario(), "--for", "batch"]) == 0
    text = capsys.readouterr().out
    assert "batch: 32 sequence (largest option at which every budget holds; today 16 sequence)" in text
    assert "the next option, 64 sequence, breaks latency" in text


def test_the_smallest_range_option_that_holds_for_a_minimum(scenario, capsys):
    # capacity = 100 sequence/s per replica ≥ 250: 1 and 2 replicas break, 3 is the smallest that holds.
    code, data = _solved(capsys, scenario(), "--for", "replicas")
    assert code == 0
    assert (data["direction"], data["display"]) == ("min", "3 replica")
    assert (data["next_option"], data["next_option_breaks"]) == ("2 replica", ["capacity"])


def test_one_of_is_ordered_by_value_not_as_written(scenario, capsys):
    # shard = 120 GB / gpus ≤ 50 GB/gpu: 1 gpu (120) and 2 gpu (60) break, 4 gpu (30) holds.
    code, data = _solved(capsys, scenario(), "--for", "gpus")
    assert code == 0
    assert [o["option"] for o in data["options"]] == ["1 gpu", "2 gpu", "4 gpu"]
    assert (data["direction"], data["display"], data["next_option"]) == ("min", "4 gpu", "2 gpu")
    assert data["next_option_breaks"] == ["shard"]


def test_no_option_holds_exits_one_and_says_so(scenario, capsys):
    # latency ≤ 50 ms: the smallest batch, 8 sequence, already takes 100 ms.
    code, data = _solved(capsys, scenario("50 ms"), "--for", "batch")
    assert code == 1
    assert data["display"] is None and not any(o["holds"] for o in data["options"])
    assert (data["next_option"], data["next_option_breaks"]) == ("16 sequence", ["latency"])  # today's, the nearest
    assert main(["solve", scenario("50 ms"), "--for", "batch"]) == 1
    assert "no option of batch holds" in capsys.readouterr().out


def test_the_largest_option_holding_has_nothing_beyond(scenario, capsys):
    # latency ≤ 2 s: 128 sequence takes 1.6 s, so every batch holds.
    code, data = _solved(capsys, scenario("2 s"), "--for", "batch")
    assert code == 0
    assert (data["display"], data["next_option"], data["next_option_breaks"]) == ("128 sequence", None, [])
    assert main(["solve", scenario("2 s"), "--for", "batch"]) == 0
    assert "it is the largest option: none beyond it to break a budget" in capsys.readouterr().out


def test_only_one_budget(scenario, capsys):
    # --budget capacity: latency does not count, and batch does not move capacity: every batch holds.
    code, data = _solved(capsys, scenario("50 ms"), "--for", "batch", "--budget", "capacity")
    assert code == 0 and data["display"] == "128 sequence"


LOGNORMAL = """\
name: risky
inputs:
  replicas: { range: [1 replica, 6 replica] }
  work: 100 to 400 request/s
  per_replica: 100 request/s/replica
derived:
  busy: work / (replicas * per_replica) * 1 s
budgets:
  busy: BUDGET
settings: { samples: 40000 }
"""


@pytest.mark.parametrize(("budget", "smallest", "below"), [("<= 1 s", 4, 3), ("{ max: 1 s, percentile: 99% }", 6, 5)])
def test_options_at_a_risk(tmp_path, monkeypatch, capsys, budget, smallest, below):
    # work is lognormal (median 200, sigma = ln 2 / 1.645): its 90th percentile is 343 request/s, its 99th 533.
    # --risk 10%: P(busy > 1 s) ≤ 10% from 4 replicas (343 ≤ 400); the p99 budget holds from 6 (533 ≤ 600).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(LOGNORMAL.replace("BUDGET", budget), encoding="utf-8")
    code, data = _solved(capsys, "r.yaml", "--for", "replicas", "--risk", "10%")
    assert code == 0
    assert (data["direction"], data["display"], data["risk"]) == ("min", f"{smallest} replica", 0.1)
    assert (data["next_option"], data["next_option_breaks"]) == (f"{below} replica", ["busy"])
