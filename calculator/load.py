"""Stage 1, load: a scenario file's text into plain data, with every key's place.

YAML is composed with PyYAML's safe loader (libyaml when present) and walked by
hand, so that every key and value keeps its line and column, duplicate keys
are an error rather than last-one-wins, and anchors/aliases (the way to a YAML
bomb) are refused. Scalars stay text: the parser reads numbers and units.
`extends:` is followed here, so later stages see one merged scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import EnvelopeError, Location

MAX_FILE_BYTES = 1_000_000
MAX_EXTENDS_DEPTH = 16
SECTIONS = ("hardware", "units", "inputs", "derived", "budgets", "latency", "settings", "correlations")

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Key = str | tuple[str, ...]
Path_ = tuple[Key, ...]


@dataclass
class Document:
    """A scenario as plain data; `places` maps a path of keys to where it is written."""

    data: dict[Key, Any]
    file: str
    places: dict[Path_, Location] = field(default_factory=dict)
    text_places: dict[Path_, Location] = field(default_factory=dict)

    def where(self, *path: Key) -> Location:
        """The place of the key at `path`, or of the closest enclosing key."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.places:
                return self.places[path[:end]]
        return Location(self.file, 1, 1)

    def text_at(self, *path: Key) -> Location:
        """Where the text of the value at `path` starts (for positions inside formulas)."""
        return self.text_places.get(path) or self.where(*path)


def read_text(path: Path) -> str:
    """A scenario file's text, refusing what is not one with a clear reason."""
    name = str(path)
    if path.is_dir():
        raise EnvelopeError("is a directory, not a scenario file", Location(name), hint="use 'envelope check DIR' for a folder")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EnvelopeError(f"file is {size:,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,}", Location(name))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EnvelopeError("no such file", Location(name)) from None
    except OSError as error:
        raise EnvelopeError(f"cannot read the file: {error.strerror}", Location(name)) from None
    if b"\0" in raw:
        raise EnvelopeError("binary file, not a YAML scenario", Location(name))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvelopeError(f"not UTF-8 text (byte {error.start})", Location(name)) from None


def parse_yaml(text: str, file: str, first_line: int = 1) -> Document:
    """YAML text into a Document, with positions, no duplicates and no aliases."""
    if len(text) > MAX_FILE_BYTES:
        raise EnvelopeError(f"text is {len(text):,} characters; a scenario may be at most {MAX_FILE_BYTES:,}", Location(file))
    if not text.strip():
        raise EnvelopeError("empty file: a scenario needs at least 'name:' and 'inputs:'", Location(file, 1, 1))
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


def load_file(path: str | Path) -> Document:
    """A scenario file, with its `extends:` chain merged in."""
    return _load(Path(path), ())


def load_text(text: str, file: str = "<text>", base_dir: Path | None = None, first_line: int = 1) -> Document:
    """A scenario given as text; `extends:` is relative to `base_dir` (default: here)."""
    return _merge_extends(parse_yaml(text, file, first_line), base_dir or Path.cwd(), ())


def _load(path: Path, chain: tuple[Path, ...]) -> Document:
    document = parse_yaml(read_text(path), _shown(path))
    return _merge_extends(document, path.parent, (*chain, path.resolve()))


def _shown(path: Path) -> str:
    """A path as a user would write it: relative to here when it is below here."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _merge_extends(document: Document, base_dir: Path, chain: tuple[Path, ...]) -> Document:
    """Follow `extends:`; this document's entries override the base's."""
    _normalise_units(document)
    target = document.data.pop("extends", None)
    if target is None:
        return document
    where = document.where("extends")
    if not isinstance(target, str):
        raise EnvelopeError("'extends' takes one file path", where)
    base_path = (base_dir / target).resolve()
    if base_path in chain:
        loop = " -> ".join(p.name for p in (*chain, base_path))
        raise EnvelopeError(f"extends loop: {loop}", where)
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise EnvelopeError(f"extends chain is deeper than {MAX_EXTENDS_DEPTH} files", where)
    if not base_path.is_file():
        raise EnvelopeError(f"extends a file that does not exist: '{target}'", where)
    try:
        base = _load(base_path, chain)
    except EnvelopeError as error:
        if error.location and error.location.file == str(base_path) and error.location.line <= 0:
            error.location = where  # say where the bad file was named
        raise
    return _merged(base, document)


def _merged(base: Document, child: Document) -> Document:
    data = dict(base.data)
    for key, value in child.data.items():
        if key in SECTIONS and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    places = {**base.places, **child.places}
    text_places = {**base.text_places, **child.text_places}
    return Document(data, child.file, places, text_places)


def _normalise_units(document: Document) -> None:
    """`units: [a, b]` is `units: {a: null, b: null}`, so files merge by name."""
    units = document.data.get("units")
    if isinstance(units, list):
        document.data["units"] = {str(name): None for name in units}
        for i, name in enumerate(units):
            for table in (document.places, document.text_places):
                if ("units", str(i)) in document.text_places:
                    table[("units", str(name))] = document.text_places[("units", str(i))]
