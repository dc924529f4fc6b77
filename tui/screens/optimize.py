"""Choose a design: every combination of the inputs' options, the best by one objective, why the rest fail.

O opens it on the current scenario; the inputs edited by hand (those without options) stay as edited, and
every input with options is chosen. Enter on a design applies its choices as the current state (one step
of undo), so it can be looked at, compared with the pin, and saved.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Select, Static

import calculator

from ..format import STATUS_MARK, percent
from ..state import Workbench

TOP = 20


def default_objective(view: calculator.ScenarioView) -> str | None:
    """A value worth minimizing at first: the first derived value named like a cost, else the first derived one."""
    names = [d.name for d in view.derived]
    return next((n for n in names if "cost" in n.lower()), names[0] if names else None)


def search(workbench: Workbench, name: str, sense: str) -> calculator.Optimization:
    """optimize over every input and hardware binding with options; the other edits stay fixed (raises
    EnvelopeError if refused)."""
    view = workbench.view
    choosable = {v.name for v in view.inputs if v.options} | {b.name for b in view.bindings if b.listed}
    fixed = {n: value for n, value in workbench.overrides().items() if n not in choosable}
    objectives = {"minimize": [name]} if sense == "min" else {"maximize": [name]}
    return calculator.optimize(workbench.model, overrides=fixed, top=TOP, **objectives)


class OptimizeScreen(ModalScreen[dict[str, str] | None]):
    """The objective (a value, min or max), the best designs, and how many each budget ruled out."""

    AUTO_FOCUS = "#optimize-designs"
    DEFAULT_CSS = """
    #optimize-dialog { height: 90%; max-width: 140; }
    #optimize-pickers { height: auto; }
    #optimize-objective { width: 1fr; }
    #optimize-sense { width: 20; }
    #optimize-designs { height: 1fr; margin-top: 1; }
    #optimize-summary { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("s", "toggle_sense", "Min / max"),
        Binding("w", "pick_objective", "Pick the objective"),
    ]

    def __init__(self, workbench: Workbench, title: str):
        super().__init__()
        self.workbench = workbench
        self.title_text = title
        view = workbench.view
        self.objective = default_objective(view)
        self.sense = "min"
        self.names = [d.name for d in view.derived] + [i.name for i in view.inputs]
        self.outcome: calculator.Optimization | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="optimize-dialog") as dialog:
            dialog.border_title = f"optimize {self.title_text}"
            with Horizontal(id="optimize-pickers"):
                yield Select(
                    [(name, name) for name in self.names],
                    value=self.objective or Select.BLANK,
                    allow_blank=self.objective is None,
                    id="optimize-objective",
                    prompt="objective",
                )
                yield Select([("minimize", "min"), ("maximize", "max")], value="min", allow_blank=False, id="optimize-sense")
            yield DataTable(id="optimize-designs", cursor_type="row")
            yield Static("", id="optimize-summary")
            yield Label("↵ apply the design · s min/max · w objective · esc close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.refresh_search()

    def action_toggle_sense(self) -> None:
        """Minimize or maximize the objective."""
        self.query_one("#optimize-sense", Select).value = "max" if self.sense == "min" else "min"

    def action_pick_objective(self) -> None:
        """Open the list of values to optimize."""
        picker = self.query_one("#optimize-objective", Select)
        picker.focus()
        picker.expanded = True

    @on(Select.Changed, "#optimize-objective")
    def objective_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.objective:
            self.objective = event.value
            self.refresh_search()

    @on(Select.Changed, "#optimize-sense")
    def sense_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.sense:
            self.sense = event.value
            self.refresh_search()

    def refresh_search(self) -> None:
        if self.objective is None:
            self.query_one("#optimize-summary", Static).update("This scenario has no value to optimize.")
            return
        self.query_one("#optimize-summary", Static).update(Text("searching…", style="dim"))
        self.run_search(self.objective, self.sense)

    @work(thread=True, exclusive=True, group="optimize", exit_on_error=False)
    def run_search(self, name: str, sense: str) -> None:
        """The grid off the UI thread: with uncertain inputs it is designs × samples."""
        try:
            outcome: calculator.Optimization | calculator.EnvelopeError = search(self.workbench, name, sense)
        except calculator.EnvelopeError as error:
            outcome = error
        self.app.call_from_thread(self.show, name, sense, outcome)

    def show(self, name: str, sense: str, outcome: calculator.Optimization | calculator.EnvelopeError) -> None:
        if (name, sense) != (self.objective, self.sense):
            return  # a newer search is under way
        table = self.query_one("#optimize-designs", DataTable)
        table.clear(columns=True)
        summary = self.query_one("#optimize-summary", Static)
        if isinstance(outcome, calculator.EnvelopeError):
            self.outcome = None
            summary.update(Text(outcome.message + (f"\n  hint: {outcome.hint}" if outcome.hint else ""), style="bold"))
            return
        self.outcome = outcome
        table.add_columns(*outcome.headings())
        for n, (design, row) in enumerate(zip(outcome.designs, outcome.rows(), strict=True)):
            mark = f"{STATUS_MARK[design.status]} {design.status}"
            used = percent(design.utilization) if design.utilization is not None else "—"
            table.add_row(*row[:-3], mark, row[-2], used, key=str(n))
        summary.update("\n".join(outcome.summary()))

    @on(DataTable.RowSelected, "#optimize-designs")
    def design_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a design: its choices become the current state."""
        if self.outcome is not None and event.row_key.value is not None:
            self.dismiss(dict(self.outcome.designs[int(event.row_key.value)].choices))
