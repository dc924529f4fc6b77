"""Errors are values: a kind, a message, the span of text it is about, and a hint.

Each stage raises a complete error (one of the kinds below) at the place that
knows what went wrong; nothing patches an error after it is raised. The edge
(CLI, TUI, notes) renders it once with :meth:`EnvelopeError.render`. Several
independent mistakes travel together as one :class:`ErrorGroup`.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

MAX_SHOWN_ERRORS = 20

SourceLine = Callable[[str, int], str | None]
"""Where rendering finds a line of source text: (file, line) -> the line, or None."""


class Location(NamedTuple):
    """A span of a scenario file: 1-based start line and column, and the (exclusive) end.

    `folds` is set only on the start of a YAML scalar whose value is not its source text
    shifted (escapes, folded or literal blocks, multi-line scalars): flat (offset, line,
    column) triples, each saying that the value's characters from `offset` on sit at that
    line and column onwards, so an offset inside the value maps back to the file exactly.

    A named tuple, not a record, because a document holds two for each key and the cache builds them
    all at once: `tuple.__new__` over rows runs in C (20,000 places: 3 ms against 27 ms).
    """

    file: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    folds: tuple[int, ...] = ()

    def point(self, offset: int) -> tuple[int, int]:
        """The line and column of character `offset` of the text that starts here."""
        if not self.folds:  # a text on one line, or a plain scalar's first line
            return self.line, self.column + offset
        starts = self.folds[0::3]
        i = bisect_right(starts, offset) - 1
        if i < 0:
            return self.line, self.column + offset
        start, line, column = self.folds[3 * i : 3 * i + 3]
        return line, column + offset - start

    def shifted(self, offset: int, end: int | None = None) -> Location:
        """The span of characters `offset` to `end` (exclusive; default one character) of the text
        that starts here, in file coordinates."""
        line, column = self.point(offset)
        last = max(offset, (end if end is not None else offset + 1) - 1)
        end_line, end_column = self.point(last)
        return Location(self.file, line, column, end_line, end_column + 1)

    def after(self, offset: int) -> Location:
        """The start of the text `offset` characters into the one that starts here, with its map."""
        line, column = self.point(offset)
        rest = [
            n
            for i in range(0, len(self.folds), 3)
            if self.folds[i] > offset
            for n in (self.folds[i] - offset, *self.folds[i + 1 : i + 3])
        ]
        return Location(self.file, line, column, folds=tuple(rest))

    @property
    def start(self) -> Location:
        """This place without its map of the text (a place to report, not to shift)."""
        return Location(self.file, self.line, self.column, self.end_line, self.end_column)

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class EnvelopeError(Exception):
    """A bad input, found by the stage that knows; rendered once at the edge."""

    kind = "error"

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location.start if location is not None else None
        self.hint = hint

    @property
    def errors(self) -> list[EnvelopeError]:
        """The single errors this one stands for: itself (a group lists its members)."""
        return [self]

    def render(self, source: SourceLine | None = None) -> str:
        """The compiler-style text: `file:line:col: error: message`, the line with the span
        underlined (when `source` has it), then the hint."""
        head = f"{self.location}: error: {self.message}" if self.location else f"error: {self.message}"
        lines = [head, *_underlined(self.location, source)]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "kind": self.kind,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "end_line": loc.end_line if loc else None,
            "end_column": loc.end_column if loc else None,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.render()


class FileError(EnvelopeError):
    """The file cannot be read, is not a scenario file, or is not valid YAML."""

    kind = "file"


class FormulaSyntaxError(EnvelopeError):
    """A formula, unit or value text that does not parse."""

    kind = "syntax"


class GrammarError(FormulaSyntaxError):
    """A construct a formula does not allow (strings, indexing, lambdas, unknown functions)."""

    kind = "grammar"


class UnknownNameError(EnvelopeError):
    """A name that is not a value, a hardware binding, a catalog entry or field."""

    kind = "unknown-name"


class UnknownUnitError(UnknownNameError):
    """A unit name no unit system knows (or one pint would misread)."""

    kind = "unknown-unit"


class DimensionError(EnvelopeError):
    """Quantities whose dimensions do not fit together."""

    kind = "dimension"


class ShapeError(EnvelopeError):
    """The file's structure: unknown or missing keys, wrong types, bad or clashing names, cycles."""

    kind = "shape"


class CorrelatedPointError(ShapeError):
    """A point value given for an input that a correlation names: `partners` are the inputs it is
    correlated with, so a UI can offer to drop those correlations."""

    def __init__(self, message: str, location: Location | None, hint: str | None, input_name: str, partners: list[str]):
        super().__init__(message, location, hint)
        self.input_name = input_name
        self.partners = partners


class EvaluationError(EnvelopeError):
    """A formula that checks but cannot be computed: division by zero, overflow, out of domain."""

    kind = "evaluation"


class UsageError(EnvelopeError):
    """Bad command-line arguments or --set assignments."""

    kind = "usage"


class ErrorGroup(EnvelopeError):
    """Several independent errors, in file order; renders them all (at most MAX_SHOWN_ERRORS)."""

    kind = "group"

    def __init__(self, errors: Sequence[EnvelopeError]):
        flat = [single for error in errors for single in error.errors]
        first = flat[0]
        super().__init__(first.message, first.location, first.hint)
        self._errors = flat

    @property
    def errors(self) -> list[EnvelopeError]:
        return list(self._errors)

    def render(self, source: SourceLine | None = None) -> str:
        shown = [error.render(source) for error in self._errors[:MAX_SHOWN_ERRORS]]
        if len(self._errors) > MAX_SHOWN_ERRORS:
            more = len(self._errors) - MAX_SHOWN_ERRORS
            shown.append(f"... and {more} more error{'s' if more != 1 else ''}")
        return "\n".join(shown)

    def to_dict(self) -> dict[str, object]:
        return {**self._errors[0].to_dict(), "kind": self.kind, "errors": [e.to_dict() for e in self._errors]}


class _Entry:
    __slots__ = ("names", "problems")

    def __init__(self, problems: Problems, names: tuple[str, ...]):
        self.problems = problems
        self.names = names

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, EnvelopeError):
            return False
        self.problems.errors += error.errors
        self.problems.broken.update(self.names)
        return True


class Problems:
    """Errors collected entry by entry, and the names whose entry is broken: whatever uses a
    broken name is skipped, so one mistake is reported once, not again by all that follows it."""

    def __init__(self) -> None:
        self.errors: list[EnvelopeError] = []
        self.broken: set[str] = set()

    def entry(self, *names: str) -> _Entry:
        """One independent entry (`with problems.entry(name):`): an error in the block is kept, and
        `names` are broken. A plain object, not a generator context manager: it runs for every value."""
        return _Entry(self, names)

    def blocks(self, names: Iterable[str]) -> bool:
        """Whether any of `names` is broken (then what uses them is not checked)."""
        return not self.broken.isdisjoint(names)

    def raise_all(self) -> None:
        """Raise what was collected, if anything: one error as itself, several as a group in file order."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ErrorGroup(sorted(self.errors, key=_file_order))


def _file_order(error: EnvelopeError) -> tuple[str, int, int]:
    loc = error.location
    return (loc.file, loc.line, loc.column) if loc else ("", 0, 0)


def _underlined(location: Location | None, source: SourceLine | None) -> list[str]:
    """The source line of `location` and a row of carets under its span (on its first line)."""
    if location is None or source is None or location.line <= 0:
        return []
    text = source(location.file, location.line)
    if text is None:
        return []
    text = text.rstrip("\r\n").expandtabs(1)  # one column a character, as positions count them
    first = location.column
    if location.end_line == location.line:
        last = location.end_column
    else:  # a point (no end) gets one caret; a span over several lines runs to the end of its first
        last = first + 1 if location.end_line < location.line else len(text) + 1
    width = max(1, min(last, len(text) + 1) - first)
    gutter = " " * len(str(location.line))
    return [f"  {location.line} | {text}", f"  {gutter} | {' ' * (first - 1)}{'^' * width}"]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A `did you mean 'x'?` hint for the closest candidate, if one is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def closest_or_all(name: str, candidates: Iterable[str], what: str, most: int = 12) -> str | None:
    """`did you mean 'x'?` for a close candidate or one containing the name (`qps` in `peak_qps`); else the
    candidates themselves (`values: a, b, ...`), so the hint is never empty while there are any."""
    names = list(candidates)
    close = did_you_mean(name, names)
    if close:
        return close
    containing = [c for c in names if name.lower() in c.lower() or c.lower() in name.lower()]
    if len(containing) == 1:
        return f"did you mean '{containing[0]}'?"
    listed = containing or names
    if not listed:
        return None
    more = f", ... ({len(listed) - most} more)" if len(listed) > most else ""
    return f"{what}: {', '.join(listed[:most])}{more}"
