"""Every kind of bad input: one clear error at file:line:col, exit 2, no traceback.

`tests/bad/NAME.yaml` is evaluated from inside `tests/bad`; `NAME.err` is the
exact text expected on stderr (reviewed by hand when written).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.cli.main import main

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("name", CASES)
def test_bad_file(name, capsys, monkeypatch):
    monkeypatch.chdir(BAD)
    assert main(["eval", name]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (BAD / name).with_suffix(".err").read_text(encoding="utf-8")
    assert "Traceback" not in captured.err


def test_every_bad_file_has_its_expected_text():
    assert {p.stem for p in BAD.glob("*.err")} == {p.stem for p in BAD.glob("*.yaml")}


def run(args, capsys, cwd: Path, monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    code = main(args)
    return code, capsys.readouterr().err


def test_huge_file_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    big = tmp_path / "big.yaml"
    with big.open("w") as out:
        out.write("name: big\ninputs:\n")
        line = "  a{}: 1 user  # " + "x" * 70 + "\n"
        for i in range(250_000):
            out.write(line.format(i))
    assert big.stat().st_size > 20_000_000
    code, err = run(["eval", "big.yaml"], capsys, tmp_path, monkeypatch)
    assert code == 2
    assert err.startswith("big.yaml: error: file is 2") and "a scenario file may be at most 1,000,000" in err


def test_binary_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "b.yaml").write_bytes(b"name: x\n\x00\x01\x02")
    assert run(["eval", "b.yaml"], capsys, tmp_path, monkeypatch) == (2, "b.yaml: error: binary file, not a YAML scenario\n")


def test_not_utf8(tmp_path, capsys, monkeypatch):
    (tmp_path / "l.yaml").write_bytes(b"name: caf\xe9\n")
    assert run(["eval", "l.yaml"], capsys, tmp_path, monkeypatch) == (2, "l.yaml: error: not UTF-8 text (byte 9)\n")


def test_directory_given_as_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "d").mkdir()
    code, err = run(["eval", "d"], capsys, tmp_path, monkeypatch)
    assert code == 2
    assert err == "d: error: is a directory, not a scenario file\n  hint: use 'envelope check DIR' for a folder\n"


def test_missing_file(tmp_path, capsys, monkeypatch):
    assert run(["eval", "nope.yaml"], capsys, tmp_path, monkeypatch) == (2, "nope.yaml: error: no such file\n")


def test_billion_laughs_is_refused(tmp_path, capsys, monkeypatch):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("name: x\n" + "\n".join(lines) + "\n")
    code, err = run(["eval", "bomb.yaml"], capsys, tmp_path, monkeypatch)
    assert code == 2
    assert "YAML anchors and aliases are not supported" in err


def test_deep_yaml_nesting(tmp_path, capsys, monkeypatch):
    (tmp_path / "deep.yaml").write_text("name: x\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    code, err = run(["eval", "deep.yaml"], capsys, tmp_path, monkeypatch)
    assert code == 2
    assert err.startswith("deep.yaml:2:") and "YAML syntax" in err


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("dau=2 byte", "error: 'dau' is in 'user', not 'byte'"),
        ("dau", "error: --set takes NAME=VALUE, not 'dau'"),
        ("daus=2 user", "error: 'daus' is not an input of this scenario\n  hint: did you mean 'dau'?"),
        ("q=2 user", "error: 'q' is a derived value, not an input"),
        ("dau=__import__(os)", "error: '__import__' is not a function envelope knows"),
    ],
)
def test_bad_override(assignment, message, tmp_path, capsys, monkeypatch):
    (tmp_path / "s.yaml").write_text("name: s\ninputs:\n  dau: 1 user\nderived:\n  q: dau * 2\n")
    code, err = run(["eval", "s.yaml", "--set", assignment], capsys, tmp_path, monkeypatch)
    assert code == 2
    assert message in err


def test_bad_usage(capsys):
    assert main(["eval"]) == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err
    assert main(["eval", "x.yaml", "--format", "xml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
