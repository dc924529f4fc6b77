"""2-D sweeps: `envelope sweep FILE X FROM TO --and Y FROM TO`: a grid of values and statuses, and its heat map."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import calculator
from calculator.analysis.sweep import grid_sweep
from calculator.cli.main import main
from calculator.outputs.heatmap import heat_map_text

# product = a × b against a max of 10 (warn from 80%, so at 8 and above); slack = 12 − a − b against a min of 1;
# a path of a + b seconds against 9 s.
SCENARIO = """\
name: grid
inputs:
  a: 2
  b: 2
derived:
  product: a * b
  slack: 12 - a - b
budgets:
  product: <= 10
  slack: {min: 1, warn: 50%}
latency:
  path:
    budget: 9 s
    stages:
      first: a * 1 s
      second: b * 1 s
"""


def hand_status(a: float, b: float) -> dict[str, str]:
    """Each budget's status at (a, b), from the rules of docs/format.md, worked out here by hand."""
    product = a * b
    slack = 12 - a - b
    total = a + b
    return {
        "product": "fail" if product > 10 else "warn" if product / 10 >= 0.8 else "ok",
        "slack": "fail" if slack < 1 else "warn" if 1 / slack >= 0.5 else "ok",
        "latency path": "fail" if total > 9 else "warn" if total / 9 >= 0.8 else "ok",
    }


def worst(statuses: dict[str, str]) -> str:
    return max(statuses.values(), key=["ok", "warn", "fail"].index)


@pytest.fixture
def file(tmp_path: Path) -> str:
    path = tmp_path / "grid.yaml"
    path.write_text(SCENARIO)
    return str(path)


def test_grid_statuses_and_values_are_those_worked_out_by_hand(file: str) -> None:
    grid = grid_sweep(calculator.load(file), ("a", "1", "5"), ("b", "1", "9"), (5, 9))
    assert grid.x.values == [1, 2, 3, 4, 5] and grid.y.values == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert grid.budgets == ["product", "slack", "latency path"]
    for j, b in enumerate(grid.y.values):
        for i, a in enumerate(grid.x.values):
            expected = hand_status(a, b)
            assert {label: grid.statuses[label][j][i] for label in grid.budgets} == expected, (a, b)
            assert grid.status[j][i] == worst(expected)
            assert grid.values["product"][j][i] == a * b
            slack = 12 - a - b  # a lower limit's utilization is limit / value; nothing of it is met at 0 or below
            assert grid.utilizations["slack"][j][i] == (pytest.approx(1 / slack) if slack > 0 else float("inf"))
    # by hand at the boundaries: a=2, b=4 is 8 (80%: warn), a=2, b=5 is 10 (equal: not over, warn), b=6 is 12: fail
    assert [grid.statuses["product"][j][1] for j in (3, 4, 5)] == ["warn", "warn", "fail"]


def test_the_grid_agrees_with_a_point_evaluation_at_every_point(file: str) -> None:
    model = calculator.load(file)
    grid = grid_sweep(model, ("a", "0.5", "6"), ("b", "0.5", "7"), (12, 14), log=True)
    for j, b in enumerate(grid.y.values):
        for i, a in enumerate(grid.x.values):
            result = model.evaluate({"a": a, "b": b}).result
            assert grid.status[j][i] == result.status, (a, b)
    assert grid.x.values[0] == pytest.approx(0.5) and grid.x.values[-1] == pytest.approx(6)
    ratios = [later / earlier for earlier, later in zip(grid.x.values, grid.x.values[1:], strict=False)]
    assert ratios == pytest.approx([(6 / 0.5) ** (1 / 11)] * 11)  # --log: geometric steps


def test_the_heat_map_reads_without_colour(file: str, capsys) -> None:
    assert main(["sweep", file, "a", "1", "5", "--and", "b", "1", "5", "--steps", "5"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # top row b = 5: a·5 is 5 (slack 6: 1/6, ok; path 6 s: 67%, ok), 10 (warn), then 15, 20, 25 (fail)
    assert "5 │ ✓ ▲ ✗ ✗ ✗" in lines
    # bottom row b = 1: products 1..5 are ok; a = 5 leaves slack 6 (ok) and 6 s (67%): ok
    assert "1 │ ✓ ✓ ✓ ✓ ✓" in lines
    # by hand, row by row from b = 1: ok 5 + 3 + 2 + 1 + 1 = 12; warn (products 8, 9 or 10) 2 + 1 + 1 + 1 = 5;
    # fail (products over 10) 8
    assert lines[0] == "status of 3 budgets over a × b (25 points: 12 ok, 5 warn, 8 fail)"
    assert "✓ ok" in lines[1] and "▲ warn" in lines[1] and "✗ fail" in lines[1]
    assert lines[-1].strip() == "→ a"  # dimensionless: the name alone
    counted = [worst(hand_status(a, b)) for a in range(1, 6) for b in range(1, 6)]
    assert (counted.count("ok"), counted.count("warn"), counted.count("fail")) == (12, 5, 8)


def test_a_value_heat_map_shades_by_value_with_unit_labelled_axes(tmp_path: Path) -> None:
    text = """\
name: traffic
inputs:
  dau: 10M user
  searches: 5 request/user/day
derived:
  qps: dau * searches -> request/s
"""
    path = tmp_path / "traffic.yaml"
    path.write_text(text)
    grid = grid_sweep(
        calculator.load(path),
        ("dau", "10M user", "50M user"),
        ("searches", "1 request/user/day", "5 request/user/day"),
        (5, 5),
        show="qps",
    )
    drawn = heat_map_text(grid)
    lines = drawn.splitlines()
    assert lines[0] == "qps over dau × searches"
    assert "→ dau (user)" in drawn and "↑ searches (request/user/day)" in drawn
    # qps runs from 10M·1/86,400 = 116 to 50M·5/86,400 = 2.89k request/s: five equal bands of 555 request/s
    low, high = 10e6 / 86_400, 50e6 * 5 / 86_400
    assert grid.values["qps"][0][0] == pytest.approx(low) and grid.values["qps"][4][4] == pytest.approx(high)
    assert lines[1].startswith("· 120–670  ░ 670–1.2k")
    # the top row (5 searches): 579, 1157, 1736, 2315, 2894 request/s → bands 0, 1, 2, 3, 4
    assert "5 │ · ░ ▒ ▓ █" in lines
    assert "10M" in lines[-2] and "50M" in lines[-2]


def test_csv_and_json_hold_every_point(file: str, capsys) -> None:
    assert main(["sweep", file, "a", "1", "3", "--and", "b", "1", "2", "--steps", "3", "2", "--format", "csv"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["a", "b", "product", "slack", "product status", "slack status", "latency path status", "status"]
    assert len(rows) == 1 + 3 * 2
    assert rows[-1] == ["3", "2", "6", "7", "ok", "ok", "ok", "ok"]  # 6 of 10: 60%; 1/7 of slack; 5 s of 9 s
    assert main(["sweep", file, "a", "1", "3", "--and", "b", "1", "2", "--steps", "3", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["x"]["values"] == [1, 2, 3] and data["y"]["values"] == [1, 2]
    assert len(data["cells"]) == 6
    assert data["cells"][4] == {
        "x": 2.0,
        "y": 2.0,
        "values": {"product": 4.0, "slack": 8.0},
        "status": "ok",
        "budgets": {"product": "ok", "slack": "ok", "latency path": "ok"},
    }


def test_a_grid_over_the_memory_budget_is_refused_saying_how_many_points_fit(tmp_path: Path, capsys) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO + "settings: {memory_budget: 2 KB}\n")
    model = calculator.load(path)
    rows = len(model.compiled.slots) + len(model.compiled.inputs)  # every slot and input, 8 bytes a point
    fit = int(2000 // (8 * rows))
    assert main(["sweep", str(path), "a", "1", "5", "--and", "b", "1", "5", "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert f"error: a grid of 10 × 10 = 100 points of {rows} values needs 0 MB, over the memory budget of 0 MB:" in err
    assert f"at most {fit} points fit" in err and "hint: fewer --steps, or raise settings.memory_budget" in err
    assert main(["sweep", str(path), "a", "1", "5", "--and", "b", "1", "5", "--steps", "4", str(fit // 4)]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--and", "a", "1", "2"], "error: --and needs a second input, not 'a' again"),
        (["--and", "c", "1", "2"], "error: 'c' is not an input of this scenario"),
        (["--and", "b", "1", "2", "--steps", "3", "4", "5"], "error: --steps takes N or N M with --and, not 3 numbers"),
        (["--and", "b", "1", "2", "--steps", "1"], "error: --steps takes 2 to 10,000, not 1"),
        (["--and", "b", "1", "2", "--show", "product", "slack"], "error: with --and, --show takes one value: the heat map's"),
        (["--and", "b", "1", "2", "--show", "prodcut"], "error: no value 'prodcut' to show"),
        (["--and", "b", "0", "2", "--log"], "error: --log needs both ends of the range of 'b' above zero"),
        (["--and", "b", "1", "2", "--format", "markdown"], "error: a grid is written as table, csv or json"),
        (["--steps", "3", "4"], "error: --steps takes one number (two go with --and: N for INPUT, M for the second)"),
        (["--and", "b", "1 s", "2"], "sweep b 1 s: error: 'b' is in 'dimensionless', not 's'"),
    ],
)
def test_bad_grid_options_exit_2(file: str, capsys, arguments: list[str], message: str) -> None:
    assert main(["sweep", file, "a", "1", "5", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_formula_that_fails_at_a_point_is_reported_as_a_point_evaluation_reports_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "pole.yaml"
    path.write_text("name: pole\ninputs:\n  a: 1\n  b: 1\nderived:\n  inverse: b / (a - 3)\nbudgets:\n  inverse: <= 5\n")
    assert main(["sweep", str(path), "a", "1", "5", "--and", "b", "1", "2", "--steps", "5", "2"]) == 2
    assert "pole.yaml:6:14: error: division by zero in 'b / (a - 3)'" in capsys.readouterr().err


def test_csv_lines_end_in_a_plain_newline_in_one_and_two_dimensions(file: str, capsys) -> None:
    # csv's default "\r\n" reached the terminal as the escaped text "\x0d" at the end of every line
    assert main(["sweep", file, "a", "1", "2", "--steps", "2", "--format", "csv"]) == 0
    one = capsys.readouterr().out
    assert main(["sweep", file, "a", "1", "2", "--and", "b", "1", "2", "--steps", "2", "--format", "csv"]) == 0
    two = capsys.readouterr().out
    for out in (one, two):
        assert "\\x0d" not in out and "\r" not in out
    assert one.splitlines()[1] == "1,2,9,ok,ok,ok"  # a = 1 with b at 2: product 2, slack 12 - 3 = 9, path 3 s of 9 s


def test_a_grid_larger_than_the_terminal_shows_evenly_spaced_points_and_says_so(file: str) -> None:
    grid = grid_sweep(calculator.load(file), ("a", "1", "5"), ("b", "1", "9"), (401, 201))
    lines = heat_map_text(grid, width=80).splitlines()
    # b steps by 0.04, so row labels take 4 characters ("1.16"): 80 columns less 4 and the axis (3) leave 73
    # one-character cells; at most 40 rows
    assert lines[0].endswith("; 73 × 40 of the points shown, evenly spaced")
    assert lines[0].startswith("status of 3 budgets over a × b (80,601 points: ")
    rows = [line for line in lines if "│" in line]
    assert len(rows) == 40 and all(len(line.split("│")[1]) == 73 for line in rows)
    assert rows[0].startswith("   9 │") and rows[-1].startswith("   1 │")  # the top and the bottom rows always show
    # bottom row b = 1: a from 1 to 5 never breaks anything (product ≤ 5, slack ≥ 6, path ≤ 6 s of 9 s)
    assert set(rows[-1].split("│")[1]) == {"✓"}
    assert grid.counts()["ok"] + grid.counts()["warn"] + grid.counts()["fail"] == 401 * 201


def test_the_python_api_gives_the_same_grid(file: str) -> None:
    grid = calculator.sweep_grid(calculator.load(file), ("a", "1", "5"), ("b", "1", "5"), (5, 5))
    assert grid.status[4, 1] == worst(hand_status(2, 5)) == "warn"  # a = 2, b = 5: a product of 10, 100%
    assert grid.status[0, 4] == "ok" and grid.status[4, 4] == "fail"
