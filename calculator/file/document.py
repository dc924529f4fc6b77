"""A scenario as plain data, with the place in the text of every key and value."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from calculator.common.errors import Location
from calculator.common.records import record

Key = str | tuple[str, ...]
Path_ = tuple[Key, ...]


@record(frozen=False)
class Document:
    """A scenario as plain data; `places` maps a path of keys to where it is written."""

    data: dict[Key, Any]
    file: str
    places: dict[Path_, Location] = field(default_factory=dict)
    text_places: dict[Path_, Location] = field(default_factory=dict)
    # Each value's start and end offsets in the text parsed (quotes included), for edits in place;
    # a merged document (`extends:`) has none: its offsets would be in several texts.
    spans: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, *path: Key) -> Location:
        """The place of the key at `path`, or of the closest enclosing key."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.places:
                return self.places[path[:end]]
        return Location(self.file, 1, 1)

    def text_at(self, *path: Key) -> Location:
        """Where the text of the value at `path` starts (for positions inside formulas)."""
        return self.text_places.get(path) or self.where(*path)
