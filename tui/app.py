"""envelope's TUI: browse scenarios, change an assumption, see at once what moves and what breaks.

`EnvelopeApp(paths)` shows the scenario files under `paths`. It uses the
engine only through `calculator`'s public API: `load`, `Model.parse_override`,
`Model.evaluate`, `Result`, `explain`. The warm path of an edit — Enter on a
new value — is one `parse_override`, one compiled `evaluate` and redrawing
the cells that changed; sympy (explain) and the Monte Carlo histogram run in
a worker thread, never on that path.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, ParamSpec

from rich.text import Text
from textual import on, work
from textual.actions import ActionParseResult
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

import calculator

from . import recovery
from .details import Analysis, Selection, analyse, describe
from .format import STATUS_MARK
from .save import (
    Conflict,
    SavePlan,
    SaveRefused,
    plan_dropping_correlations,
    plan_save,
    write_atomically,
    write_plan,
)
from .scenarios import ScenarioEntry, discover
from .state import Workbench
from .widgets.budgets import BudgetsPanel
from .widgets.derived import DerivedPanel
from .widgets.details import DetailsPanel
from .widgets.inputs import InputsPanel
from .widgets.latency import LatencyPanel
from .widgets.palette import status_style
from .widgets.rows import RowList
from .widgets.scenario_list import ScenarioList

P = ParamSpec("P")


def contained(method: Callable[P, None]) -> Callable[P, None]:
    """A handler or callback of the app whose unexpected error is said in a notification.

    Textual's message loop stops for good on an error that reaches it (the app would stay on screen
    and answer no key), so each of the app's handlers catches its own; every edit stays, and is in
    its recovery file too. With ENVELOPE_DEBUG=1 the error goes on to Textual (its traceback).
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except Exception as error:
            app = args[0]
            if os.environ.get("ENVELOPE_DEBUG") == "1" or not isinstance(app, App):
                raise
            app.notify(internal_error_text(error), severity="error", timeout=10)

    return wrapper


AnalysisKey = tuple[str | None, int, str, tuple[tuple[str, str], ...]]
"""What an analysis is of: the scenario, its model, the value, the edits."""

PANEL_KEYS: list[tuple[str, str, str]] = [
    ("↑ ↓  home end", "move in a list or table", "lists"),
    ("tab  shift+tab", "next / previous area", "anywhere"),
    ("esc", "clear the filter · cancel an edit · close a dialog", "filter, field, dialogs"),
    ("enter  e", "edit the input in place (enter applies, esc cancels); on a ▾ hardware row, pick its entry", "inputs"),
    ("r", "reset the input to the file's value", "inputs"),
    ("]  [  o", "an input with options (◇): the next · the previous · pick from the list", "inputs"),
    ("enter", "details of the row: formula, numbers, closed form, sensitivity", "derived, budgets, latency"),
    ("ctrl+p", "command palette", "anywhere"),
]
"""Keys of the panels and of Textual itself; the app's own keys come from its BINDINGS (see `keys`)."""

KEY_NAMES = {"slash": "/", "question_mark": "?", "shift+s": "S"}


class ScenarioBar(Static):
    """The current scenario: status, name, file, edits, pin."""

    shown: object = None

    def show(self, entry: ScenarioEntry | None) -> None:
        workbench = entry.workbench if entry else None
        state = (entry, entry and entry.status, workbench and len(workbench.edits), workbench and workbench.pin)
        if state == self.shown:
            return
        self.shown = state
        if entry is None:
            self.update("no scenario: envelope tui PATH…")
            return
        status = entry.status
        text = Text.assemble(
            (f" {STATUS_MARK.get(status, '?')} {status.upper()} ", status_style(self, status, bold=True)), (entry.title, "bold")
        )
        # The marks before the path: a narrow terminal cuts the end of the line, and the path matters least.
        workbench = entry.workbench
        if workbench and workbench.edits:
            count = len(workbench.edits)
            text.append(f"  ✎ {count} edit{'s' if count != 1 else ''} (ctrl+s saves)", style="bold")
        if workbench and workbench.pin:
            text.append("  ◆ pinned", style="bold")
        text.append(f"  {entry.path}", style="dim")
        self.update(text, layout=False)  # one line, whatever it says: no need to re-lay out the screen


class EnvelopeApp(App[None]):
    """The envelope TUI on the scenario files under `paths`."""

    CSS_PATH = "app.tcss"
    TITLE = "envelope"
    AUTO_FOCUS = "#inputs-table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide"), (190, "-very-wide")]  # noqa: RUF012 (as App declares it)
    # One source for the footer, the help screen (`keys`) and the command palette: each binding's tooltip
    # says what it does; `id` is the palette's title (a binding without one is not in the palette).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="save the edits to the file (shows the change first)", id="Save"),
        Binding("u,ctrl+z", "undo", "Undo", tooltip="undo the last change", id="Undo"),
        Binding("ctrl+y", "redo", "Redo", show=False, tooltip="redo what undo took back", id="Redo"),
        Binding(
            "R", "reset_all", "Reset all", show=False, tooltip="reset every input to the file's value", id="Reset every input"
        ),
        Binding(
            "d",
            "toggle_details",
            "Details",
            tooltip="details: formula, numbers, closed form, sensitivity, histogram",
            id="Toggle details",
        ),
        Binding("p", "pin", "Pin", tooltip="pin the current state (to compare with)", id="Pin this state"),
        Binding("c", "compare", "Compare", tooltip="compare: pinned state, the file, or another scenario", id="Compare"),
        Binding("D", "drill", "Drill", show=False, tooltip="drill: estimate the key values yourself, scored", id="Drill"),
        Binding("O", "optimize", "Optimize", show=False, tooltip="choose the inputs' options: the best designs", id="Optimize"),
        Binding("S,shift+s", "save_as", "Save as", show=False, tooltip="save as a new file", id="Save as…"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, tooltip="reload from disk (edits are kept)", id="Reload"),
        Binding("slash", "filter", "Filter", show=False, tooltip="filter scenarios by name or #tag"),
        Binding("b", "toggle_sidebar", "List", show=False, tooltip="show / hide the scenario list", id="Toggle scenario list"),
        Binding("1", "go('#scenario-options')", "Scenarios", show=False, tooltip="go to the scenario list"),
        Binding("2", "go('#inputs-table')", "Inputs", show=False, tooltip="go to the inputs"),
        Binding("3", "go('#derived-rows')", "Derived", show=False, tooltip="go to the derived values"),
        Binding("4", "go('#budgets')", "Budgets", show=False, tooltip="go to the budgets"),
        Binding("5", "go('#latency')", "Latency", show=False, tooltip="go to the latency paths"),
        Binding("escape", "close_details", "Close details", show=False, tooltip="close the details panel"),
        Binding("question_mark,f1", "help", "Help", tooltip="every key (this help)", id="Keys"),
        Binding("q,ctrl+q", "quit", "Quit", tooltip="quit (asks when edits are unsaved)", id="Quit"),
    ]

    current: reactive[str | None] = reactive(None, init=False)
    details_open: reactive[bool] = reactive(False, init=False)
    sidebar_open: reactive[bool] = reactive(True, init=False)

    def __init__(
        self,
        paths: Sequence[str | Path] = (),
        watch_interval: float | None = 1.0,
        after_first_paint: Callable[[], None] | None = None,
    ):
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.watch_interval = watch_interval
        self.after_first_paint = after_first_paint  # e.g. the CLI turns the garbage collector back on
        self.entries: dict[str, ScenarioEntry] = {}
        self.selection: Selection | None = None
        self.analyses: dict[AnalysisKey, Analysis] = {}
        self.recoveries: dict[str, recovery.Recovery] = {}  # edits kept by an earlier session, not yet offered
        self.recovery_failed = False  # the state folder could not be written (said once)
        self.keeper = recovery.Keeper()
        # For the benchmarks (perf_counter): the first values painted; the last edit's new values painted.
        self.first_values_at: float | None = None
        self.rendered_at: float | None = None
        # Before the first layout: a class set on the app after mount restyles every widget.
        self.add_class("-no-details", update=False)

    # --- layout -----------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ScenarioList(id="sidebar")
            with Vertical(id="workspace"):
                yield ScenarioBar(id="scenario-bar")
                with VerticalScroll(id="error-view"):
                    yield Static(id="error-text")
                with Horizontal(id="panels"):
                    with Vertical(id="values-panel"):
                        yield InputsPanel(id="inputs")
                        yield DerivedPanel(id="derived")
                    with Vertical(id="limits-panel"):
                        yield BudgetsPanel(id="budgets")
                        yield LatencyPanel(id="latency")
            yield DetailsPanel(id="details")
        yield Footer()

    def on_mount(self) -> None:
        # The breakpoint class before the first layout: Textual adds it on the first resize,
        # which would restyle every widget once more.
        for width, name in sorted(self.HORIZONTAL_BREAKPOINTS or [], reverse=True):
            if self.size.width >= width:
                self.screen.add_class(name, update=False)
                break
        self.query_one("#inputs").border_title = "inputs"
        self.query_one("#derived").border_title = "derived"
        self.query_one("#budgets").border_title = "budgets"
        self.query_one("#latency").border_title = "latency"
        self.query_one("#sidebar").border_title = "scenarios"
        if self.after_first_paint is not None:
            self.call_after_refresh(self.after_first_paint)
        for path in discover(self.paths):
            entry = ScenarioEntry(path)
            self.entries[entry.key] = entry
            found = recovery.find(path)
            if found is not None:
                self.recoveries[entry.key] = found
        if not self.entries:
            self.query_one(ScenarioBar).show(None)
            return
        first = next(iter(self.entries.values()))
        first.load(quick=True)
        self.current = first.key
        if self.watch_interval:
            self.set_interval(self.watch_interval, self.check_disk)

    @contained
    def entry_loaded(self, key: str) -> None:
        self.update_list()
        if key == self.current:
            self.show_current()

    # --- the current scenario ------------------------------------------------------------------------------------

    @property
    def entry(self) -> ScenarioEntry | None:
        return self.entries.get(self.current) if self.current else None

    @property
    def workbench(self) -> Workbench | None:
        entry = self.entry
        return entry.workbench if entry else None

    @contained
    def watch_current(self) -> None:
        self.selection = None
        self.show_current()

    def show_current(self) -> None:
        """Rebuild the panels for the current scenario (or its error)."""
        entry = self.entry
        workbench = entry.workbench if entry else None
        self.set_class(bool(entry and entry.loaded and workbench is None), "-error")
        if entry is not None and entry.error is not None and workbench is None:
            self.query_one("#error-text", Static).update(error_text(entry.error))
        self.query_one(InputsPanel).load(workbench)
        self.query_one(DerivedPanel).update_values(workbench)
        self.query_one(BudgetsPanel).update_values(
            workbench.result if workbench else None, workbench.baseline if workbench else None
        )
        self.query_one(LatencyPanel).update_values(workbench.result if workbench else None)
        self.set_class(workbench is not None and not workbench.result.latency, "-no-latency")
        self.keep_focus_shown()
        self.update_list()
        self.query_one(ScenarioBar).show(entry)
        if workbench is not None and self.selection is None and workbench.view.inputs:
            self.selection = Selection("input", workbench.view.inputs[0].name)
        self.update_details()
        if self.first_values_at is None and workbench is not None:
            self.call_after_refresh(self._mark_first_values)
        if entry is not None and workbench is not None and entry.key in self.recoveries:
            self.offer_recovery(entry)

    def _mark_first_values(self) -> None:
        """The first values are painted: now load the other files (earlier, they would slow the first screen)."""
        if self.first_values_at is None:
            self.first_values_at = time.perf_counter()
            self.load_the_rest()

    @work(thread=True, group="load", exit_on_error=False)
    def load_the_rest(self) -> None:
        """After the first screen: its Monte Carlo run, then every other file, in the background."""
        for entry in list(self.entries.values()):
            workbench = entry.workbench
            if workbench is not None and not workbench.simulated:
                simulated = workbench.simulate_baseline()
                self.call_from_thread(self.baseline_simulated, entry.key, workbench, simulated)
        for entry in list(self.entries.values()):
            if not entry.loaded:
                entry.load()
                self.call_from_thread(self.entry_loaded, entry.key)

    @contained
    def baseline_simulated(
        self, key: str, workbench: Workbench, simulated: tuple[calculator.Evaluation, calculator.Result]
    ) -> None:
        workbench.simulated_baseline(*simulated)
        if key == self.current and workbench is self.workbench:
            self.refresh_values()
        else:
            self.update_list()

    def update_list(self) -> None:
        self.query_one(ScenarioList).show(list(self.entries.values()), self.current)

    def refresh_values(self) -> None:
        """After an edit, reset, undo or reload: redraw what the new result changed."""
        workbench = self.workbench
        if workbench is None:
            return
        self.query_one(InputsPanel).update_values()
        self.query_one(DerivedPanel).update_values(workbench)
        self.query_one(BudgetsPanel).update_values(workbench.result, workbench.baseline)
        self.query_one(LatencyPanel).update_values(workbench.result)
        self.query_one(ScenarioBar).show(self.entry)
        self.update_list()
        self.update_details()
        if self.entry is not None:
            self.keep_edits(self.entry)

    # --- recovery of unsaved edits (tui/recovery.py) ------------------------------------------------------------------

    def keep_edits(self, entry: ScenarioEntry) -> None:
        """Write the entry's edits to its recovery file (none: remove it), in a worker: not on an edit's path."""
        workbench = entry.workbench
        if workbench is None or entry.key in self.recoveries:  # an earlier session's edits not yet answered
            return
        ticket = self.keeper.ticket(entry.path)
        sha = entry.fingerprint.sha256 if entry.fingerprint else None
        self.keep_in_background(ticket, entry.path, edit_texts(workbench), sha)

    @work(thread=True, group="recovery", exit_on_error=False)
    def keep_in_background(self, ticket: int, path: Path, edits: dict[str, str], sha: str | None) -> None:
        try:
            self.keeper.keep(ticket, path, edits, sha)
        except (calculator.EnvelopeError, OSError) as error:
            why = error.message if isinstance(error, calculator.EnvelopeError) else str(error.strerror or error)
            self.call_from_thread(self.recovery_not_kept, why)

    @contained
    def recovery_not_kept(self, why: str) -> None:
        """The state folder cannot be written: said once, edits go on (they are only not kept on disk)."""
        if not self.recovery_failed:
            self.recovery_failed = True
            self.notify(f"unsaved edits cannot be kept in a recovery file: {why}", severity="warning", timeout=8)

    def offer_recovery(self, entry: ScenarioEntry) -> None:
        """The scenario has edits an earlier session did not save: restore or discard them (a dialog)."""
        from .screens.recovery import RestoreScreen

        kept = self.recoveries.pop(entry.key)
        workbench = entry.workbench
        if workbench is None:
            return
        if kept.edits == edit_texts(workbench):
            return
        changed = bool(kept.file_sha256 and entry.fingerprint and kept.file_sha256 != entry.fingerprint.sha256)
        self.push_screen(
            RestoreScreen(entry.path, kept, changed), lambda restore: self.recovery_chosen(entry, kept, bool(restore))
        )

    @contained
    def recovery_chosen(self, entry: ScenarioEntry, kept: recovery.Recovery, restore: bool) -> None:
        workbench = entry.workbench
        if not restore or workbench is None:
            self.keeper.discard(entry.path)
            self.notify(f"unsaved edits of {entry.path.name} discarded", timeout=3)
            return
        dropped = workbench.restore(kept.edits)
        if entry.key == self.current:
            self.refresh_values()
        else:
            self.keep_edits(entry)
        count = len(workbench.edits)
        message = f"{count} edit{'s' if count != 1 else ''} restored in {entry.path.name} (ctrl+s saves, u undoes)"
        if dropped:
            self.notify(f"{message}; the file refuses: {', '.join(dropped)}", severity="warning", timeout=8)
        else:
            self.notify(message, timeout=4)

    # --- details ---------------------------------------------------------------------------------------------------

    def select(self, selection: Selection, open_details: bool = False) -> None:
        self.selection = selection
        if open_details:
            self.details_open = True
        self.update_details()

    def update_details(self) -> None:
        """Show at once what the result says; ask the engine for the rest in a worker."""
        workbench, selection = self.workbench, self.selection
        if not self.details_open or workbench is None or selection is None:
            return
        styles = {s: status_style(self, s) for s in ("ok", "warn", "fail")} | {"accent": status_style(self, "ok")}
        key = self.analysis_key(workbench, selection)
        analysis = self.analyses.get(key) if key else None
        try:
            content = describe(workbench, selection, analysis, styles)
        except (KeyError, IndexError):
            content = Text("Select a value, a budget or a stage.")
        self.query_one(DetailsPanel).show(content)
        if key is not None and analysis is None:
            self.analyse_in_background(key, copy.copy(workbench), selection.value_name or "")

    def analysis_key(self, workbench: Workbench, selection: Selection) -> AnalysisKey | None:
        if selection.value_name is None or workbench.view.kind_of(selection.value_name) is None:
            return None
        edits = tuple(sorted((n, e.text) for n, e in workbench.edits.items()))
        return (self.current, id(workbench.model), selection.value_name, edits)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse_in_background(self, key: AnalysisKey, workbench: Workbench, name: str) -> None:
        """explain (sympy) and the histogram (Monte Carlo) of one value, off the UI thread."""
        analysis = analyse(workbench, name)
        self.call_from_thread(self.analysis_ready, key, analysis)

    @contained
    def analysis_ready(self, key: AnalysisKey, analysis: Analysis) -> None:
        self.analyses[key] = analysis
        if len(self.analyses) > 256:
            self.analyses.pop(next(iter(self.analyses)))
        workbench, selection = self.workbench, self.selection
        if workbench is not None and selection is not None and self.analysis_key(workbench, selection) == key:
            self.update_details()

    @contained
    def watch_details_open(self, is_open: bool) -> None:
        self.set_class(not is_open, "-no-details")
        self.set_class(is_open, "-details")
        if is_open:
            self.update_details()
        self.keep_focus_shown()  # at 80 columns the details panel hides the scenario list

    @contained
    def watch_sidebar_open(self, is_open: bool) -> None:
        self.set_class(not is_open, "-no-sidebar")
        self.keep_focus_shown()

    def keep_focus_shown(self) -> None:
        """A hidden widget never keeps the focus: the keys would go to it, and nothing would answer."""
        focused = self.screen.focused
        if focused is None or is_shown(focused):
            return
        inputs = self.query_one("#inputs-table")
        if is_shown(inputs):
            self.screen.set_focus(inputs)
        else:
            self.screen.focus_next()

    # --- messages from the panels ----------------------------------------------------------------------------------

    @on(ScenarioList.Chosen)
    @contained
    def scenario_chosen(self, event: ScenarioList.Chosen) -> None:
        """Browsing the list opens the scenario under the cursor."""
        if event.key in self.entries:
            self.current = event.key

    @on(ScenarioList.Filtered)
    @contained
    def scenario_filter_changed(self) -> None:
        """The filter changed: show only the matching files."""
        self.update_list()

    @on(RowList.Focused)
    @contained
    def row_focused(self, event: RowList.Focused) -> None:
        """The cursor moved in a list: its row in the details panel (Enter or a click: open the panel)."""
        if event.rows.has_focus:  # not a list filled anew
            self.select(Selection(event.rows.kind, event.key, event.index), open_details=event.open)

    @on(InputsPanel.Applied)
    @contained
    def input_applied(self, event: InputsPanel.Applied) -> None:
        """Enter on a new value: recompute everything; the engine's error stays under the field if it refuses."""
        workbench = self.workbench
        panel = self.query_one(InputsPanel)
        if workbench is None:
            return
        try:
            workbench.set(event.name, event.text)
        except calculator.CorrelatedPointError as error:
            panel.show_error(event.name, error.message)
            self.offer_to_drop_correlations(event.name, event.text, error.partners)
            return
        except calculator.EnvelopeError as error:
            panel.show_error(event.name, error.message)
            return
        except Exception as error:  # the edge: a fault is said under the field, edits stay
            panel.show_error(event.name, internal_error_text(error))
            return
        self.selection = Selection("input", event.name)
        self.refresh_values()
        # The field closes in the next frame: hiding it re-lays out the screen, and the new values come first.
        self.call_after_refresh(self._mark_rendered)
        self.call_after_refresh(panel.cancel_edit)

    def offer_to_drop_correlations(self, name: str, text: str, partners: list[str]) -> None:
        """A point value for a correlated input: offer the save that drops its correlations (y), with the diff."""
        entry, workbench = self.entry, self.workbench
        if entry is None or workbench is None:
            return
        from .screens.dialogs import SaveScreen

        try:
            edits = {**edit_texts(workbench), name: text.strip()}
            plan = plan_dropping_correlations(entry.path, edits, [(name, p) for p in partners], entry.fingerprint)
        except (Conflict, SaveRefused, OSError) as error:
            self.notify(f"{name} keeps its range: {error}", severity="warning", timeout=8)
            return
        reason = f"'{name}' is correlated with {', '.join(partners)}: a point value needs the correlation gone."
        self.push_screen(SaveScreen(plan, reason), lambda confirmed: self._dropped(entry, plan) if confirmed else None)

    def _dropped(self, entry: ScenarioEntry, plan: SavePlan) -> None:
        self.write(entry, plan)
        self.query_one(InputsPanel).cancel_edit()

    def _mark_rendered(self) -> None:
        self.rendered_at = time.perf_counter()

    @on(InputsPanel.Reset)
    @contained
    def input_reset(self, event: InputsPanel.Reset) -> None:
        """r on an input: the file's value back."""
        workbench = self.workbench
        if workbench is not None and workbench.reset(event.name):
            self.refresh_values()
            self.notify(f"{event.name} reset to {workbench.original_text(event.name)}", timeout=2)

    # --- actions -----------------------------------------------------------------------------------------------------

    def action_undo(self) -> None:
        """Undo the last edit or reset (of this scenario)."""
        self._history_step(undo=True)

    def action_redo(self) -> None:
        """Redo what undo took back."""
        self._history_step(undo=False)

    def _history_step(self, undo: bool) -> None:
        workbench = self.workbench
        if workbench is None:
            return
        before = dict(workbench.edits)
        if not (workbench.undo() if undo else workbench.redo()):
            self.notify("nothing to undo" if undo else "nothing to redo", timeout=2)
            return
        changed = [n for n in set(before) | set(workbench.edits) if before.get(n) != workbench.edits.get(n)]
        if changed:
            self.query_one(InputsPanel).select_name(changed[0])
        self.refresh_values()
        names = ", ".join(f"{n} = {workbench.text(n)}" for n in changed)
        self.notify(f"{'undone' if undo else 'redone'}: {names}", timeout=2)

    def action_reset_all(self) -> None:
        """Every input back to the file's value (undo brings the edits back)."""
        workbench = self.workbench
        if workbench is not None and workbench.reset_all():
            self.refresh_values()
            self.notify("every input reset to the file's value (u undoes)", timeout=2)

    def action_toggle_details(self) -> None:
        """Show or hide the details panel."""
        self.details_open = not self.details_open

    def action_close_details(self) -> None:
        """Close the details panel (Esc)."""
        self.details_open = False

    def action_toggle_sidebar(self) -> None:
        """Show or hide the scenario list."""
        self.sidebar_open = not self.sidebar_open

    def action_filter(self) -> None:
        """Type to filter the scenario list."""
        self.sidebar_open = True
        self.query_one("#scenario-filter").focus()

    def action_go(self, selector: str) -> None:
        """Focus one area."""
        if selector == "#scenario-options":
            self.sidebar_open = True
        widget = self.query_one(selector)
        if widget.display:
            self.screen.set_focus(widget)  # at once: the next key goes there

    def action_help(self) -> None:
        """Every key."""
        from .screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(keys()))

    def action_pin(self) -> None:
        """Keep the current state to compare with later."""
        workbench = self.workbench
        if workbench is None:
            return
        count = len(workbench.edits)
        workbench.pin_current(f"pinned ({count} edit{'s' if count != 1 else ''}, {time.strftime('%H:%M:%S')})")
        self.query_one(ScenarioBar).show(self.entry)
        self.notify("state pinned: edit, then c compares", timeout=2)

    def action_compare(self) -> None:
        """The current state against the pinned one, the file as saved, or another scenario."""
        entry, workbench = self.entry, self.workbench
        if entry is None or workbench is None:
            return
        from .screens.compare import CompareScreen, Side

        count = len(workbench.edits)
        current = Side("current", f"{entry.title} (now, {count} edit{'s' if count != 1 else ''})", workbench.result)
        others = []
        if workbench.pin:
            others.append(Side("pin", f"{entry.title} ({workbench.pin.label})", workbench.pin.result))
        others.append(Side("file", f"{entry.title} (the file as saved)", workbench.baseline))
        for other in self.entries.values():
            if other is not entry and other.workbench is not None:
                others.append(Side(other.key, f"{other.title} ({other.path.name})", other.workbench.result))
        self.push_screen(CompareScreen(current, others))

    def action_drill(self) -> None:
        """Interview practice on the current scenario: the values hidden, asked one at a time, scored."""
        workbench = self.workbench
        if workbench is None:
            return
        from .screens.drill import DrillScreen  # its own screen: loaded when first opened

        self.push_screen(DrillScreen(workbench.model))

    def action_optimize(self) -> None:
        """Every combination of the inputs' options: the best designs, and a chosen one applied."""
        entry, workbench = self.entry, self.workbench
        if entry is None or workbench is None:
            return
        view = workbench.view
        if not any(v.options for v in view.inputs) and not any(b.listed for b in view.bindings):
            self.notify("no input has options to choose from: give one one_of: [...] in the file", timeout=3)
            return
        from .screens.optimize import OptimizeScreen

        def apply(choices: dict[str, str] | None) -> None:
            if choices and workbench is self.workbench:
                self.apply_design(workbench, choices)

        self.push_screen(OptimizeScreen(workbench, entry.title), apply)

    def apply_design(self, workbench: Workbench, choices: dict[str, str]) -> None:
        """The choices of a design as the current state, one step of undo."""
        try:
            workbench.set_many(choices)
        except calculator.EnvelopeError as error:
            self.notify(f"design not applied: {error.message}", severity="error", timeout=4)
            return
        self.refresh_values()
        chosen = ", ".join(f"{name} = {text}" for name, text in choices.items())
        self.notify(f"design applied: {chosen} (u undoes)", timeout=3)

    def action_reload(self) -> None:
        """Read the file again; edits are re-applied on the new file."""
        entry = self.entry
        if entry is not None:
            self.reload(entry, "reloaded")

    def reload(self, entry: ScenarioEntry, why: str) -> None:
        dropped = entry.load()
        self.keep_edits(entry)
        if entry.key == self.current:
            self.show_current()
        else:
            self.update_list()
        if entry.error is not None:
            self.notify(f"{entry.path}: {entry.error.message}", severity="error", timeout=4)
            return
        kept = len(entry.workbench.edits) if entry.workbench else 0
        message = f"{why} {entry.path}" + (f"; {kept} edit{'s' if kept != 1 else ''} kept" if kept else "")
        if dropped:
            self.notify(f"{message}; edits the new file refuses: {', '.join(dropped)}", severity="warning", timeout=8)
        else:
            self.notify(message, timeout=3)

    @contained
    def check_disk(self) -> None:
        """Follow edits made in another editor: reload a file that changed on disk."""
        for entry in list(self.entries.values()):
            if entry.loaded and entry.changed_on_disk():
                self.reload(entry, "changed on disk: reloaded")

    # --- save -------------------------------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save the edits into the file, after showing what changes."""
        entry, workbench = self.entry, self.workbench
        if entry is None or workbench is None:
            return
        if not workbench.edits:
            self.notify("no edits to save", timeout=2)
            return
        from .screens.dialogs import ConflictScreen, SaveScreen

        try:
            plan = plan_save(entry.path, edit_texts(workbench), entry.fingerprint)
        except Conflict:
            self.push_screen(ConflictScreen(entry.path, len(workbench.edits)), self.conflict_choice)
            return
        except (SaveRefused, OSError) as error:
            self.notify(f"not saved: {error}", severity="error", timeout=8)
            return
        self.push_screen(SaveScreen(plan), lambda confirmed: self.write(entry, plan) if confirmed else None)

    @contained
    def write(self, entry: ScenarioEntry, plan: SavePlan) -> None:
        from .screens.dialogs import ConflictScreen

        try:
            fingerprint = write_plan(plan)
        except Conflict:
            self.push_screen(ConflictScreen(entry.path, len(plan.changes)), self.conflict_choice)
            return
        except OSError as error:
            self.notify(f"not saved: {error}", severity="error", timeout=8)
            return
        try:
            model = calculator.load(entry.path)
        except calculator.EnvelopeError as error:  # verified before writing, so only a race gets here
            self.notify(f"saved, but it does not load now: {error.message}", severity="error")
            self.reload(entry, "saved")
            return
        entry.saved(model, fingerprint)
        self.keep_edits(entry)  # no edits now: the recovery file goes
        self.show_current()
        self.notify(f"saved {plan.path}: {', '.join(f'{c.name} = {c.new}' for c in plan.changes)}", timeout=4)

    @contained
    def conflict_choice(self, choice: str | None) -> None:
        if choice == "reload":
            self.action_reload()
        elif choice == "save_as":
            self.action_save_as()

    def action_save_as(self) -> None:
        """Write the scenario, with the edits, to a new file."""
        entry = self.entry
        if entry is None or entry.workbench is None:
            return
        from .screens.dialogs import SaveAsScreen

        suggestion = entry.path.with_name(f"{entry.path.stem}.edited{entry.path.suffix}")
        self.push_screen(SaveAsScreen(suggestion), lambda target: self.save_as(entry, target) if target else None)

    @contained
    def save_as(self, entry: ScenarioEntry, target: Path) -> None:
        workbench = entry.workbench
        if workbench is None:
            return
        try:
            plan = plan_save(entry.path, edit_texts(workbench), None, target=target)
            write_atomically(target, plan.new_text)
        except (SaveRefused, OSError) as error:
            self.notify(f"not saved: {error}", severity="error", timeout=8)
            return
        new = ScenarioEntry(target)
        new.load()
        self.entries[new.key] = new
        workbench.reset_all()
        self.keep_edits(entry)
        self.current = new.key
        self.notify(f"saved as {target}; {entry.path.name} is as it was on disk (u there brings the edits back)", timeout=5)

    # --- quit, palette -------------------------------------------------------------------------------------------------

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every action (a key, the palette, a button): an unexpected error is said in a notification and
        the app goes on with every edit (see `contained`)."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            if os.environ.get("ENVELOPE_DEBUG") == "1":
                raise
            self.notify(internal_error_text(error), severity="error", timeout=10)
            return True

    def _handle_exception(self, error: Exception) -> None:
        """The last resort, for an error no handler contained (`contained`, `run_action`): said in a
        notification (Textual's default closes the app). With ENVELOPE_DEBUG=1, Textual's own handling."""
        if isinstance(error, Exception) and os.environ.get("ENVELOPE_DEBUG") != "1" and self.is_running:
            self.notify(internal_error_text(error), severity="error", timeout=10)
            return
        super()._handle_exception(error)

    async def action_quit(self) -> None:
        """Quit; asks first when edits are not saved."""
        unsaved = [
            f"{e.path.name} ({len(e.workbench.edits)})" for e in self.entries.values() if e.workbench and e.workbench.edits
        ]
        if not unsaved:
            self.exit()
            return
        from .screens.dialogs import QuitScreen

        self.push_screen(QuitScreen(unsaved), lambda quit_anyway: self.quit_discarding() if quit_anyway else None)

    @contained
    def quit_discarding(self) -> None:
        """Quit, the unsaved edits given up: their recovery files go too."""
        for entry in self.entries.values():
            if entry.workbench is not None and entry.workbench.edits:
                self.keeper.discard(entry.path)
        self.exit()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The app's bindings that have a palette title (`id`), Textual's own commands that these do not
        repeat (its "Keys" and "Quit"), then each scenario to open."""
        ours = [binding for binding in app_bindings() if binding.id]
        titles = {binding.id for binding in ours}
        yield from (command for command in super().get_system_commands(screen) if command.title not in titles)
        for binding in ours:
            yield SystemCommand(
                binding.id or "", binding.tooltip[:1].upper() + binding.tooltip[1:], partial(self.run_action, binding.action)
            )
        for entry in self.entries.values():
            yield SystemCommand(f"Open {entry.title}", str(entry.path), lambda key=entry.key: self._open(key))

    def _open(self, key: str) -> None:
        self.current = key


def is_shown(widget: Widget) -> bool:
    """Displayed, and so is every widget it sits in."""
    node: DOMNode | None = widget
    while isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def internal_error_text(error: BaseException) -> str:
    """One line for a fault that is envelope's, not the input's."""
    return (f"internal error: {type(error).__name__}: {error} (please report; ENVELOPE_DEBUG=1 shows the traceback)")[:400]


def app_bindings() -> list[Binding]:
    return [binding for binding in EnvelopeApp.BINDINGS if isinstance(binding, Binding)]


def keys() -> list[tuple[str, str, str]]:
    """The help screen's rows: key, what it does, where it works (the panels' keys, then the app's bindings)."""
    rows = list(PANEL_KEYS)
    for binding in app_bindings():
        shown = "  ".join(dict.fromkeys(KEY_NAMES.get(key, key) for key in binding.key.split(",")))
        rows.append((shown, binding.tooltip, "anywhere"))
    return rows


KEYS = keys()


def edit_texts(workbench: Workbench) -> dict[str, str]:
    return {name: edit.text for name, edit in workbench.edits.items()}


def error_text(error: calculator.EnvelopeError) -> Text:
    """The engine's error as the CLI prints it, then the offending line of the file with a caret under the column."""
    text = Text(error.render(), style="bold")
    location = error.location
    if location is None or location.line <= 0:
        return text
    try:
        lines = Path(location.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return text
    if location.line <= len(lines):
        number = f"{location.line} | "
        text.append(f"\n\n{number}{lines[location.line - 1]}\n", style="")
        text.append(" " * (len(number) + max(location.column - 1, 0)) + "^", style="bold red")
    text.append("\n\nFix the file in your editor: it is read again as soon as it changes.", style="dim")
    return text
