"""A 2-D sweep as a terminal heat map: each point's status as a glyph (✓ ▲ ✗, readable without colour), or one
value as shades (· ░ ▒ ▓ █), with both axes labelled in their units.

The map is built as lines of (text, style) pieces, so that the same drawing prints in colour through rich
or as plain text (`heat_map_text`).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

from calculator.common.numbers import format_number
from calculator.engine.results import STATUS_GLYPH
from calculator.outputs.terminal import stdout_console

if TYPE_CHECKING:
    from calculator.analysis.sweep import Grid

Piece = tuple[str, str]  # text, rich style ("" for none)
SHADES = "·░▒▓█"
STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
LABELLED_ROWS = 12  # at most this many rows carry their value; the others only the axis
MAX_ROWS = 40  # rows drawn at most: a taller grid shows evenly spaced rows


def heat_map_lines(grid: Grid, width: int = 80) -> list[list[Piece]]:
    """The heat map: a title and legend, the rows (highest y on top) with y ticks, the x axis and its ticks.

    A grid larger than the terminal shows every k-th point (the first and the last always), and says so."""
    y_shown = _spread_indices(len(grid.y.values), MAX_ROWS)
    y_ticks = _row_labels(grid, y_shown)
    margin = max(len(label) for label in y_ticks.values())
    room = max(width - margin - 3, 1)
    cell = 2 if 2 * len(grid.x.values) <= room else 1
    if grid.x.labels:  # options or entries: a column wide enough to name each one under it
        named = max(len(label) for label in grid.x.labels) + 2
        cell = named if named * len(grid.x.values) <= room else cell
    x_shown = _spread_indices(len(grid.x.values), room // cell)
    cells, legend = _cells(grid, y_shown, x_shown)
    title = _title(grid)
    if len(x_shown) < len(grid.x.values) or len(y_shown) < len(grid.y.values):
        title += f"; {len(x_shown)} × {len(y_shown)} of the points shown, evenly spaced"
    lines: list[list[Piece]] = [[(title, "bold")], legend, [(f"{' ' * margin}   ↑ {grid.y.label}", "")]]
    for j, row in zip(reversed(y_shown), reversed(cells), strict=True):
        line: list[Piece] = [(f"{y_ticks[j]:>{margin}} │", "")]
        for text, style in row:
            line += [(" " * (cell - 1), ""), (text, style)]  # a glyph a cell, spaced when there is room
        lines.append(line)
    lines.append([(" " * margin + " └" + "─" * (cell * len(x_shown) + 1), "")])
    lines.append([(" " * (margin + 2) + _x_ticks(grid, x_shown, cell), "")])  # from the first cell's start
    lines.append([(" " * (margin + 3) + f"→ {grid.x.label}", "")])
    return lines


def _spread_indices(count: int, room: int) -> list[int]:
    """All of 0..count-1 when they fit in `room`, else about `room` of them evenly spaced, the first and last kept."""
    if count <= room:
        return list(range(count))
    picks = max(room, 2)
    return sorted({round(k * (count - 1) / (picks - 1)) for k in range(picks)})


def heat_map_text(grid: Grid, width: int = 80) -> str:
    """The heat map without colour: what a terminal without colour (or a file) shows."""
    return "\n".join("".join(text for text, _ in line).rstrip() for line in heat_map_lines(grid, width)) + "\n"


def print_heat_map(grid: Grid, color: bool = True) -> None:
    """The heat map on stdout, statuses coloured when `color`."""
    from rich.text import Text  # rich: only for a terminal table

    console = stdout_console(no_color=not color, highlight=False, soft_wrap=True)
    for line in heat_map_lines(grid, console.width):
        console.print(Text.assemble(*line))


def _title(grid: Grid) -> str:
    counts = grid.counts()
    across = f"over {grid.x.input} × {grid.y.input}"
    if grid.show is not None:
        return f"{grid.show} {across}"
    followed = f"{len(grid.budgets)} budget" + ("s" if len(grid.budgets) != 1 else "")
    points = len(grid.x.values) * len(grid.y.values)
    tally = ", ".join(f"{counts[s]:,} {s}" for s in ("ok", "warn", "fail"))
    return f"status of {followed} {across} ({points:,} points: {tally})"


def _cells(grid: Grid, rows: list[int], columns: list[int]) -> tuple[list[list[Piece]], list[Piece]]:
    """The shown points' glyphs and styles (row by row, lowest y first), and the legend that reads them."""
    if grid.show is None:
        legend: list[Piece] = []
        for status in ("ok", "warn", "fail"):
            legend += [(f"{STATUS_GLYPH[status]} {status}", STATUS_STYLE[status]), ("   ", "")]
        looks = [(STATUS_GLYPH[status], STATUS_STYLE[status]) for status in ("ok", "warn", "fail")]  # by status code
        cells = [[looks[int(grid.codes[j, i])] for i in columns] for j in rows]
        return cells, legend
    values = grid.values[grid.show]
    finite = values[_finite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    log = low > 0 and high / low >= 100
    edges = _shade_edges(low, high, log)
    unit = grid.units[grid.show].text
    legend = []
    for shade, (start, end) in zip(SHADES, itertools.pairwise(edges), strict=True):
        span = f"{format_number(start, 2)}–{format_number(end, 2)}"
        legend += [(f"{shade} {span}", ""), ("  ", "")]
    legend.append((f"{unit}{', log shades' if log else ''}", "dim"))
    return [[(_shade(float(values[j, i]), edges), "") for i in columns] for j in rows], legend


def _finite(values: Any) -> Any:
    import numpy as np  # numpy: a grid's values are arrays

    return np.isfinite(values)


def _shade_edges(low: float, high: float, log: bool) -> list[float]:
    """The edges of the shades' bands: equal steps from the lowest to the highest value (in logs when `log`)."""
    count = len(SHADES)
    if log:
        ratio = math.log(high / low)
        return [low * math.exp(ratio * k / count) for k in range(count + 1)]
    return [low + (high - low) * k / count for k in range(count + 1)]


def _shade(value: float, edges: list[float]) -> str:
    if math.isnan(value):
        return "?"
    if math.isinf(value):
        return SHADES[-1] if value > 0 else SHADES[0]
    band = sum(value >= edge for edge in edges[1:-1])  # the number of inner edges at or below the value
    return SHADES[band]


def _row_labels(grid: Grid, rows: list[int]) -> dict[int, str]:
    """The shown rows' y values, or '' on rows left unlabelled when there are many (the top and bottom always show)."""
    every = max(1, math.ceil(len(rows) / LABELLED_ROWS))
    return {j: grid.y.tick(j, grid.sig_figs) if (k % every == 0 or k == len(rows) - 1) else "" for k, j in enumerate(rows)}


def _x_ticks(grid: Grid, columns: list[int], cell: int) -> str:
    """Values under their columns: the first, the last, then the middles of the gaps, as many as fit."""
    shown = len(columns)
    labels = [grid.x.tick(i, grid.sig_figs) for i in columns]
    line = [" "] * (cell * shown + 16)
    placed: list[tuple[int, int]] = []
    order = [0, shown - 1]
    step = shown - 1
    while step > 1:
        step //= 2
        order += list(range(step, shown - 1, step))
    for k in dict.fromkeys(order):
        start = min(max(k * cell + cell - 1 - len(labels[k]) // 2, 0), len(line) - len(labels[k]))
        end = start + len(labels[k])
        if all(end + 1 < a or start > b + 1 for a, b in placed):
            line[start:end] = labels[k]
            placed.append((start, end))
    return "".join(line).rstrip()
