"""envelope's folder in the user's cache, and atomic writes into it.

What lives there can always be rebuilt: a missing, corrupt or unwritable cache
only costs time, never a wrong answer, so every failure here is swallowed.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envelope"


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename, so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        pass


def prune(folder: Path, keep: int) -> None:
    """Delete the oldest files of `folder` beyond `keep` (a cache must not grow forever)."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
        for path in entries[: max(0, len(entries) - keep)]:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def read_pickled(path: Path, kind: type[T]) -> T | None:
    """An entry written by `write_pickled`, or None when it is missing, corrupt or not a `kind`."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        value = pickle.loads(data)  # our own cache folder; anything odd is rebuilt by the caller
    except Exception:
        return None
    return value if isinstance(value, kind) else None


def write_pickled(path: Path, value: object, keep: int) -> None:
    """Keep `value` at `path`, and no more than `keep` entries in its folder."""
    write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    prune(path.parent, keep)
