"""Edits in place: new values for a scenario's inputs, written into its text by span replacement.

The text is parsed by `yaml_nodes` (the loader's own reading, with each value's
start and end offsets) and only the edited values' spans are replaced, so
every other byte — comments, quoting, flow mappings, line endings — stays as
it was. A new value keeps the old one's quoting; a plain value is quoted
(double) when YAML would read it differently. An input the text does not
have (one it inherits through `extends:`) is added at the end of its
`inputs:` block, where it overrides the base's: a shared base file is never
written through a file that extends it. A `hardware:` binding's entry is
edited the same way: `gpu: H100-SXM` or the `value:` of `gpu: {one_of: [...], value: ...}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from calculator.common.errors import EnvelopeError, ShapeError
from calculator.common.records import record
from calculator.file.document import Document, Key, Path_

SPECIAL_FIRST = "!&*[]{}|>'\"%@`#,?-:"  # a plain scalar cannot start with these (or they change its meaning)
FLOW_INDICATORS = ",[]{}"


@record
class InputChange:
    """One input as an edit writes it."""

    name: str
    old: str | None  # its text in this file; None when the edit adds it here
    new: str


def rewrite_inputs(text: str, edits: Mapping[str, str], file: str = "<text>") -> tuple[str, list[InputChange]]:
    """`text` with each edited input's value (name → new text) replaced in place, or added to `inputs:`.

    Raises EnvelopeError when the text is not a scenario's YAML, or when an input must be
    added to an `inputs:` that is not a block mapping.
    """
    document = _parse(text, file)
    spans: list[tuple[int, int, str]] = []
    changes: list[InputChange] = []
    added: list[tuple[str, str]] = []
    for name, new in edits.items():
        path = hardware_path(document, name) or value_path(document, name)
        if path is None and _is_binding(document, name):
            raise ShapeError(
                f"'{name}' lists its options without 'value:': there is no entry text to replace",
                document.where("hardware", name),
                f"add 'value: {new}' to its mapping to save the choice",
            )
        if path is None and _has_options(document, name):  # `{one_of: [...]}`: its value is added beside them
            spans.append(_value_beside_options(text, document, name, new))
            changes.append(InputChange(name, _first_option(document, name), new))
            continue
        if path is None:
            added.append((name, new))
            changes.append(InputChange(name, None, new))
            continue
        start, end = document.spans[path]
        spans.append((start, end, _scalar_text(text, document, path, new)))
        changes.append(InputChange(name, _data_at(document, path), new))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    if added:
        text = _add_inputs(text, _parse(text, file), added)
    return text, changes


def drop_correlation(text: str, first: str, second: str, file: str = "<text>") -> tuple[str, str]:
    """`text` without the correlation of `first` and `second` (in any of its forms), and the value it had.

    Whole lines go: the entry's, and `correlations:` with it when it was the only one, so
    every other byte stays. Raises ShapeError when this text does not write that correlation
    (it may come from a file this one extends) or writes it inside a one-line flow collection.
    """
    document = _parse(text, file)
    entries = document.data.get("correlations")
    found = _correlation_entry(document, entries, {first, second})
    where = document.where("correlations")
    if found is None:
        raise ShapeError(
            f"this file does not write the correlation of '{first}' and '{second}'",
            where,
            hint="it comes from a file this one extends: drop it there",
        )
    prefix, value = found
    lines = [loc for path, loc in document.places.items() if path[: len(prefix)] == prefix]
    first_line, last_line = min(loc.line for loc in lines), max(loc.end_line or loc.line for loc in lines)
    if first_line == where.line:
        raise ShapeError("the correlations are written on one line: drop this one by hand", where)
    if isinstance(entries, (list, dict)) and len(entries) == 1:
        first_line = where.line  # the only one: `correlations:` goes too
    kept = text.splitlines(keepends=True)
    return "".join(kept[: first_line - 1] + kept[last_line:]), value


def _correlation_entry(document: Document, entries: object, pair: set[str]) -> tuple[Path_, str] | None:
    """The path and value of the entry correlating `pair`: `- {between: [a, b], value: v}`, `a|b: v` or `[a, b]: v`."""
    if isinstance(entries, list):
        for index, item in enumerate(entries):
            if isinstance(item, dict) and isinstance(item.get("between"), list) and set(item["between"]) == pair:
                return ("correlations", str(index)), str(item.get("value"))
    if isinstance(entries, dict):
        for key, value in entries.items():
            names = set(key) if isinstance(key, tuple) else set(str(key).split("|"))
            if names == pair and len(pair) == 2:
                return ("correlations", key), str(value)
    return None


def input_texts(text: str, file: str = "<text>") -> dict[str, str]:
    """Each input's value text as this text writes it (its own inputs, not a base's)."""
    document = _parse(text, file)
    found = {}
    for name in _inputs(document) or {}:
        path = value_path(document, str(name))
        if path is not None:
            found[str(name)] = str(_data_at(document, path))
    return found


def hardware_path(document: Document, name: str) -> Path_ | None:
    """Where a `hardware:` binding's entry text is: `name: ID` or `name: {one_of: [...], value: ID}`."""
    if not _is_binding(document, name):
        return None
    entry = document.data["hardware"][name]
    if isinstance(entry, str):
        return ("hardware", name)
    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
        return ("hardware", name, "value")
    return None


def _is_binding(document: Document, name: str) -> bool:
    hardware = document.data.get("hardware")
    return isinstance(hardware, dict) and name in hardware


def value_path(document: Document, name: str) -> Path_ | None:
    """Where an input's value text is: `name: TEXT` or `name: {value: TEXT, note: ...}`; None if not here."""
    inputs = _inputs(document)
    if inputs is None or name not in inputs:
        return None
    entry = inputs[name]
    if isinstance(entry, str):
        return ("inputs", name)
    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
        return ("inputs", name, "value")
    return None


def _has_options(document: Document, name: str) -> bool:
    entry = (_inputs(document) or {}).get(name)
    return isinstance(entry, dict) and "value" not in entry


def _first_option(document: Document, name: str) -> str | None:
    """The option an input without `value:` takes: the first listed (or FROM of a range)."""
    entry = (_inputs(document) or {}).get(name)
    listed = next((entry[k] for k in ("one_of", "range", "powers_of_two") if isinstance(entry, dict) and k in entry), None)
    return str(listed[0]) if isinstance(listed, list) and listed else None


def _value_beside_options(text: str, document: Document, name: str, new: str) -> tuple[int, int, str]:
    """The edit that adds `value: NEW` to an input's mapping that lists only options: before the closing
    brace of a flow mapping, or as a last line of a block one, at its keys' indent."""
    path: Path_ = ("inputs", name)
    start, end = document.spans[path]
    if text[start] == "{":
        close = text.rindex("}", start, end)
        at = close
        while at > start and text[at - 1] in " \t":
            at -= 1
        scalar = new if plain_reads_back(new, flow=True) else json.dumps(new, ensure_ascii=False)
        return at, at, f", value: {scalar}"
    keys = [key for key in document.places if len(key) == 3 and key[:2] == path]
    indent = " " * (document.places[keys[0]].column - 1)
    newline = "\r\n" if "\r\n" in text else "\n"
    at = _end_of_line(text, _last_leaf_end(text, document, path))
    return at, at, f"{newline}{indent}value: {_fresh_scalar(new)}"


def _parse(text: str, file: str) -> Document:
    from calculator.file.yaml_nodes import parse  # PyYAML: only when a file is edited, never at start-up

    document = parse(text, file)
    return document


def _inputs(document: Document) -> dict[Key, object] | None:
    inputs = document.data.get("inputs")
    return inputs if isinstance(inputs, dict) else None


def _data_at(document: Document, path: Path_) -> str | None:
    node: object = document.data
    for key in path:
        node = node[key] if isinstance(node, dict) else None
    return node if isinstance(node, str) else None


def _scalar_text(text: str, document: Document, path: Path_, new: str) -> str:
    """`new` as a YAML scalar in the old one's style where that reads back as `new`, else double-quoted."""
    start, end = document.spans[path]
    style = text[start]
    if style == "'" and "\n" not in new:
        return "'" + new.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(new, ensure_ascii=False)
    if style not in "|>" and plain_reads_back(new, _in_flow(text, document, path)):
        return new
    quoted = json.dumps(new, ensure_ascii=False)
    return quoted + "\n" if style in "|>" and text[start:end].endswith("\n") else quoted


def _in_flow(text: str, document: Document, path: Path_) -> bool:
    """Whether the value sits inside a flow collection (`{ value: 2 ms, note: x }`), where `,[]{}` end it."""
    return any(text[document.spans[path[:n]][0]] in "{[" for n in range(len(path)) if path[:n] in document.spans)


def plain_reads_back(new: str, flow: bool = False) -> bool:
    """Whether `new` can be written unquoted and read back by the loader as the same text."""
    if not new or new != new.strip() or "\n" in new or ": " in new or " #" in new or new.endswith(":"):
        return False
    if new[0] in SPECIAL_FIRST or (flow and any(c in new for c in FLOW_INDICATORS)):
        return False
    try:
        read = _parse(f"k: {new}\n", "<check>").data.get("k")
    except EnvelopeError:
        return False
    return read == new


def _add_inputs(text: str, document: Document, added: list[tuple[str, str]]) -> str:
    """Add `name: value` lines at the end of the text's `inputs:` block (creating the block if needed)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    inputs = _inputs(document)
    where = document.where("inputs")
    if "inputs" in document.data and (not inputs or text[document.spans[("inputs",)][0]] in "{["):
        raise EnvelopeError(
            "this file's `inputs:` is not a block mapping with entries; add the inherited input to it by hand", where
        )
    lines = [f"{name}: {_fresh_scalar(new)}" for name, new in added]
    if inputs:
        first, last = next(iter(inputs)), list(inputs)[-1]
        indent = " " * (document.places[("inputs", first)].column - 1)
        at = _end_of_line(text, _last_leaf_end(text, document, ("inputs", last)))
        return text[:at] + "".join(f"{newline}{indent}{line}" for line in lines) + text[at:]
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return f"{text}inputs:{newline}" + "".join(f"  {line}{newline}" for line in lines)


def _last_leaf_end(text: str, document: Document, path: Path_) -> int:
    """Where the last scalar under `path` ends (a block mapping's own end is at the next key, past any
    comments; a block scalar's takes in its line breaks)."""
    inside = [p for p in document.spans if p[: len(path)] == path]
    leaves = [p for p in inside if not any(len(q) > len(p) and q[: len(p)] == p for q in inside)]
    start, end = max((document.spans[p] for p in leaves), key=lambda span: span[1])
    while end > start + 1 and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _end_of_line(text: str, index: int) -> int:
    end = text.find("\n", index)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _fresh_scalar(new: str) -> str:
    return new if plain_reads_back(new) else json.dumps(new, ensure_ascii=False)
