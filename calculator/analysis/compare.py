"""`envelope diff`: what a change to a scenario does to its values and budgets.

The Markdown is written to be pasted as a pull-request comment; the exit code
fails (1) when a budget or latency path that held (ok or warn) now fails.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from calculator.common.errors import EnvelopeError, FileError, Location
from calculator.common.numbers import format_number
from calculator.common.text import markdown_cell
from calculator.engine.model import Model
from calculator.engine.results import STATUS_EMOJI, Result, with_unit
from calculator.file.load import MissingFile

STATUS_MARK = {**{status: f"{emoji} {status}" for status, emoji in STATUS_EMOJI.items()}, "—": "—"}


@dataclass
class Change:
    name: str
    old: str
    new: str
    delta: str = ""
    relative: str = ""


@dataclass
class Diff:
    old_name: str
    new_name: str
    old_status: str
    new_status: str
    inputs: list[Change] = field(default_factory=list)
    values: list[Change] = field(default_factory=list)
    budgets: list[Change] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def to_markdown(self) -> str:
        lines = [f"### envelope: {self.new_name} — {STATUS_MARK[self.old_status]} → {STATUS_MARK[self.new_status]}", ""]
        if self.regressions:
            lines += ["**Now failing:** " + ", ".join(f"`{r}`" for r in self.regressions), ""]
        if not (self.inputs or self.values or self.budgets):
            return "\n".join([*lines, "No change in inputs, values or budgets.", ""])
        if self.inputs:
            lines += ["| input | before | after |", "|---|---|---|"]
            lines += [f"| {c.name} | {markdown_cell(c.old)} | {markdown_cell(c.new)} |" for c in self.inputs] + [""]
        if self.values:
            lines += ["| value | before | after | change | % |", "|---|---:|---:|---:|---:|"]
            lines += [f"| {c.name} | {markdown_cell(c.old)} | {markdown_cell(c.new)} | {markdown_cell(c.delta)} | {c.relative} |"
                      for c in self.values]
            lines.append("")
        if self.budgets:
            lines += ["| budget | before | after |", "|---|---|---|"]
            lines += [f"| {c.name} | {c.old} | {c.new} |" for c in self.budgets] + [""]
        return "\n".join(lines)


def diff_models(old: Model, new: Model) -> Diff:
    old_result, new_result = old.evaluate().result, new.evaluate().result
    result = Diff(old.scenario.name, new.scenario.name, old_result.status, new_result.status)
    result.inputs = _input_changes(old, new)
    result.values = _value_changes(old_result, new_result)
    result.budgets, result.regressions = _budget_changes(old_result, new_result)
    return result


def _input_changes(old: Model, new: Model) -> list[Change]:
    before = {v.name: v.text for v in old.scenario.inputs}
    after = {v.name: v.text for v in new.scenario.inputs}
    return [Change(name, before.get(name, "—"), after.get(name, "—")) for name in dict.fromkeys([*before, *after])
            if before.get(name) != after.get(name)]


def _value_changes(old: Result, new: Result) -> list[Change]:
    changes = []
    sf = new.sig_figs
    for name in dict.fromkeys([*old.values, *new.values]):
        was, now = old.values.get(name), new.values.get(name)
        if was is None or now is None:
            changes.append(Change(name, was.display if was else "—", now.display if now else "—"))
            continue
        if math.isclose(was.base, now.base, rel_tol=1e-9, abs_tol=0.0) or was.unit.dimension != now.unit.dimension:
            continue
        delta = (now.base - was.base) / now.unit.factor
        sign = "+" if delta > 0 else ""
        relative = f"{(now.base - was.base) / was.base:+.1%}" if was.base else "new"
        changes.append(Change(name, was.display, now.display, sign + with_unit(format_number(delta, sf), now.unit), relative))
    return changes


def _budget_changes(old: Result, new: Result) -> tuple[list[Change], list[str]]:
    def table(result: Result) -> dict[str, tuple[str, float]]:
        rows: dict[str, tuple[str, float]] = {
            f"{b.name} {b.op} {with_unit(format_number(b.limit), b.unit)}": (b.status, b.utilization) for b in result.budgets}
        rows.update({f"latency {p.path}": (p.status, p.utilization) for p in result.latency})
        return rows

    before, after = table(old), table(new)
    changes, regressions = [], []
    for label in dict.fromkeys([*before, *after]):
        was, now = before.get(label, ("—", math.nan)), after.get(label, ("—", math.nan))
        if was != now:
            changes.append(Change(label, _budgetmarkdown_cell(was), _budgetmarkdown_cell(now)))
        if now[0] == "fail" and was[0] != "fail":
            regressions.append(label)
    return changes, regressions


def _budgetmarkdown_cell(entry: tuple[str, float]) -> str:
    status, used = entry
    return "—" if status == "—" else f"{STATUS_MARK[status]} {used:.0%}"


def text_at_revision(path: Path, revision: str) -> str:
    """The file's text at a git revision (`HEAD~1`), via `git show`."""
    try:
        done = subprocess.run(["git", "show", f"{revision}:./{path.name}"], cwd=path.parent or Path("."),
                              capture_output=True, text=True, check=False)
    except OSError:
        raise FileError("git is not available", Location(str(path))) from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git show failed"
        missing = "does not exist in" in reason or "exists on disk, but not in" in reason
        raise (MissingFile if missing else EnvelopeError)(f"cannot read {path.name} at {revision}: {reason}",
                                                          Location(str(path)))
    return str(done.stdout)
