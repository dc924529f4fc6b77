"""A unit a scenario declares can count whole things (`units: {shard: whole}`): solve answers it in whole
numbers on the side that holds, as it does gpu and node (issue 13: 'whole counts stay whole')."""

from __future__ import annotations

import json
import math

import pytest

import calculator
from calculator.cli.main import main

SHARDED = """\
name: sharded
units:
  shard: {mark}
inputs:
  weights: 140 GB
  shards: 4 shard
derived:
  per_shard: weights / shards
budgets:
  per_shard: <= 11.1 GB/shard
"""
EDGE = 140 / 11.1  # 12.61 shards: 12 gives 11.67 GB/shard (breaks), 13 gives 10.77 (holds)


@pytest.mark.parametrize(
    ("mark", "display"),
    [
        ("whole", "13 shard"),  # the next whole shard above 12.61
        ("null", f"{math.ceil(EDGE * 10) / 10} shard"),  # continuous: 3 figures, rounded up to 12.7
    ],
)
def test_a_unit_marked_whole_is_solved_to_whole_numbers(tmp_path, capsys, mark, display):
    path = tmp_path / "s.yaml"
    path.write_text(SHARDED.format(mark=mark), encoding="utf-8")
    assert main(["solve", str(path), "--for", "shards", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == pytest.approx(EDGE, rel=1e-5)
    assert data["direction"] == "min" and data["display"] == display
    model = calculator.load(path)
    held = model.evaluate({"shards": model.parse_override("shards", display)}).result
    assert held.budget("per_shard").status != "fail"  # the answer shown holds when set back


def test_a_built_in_counting_unit_marked_whole_is_whole_in_that_file_only(tmp_path, capsys):
    text = SHARDED.format(mark="whole").replace("shard", "session")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["solve", str(path), "--for", "sessions", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["display"] == "13 session"
    assert "its declaration can go" not in captured.err  # the mark is why it is declared
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("units:\n  session: whole\n", ""), encoding="utf-8")
    assert main(["solve", str(other), "--for", "sessions", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["display"] == "12.7 session"


def test_a_mark_that_is_not_whole_says_what_the_forms_are(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SHARDED.format(mark="wholly"), encoding="utf-8")
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    # `  shard: ` is 9 characters: 'wholly' at column 10, read as an alias, which it is not
    assert f"{path}:3:10: error: a unit alias is a number and a unit, like '1000 frame', not 'wholly'" in err
    assert "hint: 'shard: null' is a new counting unit, 'shard: whole' one counted in whole numbers" in err
