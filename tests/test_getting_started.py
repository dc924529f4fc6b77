"""Getting started: `envelope init` writes a starter that evaluates (every template), `envelope examples`
says where the worked scenarios are, and the Python objects show themselves readably."""

from __future__ import annotations

import re

import pytest

import calculator
from calculator.cli.main import main
from calculator.cli.starter import template_kinds
from tests.helpers import ROOT

KINDS = ["ads", "batch-pipeline", "llm-serving", "recommendation", "search", "training"]


def test_the_six_templates_are_shipped():
    assert template_kinds() == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_init_writes_a_starter_that_evaluates(kind, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my_service", "--template", kind]) == 0
    assert capsys.readouterr().out == f"wrote my_service.yaml (template {kind}); next: envelope eval my_service.yaml\n"
    text = (tmp_path / "my_service.yaml").read_text()
    assert text.startswith("#") and "note:" in text  # commented: what to replace and where numbers come from
    result = calculator.load(tmp_path / "my_service.yaml").evaluate().result
    assert result.scenario == "my service" and result.status in ("ok", "warn")
    assert result.budgets  # a starter shows what a budget is
    assert main(["check", "my_service.yaml"]) == 0


def test_init_never_overwrites_and_refuses_an_unknown_template(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "scenario.yaml").exists()
    assert main(["init"]) == 2
    assert "scenario.yaml: error: already exists: envelope init never overwrites a file" in capsys.readouterr().err
    assert main(["init", "x", "--template", "serch"]) == 2
    err = capsys.readouterr().err
    assert "no template 'serch' (templates: ads, batch-pipeline, llm-serving, recommendation, search, training)" in err
    assert "did you mean 'search'?" in err


def test_examples_lists_the_shipped_scenarios_and_their_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./scenarios here: the checkout's (or the installed copy)
    assert main(["examples", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str((ROOT / "scenarios").resolve())
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert f"{ROOT / 'scenarios' / 'tour.yaml'}  Format tour" in out
    assert len(re.findall(r"\.yaml  ", out)) == len(list((ROOT / "scenarios").glob("*.yaml")))


def test_a_missing_shipped_path_points_at_examples(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "scenarios/tour.yaml"]) == 2
    assert "hint: 'envelope examples' lists the worked scenarios" in capsys.readouterr().err


def test_the_readme_python_example_returns_what_its_comments_say(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(import calculator\n.*?)```", readme, re.DOTALL)
    assert block is not None
    namespace: dict[str, object] = {}
    checked = 0
    for line in block.group(1).splitlines():
        code, _, comment = line.partition("#")
        comment = comment.strip()
        if comment.startswith(("<", "'")) and "=" not in code.split("(")[0]:
            assert repr(eval(code, namespace)) == comment, line
            checked += 1
        else:
            exec(code, namespace)
    assert checked == 5


def test_results_show_themselves_readably():
    model = calculator.load(ROOT / "scenarios" / "tour.yaml")
    result = model.evaluate().result
    # 50M users x 3 sessions x 4 requests / 86,400 s x 3 = 20,833 request/s; 20.8k of 50k is 42%
    assert repr(result.values["peak_qps"]) == "<ValueResult peak_qps = 20.8k request/s (derived)>"
    assert "Unit(factor" not in repr(result)
    assert repr(result.values["peak_qps"].unit) == "Unit('request/s')"
    assert model._repr_markdown_() == result.to_markdown()


def test_eval_flags_inputs_nothing_checked_depends_on(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["eval", str(ROOT / "scenarios" / "video_recommendation.yaml")]) == 0
    out = capsys.readouterr().out
    # users only feeds sessions_per_user, which nothing budgeted uses: the traffic comes from monthly_views
    assert "no budget or latency path depends on: users, " in out
    model = calculator.load(ROOT / "scenarios" / "video_recommendation.yaml")
    assert "users" in model.unbudgeted_inputs() and "monthly_views" not in model.unbudgeted_inputs()
    doubled = model.evaluate({"users": model.parse_override("users", "2.6B user")}).result
    today = model.evaluate().result
    assert [b.utilization for b in doubled.budgets] == [b.utilization for b in today.budgets]
    assert "traffic comes from monthly_views" in model.view().inputs[0].note


def test_eval_flags_nothing_when_every_input_counts(capsys):
    assert main(["eval", str(ROOT / "scenarios" / "tour.yaml")]) == 0
    assert "no budget or latency path depends on" not in capsys.readouterr().out
