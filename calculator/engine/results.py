"""The engine's answer: values in display units, budgets and latency paths with a status.

Plain data with its plain renderings (JSON data and Markdown tables); the
terminal's tables are drawn in calculator.outputs.terminal.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any, Literal

from calculator.common.errors import Location
from calculator.common.numbers import counted, format_number
from calculator.common.records import record
from calculator.common.text import markdown_cell
from calculator.units.system import Unit

Status = Literal["ok", "warn", "fail"]
STATUS_ORDER: dict[str, int] = {"ok": 0, "warn": 1, "fail": 2}
# How a status is marked: a glyph beside the word in terminals, an emoji in pull-request comments.
STATUS_GLYPH: dict[str, str] = {"ok": "✓", "warn": "▲", "fail": "✗"}
STATUS_EMOJI: dict[str, str] = {"ok": "✅", "warn": "⚠️", "fail": "❌"}


@record(frozen=False)
class ValueResult:
    name: str
    kind: str
    value: float  # in `unit`
    unit: Unit
    display: str
    formula: str | None
    note: str | None
    base: float  # in base units
    p05: float | None = None
    p50: float | None = None
    p95: float | None = None
    reason: str | None = None  # why the value is not finite: an unstable queue, with its utilization

    def __repr__(self) -> str:
        return f"<ValueResult {self.name} = {self.range_display()} ({self.kind})>"

    def range_display(self, sig_figs: int = 3) -> str:
        """`17.4k (9.0k – 33k) request/s` when uncertain, else the plain display."""
        if self.p05 is None or self.p95 is None or math.isclose(self.p05, self.p95, rel_tol=1e-9, abs_tol=0.0):
            return self.display  # nothing uncertain reaches this value
        if self.unit.text == "%":  # each number a share: 38.7% (30% – 50%)
            value, low, high = (
                format_quantity(x, self.unit, s) for x, s in ((self.value, sig_figs), (self.p05, 2), (self.p95, 2))
            )
            return f"{value} ({low} – {high})"
        spread = f"{format_number(self.value, sig_figs)} ({format_number(self.p05, 2)} – {format_number(self.p95, 2)})"
        return with_unit(spread, self.unit)


@record(frozen=False)
class BudgetResult:
    name: str
    op: str
    value: float
    limit: float
    unit: Unit
    utilization: float
    status: Status
    warn: float
    p_violation: float | None = None
    note: str | None = None
    location: Location | None = None
    limit_unit: Unit | None = None  # the unit the limit was written in, when it is a plain quantity (`1 TB`)
    reason: str | None = None  # why the value is infinite (an unstable queue): the budget fails for it
    percentile: float | None = None
    "a percentile budget's quantile (0.95 for p95): the status and utilization are of `judged`, not `value`"
    judged: float | None = None
    "that percentile of the value, in `unit` (the point value when no input is uncertain)"

    def __repr__(self) -> str:
        return (
            f"<BudgetResult {self.name} {format_quantity(self.value, self.unit)} {limit_text(self, 3)}:"
            f" {self.utilization:.0%} {self.status}>"
        )


@record(frozen=False)
class StageResult:
    name: str
    value: float  # in the path's unit
    parallel: list[StageResult] | None = None
    sequence: list[StageResult] | None = None


@record(frozen=False)
class PathResult:
    path: str
    budget: float
    total: float
    unit: Unit
    utilization: float
    status: Status
    stages: list[StageResult] = field(default_factory=list)
    p_violation: float | None = None
    location: Location | None = None
    reason: str | None = None  # why the total is infinite (an unstable queue in a stage)
    percentile: float | None = None
    "a percentile budget's quantile (0.99 for p99): the status and utilization are of `judged`, not `total`"
    judged: float | None = None
    "that percentile of the total, in `unit` (the point total when no input is uncertain)"

    def __repr__(self) -> str:
        return (
            f"<PathResult {self.path}: {format_quantity(self.total, self.unit)} of"
            f" {format_quantity(self.budget, self.unit)}, {self.utilization:.0%} {self.status}>"
        )


@record(frozen=False)
class Result:
    scenario: str
    file: str
    status: Status
    values: dict[str, ValueResult]
    budgets: list[BudgetResult]
    latency: list[PathResult]
    sig_figs: int = 3
    catalog_overrides: list[str] = field(default_factory=list)
    "bound catalog entries whose figures the scenario's own catalog files changed"
    hardware: dict[str, str] = field(default_factory=dict)
    "each `hardware:` binding's catalog entry in this run (`gpu` -> `H200` after `--set gpu=H200`)"

    def __repr__(self) -> str:
        return (
            f"<Result {self.scenario!r}: {self.status}, {counted(len(self.values), 'value')},"
            f" {counted(len(self.budgets), 'budget')}, {counted(len(self.latency), 'latency path')}>"
        )

    def budget(self, name: str) -> BudgetResult:
        """The budget on the value `name` (a file has at most one per value)."""
        for budget in self.budgets:
            if budget.name == name:
                return budget
        raise KeyError(f"no budget on '{name}'; budgets: {', '.join(b.name for b in self.budgets) or 'none'}")

    def worst_status_of(self, name: str) -> Status | None:
        """The worst status of the budgets on the value `name`, None when no budget limits it."""
        statuses: list[Status] = [b.status for b in self.budgets if b.name == name]
        if not statuses:
            return None
        return max(statuses, key=STATUS_ORDER.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON data (the keys of `envelope eval --format json`)."""
        return (
            {
                "scenario": self.scenario,
                "file": self.file,
                "status": self.status,
                "values": {name: _value_dict(v) for name, v in self.values.items()},
                "budgets": [_budget_dict(b) for b in self.budgets],
                "latency": [_path_dict(p) for p in self.latency],
            }
            | ({"catalog_overrides": self.catalog_overrides} if self.catalog_overrides else {})
            | ({"hardware": self.hardware} if self.hardware else {})
        )

    def to_markdown(self) -> str:
        """The result as Markdown tables (what `envelope render` writes under a notes block)."""
        return result_to_markdown(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=STATUS_ORDER.__getitem__, default="ok")


def format_quantity(value: float, unit: Unit, sig_figs: int = 3) -> str:
    """A number in `unit` as every output writes it: `17.4k request/s`, `40%`, `64 gpu`."""
    return with_unit(format_number(value, sig_figs), unit)


def with_unit(number: str, unit: Unit) -> str:
    """`17.4k request/s`, `92.2%`, or the bare number when dimensionless."""
    if unit.text in ("", "%"):
        return number + unit.text
    return f"{number} {unit.text}"


def _rounded(x: float) -> float | None:
    """JSON numbers to 6 significant figures: exact enough, readable in a diff; null when not finite
    (JSON has no infinity: the entry's `reason` says why)."""
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _with_reason(data: dict[str, Any], reason: str | None) -> dict[str, Any]:
    return data | {"reason": reason} if reason else data


def _value_dict(v: ValueResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "value": _rounded(v.value),
        "unit": v.unit.long_text(),
        "display": v.display,
        "kind": v.kind,
        "formula": v.formula,
    }
    if v.p05 is not None:
        data.update(p05=_rounded(v.p05), p50=_rounded(v.p50 or 0.0), p95=_rounded(v.p95 or 0.0))
    return _with_reason(data, v.reason)


def _budget_dict(b: BudgetResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": b.name,
        "op": b.op,
        "value": _rounded(b.value),
        "limit": _rounded(b.limit),
        "unit": b.unit.long_text(),
        "utilization": _rounded(b.utilization),
        "status": b.status,
    }
    if b.p_violation is not None:
        data["p_violation"] = _rounded(b.p_violation)
    return _with_reason(data | _percentile_dict(b.percentile, b.judged), b.reason)


def _percentile_dict(percentile: float | None, judged: float | None) -> dict[str, Any]:
    """`"percentile": 95, "judged": 3.9` for a percentile budget (the percentile as a number of percent)."""
    if percentile is None or judged is None:
        return {}
    return {"percentile": _rounded(percentile * 100), "judged": _rounded(judged)}


def _stage_dict(s: StageResult) -> dict[str, Any]:
    data: dict[str, Any] = {"name": s.name, "value": _rounded(s.value)}
    if s.parallel is not None:
        data["parallel"] = [_stage_dict(c) for c in s.parallel]
    if s.sequence is not None:
        data["sequence"] = [_stage_dict(c) for c in s.sequence]
    return data


def _path_dict(p: PathResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": p.path,
        "budget": _rounded(p.budget),
        "total": _rounded(p.total),
        "unit": p.unit.long_text(),
        "utilization": _rounded(p.utilization),
        "status": p.status,
        "stages": [_stage_dict(s) for s in p.stages],
    }
    if p.p_violation is not None:
        data["p_violation"] = _rounded(p.p_violation)
    return _with_reason(data | _percentile_dict(p.percentile, p.judged), p.reason)


def limit_text(b: BudgetResult, sig_figs: int) -> str:
    """`<= 1 TB` in the unit the limit was written in, else in the value's unit."""
    unit = b.limit_unit or b.unit
    return f"{b.op} {with_unit(format_number(b.limit * b.unit.factor / unit.factor, sig_figs), unit)}"


def result_to_markdown(result: Result) -> str:
    sf = result.sig_figs
    lines = [f"### {result.scenario} — {result.status}", "", "| name | value | formula |", "|---|---:|---|"]
    for v in result.values.values():
        formula = f"`{markdown_cell(v.formula)}`" if v.formula else "input"
        lines.append(f"| {v.name} | {markdown_cell(v.range_display(sf))} | {formula} |")
    if result.budgets:
        lines += ["", "| budget | value | limit | used | status |", "|---|---:|---:|---:|---|"]
        for b in result.budgets:
            value = with_unit(format_number(b.value, sf), b.unit) + judged_text(b.percentile, b.judged, b.unit, sf)
            value += f" ({b.reason})" if b.reason else ""
            used = f"{b.utilization:.0%}{risk_text(b.p_violation)}"
            lines.append(f"| {b.name} | {value} | {markdown_cell(limit_text(b, sf))} | {used} | {b.status} |")
    for p in result.latency:
        lines += [
            "",
            f"Latency **{p.path}**: {format_number(p.total, sf)} of {format_number(p.budget, sf)} {p.unit.text}"
            f"{judged_text(p.percentile, p.judged, p.unit, sf, ',')}"
            f" ({p.utilization:.0%}{risk_text(p.p_violation)}) — {p.status}" + (f" ({p.reason})" if p.reason else ""),
            "",
            "| stage | time |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {format_number(value, sf)} {p.unit.text} |" for name, value in flat_stages(p.stages)]
    return "\n".join(lines) + "\n"


def percentile_label(percentile: float) -> str:
    """`p95`, `p99.9`: a quantile as people name it."""
    return f"p{percentile * 100:.6g}"


def judged_text(percentile: float | None, judged: float | None, unit: Unit, sig_figs: int, opening: str = " (") -> str:
    """` (p95 3.9 s)` after a median, for a percentile budget (`, p99 180 ms` with `opening=","`)."""
    if percentile is None or judged is None:
        return ""
    shown = "not a number" if math.isnan(judged) else format_quantity(judged, unit, sig_figs)  # inf − inf in samples
    text = f"{percentile_label(percentile)} {shown}"
    return f"{opening} {text}" if opening == "," else f"{opening}{text})"


def risk_text(p_violation: float | None) -> str:
    """`, P(break) 2.7%` after a utilization, when uncertain."""
    return "" if p_violation is None else f", P(break) {p_violation:.1%}"


def flat_stages(stages: list[StageResult], prefix: str = "") -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    for s in stages:
        children = s.parallel if s.parallel is not None else s.sequence
        label = f"{prefix}{s.name}" + (" (parallel: slowest)" if s.parallel is not None else "")
        rows.append((label, s.value))
        if children:
            rows += flat_stages(children, prefix + s.name + " › ")
    return rows
