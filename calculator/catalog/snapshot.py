"""The shipped catalog, built once and kept in the user's cache as JSON.

Building the catalog reads ten YAML files into documents with a place for
every node (so that a bad figure can be located) and checks every entry:
about a fifth of a cold `envelope eval` of a scenario that binds hardware.
What comes out is small: entries of figures with their sources, dates and
locations. This module writes that out and reads it back, strictly, as
calculator.file.codec does for documents: any shape or type other than what
`catalog_to_json` writes raises `Malformed`, and the caller builds the
catalog from the files instead. The key (see `entries.catalog`) covers the
catalog files' bytes and the code that reads them, so an edited file or a
new envelope never reads an old snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from calculator.catalog.figures import Catalog, Decoded, Entry, Figure, Label, normal_name
from calculator.common.errors import Location
from calculator.file.codec import Malformed

T = TypeVar("T")

# Strings repeat (a source URL for each figure of an entry, the file name in each location): they are kept
# once, in "strings", and written as their index.


def catalog_to_json(cat: Catalog) -> dict[str, Any]:
    strings: dict[str, int] = {}

    def ref(text: str) -> int:
        return strings.setdefault(text, len(strings))

    def location(where: Location | None) -> list[Any] | None:
        if where is None:
            return None
        return [ref(where.file), where.line, where.column, where.end_line, where.end_column, list(where.folds)]

    def figure(f: Figure) -> list[Any]:
        verified = f.verified.isoformat() if f.verified else None
        return [f.text, ref(f.source), f.as_of.isoformat(), f.note, location(f.location), f.perishable, verified, ref(f.origin)]

    def entry(e: Entry) -> list[Any]:
        return [
            e.kind,
            e.id,
            e.description,
            [[name, figure(f)] for name, f in e.figures.items()],
            [[name, label.text, location(label.location)] for name, label in e.labels.items()],
            list(e.aliases),
            ref(e.origin),
            list(e.overridden),
            location(e.location),
        ]

    entries = [entry(e) for e in cat.entries.values()]
    reference = [[name, figure(f)] for name, f in cat.reference.items()]
    return {"strings": list(strings), "entries": entries, "reference": reference}


_BAD_ROW = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def catalog_from_json(payload: Any, rebuilt: Callable[[], Catalog]) -> Catalog:
    """The catalog a snapshot holds. Its names (ids and aliases) are read now, strictly; each entry and
    reference figure when first used, and one that does not decode is taken from `rebuilt()` (see Decoded)."""
    return _strictly(lambda raw: _Reader(raw).catalog(rebuilt))(payload)


def _strictly(decode: Callable[[Any], T]) -> Callable[[Any], T]:
    """`decode`, with any error a row of the wrong shape raises (an index, a key, a type) as Malformed."""

    def strictly(raw: Any) -> T:
        try:
            return decode(raw)
        except _BAD_ROW as error:
            raise Malformed(str(error)) from None

    return strictly


class _Reader:
    def __init__(self, payload: Any):
        if not isinstance(payload, dict) or set(payload) != {"strings", "entries", "reference"}:
            raise Malformed("not a catalog snapshot")
        self.payload = payload
        self.strings = [_text(s) for s in _list(payload["strings"])]

    def catalog(self, rebuilt: Callable[[], Catalog]) -> Catalog:
        rows: dict[str, list[Any]] = {}
        names: dict[str, str] = {}
        kinds: dict[str, list[str]] = {}
        for raw in _list(self.payload["entries"]):
            row = _row(raw, 9)
            entry_id = _text(row[1])
            for name in (entry_id, *(_text(a) for a in _list(row[5]))):
                names.setdefault(normal_name(name), entry_id)
            kinds.setdefault(_text(row[0]), []).append(entry_id)
            rows[entry_id] = row
        reference = {_text(name): raw for name, raw in _rows(self.payload["reference"], 2)}
        return Catalog(
            Decoded(rows, _strictly(self.entry), lambda key: rebuilt().entries[key]),
            Decoded(reference, _strictly(self.figure), lambda key: rebuilt().reference[key]),
            names,
            {kind: tuple(ids) for kind, ids in kinds.items()},
        )

    def entry(self, raw: Any) -> Entry:
        kind, entry_id, description, figures, labels, aliases, origin, overridden, where = _row(raw, 9)
        return Entry(
            _text(kind),
            _text(entry_id),
            _text(description),
            {_text(name): self.figure(f) for name, f in _rows(figures, 2)},
            {_text(name): Label(_text(text), self.location(at)) for name, text, at in _rows(labels, 3)},
            tuple(_text(a) for a in _list(aliases)),
            self.string(origin),
            tuple(_text(o) for o in _list(overridden)),
            None if where is None else self.location(where),
        )

    def figure(self, raw: Any) -> Figure:
        text, source, as_of, note, where, perishable, verified, origin = _row(raw, 8)
        if not isinstance(perishable, bool) or (note is not None and not isinstance(note, str)):
            raise Malformed("a figure's note or perishable mark")
        return Figure(
            _text(text),
            self.string(source),
            dt.date.fromisoformat(_text(as_of)),
            note,
            self.location(where),
            perishable,
            None if verified is None else dt.date.fromisoformat(_text(verified)),
            self.string(origin),
        )

    def location(self, raw: Any) -> Location:
        file, line, column, end_line, end_column, folds = _row(raw, 6)
        numbers = (line, column, end_line, end_column, *_list(folds))
        if not all(type(n) is int for n in numbers):
            raise Malformed("a location's numbers")
        return Location(self.string(file), line, column, end_line, end_column, tuple(_list(folds)))

    def string(self, index: Any) -> str:
        if type(index) is not int or index < 0:
            raise Malformed("a string index")
        return self.strings[index]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("not a string")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed("not a list")
    return value


def _row(value: Any, width: int) -> list[Any]:
    row = _list(value)
    if len(row) != width:
        raise Malformed(f"a row of {len(row)}, not {width}")
    return row


def _rows(value: Any, width: int) -> list[list[Any]]:
    return [_row(row, width) for row in _list(value)]
