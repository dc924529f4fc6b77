"""The side panel: everything `envelope explain` says about the selected value, budget or stage."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class DetailsPanel(VerticalScroll):
    """Formula, closed form, numbers substituted, sensitivity, histogram (filled in as the engine answers)."""

    BORDER_TITLE = "details"

    def compose(self) -> ComposeResult:
        yield Static("Select a value, a budget or a stage.", id="details-body")

    content: RenderableType = ""

    def show(self, content: RenderableType) -> None:
        self.content = content
        self.query_one("#details-body", Static).update(content)
