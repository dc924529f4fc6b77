"""Stage 1, load, its YAML half: a scenario's text into a Document, with every key's place.

YAML is composed with PyYAML's safe loader (libyaml when present) and walked by
hand, so that every key and value keeps its line and column, duplicate keys
are an error rather than last-one-wins, and anchors/aliases (the way to a YAML
bomb) are refused. Scalars stay text: the parser reads numbers and units.
Only `load.parse_yaml` imports this module, when its cache has no entry for
the text: a run on unchanged files never imports PyYAML.
"""

from __future__ import annotations

from typing import Any

import yaml

from calculator.common.errors import EnvelopeError, Location
from calculator.file.document import Document, Key, Path_

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
        raise EnvelopeError(f"YAML syntax: {error.problem or error.context}", where) from None
    except yaml.YAMLError as error:
        raise EnvelopeError(f"YAML syntax: {error}", Location(file)) from None
    if not isinstance(root, yaml.MappingNode):
        raise EnvelopeError("a scenario file is a mapping of sections (name:, inputs:, ...)", _place(root, file, first_line))
    document = Document({}, file)
    document.spans[()] = (root.start_mark.index, root.end_mark.index)
    document.data = _Walker(document, first_line).mapping(root, ())
    return document


def _place(node: yaml.Node | None, file: str, first_line: int = 1) -> Location:
    if node is None:
        return Location(file, first_line, 1)
    return Location(file, node.start_mark.line + first_line, node.start_mark.column + 1)


class _Walker:
    """Turns composed YAML nodes into plain data, recording places on the way."""

    def __init__(self, document: Document, first_line: int = 1):
        self.document = document
        self.first_line = first_line  # where the text starts in its file (a block inside Markdown notes)
        self.seen: set[int] = set()

    def value(self, node: yaml.Node, path: Path_) -> Any:
        if id(node) in self.seen:
            raise EnvelopeError("YAML anchors and aliases are not supported in scenario files", self.where(node))
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
        quoted = getattr(node, "style", None) in ("'", '"')
        self.document.text_places[path] = self.where(node).shifted(1 if quoted else 0)
        return str(node.value)

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Key, Any]:
        result: dict[Key, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key in result:
                raise EnvelopeError(f"duplicate key '{_key_text(key)}': each key may appear once", self.where(key_node))
            self.document.places[(*path, key)] = self.where(key_node)
            result[key] = self.value(value_node, (*path, key))
        return result

    def key(self, node: yaml.Node) -> Key:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:merge":
                raise EnvelopeError("YAML merge keys ('<<') are not supported in scenario files", self.where(node))
            return str(node.value)
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
            return tuple(str(n.value) for n in node.value)
        raise EnvelopeError("a key must be a name (or a list of names under correlations:)", self.where(node))

    def where(self, node: yaml.Node) -> Location:
        return _place(node, self.document.file, self.first_line)


def _key_text(key: Key) -> str:
    return key if isinstance(key, str) else "[" + ", ".join(key) + "]"
