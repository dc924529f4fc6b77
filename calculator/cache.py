"""envelope's folder in the user's cache, and atomic writes into it.

What lives there can always be rebuilt: a missing, corrupt or unwritable cache
only costs time, never a wrong answer, so every failure here is swallowed.
"""

from __future__ import annotations

import os
from pathlib import Path


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
