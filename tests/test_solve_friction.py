"""solve as a user meets it: the culprit named, answers rounded toward the safe side, whole counts whole,
JSON with the display, wording that says what was asked."""

from __future__ import annotations

import json
import textwrap

import pytest

import calculator
from calculator.cli.main import main

SERVING = """\
name: serving
inputs:
  users: 10M user
  users_per_gpu: 35918.6 user/gpu
derived:
  gpus: users / users_per_gpu
budgets:
  gpus: <= 500 gpu
"""
SLOW_PATH = """\
latency:
  authorize:
    budget: 100 ms
    stages: {network: 80 ms, model: 40 ms}
"""
SHARDED = """\
name: sharded
inputs:
  weights: 140 GB
  tensor_parallel: 4 gpu
derived:
  per_gpu: weights / tensor_parallel
budgets:
  per_gpu: <= 11.1 GB/gpu
"""


def _write(tmp_path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_the_answer_shown_is_rounded_toward_the_side_that_holds(tmp_path, capsys):
    file = _write(tmp_path, SERVING)
    assert main(["solve", file, "--for", "users", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # by hand: 500 gpu x 35,918.6 user/gpu = 17,959,300 users; 18.0M would need 501.1 gpus
    assert data["value"] == pytest.approx(17_959_300, rel=1e-6)
    assert data["display"] == "17.9M user"
    assert 18.0e6 / 35_918.6 > 500 and 17.9e6 / 35_918.6 <= 500
    model = calculator.load(file)
    held = model.evaluate({"users": model.parse_override("users", data["display"])}).result
    assert held.budget("gpus").status != "fail"  # setting it back holds
    assert main(["solve", file, "--for", "users"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("users can grow to 17.9M user (largest value at which every budget holds;")
    assert "(closed form, solved by sympy)" in out and "[symbolic]" not in out


def test_whole_counts_are_solved_to_whole_numbers_on_the_side_that_holds(tmp_path, capsys):
    file = _write(tmp_path, SHARDED)
    assert main(["solve", file, "--for", "tensor_parallel", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 140 GB / 11.1 GB/gpu = 12.61 gpu: 12 breaks (11.7 GB/gpu), 13 holds (10.8 GB/gpu)
    assert data["value"] == pytest.approx(140 / 11.1, rel=1e-5)
    assert data["direction"] == "min" and data["display"] == "13 gpu"
    assert main(["solve", file, "--for", "tensor_parallel", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == "**tensor_parallel** can fall to **13 gpu** (3.25× today) before **per_gpu** breaks.\n"
    assert main(["solve", file, "--for", "tensor_parallel"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("tensor_parallel can fall to 13 gpu (smallest value at which every budget holds; today 4 gpu")
    assert "up to" not in text and "grow" not in text


def test_a_budget_that_holds_for_no_value_is_named_and_the_rest_solved(tmp_path, capsys):
    file = _write(tmp_path, SERVING + SLOW_PATH)
    assert main(["solve", file, "--for", "users"]) == 0
    out = capsys.readouterr().out
    # 80 + 40 = 120 ms > 100 ms whatever users is; gpus still binds at 17,959,300
    assert out.startswith("users can grow to 17.9M user (largest value at which every other budget holds;")
    assert "left out: latency authorize holds for no value of users" in out
    assert main(["solve", file, "--for", "users", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["holds_for_no_value"] == ["latency authorize"]


def test_when_nothing_but_the_culprit_is_left_the_error_names_it(tmp_path, capsys):
    file = _write(tmp_path, SERVING + SLOW_PATH)
    assert main(["solve", file, "--for", "users", "--budget", "authorize"]) == 2
    err = capsys.readouterr().err
    assert "error: latency authorize holds for no value of 'users' from 1e-12 to 1e12 times today's" in err
    assert "hint: it does not depend on this input enough" in err


def test_budget_option_wording_and_an_unknown_budget_lists_them(tmp_path, capsys):
    file = _write(tmp_path, SERVING + SLOW_PATH)
    assert main(["solve", file, "--for", "users", "--budget", "gpus"]) == 0
    assert "largest value at which budget 'gpus' holds;" in capsys.readouterr().out
    assert main(["solve", file, "--for", "users", "--budget", "gpu"]) == 2
    err = capsys.readouterr().err
    assert "error: no budget 'gpu' in this scenario (budgets and latency paths: gpus, authorize)" in err
    assert "did you mean 'gpus'" in err


def test_explain_of_a_latency_path(capsys):
    from tests.helpers import ROOT

    assert main(["explain", str(ROOT / "scenarios" / "tour.yaml"), "feed", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 2 x 20 ms + max(15 ms, 5 + 3 ms) + 4 x 0.5 ms + 30 ms + 10 ms = 97 ms; the network is 40/97 of it
    assert data["value"] == pytest.approx(97)
    assert data["formula"] == "network + max(ann, (graph + filter)) + features + rank + rerank"
    assert data["sensitivity"]["network"] == pytest.approx(40 / 97)
    assert data["sensitivity"]["candidates › follows › graph"] == 0  # off the critical path
    assert main(["explain", str(ROOT / "scenarios" / "tour.yaml"), "latency feed"]) == 0
    assert "= 97 ms of 200 ms (48%, ok)" in capsys.readouterr().out


def test_explain_of_an_unknown_name_lists_paths_and_values(capsys):
    from tests.helpers import ROOT

    assert main(["explain", str(ROOT / "scenarios" / "tour.yaml"), "fed"]) == 2
    assert "did you mean 'feed'?" in capsys.readouterr().err
    assert main(["explain", str(ROOT / "scenarios" / "tour.yaml"), "zzz"]) == 2
    assert "hint: latency paths and values: feed, dau, " in capsys.readouterr().err
