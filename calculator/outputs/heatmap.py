"""A 2-D sweep as a terminal heat map: each point's status as a glyph (✓ ▲ ✗, readable without colour), or one
value as shades (· ░ ▒ ▓ █), with both axes labelled in their units.

The map is built as lines of (text, style) pieces, so that the same drawing prints in colour through rich
or as plain text (`heat_map_text`).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from calculator.common.numbers import format_number
from calculator.engine.results import STATUS_GLYPH

if TYPE_CHECKING:
    from calculator.analysis.sweep import Grid

Piece = tuple[str, str]  # text, rich style ("" for none)
SHADES = "·░▒▓█"
STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
LABELLED_ROWS = 12  # at most this many rows carry their value; the others only the axis


def heat_map_lines(grid: Grid, width: int = 80) -> list[list[Piece]]:
    """The heat map: a title and legend, the rows (highest y on top) with y ticks, the x axis and its ticks."""
    columns, rows = len(grid.x.values), len(grid.y.values)
    y_ticks = _row_labels(grid)
    margin = max(len(label) for label in y_ticks)
    cell = 2 if margin + 3 + 2 * columns <= width else 1
    cells, legend = _cells(grid)
    lines: list[list[Piece]] = [[(_title(grid), "bold")], legend, [(f"{' ' * margin}   ↑ {grid.y.label}", "")]]
    for j in reversed(range(rows)):
        line: list[Piece] = [(f"{y_ticks[j]:>{margin}} │", "")]
        for text, style in cells[j]:
            line += [(" " * (cell - 1), ""), (text, style)]  # a glyph a cell, spaced when there is room
        lines.append(line)
    lines.append([(" " * margin + " └" + "─" * (cell * columns + 1), "")])
    lines.append([(" " * (margin + 3) + _x_ticks(grid, cell), "")])
    lines.append([(" " * (margin + 3) + f"→ {grid.x.label}", "")])
    return lines


def heat_map_text(grid: Grid, width: int = 80) -> str:
    """The heat map without colour: what a terminal without colour (or a file) shows."""
    return "\n".join("".join(text for text, _ in line).rstrip() for line in heat_map_lines(grid, width)) + "\n"


def print_heat_map(grid: Grid, color: bool = True) -> None:
    """The heat map on stdout, statuses coloured when `color`."""
    from rich.console import Console  # rich: only for a terminal table
    from rich.text import Text  # rich: only for a terminal table

    console = Console(no_color=not color, highlight=False, soft_wrap=True)
    for line in heat_map_lines(grid, console.width):
        console.print(Text.assemble(*line))


def _title(grid: Grid) -> str:
    counts = grid.counts()
    across = f"over {grid.x.input} × {grid.y.input}"
    if grid.show is not None:
        return f"{grid.show} {across}"
    followed = f"{len(grid.budgets)} budget" + ("s" if len(grid.budgets) != 1 else "")
    points = len(grid.x.values) * len(grid.y.values)
    tally = ", ".join(f"{counts[s]} {s}" for s in ("ok", "warn", "fail"))
    return f"status of {followed} {across} ({points:,} points: {tally})"


def _cells(grid: Grid) -> tuple[list[list[Piece]], list[Piece]]:
    """Each point's glyph and style, and the legend that reads them."""
    if grid.show is None:
        legend: list[Piece] = []
        for status in ("ok", "warn", "fail"):
            legend += [(f"{STATUS_GLYPH[status]} {status}", STATUS_STYLE[status]), ("   ", "")]
        cells = [[(STATUS_GLYPH[s], STATUS_STYLE[s]) for s in row] for row in grid.status]
        return cells, legend
    values = grid.values[grid.show]
    finite = [v for row in values for v in row if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    log = low > 0 and high / low >= 100
    edges = _shade_edges(low, high, log)
    unit = grid.units[grid.show].text
    legend = []
    for shade, (start, end) in zip(SHADES, itertools.pairwise(edges), strict=True):
        span = f"{format_number(start, 2)}–{format_number(end, 2)}"
        legend += [(f"{shade} {span}", ""), ("  ", "")]
    legend.append((f"{unit}{', log shades' if log else ''}", "dim"))
    return [[(_shade(v, edges), "") for v in row] for row in values], legend


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


def _row_labels(grid: Grid) -> list[str]:
    """Each row's y value, or '' on rows left unlabelled when there are many (the top and bottom always show)."""
    rows = len(grid.y.values)
    every = max(1, math.ceil(rows / LABELLED_ROWS))
    return [format_number(y, grid.sig_figs) if (j % every == 0 or j == rows - 1) else "" for j, y in enumerate(grid.y.values)]


def _x_ticks(grid: Grid, cell: int) -> str:
    """Values under their columns: the first, the last, then the middles of the gaps, as many as fit."""
    columns = len(grid.x.values)
    labels = [format_number(x, grid.sig_figs) for x in grid.x.values]
    line = [" "] * (cell * columns + 16)
    placed: list[tuple[int, int]] = []
    order = [0, columns - 1]
    step = columns - 1
    while step > 1:
        step //= 2
        order += list(range(step, columns - 1, step))
    for i in dict.fromkeys(order):
        start = min(max(i * cell - len(labels[i]) // 2, 0), len(line) - len(labels[i]))
        end = start + len(labels[i])
        if all(end + 1 < a or start > b + 1 for a, b in placed):
            line[start:end] = labels[i]
            placed.append((start, end))
    return "".join(line).rstrip()
