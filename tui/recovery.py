"""Unsaved edits kept on disk: a killed terminal, a crash or a power cut loses no edit.

After every change to a scenario's edits the TUI writes them (the texts as typed) to one
small JSON file a scenario, `<state folder>/envelope/recovery/<sha256 of the resolved path>.json`
(the platformdirs state folder: `$XDG_STATE_HOME`, else `~/.local/state`, on Linux), atomically
(`calculator.write_text_atomically`: a reader never sees half a file). A save, a discard, or
undoing back to the file's values removes it. On the next start a scenario with a recovery
file offers its edits back (restore or discard).

The file is data from the user's own folder, yet read as a stranger's, as calculator reads files:
only a regular file (a FIFO or a device is never opened for reading, and the open does not wait),
at most `MAX_RECOVERY_BYTES`, every field type-checked; anything else is not a recovery of this
scenario (it is ignored, never a crash).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import calculator
from calculator import record

FORMAT = 1
MAX_RECOVERY_BYTES = 1 << 20
"""The largest recovery file read: edits are a few lines of text."""


@record
class Recovery:
    """Edits kept for one scenario file: input name → the text as typed; when, and the file as it was."""

    path: str
    edits: dict[str, str]
    saved_at: float
    file_sha256: str | None  # the scenario file's bytes the edits were made on (None: unknown)

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))


def folder() -> Path:
    """`recovery/` in envelope's platformdirs state folder (where calculator keeps its cache secret)."""
    if sys.platform.startswith("linux"):
        # platformdirs' rule on Linux, applied here: importing platformdirs costs ~13 ms of TUI start-up.
        value = os.environ.get("XDG_STATE_HOME", "").strip()
        base = Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "state"
        return base / "envelope" / "recovery"
    import platformdirs  # only where its rule is not the XDG one (start-up, see above)

    return Path(platformdirs.user_state_dir("envelope", appauthor=False)) / "recovery"


def scenario_key(scenario: Path) -> str:
    """The scenario's resolved path (one recovery file however the path is written)."""
    try:
        return str(scenario.resolve())
    except (OSError, RuntimeError):  # a symlink loop: the path as given
        return str(scenario.absolute())


def file_for(scenario: Path) -> Path:
    """The recovery file of a scenario: named by a hash of its resolved path."""
    key = hashlib.sha256(os.fsencode(scenario_key(scenario))).hexdigest()
    return folder() / f"{key}.json"


def keep(scenario: Path, edits: Mapping[str, str], file_sha256: str | None) -> None:
    """Write the edits of `scenario` (an empty mapping removes its recovery file).

    Raises calculator.EnvelopeError (a WriteError) or OSError when the state folder cannot be written.
    """
    if not edits:
        discard(scenario)
        return
    target = file_for(scenario)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {
        "format": FORMAT,
        "path": scenario_key(scenario),
        "edits": dict(edits),
        "saved_at": time.time(),
        "file_sha256": file_sha256,
    }
    calculator.write_text_atomically(target, json.dumps(record, ensure_ascii=False, indent=1) + "\n")


class Keeper:
    """Writes recovery files off the UI thread (a write and its fsyncs take milliseconds): each change
    gets a ticket on the UI thread, and a write whose scenario has a newer ticket is skipped, so the
    latest edits win whatever order the workers run in; a discard wins over every write before it."""

    def __init__(self) -> None:
        self._writing = threading.Lock()
        self._tickets = 0
        self._latest: dict[str, int] = {}  # scenario key → its newest ticket (changed on the UI thread only)

    def ticket(self, scenario: Path) -> int:
        """On the UI thread, for each change: the ticket its write carries."""
        self._tickets += 1
        self._latest[scenario_key(scenario)] = self._tickets
        return self._tickets

    def keep(self, ticket: int, scenario: Path, edits: Mapping[str, str], file_sha256: str | None) -> None:
        """In a worker: `keep`, unless newer edits of the scenario came since the ticket was given."""
        with self._writing:
            if self._latest.get(scenario_key(scenario)) == ticket:
                keep(scenario, edits, file_sha256)

    def discard(self, scenario: Path) -> None:
        """On the UI thread: remove the recovery file, after any write under way, and skip every queued one."""
        self.ticket(scenario)
        with self._writing:
            discard(scenario)


def discard(scenario: Path) -> None:
    """Remove the recovery file of `scenario`, if there is one (one that cannot be removed stays: it
    is offered again next time, which loses nothing)."""
    with contextlib.suppress(OSError):
        file_for(scenario).unlink()


def find(scenario: Path) -> Recovery | None:
    """The edits kept for `scenario`, or None (no file, or one that is not a recovery of this scenario)."""
    try:
        path = file_for(scenario)
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECOVERY_BYTES:
        return None
    try:
        # O_NONBLOCK: a file swapped for a FIFO since the stat does not block the open
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            data = json.loads(handle.read(MAX_RECOVERY_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return _recovery(data, scenario_key(scenario))


def _recovery(data: object, path: str) -> Recovery | None:
    """`data` as a Recovery of the scenario at `path`, or None when it is of another shape or file."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("path") != path:
        return None
    edits, saved_at, sha = data.get("edits"), data.get("saved_at"), data.get("file_sha256")
    if not isinstance(edits, dict) or not edits:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in edits.items()):
        return None
    if not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool) or not (0 <= saved_at < 1e11):
        return None
    if sha is not None and not isinstance(sha, str):
        return None
    return Recovery(path, dict(edits), float(saved_at), sha)
