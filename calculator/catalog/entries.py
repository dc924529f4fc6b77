"""The catalog: accelerators, interconnects, instances, storage and service prices,
models and reference numbers, from YAML data files (one file a kind).

Formulas reach an entry through a binding (`hardware: {gpu: H100-SXM, llm:
Llama-3.1-70B}` makes `gpu.memory` and `llm.kv_heads`) or, for reference
numbers, through `ref.NAME`. Every figure carries a source and an as-of date.
Only perishable figures (prices, exchange rates: each file lists its own under
`perishable:`) go stale, STALE_AFTER_DAYS after their date; spec-sheet figures
do not, and may carry the date someone last `verified` them.

A scenario's own catalog files (`catalog:` and `--catalog`) are read with the
same rules; an entry whose id is a shipped one overrides the figures it gives.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from calculator.catalog.figures import SHIPPED, Catalog, Entry, Figure, Label, normal_name
from calculator.catalog.snapshot import catalog_from_json, catalog_to_json
from calculator.common.cache import cache_key, read_entry, source_stamp, write_entry
from calculator.common.errors import EnvelopeError, FileError, Location, ShapeError, did_you_mean
from calculator.file.codec import Malformed
from calculator.file.document import Document
from calculator.file.load import parse_yaml, parser_stamp, read_text

CATALOG_DIR = Path(__file__).parent
_ENTRY_KEYS = {"description", "source", "as_of", "verified", "aliases", "fields", "labels"}
_FIGURE_KEYS = {"value", "source", "as_of", "verified", "note"}
_FILE_KEYS = {"kind", "entries", "perishable", "links"}


class Bindings(Mapping[str, Entry]):
    """A scenario's `hardware:` bindings (name -> catalog entry) and the catalog they were found in."""

    def __init__(self, entries: dict[str, Entry], cat: Catalog | None = None):
        self._entries = entries
        self._catalog = cat

    @property
    def catalog(self) -> Catalog:
        """The catalog the entries come from; the shipped one, read only when first asked for (`ref.` fields)."""
        if self._catalog is None:
            self._catalog = catalog()
        return self._catalog

    def __getitem__(self, name: str) -> Entry:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def overrides(self) -> list[str]:
        """One line per bound entry whose figures a user catalog file changed."""
        changed = {e.id: e for e in self._entries.values() if e.overridden}
        return [f"{e.id}: {', '.join(e.overridden)} from {e.origin} (overriding the shipped figures)" for e in changed.values()]


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Every shipped catalog file, read once per process (and kept in the user's cache: snapshot)."""
    files = sorted(CATALOG_DIR.glob("*.yaml"))
    texts = [read_text(path) for path in files]
    key = cache_key(
        "catalog",
        parser_stamp(),
        source_stamp(CATALOG_DIR, ("figures.py", "entries.py", "snapshot.py")),
        *(f"{path}\0{text}".encode() for path, text in zip(files, texts, strict=True)),  # locations name the path
    )

    @functools.cache
    def from_files() -> Catalog:
        cat = build_shipped(files, texts)
        write_entry("catalog", key, catalog_to_json(cat), keep=4)
        return cat

    cached = read_entry("catalog", key)
    if cached is not None:
        try:
            return catalog_from_json(cached, from_files)
        except Malformed:
            pass  # not what this code writes: build it again, and replace it
    return from_files()


def build_shipped(files: list[Path], texts: list[str]) -> Catalog:
    """The shipped catalog from its files' texts (what a cold run does, and the snapshot keeps)."""
    entries: dict[str, Entry] = {}
    reference: dict[str, Figure] = {}
    for path, text in zip(files, texts, strict=True):
        _read_file(parse_yaml(text, str(path)), SHIPPED, entries, reference)
    cat = Catalog(entries, reference)
    _check_names(cat)
    return cat


def with_user_files(files: Iterable[tuple[str, Location | None]]) -> Catalog:
    """The shipped catalog with the entries of the user's files added or overriding, in order.

    Each file is named with the place that named it (a scenario's `catalog:` line, or `--catalog`),
    where a missing file is reported; errors inside a file are located in it.
    """
    files = list(files)
    shipped = catalog()
    if not files:
        return shipped
    entries = dict(shipped.entries)
    reference = dict(shipped.reference)
    for path, named_at in files:
        try:
            text = read_text(Path(path))
        except EnvelopeError as error:
            raise FileError(
                f"catalog file '{path}': {error.message}",
                named_at or error.location,
                "a catalog file is relative to the scenario that names it",
            ) from None
        _read_file(parse_yaml(text, path), path, entries, reference)
    cat = Catalog(entries, reference)
    _check_names(cat)
    return cat


def _read_file(document: Document, origin: str, entries: dict[str, Entry], reference: dict[str, Figure]) -> None:
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise ShapeError(
            "a catalog file has 'kind:' and 'entries:' (see the shipped calculator/catalog/*.yaml)", document.where("entries")
        )
    _refuse_unknown(data, _FILE_KEYS, document, ())
    kind = str(data.get("kind") or Path(document.file).stem)
    perishable = set(data.get("perishable") or ())
    by_normal = {normal_name(entry_id): entry_id for entry_id in entries}
    for entry_id, raw in data["entries"].items():
        entry_id = str(entry_id)
        if kind == "ref":
            reference[entry_id] = _figure(raw, {}, document.text_at("entries", entry_id), entry_id in perishable, origin)
            continue
        shipped_id = by_normal.get(normal_name(entry_id))
        entry = _entry(kind, entry_id, raw, document, perishable, origin)
        if shipped_id is not None:
            entry = _overriding(entries.pop(shipped_id), entry, document)
        entries[entry.id] = entry
    _check_links(data.get("links") or {}, entries, kind, document)


def _entry(kind: str, entry_id: str, raw: Any, document: Document, perishable: set[str], origin: str) -> Entry:
    where = document.where("entries", entry_id)
    if not isinstance(raw, dict):
        raise ShapeError(f"catalog entry '{entry_id}' is a mapping with 'fields:' (and source, as_of)", where)
    _refuse_unknown(raw, _ENTRY_KEYS, document, ("entries", entry_id))
    defaults = {key: raw.get(key) for key in ("source", "as_of", "verified")}
    figures = {
        str(name): _figure(value, defaults, document.text_at("entries", entry_id, "fields", name), name in perishable, origin)
        for name, value in (raw.get("fields") or {}).items()
    }
    labels = {
        str(name): Label(str(text), document.text_at("entries", entry_id, "labels", name))
        for name, text in (raw.get("labels") or {}).items()
    }
    for name in set(figures) & set(labels):
        raise ShapeError(
            f"'{name}' is both a figure and a label of '{entry_id}'", document.where("entries", entry_id, "labels", name)
        )
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list):
        raise ShapeError("aliases is a list of names", document.where("entries", entry_id, "aliases"))
    return Entry(
        kind, entry_id, str(raw.get("description", "")), figures, labels, tuple(str(a) for a in aliases), origin, (), where
    )


def _overriding(shipped: Entry, mine: Entry, document: Document) -> Entry:
    """A user entry with a shipped id: its figures replace the shipped ones, the rest stay."""
    if mine.kind != shipped.kind:
        raise ShapeError(
            f"'{mine.id}' is a {shipped.kind} in the shipped catalog, not a {mine.kind}",
            mine.location,
            f"put it in a file with 'kind: {shipped.kind}'",
        )
    changed = tuple([*mine.figures, *mine.labels])
    return replace(
        shipped,
        description=mine.description or shipped.description,
        figures={**shipped.figures, **mine.figures},
        labels={**shipped.labels, **mine.labels},
        aliases=tuple(dict.fromkeys([*shipped.aliases, *mine.aliases])),
        origin=mine.origin,
        overridden=tuple(dict.fromkeys([*shipped.overridden, *changed])),
        location=mine.location,
    )


def _figure(raw: Any, defaults: dict[str, Any], where: Location, perishable: bool, origin: str) -> Figure:
    fields = {key: value for key, value in defaults.items() if value is not None}
    if isinstance(raw, dict):
        for key in raw:
            if key not in _FIGURE_KEYS:
                raise ShapeError(
                    f"unknown key '{key}' in a catalog figure",
                    where,
                    did_you_mean(str(key), _FIGURE_KEYS) or "keys: " + ", ".join(sorted(_FIGURE_KEYS)),
                )
        fields.update(raw)
    else:
        fields["value"] = raw
    if fields.get("value") in (None, "") or not fields.get("source") or not fields.get("as_of"):
        missing = [key for key in ("value", "source", "as_of") if fields.get(key) in (None, "")]
        raise ShapeError(f"a catalog figure needs a value, a source and an as_of date (missing: {', '.join(missing)})", where)
    if isinstance(fields["value"], bool) or not isinstance(fields["value"], (str, int, float)):
        raise ShapeError(
            "a catalog figure is a number with a unit, like '80 GB/gpu'",
            where,
            "a fact that is not a number goes under 'labels:'",
        )
    verified = _date(fields["verified"], where) if fields.get("verified") else None
    return Figure(
        str(fields["value"]),
        str(fields["source"]),
        _date(fields["as_of"], where),
        fields.get("note"),
        where,
        perishable,
        verified,
        origin,
    )


def _date(raw: Any, where: Location) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ShapeError(f"'{raw}' is not a date (YYYY-MM-DD)", where) from None


def _refuse_unknown(raw: dict[Any, Any], known: set[str], document: Document, path: tuple[str, ...]) -> None:
    for key in raw:
        if key not in known:
            raise ShapeError(
                f"unknown key '{key}' in a catalog {'entry' if path else 'file'}",
                document.where(*path, key),
                did_you_mean(str(key), known) or "keys: " + ", ".join(sorted(known)),
            )


def _check_links(links: dict[str, str], entries: dict[str, Entry], kind: str, document: Document) -> None:
    """A label that names another entry (an instance's `gpu`) names one of the right kind."""
    for label, target_kind in links.items():
        for entry in entries.values():
            if entry.kind != kind or label not in entry.labels:
                continue
            target = entries.get(entry.labels[label].text)
            if target is None or target.kind != target_kind:
                raise ShapeError(
                    f"{entry.id}'s {label} '{entry.labels[label].text}' is not a {target_kind} entry of the catalog",
                    entry.labels[label].location,
                    did_you_mean(entry.labels[label].text, [e.id for e in entries.values() if e.kind == target_kind]),
                )


def _check_names(cat: Catalog) -> None:
    """No alias means two entries."""
    seen: dict[str, str] = {}
    for entry in cat.entries.values():
        for name in (entry.id, *entry.aliases):
            other = seen.setdefault(normal_name(name), entry.id)
            if other != entry.id:
                raise ShapeError(f"'{name}' names both {other} and {entry.id}", entry.location, "an alias must name one entry")
