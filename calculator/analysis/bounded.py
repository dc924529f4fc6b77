"""How much symbolic work explain and solve may do: a size limit before sympy, and a deadline.

A value's closed form expands every derived value it uses down to the inputs, so a chain of 400
values or `dN+1: dN * a + dN` (which doubles at each step) becomes a tree no person can read and
sympy cannot finish. The size is measured here first, in dependency order and without recursion;
past the limits explain and solve work with numbers (and say so). `sympy.solve` itself can run
for minutes on a three-node formula (`a^a^a`), so it runs under a deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from calculator.engine.model import Model
from calculator.formula.expr import Binary, Call, Expr, Name, Unary

MAX_SYMBOLIC_NODES = 2_000
"""The largest closed form (formula nodes, every derived value expanded) handed to sympy."""
MAX_SYMBOLIC_DEPTH = 60
"""The deepest closed form handed to sympy (sympy and its printers recurse once a level)."""
SYMBOLIC_SECONDS = 1.0
"""How long `envelope solve` waits for sympy to invert a formula before keeping the numeric edge."""

Done = TypeVar("Done")


def expanded_size(model: Model, name: str) -> tuple[int, int]:
    """(nodes, depth) of `name`'s closed form, every derived value it uses expanded."""
    scenario = model.scenario
    sizes: dict[str, int] = {}
    depths: dict[str, int] = {}
    for derived in scenario.order:  # each value after the ones it uses: their sizes are known
        formula = scenario.values[derived].formula
        assert formula is not None
        sizes[derived], depths[derived] = _measure(formula.expr, sizes, depths)
        if derived == name:
            break
    return sizes.get(name, 1), depths.get(name, 1)


def _measure(expr: Expr, sizes: dict[str, int], depths: dict[str, int]) -> tuple[int, int]:
    size, deepest = 0, 0
    pending: list[tuple[Expr, int]] = [(expr, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, Name) and node.name in sizes:
            size += sizes[node.name]
            deepest = max(deepest, depth + depths[node.name])
            continue
        size += 1
        deepest = max(deepest, depth)
        if isinstance(node, Binary):
            pending += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, Unary):
            pending.append((node.operand, depth + 1))
        elif isinstance(node, Call):
            pending += [(arg, depth + 1) for arg in node.args]
    return size, deepest


def too_large_for_sympy(model: Model, name: str) -> str | None:
    """Why `name`'s closed form is not worked out symbolically, or None when it may be."""
    size, depth = expanded_size(model, name)
    if depth > MAX_SYMBOLIC_DEPTH:
        return f"{depth} levels deep when written out (more than {MAX_SYMBOLIC_DEPTH})"
    if size > MAX_SYMBOLIC_NODES:
        return f"{size:,} terms when written out (more than {MAX_SYMBOLIC_NODES:,})"
    return None


def within_deadline(work: Callable[[], Done], seconds: float = SYMBOLIC_SECONDS) -> Done | None:
    """`work()`, or None when it takes longer than `seconds` (it then finishes, unheeded, on a daemon
    thread: sympy cannot be interrupted) or raises."""
    outcome: list[Done] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception:  # symbolic work that fails leaves the numeric answer
            return

    worker = threading.Thread(target=run, daemon=True, name="envelope-sympy")
    worker.start()
    worker.join(seconds)
    return outcome[0] if outcome else None
