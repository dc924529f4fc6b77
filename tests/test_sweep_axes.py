"""A sweep over an input's options, and 2-D sweeps whose axis is an input's options or a hardware binding
(issue 14, "2-D sweeps"): every status worked out here by hand from the catalog's figures, read from its YAML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

import calculator
from calculator.analysis.sweep import grid_sweep
from calculator.catalog.entries import CATALOG_DIR
from calculator.cli.main import main
from calculator.outputs.heatmap import heat_map_text

GPUS = ["H100-SXM", "H200", "B200"]
TP = [1, 2, 4]
# fill = weights / (tp · memory) against a max of 1; hourly = tp · price against 30 USD/hour (both warn from 80%).
SCENARIO = """\
name: axes
hardware:
  gpu: { one_of: [H100-SXM, H200, B200], value: H200 }
inputs:
  model_params: 70B param
  bytes_per_param: 2 byte/param
  tp: { one_of: [1 gpu, 2 gpu, 4 gpu] }
derived:
  weights: model_params * bytes_per_param -> GB
  fill: weights / (tp * gpu.memory)
  hourly: tp * gpu.hourly_price -> USD/hour
budgets:
  fill: <= 1
  hourly: <= 30 USD/hour
"""


def figure(gpu: str, field: str) -> float:
    """A catalog figure's number ('80 GB/gpu' -> 80), read from the shipped catalog's YAML, not the program."""
    fields = yaml.safe_load((CATALOG_DIR / "gpus.yaml").read_text(encoding="utf-8"))["entries"][gpu]["fields"]
    value = fields[field]["value"] if isinstance(fields[field], dict) else fields[field]
    return float(str(value).split()[0])


def status(value: float, limit: float) -> str:
    """An upper limit's status (docs/format.md): fail above it, warn from 80% of it."""
    return "fail" if value > limit else "warn" if value / limit >= 0.8 else "ok"


def hand(gpu: str, tp: int, params_b: float = 70) -> dict[str, str]:
    weights_gb = params_b * 2  # 2 bytes a parameter
    return {"fill": status(weights_gb / (tp * figure(gpu, "memory")), 1), "hourly": status(tp * figure(gpu, "hourly_price"), 30)}


def worst(statuses: dict[str, str]) -> str:
    return max(statuses.values(), key=["ok", "warn", "fail"].index)


@pytest.fixture
def file(tmp_path: Path) -> str:
    path = tmp_path / "axes.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sweep_over_an_inputs_options_has_one_row_an_option(file: str, capsys) -> None:
    code, out, _ = run(capsys, "sweep", file, "tp", "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [row["x"] for row in rows] == ["1 gpu", "2 gpu", "4 gpu"]
    h200 = figure("H200", "memory"), figure("H200", "hourly_price")  # the file's value: H200
    for row, tp in zip(rows, TP, strict=True):
        assert row["values"]["fill"] == pytest.approx(140 / (tp * h200[0]))
        assert row["values"]["hourly"] == pytest.approx(tp * h200[1])
        assert row["status"] == hand("H200", tp)


def test_the_options_sweep_table_names_each_option_as_written(file: str, capsys) -> None:
    code, out, _ = run(capsys, "sweep", file, "tp", "--show", "hourly", "--format", "markdown")
    assert code == 0
    assert [line.split(" | ")[0].strip("| ") for line in out.splitlines()[2:]] == ["1 gpu", "2 gpu", "4 gpu"]


def test_a_grid_of_a_hardware_binding_by_an_inputs_options(file: str, capsys) -> None:
    code, out, _ = run(capsys, "sweep", file, "gpu", "--and", "tp", "--format", "json")
    assert code == 0
    grid = json.loads(out)
    assert grid["x"]["values"] == GPUS
    assert grid["y"]["values"] == ["1 gpu", "2 gpu", "4 gpu"]
    cells = {(cell["x"], cell["y"]): cell for cell in grid["cells"]}
    assert len(cells) == 9
    for gpu in GPUS:
        for tp in TP:
            cell = cells[(gpu, f"{tp} gpu")]
            assert cell["budgets"] == hand(gpu, tp)
            assert cell["status"] == worst(hand(gpu, tp))
    totals = [worst(hand(g, t)) for g in GPUS for t in TP]
    assert grid["counts"] == {s: totals.count(s) for s in ("ok", "warn", "fail")}
    assert set(totals) == {"ok", "warn", "fail"}  # the grid shows every status: the test can tell them apart


def test_a_grid_of_a_range_by_a_hardware_binding_in_csv(file: str, capsys) -> None:
    code, out, _ = run(
        capsys, "sweep", file, "model_params", "35B param", "140B param", "--steps", "4", "--and", "gpu", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    for row in rows:
        params_b = float(row["model_params [param]"]) / 1e9
        assert params_b in (35, 70, 105, 140)
        expected = hand(row["gpu"], 1, params_b)  # tp: its first option, 1 gpu
        assert (row["fill status"], row["hourly status"], row["status"]) == (
            expected["fill"],
            expected["hourly"],
            worst(expected),
        )
    assert [row["gpu"] for row in rows[::4]] == GPUS  # y (gpu) is the outer loop, x (4 steps) the inner


def test_the_heat_map_labels_its_axes_with_the_options(file: str) -> None:
    grid = grid_sweep(calculator.load(file), ("gpu",), ("tp",))
    text = heat_map_text(grid, width=80)
    glyph = {"ok": "✓", "warn": "▲", "fail": "✗"}
    rows = {line.split("│")[0].strip(): line.split("│")[1].split() for line in text.splitlines() if "│" in line}
    for tp in TP:
        assert rows[f"{tp} gpu"] == [glyph[worst(hand(gpu, tp))] for gpu in GPUS]
    ticks = text.splitlines()[-2].split()
    assert ticks == GPUS
    assert "↑ tp (gpu)" in text and "→ gpu" in text


def test_two_option_axes_bind_both(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(SCENARIO.replace("  model_params: 70B param", "  model_params: { one_of: [70B param, 140B param] }"))
    grid = grid_sweep(calculator.load(str(path)), ("tp",), ("model_params",))
    assert grid.y.labels == ("70B param", "140B param")
    for j, params_b in enumerate((70, 140)):
        for i, tp in enumerate(TP):
            assert str(grid.status[j, i]) == worst(hand("H200", tp, params_b))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["tp", "1 gpu", "4 gpu"], "error: 'tp' has options: it is swept over them, not from FROM to TO"),
        (["model_params"], "error: sweep model_params needs FROM and TO"),
        (["gpu", "--and", "tp", "1 gpu", "4 gpu"], "error: 'tp' has options: it is swept over them, not from FROM to TO"),
        (["gpu", "--and", "model_params"], "error: 'model_params' has no options: sweep it from FROM to TO"),
        (["model_params", "--and", "gpu"], "error: 'model_params' has no options: sweep it from FROM to TO"),
        (["tp", "--and", "gpu", "H200", "B200"], "error: 'gpu' is a hardware binding: it is swept over catalog entries"),
        (["gpu", "--and", "tp", "1 gpu"], "error: --and takes Y FROM TO, or Y alone"),
        (["gpu", "--and", "gpu"], "error: --and needs a second input, not 'gpu' again"),
        (["tp", "1 gpu", "--and", "gpu"], "error: sweep tp takes FROM and TO, or neither"),
    ],
)
def test_bad_option_axes_exit_2(file: str, capsys, arguments: list[str], message: str) -> None:
    code, _, err = run(capsys, "sweep", file, *arguments)
    assert code == 2
    assert message in err


def test_the_docs_grid_over_options_draws_what_the_docs_say(tmp_path: Path, capsys) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    scenario = doc.split("```yaml envelope\nname: Which GPU, split how many ways?\n", 1)[1].split("```", 1)[0]
    drawn = doc.split("`envelope sweep FILE gpu --and tensor_parallel` draws", 1)[1]
    drawn = drawn.split("```text\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "split.yaml"
    path.write_text("name: Which GPU, split how many ways?\n" + scenario, encoding="utf-8")
    code, out, _ = run(capsys, "sweep", str(path), "gpu", "--and", "tensor_parallel")
    assert code == 0
    assert [line.rstrip() for line in out.splitlines()] == drawn.splitlines()
    body = [line for line in scenario.replace("tensor_parallel", "tp").splitlines() if not line.startswith("#")]
    assert body == SCENARIO.splitlines()[1:]
    # the drawing's glyphs are those worked out by hand above (the doc's scenario is this file's, renamed)
    glyph = {"ok": "✓", "warn": "▲", "fail": "✗"}
    rows = {line.split("│")[0].strip(): line.split("│")[1].split() for line in drawn.splitlines() if "│" in line}
    assert rows == {f"{tp} gpu": [glyph[worst(hand(gpu, tp))] for gpu in GPUS] for tp in TP}


def test_compact_options_sweep_as_their_expanded_list(tmp_path: Path, capsys) -> None:
    path = tmp_path / "compact.yaml"
    path.write_text(
        "name: compact\ninputs:\n  replicas: { range: [2 replica, 10 replica], step: 4 replica }\n"
        "  chunk: { powers_of_two: [8 sequence, 100 sequence] }\n"
        "derived:\n  load: chunk / replicas\nbudgets:\n  load: <= 5 sequence/replica\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "sweep", str(path), "chunk", "--and", "replicas", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    chunks, replicas = [8, 16, 32, 64], [2, 6, 10]  # FROM, 2·FROM, ... up to 100; 2, 6, 10 (docs/format.md "Options")
    assert [(row["chunk [sequence]"], row["replicas [replica]"]) for row in rows] == [
        (f"{c} sequence", f"{r} replica") for r in replicas for c in chunks
    ]
    assert [row["status"] for row in rows] == [status(c / r, 5) for r in replicas for c in chunks]
