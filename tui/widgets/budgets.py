"""Budgets as utilization bars: green ok, yellow warn, red fail, with the percentage and P(break)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ListItem, ListView

import calculator

from ..format import STATUS_MARK, bar, percent, quantity
from .palette import status_style

OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}
NAME_WIDTH = (8, 22)
MIN_BAR, MAX_BAR = 6, 40


class BudgetRow(Widget):
    """One budget on one line: `✗ ranking_gpus ████████░░ 112%  72 gpu ≤ 64 gpu  P 12%  was 8%`."""

    def __init__(self, index: int, name_width: int):
        super().__init__(classes="budget-row")
        self.index = index
        self.name_width = name_width
        self.budget: calculator.BudgetResult | None = None
        self.before: calculator.BudgetResult | None = None

    def show(self, budget: calculator.BudgetResult, before: calculator.BudgetResult | None) -> None:
        if (budget, before) == (self.budget, self.before):
            return
        self.budget, self.before = budget, before
        self.set_class(budget.status == "fail", "-fail")
        self.refresh()

    def render(self) -> Text:
        budget = self.budget
        if budget is None:
            return Text("")
        style = status_style(self, budget.status, bold=True)
        name = budget.name if len(budget.name) <= self.name_width else budget.name[: self.name_width - 1] + "…"
        details = [f"{quantity(budget.value, budget.unit.text)} {OP_TEXT[budget.op]} {quantity(budget.limit, budget.unit.text)}"]
        if budget.p_violation is not None:
            details.append(f"P(break) {percent(budget.p_violation)}")
        if self.before is not None and abs(self.before.utilization - budget.utilization) > 1e-12:
            details.append(f"was {percent(self.before.utilization)}")
        fixed = 2 + self.name_width + 1 + 1 + 5
        width = self.size.width or 80
        # The same bar width on every row (it depends on the width only), so the bars line up.
        bar_width = max(MIN_BAR, min(MAX_BAR, (width - fixed) // 3))
        room = width - fixed - bar_width - 2
        while details and len("  ".join(details)) > room:
            details.pop()
        text = Text.assemble((STATUS_MARK[budget.status] + " ", style), (name.ljust(self.name_width) + " ", ""))
        text.append_text(bar(budget.utilization, bar_width, style=status_style(self, budget.status), empty_style="dim"))
        text.append(f" {percent(budget.utilization):>5}", style=style)
        if details:
            text.append("  " + "  ".join(details), style="dim" if budget.status == "ok" else "")
        return text


class BudgetsPanel(ListView):
    """Every budget of the scenario; Enter shows why a budget stands where it does (the details panel)."""

    @dataclass
    class Focused(Message):
        """The cursor is on a budget (`open`: the user asked for its details)."""

        index: int
        open: bool = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.count = -1
        self.names: list[str] = []

    async def load(self, result: calculator.Result | None, baseline: calculator.Result | None) -> None:
        budgets = result.budgets if result else []
        names = [b.name for b in budgets]
        if names != self.names:
            await self.clear()
            self.names = names
            width = min(max([len(n) for n in names] + [NAME_WIDTH[0]]), NAME_WIDTH[1])
            await self.extend(ListItem(BudgetRow(i, width)) for i in range(len(budgets)))
            self.index = 0 if budgets else None
        self.update_values(result, baseline)

    def update_values(self, result: calculator.Result | None, baseline: calculator.Result | None) -> None:
        if result is None:
            return
        before = baseline.budgets if baseline and len(baseline.budgets) == len(result.budgets) else None
        for row in self.query(BudgetRow):
            row.show(result.budgets[row.index], before[row.index] if before else None)

    @property
    def current(self) -> int | None:
        return self.index if self.index is not None and 0 <= self.index < len(self.names) else None

    @on(ListView.Highlighted)
    def row_highlighted(self, event: ListView.Highlighted) -> None:
        """Moving the cursor shows that budget's details."""
        event.stop()
        if self.current is not None:
            self.post_message(self.Focused(self.current))

    @on(ListView.Selected)
    def row_selected(self, event: ListView.Selected) -> None:
        """Enter or a click on a budget: open its details."""
        event.stop()
        if self.current is not None:
            self.post_message(self.Focused(self.current, open=True))
