"""The CLI as a user (or a CI pipeline) runs it: outputs and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from calculator.cli.main import main
from tests.helpers import ROOT

OK = "name: fine\ninputs:\n  gpus: 8 gpu\nbudgets:\n  gpus: <= 10 gpu\n"  # 80%: warn
FAIL = "name: broken\ninputs:\n  gpus: 12 gpu\nbudgets:\n  gpus: <= 10 gpu\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "fine.yaml").write_text(OK)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.yaml").write_text(FAIL)
    return tmp_path


def test_json_has_exactly_the_design_keys(capsys):
    assert main(["eval", str(ROOT / "scenarios" / "tour.yaml"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"scenario", "file", "status", "values", "budgets", "latency", "hardware", "unchecked_inputs"}
    assert data["hardware"] == {"gpu": "H100-SXM"}  # tour_base.yaml binds it
    assert data["unchecked_inputs"] == []  # every input of the tour reaches a budget
    # the tour has an uncertain input, so every value has percentiles and every budget a P(violation)
    assert set(data["values"]["peak_qps"]) == {"value", "unit", "display", "kind", "formula", "p05", "p50", "p95"}
    assert data["values"]["peak_qps"]["unit"] == "request / second"
    # 50M users x 3 sessions x 4 requests a day / 86,400 s, x3 at peak
    assert data["values"]["peak_qps"]["value"] == pytest.approx(50e6 * 3 * 4 / 86_400 * 3, rel=1e-5)
    assert set(data["budgets"][0]) == {"name", "op", "value", "limit", "unit", "utilization", "status", "p_violation"}
    path = data["latency"][0]
    assert set(path) == {"path", "budget", "total", "unit", "utilization", "status", "stages", "p_violation"}
    assert path["unit"] == "millisecond"
    # 40 + max(15, 5 + 3) + 4 x 0.5 + 30 + 10
    assert path["total"] == pytest.approx(97)
    assert {"name", "value", "parallel"} == set(path["stages"][1])


def test_json_of_a_certain_scenario_has_no_percentiles(folder, capsys):
    assert main(["eval", str(folder / "fine.yaml"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["gpus"] == {"value": 8.0, "unit": "gpu", "display": "8 gpu", "kind": "input", "formula": None}
    assert set(data["budgets"][0]) == {"name", "op", "value", "limit", "unit", "utilization", "status"}


def test_set_override_and_exit_code_one(folder, capsys):
    assert main(["eval", str(folder / "fine.yaml"), "--set", "gpus=11 gpu", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "fail"
    assert data["budgets"][0]["utilization"] == pytest.approx(1.1)


def test_markdown_and_table(folder, capsys):
    assert main(["eval", str(folder / "fine.yaml"), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| gpus | 8 gpu | <= 10 gpu | 80% | warn |" in markdown
    assert main(["eval", str(folder / "fine.yaml")]) == 0
    table = capsys.readouterr().out
    assert "gpus" in table and "▲ warn" in table


def test_check_summary_lines_and_exit_codes(folder, capsys):
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("warn ") and "fine.yaml" in out[0] and "gpus 80%" in out[0]
    assert out[1].startswith("fail ") and "broken.yaml" in out[1] and "gpus 120%" in out[1]
    assert out[2] == "2 scenarios: 0 ok, 1 warn, 1 fail, 0 invalid"
    assert main(["check", str(folder / "fine.yaml")]) == 0
    capsys.readouterr()
    (folder / "bad.yaml").write_text("name: bad\ninputs:\n  a: 1 usr\n")
    assert main(["check", str(folder)]) == 2
    assert "bad.yaml:3:8: error: unknown unit or name 'usr'" in capsys.readouterr().out


def test_junit_report_parses_back(folder, tmp_path, capsys):
    (folder / "bad.yaml").write_text("name: bad\ninputs:\n  a: 1 usr\n")
    report = tmp_path / "report.xml"
    main(["check", str(folder), "--junit", str(report)])
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    # a testcase a budget (named 'budget NAME', classname the file); a bad file one testcase named by its stem
    cases = {Path(c.get("classname")).stem: c for c in suite.findall("testcase")}
    assert cases["broken"].get("name") == "budget gpus"
    assert cases["broken"].find("failure").get("message") == "budget gpus: 120% of <= 10 gpu"
    assert "unknown unit or name 'usr'" in cases["bad"].find("error").get("message")
    assert cases["fine"].find("failure") is None


def test_catalog_units_schema(capsys):
    assert main(["catalog", "gpu"]) == 0
    assert "H100-SXM" in capsys.readouterr().out
    assert main(["catalog", "H100-SXM"]) == 0
    out = capsys.readouterr().out
    assert "H100-SXM" in out and "bf16_flops" in out and "989 TFLOPS/gpu" in out
    assert main(["catalog", "gpus"]) == 2
    assert "did you mean 'gpu'?" in capsys.readouterr().err
    assert main(["units"]) == 0
    assert "request = [request]" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "envelope scenario"
    assert {"name", "inputs", "derived", "budgets", "latency"} <= set(schema["properties"])


def test_catalog_marks_stale_entries():
    import datetime as dt

    from calculator.catalog.entries import catalog

    price = catalog().entries["H100-SXM"].figures["hourly_price"]
    assert price.stale(price.as_of + dt.timedelta(days=600))
    assert not price.stale(price.as_of + dt.timedelta(days=30))
    spec = catalog().entries["H100-SXM"].figures["memory"]  # a spec sheet does not go stale
    assert not spec.stale(spec.as_of + dt.timedelta(days=6000))


def test_installed_command_runs(folder):
    done = subprocess.run(
        [sys.executable, "-m", "calculator.cli.main", "eval", str(folder / "sub" / "broken.yaml"), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"] == "fail"


@pytest.mark.parametrize(
    "arguments",
    [
        ["eval", "scenarios/tour.yaml"],  # a rich table
        ["catalog", "gpu"],  # a rich table
        ["eval", "scenarios/tour.yaml", "--format", "json"],  # print
        ["render", "scenarios/tour.yaml"],  # print
    ],
)
def test_a_reader_that_stops_reading_ends_the_command_quietly_with_0(arguments):
    """`envelope eval … | head`: the pipe closes before the output is written. Not a failed budget (rich's own
    handler exited with 1), not a traceback or an 'Exception ignored' line: exit 0, nothing on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "calculator.cli", *arguments], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before a byte is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and stderr == ""


def test_version_is_the_installed_packages(capsys):
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"envelope {declared}\n"
