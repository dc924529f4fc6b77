"""The options of one input, to pick from (o on an input that lists `one_of:`, `range:` or `powers_of_two:`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList


class OptionsScreen(ModalScreen[str | None]):
    """↑ ↓ and Enter choose an option; Escape leaves the input as it was."""

    AUTO_FOCUS = "#options-list"
    DEFAULT_CSS = """
    #options-dialog { width: 48; max-height: 80%; }
    #options-list { height: auto; max-height: 20; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss(None)", "Cancel")]

    def __init__(self, name: str, options: Sequence[str], current: int | None):
        super().__init__()
        self.input_name = name
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="options-dialog") as dialog:
            dialog.border_title = f"{self.input_name}: options"
            yield OptionList(
                *[f"{'●' if n == self.current else ' '} {text}" for n, text in enumerate(self.options)], id="options-list"
            )
            yield Label("↵ choose · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.current or 0

    @on(OptionList.OptionSelected, "#options-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index])
