"""The catalog: GPU specifications and reference numbers, from YAML data files.

Formulas reach an entry through a binding (`hardware: {gpu: H100-SXM}` makes
`gpu.memory`) or, for reference numbers, through `ref.NAME`. Every figure
carries a source and an as-of date; entries older than STALE_AFTER_DAYS are
flagged stale when shown.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calculator.common.errors import Location, ShapeError
from calculator.file.load import parse_yaml, read_text

CATALOG_DIR = Path(__file__).parent
STALE_AFTER_DAYS = 548  # about 18 months


@dataclass(frozen=True)
class Figure:
    """One catalog figure: `989 TFLOPS/gpu`, with where it comes from."""

    text: str
    source: str
    as_of: dt.date
    note: str | None
    location: Location

    def stale(self, today: dt.date | None = None) -> bool:
        return ((today or dt.date.today()) - self.as_of).days > STALE_AFTER_DAYS


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    description: str
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Catalog:
    entries: dict[str, Entry]
    reference: dict[str, Figure]

    def kinds(self) -> list[str]:
        return sorted({e.kind for e in self.entries.values()} | {"ref"})


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Every catalog file, read once per process."""
    entries: dict[str, Entry] = {}
    reference: dict[str, Figure] = {}
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        document = parse_yaml(read_text(path), str(path))
        kind = str(document.data.get("kind", path.stem))
        for entry_id, raw in (document.data.get("entries") or {}).items():
            where = document.where("entries", entry_id)
            if kind == "ref":
                reference[entry_id] = _figure(raw, {}, where)
                continue
            defaults = {"source": raw.get("source"), "as_of": raw.get("as_of")}
            figures = {name: _figure(value, defaults, document.text_at("entries", entry_id, "fields", name))
                       for name, value in (raw.get("fields") or {}).items()}
            entries[entry_id] = Entry(kind, entry_id, str(raw.get("description", "")), figures)
    return Catalog(entries, reference)


def _figure(raw: Any, defaults: dict[str, Any], where: Location) -> Figure:
    fields = dict(defaults)
    fields.update(raw if isinstance(raw, dict) else {"value": raw})
    if not fields.get("value") or not fields.get("source") or not fields.get("as_of"):
        raise ShapeError("a catalog figure needs a value, a source and an as_of date", where)
    try:
        as_of = dt.date.fromisoformat(str(fields["as_of"]))
    except ValueError:
        raise ShapeError(f"as_of '{fields['as_of']}' is not a date (YYYY-MM-DD)", where) from None
    return Figure(str(fields["value"]), str(fields["source"]), as_of, fields.get("note"), where)
