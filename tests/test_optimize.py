"""`envelope optimize`: a grid whose answer is worked out by hand here, a Pareto front by hand, uncertain
inputs against the lognormal's closed form, and every bad request refused with its message and exit 2."""

from __future__ import annotations

import json
import math
import textwrap

import pytest

import calculator
from calculator.analysis.optimize import Objective, optimize, pareto_front
from calculator.cli.main import main

GRID = """\
name: grid
inputs:
  gpus: { one_of: [1 gpu, 2 gpu, 4 gpu, 8 gpu] }
  batch: { powers_of_two: [8 sequence, 64 sequence] }
  price: 2 USD/hour/gpu
  per_gpu: 10 sequence/s/gpu
derived:
  throughput: gpus * per_gpu * batch / (8 sequence)
  cost: gpus * price -> USD/month
  latency: batch / (8 sequence) * 100 ms
budgets:
  throughput: ">= 160 sequence/s"
  latency: <= 450 ms
"""
# By hand: throughput = 1.25·g·b sequence/s, so it holds when g·b ≥ 128; latency = 12.5·b ms holds when b ≤ 36.
GPUS, BATCHES = (1, 2, 4, 8), (8, 16, 32, 64)
MONTH_HOURS = 365.25 * 24 / 12  # pint's month is a twelfth of a Julian year


def _by_hand() -> tuple[list[tuple[int, int]], int, int]:
    feasible, slow, short = [], 0, 0
    for g in GPUS:
        for b in BATCHES:
            breaks_throughput, breaks_latency = 1.25 * g * b < 160, 12.5 * b > 450
            slow += breaks_latency
            short += breaks_throughput
            if not (breaks_throughput or breaks_latency):
                feasible.append((g, b))
    return feasible, short, slow


@pytest.fixture
def grid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "grid.yaml").write_text(GRID, encoding="utf-8")
    return "grid.yaml"


def test_the_hand_worked_grid(grid, capsys):
    feasible, short, slow = _by_hand()
    assert (feasible, short, slow) == ([(4, 32), (8, 16), (8, 32)], 10, 4)  # the hand count, spelled out
    assert main(["optimize", grid, "--minimize", "cost", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objectives"] == [{"name": "cost", "sense": "min"}]
    assert (data["evaluated"], data["feasible"]) == (16, 3)
    assert data["infeasible_by_budget"] == {"throughput": short, "latency": slow}
    best = data["designs"][0]
    assert best["choices"] == {"gpus": "4 gpu", "batch": "32 sequence"}
    assert best["objectives"][0]["value"] == pytest.approx(4 * 2 * MONTH_HOURS)
    assert best["objectives"][0]["unit"] == "USD/month"
    # 4 gpu × 32 sequence: throughput exactly 160 against ≥ 160 (100%), latency 400 of 450 ms (88.9%)
    assert (best["binding_budget"], best["utilization"], best["status"]) == ("throughput", pytest.approx(1.0), "warn")
    assert [d["choices"]["gpus"] for d in data["designs"]] == ["4 gpu", "8 gpu", "8 gpu"]
    third = data["designs"][2]
    assert (third["binding_budget"], third["utilization"]) == ("latency", pytest.approx(400 / 450))
    assert set(best) == {"choices", "objectives", "status", "binding_budget", "utilization"}


def test_the_table_and_markdown_say_the_same(grid, capsys):
    assert main(["optimize", grid, "--minimize", "cost", "--top", "1"]) == 0
    table = capsys.readouterr().out
    assert "5.84k USD/month" in table and "4 gpu" in table and "32 sequence" in table and "8 gpu" not in table
    assert "16 designs evaluated, 3 feasible" in table and "throughput 10, latency 4" in table
    assert main(["optimize", grid, "--maximize", "throughput", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out.splitlines()
    assert markdown[0].startswith("| max throughput | gpus | batch |")
    assert "| 320 sequence/s | 8 gpu | 32 sequence |" in markdown[2]  # 1.25 × 8 × 32


def test_two_objectives_give_the_pareto_front(grid, capsys):
    # Feasible by hand: (4, 32) 8 USD/h 400 ms; (8, 16) 16 USD/h 200 ms; (8, 32) 16 USD/h 400 ms.
    # (8, 32) is dominated by (4, 32) (costlier, as slow), so the front is the other two, cheapest first.
    assert main(["optimize", grid, "--minimize", "cost", "--minimize", "latency", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [o["name"] for o in data["objectives"]] == ["cost", "latency"]
    front = [(d["choices"]["gpus"], d["choices"]["batch"]) for d in data["designs"]]
    assert front == [("4 gpu", "32 sequence"), ("8 gpu", "16 sequence")]
    assert [d["objectives"][1]["display"] for d in data["designs"]] == ["400 ms", "200 ms"]


def test_the_pareto_front_of_points_worked_by_hand():
    import numpy as np

    points = np.array([[1, 5], [2, 3], [3, 4], [2, 3], [4, 1], [5, 1], [1, 6], [3, 2]], dtype=float)
    # (3,4) is beaten by (2,3); (5,1) by (4,1); (1,6) by (1,5); the two (2,3) are equal: both stay.
    assert sorted(pareto_front(points).tolist()) == [0, 1, 3, 4, 7]
    three = np.array([[1, 2, 3], [1, 2, 4], [0, 5, 5], [2, 1, 3], [2, 2, 2]], dtype=float)
    assert sorted(pareto_front(three).tolist()) == [0, 2, 3, 4]  # (1,2,4) is beaten by (1,2,3)


def test_set_fixes_an_axis(grid, capsys):
    assert main(["optimize", grid, "--minimize", "cost", "--set", "gpus=8 gpu", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["evaluated"] == 4 and data["feasible"] == 2  # b = 16 and 32 with 8 gpu
    assert all(set(d["choices"]) == {"batch"} for d in data["designs"])


def test_no_feasible_design_exits_one_and_says_why(grid, capsys):
    assert main(["optimize", grid, "--minimize", "cost", "--set", "gpus=1 gpu"]) == 1
    out = capsys.readouterr().out
    # 1 gpu: g·b ≥ 128 needs b = 128, beyond the options; b = 64 also breaks latency.
    assert "4 designs evaluated, 0 feasible" in out and "throughput 4, latency 1" in out
    assert "no design is feasible" in out


UNCERTAIN = """\
name: serving
inputs:
  replicas: { range: [1 replica, 6 replica] }
  demand: 100 to 400 request/s
  per_replica: 100 request/s/replica
derived:
  capacity: replicas * per_replica
  headroom: capacity / demand
budgets:
  headroom: ">= 1"
settings: { risk: 10%, samples: 40000 }
"""


def test_uncertain_inputs_feasible_when_each_budget_breaks_rarely_enough():
    # demand is lognormal with its 90% interval 100..400: median 200, sigma = ln 2 / 1.645.
    sigma = math.log(2) / 1.6448536269514722

    def p_break(capacity: float) -> float:
        return 0.5 * math.erfc(math.log(capacity / 200) / sigma / math.sqrt(2))

    breaks = [p_break(100 * r) for r in range(1, 7)]
    assert [p > 0.10 for p in breaks] == [True, True, True, False, False, False]  # 3 replicas: 16.8%; 4: 5%
    model = calculator.loads(UNCERTAIN, "serving.yaml")
    outcome = optimize(model, [Objective("replicas", "min")])
    assert (outcome.evaluated, outcome.feasible, outcome.infeasible_by_budget) == (6, 3, {"headroom": 3})
    assert outcome.designs[0].choices == {"replicas": "4 replica"}
    assert outcome.uncertain and "P(break) ≤ 10%" in outcome.to_text()


PERCENTILE = """\
name: p99
inputs:
  replicas: { range: [1 replica, 6 replica] }
  work: 100 to 400 request/s
  per_replica: 100 request/s/replica
derived:
  busy: work / (replicas * per_replica) * 1 s
budgets:
  busy: BUDGET
settings: { risk: 10%, samples: 40000 }
"""


def test_a_percentile_budget_is_judged_at_its_percentile_not_by_the_risk():
    # work is lognormal, its 90% interval 100..400: mu = ln 200, sigma = ln 2 / 1.645; busy = work / (100 r) s.
    mu, sigma = math.log(200), math.log(2) / 1.6448536269514722

    def quantile(z: float) -> float:  # of work, request/s
        return math.exp(mu + sigma * z)

    p99, p90 = quantile(2.3263478740408408), quantile(1.2815515655446004)  # 533 and 343 request/s
    by_percentile = [r for r in range(1, 7) if p99 / (100 * r) <= 1]  # the 99th percentile of busy ≤ 1 s
    by_risk = [r for r in range(1, 7) if p90 / (100 * r) <= 1]  # P(busy > 1 s) ≤ 10%: the 90th percentile holds
    assert (by_percentile, by_risk) == ([6], [4, 5, 6])  # the two rules differ, spelled out
    judged = calculator.loads(PERCENTILE.replace("BUDGET", "{ max: 1 s, percentile: 99% }"), "p99.yaml")
    outcome = optimize(judged, [Objective("replicas", "min")])
    assert (outcome.evaluated, outcome.feasible, outcome.infeasible_by_budget) == (6, 1, {"busy": 5})
    assert outcome.designs[0].choices == {"replicas": "6 replica"}
    assert "P(break) ≤ 10%, a percentile budget at its percentile" in outcome.to_text()
    plain = calculator.loads(PERCENTILE.replace("BUDGET", "<= 1 s"), "plain.yaml")
    outcome = optimize(plain, [Objective("replicas", "min")], top=6)
    assert [d.choices["replicas"] for d in outcome.designs] == [f"{r} replica" for r in by_risk]


def test_a_percentile_budget_without_uncertain_inputs_judges_the_point():
    # work fixed at 200 request/s: busy = 2 / r s, at most 1 s from 2 replicas (exactly 1 s holds a max).
    text = PERCENTILE.replace("100 to 400 request/s", "200 request/s")
    model = calculator.loads(text.replace("BUDGET", "{ max: 1 s, percentile: 99% }"), "point.yaml")
    outcome = optimize(model, [Objective("replicas", "min")], top=6)
    assert not outcome.uncertain
    assert [d.choices["replicas"] for d in outcome.designs] == [f"{r} replica" for r in range(2, 7)]


def test_a_percentile_latency_path_is_judged_at_its_percentile():
    # the same lognormal as a path's one stage: its p99 is 533/(100 r) s against 1 s, holding from 6 replicas.
    text = PERCENTILE.replace(
        "budgets:\n  busy: BUDGET\n",
        "latency:\n  serve:\n    budget: { max: 1 s, percentile: 99% }\n    stages:\n      busy: busy\n",
    )
    outcome = optimize(calculator.loads(text, "path.yaml"), [Objective("replicas", "min")])
    assert (outcome.feasible, outcome.infeasible_by_budget) == (1, {"serve": 5})
    assert outcome.designs[0].choices == {"replicas": "6 replica"}


def test_uncertain_designs_share_their_samples_so_the_run_repeats():
    model = calculator.loads(UNCERTAIN, "serving.yaml")
    first = optimize(model, [Objective("capacity", "max")], top=6).to_dict()
    assert first == optimize(model, [Objective("capacity", "max")], top=6).to_dict()


def _run(tmp_path, monkeypatch, capsys, text: str, *args: str) -> tuple[int, str]:
    (tmp_path / "s.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["optimize", "s.yaml", *args])
    return code, capsys.readouterr().err


def test_an_unknown_objective(tmp_path, monkeypatch, capsys):
    code, err = _run(tmp_path, monkeypatch, capsys, GRID, "--minimize", "cots")
    assert code == 2
    assert err.splitlines() == ["--minimize cots: error: 'cots' is not a value of this scenario", "  hint: did you mean 'cost'?"]


def test_an_objective_with_nothing_to_choose(tmp_path, monkeypatch, capsys):
    code, err = _run(tmp_path, monkeypatch, capsys, "name: s\ninputs:\n  a: 2 gpu\nderived:\n  b: a * 2\n", "--minimize", "b")
    assert code == 2
    assert err.splitlines()[0] == "s.yaml: error: nothing to choose: no input or hardware binding of this scenario has options"
    assert "hint: list an input's options" in err


def test_no_objective_and_a_bad_top(tmp_path, monkeypatch, capsys):
    code, err = _run(tmp_path, monkeypatch, capsys, GRID)
    assert code == 2 and "say what to optimize: --minimize NAME or --maximize NAME" in err
    code, err = _run(tmp_path, monkeypatch, capsys, GRID, "--minimize", "cost", "--top", "0")
    assert code == 2 and err.startswith("--top: error: --top takes 1 or more, not 0")


def test_too_many_designs_for_the_memory_budget(tmp_path, monkeypatch, capsys):
    text = """\
    name: s
    inputs:
      a: { range: [1 gpu, 10000 gpu] }
      b: { range: [1 node, 100 node] }
    derived:
      c: a * b
    settings: { memory_budget: 1 MB }
    """
    code, err = _run(tmp_path, monkeypatch, capsys, text, "--minimize", "c")
    assert code == 2
    assert err.splitlines()[0] == (
        "s.yaml:3:8: error: 1,000,000 designs (10,000 × 100 options) need more than the memory budget of 1 MB"
    )
    assert "hint: fewer options ('a' has 10,000), fix some with --set NAME=VALUE" in err


def test_a_big_grid_runs_in_chunks_and_agrees_with_numpy(tmp_path):
    import numpy as np

    text = """\
    name: big
    inputs:
      a: { range: [1 gpu, 400 gpu] }
      b: { range: [1 node, 250 node] }
    derived:
      c: a * b / (1 gpu*node) + a / (1 gpu)
    budgets:
      c: <= 20000
    settings: { memory_budget: 8 MB }
    """
    model = calculator.loads(textwrap.dedent(text), "big.yaml")
    done: list[int] = []
    outcome = optimize(model, [Objective("c", "max")], top=3, progress=lambda n, total: done.append(n))
    assert len(done) > 1 and done[-1] == 100_000  # 100,000 designs do not fit one chunk of 8 MB
    a, b = np.meshgrid(np.arange(1, 401), np.arange(1, 251), indexing="ij")
    c = a * b + a
    ok = c <= 20000
    assert (outcome.evaluated, outcome.feasible, outcome.infeasible_by_budget) == (
        100_000,
        int(ok.sum()),
        {"c": int((~ok).sum())},
    )
    assert outcome.designs[0].objectives[0].value == c[ok].max()


def _readme_section() -> str:
    from tests.helpers import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Choosing a design: `envelope optimize`")
    return readme[start : readme.index("\n### ", start + 1)]


def test_the_readme_examples_print_what_they_say(tmp_path, monkeypatch, capsys):
    import re
    import shlex

    section = _readme_section()
    scenario = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert scenario is not None
    (tmp_path / "serving.yaml").write_text(scenario[1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runs = re.findall(r"```text\n\$ envelope (.*?)\n(.*?)```", section, re.S)
    assert len(runs) == 2
    for command, shown in runs:
        assert main(shlex.split(command)) == 0
        assert capsys.readouterr().out == shown


def test_the_progress_bar_shows_only_on_a_terminal_after_a_second(monkeypatch):
    from calculator.cli import optimize as cli

    clock = iter([0.0, 0.5, 1.5, 1.6])
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    with cli._ProgressBar(terminal=True) as bar:  # started at 0.0
        bar(10, 100)  # 0.5 s: not yet
        assert bar.bar is None
        bar(20, 100)  # 1.5 s: shown
        assert bar.bar is not None and bar.bar.tasks[0].completed == 20
        bar(30, 100)
        assert bar.bar.tasks[0].completed == 30
    quiet = cli._ProgressBar(terminal=False)
    quiet(10, 100)
    assert quiet.bar is None


def test_latency_paths_rule_designs_out_too():
    text = """\
    name: paths
    units: [shard]
    inputs:
      shards: { one_of: [1 shard, 2 shard, 4 shard, 8 shard] }
      scan: 160 ms*shard
    derived:
      per_shard: scan / shards
      cost: shards * 3 USD/shard
    latency:
      query:
        budget: 70 ms
        stages:
          network: 10 ms
          search:
            parallel:
              shard_scan: per_shard
              cache: 5 ms
    """
    # By hand: the path takes 10 ms + max(160 / s ms, 5 ms): 170, 90, 50, 30 ms; 70 ms holds for 4 and 8 shards.
    model = calculator.loads(textwrap.dedent(text), "paths.yaml")
    outcome = optimize(model, [Objective("cost", "min")])
    assert (outcome.evaluated, outcome.feasible, outcome.infeasible_by_budget) == (4, 2, {"query": 2})
    best = outcome.designs[0]
    assert best.choices == {"shards": "4 shard"} and best.binding_budget == "query"
    assert best.utilization == pytest.approx(50 / 70)


CARDS = """\
kind: gpu
entries:
  Card-S:
    source: https://example.com/card-s
    as_of: 2026-11-01
    fields: {memory: 40 GB/gpu, hourly_price: 1 USD/hour/gpu}
  Card-M:
    source: https://example.com/card-m
    as_of: 2026-11-01
    fields: {memory: 80 GB/gpu, hourly_price: 3 USD/hour/gpu}
  Card-L:
    source: https://example.com/card-l
    as_of: 2026-11-01
    fields: {memory: 160 GB/gpu, hourly_price: 7 USD/hour/gpu}
"""
HARDWARE = """\
name: which card
catalog: [cards.yaml]
hardware:
  gpu: { one_of: [Card-S, Card-M, Card-L] }
inputs:
  gpus: { one_of: [1 gpu, 2 gpu, 4 gpu] }
  weights: 150 GB
derived:
  memory: gpus * gpu.memory
  cost: gpus * gpu.hourly_price -> USD/hour
budgets:
  memory: ">= weights"
"""


def test_hardware_bindings_with_options_are_axes(tmp_path, monkeypatch, capsys):
    # By hand: memory = g × card memory must reach 150 GB. Card-S (40): 4 gpu only (160); Card-M (80): 2 and 4;
    # Card-L (160): 1, 2, 4. Cost g × price: S×4 = 4, M×2 = 6, L×1 = 7, M×4 = 12, L×2 = 14, L×4 = 28 USD/hour.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards.yaml").write_text(CARDS, encoding="utf-8")
    (tmp_path / "which.yaml").write_text(HARDWARE, encoding="utf-8")
    assert main(["optimize", "which.yaml", "--minimize", "cost", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["evaluated"], data["feasible"], data["infeasible_by_budget"]) == (9, 6, {"memory": 3})
    assert [(d["choices"]["gpus"], d["choices"]["gpu"]) for d in data["designs"]] == [
        ("4 gpu", "Card-S"),
        ("2 gpu", "Card-M"),
        ("1 gpu", "Card-L"),
        ("4 gpu", "Card-M"),
        ("2 gpu", "Card-L"),
        ("4 gpu", "Card-L"),
    ]
    assert [d["objectives"][0]["value"] for d in data["designs"]] == pytest.approx([4, 6, 7, 12, 14, 28])
    assert data["designs"][0]["utilization"] == pytest.approx(150 / 160)
    # --set fixes a binding as it fixes an input: Card-M only, 2 of its 3 designs hold
    assert main(["optimize", "which.yaml", "--minimize", "cost", "--set", "gpu=Card-M", "--format", "json"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert (fixed["evaluated"], fixed["feasible"]) == (3, 2)
    assert [d["choices"] for d in fixed["designs"]] == [{"gpus": "2 gpu"}, {"gpus": "4 gpu"}]
