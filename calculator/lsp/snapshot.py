"""One open document, evaluated: its model (or its errors), its result, and its diagnostics.

A keystroke builds a snapshot with point values only (`Evaluation.judge(simulate=False)`:
no Monte Carlo, no numpy); a scenario with uncertain inputs gets its full result (p5–p95,
P(violation), the status `envelope eval` reports) once the editor is idle (`with_uncertainty`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path

from lsprotocol import types

from calculator.common.cache import in_process
from calculator.common.errors import EnvelopeError, Location
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.engine.model import Evaluation, Model
from calculator.engine.pipeline import loads
from calculator.engine.results import BudgetResult, PathResult, Result, limit_text, with_unit
from calculator.file.load import read_text
from calculator.lsp.positions import span

SOURCE = "envelope"
Texts = Callable[[Path], str | None]
"""The text of a file open in the editor (unsaved edits included), or None when it is not open."""


@record(frozen=False)
class Snapshot:
    """A document's text and what envelope makes of it."""

    path: Path
    text: str
    model: Model | None = None
    evaluation: Evaluation | None = None
    result: Result | None = None  # point values; the full result once `with_uncertainty` ran
    errors: list[EnvelopeError] = field(default_factory=list)
    uncertain: bool = False  # the result still lacks its Monte Carlo

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines() or [""]


def evaluate(path: Path, text: str, open_texts: Texts | None = None) -> Snapshot:
    """Load, check and evaluate `text` as the file at `path` (its `extends:` read from the editor when open)."""
    snapshot = Snapshot(path, text)

    def read(base: Path) -> str:
        opened = open_texts(base.resolve()) if open_texts else None
        return opened if opened is not None else read_text(base)

    try:
        with in_process("documents", "validated"):  # a text a keystroke made: kept in memory, not written to disk
            snapshot.model = loads(text, str(path), path.parent, read=read)
        snapshot.evaluation = snapshot.model.evaluate()
        snapshot.result = snapshot.evaluation.judge(simulate=False)
        snapshot.uncertain = bool(snapshot.evaluation.spreads)
    except EnvelopeError as error:
        snapshot.errors = error.errors
    return snapshot


def with_uncertainty(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its full result (Monte Carlo), as `envelope eval` reports it."""
    if snapshot.uncertain and snapshot.evaluation is not None:
        snapshot.result = snapshot.evaluation.result
        snapshot.uncertain = False
    return snapshot


def file_of(location: Location | None, main: Path) -> Path:
    """The file a place is in (a relative name is relative to here, as the loader shows it)."""
    if location is None or not location.file or location.file.startswith(("<", "--")):
        return main
    return Path(location.file) if Path(location.file).is_absolute() else Path.cwd() / location.file


def diagnostics(snapshot: Snapshot, lines_of: Callable[[Path], list[str]]) -> dict[Path, list[types.Diagnostic]]:
    """Every error, in the file that holds it, every budget or path that fails or warns (as warnings), and
    the notes `envelope eval` writes (as information)."""
    found: dict[Path, list[types.Diagnostic]] = {snapshot.path: []}
    for error in snapshot.errors:
        where = file_of(error.location, snapshot.path)
        lines = snapshot.lines if where == snapshot.path else lines_of(where)
        location = error.location if error.location is not None and error.location.line > 0 else Location(str(where), 1, 1)
        message = error.message + (f"\nhint: {error.hint}" if error.hint else "")
        found.setdefault(where, []).append(
            types.Diagnostic(
                range=span(lines, location),
                message=message,
                code=error.kind,
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
        )
    if snapshot.model is not None:  # what `envelope eval` notes on stderr: a declaration no longer needed, a rate used
        for note in snapshot.model.scenario.units.notes:
            _add(found, snapshot, note.location, note.message, "note", lines_of, types.DiagnosticSeverity.Information)
    if snapshot.result is not None:
        sig_figs = snapshot.result.sig_figs
        for budget in snapshot.result.budgets:
            if budget.status != "ok":
                _add(found, snapshot, budget.location, budget_message(budget, sig_figs), budget.status, lines_of)
        for path in snapshot.result.latency:
            if path.status != "ok":
                _add(found, snapshot, path.location, path_message(path, sig_figs), path.status, lines_of)
    return found


def _add(
    found: dict[Path, list[types.Diagnostic]],
    snapshot: Snapshot,
    location: Location | None,
    message: str,
    status: str,
    lines_of: Callable[[Path], list[str]],
    severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Warning,
) -> None:
    if location is None:
        return
    where = file_of(location, snapshot.path)
    lines = snapshot.lines if where == snapshot.path else lines_of(where)
    found.setdefault(where, []).append(
        types.Diagnostic(
            range=span(lines, location),
            message=message,
            source=SOURCE,
            severity=severity,
            code=status if status == "note" else f"budget-{status}",
        )
    )


def budget_message(budget: BudgetResult, sig_figs: int) -> str:
    """`budget on serving_gpus fails: 80 gpu, limit <= 64 gpu (125%)`."""
    verb = "fails" if budget.status == "fail" else "warns"
    value = with_unit(format_number(budget.value, sig_figs), budget.unit)
    return (
        f"budget on {budget.name} {verb}: {value}, limit {limit_text(budget, sig_figs)}"
        f" ({budget.utilization:.0%} used{_risk(budget.p_violation)})"
    )


def path_message(path: PathResult, sig_figs: int) -> str:
    verb = "fails" if path.status == "fail" else "warns"
    return (
        f"latency path {path.path} {verb}: {format_number(path.total, sig_figs)} {path.unit.text} of"
        f" {format_number(path.budget, sig_figs)} {path.unit.text} ({path.utilization:.0%} used{_risk(path.p_violation)})"
    )


def _risk(p_violation: float | None) -> str:
    return "" if p_violation is None else f", P(break) {p_violation:.1%}"
