"""`envelope diff`: what a change to a scenario does to its values and budgets.

The Markdown is written to be pasted as a pull-request comment; the exit code
fails (1) when a budget or latency path that held (ok or warn) now fails.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import field
from pathlib import Path

from calculator.common.errors import EnvelopeError, FileError, Location, UsageError
from calculator.common.files import MissingFile
from calculator.common.numbers import counted, format_number
from calculator.common.records import record
from calculator.common.text import markdown_cell
from calculator.engine.model import Model
from calculator.engine.results import STATUS_EMOJI, Result, Status, ValueResult, limit_text, with_unit

STATUS_MARK = {**{status: f"{emoji} {status}" for status, emoji in STATUS_EMOJI.items()}, "—": "—"}


@record(frozen=False)
class Change:
    name: str
    old: str
    new: str
    delta: str = ""
    relative: str = ""


@record(frozen=False)
class Diff:
    old_name: str
    new_name: str
    old_status: str
    new_status: str
    inputs: list[Change] = field(default_factory=list)
    values: list[Change] = field(default_factory=list)
    budgets: list[Change] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    hardware: list[Change] = field(default_factory=list)
    "`hardware:` bindings that changed: name, old entry, new entry"
    limits: list[str] = field(default_factory=list)
    "limits that changed: `monthly_cost: limit loosened 50k → 100k USD/month`"
    loosened: list[str] = field(default_factory=list)
    "the budgets among them whose limit now allows more: how a failing check is made to pass"

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    @property
    def changed(self) -> bool:
        return bool(self.inputs or self.values or self.budgets or self.hardware or self.limits)

    def to_markdown(self) -> str:
        lines = [f"### envelope: {self.new_name} — {STATUS_MARK[self.old_status]} → {STATUS_MARK[self.new_status]}", ""]
        if self.regressions:
            lines += ["**Now failing:** " + ", ".join(f"`{r}`" for r in self.regressions), ""]
        if self.loosened:
            lines += [
                "**⚠️ Limit loosened:** "
                + ", ".join(f"`{r}`" for r in self.loosened)
                + " — check that the change is meant, not a way to make CI pass",
                "",
            ]
        if not (self.inputs or self.values or self.budgets or self.hardware or self.limits):
            return "\n".join([*lines, "No change in inputs, values or budgets.", ""])
        if self.hardware:
            lines += ["| hardware | before | after |", "|---|---|---|"]
            lines += [f"| {c.name} | {markdown_cell(c.old)} | {markdown_cell(c.new)} |" for c in self.hardware] + [""]
        if self.limits:
            lines += [f"- {markdown_cell(change)}" for change in self.limits] + [""]
        if self.inputs:
            lines += ["| input | before | after |", "|---|---|---|"]
            lines += [f"| {c.name} | {markdown_cell(c.old)} | {markdown_cell(c.new)} |" for c in self.inputs] + [""]
        if self.values:
            lines += ["| value | before | after | change | % |", "|---|---:|---:|---:|---:|"]
            lines += [
                f"| {c.name} | {markdown_cell(c.old)} | {markdown_cell(c.new)} | {markdown_cell(c.delta)} | {c.relative} |"
                for c in self.values
            ]
            lines.append("")
        if self.budgets:
            lines += ["| budget | before | after |", "|---|---|---|"]
            lines += [f"| {c.name} | {c.old} | {c.new} |" for c in self.budgets] + [""]
        return "\n".join(lines)


@record
class ValueComparison:
    """One value on each side (None: not in that result), the new side's order first."""

    name: str
    old: ValueResult | None
    new: ValueResult | None

    @property
    def comparable(self) -> bool:
        """Both sides have it, in the same dimension."""
        return self.old is not None and self.new is not None and self.old.unit.dimension == self.new.unit.dimension

    @property
    def changed(self) -> bool:
        if self.old is None or self.new is None:
            return True
        return not self.comparable or not math.isclose(self.old.base, self.new.base, rel_tol=1e-9, abs_tol=0.0)

    @property
    def relative(self) -> float | None:
        """(new - old) / old in base units; None when not comparable or old is zero."""
        if not self.comparable or self.old is None or self.new is None or not self.old.base:
            return None
        return (self.new.base - self.old.base) / self.old.base


@record
class LimitComparison:
    """A budget (`name op`) or a latency path (`latency NAME`) on each side: (status, share of the limit used)."""

    name: str
    label: str  # with the limit: `gpus <= 64 gpu` (the new side's, else the old's)
    old: tuple[Status, float] | None
    new: tuple[Status, float] | None

    @property
    def regressed(self) -> bool:
        """It fails now and did not before (or was not there)."""
        return self.new is not None and self.new[0] == "fail" and (self.old is None or self.old[0] != "fail")


@record
class ChoiceComparison:
    """A `hardware:` binding on each side: the catalog entry it is bound to (None: not in that result)."""

    name: str
    old: str | None
    new: str | None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def __str__(self) -> str:
        return f"{self.name}: {self.old or '—'} → {self.new or '—'}"


@record
class Comparison:
    """Two results side by side: every value and every budget and latency path of either, and the
    hardware each was evaluated with."""

    values: tuple[ValueComparison, ...]
    limits: tuple[LimitComparison, ...]
    choices: tuple[ChoiceComparison, ...] = ()


def compare_results(old: Result, new: Result) -> Comparison:
    """Every value, budget and latency path of either result, paired by name (the new result's order first)."""
    values = tuple(
        ValueComparison(name, old.values.get(name), new.values.get(name)) for name in dict.fromkeys([*new.values, *old.values])
    )
    before, after = _limits(old), _limits(new)
    limits = tuple(
        LimitComparison(
            key,
            (after.get(key) or before[key])[0],
            before[key][1] if key in before else None,
            after[key][1] if key in after else None,
        )
        for key in dict.fromkeys([*after, *before])
    )
    choices = tuple(
        ChoiceComparison(name, old.hardware.get(name), new.hardware.get(name))
        for name in dict.fromkeys([*new.hardware, *old.hardware])
    )
    return Comparison(values, limits, choices)


def _limits(result: Result) -> dict[str, tuple[str, tuple[Status, float]]]:
    rows: dict[str, tuple[str, tuple[Status, float]]] = {
        f"{b.name} {b.op}": (f"{b.name} {limit_text(b, result.sig_figs)}", (b.status, b.utilization)) for b in result.budgets
    }
    rows.update({f"latency {p.path}": (f"latency {p.path}", (p.status, p.utilization)) for p in result.latency})
    return rows


def diff_models(old: Model, new: Model) -> Diff:
    old_result, new_result = old.evaluate().result, new.evaluate().result
    result = Diff(old.scenario.name, new.scenario.name, old_result.status, new_result.status)
    result.inputs = _input_changes(old, new)
    comparison = _old_order_first(compare_results(old_result, new_result), old_result)
    result.values = _value_changes(comparison, new_result.sig_figs)
    result.budgets, result.regressions = _budget_changes(comparison)
    result.hardware = [Change(c.name, c.old or "—", c.new or "—") for c in comparison.choices if c.changed]
    result.limits, result.loosened = _limit_changes(old_result, new_result)
    return result


def _limit_changes(old: Result, new: Result) -> tuple[list[str], list[str]]:
    """Budgets on both sides (same value, same comparison) whose limit moved: `NAME: limit loosened 50k → 100k
    USD/month` (or tightened), each in the unit its new limit is written in; and the loosened ones' names."""
    before = {(b.name, b.op): b for b in old.budgets}
    changes, loosened = [], []
    for budget in new.budgets:
        was = before.get((budget.name, budget.op))
        if was is None or was.unit.dimension != budget.unit.dimension:
            continue
        old_base, new_base = was.limit * was.unit.factor, budget.limit * budget.unit.factor
        if math.isclose(old_base, new_base, rel_tol=1e-9, abs_tol=0.0):
            continue
        allows_more = new_base > old_base if budget.op.startswith("<") else new_base < old_base
        unit = budget.limit_unit or budget.unit
        numbers = f"{format_number(old_base / unit.factor)} → {with_unit(format_number(new_base / unit.factor), unit)}"
        changes.append(f"{budget.name}: limit {'loosened' if allows_more else 'tightened'} {numbers}")
        if allows_more:
            loosened.append(f"{budget.name} {budget.op}")
    return changes, loosened


def _input_changes(old: Model, new: Model) -> list[Change]:
    before = {v.name: v.text for v in old.scenario.inputs}
    after = {v.name: v.text for v in new.scenario.inputs}
    return [
        Change(name, before.get(name, "—"), after.get(name, "—"))
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]


def _old_order_first(comparison: Comparison, old: Result) -> Comparison:
    """A diff reads from the old file: its values and limits first, in its order, then what the new one adds."""
    values = {name: n for n, name in enumerate(old.values)}
    limits = {key: n for n, key in enumerate(_limits(old))}
    return Comparison(
        tuple(sorted(comparison.values, key=lambda row: values.get(row.name, len(values)))),
        tuple(sorted(comparison.limits, key=lambda row: limits.get(row.name, len(limits)))),
        comparison.choices,
    )


def _value_changes(comparison: Comparison, sf: int) -> list[Change]:
    changes = []
    for row in comparison.values:
        was, now = row.old, row.new
        if was is None or now is None:
            changes.append(Change(row.name, was.display if was else "—", now.display if now else "—"))
            continue
        if not row.comparable or not row.changed:
            continue
        delta = (now.base - was.base) / now.unit.factor
        sign = "+" if delta > 0 else ""
        relative = f"{row.relative:+.1%}" if row.relative is not None else "new"
        changes.append(Change(row.name, was.display, now.display, sign + with_unit(format_number(delta, sf), now.unit), relative))
    return changes


def _budget_changes(comparison: Comparison) -> tuple[list[Change], list[str]]:
    changes, regressions = [], []
    for row in comparison.limits:
        was, now = row.old or ("—", math.nan), row.new or ("—", math.nan)
        if was != now:
            changes.append(Change(row.label, _budgetmarkdown_cell(was), _budgetmarkdown_cell(now)))
        if row.regressed:
            regressions.append(row.label)
    return changes, regressions


def _budgetmarkdown_cell(entry: tuple[str, float]) -> str:
    status, used = entry
    return "—" if status == "—" else f"{STATUS_MARK[status]} {used:.0%}"


def text_at_revision(path: Path, revision: str) -> str:
    """The file's text at a git revision (`HEAD~1`), via `git show` (a revision that looks like an option
    is refused, and `--end-of-options` makes sure git never reads one as such)."""
    if revision.startswith("-"):
        raise UsageError(f"--rev takes a git revision, not '{revision}'", Location(f"--rev={revision}"))
    try:
        done = subprocess.run(
            ["git", "show", "--end-of-options", f"{revision}:./{path.name}"],
            cwd=path.parent or Path("."),
            capture_output=True,
            check=False,
        )
    except OSError:
        raise FileError("git is not available", Location(str(path))) from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else "git show failed"
        missing = "does not exist in" in reason or "exists on disk, but not in" in reason
        raise (MissingFile if missing else EnvelopeError)(f"cannot read {path.name} at {revision}: {reason}", Location(str(path)))
    try:
        return bytes(done.stdout).decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileError(
            f"{path.name} at {revision} is not UTF-8 text (byte {error.start})", Location(f"{path}@{revision}")
        ) from None


def several_to_markdown(diffs: list[tuple[str, Diff]], unchanged: int, new_files: list[str]) -> str:
    """One PR comment for several scenarios: the changed ones, each under its file."""
    total = len(diffs) + unchanged + len(new_files)
    lines = [f"## envelope: {len(diffs)} of {counted(total, 'scenario')} changed", ""]
    for file, diff in diffs:
        lines += [f"`{file}`", "", diff.to_markdown()]
    lines += [f"`{file}`: new, nothing to compare with\n" for file in new_files]
    if not diffs and not new_files:
        lines.append("No scenario changed.\n")
    return "\n".join(lines)
