"""Errors are values: a message, where it happened, and a hint.

Each stage raises an :class:`EnvelopeError` at the place that knows what went
wrong; the edge (CLI, TUI, notes) renders it once with :func:`render`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a scenario file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def shifted(self, offset: int) -> Location:
        """The location `offset` characters further along the same line."""
        return Location(self.file, self.line, self.column + offset)

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class EnvelopeError(Exception):
    """A bad input, found by the stage that knows; rendered once at the edge."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def at(self, location: Location) -> EnvelopeError:
        """This error, placed at `location` unless it already has a place."""
        if self.location is None:
            self.location = location
        return self

    def render(self) -> str:
        """The compiler-style text: `file:line:col: error: message`, then the hint."""
        head = f"{self.location}: error: {self.message}" if self.location else f"error: {self.message}"
        return f"{head}\n  hint: {self.hint}" if self.hint else head

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.render()


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A `did you mean 'x'?` hint for the closest candidate, if one is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
