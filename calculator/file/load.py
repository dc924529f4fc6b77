"""Stage 1, load: a scenario file's text into plain data, with every key's place.

The YAML itself is read by `yaml_text` (every key's line and column kept,
duplicate keys and aliases refused), once per distinct text: the Document is
kept in the user's cache. `extends:` is followed here, so later stages see one
merged scenario.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from calculator.common.cache import cache_key, package_stamp, read_entry, source_stamp, worth_keeping, write_entry
from calculator.common.errors import EnvelopeError, FileError, Location, ShapeError
from calculator.common.files import MissingFile, read_bounded
from calculator.file import sources
from calculator.file.codec import Malformed, document_from_json, document_to_json
from calculator.file.document import Document, Path_

MAX_FILE_BYTES = 1_000_000
MAX_EXTENDS_DEPTH = 16
CACHE_ENTRIES = 512
SECTIONS = ("catalog", "hardware", "units", "inputs", "derived", "budgets", "latency", "settings", "correlations")

Reader = Callable[[Path], str]
"""Where a file's text comes from: the disk (`read_text`), or a git revision (`envelope diff --rev`)."""


def read_text(path: Path) -> str:
    """A scenario file's text, refusing what is not one with a clear reason (calculator.common.files)."""
    name = str(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES, "a scenario file")
    except MissingFile:
        if path.parts[:1] != ("scenarios",):
            raise
        # the README's `envelope eval scenarios/...` outside a checkout
        raise MissingFile(
            "no such file", Location(name), hint="'envelope examples' lists the worked scenarios and where they are installed"
        ) from None
    if b"\0" in raw:
        raise FileError("binary file, not a YAML scenario", Location(name))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileError(f"not UTF-8 text (byte {error.start})", Location(name)) from None


def parse_yaml(text: str, file: str, first_line: int = 1) -> Document:
    """YAML text into a Document, with positions, no duplicates and no aliases (`yaml_text`).

    A text parsed before comes from the user's cache (`documents/` in calculator.common.cache's
    folder, keyed by the text, where it is shown from, the parsing code and PyYAML's version),
    without importing PyYAML.
    """
    if len(text) > MAX_FILE_BYTES:
        raise FileError(f"text is {len(text):,} characters; a scenario may be at most {MAX_FILE_BYTES:,}", Location(file))
    if not text.strip():
        raise FileError("empty file: a scenario needs at least 'name:' and 'inputs:'", Location(file, 1, 1))
    sources.remember(text, file, first_line)
    key = cache_key("documents", parser_stamp(), f"{file}\0{first_line}".encode("utf-8", "surrogateescape"), text.encode())
    cached = read_entry("documents", key)
    if cached is not None:
        try:
            return document_from_json(cached)
        except Malformed:
            pass  # not what this code writes: parse again, and replace it
    from calculator.file.yaml_nodes import parse  # PyYAML: only for a text the cache has not seen

    document = parse(text, file, first_line)
    if worth_keeping("documents", key):
        write_entry("documents", key, document_to_json(document), CACHE_ENTRIES)
    return document


@functools.lru_cache(maxsize=1)
def parser_stamp() -> bytes:
    """The key includes the code that makes and holds a Document, and PyYAML: a change to either never reads an old entry."""
    here = Path(__file__).parent
    return source_stamp(here, ("document.py", "load.py", "yaml_nodes.py", "codec.py", "../common/errors.py")) + package_stamp(
        "yaml"
    )


def load_file(path: str | Path) -> Document:
    """A scenario file, with its `extends:` chain merged in."""
    return _load(Path(path), (), read_text)


def load_text(
    text: str, file: str = "<text>", base_dir: Path | None = None, first_line: int = 1, read: Reader = read_text
) -> Document:
    """A scenario given as text; `extends:` is relative to `base_dir` (default: here) and read with `read`."""
    return _merge_extends(parse_yaml(text, file, first_line), base_dir or _here(), (), read)


def _here() -> Path:
    """The current folder; one that was removed (os.getcwd fails) is `.`, which fails where a path needs it,
    as an error at `extends:` or `catalog:`, instead of failing a text that names no file."""
    try:
        return Path.cwd()
    except OSError:
        return Path(".")


def _load(path: Path, chain: tuple[Path, ...], read: Reader) -> Document:
    document = parse_yaml(read(path), _shown(path))
    return _merge_extends(document, path.parent, (*chain, path.resolve()), read)


def _shown(path: Path) -> str:
    """A path as a user would write it: relative to here when it is below here."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _merge_extends(document: Document, base_dir: Path, chain: tuple[Path, ...], read: Reader) -> Document:
    """Follow `extends:`; this document's entries override the base's."""
    _normalise_units(document)
    _normalise_correlations(document)
    _anchor_catalogs(document, base_dir)
    target = document.data.pop("extends", None)
    if target is None:
        return document
    where = document.where("extends")
    if not isinstance(target, str):
        raise ShapeError("'extends' takes one file path", where)
    base_path = _resolved(base_dir / target, where)
    if base_path in chain:
        loop = " -> ".join(p.name for p in (*chain, base_path))
        raise FileError(f"extends loop: {loop}", where)
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise FileError(f"extends chain is deeper than {MAX_EXTENDS_DEPTH} files", where)
    try:
        base = _load(base_path, chain, read)
    except MissingFile as error:
        if error.location and error.location.file == str(base_path):
            raise FileError(f"extends a file that does not exist: '{target}'", where) from None
        raise
    except EnvelopeError as error:
        if error.location and error.location.file == str(base_path) and error.location.line <= 0:
            raise type(error)(error.message, where, error.hint) from None  # say where the bad file was named
        raise
    return _merged(base, document)


def _resolved(path: Path, where: Location) -> Path:
    """The absolute path `extends:` names; a name no system can open is an error at `extends:`."""
    if "\0" in str(path):
        raise FileError("extends a file name that contains a NUL byte", where)
    try:
        return path.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop, on Python before 3.13
        raise FileError(f"extends a path that cannot be followed: {getattr(error, 'strerror', None) or error}", where) from None


def _merged(base: Document, child: Document) -> Document:
    data = dict(base.data)
    for key, value in child.data.items():
        if key in SECTIONS and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        elif key == "catalog" and isinstance(value, list) and isinstance(data.get(key), list):
            data[key] = list(dict.fromkeys([*data[key], *value]))  # the base's files first: the child's override them
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


def _normalise_correlations(document: Document) -> None:
    """`correlations: [{between: [a, b], value: 0.6}]` (the form JSON Schema and every YAML parser accept) and
    `'a|b': 0.6` are `{[a, b]: 0.6}`, each pair's place kept, so files merge by pair."""
    raw = document.data.get("correlations")
    if isinstance(raw, dict):
        for key in [k for k in raw if isinstance(k, str) and "|" in k]:
            pair = tuple(name.strip() for name in key.split("|"))
            raw[pair] = raw.pop(key)
            document.places[("correlations", pair)] = document.where("correlations", key)
        return
    if not isinstance(raw, list):
        return  # validation says what a correlations section is
    pairs: dict[object, object] = {}
    for i, item in enumerate(raw):
        where = document.places.get(("correlations", str(i), "between")) or document.where("correlations")
        if not isinstance(item, dict) or set(item) - {"between", "value", "note"} or not {"between", "value"} <= set(item):
            raise ShapeError("a correlation in a list is {between: [a, b], value: 0.6}", where)
        names = item["between"]
        if not isinstance(names, list) or len(names) != 2 or not all(isinstance(n, str) for n in names):
            raise ShapeError("'between' names two inputs: [a, b]", document.where("correlations", str(i), "between"))
        pair = (names[0], names[1])
        if pair in pairs:
            raise ShapeError(f"the correlation of {names[0]} and {names[1]} is given twice", where)
        pairs[pair] = item["value"]
        document.places[("correlations", pair)] = where
        document.text_places[("correlations", pair)] = document.text_places.get(("correlations", str(i), "value"), where)
    document.data["correlations"] = pairs


def _anchor_catalogs(document: Document, base_dir: Path) -> None:
    """`catalog:` paths are relative to the file that names them: made so here, before files merge.

    Each path's place is kept under its anchored name, so a missing file is reported where it was written.
    """
    files = document.data.get("catalog")
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list):
        return  # validation says what a catalog list is
    anchored = []
    for i, name in enumerate(files):
        if not isinstance(name, str):
            anchored.append(name)
            continue
        path = _shown(base_dir / name) if not Path(name).is_absolute() else name
        for table in (document.places, document.text_places):
            place = document.text_places.get(("catalog", str(i))) or document.where("catalog")
            table[("catalog", path)] = place
        anchored.append(path)
    document.data["catalog"] = anchored


def with_catalog_files(document: Document, files: list[str]) -> Document:
    """The document with `--catalog FILE` options added after its own `catalog:` files (so they win)."""
    if not files:
        return document
    data = dict(document.data)
    own = data.get("catalog")
    data["catalog"] = list(dict.fromkeys([*(own if isinstance(own, list) else []), *files]))
    named: dict[Path_, Location] = {("catalog", f): Location(f"--catalog {f}") for f in files}
    return Document(data, document.file, {**document.places, **named}, {**document.text_places, **named})
