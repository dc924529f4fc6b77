"""Hardware bindings as variables (issue 14): `--set gpu=H200`, `one_of:` options, sweeps over catalog
entries, diff of a changed choice, arrays of designs; and the frozen checked scenario (issue 10).

The expected numbers are computed here by hand from the catalog's figures, which the test reads
back from calculator/catalog/gpus.yaml first (so a change of the data says so, not a wrong sum)."""

from __future__ import annotations

import dataclasses
import json
import math
import textwrap
from pathlib import Path

import pytest
import yaml

import calculator
from calculator.cli.main import main
from calculator.engine.scenario import CheckedValue, Value
from tests.helpers import ROOT

GB, TB = 8e9, 8e12  # in base units: pint's base unit of information is the bit
# The figures the scenario below reads, as calculator/catalog/gpus.yaml writes them (checked in
# test_the_figures_used_are_the_catalogs): memory GB/gpu, memory_bandwidth TB/s/gpu, hourly_price USD/hour/gpu.
FIGURES = {
    "H100-SXM": ("80 GB/gpu", "3.35 TB/s/gpu", "6.88 USD/hour/gpu"),
    "H200": ("141 GB/gpu", "4.8 TB/s/gpu", "7.91 USD/hour/gpu"),
    "B200": ("180 GB/gpu", "8 TB/s/gpu", "14.24 USD/hour/gpu"),
}
MEMORY = {"H100-SXM": 80.0, "H200": 141.0, "B200": 180.0}  # GB per gpu
BANDWIDTH = {"H100-SXM": 3.35, "H200": 4.8, "B200": 8.0}  # TB/s per gpu
PRICE = {"H100-SXM": 6.88, "H200": 7.91, "B200": 14.24}  # USD per gpu-hour

SCENARIO = """\
name: gpu choice
hardware:
  gpu: {GPU}
inputs:
  model_bytes: 140 GB
  tensor_parallel: 2 gpu
derived:
  memory: tensor_parallel * gpu.memory -> GB
  step: model_bytes / (tensor_parallel * gpu.memory_bandwidth) -> ms
  monthly: tensor_parallel * gpu.hourly_price * 730 hour/month -> USD/month
budgets:
  memory: ">= 200 GB"
  step: "<= 20 ms"
"""


def scenario(tmp_path: Path, gpu: str = "H100-SXM", name: str = "gpu.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SCENARIO.replace("{GPU}", gpu), encoding="utf-8")
    return path


def memory_gb(gpu: str) -> float:
    return 2 * MEMORY[gpu]


def step_ms(gpu: str) -> float:
    return 140 * GB / (2 * BANDWIDTH[gpu] * TB) * 1e3


def monthly_usd(gpu: str) -> float:
    return 2 * PRICE[gpu] * 730


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_figures_used_are_the_catalogs():
    entries = yaml.safe_load((ROOT / "calculator" / "catalog" / "gpus.yaml").read_text())["entries"]
    for gpu, figures in FIGURES.items():
        fields = entries[gpu]["fields"]
        assert tuple(_text(fields[name]) for name in ("memory", "memory_bandwidth", "hourly_price")) == figures


def _text(figure: str | dict[str, str]) -> str:
    """A catalog figure's value: written alone, or as the `value:` of a mapping with its source."""
    return figure["value"] if isinstance(figure, dict) else figure


# --- --set gpu=ID ------------------------------------------------------------------------------------------------


def test_set_gpu_gives_what_a_file_binding_that_gpu_gives(tmp_path, capsys):
    h100, h200 = scenario(tmp_path), scenario(tmp_path, "H200", "h200.yaml")
    code, set_out, _ = run(capsys, "eval", str(h100), "--set", "gpu=H200", "--format", "json")
    bound_code, bound_out, _ = run(capsys, "eval", str(h200), "--format", "json")
    assert code == bound_code == 0
    with_set, bound = json.loads(set_out), json.loads(bound_out)
    assert with_set.pop("file") != bound.pop("file")
    assert with_set == bound  # every value, budget, status and the binding itself
    assert with_set["hardware"] == {"gpu": "H200"}
    # JSON numbers have 6 significant figures
    assert with_set["values"]["memory"]["value"] == pytest.approx(memory_gb("H200"), rel=1e-5)
    assert with_set["values"]["step"]["value"] == pytest.approx(step_ms("H200"), rel=1e-5)
    assert with_set["values"]["monthly"]["value"] == pytest.approx(monthly_usd("H200"), rel=1e-5)


def test_set_gpu_on_the_shipped_llm_serving_equals_a_copy_bound_to_h200(tmp_path, capsys):
    text = (ROOT / "scenarios" / "llm_serving.yaml").read_text(encoding="utf-8")
    assert "  gpu: H100-SXM\n" in text
    copy = tmp_path / "llm_serving_h200.yaml"
    copy.write_text(text.replace("  gpu: H100-SXM\n", "  gpu: H200\n"), encoding="utf-8")
    _, set_out, _ = run(capsys, "eval", str(ROOT / "scenarios" / "llm_serving.yaml"), "--set", "gpu=h200", "--format", "json")
    _, bound_out, _ = run(capsys, "eval", str(copy), "--format", "json")
    with_set, bound = json.loads(set_out), json.loads(bound_out)
    with_set.pop("file"), bound.pop("file")
    assert with_set == bound
    default = calculator.evaluate(str(ROOT / "scenarios" / "llm_serving.yaml"))
    assert with_set["values"]["kv_memory_per_replica"]["value"] != default.values["kv_memory_per_replica"].value


def test_python_overrides_take_a_catalog_entry(tmp_path):
    by_override = calculator.evaluate(str(scenario(tmp_path)), {"gpu": "B200", "tensor_parallel": "2 gpu"})
    by_file = calculator.evaluate(str(scenario(tmp_path, "B200", "b200.yaml")))
    assert {n: v.base for n, v in by_override.values.items()} == {n: v.base for n, v in by_file.values.items()}
    assert by_override.values["step"].value == pytest.approx(step_ms("B200"))
    assert by_override.hardware == {"gpu": "B200"}


def test_switching_hardware_reuses_the_compiled_scenario(tmp_path):
    model = calculator.load(scenario(tmp_path))
    rebound = model.with_hardware([model.choose("gpu", "H200")])
    assert rebound.compiled is model.compiled  # no new check, no new compile
    assert rebound.evaluate().base("memory") == pytest.approx(memory_gb("H200") * GB)
    assert model.evaluate().base("memory") == pytest.approx(memory_gb("H100-SXM") * GB)  # the original is untouched
    assert model.scenario.hardware["gpu"].id == "H100-SXM"


@pytest.mark.parametrize(
    "command", [["explain", "step"], ["solve", "--for", "model_bytes"], ["sweep", "tensor_parallel", "1 gpu", "4 gpu"]]
)
def test_every_command_that_takes_set_takes_a_binding(tmp_path, capsys, command):
    path = str(scenario(tmp_path))
    code, out, err = run(capsys, command[0], path, *command[1:], "--set", "gpu=H200", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    if command[0] == "explain":
        assert data["value"] == pytest.approx(step_ms("H200"), rel=1e-3)
    elif command[0] == "solve":  # step <= 20 ms: model_bytes up to 20 ms x 2 gpu x 4.8 TB/s = 192 GB
        assert data["unit"] == "gigabyte"
        assert data["value"] == pytest.approx(20e-3 * 2 * BANDWIDTH["H200"] * 1e12 / 1e9, rel=1e-3)
    else:
        first = data["rows"][0]  # 1 gpu of H200
        assert first["values"]["memory"] == pytest.approx(MEMORY["H200"], rel=1e-5)


def test_explain_reads_the_chosen_entrys_figures_in_its_numbers(tmp_path, capsys):
    code, out, _ = run(capsys, "explain", str(scenario(tmp_path)), "step", "--set", "gpu=B200")
    assert code == 0
    assert "8 TB/s/gpu" in out and "3.35 TB/s/gpu" not in out


@pytest.mark.parametrize(
    ("assignment", "message", "hint"),
    [
        ("gpu=H20", "no catalog entry 'H20'", "did you mean 'H200'?"),
        ("gpu=H100", "'H100' is ambiguous: it could be H100-SXM, H100-PCIe, H100-NVL", "write the full id"),
        ("gpu=p5.48xlarge", "'p5.48xlarge' is an entry of kind 'instance'; 'gpu' is bound to one of kind 'gpu'", "gpu entries:"),
        ("gpus=H200", "'gpus' is not an input of this scenario", None),
    ],
)
def test_a_bad_entry_in_set_is_a_usage_error(tmp_path, capsys, assignment, message, hint):
    code, _, err = run(capsys, "eval", str(scenario(tmp_path)), "--set", assignment)
    assert code == 2
    assert f"--set {assignment}: error: {message}" in err
    if hint:
        assert hint in err


def test_an_entry_without_a_figure_the_formulas_read_is_refused(tmp_path, capsys):
    (tmp_path / "mine.yaml").write_text(
        textwrap.dedent("""\
            kind: gpu
            entries:
              Tiny:
                source: https://example.com/tiny
                as_of: 2026-01-01
                fields:
                  memory: 16 GB/gpu
                  hourly_price: 1 USD/hour/gpu
              Flat:
                source: https://example.com/flat
                as_of: 2026-01-01
                fields:
                  memory: 16 GB
                  memory_bandwidth: 1 TB/s/gpu
                  hourly_price: 1 USD/hour/gpu
        """),
        encoding="utf-8",
    )
    path = str(scenario(tmp_path))
    code, _, err = run(capsys, "eval", path, "--catalog", str(tmp_path / "mine.yaml"), "--set", "gpu=Tiny")
    assert code == 2
    assert "error: catalog entry Tiny has no field 'memory_bandwidth' (a formula reads gpu.memory_bandwidth)" in err
    code, _, err = run(capsys, "eval", path, "--catalog", str(tmp_path / "mine.yaml"), "--set", "gpu=Flat")
    assert code == 2
    assert "error: Flat's memory is in 'byte', where the formulas read gpu.memory in 'byte/gpu'" in err


# --- one_of ------------------------------------------------------------------------------------------------------

OPTIONS = "{ one_of: [H100-SXM, H200, B200], value: H200 }"


def test_one_of_evaluates_its_value_or_its_first_option(tmp_path):
    model = calculator.load(scenario(tmp_path, OPTIONS))
    assert model.evaluate().result.hardware == {"gpu": "H200"}
    assert model.evaluate().base("memory") == pytest.approx(memory_gb("H200") * GB)
    first = calculator.load(scenario(tmp_path, "{ one_of: [B200, H200] }", "first.yaml"))
    assert first.evaluate().base("memory") == pytest.approx(memory_gb("B200") * GB)


def test_the_view_lists_a_bindings_options(tmp_path):
    (binding,) = calculator.load(scenario(tmp_path, OPTIONS)).view().bindings
    assert (binding.name, binding.entry, binding.kind, binding.listed) == ("gpu", "H200", "gpu", True)
    assert [option.id for option in binding.options] == ["H100-SXM", "H200", "B200"]
    assert binding.fields == ("memory", "memory_bandwidth", "hourly_price")
    assert dict(binding.options[2].figures)["memory"] == "180 GB/gpu"


def test_without_one_of_the_options_are_every_entry_of_the_kind_with_the_figures(tmp_path):
    entries = yaml.safe_load((ROOT / "calculator" / "catalog" / "gpus.yaml").read_text())["entries"]
    wanted = [gpu for gpu, e in entries.items() if {"memory", "memory_bandwidth", "hourly_price"} <= set(e["fields"])]
    (binding,) = calculator.load(scenario(tmp_path)).view().bindings
    assert binding.listed is False
    assert [option.id for option in binding.options] == wanted


def test_set_outside_the_options_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "eval", str(scenario(tmp_path, OPTIONS)), "--set", "gpu=L4")
    assert code == 2
    assert "error: 'L4' is not one of the options of 'gpu'" in err and "options: H100-SXM, H200, B200" in err


@pytest.mark.parametrize(
    ("binding", "where", "message"),
    [
        (
            "{ one_of: [H100-SXM, p5.48xlarge] }",
            "3:29",
            "'p5.48xlarge' is an entry of kind 'instance'; the options of 'gpu' are of kind 'gpu'",
        ),
        ("{ one_of: [H100-SXM, H2000] }", "3:29", "no catalog entry 'H2000'"),
        ("{ one_of: [H100-SXM, H200], value: L4 }", "3:43", "'L4' is not one of the options of 'gpu'"),
        ("{ one_of: [H100-SXM, h100 sxm] }", "3:29", "'h100 sxm' is listed twice in the options of 'gpu' (as H100-SXM)"),
        ("{ one_of: [] }", "3:10", "'gpu: one_of:' lists no entries"),
        (
            "{ one_of: [H100-SXM, MI300X] }",
            "3:29",
            "catalog entry MI300X has no field 'hourly_price' (a formula reads gpu.hourly_price)",
        ),
    ],
)
def test_a_bad_option_is_a_located_error(tmp_path, capsys, binding, where, message):
    path = scenario(tmp_path, binding)
    code, _, err = run(capsys, "eval", str(path))
    assert code == 2
    assert f"{path}:{where}: error: {message}" in err


# --- sweep over entries ------------------------------------------------------------------------------------------


def test_sweep_over_the_options_is_one_row_per_entry(tmp_path, capsys):
    code, out, err = run(capsys, "sweep", str(scenario(tmp_path, OPTIONS)), "gpu", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [row["x"] for row in rows] == ["H100-SXM", "H200", "B200"]
    for row, gpu in zip(rows, ["H100-SXM", "H200", "B200"], strict=True):
        assert row["values"]["memory"] == pytest.approx(memory_gb(gpu), rel=1e-5)
        assert row["values"]["step"] == pytest.approx(step_ms(gpu), rel=1e-5)
        # memory >= 200 GB: 2 x 80 = 160 fails; step <= 20 ms: 140 GB / 6.7 TB/s = 20.9 ms fails
        memory_status = "fail" if memory_gb(gpu) < 200 else ("warn" if 200 / memory_gb(gpu) >= 0.8 else "ok")
        assert row["status"]["memory"] == memory_status
        assert row["status"]["step"] == ("fail" if step_ms(gpu) > 20 else "warn" if step_ms(gpu) / 20 >= 0.8 else "ok")
    assert [row["status"]["step"] for row in rows] == ["fail", "ok", "ok"]


def test_sweep_over_a_list_shows_the_cost_of_each(tmp_path, capsys):
    code, out, _ = run(
        capsys, "sweep", str(scenario(tmp_path)), "gpu", "--over", "B200, h200", "--show", "monthly", "--format", "csv"
    )
    assert code == 0
    assert "\r" not in out and "\\x0d" not in out  # one newline a row, not an escaped carriage return
    lines = out.splitlines()
    assert lines[0] == "gpu,monthly [USD/month]"
    assert lines[1].split(",")[0] == "B200" and float(lines[1].split(",")[1]) == pytest.approx(monthly_usd("B200"), rel=1e-5)
    assert lines[2].split(",")[0] == "H200" and float(lines[2].split(",")[1]) == pytest.approx(monthly_usd("H200"), rel=1e-5)


def test_sweep_table_names_the_entries(tmp_path, capsys):
    code, out, _ = run(capsys, "sweep", str(scenario(tmp_path, OPTIONS)), "gpu", "--no-plot")
    assert code == 0
    assert "H100-SXM" in out and "B200" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gpu", "1", "2"], "'gpu' is a hardware binding: it is swept over catalog entries, not from FROM to TO"),
        (
            ["tensor_parallel", "--over", "H200"],
            "--over lists the catalog entries of a hardware binding; 'tensor_parallel' is not one",
        ),
        (["tensor_parallel"], "sweep tensor_parallel needs FROM and TO"),
        (["gpu", "--over", "H200,p5.48xlarge"], "'p5.48xlarge' is an entry of kind 'instance'"),
    ],
)
def test_bad_sweeps_over_entries_are_usage_errors(tmp_path, capsys, args, message):
    code, _, err = run(capsys, "sweep", str(scenario(tmp_path)), *args)
    assert code == 2
    assert message in err


# --- diff and compare --------------------------------------------------------------------------------------------


def test_diff_shows_a_changed_choice(tmp_path, capsys):
    code, out, _ = run(capsys, "diff", str(scenario(tmp_path)), str(scenario(tmp_path, "H200", "h200.yaml")))
    assert code == 0
    assert "| hardware | before | after |\n|---|---|---|\n| gpu | H100-SXM | H200 |\n" in out
    assert "| memory | 160 GB | 282 GB |" in out  # 2 x 80 GB, 2 x 141 GB


def test_compare_results_pairs_the_choices(tmp_path):
    model = calculator.load(scenario(tmp_path))
    comparison = calculator.compare_results(model.evaluate().result, model.evaluate({"gpu": model.choose("gpu", "B200")}).result)
    (choice,) = comparison.choices
    assert (choice.name, choice.old, choice.new, choice.changed) == ("gpu", "H100-SXM", "B200", True)
    assert str(choice) == "gpu: H100-SXM → B200"


# --- arrays of designs -------------------------------------------------------------------------------------------


def test_evaluate_designs_runs_entries_and_inputs_as_arrays(tmp_path):
    np = pytest.importorskip("numpy")
    model = calculator.load(scenario(tmp_path, OPTIONS))
    gpus = ["H100-SXM", "H200", "B200", "H200"]
    parallel = np.array([1.0, 2.0, 4.0, 8.0])  # gpu is a counting unit: 1 gpu is 1 in base units
    designs = calculator.evaluate_designs(model, {"tensor_parallel": parallel}, {"gpu": gpus})
    assert designs.count == 4 and designs.entries["gpu"] == tuple(gpus)
    expected_memory = [p * MEMORY[g] * GB for p, g in zip(parallel, gpus, strict=True)]
    expected_step = [140 * GB / (p * BANDWIDTH[g] * TB) for p, g in zip(parallel, gpus, strict=True)]  # seconds
    assert designs.value("memory") == pytest.approx(expected_memory)
    assert designs.value("step") == pytest.approx(expected_step)
    assert designs.limit(0) == pytest.approx([200 * GB] * 4)


def test_evaluate_designs_refuses_arrays_of_different_lengths(tmp_path):
    np = pytest.importorskip("numpy")
    model = calculator.load(scenario(tmp_path))
    with pytest.raises(calculator.UsageError, match=r"different lengths: \[2, 3\]"):
        calculator.evaluate_designs(model, {"tensor_parallel": np.ones(2)}, {"gpu": ["H200"] * 3})


# --- the checked scenario is immutable (issue 10) ----------------------------------------------------------------


def test_the_checked_scenario_is_frozen_and_the_model_keeps_no_checker(tmp_path):
    model = calculator.load(scenario(tmp_path))
    checked = model.scenario
    value = checked.values["memory"]
    assert isinstance(value, CheckedValue)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.display = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        checked.values["memory"] = value  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        checked.resolved.order = ()  # type: ignore[misc]
    assert not hasattr(model, "checker")
    assert "dimension" not in {f.name for f in dataclasses.fields(Value)}  # resolve's values carry no check results
    assert math.isclose(checked.limit_units[0].factor, GB)  # `>= 200 GB` shows in GB, found once by check


def test_an_override_is_checked_without_changing_the_checked_scenario(tmp_path):
    model = calculator.load(scenario(tmp_path))
    before = dict(model.scenario.values)
    assert float(model.parse_override("model_bytes", "1 TB")) == pytest.approx(1 * TB)
    assert dict(model.scenario.values) == before


def test_the_docs_sweep_over_a_binding_prints_what_the_docs_say(tmp_path, capsys):
    doc = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    scenario_text = doc.split("```yaml envelope\nname: Which GPU holds the weights?\n", 1)[1].split("```", 1)[0]
    shown = doc.split("`envelope sweep FILE gpu --show gpus hourly --format markdown`", 1)[1]
    table = shown.split("```markdown\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "weights.yaml"
    path.write_text("name: Which GPU holds the weights?\n" + scenario_text, encoding="utf-8")
    code, out, _ = run(capsys, "sweep", str(path), "gpu", "--show", "gpus", "hourly", "--format", "markdown")
    assert code == 0
    assert out == table
    # by hand: 140 GB over 80 GB/gpu is 1.75, so 2 H100s at 6.88 = 13.76; one H200 (141 GB) 7.91; one B200 14.24
    assert [row.split(" | ")[1:] for row in table.splitlines()[2:]] == [["2", "13.8 |"], ["1", "7.91 |"], ["1", "14.2 |"]]


def test_explain_of_a_binding_says_what_it_is(tmp_path, capsys):
    code, _, err = run(capsys, "explain", str(scenario(tmp_path)), "gpu")
    assert code == 2
    assert "error: 'gpu' is a hardware binding (H100-SXM), not a value" in err
    assert "hint: 'envelope catalog H100-SXM' shows its figures; 'envelope sweep FILE gpu' compares entries" in err


def test_solve_for_a_binding_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "solve", str(scenario(tmp_path)), "--for", "gpu")
    assert code == 2
    assert "error: 'gpu' is a hardware binding: it takes a catalog entry, not a quantity" in err
