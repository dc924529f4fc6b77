"""Positions: envelope counts 1-based lines and columns in code points; LSP counts
0-based lines and characters in UTF-16 code units (a character beyond the BMP is two)."""

from __future__ import annotations

from lsprotocol import types

from calculator.common.errors import Location


def utf16_length(text: str) -> int:
    """How many UTF-16 code units `text` takes."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_utf16(line: str, column: int) -> int:
    """The UTF-16 offset of 0-based code-point `column` of `line`."""
    return utf16_length(line[:column])


def from_utf16(line: str, character: int) -> int:
    """The 0-based code-point column of UTF-16 offset `character` of `line` (clamped to the line)."""
    units = 0
    for column, ch in enumerate(line):
        if units >= character:
            return column
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def position(lines: list[str], line: int, column: int) -> types.Position:
    """The LSP position of envelope's 1-based `line` and `column` (a place past the text is clamped)."""
    row = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[row] if lines else ""
    return types.Position(row, to_utf16(text, max(column - 1, 0)))


def span(lines: list[str], location: Location) -> types.Range:
    """The LSP range of a located span; a point (no end) covers the word it starts, at least one character."""
    start = position(lines, location.line, location.column)
    if location.end_line >= location.line and (location.end_line, location.end_column) > (location.line, location.column):
        return types.Range(start, position(lines, location.end_line, location.end_column))
    row = start.line
    text = lines[row] if row < len(lines) else ""
    column = max(location.column - 1, 0)
    end = column + 1
    while end < len(text) and (text[end].isalnum() or text[end] in "_."):
        end += 1
    if column >= len(text):  # a file-level place (line 1, or past the end): the whole first line
        return types.Range(types.Position(row, 0), types.Position(row, utf16_length(text)))
    return types.Range(start, types.Position(row, to_utf16(text, end)))


def word_at(line: str, column: int) -> tuple[str, int, int]:
    """The dotted name (`gpu.memory`) or unit around code-point `column` of `line`: (word, start, end)."""
    start = column
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] in "_."):
        start -= 1
    end = column
    while end < len(line) and (line[end].isalnum() or line[end] in "_."):
        end += 1
    while end > start and line[end - 1] == ".":
        end -= 1
    return line[start:end], start, end
