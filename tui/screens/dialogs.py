"""Small modal screens: help, save preview, conflict on save, save as, quit with unsaved edits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..save import SavePlan


class HelpScreen(ModalScreen[None]):
    """Every key, where it works and what it does."""

    AUTO_FOCUS = "VerticalScroll"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, keys: Sequence[tuple[str, str, str]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold")
        table.add_column("key", no_wrap=True, style="bold")
        table.add_column("does")
        table.add_column("where", style="dim")
        for key, does, where in self.keys:
            table.add_row(key, does, where)
        with Vertical(classes="dialog", id="help-dialog") as dialog:
            dialog.border_title = "keys"
            with VerticalScroll():
                yield Static(table)
            yield Label(
                "ctrl+p: every command, searchable · mouse: click to select, double-click an input to edit · esc: close",
                classes="dialog-hint",
            )


class SaveScreen(ModalScreen[bool]):
    """What a save will change, shown before anything is written: y saves, escape cancels."""

    AUTO_FOCUS = "#save-confirm"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "save", "Save"), Binding("escape,n", "cancel", "Cancel")]

    def __init__(self, plan: SavePlan, reason: str | None = None):
        super().__init__()
        self.plan = plan
        self.reason = reason  # why this save is offered, when the user did not ask for it (ctrl+s)

    def compose(self) -> ComposeResult:
        plan = self.plan
        summary = Text()
        for change in plan.changes:
            if change.old is None:
                summary.append(f"  + {change.name}: {change.new}", style="bold")
                summary.append("  (added: overrides the value it inherits)\n", style="dim")
            else:
                summary.append(f"  {change.name}: {change.old} → ", style="")
                summary.append(f"{change.new}\n", style="bold")
        with Vertical(classes="dialog", id="save-dialog") as dialog:
            dialog.border_title = f"save {plan.path}"
            if self.reason:
                yield Label(self.reason, id="save-reason")
            yield Label(
                f"{len(plan.changes)} change{'s' if len(plan.changes) != 1 else ''}; every other byte of the file stays as it is:"
            )
            yield Static(summary)
            with VerticalScroll(id="save-diff"):
                yield Static(Syntax(plan.diff(), "diff", theme="ansi_dark", background_color="default"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (y)", id="save-confirm", variant="primary")
                yield Button("Cancel (esc)", id="save-cancel")

    @on(Button.Pressed, "#save-confirm")
    def action_save(self) -> None:
        """Write it."""
        self.dismiss(True)

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        """Write nothing."""
        self.dismiss(False)


class ConflictScreen(ModalScreen[str]):
    """The file changed on disk since it was loaded: reload (keeping the edits) or save as another file."""

    AUTO_FOCUS = "#conflict-reload"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('reload')", "Reload"),
        Binding("a", "choose('save_as')", "Save as"),
        Binding("escape", "choose('cancel')", "Cancel"),
    ]

    def __init__(self, path: Path, edits: int):
        super().__init__()
        self.path = path
        self.edits = edits

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="conflict-dialog") as dialog:
            dialog.border_title = "not saved"
            yield Label(
                f"{self.path} changed on disk since it was loaded: saving would overwrite that change.", classes="dialog-error"
            )
            yield Label(f"Nothing was written. Your {self.edits} edit{'s are' if self.edits != 1 else ' is'} kept.")
            yield Label("Reload reads the file again and re-applies your edits on it; then save again.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reload (r)", id="conflict-reload", variant="primary")
                yield Button("Save as… (a)", id="conflict-save-as")
                yield Button("Cancel (esc)", id="conflict-cancel")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        """A button: the choice it names."""
        self.dismiss({"conflict-reload": "reload", "conflict-save-as": "save_as"}.get(event.button.id or "", "cancel"))

    def action_choose(self, choice: str) -> None:
        """A key: the choice it names."""
        self.dismiss(choice)


class SaveAsScreen(ModalScreen[Path | None]):
    """Ask for a new file name; an existing file is not overwritten."""

    AUTO_FOCUS = "#save-as-path"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: Path):
        super().__init__()
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-as-dialog") as dialog:
            dialog.border_title = "save as"
            yield Label("Write the scenario, with your edits, to a new file:")
            yield Input(str(self.suggestion), id="save-as-path")
            yield Label("", id="save-as-error", classes="dialog-error")

    @on(Input.Submitted, "#save-as-path")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter: a new file name is accepted, an existing one or a folder is refused."""
        path = Path(event.value.strip()).expanduser()
        error = ""
        if not event.value.strip():
            error = "a file name is needed"
        elif path.exists():
            error = f"{path} exists: pick a new name (saving over another file is not done from here)"
        elif not path.parent.is_dir():
            error = f"no folder {path.parent}"
        elif path.suffix not in (".yaml", ".yml"):
            error = "a scenario file ends in .yaml or .yml"
        if error:
            self.query_one("#save-as-error", Label).update(error)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Escape: no file written."""
        self.dismiss(None)


class QuitScreen(ModalScreen[bool]):
    """Unsaved edits: quit anyway?"""

    AUTO_FOCUS = "#quit-stay"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "quit_anyway", "Quit"), Binding("escape,n", "stay", "Stay")]

    def __init__(self, unsaved: Sequence[str]):
        super().__init__()
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quit-dialog") as dialog:
            dialog.border_title = "unsaved edits"
            yield Label("Edits not saved in: " + ", ".join(self.unsaved))
            yield Label("Quit and lose them? (y: quit · esc: stay, then ctrl+s saves)")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Quit (y)", id="quit-confirm", variant="error")
                yield Button("Stay (esc)", id="quit-stay", variant="primary")

    @on(Button.Pressed, "#quit-confirm")
    def action_quit_anyway(self) -> None:
        """Quit, edits lost."""
        self.dismiss(True)

    @on(Button.Pressed, "#quit-stay")
    def action_stay(self) -> None:
        """Back to the app."""
        self.dismiss(False)
