"""Drill mode: the scenario asks, you estimate with units, it scores and shows the worked steps.

The same session as `envelope drill` (calculator.Drill): the key values in
dependency order, each answer read with the input grammar, scored by order of
magnitude (within 2× full marks, within 10× half, beyond none). The true values
and the budgets stay hidden until each question is answered; the worked steps
(formula → numbers → value) and the input that would explain a miss come after
it. Scoring explains a value with sympy, so it runs off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

import calculator

HIDDEN = "?"
MARKS = {"full": ("full", "green"), "partial": ("half", "yellow"), "none": ("none", "bold red")}


class DrillScreen(ModalScreen[None]):
    """A practice session on one scenario (its file's values, not the edits)."""

    AUTO_FOCUS = "#drill-answer"

    DEFAULT_CSS = """
    #drill-dialog { width: 100%; height: 100%; max-width: 140; border: round $primary; background: $surface; padding: 0 1; }
    #drill-questions { height: auto; max-height: 9; }
    #drill-prompt { margin-top: 1; width: 100%; }
    #drill-answer { margin: 0; }
    #drill-log { height: 1fr; min-height: 4; border-top: solid $panel-lighten-2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("f2", "reveal", "Reveal (unscored)"),
    ]

    def __init__(self, model: calculator.Model, count: int | None = 5, clock: Callable[[], float] | None = None):
        super().__init__()
        self.drill = calculator.drill(model, count, clock)
        self.busy = False  # an answer is being scored
        self.pending: list[str | None] = []  # answers typed meanwhile (None: reveal), taken in order

    def compose(self) -> ComposeResult:
        with Vertical(id="drill-dialog") as dialog:
            dialog.border_title = f"drill: {self.drill.model.scenario.name}"
            dialog.border_subtitle = "enter answers · f2 reveals · esc closes"
            yield DataTable(id="drill-questions", cursor_type="row", zebra_stripes=True)
            yield Label("", id="drill-prompt")
            yield Input(placeholder="your estimate, with units: 20k request/s, 3 PB, about 50 gpu", id="drill-answer")
            with VerticalScroll(id="drill-log"):
                yield Static(Text("\n".join(self.drill.briefing())), id="drill-text")

    def on_mount(self) -> None:
        table = self.query_one("#drill-questions", DataTable)
        table.add_column("value", key="name")
        table.add_column("you said", key="answer")
        table.add_column("true value", key="truth")
        table.add_column("marks", key="marks")
        for question in self.drill.questions:
            table.add_row(question.name, "", HIDDEN, "", key=question.name)
        self.ask()

    # --- asking -------------------------------------------------------------------------------------------------

    def ask(self) -> None:
        """The prompt for the current question, or the end of the drill."""
        question = self.drill.current
        prompt = self.query_one("#drill-prompt", Label)
        field = self.query_one("#drill-answer", Input)
        if question is None:
            prompt.update(Text("Done: the score, the misses and the budget questions are below.", style="bold"))
            field.disabled = True
            self.finish()
            return
        note = f" — {question.note}" if question.note else ""
        position = f"[{len(self.drill.feedback) + 1}/{len(self.drill.questions)}] "
        prompt.update(
            Text.assemble(
                (position, "bold"), (question.name, "bold"), note, (f"   in {question.unit.text or 'a number'}?", "dim")
            )
        )
        table = self.query_one("#drill-questions", DataTable)
        table.move_cursor(row=table.get_row_index(question.name))

    @on(Input.Submitted, "#drill-answer")
    def answered(self, event: Input.Submitted) -> None:
        event.input.value = ""
        self.pending.append(event.value)
        self.next_pending()

    def action_reveal(self) -> None:
        """Show the current question's answer and steps without scoring it."""
        self.pending.append(None)
        self.next_pending()

    def next_pending(self) -> None:
        """Score the next answer typed, unless one is being scored (it comes after)."""
        if self.busy or not self.pending or self.drill.current is None:
            return
        self.busy = True
        self.query_one("#drill-prompt", Label).update(Text("scoring…", style="dim"))
        self.score(self.pending.pop(0))

    @work(thread=True, exclusive=True, group="drill")
    def score(self, answer: str | None) -> None:
        """Score (or reveal) off the UI thread: explaining a value can take sympy a second or two."""
        feedback = self.drill.reveal() if answer is None else self.drill.answer(answer)
        self.app.call_from_thread(self.show_feedback, feedback)

    def show_feedback(self, feedback: calculator.DrillFeedback) -> None:
        self.busy = False
        question = feedback.question
        heading = Text.assemble((f"{question.name}: ", "bold"), feedback.answer.strip() or "(revealed)")
        self.show_lines(heading, feedback.message)
        if feedback.kind == "retry":
            self.ask()  # the same question again, once
            self.next_pending()
            return
        table = self.query_one("#drill-questions", DataTable)
        table.update_cell(question.name, "answer", feedback.answer.strip() or "—", update_width=True)
        table.update_cell(question.name, "truth", question.display, update_width=True)
        marks, style = MARKS[feedback.grade] if feedback.grade else ("revealed", "dim")
        off = feedback.off_text().replace(" too ", " ")  # `1.04× low`: the column is narrow
        table.update_cell(
            question.name, "marks", Text(f"{marks} {off}" if feedback.grade else marks, style=style), update_width=True
        )
        self.ask()
        self.next_pending()

    def show_lines(self, heading: Text, lines: list[str]) -> None:
        text = Text.assemble(heading, "\n", "\n".join(lines))
        self.query_one("#drill-text", Static).update(text)
        self.query_one("#drill-log", VerticalScroll).scroll_home(animate=False)

    # --- the end ------------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="drill")
    def finish(self) -> None:
        """The summary: score, time, misses, the budget questions (what breaks first solves, off the UI thread)."""
        lines = self.drill.summary()
        self.app.call_from_thread(self.show_lines, Text("The drill is over.", style="bold"), lines)
