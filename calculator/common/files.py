"""Reading a file named by a stranger: only a regular file, and never more than a limit.

A path in a scenario (`extends:`, `catalog:`), on the command line or in the cache can name a FIFO
(which blocks forever), a device (`/dev/zero` never ends), a folder, a symlink loop, a name with a
NUL byte or one too long for the system. Each is refused here, by its type before the file is
opened, with a FileError that says what it is; a regular file is read in chunks up to its cap.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from calculator.common.errors import FileError, Location

CHUNK_BYTES = 1 << 16

_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a named pipe (FIFO)"),
    (stat.S_ISCHR, "is a device"),
    (stat.S_ISBLK, "is a device"),
    (stat.S_ISSOCK, "is a socket"),
)
_REASONS = {
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "the file name is too long for this system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


class MissingFile(FileError):
    """The file is not there (a caller naming it, as `extends:` does, says so in its own words)."""


def read_bounded(path: Path, limit: int, what: str = "a file") -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; a FileError on the path for
    anything else: missing, not a regular file, unreadable, or larger than `limit` (`what` it should be,
    for the message: "a scenario file")."""
    where = Location(str(path))
    info = _stat(path, where)
    _refuse_kind(info.st_mode, where, what)
    if info.st_size > limit:
        raise FileError(f"file is {info.st_size:,} bytes; {what} may be at most {limit:,}", where)
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO since the stat, opening it does not wait
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise _error(error, where) from None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        _refuse_kind(os.fstat(descriptor).st_mode, where, what)
        chunks, size = [], 0
        while size <= limit:
            try:
                chunk = handle.read(min(CHUNK_BYTES, limit + 1 - size))
            except OSError as error:
                raise _error(error, where) from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > limit:
        raise FileError(f"file is more than {limit:,} bytes; {what} may be at most {limit:,}", where)
    return b"".join(chunks)


def _stat(path: Path, where: Location) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise MissingFile("no such file", where) from None
    except ValueError:
        raise FileError("the file name contains a NUL byte", where) from None
    except OSError as error:
        raise _error(error, where) from None


def _refuse_kind(mode: int, where: Location, what: str) -> None:
    for test, kind in _KINDS:
        if test(mode):
            hint = "use 'envelope check DIR' for a folder" if stat.S_ISDIR(mode) else None
            raise FileError(f"{kind}, not {what}", where, hint)
    if not stat.S_ISREG(mode):
        raise FileError(f"is not a regular file, so not {what}", where)


def _error(error: OSError, where: Location) -> FileError:
    if isinstance(error, FileNotFoundError):
        return MissingFile("no such file", where)
    reason = _REASONS.get(error.errno or 0, error.strerror or str(error))
    return FileError(f"cannot read the file: {reason}", where)
