"""`envelope sweep`: chosen values and budget status as one input varies.

Each step is one warm evaluation of the compiled scenario (microseconds), so a
sweep of hundreds of steps costs less than drawing it. The plot (plotext) shows
each budget's utilization against the input, each with its own marker, with
the 100% line and a vertical line where a budget breaks: found by bisection
between the samples on either side, not at the first failing sample.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from calculator.common.errors import Location, UsageError, did_you_mean
from calculator.common.numbers import format_number
from calculator.engine.judge import judge
from calculator.engine.model import Model, Override
from calculator.engine.results import Result
from calculator.units.system import DIMENSIONLESS, Unit

MAX_STEPS = 10_000
# One marker a series, so that the plot reads without colour.
MARKERS = ("•", "+", "x", "o", "*", "#", "@", "%", "=", "~")
BISECTIONS = 60


def labelled(name: str, unit: Unit) -> str:
    """`dau (user)`; a dimensionless value is only its name."""
    return f"{name} ({unit.text})" if unit.text else name


@dataclass
class SweepRow:
    x: float  # in the input's unit (a sweep over catalog entries: the entry's position)
    values: dict[str, float]  # in each value's unit
    statuses: dict[str, str]  # budget label -> ok/warn/fail
    utilizations: dict[str, float]
    choice: str | None = None  # a sweep over a hardware binding: the entry's id


@dataclass
class Sweep:
    input: str
    unit: Unit
    shown: list[str]
    units: dict[str, Unit]
    budgets: list[str]
    rows: list[SweepRow] = field(default_factory=list)
    sig_figs: int = 3
    log: bool = False
    breaking: list[tuple[str, float]] = field(default_factory=list)

    @property
    def over_entries(self) -> bool:
        """A sweep of a hardware binding: one row per catalog entry."""
        return any(row.choice is not None for row in self.rows)

    def x_text(self, row: SweepRow) -> str:
        """The swept value of a row as a table shows it: the entry's id, or the number."""
        return row.choice if row.choice is not None else format_number(row.x, self.sig_figs)

    def heading(self, name: str) -> str:
        """A column's heading: `dau (user)`, or only the name of a dimensionless value."""
        return labelled(name, self.unit if name == self.input else self.units[name])

    def breaks(self) -> list[tuple[str, float]]:
        """(budget, x) where a budget starts or stops failing, to the precision of a float."""
        return list(self.breaking)

    def crossings(self) -> list[tuple[str, float, str, str]]:
        """(budget, x, status before, status after) wherever a budget changes status between steps."""
        found = []
        for before, after in zip(self.rows, self.rows[1:], strict=False):
            for label in self.budgets:
                if before.statuses[label] != after.statuses[label]:
                    found.append((label, after.x, before.statuses[label], after.statuses[label]))
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "unit": self.unit.long_text(),
            "units": {name: unit.long_text() for name, unit in self.units.items()},
            "rows": [
                {"x": row.choice if row.choice is not None else row.x, "values": row.values, "status": row.statuses}
                for row in self.rows
            ],
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")  # printed to a terminal, where a \r would be escaped
        writer.writerow(
            [_bracketed(self.input, self.unit)]
            + [_bracketed(n, self.units[n]) for n in self.shown]
            + [f"{b} status" for b in self.budgets]
        )
        for row in self.rows:
            x = row.choice if row.choice is not None else f"{row.x:.6g}"
            writer.writerow([x] + [f"{row.values[n]:.6g}" for n in self.shown] + [row.statuses[b] for b in self.budgets])
        return out.getvalue()

    def to_markdown(self) -> str:
        header = [labelled(self.input, self.unit)] + [labelled(n, self.units[n]) for n in self.shown] + self.budgets
        lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
        for row in self.rows:
            cells = [self.x_text(row)] + [format_number(row.values[n], self.sig_figs) for n in self.shown]
            cells += [f"{row.statuses[b]} {row.utilizations[b]:.0%}" for b in self.budgets]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def plot(self, width: int = 80, height: int = 20, color: bool = True) -> str:
        """Each budget's utilization against the input, with the limit line: a terminal plot (on a log
        axis for a --log sweep or an input that spans a factor of 100; plotext fails on some extreme ranges: then a linear
        axis, and failing that a note instead of a plot)."""
        xs = [row.x for row in self.rows]
        normal = len(xs) > 1 and xs[0] > 1e-300 and xs[-1] < 1e300  # log axes take normal floats only (plotext)
        log = normal and not self.over_entries and (self.log or xs[-1] / xs[0] >= 100)
        for scale in ["log", "linear"] if log else ["linear"]:
            try:
                drawing = self._drawing(width, height, scale)
            except (TypeError, ValueError, ArithmeticError):  # plotext's own arithmetic on extreme values
                continue
            return drawing if color else self._uncolored(drawing)
        return "(no plot: the values are beyond what the plot can draw; the table above has them)"

    @staticmethod
    def _uncolored(drawing: str) -> str:
        import plotext as plt  # plotext: only for a plot

        return str(plt.uncolorize(drawing))

    def _drawing(self, width: int, height: int, scale: str) -> str:
        import plotext as plt  # plotext: only for a plot

        plt.clear_figure()
        plt.plotsize(width, height)
        xs = [row.x for row in self.rows]
        for label, marker in zip(self.budgets, _markers(len(self.budgets)), strict=True):
            points = [(row.x, 100 * row.utilizations[label]) for row in self.rows]
            finite = [(x, y) for x, y in points if math.isfinite(y)]  # an infinite utilization has no place on a plot
            if finite:
                plt.plot([x for x, _ in finite], [y for _, y in finite], label=label, marker=marker)
        plt.hline(100, "red")
        for _, x in self.breaks():
            plt.vline(x, "red")
        if scale == "log":
            plt.xscale("log")
        if self.over_entries:  # one tick an entry, named
            plt.xticks(xs, [self.x_text(row) for row in self.rows])
        else:
            ticks = xs[:: max(1, (len(xs) - 1) // 4)]
            plt.xticks(ticks, [format_number(x, self.sig_figs) for x in ticks])
        plt.xlabel(labelled(self.input, self.unit))
        plt.ylabel("% of budget")
        plt.title(f"budgets as {self.input} varies (100%: the limit; vertical: where one breaks)")
        plt.theme("clear")
        return str(plt.build())


def sweep(
    model: Model,
    input_name: str,
    start: str,
    stop: str,
    steps: int = 11,
    log: bool = False,
    show: list[str] | None = None,
    overrides: Mapping[str, Override] | None = None,
) -> Sweep:
    """Evaluate the scenario at `steps` values of `input_name` from `start` to `stop` (quantities)."""
    model, overrides = model.applying(overrides)
    scenario = model.scenario
    where = Location(f"sweep {input_name}")
    model.input(input_name, where)
    if not 2 <= steps <= MAX_STEPS:
        raise UsageError(f"--steps takes 2 to {MAX_STEPS:,}, not {steps:,}", where)
    low, high = (float(model.parse_override(input_name, text, Location(f"sweep {input_name} {text}"))) for text in (start, stop))
    if log and not (low > 0 and high > 0):
        raise UsageError("--log needs both ends of the range above zero", where)
    names = _shown(model, show, where)
    base_overrides = dict(overrides or {})
    xs = _steps(low, high, steps, log)
    first = _point_result(model, {**base_overrides, input_name: xs[0]})
    unit = first.values[input_name].unit
    units = {name: first.values[name].unit for name in names}
    keep = _kept_budgets(first, set(names) if show else None)
    result = Sweep(input_name, unit, list(names), units, [label for label, _ in keep], sig_figs=scenario.sig_figs, log=log)
    for x in xs:
        judged = _point_result(model, {**base_overrides, input_name: x})
        result.rows.append(_row(judged, x / unit.factor, names, units, keep))

    def fails(label: str, x: float) -> bool:
        judged = _row(_point_result(model, {**base_overrides, input_name: x}), x, names, units, keep)
        return judged.statuses[label] == "fail"

    samples = list(zip(xs, result.rows, strict=True))
    for label, _ in keep:
        for (before, row), (after, next_row) in itertools.pairwise(samples):
            if (row.statuses[label] == "fail") != (next_row.statuses[label] == "fail"):
                edge = _bisect(functools.partial(fails, label), before, after, log)
                result.breaking.append((label, edge / unit.factor))
    result.breaking.sort(key=lambda item: item[1])
    return result


def sweep_entries(
    model: Model,
    binding: str,
    entries: Sequence[str] | None = None,
    show: list[str] | None = None,
    overrides: Mapping[str, Override] | None = None,
) -> Sweep:
    """One row per catalog entry bound to `binding` (`--over H100-SXM,H200`; by default the binding's
    `one_of:` options, else every catalog entry of its kind that has the figures the formulas read)."""
    model, base_overrides = model.applying(overrides)
    where = Location(f"sweep {binding}")
    view = next((b for b in model.view().bindings if b.name == binding), None)
    if view is None:
        raise UsageError(
            f"'{binding}' is not a hardware binding of this scenario",
            where,
            did_you_mean(binding, model.scenario.hardware) or "sweep INPUT FROM TO sweeps an input",
        )
    texts = list(entries) if entries is not None else [option.id for option in view.options]
    if not 1 <= len(texts) <= MAX_STEPS:
        raise UsageError(f"--over takes 1 to {MAX_STEPS:,} entries, not {len(texts):,}", where)
    choices = [model.choose(binding, text, Location(f"--over {text}")) for text in texts]
    names = _shown(model, show, where)
    rows = []
    first: Result | None = None
    units: dict[str, Unit] = {}
    keep: list[tuple[str, int]] = []
    for n, choice in enumerate(choices):
        judged = _point_result(model.with_hardware([choice]), base_overrides)
        if first is None:
            first, units = judged, {name: judged.values[name].unit for name in names}
            keep = _kept_budgets(judged, set(names) if show else None)
        row = _row(judged, float(n), names, units, keep)
        row.choice = choice.entry.id
        rows.append(row)
    none = Unit(1.0, DIMENSIONLESS, "", ())
    sweep_table = Sweep(binding, none, names, units, [label for label, _ in keep], sig_figs=model.scenario.sig_figs)
    sweep_table.rows = rows
    return sweep_table


def _shown(model: Model, show: list[str] | None, where: Location) -> list[str]:
    """The values a sweep shows: those asked for, else the budgeted ones, else every derived value."""
    scenario = model.scenario
    names = list(dict.fromkeys(show or [b.name for b in scenario.budgets] or [v.name for v in scenario.derived]))
    for name in names:
        if name not in scenario.values:
            raise UsageError(f"no value '{name}' to show", where, did_you_mean(name, scenario.values))
    return names


def _bisect(fails: Callable[[float], bool], low: float, high: float, log: bool) -> float:
    """The point between `low` and `high` (whose failing differs) where it changes, halving the interval."""
    failing_low = fails(low)
    for _ in range(BISECTIONS):
        middle = math.sqrt(low * high) if log else (low + high) / 2
        if middle in (low, high):
            break
        if fails(middle) == failing_low:
            low = middle
        else:
            high = middle
    return high


def _markers(count: int) -> list[str]:
    return [MARKERS[i % len(MARKERS)] for i in range(count)]


def _bracketed(name: str, unit: Unit) -> str:
    return f"{name} [{unit.text}]" if unit.text else name


def _point_result(model: Model, overrides: Mapping[str, float]) -> Result:
    """Values and statuses at point values only: a sweep shows where budgets break, not spreads."""
    return judge(model.evaluate(overrides))


def _kept_budgets(result: Result, shown: set[str] | None) -> list[tuple[str, int]]:
    """(label, position in budgets + latency paths) of the budgets a sweep follows: those of the shown values."""
    names = [b.name for b in result.budgets]
    kept = [
        (name if names.count(name) == 1 else f"{name} {b.op}", i)
        for i, (name, b) in enumerate(zip(names, result.budgets, strict=True))
        if shown is None or name in shown
    ]
    if shown is None:
        kept += [(f"latency {p.path}", len(names) + i) for i, p in enumerate(result.latency)]
    return kept


def _row(result: Result, x: float, names: list[str], units: dict[str, Unit], keep: list[tuple[str, int]]) -> SweepRow:
    values = {name: result.values[name].base / units[name].factor for name in names}
    judged = [(b.status, b.utilization) for b in result.budgets] + [(p.status, p.utilization) for p in result.latency]
    return SweepRow(x, values, {label: judged[i][0] for label, i in keep}, {label: judged[i][1] for label, i in keep})


def _steps(low: float, high: float, count: int, log: bool) -> list[float]:
    if log:
        ratio = math.log(high / low)
        return [low * math.exp(ratio * i / (count - 1)) for i in range(count)]
    return [low + (high - low) * i / (count - 1) for i in range(count)]
