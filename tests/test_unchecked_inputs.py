"""Inputs that nothing budgeted depends on (issue 13: 'flag inputs that nothing budgeted depends on') are
flagged in eval's JSON and as located notes by `check`, which never change the exit code."""

from __future__ import annotations

import json
from pathlib import Path

from calculator.cli.main import main

SCENARIO = """\
name: traffic
inputs:
  users: 10M user
  sessions: 3 session/user/day
  views: 90M request/day
derived:
  sessions_total: users * sessions
  qps: views -> request/s
budgets:
  qps: <= 2k request/s
"""
# qps = 90M / 86,400 = 1,042 request/s: 52% of 2k, ok. users and sessions feed only sessions_total,
# which no budget reads: they are the unchecked inputs, written at lines 3 and 4, column 3.


def _write(tmp_path: Path, text: str = SCENARIO) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_eval_json_lists_the_unchecked_inputs(tmp_path, capsys):
    file = _write(tmp_path)
    assert main(["eval", file, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unchecked_inputs"] == ["users", "sessions"]
    assert data["status"] == "ok"


def test_check_notes_each_unchecked_input_where_it_is_written(tmp_path, capsys):
    file = _write(tmp_path)
    assert main(["check", file]) == 0  # a note, not a failure
    captured = capsys.readouterr()
    # one line a scenario, at the first of them
    assert captured.err.splitlines() == [
        f"{file}:3:3: note: no budget or latency path depends on inputs 'users', 'sessions'"
        " (changing them changes nothing checked)"
    ]
    assert captured.out.splitlines()[-1] == "1 scenario: 1 ok, 0 warn, 0 fail, 0 invalid"
    assert main(["check", "--format", "github", file]) == 0
    out = capsys.readouterr().out
    assert f"::notice file={file},line=3,col=3,title=input users unchecked::no budget or latency path depends on it" in out


def test_a_failing_scenario_keeps_exit_1_with_its_notes(tmp_path, capsys):
    file = _write(tmp_path, SCENARIO.replace("<= 2k request/s", "<= 1k request/s"))  # 1,042 of 1k: fails
    assert main(["check", file]) == 1
    assert "note: no budget or latency path depends on inputs 'users', 'sessions'" in capsys.readouterr().err
    one = _write(
        tmp_path, SCENARIO.replace("qps: views -> request/s", "qps: views * sessions / (3 session/user/day) -> request/s")
    )
    assert main(["check", one]) == 0
    assert capsys.readouterr().err == (
        f"{one}:3:3: note: no budget or latency path depends on input 'users' (changing it changes nothing checked)\n"
    )


def test_nothing_is_flagged_when_every_input_counts_or_nothing_is_checked(tmp_path, capsys):
    file = _write(
        tmp_path, SCENARIO.replace("qps: views -> request/s", "qps: views * sessions * users / (30M session/day) -> request/s")
    )
    assert main(["eval", file, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchecked_inputs"] == []
    bare = _write(tmp_path, SCENARIO.split("budgets:")[0])  # no budget, no latency path: nothing to flag against
    assert main(["check", bare]) == 0
    assert capsys.readouterr().err == ""
    assert main(["eval", bare, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchecked_inputs"] == []
