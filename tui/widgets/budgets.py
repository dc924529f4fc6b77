"""Budgets as utilization bars: green ok, yellow warn, red fail, with the percentage, a percentile budget's judged
percentile and P(break)."""

from __future__ import annotations

from rich.text import Text

import calculator
from calculator import record

from ..format import STATUS_MARK, bar, percent, percentile_name, quantity
from .palette import status_styles
from .rows import Row, RowList

OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}
NAME_WIDTH = (8, 22)
MIN_BAR, MAX_BAR = 6, 40


@record
class BudgetLine(Row):
    """One budget on one line: `✗ ranking_gpus ████████░░ 112%  72 gpu ≤ 64 gpu  P(break) 12%  was 8%`."""

    budget: calculator.BudgetResult
    before: calculator.BudgetResult | None
    name_width: int
    styles: tuple[tuple[str, str], ...]  # status -> rich style, from the theme

    @property
    def key(self) -> str:
        return self.budget.name

    def draw(self, width: int) -> Text:
        budget, styles = self.budget, dict(self.styles)
        style = f"bold {styles[budget.status]}"
        name = budget.name if len(budget.name) <= self.name_width else budget.name[: self.name_width - 1] + "…"
        details = [f"{quantity(budget.value, budget.unit.text)} {OP_TEXT[budget.op]} {quantity(budget.limit, budget.unit.text)}"]
        if budget.percentile is not None and budget.judged is not None:  # what the status is of
            details.append(f"{percentile_name(budget.percentile)} {quantity(budget.judged, budget.unit.text)}")
        if budget.p_violation is not None:
            details.append(f"P(break) {percent(budget.p_violation)}")
        if self.before is not None and abs(self.before.utilization - budget.utilization) > 1e-12:
            details.append(f"was {percent(self.before.utilization)}")
        fixed = 2 + self.name_width + 1 + 1 + 5
        # The same bar width on every row (it depends on the width only), so the bars line up.
        bar_width = max(MIN_BAR, min(MAX_BAR, (width - fixed) // 3))
        room = width - fixed - bar_width - 2
        while details and len("  ".join(details)) > room:
            details.pop()
        text = Text.assemble((STATUS_MARK[budget.status] + " ", style), (name.ljust(self.name_width) + " ", ""))
        text.append_text(bar(budget.utilization, bar_width, style=styles[budget.status], empty_style="dim"))
        text.append(f" {percent(budget.utilization):>5}", style=style)
        if details:
            text.append("  " + "  ".join(details), style="dim" if budget.status == "ok" else "")
        return text


class BudgetsPanel(RowList):
    """Every budget of the scenario; Enter shows why a budget stands where it does (the details panel)."""

    kind = "budget"

    def update_values(self, result: calculator.Result | None, baseline: calculator.Result | None) -> None:
        budgets = result.budgets if result else []
        before = baseline.budgets if baseline and len(baseline.budgets) == len(budgets) else None
        width = min(max([len(b.name) for b in budgets] + [NAME_WIDTH[0]]), NAME_WIDTH[1])
        styles = tuple(status_styles(self).items())
        self.show_rows([BudgetLine(b, before[i] if before else None, width, styles) for i, b in enumerate(budgets)])
