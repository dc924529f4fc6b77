"""The scenario files, each with its status as a coloured mark, filterable by name or tag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from calculator import record

from ..format import STATUS_MARK
from ..scenarios import ScenarioEntry
from .palette import status_style


def entry_prompt(entry: ScenarioEntry, styles: dict[str, str]) -> Text:
    """`✓✎Format tour` (✎: edited) with the mark in the status's colour, then the file name (dimmed) or `error`."""
    status = entry.status
    text = Text.assemble(
        (STATUS_MARK[status], f"bold {styles.get(status, '')}".strip()),
        ("✎" if entry.edited else " ", "bold"),
        entry.title,
        no_wrap=True,
        overflow="ellipsis",
    )
    text.append(f"\n  {entry.path.name}", style="dim")
    if status == "error":
        text.append("  error", style=styles["error"])
    return text


class ScenarioList(Vertical):
    """A filter box over the list of scenario files; moving through the list opens each."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_filter", "Clear filter", show=False)]

    @record(frozen=False)
    class Chosen(Message):
        """The user moved to (or clicked) a scenario."""

        key: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown: object = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: name or #tag", id="scenario-filter")
        yield OptionList(id="scenario-options")

    @property
    def options(self) -> OptionList:
        return self.query_one("#scenario-options", OptionList)

    @property
    def filter_text(self) -> str:
        return self.query_one("#scenario-filter", Input).value

    def show(self, entries: Sequence[ScenarioEntry], current: str | None) -> None:
        """Rebuild the options for the entries that pass the filter, keeping `current` highlighted."""
        options = self.options
        shown = [e for e in entries if e.matches(self.filter_text)]
        styles = {status: status_style(self, status) for status in ("ok", "warn", "fail", "error")}
        state = [(e.key, e.status, e.title, e.edited) for e in shown], current
        if state == self.shown:
            return
        self.shown = state
        with self.prevent(OptionList.OptionHighlighted):
            options.set_options(Option(entry_prompt(e, styles), id=e.key) for e in shown)
            keys = [e.key for e in shown]
            if current in keys:
                options.highlighted = keys.index(current)

    @on(Input.Changed, "#scenario-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """Narrow the list as the filter is typed."""
        event.stop()
        self.post_message(self.Filtered())

    @on(Input.Submitted, "#scenario-filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter opens the first match."""
        event.stop()
        options = self.options
        if options.option_count:
            options.highlighted = options.highlighted or 0
            options.focus()

    @on(OptionList.OptionHighlighted, "#scenario-options")
    @on(OptionList.OptionSelected, "#scenario-options")
    def option_chosen(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        """Browsing: the scenario under the cursor opens at once."""
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(event.option.id))

    def action_clear_filter(self) -> None:
        """Escape empties the filter."""
        self.query_one("#scenario-filter", Input).value = ""
        self.options.focus()

    class Filtered(Message):
        """The filter text changed: the list must be rebuilt."""
