"""What the catalog holds: entries of figures (a number with a unit, its source and its date)
and labels, and the catalog that finds an entry by its id or an alias.

calculator.catalog.entries reads them from the YAML files; calculator.catalog.snapshot keeps
the shipped catalog in the user's cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from typing import Any, TypeVar

from calculator.common.errors import Location, ShapeError, did_you_mean
from calculator.common.records import record
from calculator.file.codec import Malformed

V = TypeVar("V")
STALE_AFTER_DAYS = 548  # about 18 months
SHIPPED = "shipped"
_SEPARATORS = re.compile(r"[\s_]+")


@record
class Figure:
    """One catalog figure: `989 TFLOPS/gpu`, with where it comes from."""

    text: str
    source: str
    as_of: dt.date
    note: str | None
    location: Location
    perishable: bool = False
    "a price or a rate: it goes stale; a spec-sheet figure does not"
    verified: dt.date | None = None
    origin: str = SHIPPED
    "the catalog file it was read from, or 'shipped'"

    def stale(self, today: dt.date | None = None) -> bool:
        if not self.perishable:
            return False
        return ((today or dt.date.today()) - self.as_of).days > STALE_AFTER_DAYS


@record
class Label:
    """A fact that is not a number (`attention: GQA`); shown, never read by a formula."""

    text: str
    location: Location


@record
class Entry:
    kind: str
    id: str
    description: str
    figures: dict[str, Figure]
    labels: dict[str, Label] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    origin: str = SHIPPED
    "the catalog file that defined or last changed it"
    overridden: tuple[str, ...] = ()
    "the shipped figures (and labels) a user catalog file replaced"
    location: Location | None = None


class Decoded(Mapping[str, V]):
    """A mapping whose values are decoded from the snapshot's rows when first read: a scenario binds two or
    three of the catalog's ~80 entries, and decoding them all was a tenth of a cold `envelope eval`.
    A row that does not decode (a snapshot this code did not write) is taken from `rebuilt(key)` instead,
    the catalog built again from its files."""

    def __init__(self, rows: dict[str, Any], decode: Callable[[Any], V], rebuilt: Callable[[str], V]):
        self._rows = rows
        self._decode = decode
        self._rebuilt = rebuilt
        self._values: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        value = self._values.get(key)
        if value is None:
            row = self._rows[key]
            try:
                value = self._decode(row)
            except Malformed:  # not what the snapshot's writer writes: the files are the truth
                value = self._rebuilt(key)
            self._values[key] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@record
class Catalog:
    entries: Mapping[str, Entry]
    reference: Mapping[str, Figure]
    names: Mapping[str, str] | None = field(default=None, compare=False)
    "normal name (id or alias) -> id, when known without reading the entries (the snapshot's)"
    ids_by_kind: Mapping[str, tuple[str, ...]] | None = field(default=None, compare=False)
    "kind -> the ids of its entries in catalog order, when known without reading the entries (the snapshot's)"

    def kinds(self) -> list[str]:
        return sorted({*self._kinds, "ref"})

    def counts(self) -> dict[str, int]:
        counts = {kind: len(self.ids_of_kind(kind)) for kind in self.kinds()}
        counts["ref"] = len(self.reference)
        return counts

    def ids_of_kind(self, kind: str) -> tuple[str, ...]:
        """The ids of one kind's entries, in catalog order; from a snapshot, no entry is decoded."""
        return self._kinds.get(kind, ())

    def of_kind(self, kind: str) -> list[Entry]:
        """The entries of one kind, in catalog order; from a snapshot, no entry of another kind is decoded
        (the TUI's first screen lists a binding's choices: 30 of ~80 entries)."""
        return [self.entries[entry_id] for entry_id in self.ids_of_kind(kind)]

    @functools.cached_property
    def _kinds(self) -> Mapping[str, tuple[str, ...]]:
        if self.ids_by_kind is not None:
            return self.ids_by_kind
        kinds: dict[str, list[str]] = {}
        for entry in self.entries.values():
            kinds.setdefault(entry.kind, []).append(entry.id)
        return {kind: tuple(ids) for kind, ids in kinds.items()}

    @functools.cached_property
    def _names(self) -> Mapping[str, str]:
        if self.names is not None:
            return self.names
        names: dict[str, str] = {}
        for entry in self.entries.values():
            for name in (entry.id, *entry.aliases):
                names[normal_name(name)] = entry.id
        return names

    def find(self, name: str, where: Location | None = None) -> Entry:
        """The entry a name means: its id or an alias, in any case; an ambiguous name lists the candidates."""
        entry_id = self._names.get(normal_name(name))
        if entry_id is not None:
            return self.entries[entry_id]
        candidates = self.candidates(name)
        if len(candidates) > 1:
            raise ShapeError(
                f"'{name}' is ambiguous: it could be {', '.join(candidates)}", where, "write the full id of the one you mean"
            )
        hint = (
            f"did you mean '{candidates[0]}'?"
            if candidates
            else did_you_mean(name, self.entries) or "see 'envelope catalog' for what it holds"
        )
        raise ShapeError(f"no catalog entry '{name}'", where, hint)

    def candidates(self, name: str) -> list[str]:
        """Entries whose id or an alias starts with `name` and then a separator: H100 -> H100-SXM, H100-PCIe."""
        prefix = normal_name(name)
        found = [
            entry_id
            for alias, entry_id in self._names.items()
            if alias.startswith(prefix) and alias[len(prefix) : len(prefix) + 1] in ("-", ".", "/")
        ]
        return list(dict.fromkeys(sorted(found, key=list(self.entries).index)))


def normal_name(name: str) -> str:
    """How names compare: case-insensitive, a space or _ is a -."""
    return _SEPARATORS.sub("-", name.strip()).casefold()
