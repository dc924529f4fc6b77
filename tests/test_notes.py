"""`envelope render` against a reviewed golden file: results, derivations, a bad block, idempotence."""

from __future__ import annotations

import shutil
from pathlib import Path

from calculator.cli.main import main

GOLDEN = Path(__file__).parent / "golden"


def test_render_matches_golden_and_is_idempotent(tmp_path, capsys, monkeypatch):
    notes = tmp_path / "notes.md"
    shutil.copy(GOLDEN / "notes.md", notes)
    monkeypatch.chdir(tmp_path)
    assert main(["render", "notes.md", "--derivation"]) == 2  # the bad block makes it exit 2
    captured = capsys.readouterr()
    assert captured.out == "notes.md: 3 blocks: 1 ok, 1 warn, 0 fail, 1 invalid\n"
    assert "notes.md:53:10: error: cannot add 'byte' and 'user' in '5 TB + 3 user'" in captured.err
    first = notes.read_text(encoding="utf-8")
    assert first == (GOLDEN / "notes.rendered.md").read_text(encoding="utf-8")
    assert main(["render", "notes.md", "--derivation"]) == 2
    assert notes.read_text(encoding="utf-8") == first  # rendering twice changes nothing


def test_render_values_by_hand(tmp_path):
    rendered = (GOLDEN / "notes.rendered.md").read_text(encoding="utf-8")
    # 2B users x 2 loads a day / 86,400 s = 46.3k request/s; x3 = 139k
    assert f"| qps | {2e9 * 2 / 86_400 / 1e3:.1f}k request/s |" in rendered
    assert f"| peak | {round(2e9 * 2 / 86_400 * 3 / 1e3)}k request/s |" in rendered
    assert "| gpus | 8 gpu | <= 10 gpu | 80% | warn |" in rendered


def test_render_to_another_file_keeps_the_notes(tmp_path, capsys):
    notes = tmp_path / "n.md"
    notes.write_text("```envelope\nx = 2 * 3 gpu\n```\n")
    out = tmp_path / "out.md"
    assert main(["render", str(notes), "-o", str(out)]) == 0
    assert notes.read_text() == "```envelope\nx = 2 * 3 gpu\n```\n"
    assert "| x | 6 gpu |" in out.read_text()


def test_render_replaces_old_results_after_an_edit(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text("```envelope\nx = 2 * 3 gpu\n```\n\ntext after\n")
    main(["render", str(notes)])
    notes.write_text(notes.read_text().replace("2 * 3 gpu", "2 * 4 gpu"))
    main(["render", str(notes)])
    text = notes.read_text()
    assert "| x | 8 gpu |" in text and "6 gpu" not in text
    assert text.count("<!-- envelope: end -->") == 1 and text.endswith("text after\n")


def test_render_needs_a_readable_file(tmp_path, capsys):
    assert main(["render", str(tmp_path / "missing.md")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_markdown_cells_keep_user_text_inside_the_cell():
    from calculator.common.text import markdown_cell

    assert markdown_cell("a | b") == "a \\| b"
    assert markdown_cell("line one\nline two") == "line one line two"
    assert markdown_cell("back\\slash|") == "back\\\\slash\\|"
