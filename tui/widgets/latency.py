"""Latency paths as a horizontal waterfall: each stage a bar from where it starts, against the budget line.

Sequential stages start where the previous one ended; the branches of a
parallel group all start together and only the slowest counts (the others are
dimmed); a bar past the budget line is drawn in the fail colour.
"""

from __future__ import annotations

import itertools

from rich.text import Text

import calculator
from calculator import record

from ..format import STATUS_MARK, number, percent, percentile_name
from .palette import status_styles
from .rows import Row, RowList

LABEL_WIDTH = (10, 24)


@record
class Step:
    """One row of the waterfall: a path's total, or a stage (a group's row spans its branches)."""

    key: str  # "path" or "path/stage/branch…"
    label: str
    depth: int
    start: float
    duration: float
    kind: str  # path, stage, parallel, sequence
    counts: bool  # False for a parallel branch that is not the slowest


def steps(path: calculator.PathResult) -> list[Step]:
    """The rows of one path, in order, with start times."""
    rows = [
        Step(path.path, path.path, 0, 0.0, path.total, "path", True),
        Step(f"{path.path}/", "total", 1, 0.0, path.total, "total", True),
    ]
    start = 0.0
    for stage in path.stages:
        rows += _stage_steps(stage, f"{path.path}/{stage.name}", start, 1, True)
        start += stage.value
    return rows


def _stage_steps(stage: object, key: str, start: float, depth: int, counts: bool) -> list[Step]:
    parallel = getattr(stage, "parallel", None)
    sequence = getattr(stage, "sequence", None)
    name, value = getattr(stage, "name", "?"), float(getattr(stage, "value", 0.0))
    if parallel:
        rows = [Step(key, f"{name} ∥", depth, start, value, "parallel", counts)]
        slowest = max(parallel, key=lambda child: child.value)
        for child in parallel:
            rows += _stage_steps(child, f"{key}/{child.name}", start, depth + 1, counts and child is slowest)
        return rows
    if sequence:
        rows = [Step(key, f"{name} →", depth, start, value, "sequence", counts)]
        at = start
        for child in sequence:
            rows += _stage_steps(child, f"{key}/{child.name}", at, depth + 1, counts)
            at += child.value
        return rows
    return [Step(key, name, depth, start, value, "stage", counts)]


@record
class StepLine(Row):
    """One line of the waterfall."""

    step: Step
    path: calculator.PathResult
    label_width: int
    tail_width: int
    styles: tuple[tuple[str, str], ...]  # status -> rich style, from the theme

    @property
    def key(self) -> str:
        return self.step.key

    def draw(self, width: int) -> Text:
        path, step, styles = self.path, self.step, dict(self.styles)
        unit = path.unit.text
        if step.kind == "path":
            status = f"bold {styles[path.status]}"
            text = Text.assemble(
                (f"{STATUS_MARK[path.status]} {step.label}", status),
                f"  {number(path.total)} / {number(path.budget)} {unit}  ",
                (percent(path.utilization), status),
            )
            if path.percentile is not None and path.judged is not None:  # what the status is of
                text.append(f"  {percentile_name(path.percentile)} {number(path.judged)} {unit}")
            if path.p_violation is not None:
                text.append(f"  P(break) {percent(path.p_violation)}")
            return text
        # The label column, narrowed so that a bar of 8 cells still fits.
        label_width = max(6, min(self.label_width, width - self.tail_width - 11))
        label = "  " * (step.depth - 1) + step.label
        label = label if len(label) <= self.label_width else label[: self.label_width - 1] + "…"
        label = label[:label_width]
        dim = "" if step.counts else "dim"
        value = f" {number(step.duration)} {unit}".rjust(self.tail_width)
        head = Text("  " + label.ljust(label_width), style="bold" if step.kind == "total" else dim)
        bar_width = max(width - label_width - 2 - self.tail_width - 1, 8)
        return head + self._bar(bar_width, styles) + Text(value, style="bold" if step.kind == "total" else dim)

    def _bar(self, width: int, styles: dict[str, str]) -> Text:
        """The bar area (the same width on every row): the stage from its start to its end, and the budget line."""
        path, step = self.path, self.step
        scale = max(path.budget, path.total) * 1.04 or 1.0
        budget_at = min(round(path.budget / scale * width), width - 1)
        begin = round(step.start / scale * width)
        end = max(begin + (1 if step.duration > 0 else 0), round((step.start + step.duration) / scale * width))
        fill_style = styles["ok"] if step.counts else "dim"
        over_style = f"bold {styles['fail']}"
        glyph = "▒" if step.kind in ("parallel", "sequence") else "█"
        if step.kind == "total":
            fill_style = styles[path.status]
        cells: list[tuple[str, str]] = []
        for column in range(width):
            if begin <= column < end:
                over = column >= budget_at and step.counts
                cells.append((glyph, over_style if over else fill_style))
            elif column == budget_at:
                cells.append(("│", over_style if path.total > path.budget else "dim"))
            else:
                cells.append(("·" if step.kind == "total" else " ", "dim"))
        text = Text(" ")
        for style, run in itertools.groupby(cells, key=lambda cell: cell[1]):  # one span a run, not a cell
            text.append("".join(glyph for glyph, _ in run), style=style)
        return text


class LatencyPanel(RowList):
    """Every latency path of the scenario as a waterfall against its budget."""

    kind = "latency"

    def update_values(self, result: calculator.Result | None) -> None:
        rows = [(path, step) for path in (result.latency if result else []) for step in steps(path)]
        labels = [len(s.label) + 2 * (s.depth - 1) for _, s in rows if s.kind != "path"]
        label_width = min(max([*labels, LABEL_WIDTH[0]]), LABEL_WIDTH[1])
        tail = max([len(f" {number(s.duration)} {p.unit.text}") for p, s in rows if s.kind != "path"] + [6])
        styles = tuple(status_styles(self).items())
        self.show_rows([StepLine(step, path, label_width, tail, styles) for path, step in rows])
