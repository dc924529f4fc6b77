"""The offer at start: a scenario has unsaved edits from an earlier session (tui/recovery.py)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..recovery import Recovery

MAX_SHOWN = 12
"""Edits listed in the dialog (the rest are counted): it must fit an 80x24 terminal."""


class RestoreScreen(ModalScreen[bool]):
    """Restore (True) or discard (False) the edits a recovery file kept."""

    AUTO_FOCUS = "#restore-confirm"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r,y", "restore", "Restore"),
        Binding("d,n", "discard", "Discard"),
    ]

    def __init__(self, path: Path, recovery: Recovery, changed_since: bool):
        super().__init__()
        self.path = path
        self.recovery = recovery
        self.changed_since = changed_since

    def compose(self) -> ComposeResult:
        edits = list(self.recovery.edits.items())
        listing = Text()
        for name, text in edits[:MAX_SHOWN]:
            listing.append(f"  {printable(name)} = ", style="")
            listing.append(f"{printable(text)}\n", style="bold")
        if len(edits) > MAX_SHOWN:
            listing.append(f"  … and {len(edits) - MAX_SHOWN} more\n", style="dim")
        count = len(edits)
        with Vertical(classes="dialog", id="restore-dialog") as dialog:
            dialog.border_title = "unsaved edits found"
            edits_word = f"{count} edit{'s' if count != 1 else ''}"
            yield Static(Text(f"{printable(str(self.path))}: {edits_word} not saved, kept {self.recovery.when()}:"))
            with VerticalScroll(id="restore-edits"):
                yield Static(listing)
            if self.changed_since:
                yield Static("The file changed since; an edit it no longer accepts is dropped.", classes="dialog-error")
            yield Static("Restore (r) or discard (d)? Restored edits are not saved until ctrl+s.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore (r)", id="restore-confirm", variant="primary")
                yield Button("Discard (d)", id="restore-discard", variant="error")

    @on(Button.Pressed, "#restore-confirm")
    def action_restore(self) -> None:
        """Take the edits back."""
        self.dismiss(True)

    @on(Button.Pressed, "#restore-discard")
    def action_discard(self) -> None:
        """Forget them (the recovery file is removed)."""
        self.dismiss(False)


def printable(text: str) -> str:
    """`text` with control characters shown as `?` (the file is read back from disk: it may hold anything)."""
    return "".join(c if c.isprintable() else "?" for c in text)
