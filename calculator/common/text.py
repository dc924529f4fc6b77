"""User text made safe for where it is shown.

Scenario files come from strangers: a name, note or formula is data, never markup. Every output
that puts user text into a structured format goes through one function here.
"""

from __future__ import annotations

import re


def markdown_cell(text: str) -> str:
    """Text for one cell of a Markdown table: a `|` would end the cell and a line break the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def terminal_text(text: str, one_line: bool = False) -> str:
    """Text safe to print: control characters (ESC, BEL, ...: a scenario name could clear the screen or
    retitle the terminal) written as escapes like `\\x1b`, and a file name's undecodable bytes (kept by
    Python as surrogates) written as `\\xff`, so printing never fails. `one_line`: newlines escaped too."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an undecodable byte
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    pattern = _CONTROL_OR_NEWLINE if one_line else _CONTROL
    return pattern.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def rich_text(text: str, one_line: bool = True) -> str:
    """User text for a Rich console or widget: `terminal_text`, with `[` escaped so `[/]`, `[bold]` or
    `[link=...]` in a note prints as written instead of being read as markup."""
    from rich.markup import escape  # rich: only where text goes to a Rich console (start-up)

    return escape(terminal_text(text, one_line))
