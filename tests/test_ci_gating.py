"""CI gates without holes: dependents checked, the hook's files, the README's pre-commit config, grouped
summary lines, JUnit a testcase a budget, and an install without the TUI."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from calculator.cli.main import main
from tests.helpers import ROOT

BASE = """name: fraud
inputs:
  users: 10M user
  per_user: 4 request/user/day
  per_gpu: 10 request/s/gpu
derived:
  qps: users * per_user -> request/s
  gpus: ceil(qps / per_gpu)
  monthly_cost: gpus * 1000 USD/month/gpu
budgets:
  gpus: <= 100 gpu
  monthly_cost: <= 50k USD/month
"""
# 10M x 4 / 86,400 = 462.96 request/s -> 47 gpus -> 47k USD/month: 94% of 50k (warn), gpus 47% (ok)
# a child at 5 request/user/day: 578.7 request/s -> 58 gpus -> 58k USD/month: 116% (fail)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the work tree's root
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "fraud.yaml").write_text(BASE)
    (tmp_path / "eu").mkdir()
    (tmp_path / "eu" / "fraud_eu.yaml").write_text(
        "extends: ../scenarios/fraud.yaml\nname: fraud eu\ninputs:\n  per_user: 5 request/user/day\n"
    )
    (tmp_path / "eu" / "fraud_eu_night.yaml").write_text(  # extends the child: transitive
        "extends: fraud_eu.yaml   # the EU variant\nname: fraud eu night\n"
    )
    (tmp_path / "other.yaml").write_text("name: unrelated\ninputs:\n  gpus: 200 gpu\nbudgets:\n  gpus: <= 100 gpu\n")
    return tmp_path


def test_checking_a_base_checks_every_scenario_that_extends_it(tree, capsys, monkeypatch):
    monkeypatch.chdir(tree)
    assert main(["check", "scenarios/fraud.yaml"]) == 1  # the base alone warns; its dependents fail
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("warn ") and "scenarios/fraud.yaml" in lines[0]
    assert lines[1].startswith("fail ") and "eu/fraud_eu.yaml" in lines[1]
    assert lines[1].endswith("(extends scenarios/fraud.yaml)") and "monthly_cost 116%" in lines[1]
    assert lines[2].startswith("fail ") and lines[2].endswith("(extends eu/fraud_eu.yaml)")
    assert lines[3] == "3 scenarios (2 because they extend a named file): 0 ok, 1 warn, 2 fail, 0 invalid"
    assert "other.yaml" not in "\n".join(lines)  # it extends nothing named
    assert main(["check", "scenarios/fraud.yaml", "--no-dependents"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 scenario: 0 ok, 1 warn, 0 fail, 0 invalid"


def test_a_dependent_named_too_is_checked_once(tree, capsys, monkeypatch):
    monkeypatch.chdir(tree)
    main(["check", "scenarios/fraud.yaml", "eu/fraud_eu.yaml"])
    out = capsys.readouterr().out
    assert out.count("fraud_eu.yaml ") == 1 and "3 scenarios (1 because" in out


def test_only_scenarios_skips_other_yaml_and_says_so(tree, capsys, monkeypatch):
    monkeypatch.chdir(tree)
    (tree / "ci.yml").write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    (tree / "gpus.yaml").write_text("kind: gpu\nentries: {}\n")
    assert main(["check", "--only-scenarios", "ci.yml", "gpus.yaml", "other.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("skip   ci.yml  not a scenario")
    assert lines[1].startswith("skip   gpus.yaml  not a scenario")
    assert lines[2].startswith("fail   other.yaml")
    assert lines[-1].endswith("; 2 other YAML files skipped")
    assert main(["check", "ci.yml"]) == 2  # without the option a non-scenario is an invalid scenario


def test_the_hook_matches_scenarios_anywhere_and_skips_the_rest():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    for path in ("scenarios/a.yaml", "deploy/capacity/fraud_eu.yml", "top.yaml"):
        assert pattern.search(path), path
    assert not pattern.search("README.md")
    assert hook["args"] == ["--only-scenarios"]
    assert hook["entry"] == "envelope check" and hook["language"] == "python"
    assert "additional_dependencies" not in hook


def _readme_pre_commit_config() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^( *)```yaml\n(.*?)^\1```", readme, re.MULTILINE | re.DOTALL)
    configs = [re.sub(rf"^{indent}", "", body, flags=re.MULTILINE) for indent, body in blocks if "envelope-check" in body]
    assert len(configs) == 1
    return configs[0]


def test_the_readme_pre_commit_snippet_is_a_valid_config():
    config = yaml.safe_load(_readme_pre_commit_config())
    assert isinstance(config, dict), "pre-commit expects a Config map"
    assert set(config) <= {
        "repos",
        "default_stages",
        "default_language_version",
        "files",
        "exclude",
        "fail_fast",
        "minimum_pre_commit_version",
        "ci",
        "default_install_hook_types",
    }
    (repo,) = config["repos"]
    # a local hook: no `rev`, so no tag or moving branch to name (the repository has no release tag)
    assert set(repo) == {"repo", "hooks"} and repo["repo"] == "local"
    (hook,) = repo["hooks"]
    assert set(hook) <= {"id", "name", "entry", "language", "files", "require_serial", "args", "pass_filenames"}
    assert hook["language"] == "system"  # the envelope installed where pre-commit runs
    (shipped,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    # the same hook as the repository's own, so the two forms check the same files the same way
    assert hook["id"] == shipped["id"] and hook["name"] == shipped["name"]
    assert hook["entry"].split() == [*shipped["entry"].split(), *shipped["args"]]
    assert hook["files"] == shipped["files"] and hook["require_serial"] is True


def test_the_readme_hook_run_as_pre_commit_runs_it_fails_on_a_broken_dependent(tree, capsys, monkeypatch):
    (hook,) = yaml.safe_load(_readme_pre_commit_config())["repos"][0]["hooks"]
    changed = ["scenarios/fraud.yaml", "README.md", "other.yaml"]
    files = [f for f in changed if re.search(hook["files"], f)]  # pre-commit passes the files that match
    assert files == ["scenarios/fraud.yaml", "other.yaml"]
    command, *arguments = hook["entry"].split()
    assert command == "envelope"
    monkeypatch.chdir(tree)
    # fraud.yaml alone warns (94%), but fraud_eu.yaml extends it and fails (116%): the hook fails
    assert main([*arguments, *files]) == 1
    out = capsys.readouterr().out
    assert "fail   eu/fraud_eu.yaml" in out.replace(str(tree) + "/", "")
    assert "fail   other.yaml" in out  # 200 of 100 gpus


def test_summary_line_groups_fail_then_warn(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("<= 100 gpu", "<= 40 gpu") + "latency:\n  p:\n    budget: 10 ms\n    stages: {a: 9 ms}\n")
    assert main(["check", str(scenario)]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    # gpus 47 of 40 = 118% fails; cost 47k of 50k = 94% and latency 9 of 10 ms = 90% warn
    assert line.endswith("— fail: gpus 118%; warn: monthly_cost 94%, latency p 90%")


def test_junit_has_a_testcase_a_budget_and_latency_path_with_limits_as_written(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE.replace("4 request", "5 request") + "latency:\n  p:\n    budget: 10 ms\n    stages: {a: 12 ms}\n")
    report = tmp_path / "report.xml"
    main(["check", str(scenario), "--junit", str(report)])
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"budget gpus", "budget monthly_cost", "latency p"}
    assert {c.get("classname") for c in cases.values()} == {str(scenario)}
    assert cases["budget gpus"].find("failure") is None
    assert cases["budget gpus"].find("system-out").text == "ok: 58 gpu: 58% of <= 100 gpu"
    # 58 gpus x 1000 USD/month: 58k of 50k
    assert cases["budget monthly_cost"].find("failure").get("message") == "budget monthly_cost: 116% of <= 50k USD/month"
    assert cases["latency p"].find("failure").get("message") == "latency p: 12 ms of 10 ms"


def test_the_install_without_the_tui_extra_has_no_textual():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("textual") for dep in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any(dep.startswith("textual") for dep in extras["tui"])
    assert "envelope[tui]" in extras["dev"]  # `pip install -e ".[dev]"` still installs everything


def test_tui_without_textual_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    for name in [m for m in sys.modules if m == "tui.app" or m.startswith(("textual", "tui.app."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "textual", None)  # an import of textual now fails as if not installed
    (tmp_path / "s.yaml").write_text(BASE)
    assert main(["tui", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "error: the TUI needs textual, which this install does not have" in err
    assert 'hint: pip install "envelope[tui]"' in err


def test_diff_shows_a_loosened_limit_as_one_change_and_flags_it(tmp_path, capsys):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE.replace("4 request", "5 request"))  # 58k of 50k USD/month: fails
    new.write_text(BASE.replace("4 request", "5 request").replace("<= 50k USD/month", "<= 100k USD/month"))
    assert main(["diff", str(old), str(new)]) == 0  # it passes now: that is why it is flagged
    out = capsys.readouterr().out
    assert "- monthly_cost: limit loosened 50k → 100k USD/month" in out
    assert "**⚠️ Limit loosened:** `monthly_cost <=`" in out
    # one row for the budget, before and after: 58k of 50k = 116% fail, of 100k = 58% ok
    assert "| monthly_cost <= 100k USD/month | ❌ fail 116% | ✅ ok 58% |" in out
    new.write_text(BASE.replace("4 request", "5 request").replace("<= 50k USD/month", "<= 40k USD/month"))
    main(["diff", str(old), str(new)])
    out = capsys.readouterr().out
    assert "- monthly_cost: limit tightened 50k → 40k USD/month" in out and "Limit loosened" not in out


def test_diff_shows_a_change_of_hardware_binding(tmp_path, capsys):
    text = "name: s\nhardware: {gpu: H100-SXM}\ninputs:\n  n: 8 gpu\nderived:\n  memory: n * gpu.memory -> GB\n"
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text)
    new.write_text(text.replace("H100-SXM", "L4"))
    assert main(["diff", str(old), str(new)]) == 0
    assert "| gpu | H100-SXM | L4 |" in capsys.readouterr().out


def test_diff_of_a_folder_at_a_revision_covers_every_changed_scenario(tmp_path, capsys, monkeypatch):
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=tmp_path, check=True, capture_output=True
        )

    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "a.yaml").write_text(BASE)
    (folder / "b.yaml").write_text(BASE.replace("name: fraud", "name: other"))
    (folder / "c.yaml").write_text(BASE.replace("name: fraud", "name: still"))
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    (folder / "a.yaml").write_text(BASE.replace("10M user", "20M user"))  # 926 request/s -> 93 gpus, 93k USD: fails
    (folder / "b.yaml").write_text(BASE.replace("name: fraud", "name: other").replace("10M user", "5M user"))
    (folder / "d.yaml").write_text(BASE.replace("name: fraud", "name: brand new"))
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "scenarios", "--rev", "HEAD"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## envelope: 2 of 4 scenarios changed\n")
    assert "`scenarios/a.yaml`" in out and "`scenarios/b.yaml`" in out and "`scenarios/c.yaml`" not in out
    assert "**Now failing:** `monthly_cost <= 50k USD/month`" in out
    assert "`scenarios/d.yaml`: new, nothing to compare with" in out
    assert main(["diff", "scenarios/b.yaml", "scenarios/c.yaml", "--rev", "HEAD"]) == 0
    assert capsys.readouterr().out.startswith("## envelope: 1 of 2 scenarios changed\n")
