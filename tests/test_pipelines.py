"""What CI pipelines see: diff as a PR comment, GitHub annotations, JUnit, the pre-commit hook."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from calculator.cli.main import main
from tests.helpers import ROOT

GOLDEN = Path(__file__).parent / "golden"

BASE = """name: serving
inputs:
  users:
    value: 10M user
    note: today
  per_user: 4 request/user/day
  per_gpu: 10 request/s/gpu
derived:
  qps: users * per_user -> request/s
  gpus: ceil(qps / per_gpu)
budgets:
  gpus: <= 100 gpu
"""


def test_diff_markdown_and_exit_code(tmp_path, capsys):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(BASE.replace("10M user", "25M user"))
    assert main(["diff", str(old), str(new)]) == 1  # gpus goes from ok (47%) to fail (116%)
    out = capsys.readouterr().out
    assert out == (GOLDEN / "diff.md").read_text(encoding="utf-8")
    # the numbers, by hand: 10M x 4 / 86,400 = 463 request/s -> 47 gpus; 25M -> 1,157 request/s -> 116 gpus
    assert "| gpus | 47 gpu | 116 gpu | +69 gpu | +146.8% |" in out


def test_diff_without_regression_exits_zero(tmp_path, capsys):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(BASE.replace("10M user", "5M user"))
    assert main(["diff", str(old), str(new)]) == 0
    assert "| users | 10M user | 5M user |" in capsys.readouterr().out


def test_diff_against_a_git_revision(tmp_path, capsys):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "empty")
    git("add", "s.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    scenario.write_text(BASE.replace("10M user", "25M user"))
    assert main(["diff", str(scenario), "--rev", "HEAD"]) == 1
    assert "**Now failing:** `gpus <= 100 gpu`" in capsys.readouterr().out
    assert main(["diff", str(scenario), "--rev", "HEAD~1"]) == 2
    assert "cannot read s.yaml at HEAD~1" in capsys.readouterr().err


def test_diff_against_a_git_revision_reads_the_base_at_that_revision(tmp_path, capsys):
    """A changed `extends:` base is part of the change: the old side reads it at the revision too."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "base.yaml").write_text(BASE)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\ninputs:\n  per_user: 5 request/user/day\n")
    git("init", "-q")
    git("add", "base.yaml", "child.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    (tmp_path / "base.yaml").write_text(BASE.replace("10M user", "25M user"))  # only the base changes
    assert main(["diff", str(child), "--rev", "HEAD"]) == 1
    out = capsys.readouterr().out
    # gpus = ceil(users * 5 request/user/day / 86,400 s/day / 10 request/s/gpu): 58 gpu at 10M users, 145 at 25M
    assert "| users | 10M user | 25M user |" in out
    assert "| gpus | 58 gpu | 145 gpu |" in out
    assert "**Now failing:** `gpus <= 100 gpu`" in out
    (tmp_path / "base.yaml").write_text(BASE)
    assert main(["diff", str(child), "--rev", "HEAD"]) == 0  # nothing changed at all
    (tmp_path / "child.yaml").write_text(child.read_text().replace("base.yaml", "other.yaml"))
    (tmp_path / "other.yaml").write_text(BASE)
    git("add", "child.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "names a file git never had")
    assert main(["diff", str(child), "--rev", "HEAD"]) == 2
    assert "extends a file that does not exist: 'other.yaml'" in capsys.readouterr().err


def test_github_annotations(tmp_path, capsys, monkeypatch):
    (tmp_path / "bad.yaml").write_text("name: bad\ninputs:\n  a: 1 usr\n")
    (tmp_path / "over.yaml").write_text(BASE.replace("10M user", "25M user"))
    monkeypatch.chdir(tmp_path)
    assert main(["check", ".", "--format", "github"]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "::error file=bad.yaml,line=3,col=8,title=invalid scenario::unknown unit or name 'usr'"
        "%0Ahint: did you mean 'user'? Or declare it as a new counted thing: units: [usr]"
    )
    assert lines[1].startswith("fail   over.yaml  serving (1 budget, 0 latency paths)")
    # the limit "100 gpu" is written at line 12, column 12 of over.yaml
    assert lines[2] == ("::error file=over.yaml,line=12,col=12,title=budget gpus fail::gpus is 116 gpu: 116%25 of <= 100 gpu")


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "envelope-check"
    assert hook["entry"] == "envelope check"
    assert hook["language"] == "python"
