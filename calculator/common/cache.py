"""envelope's folder in the user's cache: versioned, checked JSON entries, and atomic writes.

What lives there can always be rebuilt: a missing, corrupt, foreign or
unwritable entry only costs time, never a wrong answer, so every failure to
read or write an entry is a miss.

Entries. One file a key: `<kind>/<key[:32]>.json`, a header line
`{"format", "kind", "key", "sha256", "seal"}` and then the payload (JSON).
The key is a hash of everything the payload was computed from: the input
(text or data), the source of the code that computes it, the versions of the
libraries it uses, and `FORMAT`. Payloads are plain data decoded by the
caller's own codec (never pickle: reading an entry never runs code).

Threat model. The cache folder can be written by other programs, and CI
restores caches saved by other branches, so an entry is untrusted input:
- a torn, truncated or bit-flipped entry fails its sha256: a miss;
- an entry of another format, kind or key (one planted at this key's file
  name, or a genuine entry renamed) is a miss: the header's key must be the
  key of the current input, and a hash of the input cannot be chosen;
- a well-formed entry for this very key with a changed payload, its sha256
  recomputed, is a miss: the header's seal is an HMAC of key and sha256 under
  a secret that lives outside the cache folder (the user's state folder, mode
  600), so a cache restored from elsewhere, or written by a program that can
  write the cache but not read that secret, cannot forge it;
- a payload that passes all this is still decoded by a strict codec (shapes
  and types checked) before it is used.
Limits: a program running as the user that can read the secret can forge
entries (it could as well edit the scenario files or envelope itself); a
missing or unreadable secret, or an unwritable state folder, turns the cache
off (every run is cold), it does not weaken it. An attacker who can write the
cache can always make envelope slower (delete or spoil entries), never wrong.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import json
import os
import sys
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from calculator.common.errors import EnvelopeError, Location
from calculator.common.files import read_bounded

FORMAT = 1
"""The entry format; bumping it makes every existing entry a miss."""

_SECRET_BYTES = 32
MAX_ENTRY_BYTES = 64 << 20
"""The largest cache entry read (a bigger one, planted or not, is a miss): a cached document of the
largest scenario file is a few megabytes."""


def cache_dir() -> Path:
    """envelope's cache folder, as platformdirs places it (Linux: $XDG_CACHE_HOME/envelope, else ~/.cache/envelope)."""
    if sys.platform.startswith("linux"):
        # platformdirs' rule on Linux, applied here: importing platformdirs costs ~13 ms of start-up.
        return _xdg_dir("XDG_CACHE_HOME", ".cache")
    import platformdirs  # only where its rule is not the XDG one (start-up, see above)

    return Path(platformdirs.user_cache_dir("envelope", appauthor=False))


def state_dir() -> Path:
    """Where the cache's secret lives: outside the cache, so restoring a cache does not bring one."""
    if sys.platform.startswith("linux"):
        return _xdg_dir("XDG_STATE_HOME", ".local/state")
    import platformdirs  # only where its rule is not the XDG one (start-up, see cache_dir)

    return Path(platformdirs.user_state_dir("envelope", appauthor=False))


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "").strip()
    base = Path(value) if value and os.path.isabs(value) else Path.home() / fallback
    return base / "envelope"


# --- keys -------------------------------------------------------------------------------------------------------


def cache_key(kind: str, *parts: bytes) -> str:
    """A key for `kind` from what an entry is computed from (each part length-prefixed: no two splits collide)."""
    digest = hashlib.sha256(f"envelope cache {FORMAT} {kind}\0".encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def source_stamp(folder: Path, names: Iterable[str]) -> bytes:
    """A digest of the source files an entry's computation depends on.

    A digest, not the bytes: a key is computed for every document read, and hashing ~80 KB of
    source each time was a tenth of a cold `eval` (callers keep the stamp for the process)."""
    digest = hashlib.sha256()
    for name in names:
        source = (folder / name).read_bytes()
        digest.update(name.encode() + b"\0" + len(source).to_bytes(8, "big") + source)
    return digest.digest()


def package_stamp(package: str) -> bytes:
    """Which version of `package` is installed, told by its files without importing it.

    (importlib.metadata costs ~40 ms to import; the location, size and mtime of
    the package's __init__ change with every install of another version.)
    """
    spec = importlib.util.find_spec(package)
    origin = spec.origin if spec else None
    if origin is None:
        return f"{package}: none".encode()
    stat = os.stat(origin)
    return f"{package}: {origin} {stat.st_size} {stat.st_mtime_ns}".encode()


# --- entries ----------------------------------------------------------------------------------------------------


_IN_PROCESS_ENTRIES = 64
"""The entries a long-lived process keeps in its memory while `in_process` is on (the latest texts of a few files)."""
_in_process: OrderedDict[tuple[str, str], Any] = OrderedDict()
_in_process_kinds: list[str] = []
_in_process_seen: OrderedDict[tuple[str, str], None] = OrderedDict()  # keys asked for once: kept if asked again


@contextlib.contextmanager
def in_process(*kinds: str) -> Iterator[None]:
    """Inside the block, entries of `kinds` are kept in this process's memory rather than written to disk.

    For the language server, which loads a new text at every pause in typing: writing each one
    (JSON, sha256, fsync, pruning the folder) would cost more than parsing it, and no later run
    would read it. The latest `_IN_PROCESS_ENTRIES` payloads stay in memory (an unchanged
    `extends:` base, a comment-only edit's validated form); reads look there first, then on disk.
    Only kinds whose payloads are built afresh for each write belong here (a decoder builds new
    objects from a payload, so handing the same one out again is safe). A text is kept only the
    second time it is loaded (`worth_keeping`): most texts of a keystroke are never loaded again,
    and encoding each one would cost a tenth of the step.
    """
    _in_process_kinds.extend(kinds)
    try:
        yield
    finally:
        del _in_process_kinds[len(_in_process_kinds) - len(kinds) :]


def worth_keeping(kind: str, key: str) -> bool:
    """Whether to encode and write the entry for `key` that was just a miss: always, except in
    `in_process`, where only a key that missed before is (an `extends:` base loaded at every keystroke)."""
    if kind not in _in_process_kinds:
        return True
    if (kind, key) in _in_process_seen:
        return True
    _in_process_seen[kind, key] = None
    while len(_in_process_seen) > 4 * _IN_PROCESS_ENTRIES:
        _in_process_seen.popitem(last=False)
    return False


def entry_path(kind: str, key: str) -> Path:
    return cache_dir() / kind / f"{key[:32]}.json"


def read_entry(kind: str, key: str) -> Any | None:
    """The payload kept for `key`, or None: missing, unreadable, torn, foreign, forged or not JSON."""
    if kind in _in_process_kinds and (kind, key) in _in_process:
        _in_process.move_to_end((kind, key))
        return _in_process[kind, key]
    secret = _secret(create=False)
    if secret is None:
        return None
    try:
        raw = read_bounded(entry_path(kind, key), MAX_ENTRY_BYTES)
        head, _, payload = raw.partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("kind") != kind:
            return None
        if header.get("key") != key:
            return None
        checksum = hashlib.sha256(payload).hexdigest()
        if header.get("sha256") != checksum or not hmac.compare_digest(str(header.get("seal")), _seal(secret, key, checksum)):
            return None
        return json.loads(payload)
    except (OSError, ValueError, RecursionError, EnvelopeError):  # EnvelopeError: not a regular file, or too large
        return None


def write_entry(kind: str, key: str, payload: Any, keep: int) -> None:
    """Keep `payload` (JSON data) for `key`, and no more than `keep` entries of `kind`; failures only cost time."""
    if kind in _in_process_kinds:
        _in_process[kind, key] = payload
        _in_process.move_to_end((kind, key))
        while len(_in_process) > _IN_PROCESS_ENTRIES:
            _in_process.popitem(last=False)
        return
    secret = _secret(create=True)
    if secret is None:
        return
    try:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        checksum = hashlib.sha256(body).hexdigest()
        header = {"format": FORMAT, "kind": kind, "key": key, "sha256": checksum, "seal": _seal(secret, key, checksum)}
        path = entry_path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(path, json.dumps(header).encode() + b"\n" + body)
    except (OSError, ValueError, TypeError, RecursionError, EnvelopeError):
        return
    prune(path.parent, keep)


def prune(folder: Path, keep: int) -> None:
    """Delete the oldest entries of `folder` beyond `keep` (a cache must not grow forever)."""
    try:
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in entries[: max(0, len(entries) - keep)]:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _seal(secret: bytes, key: str, checksum: str) -> str:
    return hmac.new(secret, f"{key}\0{checksum}".encode(), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _secret_at(path: Path, create: bool) -> bytes | None:
    secret: bytes | None
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        secret = _create_secret(path) if create else None
    except OSError:
        return None
    return secret if secret is not None and len(secret) == _SECRET_BYTES else None


def _secret(create: bool) -> bytes | None:
    """This user's cache secret (made on the first write), or None: then nothing is read or written."""
    path = state_dir() / "cache-secret"
    secret = _secret_at(path, False)
    if secret is None and create:
        _secret_at.cache_clear()
        secret = _secret_at(path, True)
    return secret


def _create_secret(path: Path) -> bytes | None:
    """A new secret, linked into place only if none is there yet (parallel first runs agree on one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(os.urandom(_SECRET_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return path.read_bytes()
    except OSError:
        return None


# --- atomic writes ----------------------------------------------------------------------------------------------


class WriteError(EnvelopeError, OSError):
    """A file could not be written; also an OSError, for callers that handle file errors as such."""

    def __init__(self, message: str, path: Path, hint: str | None = None):
        EnvelopeError.__init__(self, message, Location(str(path)), hint)


def write_text_atomically(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` all at once; see :func:`write_bytes_atomically`."""
    write_bytes_atomically(Path(path), text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once: a temporary file in the same folder, fsync, rename.

    A reader sees the old file or the new one, never half of one. A symlink is
    written through (the link stays a link); a file with hard links is written in
    place once the new content is safe in the temporary file (its links stay one
    file; a reader may then see a half-written file); an existing file keeps its mode; a
    read-only file, a folder, or a missing folder is refused with a WriteError,
    and the temporary file is removed on any failure.
    """
    target = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise WriteError(f"cannot write the file: {error.strerror}", Path(path)) from None
    mode = info.st_mode if info is not None else None
    if mode is not None:
        if target.is_dir():
            raise WriteError("is a directory, not a file", Path(path))
        if not mode & 0o200:
            raise WriteError("file is read-only", Path(path), hint="make it writable (chmod u+w) or write another file")
    if not target.parent.is_dir():
        raise WriteError(f"no such folder: {target.parent}", Path(path))
    _remove_abandoned_temporaries(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.envelope-tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to any new file
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode & 0o7777)
        if info is not None and info.st_nlink > 1:
            _write_in_place(target, data)
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise WriteError(f"cannot write the file: {error.strerror or error}", Path(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _remove_abandoned_temporaries(target: Path) -> None:
    """Temporary files of earlier writes of `target` whose process is gone (a save killed with SIGKILL, or
    a machine that lost power, cannot clean up after itself): each names its writer's process id."""
    prefix = f".{target.name}."
    try:
        names = [name for name in os.listdir(target.parent) if name.startswith(prefix) and name.endswith(".envelope-tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(target.parent / name)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's (PermissionError), or a pid this system cannot ask about
        return True
    return True


def _write_in_place(target: Path, data: bytes) -> None:
    """A file with hard links: a rename would give this name a new file and leave its other names on the
    old one, so the bytes go into the file itself, once the whole new content is safe (fsync) in the
    temporary file (a crash mid-write leaves it there, complete)."""
    descriptor = os.open(target, os.O_WRONLY)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
