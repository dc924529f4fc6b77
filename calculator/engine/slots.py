"""The typed index of a compiled scenario: what each value the compiled function returns stands for.

A slot is addressed by what it is (a derived value's name, a budget's position, a latency path or a
stage within one), never by a label built and taken apart as text. Catalog figures are the compiled
function's arguments after the inputs, addressed by `FigureSlot`.
"""

from __future__ import annotations

from calculator.common.records import record


@record
class DerivedSlot:
    """A derived value, by name."""

    name: str


@record
class LimitSlot:
    """A budget's limit, by the budget's position in the scenario (a value may have a max and a min)."""

    budget: int


@record
class PathBudgetSlot:
    """A latency path's budget, by the path's name."""

    path: str


@record
class StageSlot:
    """A latency stage's duration: the path, and the stage names from the path down to it."""

    path: str
    stage: tuple[str, ...]


@record
class FigureSlot:
    """A catalog figure a formula reads through a `hardware:` binding (`gpu.memory`): an argument of the
    compiled function, not a constant in it, so another entry (or an array of entries) is new arguments."""

    binding: str
    field: str


SlotKey = DerivedSlot | LimitSlot | PathBudgetSlot | StageSlot
