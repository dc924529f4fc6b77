"""One atomic write for every file envelope writes: cache entries, `render -o`, JUnit, the TUI's save."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import calculator
from tests.helpers import ROOT


def only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_new_file_is_written_whole(tmp_path):
    calculator.write_text_atomically(tmp_path / "new.txt", "héllo\n")
    assert (tmp_path / "new.txt").read_bytes() == "héllo\n".encode()
    assert only(tmp_path) == ["new.txt"]


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "target.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    calculator.write_text_atomically(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert only(tmp_path / "real") == ["target.md"] and only(tmp_path) == ["link.md", "real"]


def test_a_file_with_hard_links_stays_one_file(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("old")
    os.link(path, tmp_path / "b.md")
    calculator.write_text_atomically(path, "new, and longer than the old")
    assert (tmp_path / "b.md").read_text() == "new, and longer than the old" == path.read_text()
    assert path.stat().st_ino == (tmp_path / "b.md").stat().st_ino and path.stat().st_nlink == 2
    calculator.write_text_atomically(path, "short")  # and a shorter text leaves nothing of the longer one
    assert (tmp_path / "b.md").read_text() == "short"
    assert only(tmp_path) == ["a.md", "b.md"]


def test_the_files_mode_is_kept(tmp_path):
    path = tmp_path / "private.md"
    path.write_text("old")
    path.chmod(0o600)
    calculator.write_text_atomically(path, "new")
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == "new"


def test_a_read_only_file_is_refused(tmp_path):
    path = tmp_path / "frozen.md"
    path.write_text("old")
    path.chmod(0o444)
    with pytest.raises(calculator.EnvelopeError, match="file is read-only") as caught:
        calculator.write_text_atomically(path, "new")
    assert caught.value.location == calculator.Location(str(path))
    assert path.read_text() == "old" and only(tmp_path) == ["frozen.md"]


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(calculator.EnvelopeError, match="is a directory"):
        calculator.write_text_atomically(tmp_path / "dir", "new")
    assert only(tmp_path / "dir") == []


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(calculator.EnvelopeError, match="no such folder"):
        calculator.write_text_atomically(tmp_path / "absent" / "x.md", "new")
    assert only(tmp_path) == []


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "x.md"
    path.write_text("old")

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(calculator.EnvelopeError, match="cannot write the file: No space left on device"):
        calculator.write_text_atomically(path, "new")
    assert path.read_text() == "old" and only(tmp_path) == ["x.md"]


KILLED_MID_SAVE = """
import os, sys, time
import calculator
os.fsync = lambda fd: (print("writing", flush=True), time.sleep(60))  # stopped between the write and the rename
calculator.write_text_atomically(sys.argv[1], "half")
"""


def test_a_save_killed_with_sigkill_leaves_no_temporary_after_the_next_save(tmp_path):
    """A killed process cannot clean up: the next write of the same file removes the temporary files of
    writers that are gone, and leaves those of a writer still running (here: this test's own process)."""
    path = tmp_path / "x.md"
    path.write_text("old")
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_SAVE, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.kill()
    writer.wait(timeout=60)
    left = [name for name in only(tmp_path) if name.endswith(".envelope-tmp")]
    assert path.read_text() == "old" and len(left) == 1 and f".{writer.pid}." in left[0]
    running = tmp_path / f".x.md.{os.getpid()}.0000.envelope-tmp"
    running.write_text("a save in progress")
    calculator.write_text_atomically(path, "new")
    assert path.read_text() == "new" and only(tmp_path) == sorted([running.name, "x.md"])


def envelope(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculator.cli.main", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


NOTE = "# note\n\n```envelope\nname: n\ninputs:\n  a: 2 user\n```\n"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("absent/out.md", "absent/out.md: error: no such folder"),
        ("folder", "folder: error: is a directory, not a file"),
        ("frozen.md", "frozen.md: error: file is read-only"),
    ],
)
def test_render_to_a_bad_target_says_why_with_exit_2(tmp_path, target, message):
    (tmp_path / "note.md").write_text(NOTE)
    (tmp_path / "folder").mkdir()
    (tmp_path / "frozen.md").write_text("old")
    (tmp_path / "frozen.md").chmod(0o444)
    done = envelope("render", "note.md", "-o", target, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not [p for p in tmp_path.rglob("*") if "tmp" in p.name]


def test_junit_to_a_missing_folder_says_why_with_exit_2(tmp_path):
    (tmp_path / "s.yaml").write_text("name: s\ninputs:\n  a: 2 user\n")
    done = envelope("check", "s.yaml", "--junit", "absent/junit.xml", cwd=tmp_path)
    assert done.returncode == 2 and "absent/junit.xml: error: no such folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_junit_is_written_through_a_symlink(tmp_path):
    (tmp_path / "s.yaml").write_text("name: s\ninputs:\n  a: 2 user\n")
    (tmp_path / "real.xml").write_text("")
    (tmp_path / "junit.xml").symlink_to(tmp_path / "real.xml")
    done = envelope("check", "s.yaml", "--junit", "junit.xml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "junit.xml").is_symlink()
    assert (tmp_path / "real.xml").read_text().startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites>")
