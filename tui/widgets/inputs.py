"""The scenario's inputs, each editable in place: a typed value is checked by the engine as it is typed.

The inputs are one list of rows (one widget, however many inputs: moving the
focus or the cursor restyles nothing else), and the field a value is edited
in is laid over that value's cell, with the engine's message just under it.
The `hardware:` bindings follow the inputs (marked ▾): Enter on one opens a
picker of the catalog entries it may take (`tui/screens/hardware.py`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Offset
from textual.message import Message
from textual.widgets import Input, Static

import calculator
from calculator import record

from ..state import Workbench
from .rows import Columns, Headings, Row, RowList

HEADINGS = ("", "name", "value", "note")
ALIGNS = ("left", "left", "left")
VALUE_COLUMN = 2
FIELD_WIDTH = (24, 40)  # the field is at least this wide, whatever the value column's width


class ValueInput(Input):
    """The field an input is edited in: Enter applies, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel edit"),
        Binding("up,down,pageup,pagedown", "stay", show=False),
    ]

    class Cancelled(Message):
        """The user left the field without applying."""

    def action_cancel(self) -> None:
        """Escape: leave the value as it was."""
        self.post_message(self.Cancelled())

    def action_stay(self) -> None:
        """Up/down keep the cursor on the row being edited."""


@record
class InputLine(Row):
    """One input: edit mark (✎ edited, ~ uncertain, ◇ options to choose from), name, value as written, note."""

    name: str
    text: str
    edited: bool
    uncertain: bool
    note: str
    columns: Columns
    picked: bool = False  # a hardware binding: its value is picked from the catalog, not typed
    choosable: bool = False  # an input with options: ] and [ cycle through them, o lists them

    @property
    def key(self) -> str:
        return self.name

    def draw(self, width: int) -> Text:
        style = "bold" if self.edited else ""
        mark = "✎" if self.edited else ("~" if self.uncertain else ("▾" if self.picked else "◇" if self.choosable else " "))
        return self.columns.line(
            [Text(mark, "bold"), Text(self.name, style), Text(self.text, style), Text(self.note, "dim")], width
        )


class InputsTable(RowList):
    """One row an input; Enter (or a click) on a row edits it."""

    # Priority: the field opens while the app handles the key, so the keys typed right after it (a fast
    # typist, a paste) go to the field. Handled here, they would already be queued for the table.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", priority=True),
        Binding("enter", "edit", "Edit", show=False, priority=True),
        Binding("right_square_bracket", "cycle(1)", "Next option", show=False, tooltip="an input with options: the next one"),
        Binding("left_square_bracket", "cycle(-1)", "Previous option", show=False, tooltip="the previous option"),
        Binding("o", "pick", "Options", show=False, tooltip="an input with options: pick one from the list"),
    ]

    kind = "input"

    def focused(self, index: int, open: bool) -> None:
        """Moving to an input shows its details; a click on it edits it."""
        if open:
            self.action_edit()
        else:
            super().focused(index, open)

    def action_edit(self) -> None:
        panel = self.parent
        if isinstance(panel, InputsPanel):
            panel.action_edit()

    def action_cycle(self, step: int) -> None:
        panel = self.parent
        if isinstance(panel, InputsPanel):
            panel.cycle(step)

    def action_pick(self) -> None:
        panel = self.parent
        if isinstance(panel, InputsPanel):
            panel.pick_option()


class InputsPanel(Vertical):
    """The inputs of the current scenario. Enter (or e, or a click) edits in place, r resets."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "reset", "Reset input")]

    @record(frozen=False)
    class Applied(Message):
        """The user pressed Enter on a valid new value."""

        name: str
        text: str

    @record(frozen=False)
    class Reset(Message):
        """The user asked for the file's value back."""

        name: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.workbench: Workbench | None = None
        self.editing: str | None = None
        self.columns = Columns((1, 4, 5), ALIGNS)

    def compose(self) -> ComposeResult:
        yield Headings(id="inputs-headings")
        yield InputsTable(id="inputs-table")
        yield ValueInput(id="input-field")
        yield Static("", id="input-message")

    @property
    def table(self) -> InputsTable:
        return self.query_one(InputsTable)

    @property
    def field(self) -> ValueInput:
        return self.query_one(ValueInput)

    def focus(self, scroll_visible: bool = True) -> InputsPanel:
        self.table.focus(scroll_visible)
        return self

    def load(self, workbench: Workbench | None) -> None:
        """Rows for another scenario (or none)."""
        self.cancel_edit()
        self.workbench = workbench
        self.update_values()

    def update_values(self) -> None:
        """Marks and texts from the workbench (after an edit, a reset, an undo): only the rows that changed are redrawn."""
        workbench = self.workbench
        rows = (
            []
            if workbench is None
            else [
                (v.name, workbench.text(v.name), v.name in workbench.edits, v.uncertain, v.note or "", bool(v.options))
                for v in workbench.view.inputs
            ]
        )
        bindings = (
            []
            if workbench is None
            else [(b.name, workbench.text(b.name), b.name in workbench.edits, b) for b in workbench.view.bindings]
        )
        shown = [(name, text) for name, text, *_ in rows] + [(name, text) for name, text, *_ in bindings]
        self.columns = Columns.fit([("✎", name, text) for name, text in shown], HEADINGS, ALIGNS)
        self.query_one(Headings).show(self.columns, HEADINGS)
        lines = [
            InputLine(name, text, edited, uncertain, note, self.columns, choosable=listed)
            for name, text, edited, uncertain, note, listed in rows
        ]
        lines += [
            InputLine(name, text, edited, False, _binding_note(b), self.columns, picked=True)
            for name, text, edited, b in bindings
        ]
        self.table.show_rows(lines)

    @property
    def names(self) -> list[str]:
        return [row.key for row in self.table.rows]

    @property
    def current(self) -> str | None:
        index = self.table.current
        return None if index is None else self.table.rows[index].key

    def select_name(self, name: str) -> None:
        if name in self.names:
            self.table.highlighted = self.names.index(name)

    # --- options ----------------------------------------------------------------------------------------------

    def cycle(self, step: int) -> None:
        """] or [ on an input with options: the next (or previous) option, applied at once."""
        name, workbench = self.current, self.workbench
        if name is None or workbench is None or self.editing is not None:
            return
        options = workbench.options(name)
        if not options:
            self.app.notify(f"'{name}' has no options to choose from (give it one_of: in the file)", timeout=3)
            return
        index = workbench.option_index(name, workbench.text(name))
        chosen = (step if step > 0 else len(options) - 1) if index is None else (index + step) % len(options)
        self.post_message(self.Applied(name, options[chosen]))

    def pick_option(self) -> None:
        """o on an input with options: choose one from the list (on a hardware binding, its picker)."""
        name, workbench = self.current, self.workbench
        if name is None or workbench is None or self.editing is not None:
            return
        binding = workbench.binding(name)
        if binding is not None:
            self.pick(binding)
            return
        options = workbench.options(name)
        if not options:
            self.app.notify(f"'{name}' has no options to choose from (give it one_of: in the file)", timeout=3)
            return
        from ..screens.options import OptionsScreen

        def chosen(text: str | None) -> None:
            if text is not None:
                self.post_message(self.Applied(name, text))

        self.app.push_screen(OptionsScreen(name, options, workbench.option_index(name, workbench.text(name))), chosen)

    # --- editing ----------------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        """Edit the input under the cursor, in place (a hardware binding: pick its entry)."""
        name = self.current
        if name is None or self.workbench is None:
            return
        binding = self.workbench.binding(name)
        if binding is not None:
            self.pick(binding)
            return
        self.editing = name
        text = self.workbench.text(name)
        field = self.field
        field.value = text
        field.cursor_position = len(text)
        self.add_class("-editing")
        self.place_field()
        self.say("↵ apply · esc cancel", error=False)
        # Focus now, not after the next refresh: keys typed right after `e` (a fast typist, a paste) are
        # already queued, and would go to the table. The field is not laid out yet, so nothing scrolls to it.
        self.screen.set_focus(field, scroll_visible=False)

    def pick(self, binding: calculator.BindingView) -> None:
        """The catalog entries `binding` may take, in a picker; the one chosen is applied as an edit."""
        from ..screens.hardware import HardwarePicker  # the picker's module: only when a binding is picked

        assert self.workbench is not None
        current = self.workbench.text(binding.name)

        def chosen(entry: str | None) -> None:
            if entry is not None and entry != current:
                self.post_message(self.Applied(binding.name, entry))

        self.app.push_screen(HardwarePicker(binding, current), chosen)

    def place_field(self) -> None:
        """Over the value cell of the row being edited; the message on the line under it."""
        table = self.table
        if self.editing is None or self.editing not in self.names:
            return
        row = self.names.index(self.editing)
        table.scroll_to_highlight()
        x = self.columns.offset(VALUE_COLUMN)
        y = 1 + row - round(table.scroll_y)  # under the headings
        field_width = max(FIELD_WIDTH[0], min(self.columns.widths[VALUE_COLUMN], FIELD_WIDTH[1]))
        self.field.styles.width = field_width
        self.field.styles.offset = Offset(x, y)
        message = self.query_one("#input-message", Static)
        message.styles.offset = Offset(x, y + 1)

    def say(self, text: str, error: bool) -> None:
        """The line under the field: the engine's error, or what Enter will do."""
        message = self.query_one("#input-message", Static)
        message.update(text)
        message.set_class(error, "-error")
        self.set_class(error, "-invalid")

    def cancel_edit(self) -> None:
        """Back to the table, nothing applied."""
        if self.editing is None:
            return
        self.editing = None
        self.screen.set_focus(self.table)  # now, not later: a hidden field would make Textual look for focus
        self.remove_class("-editing", "-invalid")

    def action_reset(self) -> None:
        """Give the input under the cursor its value from the file back."""
        if self.current is not None:
            self.post_message(self.Reset(self.current))

    @on(Input.Changed, "#input-field")
    def typed(self, event: Input.Changed) -> None:
        """Validate as typed: the engine's message under the field, or what Enter will do."""
        event.stop()
        if self.editing is None or self.workbench is None:
            return
        error = check_value(self.workbench, self.editing, event.value)
        self.say("↵ apply · esc cancel" if error is None else error, error=error is not None)

    @on(Input.Submitted, "#input-field")
    def submitted(self, event: Input.Submitted) -> None:
        """Enter: apply a valid value; an invalid one stays in the field with its error, never applied."""
        event.stop()
        if self.editing is None or self.workbench is None:
            return
        error = check_value(self.workbench, self.editing, event.value)
        if error is not None:
            self.say(error, error=True)
            if needs_a_correlation_dropped(self.workbench, self.editing, event.value):
                self.post_message(self.Applied(self.editing, event.value))  # the app offers that save
            return
        self.post_message(self.Applied(self.editing, event.value))

    @on(ValueInput.Cancelled)
    def cancelled(self, event: ValueInput.Cancelled) -> None:
        """Escape: back to the table, the value unchanged."""
        event.stop()
        self.cancel_edit()

    def on_resize(self) -> None:
        """Keep the field over its cell."""
        self.place_field()

    def show_error(self, name: str, message: str) -> None:
        if self.editing == name:
            self.say(message, error=True)
        elif self.workbench is not None and self.workbench.binding(name) is not None:  # a pick: no field to say it under
            self.app.notify(message, severity="error")


def _binding_note(binding: calculator.BindingView) -> str:
    count = len(binding.options)
    return f"{binding.kind} · enter picks from {count} entr{'y' if count == 1 else 'ies'}"


def check_value(workbench: Workbench, name: str, text: str) -> str | None:
    """None when the engine accepts `text` for input `name` (and everything still evaluates), else its message."""
    if not text.strip():
        return "a value is needed, e.g. the file's: " + workbench.original_text(name)
    try:
        value = workbench.parse(name, text)
        workbench.model.evaluate({**workbench.overrides(), name: value})
    except calculator.EnvelopeError as error:
        return error.message + (f"\n  hint: {error.hint}" if error.hint else "")
    options = workbench.options(name)
    if options and workbench.option_index(name, text) is None:  # the file could not be saved with it
        shown = ", ".join(options[:6]) + (", …" if len(options) > 6 else "")
        return f"not one of the options of '{name}': {shown}\n  hint: ] and [ cycle through them, o lists them"
    return None


def needs_a_correlation_dropped(workbench: Workbench, name: str, text: str) -> bool:
    """Whether the engine refuses `text` only because it is a point value for a correlated input."""
    try:
        workbench.parse(name, text)
    except calculator.CorrelatedPointError:
        return True
    except calculator.EnvelopeError:
        return False
    return False
