"""Stage 1, load, its YAML half: a scenario's text into a Document, with every key's place.

YAML is composed with PyYAML's safe loader (libyaml when present) and walked by
hand, so that every key and value keeps its line and column, duplicate keys
are an error rather than last-one-wins, and anchors/aliases (the way to a YAML
bomb) are refused. Scalars stay text: the parser reads numbers and units.
Only `load.parse_yaml` imports this module, when its cache has no entry for
the text: a run on unchanged files never imports PyYAML.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

import yaml

from calculator.common.errors import FileError, Location, ShapeError
from calculator.file.document import Document, Key, Path_

MAX_YAML_DEPTH = 32
"""Mappings and lists inside one another; the deepest a scenario needs (nested latency stages) is about 12."""

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def parse(text: str, file: str, first_line: int = 1) -> Document:
    """YAML text into a Document, with positions, no duplicates and no aliases."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(file, mark.line + first_line, mark.column + 1) if mark else Location(file)
        raise FileError(f"YAML syntax: {error.problem or error.context}", where) from None
    except yaml.YAMLError as error:
        raise FileError(f"YAML syntax: {error}", Location(file)) from None
    except RecursionError:  # the pure-Python composer recurses once a level
        raise FileError(f"YAML nests deeper than {MAX_YAML_DEPTH} levels", Location(file, first_line, 1)) from None
    _refuse_deep(root, file, first_line)
    if not isinstance(root, yaml.MappingNode):
        raise FileError("a scenario file is a mapping of sections (name:, inputs:, ...)", _place(root, file, first_line))
    document = Document({}, file)
    document.spans[()] = (root.start_mark.index, root.end_mark.index)
    document.data = _Walker(document, first_line, text).mapping(root, ())
    return document


def _refuse_deep(root: yaml.Node | None, file: str, first_line: int) -> None:
    """A FileError at the first node nested deeper than MAX_YAML_DEPTH (measured without recursion, so
    every later walk of the data may recurse)."""
    pending = [(root, 1)] if root is not None else []
    seen: set[int] = set()  # an alias is the same node again (refused later): walked once, no YAML bomb here
    while pending:
        node, depth = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_YAML_DEPTH:
            raise FileError(f"YAML nests deeper than {MAX_YAML_DEPTH} levels", _place(node, file, first_line))
        if isinstance(node, yaml.SequenceNode):
            pending += [(item, depth + 1) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            pending += [(part, depth + 1) for pair in node.value for part in pair]


def _place(node: yaml.Node | None, file: str, first_line: int = 1) -> Location:
    if node is None:
        return Location(file, first_line, 1)
    start, end = node.start_mark, node.end_mark
    return Location(file, start.line + first_line, start.column + 1, end.line + first_line, end.column + 1)


_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}


def value_positions(text: str, node: yaml.ScalarNode) -> list[int] | None:
    """The index in `text` of each character of the scalar's value, found by walking its source
    again with YAML's rules (folded line breaks, indentation, quotes and escapes); None when
    the walk loses its way (then the caller falls back to a plain shift)."""
    value, style = str(node.value), node.style
    source_end = node.end_mark.index
    at = node.start_mark.index
    if style in ("|", ">"):
        at = text.index("\n", at) + 1  # past the header line: '|', '>-', '|2', a comment
    elif style in ("'", '"'):
        at += 1
    positions: list[int] = []
    for char in value:
        while True:
            if at >= source_end:
                return None
            here = text[at]
            if style == '"' and here == "\\":
                following = text[at + 1] if at + 1 < source_end else ""
                if following in "\r\n":  # an escaped line break stands for nothing
                    at += 2
                    continue
                positions.append(at)
                at += _ESCAPE_LENGTH.get(following, 2)
                break
            if style == "'" and char == "'" and text.startswith("''", at):
                positions.append(at)
                at += 2
                break
            if here == char:
                positions.append(at)
                at += 1
                break
            if here in "\r\n" and char == " ":  # a folded line break
                positions.append(at)
                at += 1
                break
            if here not in " \t\r\n":
                return None
            at += 1  # indentation, or white space the folding dropped
    return positions


def folds(text: str, node: yaml.ScalarNode, line_starts: list[int], first_line: int) -> tuple[int, ...]:
    """The scalar's map from value offsets to file positions, as Location.folds: a triple
    wherever the value stops being its source shifted; () when it is (or cannot be told)."""
    written_at = node.start_mark.index + (1 if node.style in ("'", '"') else 0)
    if _written_as_is(text, node, written_at):
        return ()
    positions = value_positions(text, node)
    if not positions or positions == list(range(written_at, written_at + len(positions))):
        return ()
    triples: list[int] = []
    for offset, index in enumerate(positions):
        if offset == 0 or index != positions[offset - 1] + 1:
            line = bisect_right(line_starts, index) - 1
            triples += (offset, line + first_line, index - line_starts[line] + 1)
    return tuple(triples)


def _written_as_is(text: str, node: yaml.ScalarNode, written_at: int) -> bool:
    """The value is its source, character for character (most scalars: `dau: 100M user`); the walk of
    `value_positions` would find each character where it is. Not when a quote or backslash in the
    value may stand for an escape (`''`, `\\n`), and never for a block scalar (it starts past its header)."""
    value, style = str(node.value), node.style
    if style not in (None, "", "'", '"') or (style and (style in value or "\\" in value)):
        return False
    return text.startswith(value, written_at)


class _Walker:
    """Turns composed YAML nodes into plain data, recording places on the way."""

    def __init__(self, document: Document, first_line: int = 1, text: str = ""):
        self.document = document
        self.first_line = first_line  # where the text starts in its file (a block inside Markdown notes)
        self.text = text
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.seen: set[int] = set()

    def value(self, node: yaml.Node, path: Path_) -> Any:
        if id(node) in self.seen:
            raise ShapeError("YAML anchors and aliases are not supported in scenario files", self.where(node))
        self.seen.add(id(node))
        self.document.spans[path] = (node.start_mark.index, node.end_mark.index)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, str(i))) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path_) -> str | None:
        if node.tag == "tag:yaml.org,2002:null":
            return None
        assert isinstance(node, yaml.ScalarNode)
        quoted = node.style in ("'", '"')
        start = self.where(node).shifted(1 if quoted else 0)
        mapped = Location(start.file, start.line, start.column, folds=folds(self.text, node, self.line_starts, self.first_line))
        whole = mapped.shifted(0, len(node.value))  # the value's span, for an error about all of it
        self.document.text_places[path] = Location(
            mapped.file, whole.line, whole.column, whole.end_line, whole.end_column, mapped.folds
        )
        return str(node.value)

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Key, Any]:
        result: dict[Key, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key in result:
                raise ShapeError(f"duplicate key '{_key_text(key)}': each key may appear once", self.where(key_node))
            self.document.places[(*path, key)] = self.where(key_node)
            result[key] = self.value(value_node, (*path, key))
        return result

    def key(self, node: yaml.Node) -> Key:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:merge":
                raise ShapeError("YAML merge keys ('<<') are not supported in scenario files", self.where(node))
            return str(node.value)
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
            return tuple(str(n.value) for n in node.value)
        raise ShapeError("a key must be a name (or a list of names under correlations:)", self.where(node))

    def where(self, node: yaml.Node) -> Location:
        return _place(node, self.document.file, self.first_line)


def _key_text(key: Key) -> str:
    return key if isinstance(key, str) else "[" + ", ".join(key) + "]"
