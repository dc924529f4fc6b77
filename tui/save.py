"""Writing edited inputs back to a scenario file: every byte but the edited values kept.

A round trip through ruamel.yaml's dumper would re-indent and re-wrap parts of
a file the user never touched, so the file is instead *composed* with
ruamel.yaml (which gives each scalar's start and end in the text) and only
the spans of the edited values are replaced. An input the file inherits
through `extends:` is added to this file's `inputs:` (which overrides the
base's entry), never written into the shared base file.

Before anything is written, the new text is composed again and loaded by the
engine: what it reads back must be exactly the edited values. The write is
atomic (a temporary file in the same folder, fsync, rename), so a crash
mid-save leaves either the old file or the new one, never a mix. A file that
changed on disk since it was loaded is not overwritten (:class:`Conflict`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import calculator


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Change:
    """One input as the save writes it."""

    name: str
    old: str | None  # the text in this file, None when the input is added here
    new: str


@dataclass(frozen=True)
class SavePlan:
    """What a save will write: shown to the user first, then written by :func:`write_plan`."""

    path: Path
    old_text: str
    new_text: str
    changes: tuple[Change, ...]
    fingerprint: Fingerprint  # of the file the plan was made from

    def diff(self) -> str:
        """A unified diff of the file, old → new."""
        lines = difflib.unified_diff(self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
                                     f"{self.path} (on disk)", f"{self.path} (edited)", n=1)
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


# --- the text surgery -------------------------------------------------------------------------------------------


def rewrite(text: str, edits: Mapping[str, str]) -> tuple[str, list[Change]]:
    """`text` with each edited input's value span replaced (or the input added to `inputs:`)."""
    root = _compose(text)
    inputs = _child(root, "inputs")
    spans: list[tuple[int, int, str]] = []
    changes: list[Change] = []
    added: list[tuple[str, str]] = []
    for name, new in edits.items():
        scalar = _value_scalar(inputs, name)
        if scalar is None:
            added.append((name, new))
            changes.append(Change(name, None, new))
            continue
        start, end = scalar.start_mark.index, scalar.end_mark.index
        spans.append((start, end, _scalar_text(text, scalar, new)))
        changes.append(Change(name, str(scalar.value), new))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    if added:
        text = _add_inputs(text, added)
    return text, changes


def _compose(text: str) -> Any:
    from ruamel.yaml import YAML

    try:
        root = YAML().compose(text)
    except Exception as error:  # ruamel's errors have no common base worth naming
        raise SaveRefused(f"the file is not valid YAML any more: {error}") from None
    if root is None or not isinstance(root.value, list):
        raise SaveRefused("the file is not a YAML mapping")
    return root


def _child(mapping: Any, key: str) -> Any:
    if mapping is None or mapping.tag.endswith(":map") is False:
        return None
    for key_node, value_node in mapping.value:
        if key_node.value == key:
            return value_node
    return None


def _value_scalar(inputs: Any, name: str) -> Any:
    """The scalar node holding an input's value: `name: TEXT` or `name: {value: TEXT, note: ...}`."""
    node = _child(inputs, name)
    if node is not None and node.tag.endswith(":map"):
        node = _child(node, "value")
    if node is None or not hasattr(node, "style") or isinstance(node.value, list):
        return None
    return node


def _scalar_text(text: str, scalar: Any, new: str) -> str:
    """`new` as a YAML scalar in the original's style where that reads back as `new`, else double-quoted."""
    flow = _in_flow(text, scalar.start_mark.index)
    if scalar.style == "'" and "\n" not in new:
        return "'" + new.replace("'", "''") + "'"
    if scalar.style in (None, "") and _plain_ok(new, flow):
        return new
    quoted = json.dumps(new, ensure_ascii=False)
    if scalar.style in ("|", ">") and text[scalar.start_mark.index:scalar.end_mark.index].endswith("\n"):
        return quoted + "\n"
    return quoted


def _in_flow(text: str, index: int) -> bool:
    """Whether the scalar at `index` sits inside `{...}` or `[...]` on its line (a flow collection)."""
    line = text[text.rfind("\n", 0, index) + 1:index]
    return line.count("{") + line.count("[") > line.count("}") + line.count("]")


def _plain_ok(new: str, flow: bool) -> bool:
    """Whether `new` can be written unquoted and read back as the same text."""
    if not new or new != new.strip() or "\n" in new or ": " in new or " #" in new or new.endswith(":"):
        return False
    if new[0] in "!&*[]{}|>'\"%@`#,?-:" or (flow and any(c in new for c in ",[]{}")):
        return False
    from ruamel.yaml import YAML

    try:
        node = YAML().compose(f"k: {new}\n")
    except Exception:
        return False
    value = node.value[0][1]
    return bool(value.value == new and not isinstance(value.value, list))


def _add_inputs(text: str, added: list[tuple[str, str]]) -> str:
    """Add `name: value` lines at the end of the file's `inputs:` block (creating it if needed)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    root = _compose(text)
    inputs = _child(root, "inputs")
    if inputs is not None and inputs.tag.endswith(":map") and not inputs.flow_style and inputs.value:
        indent = " " * inputs.value[0][0].start_mark.column
        last = inputs.value[-1][1]
        at = _end_of_line(text, _last_content_index(text, last))
        lines = "".join(f"{newline}{indent}{name}: {_fresh_scalar(new)}" for name, new in added)
        return text[:at] + lines + text[at:]
    if inputs is not None:
        raise SaveRefused("this file's `inputs:` is not a block mapping; add the inherited input to it by hand")
    if text and not text.endswith(("\n", "\r")):
        text += newline
    lines = "".join(f"  {name}: {_fresh_scalar(new)}{newline}" for name, new in added)
    return f"{text}inputs:{newline}{lines}"


def _last_content_index(text: str, node: Any) -> int:
    """The index of the last character of a node's own text (a block node's end mark is at the next line)."""
    index = node.end_mark.index
    while index > node.start_mark.index and text[index - 1] in " \t\r\n":
        index -= 1
    return int(max(index - 1, node.start_mark.index))


def _end_of_line(text: str, index: int) -> int:
    end = text.find("\n", index)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _fresh_scalar(new: str) -> str:
    return new if _plain_ok(new, flow=False) else json.dumps(new, ensure_ascii=False)


def verify(new_text: str, edits: Mapping[str, str], path: Path) -> None:
    """The edited text must load in the engine, with each edited input reading back as its new value."""
    root = _compose(new_text)
    inputs = _child(root, "inputs")
    for name, new in edits.items():
        scalar = _value_scalar(inputs, name)
        if scalar is None or str(scalar.value) != new:
            raise SaveRefused(f"'{name}' would not read back as '{new}'; nothing was written")
    try:
        model = calculator.loads(new_text, str(path), path.parent)
    except calculator.EnvelopeError as error:
        raise SaveRefused(f"the saved file would not load: {error.render()}") from None
    for name, new in edits.items():
        value = next((v for v in model.scenario.inputs if v.name == name), None)
        if value is None or value.text != new:
            raise SaveRefused(f"'{name}' would not read back as '{new}'; nothing was written")
