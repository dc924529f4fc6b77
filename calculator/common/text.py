"""User text made safe for where it is shown.

Scenario files come from strangers: a name, note or formula is data, never markup. Every output
that puts user text into a structured format goes through one function here.
"""

from __future__ import annotations


def markdown_cell(text: str) -> str:
    """Text for one cell of a Markdown table: a `|` would end the cell and a line break the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
