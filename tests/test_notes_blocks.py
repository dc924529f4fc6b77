"""One-line notes blocks as people write them: `A to B`, `X to UNIT`, trailing comments, hardware
bound in the block; `render -o` errors name the notes read; line breaks kept; counts in the right number."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from calculator.cli.main import main
from calculator.common.numbers import counted

CATALOG = Path(__file__).parent.parent / "calculator" / "catalog"


def _render(tmp_path: Path, body: str, *options: str) -> tuple[int, str]:
    """`envelope render` of notes holding one block with `body`; the exit code and the text written."""
    notes = tmp_path / "n.md"
    notes.write_text(f"intro\n```envelope\n{body}\n```\n", encoding="utf-8")
    code = main(["render", str(notes), *options])
    target = tmp_path / options[options.index("-o") + 1] if "-o" in options else notes
    return code, target.read_text(encoding="utf-8")


def test_a_range_on_one_line_is_an_uncertain_input(tmp_path):
    code, text = _render(tmp_path, "dau = 100M to 300M user\nqps = dau * 2 request/user/day -> request/s")
    assert code == 0
    median = math.sqrt(100e6 * 300e6)  # a lognormal 90% interval's median is the geometric mean of its ends
    assert f"| dau | {median / 1e6:.0f}M (100M – 300M) user |" in text
    assert f"| qps | {median * 2 / 86_400 / 1e3:.2f}k (" in text  # 173.2M x 2 / 86,400 s = 4.01k request/s


def test_to_a_unit_converts_like_the_arrow(tmp_path):
    code, text = _render(tmp_path, "100M user * 5 request/user/day to request/s\nreq = 1 TB to GB", "--derivation")
    assert code == 0
    per_second = 100e6 * 5 / 86_400  # 5,787 request/s
    assert f"| 100M user * 5 request/user/day to request/s | {per_second / 1e3:.2f}k request/s |" in text
    assert "| req | 1k GB |" in text  # 1 TB = 1,000 GB: a conversion, not a range from 1 TB to 1 GB
    # the derivation names the line as written (`to`), its steps as LaTeX
    derivation = next(line for line in text.splitlines() if line.startswith("- `100M user"))
    assert derivation.startswith("- `100M user * 5 request/user/day to request/s`: $= 100\\mathrm{M}\\,\\mathrm{user} \\times 5")
    assert derivation.endswith(f"= {per_second / 1e3:.2f}\\mathrm{{k}}\\,\\mathrm{{request}}/\\mathrm{{s}}$")


def test_trailing_comments_are_comments(tmp_path):
    code, text = _render(tmp_path, "# sizing\nx = 2 * 3 gpu   # six\ny = x * 2  # twelve")
    assert code == 0
    assert "| x | 6 gpu |" in text and "| y | 12 gpu |" in text


def test_a_hash_inside_a_formula_is_still_an_error(tmp_path, capsys):
    code, _ = _render(tmp_path, "x = 2#3 gpu")
    assert code == 2
    # line 3 of n.md; `x = 2` is 5 characters, so '#' is column 6
    assert "n.md:3:6: error: unexpected character '#'" in capsys.readouterr().err


def test_hardware_is_bound_in_the_block(tmp_path):
    code, text = _render(tmp_path, "hardware: {gpu: H100-SXM}  # the catalog's\nfleet_memory = gpu.memory * 8 gpu -> GB")
    assert code == 0
    memory = yaml.safe_load((CATALOG / "gpus.yaml").read_text(encoding="utf-8"))["entries"]["H100-SXM"]["fields"]["memory"]
    number, unit = memory.split()
    assert unit == "GB/gpu"
    per_gpu = float(number)
    assert f"| fleet_memory | {per_gpu * 8:.0f} GB |" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("hardware: {gpu: NoSuch}\nx = 1 gpu", "n.md:3:17: error: no catalog entry 'NoSuch'"),
        ("hardware: gpu\nx = 1 gpu", "n.md:3:1: error: 'hardware:' in an envelope block takes names and catalog entries"),
        (
            "hardware: {gpu: H100-SXM}\nhardware: {gpu: A100}\nx = 1 gpu",
            "n.md:4:12: error: hardware 'gpu' is bound twice in this block\n  hint: keep one",
        ),
        ("x = 1 gpu\nx = 2 gpu", "n.md:4:1: error: 'x' is estimated twice\n  hint: give the second a new name"),
        ("# only a comment", "n.md:3:1: error: an empty envelope block\n  hint: write estimates one a line"),
        ("x = 5 user to request/s", "n.md:3:15: error: 'x' is in 'user'; it cannot be shown in 'request/s'"),
    ],
)
def test_bad_lines_are_located_and_exit_2(tmp_path, capsys, body, message):
    code, _ = _render(tmp_path, body)
    assert code == 2
    assert message in capsys.readouterr().err


def test_with_o_errors_name_the_notes_read_at_the_line_read(tmp_path, capsys):
    notes = tmp_path / "n.md"
    # a good block first: in place, its results push the bad block down
    notes.write_text("```envelope\nx = 1 gpu\n```\n\n```envelope\ny = 5 TB + 3 user\n```\n", encoding="utf-8")
    assert main(["render", str(notes), "-o", str(tmp_path / "out.md")]) == 2
    err = capsys.readouterr().err
    assert f"{notes}:6:10: error: cannot add 'byte' and 'user'" in err  # line 6 of n.md as read, at the '+'
    assert "out.md" not in err
    assert main(["render", str(notes)]) == 2
    written = notes.read_text(encoding="utf-8").splitlines()
    shifted = written.index("y = 5 TB + 3 user") + 1
    assert shifted == 6 + 6  # a blank line, BEGIN, a header, a separator, one row, END
    assert f"{notes}:{shifted}:10: error: cannot add" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("ending", "rendered_ending"),
    [("```\n", "<!-- envelope: end -->\n"), ("```", "<!-- envelope: end -->"), ("```\n\nafter\n", "after\n")],
)
def test_the_last_line_break_is_kept_or_left_out_as_written(tmp_path, ending, rendered_ending):
    notes = tmp_path / "n.md"
    notes.write_text("```envelope\nx = 1 gpu\n" + ending, encoding="utf-8", newline="")
    for options in (["-o", str(tmp_path / "out.md")], []):
        assert main(["render", str(notes), *options]) == 0
        written = (tmp_path / "out.md" if options else notes).read_text(encoding="utf-8")
        assert written.endswith(rendered_ending) and not written.endswith(rendered_ending + "\n")


def test_crlf_notes_stay_crlf(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_bytes(b"```envelope\r\nx = 1 gpu\r\n```\r\n")
    assert main(["render", str(notes)]) == 0
    written = notes.read_bytes()
    assert written.endswith(b"<!-- envelope: end -->\r\n") and b"\n" not in written.replace(b"\r\n", b"")


def test_counts_are_in_the_right_number(tmp_path, capsys):
    notes = tmp_path / "n.md"
    notes.write_text("```envelope\nx = 1 gpu\n```\n", encoding="utf-8")
    assert main(["render", str(notes)]) == 0
    assert capsys.readouterr().out == f"{notes}: 1 block: 1 ok, 0 warn, 0 fail, 0 invalid\n"
    notes.write_text("```envelope\nx = 1 gpu\n```\n```envelope\ny = 2 gpu\n```\n", encoding="utf-8")
    assert main(["render", str(notes)]) == 0
    assert capsys.readouterr().out == f"{notes}: 2 blocks: 2 ok, 0 warn, 0 fail, 0 invalid\n"
    assert [counted(n, "latency path") for n in (0, 1, 2)] == ["0 latency paths", "1 latency path", "2 latency paths"]
    assert counted(1_000, "block") == "1,000 blocks"
