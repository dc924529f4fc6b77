"""Writing edited inputs back to a scenario file: every byte but the edited values kept.

A YAML dumper would re-indent and re-wrap parts of a file the user never
touched, so the engine's `calculator.rewrite_inputs` replaces only the spans
of the edited values, where its loader read them. An input the file inherits
through `extends:` is added to this file's `inputs:` (which overrides the
base's entry), never written into the shared base file.

Before anything is written, the new text is loaded by the engine: what it
reads back must be exactly the edited values. The write is
atomic (a temporary file in the same folder, fsync, rename), so a crash
mid-save leaves either the old file or the new one, never a mix. A file that
changed on disk since it was loaded is not overwritten (:class:`Conflict`).
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import calculator
from calculator import record


@record
class Fingerprint:
    """What a file looked like when it was read: a cheap stat, and a hash of its bytes to be sure."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of_bytes(cls, data: bytes, stat: os.stat_result) -> Fingerprint:
        return cls(stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest())

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        stat = path.stat()
        return cls.of_bytes(path.read_bytes(), stat)

    def same_stat(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return False
        return (stat.st_mtime_ns, stat.st_size) == (self.mtime_ns, self.size)


class Conflict(Exception):
    """The file changed on disk since it was loaded: saving would overwrite someone's work."""

    def __init__(self, path: Path):
        super().__init__(f"{path} changed on disk since it was loaded")
        self.path = path


class SaveRefused(Exception):
    """The edited text would not read back as the edits (or not load): nothing is written."""


@record
class Change:
    """One input as the save writes it."""

    name: str
    old: str | None  # the text in this file, None when the input is added here
    new: str


@record
class SavePlan:
    """What a save will write: shown to the user first, then written by :func:`write_plan`."""

    path: Path
    old_text: str
    new_text: str
    changes: tuple[Change, ...]
    fingerprint: Fingerprint  # of the file the plan was made from

    def diff(self) -> str:
        """A unified diff of the file, old → new."""
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            f"{self.path} (on disk)",
            f"{self.path} (edited)",
            n=1,
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def plan_save(path: Path, edits: Mapping[str, str], loaded: Fingerprint | None, target: Path | None = None) -> SavePlan:
    """The new text of `path` with `edits` (input name → text as typed) written in.

    Raises :class:`Conflict` when `path` no longer has the content it had when
    loaded (`loaded`), and :class:`SaveRefused` when the result would not load
    as the same scenario with the edited values. `target` (save as) is where it
    will be written; `extends:` is resolved from there.
    """
    data = path.read_bytes()
    current = Fingerprint.of_bytes(data, path.stat())
    if loaded is not None and current.sha256 != loaded.sha256:
        raise Conflict(path)
    old_text = data.decode("utf-8")
    new_text, changes = rewrite(old_text, edits)
    verify(new_text, edits, target or path)
    return SavePlan(target or path, old_text, new_text, tuple(changes), current)


def plan_dropping_correlations(
    path: Path, edits: Mapping[str, str], pairs: list[tuple[str, str]], loaded: Fingerprint | None
) -> SavePlan:
    """A save of `edits` that also drops the correlations `pairs` from `path` (a point value for a
    correlated input needs them gone). Raises :class:`Conflict` and :class:`SaveRefused` as `plan_save`,
    and SaveRefused when a correlation is not written in this file (a base's) or is on one line."""
    data = path.read_bytes()
    current = Fingerprint.of_bytes(data, path.stat())
    if loaded is not None and current.sha256 != loaded.sha256:
        raise Conflict(path)
    old_text = data.decode("utf-8")
    text = old_text
    dropped = []
    for first, second in pairs:
        try:
            text, value = calculator.drop_correlation(text, first, second, str(path))
        except calculator.EnvelopeError as error:
            hint = f" ({error.hint})" if error.hint else ""
            raise SaveRefused(f"cannot drop the correlation: {error.message}{hint}") from None
        dropped.append(Change(f"correlation {first}~{second}", value, "dropped"))
    new_text, changes = rewrite(text, edits)
    verify(new_text, edits, path)
    return SavePlan(path, old_text, new_text, (*dropped, *changes), current)


def write_plan(plan: SavePlan, check_conflict: bool = True) -> Fingerprint:
    """Write a plan atomically; refuse if the file changed since the plan was made. Returns the new fingerprint."""
    if check_conflict and plan.path.exists() and Fingerprint.of(plan.path).sha256 != plan.fingerprint.sha256:
        raise Conflict(plan.path)
    return write_atomically(plan.path, plan.new_text)


def write_atomically(path: Path, text: str) -> Fingerprint:
    """Replace `path` with `text` all at once (calculator.write_text_atomically: temporary file, fsync, rename).

    A file that cannot be written raises calculator.EnvelopeError (also an OSError) saying why.
    """
    calculator.write_text_atomically(path, text)
    return Fingerprint.of_bytes(text.encode("utf-8"), path.stat())


# --- the text surgery (the engine's: calculator.rewrite_inputs) ---------------------------------------------


def rewrite(text: str, edits: Mapping[str, str]) -> tuple[str, list[Change]]:
    """`text` with each edited input's value span replaced (or the input added to `inputs:`)."""
    try:
        new_text, changes = calculator.rewrite_inputs(text, edits)
    except calculator.EnvelopeError as error:
        raise SaveRefused(f"cannot edit the file: {error.message}") from None
    return new_text, [Change(c.name, c.old, c.new) for c in changes]


def verify(new_text: str, edits: Mapping[str, str], path: Path) -> None:
    """The edited text must load in the engine, with each edited input reading back as its new value."""
    try:
        model = calculator.loads(new_text, str(path), path.parent)
    except calculator.EnvelopeError as error:
        raise SaveRefused(f"the saved file would not load: {error.render()}") from None
    inputs = model.view()
    bindings = {binding.name: binding.entry for binding in inputs.bindings}
    for name, new in edits.items():
        value = inputs.input(name)
        text = bindings.get(name) if name in bindings else value.text if value is not None else None
        if text != new:
            raise SaveRefused(f"'{name}' would not read back as '{new}'; nothing was written")
