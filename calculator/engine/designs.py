"""Many designs at once: the compiled scenario run over arrays of inputs and of catalog entries.

A design is one choice of every input and every `hardware:` binding. The
compiled function takes the inputs and then the bound catalog figures as
arguments, so N designs are one call with arrays of length N: a binding's
entries become arrays of their figures (each entry's figures checked once,
as `--set gpu=H200` checks them). This is what `envelope optimize` builds on;
`evaluate_designs` is its one entry point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from calculator.common.errors import Location, UsageError
from calculator.common.records import record
from calculator.engine.judge import path_total
from calculator.engine.model import HardwareChoice, Model
from calculator.engine.slots import DerivedSlot, FigureSlot, LimitSlot, PathBudgetSlot, SlotKey

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Column = float | NDArray[np.float64]


@record
class Designs:
    """Every slot of the compiled scenario for `count` designs, in base units (arrays of length `count`)."""

    model: Model
    count: int
    inputs: Mapping[str, NDArray[np.float64]]
    entries: Mapping[str, tuple[str, ...]]
    "each binding's catalog entry id, design by design"
    slots: tuple[NDArray[np.float64], ...]

    def slot(self, key: SlotKey) -> NDArray[np.float64]:
        return self.slots[self.model.compiled.index[key]]

    def value(self, name: str) -> NDArray[np.float64]:
        """An input or a derived value, design by design, in base units."""
        if name in self.inputs:
            return self.inputs[name]
        return self.slot(DerivedSlot(name))

    def limit(self, budget: int) -> NDArray[np.float64]:
        """The limit of the budget at position `budget` of the scenario, in base units."""
        return self.slot(LimitSlot(budget))

    def path_total(self, path: str) -> NDArray[np.float64]:
        """A latency path's total (its slowest parallel branch counted), in base units."""
        import numpy as np  # numpy: only for arrays of designs

        found = next(p for p in self.model.scenario.latency if p.name == path)
        total: NDArray[np.float64] = path_total(found, self.slot, np.maximum)
        return np.broadcast_to(np.asarray(total, dtype=float), (self.count,))

    def path_budget(self, path: str) -> NDArray[np.float64]:
        return self.slot(PathBudgetSlot(path))


def evaluate_designs(
    model: Model,
    inputs: Mapping[str, Column] | None = None,
    hardware: Mapping[str, str | Sequence[str]] | None = None,
) -> Designs:
    """The scenario for many designs: `inputs` maps input names to values in base units (a float for
    every design, or an array of one value a design); `hardware` maps binding names to a catalog entry
    (for every design) or to entry ids, one a design. Inputs not named keep the model's point values (an
    uncertain input its median: Monte Carlo over designs is the caller's), bindings their entries.
    Every array has the same length (the number of designs); an unknown name, an entry of the wrong
    kind or arrays of different lengths is a UsageError."""
    import numpy as np  # numpy: only for arrays of designs

    inputs, hardware = dict(inputs or {}), dict(hardware or {})
    where = Location("evaluate_designs")
    for name in inputs:
        model.input(name, where)
    lengths = {int(np.size(v)) for v in inputs.values() if np.ndim(v) == 1}
    lengths |= {len(ids) for ids in hardware.values() if not isinstance(ids, str)}
    if len(lengths) > 1:
        raise UsageError(f"the designs' arrays have different lengths: {sorted(lengths)}", where)
    count = lengths.pop() if lengths else 1
    columns = {
        name: np.broadcast_to(np.asarray(inputs.get(name, model.defaults[name]), dtype=float), (count,))
        for name in model.compiled.inputs
    }
    figures = {slot: np.full(count, value) for slot, value in zip(model.compiled.figures, model.figure_arguments, strict=True)}
    entries: dict[str, tuple[str, ...]] = {name: (entry.id,) * count for name, entry in model.scenario.hardware.items()}
    for binding, ids in hardware.items():
        ids = (ids,) * count if isinstance(ids, str) else tuple(ids)
        choices = {text: model.choose(binding, text, Location(f"{binding}={text}")) for text in dict.fromkeys(ids)}
        entries[binding] = tuple(choices[text].entry.id for text in ids)
        figures.update(_figure_columns(binding, ids, choices, model.compiled.figures))
    with np.errstate(all="ignore"):  # a design that divides by zero is a non-finite value, judged as such
        raw = model.vectorized_with(
            [columns[name] for name in model.compiled.inputs], [figures[s] for s in model.compiled.figures]
        )
    slots = tuple(np.broadcast_to(np.asarray(s, dtype=float), (count,)) for s in raw)
    return Designs(model, count, columns, entries, slots)


def _figure_columns(
    binding: str, ids: tuple[str, ...], choices: Mapping[str, HardwareChoice], slots: Sequence[FigureSlot]
) -> dict[FigureSlot, NDArray[np.float64]]:
    """Each figure slot of `binding` as an array: the figure of each design's entry, by one `take`."""
    import numpy as np  # numpy: only for arrays of designs

    position = {text: n for n, text in enumerate(choices)}
    picks = np.fromiter((position[text] for text in ids), dtype=np.intp, count=len(ids))
    return {
        slot: np.array([choice.figures[slot] for choice in choices.values()])[picks] for slot in slots if slot.binding == binding
    }
