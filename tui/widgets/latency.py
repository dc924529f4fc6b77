"""Latency paths as a horizontal waterfall: each stage a bar from where it starts, against the budget line.

Sequential stages start where the previous one ended; the branches of a
parallel group all start together and only the slowest counts (the others are
dimmed); a bar past the budget line is drawn in the fail colour.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ListItem, ListView

import calculator

from ..format import STATUS_MARK, number, percent
from .palette import status_style

LABEL_WIDTH = (10, 24)


@dataclass(frozen=True)
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
    rows = [Step(path.path, path.path, 0, 0.0, path.total, "path", True),
            Step(f"{path.path}/", "total", 1, 0.0, path.total, "total", True)]
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


class StepRow(Widget):
    """One line of the waterfall."""

    def __init__(self, step: Step, label_width: int):
        super().__init__(classes="step-row")
        self.step = step
        self.label_width = label_width
        self.tail_width = 8
        self.path: calculator.PathResult | None = None

    @property
    def fitted_label_width(self) -> int:
        """The label column, narrowed so that a bar of 8 cells still fits."""
        return max(6, min(self.label_width, (self.size.width or 80) - self.tail_width - 11))

    def show(self, step: Step, path: calculator.PathResult, tail_width: int) -> None:
        if (step, path, tail_width) == (self.step, self.path, self.tail_width):
            return
        self.step, self.path, self.tail_width = step, path, tail_width
        self.refresh()

    def render(self) -> Text:
        path, step = self.path, self.step
        if path is None:
            return Text("")
        unit = path.unit.text
        if step.kind == "path":
            status = status_style(self, path.status, bold=True)
            text = Text.assemble((f"{STATUS_MARK[path.status]} {step.label}", status),
                                 f"  {number(path.total)} / {number(path.budget)} {unit}  ",
                                 (percent(path.utilization), status))
            if path.p_violation is not None:
                text.append(f"  P(break) {percent(path.p_violation)}")
            return text
        label = "  " * (step.depth - 1) + step.label
        label = label if len(label) <= self.label_width else label[: self.label_width - 1] + "…"
        label = label[: self.fitted_label_width]
        dim = "" if step.counts else "dim"
        value = f" {number(step.duration)} {unit}".rjust(self.tail_width)
        head = Text("  " + label.ljust(self.fitted_label_width), style="bold" if step.kind == "total" else dim)
        return head + self._bar(path, step) + Text(value, style="bold" if step.kind == "total" else dim)

    def _bar(self, path: calculator.PathResult, step: Step) -> Text:
        """The bar area (the same width on every row): the stage from its start to its end, and the budget line."""
        width = max((self.size.width or 80) - self.fitted_label_width - 2 - self.tail_width - 1, 8)
        scale = max(path.budget, path.total) * 1.04 or 1.0
        budget_at = min(round(path.budget / scale * width), width - 1)
        begin = round(step.start / scale * width)
        end = max(begin + (1 if step.duration > 0 else 0), round((step.start + step.duration) / scale * width))
        fill_style = status_style(self, "ok") if step.counts else "dim"
        over_style = status_style(self, "fail", bold=True)
        glyph = "▒" if step.kind in ("parallel", "sequence") else "█"
        if step.kind == "total":
            fill_style = status_style(self, path.status)
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


class LatencyPanel(ListView):
    """Every latency path of the scenario as a waterfall against its budget."""

    @dataclass
    class Focused(Message):
        """The cursor is on a path or a stage (`open`: the user asked for its details)."""

        key: str
        open: bool = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keys: list[str] = []

    async def load(self, result: calculator.Result | None) -> None:
        rows = [(path, step) for path in (result.latency if result else []) for step in steps(path)]
        keys = [step.key for _, step in rows]
        if keys != self.keys:
            await self.clear()
            self.keys = keys
            labels = [len(s.label) + 2 * (s.depth - 1) for _, s in rows if s.kind != "path"]
            width = min(max([*labels, LABEL_WIDTH[0]]), LABEL_WIDTH[1])
            await self.extend(ListItem(StepRow(step, width)) for _, step in rows)
            self.index = 0 if rows else None
        self.update_values(result)

    def update_values(self, result: calculator.Result | None) -> None:
        if result is None:
            return
        rows = [(path, step) for path in result.latency for step in steps(path)]
        tail = max([len(f" {number(s.duration)} {p.unit.text}") for p, s in rows if s.kind != "path"] + [6])
        for widget, (path, step) in zip(self.query(StepRow), rows, strict=False):
            widget.show(step, path, tail)

    @property
    def current(self) -> str | None:
        return self.keys[self.index] if self.index is not None and 0 <= self.index < len(self.keys) else None

    @on(ListView.Highlighted)
    def row_highlighted(self, event: ListView.Highlighted) -> None:
        """Moving the cursor shows that stage's details."""
        event.stop()
        if self.current is not None:
            self.post_message(self.Focused(self.current))

    @on(ListView.Selected)
    def row_selected(self, event: ListView.Selected) -> None:
        """Enter or a click on a stage: open its details."""
        event.stop()
        if self.current is not None:
            self.post_message(self.Focused(self.current, open=True))
