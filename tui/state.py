"""What the user is doing to one scenario: edited inputs, their history, a pinned state.

A :class:`Workbench` wraps a `calculator.Model` and is UI-free (tested without
Textual). An edit is validated by the engine before it is accepted; an edit
that the engine refuses (a bad unit, a division by zero downstream) raises
`calculator.EnvelopeError` and changes nothing. Each accepted change pushes the
previous set of edits on an undo stack, so undo is one step of whatever the
user did (an edit, a reset, a reset of everything).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import calculator
from calculator import record

MAX_HISTORY = 200


@record
class Edit:
    """An input's new value (the text as typed and the engine's parse of it, base units), or another
    catalog entry for a `hardware:` binding (the entry's id and the engine's choice)."""

    name: str
    text: str
    value: calculator.Override


@record
class Pin:
    """A state kept for comparison: the edits it had and its result."""

    label: str
    edits: dict[str, Edit]
    result: calculator.Result


Edits = dict[str, Edit]


@dataclass  # not a record: its results (evaluation, baseline, result) are attributes set after __init__
class Workbench:
    """One scenario and the user's edits to it."""

    model: calculator.Model
    edits: Edits = field(default_factory=dict)
    pin: Pin | None = None
    undo_stack: list[Edits] = field(default_factory=list)
    redo_stack: list[Edits] = field(default_factory=list)
    quick: bool = False  # skip the Monte Carlo run at first (see `simulated`)

    def __post_init__(self) -> None:
        self.simulated = not (self.quick and any(v.uncertain for v in self.view.inputs))
        if self.simulated:
            self.evaluation: calculator.Evaluation = self.model.evaluate()
        else:  # medians only: the app's first screen comes before numpy is even imported
            self.evaluation = self.model.evaluate(
                {v.name: float(self.model.defaults[v.name]) for v in self.view.inputs if v.uncertain}
            )
        self.quick = False
        self.baseline: calculator.Result = self.evaluation.result
        self.result: calculator.Result = self.baseline
        if self.edits:
            self._recompute(self.edits)

    def simulate_baseline(self) -> tuple[calculator.Evaluation, calculator.Result]:
        """The Monte Carlo run a quick start skipped (slow, and safe off the UI thread: it changes nothing)."""
        evaluation = self.model.evaluate()
        return evaluation, evaluation.result

    def simulated_baseline(self, evaluation: calculator.Evaluation, result: calculator.Result) -> None:
        """Take the result of `simulate_baseline` (on the UI thread)."""
        if self.simulated:
            return
        self.simulated, self.baseline = True, result
        if not self.edits:
            self.evaluation, self.result = evaluation, result

    @property
    def view(self) -> calculator.ScenarioView:
        """The scenario as the engine read it (typed, read-only)."""
        return self.model.view()

    def original_text(self, name: str) -> str:
        """An input's text as the file has it (a hardware binding's: its entry's id)."""
        binding = self.binding(name)
        if binding is not None:
            return binding.entry
        return next(v.text for v in self.view.inputs if v.name == name)

    def binding(self, name: str) -> calculator.BindingView | None:
        """The `hardware:` binding `name` as the file binds it, or None for any other name."""
        return next((b for b in self.view.bindings if b.name == name), None)

    def text(self, name: str) -> str:
        """An input's current text: the edit's, else the file's."""
        edit = self.edits.get(name)
        return edit.text if edit else self.original_text(name)

    def overrides(self, edits: Edits | None = None) -> dict[str, calculator.Override]:
        return {name: edit.value for name, edit in (self.edits if edits is None else edits).items()}

    def parse(self, name: str, text: str) -> calculator.Override:
        """The engine's reading of `text` for input `name` (or another entry for a hardware binding),
        or `calculator.EnvelopeError`."""
        return self.model.parse_assignment(name, text.strip())

    def set(self, name: str, text: str) -> bool:
        """Give input `name` the value `text`; False when nothing changed. Raises `EnvelopeError` if refused."""
        return self.set_many({name: text})

    def set_many(self, texts: Mapping[str, str]) -> bool:
        """Several inputs at once (a design chosen by optimize), one step of undo; refused whole or taken whole."""
        edits = dict(self.edits)
        for name, raw in texts.items():
            text = raw.strip()
            if text == self.original_text(name):
                edits.pop(name, None)
            else:
                edits[name] = Edit(name, text, self.parse(name, text))
        return self._commit(edits)

    def restore(self, texts: dict[str, str]) -> list[str]:
        """Take back edits kept from an earlier session (one undo step); returns those refused, as `name = text`.

        Each text is parsed as an edit is; one the engine refuses (or an input no longer there) is dropped,
        and so is any whose value, with the others, fails to evaluate.
        """
        names = {v.name for v in self.view.inputs}
        edits, dropped = dict(self.edits), []
        for name, text in texts.items():
            try:
                if name not in names:
                    raise calculator.UsageError(f"'{name}' is no longer an input")
                if text.strip() != self.original_text(name):
                    edits[name] = Edit(name, text.strip(), self.parse(name, text))
            except calculator.EnvelopeError:
                dropped.append(f"{name} = {text}")
        try:
            self._commit(edits)
        except calculator.EnvelopeError:  # together they fail: keep each that works with the ones before it
            for name, edit in edits.items():
                try:
                    self._commit({**self.edits, name: edit})
                except calculator.EnvelopeError:
                    dropped.append(f"{name} = {edit.text}")
        return dropped

    def options(self, name: str) -> tuple[str, ...]:
        """The options input `name` lists (or a binding's `one_of:` entries), as people write them; () for none."""
        binding = self.binding(name)
        if binding is not None:
            return tuple(option.id for option in binding.options) if binding.listed else ()
        return next((v.options for v in self.view.inputs if v.name == name), ())

    def option_index(self, name: str, text: str) -> int | None:
        """Which of the input's options `text` is (`1000 MB` is `1 GB`, `h200` is `H200`), or None."""
        try:
            value = self.parse(name, text)
        except calculator.EnvelopeError:
            return None
        for index, option in enumerate(self.options(name)):
            other = self.parse(name, option)
            if isinstance(value, calculator.HardwareChoice) and isinstance(other, calculator.HardwareChoice):
                if value.entry.id == other.entry.id:
                    return index
            elif isinstance(value, float) and isinstance(other, float) and math.isclose(value, other, rel_tol=1e-12):
                return index
        return None
        for index, option in enumerate(self.options(name)):
            if math.isclose(self.parse(name, option), value, rel_tol=1e-12):
                return index
        return None

    def reset(self, name: str) -> bool:
        """Back to the file's value; False when the input was not edited."""
        if name not in self.edits:
            return False
        return self._commit({n: e for n, e in self.edits.items() if n != name})

    def reset_all(self) -> bool:
        return self._commit({})

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.redo_stack.append(self.edits)
        self._recompute(self.undo_stack.pop())
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        self.undo_stack.append(self.edits)
        self._recompute(self.redo_stack.pop())
        return True

    def pin_current(self, label: str = "pinned") -> Pin:
        self.pin = Pin(label, dict(self.edits), self.result)
        return self.pin

    def saved(self, model: calculator.Model) -> None:
        """The edits are in the file now: start afresh from it (history cleared: the file is the new baseline)."""
        self.model = model
        self.undo_stack.clear()
        self.redo_stack.clear()
        self.edits = {}
        self.__post_init__()

    def rebase(self, model: calculator.Model) -> list[str]:
        """The file was reloaded: keep every edit the new file still accepts; returns the ones dropped."""
        self.model = model
        kept: Edits = {}
        dropped = []
        names = {v.name for v in model.view().inputs} | {b.name for b in model.view().bindings}
        for name, edit in self.edits.items():
            try:
                if name not in names:
                    raise calculator.UsageError(f"'{name}' is no longer an input")
                if edit.text != self.original_text(name):
                    kept[name] = Edit(name, edit.text, self.parse(name, edit.text))
            except calculator.EnvelopeError:
                dropped.append(f"{name} = {edit.text}")
        self.evaluation = model.evaluate()
        self.baseline = self.evaluation.result
        self.result = self.baseline
        self.edits = {}
        try:
            self._recompute(kept)
        except calculator.EnvelopeError:
            dropped += [f"{name} = {edit.text}" for name, edit in kept.items()]
        self.undo_stack = [e for e in self.undo_stack if set(e) <= names]
        self.redo_stack.clear()
        return dropped

    def _commit(self, edits: Edits) -> bool:
        if edits == self.edits:
            return False
        previous = self.edits
        self._recompute(edits)
        self.undo_stack.append(previous)
        del self.undo_stack[:-MAX_HISTORY]
        self.redo_stack.clear()
        return True

    def _recompute(self, edits: Edits) -> None:
        """Evaluate with `edits`; on an engine error nothing changes (the error propagates)."""
        evaluation = self.model.evaluate(self.overrides(edits))
        result = evaluation.result
        self.evaluation, self.result, self.edits = evaluation, result, edits
