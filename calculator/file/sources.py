"""The texts scenarios were read from, kept so an error can show its line without reading the
file again (which may have changed since, or may be a git revision or a block of a note)."""

from __future__ import annotations

from collections import OrderedDict

MAX_TEXTS = 64

_texts: OrderedDict[tuple[str, int], list[str]] = OrderedDict()


def remember(text: str, file: str, first_line: int = 1) -> None:
    """`text` is what `file` holds from line `first_line` on."""
    _texts[(file, first_line)] = text.splitlines()
    _texts.move_to_end((file, first_line))
    while len(_texts) > MAX_TEXTS:
        _texts.popitem(last=False)


def source_line(file: str, line: int) -> str | None:
    """Line `line` of `file` as it was read, or None when it was not."""
    for (name, first_line), lines in reversed(_texts.items()):
        if name == file and 0 <= line - first_line < len(lines):
            return lines[line - first_line]
    return None
