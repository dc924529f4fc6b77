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
from dataclasses import field
from typing import TYPE_CHECKING, Any

from calculator.common.errors import Location, UsageError, did_you_mean
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.engine.judge import breaks_limit, judge, path_total
from calculator.engine.model import HardwareChoice, Model, Override
from calculator.engine.results import Result
from calculator.engine.scenario import Choice
from calculator.engine.slots import DerivedSlot, LimitSlot, PathBudgetSlot
from calculator.engine.uncertainty import samples_that_fit
from calculator.units.system import DIMENSIONLESS, Unit

if TYPE_CHECKING:
    import numpy as np

MAX_STEPS = 10_000
# One marker a series, so that the plot reads without colour.
MARKERS = ("•", "+", "x", "o", "*", "#", "@", "%", "=", "~")
BISECTIONS = 60


def labelled(name: str, unit: Unit) -> str:
    """`dau (user)`; a dimensionless value is only its name."""
    return f"{name} ({unit.text})" if unit.text else name


@record(frozen=False)
class SweepRow:
    x: float  # in the input's unit (a sweep over catalog entries: the entry's position)
    values: dict[str, float]  # in each value's unit
    statuses: dict[str, str]  # budget label -> ok/warn/fail
    utilizations: dict[str, float]
    choice: str | None = None  # a sweep over a hardware binding: the entry's id


@record(frozen=False)
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
    low, high = (
        float(model.parse_override(input_name, text, Location(f"sweep {input_name} {text}"), point_only=True))
        for text in (start, stop)
    )
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


def sweep_options(
    model: Model,
    input_name: str,
    show: list[str] | None = None,
    overrides: Mapping[str, Override] | None = None,
) -> Sweep:
    """One row per option of an input with options (`one_of:`, `range:`, `powers_of_two:`), in the order
    written, each row named by its option as people write it (`4 gpu`)."""
    model, base_overrides = model.applying(overrides)
    where = Location(f"sweep {input_name}")
    choices = _options_of(model, input_name, where)
    names = _shown(model, show, where)
    first = _point_result(model, {**base_overrides, input_name: choices[0].point})
    unit = first.values[input_name].unit
    units = {name: first.values[name].unit for name in names}
    keep = _kept_budgets(first, set(names) if show else None)
    table = Sweep(input_name, unit, names, units, [label for label, _ in keep], sig_figs=model.scenario.sig_figs)
    for choice in choices:
        judged = _point_result(model, {**base_overrides, input_name: choice.point})
        row = _row(judged, choice.point / unit.factor, names, units, keep)
        row.choice = choice.text
        table.rows.append(row)
    return table


def _options_of(model: Model, name: str, where: Location) -> tuple[Choice, ...]:
    """An input's options, checked and expanded; refused for an input without options."""
    value = model.input(name, where)
    if value.options is None:
        raise UsageError(
            f"'{name}' has no options: sweep it from FROM to TO",
            where,
            f"envelope sweep FILE {name} FROM TO, or list its options: {name}: {{ one_of: [...] }}",
        )
    return value.choices


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


# --- 2-D sweeps: a grid of two inputs ---------------------------------------------------------------------------


@record
class Axis:
    """One input of a grid: its values, in `unit`."""

    input: str
    unit: Unit
    values: list[float]
    log: bool = False
    labels: tuple[str, ...] = ()
    "an axis of options or catalog entries: each as people write it (`4 gpu`, `H100-SXM`); values are then the options'"
    " values in `unit` (a hardware binding's: the entry's position)"

    @property
    def label(self) -> str:
        return labelled(self.input, self.unit) + (", log" if self.log else "")

    def tick(self, i: int, sig_figs: int) -> str:
        """The i-th point as a heat map, a CSV or a table names it: its option as written, or its number."""
        return self.labels[i] if self.labels else format_number(self.values[i], sig_figs)

    def written(self) -> list[str] | list[float]:
        """The points as JSON gives them: the options as written, or the numbers."""
        return list(self.labels) if self.labels else self.values


@record(frozen=False)
class Grid:
    """Values and budget statuses over two inputs: numpy arrays indexed [row, column] = [y, x]
    (a million points stay arrays; only what is written out becomes Python numbers)."""

    x: Axis
    y: Axis
    shown: list[str]
    units: dict[str, Unit]
    budgets: list[str]
    values: dict[str, np.ndarray]  # name -> grid of floats, in its unit
    budget_codes: dict[str, np.ndarray]  # budget label -> grid of status codes (indices of STATUSES)
    utilizations: dict[str, np.ndarray]
    codes: np.ndarray  # the worst status code of the followed budgets at each point (0, ok, when there are none)
    show: str | None = None
    "the value a heat map shows; None: the status"
    sig_figs: int = 3

    @functools.cached_property
    def status(self) -> np.ndarray:
        """Each point's status, "ok", "warn" or "fail"."""
        return _named(self.codes)

    @functools.cached_property
    def statuses(self) -> dict[str, np.ndarray]:
        """Each budget's status at each point."""
        return {label: _named(codes) for label, codes in self.budget_codes.items()}

    def counts(self) -> dict[str, int]:
        """How many points are ok, warn and fail."""
        return {status: int((self.codes == code).sum()) for code, status in enumerate(STATUSES)}

    def to_dict(self) -> dict[str, Any]:
        cells = [
            {
                "x": x,
                "y": y,
                "values": {name: float(self.values[name][j, i]) for name in self.shown},
                "status": str(self.status[j, i]),
                "budgets": {label: str(self.statuses[label][j, i]) for label in self.budgets},
            }
            for j, y in enumerate(self.y.written())
            for i, x in enumerate(self.x.written())
        ]
        return {
            "x": {"input": self.x.input, "unit": self.x.unit.long_text(), "values": self.x.written(), "log": self.x.log},
            "y": {"input": self.y.input, "unit": self.y.unit.long_text(), "values": self.y.written(), "log": self.y.log},
            "units": {name: unit.long_text() for name, unit in self.units.items()},
            "counts": self.counts(),
            "cells": cells,
        }

    def to_csv(self) -> str:
        """One row a point: x, y, the shown values, each budget's status, the point's status."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")  # "\r\n" would print as an escaped control character
        writer.writerow(
            [_bracketed(self.x.input, self.x.unit), _bracketed(self.y.input, self.y.unit)]
            + [_bracketed(n, self.units[n]) for n in self.shown]
            + [f"{b} status" for b in self.budgets]
            + ["status"]
        )
        for j in range(len(self.y.values)):
            for i in range(len(self.x.values)):
                writer.writerow(
                    [_csv_point(self.x, i), _csv_point(self.y, j)]
                    + [f"{self.values[n][j, i]:.6g}" for n in self.shown]
                    + [str(self.statuses[b][j, i]) for b in self.budgets]
                    + [str(self.status[j, i])]
                )
        return out.getvalue()


def _csv_point(axis: Axis, i: int) -> str:
    return axis.labels[i] if axis.labels else f"{axis.values[i]:.6g}"


def grid_sweep(
    model: Model,
    x: Sequence[str],
    y: Sequence[str],
    steps: tuple[int, int] = (11, 11),
    log: bool = False,
    show: str | None = None,
    overrides: Mapping[str, Override] | None = None,
) -> Grid:
    """Evaluate the scenario on a grid of two axes. An axis is (input, from, to), as arrays through the compiled
    scenario: one call for the whole grid (point values, as a 1-D sweep), refused over the memory budget; or
    (name,) for an input with options or a hardware binding: its options (a binding's entries) point by point."""
    scenario = model.scenario
    where = Location(f"sweep {x[0]} --and {y[0]}")
    if x[0] == y[0]:
        raise UsageError(f"--and needs a second input, not '{y[0]}' again", where)
    for count in steps:
        if not 2 <= count <= MAX_STEPS:
            raise UsageError(f"--steps takes 2 to {MAX_STEPS:,}, not {count:,}", where)
    if show is not None and show not in scenario.values:
        raise UsageError(f"no value '{show}' to show", where, did_you_mean(show, scenario.values))
    kinds = [_axis_kind(model, axis, where) for axis in (x, y)]
    if kinds != ["range", "range"]:
        return _grid_by_points(model, (x, y), kinds, steps, log, show, overrides)
    model, base_overrides = model.applying(overrides)
    xs, ys = (
        _axis_steps(model, (axis[0], axis[1], axis[2]), count, log, where) for axis, count in zip((x, y), steps, strict=True)
    )
    corner = _point_result(model, {**base_overrides, x[0]: xs[0], y[0]: ys[0]})  # its units; its errors, located
    names = list(dict.fromkeys([show] if show else [b.name for b in scenario.budgets] or [v.name for v in scenario.derived]))
    keep = _kept_budgets(corner, {show} if show else None)
    slots = _grid_slots(model, base_overrides, (x[0], xs), (y[0], ys), where)
    units = {name: corner.values[name].unit for name in names}
    shape = (len(ys), len(xs))
    import numpy as np  # numpy: only for a grid

    def grid_of(flat: Any, factor: float = 1.0) -> np.ndarray:
        return np.asarray(flat / factor if factor != 1 else flat, dtype=float).reshape(shape)

    judged = _grid_statuses(model, slots)
    labels = [label for label, _ in keep]
    worst = functools.reduce(np.maximum, [judged[i][0] for _, i in keep], np.zeros(len(xs) * len(ys), dtype=np.int8))
    x_unit, y_unit = corner.values[x[0]].unit, corner.values[y[0]].unit
    return Grid(
        Axis(x[0], x_unit, [v / x_unit.factor for v in xs], log),
        Axis(y[0], y_unit, [v / y_unit.factor for v in ys], log),
        names,
        units,
        labels,
        {name: grid_of(_grid_value(model, slots, name), units[name].factor) for name in names},
        {label: judged[i][0].reshape(shape) for label, i in keep},
        {label: grid_of(judged[i][1]) for label, i in keep},
        worst.reshape(shape),
        show,
        scenario.sig_figs,
    )


def _axis_steps(model: Model, axis: tuple[str, str, str], count: int, log: bool, where: Location) -> list[float]:
    name, start, stop = axis
    low, high = (
        float(model.parse_override(name, text, Location(f"sweep {name} {text}"), point_only=True)) for text in (start, stop)
    )
    if log and not (low > 0 and high > 0):
        raise UsageError(f"--log needs both ends of the range of '{name}' above zero", where)
    return _steps(low, high, count, log)


@record(frozen=False)
class _GridSlots:
    """Every slot of the compiled scenario over the grid's points (flattened: point j·columns + i), and the inputs."""

    slots: list[Any]
    inputs: dict[str, Any]


def _grid_slots(
    model: Model, overrides: Mapping[str, float], x: tuple[str, list[float]], y: tuple[str, list[float]], where: Location
) -> _GridSlots:
    """One call of the compiled scenario on the grid's arrays; a point where a formula fails is reported
    as a point evaluation reports it (the first such point), an unstable queue's infinite wait is a value."""
    scenario = model.scenario
    points = len(x[1]) * len(y[1])
    rows = len(model.compiled.slots) + len(model.compiled.inputs)
    fit = samples_that_fit(rows, scenario.memory_budget)
    if points > fit:
        raise UsageError(
            f"a grid of {len(x[1]):,} × {len(y[1]):,} = {points:,} points of {rows:,} values needs"
            f" {8 * rows * points / 1e6:,.0f} MB, over the memory budget of {scenario.memory_budget / 1e6:,.0f} MB:"
            f" at most {fit:,} points fit",
            where,
            hint="fewer --steps, or raise settings.memory_budget",
        )
    import numpy as np  # numpy: only for a grid

    columns = np.tile(np.asarray(x[1], dtype=float), len(y[1]))
    rows_of = np.repeat(np.asarray(y[1], dtype=float), len(x[1]))
    arguments: list[Any] = [float(a) for a in model.default_arguments]  # point values: a grid shows where budgets break
    for name, value in overrides.items():
        arguments[model.positions[name]] = float(value)
    arguments[model.positions[x[0]]] = columns
    arguments[model.positions[y[0]]] = rows_of
    with np.errstate(all="ignore"):
        raw = model.vectorized(*arguments)
    slots = [np.broadcast_to(np.asarray(s, dtype=float), (points,)) for s in raw]
    _raise_first_failure(model, overrides, slots, (x[0], columns), (y[0], rows_of))
    inputs = {
        name: np.broadcast_to(np.asarray(a, dtype=float), (points,))
        for name, a in zip(model.compiled.inputs, arguments, strict=True)
    }
    return _GridSlots(slots, inputs)


FAILURE_CHECKS = 1_000  # points with a non-finite value evaluated one by one to find a failing formula


def _raise_first_failure(
    model: Model, overrides: Mapping[str, float], slots: list[Any], x: tuple[str, Any], y: tuple[str, Any]
) -> None:
    import numpy as np  # numpy: only for a grid

    bad = np.zeros(len(x[1]), dtype=bool)
    for slot in slots:
        finite = np.isfinite(slot)
        if not finite.all():
            bad |= ~finite
    for point in np.flatnonzero(bad)[:FAILURE_CHECKS]:
        model.evaluate({**overrides, x[0]: float(x[1][point]), y[0]: float(y[1][point])})  # raises where a formula fails


def _grid_value(model: Model, grid: _GridSlots, name: str) -> Any:
    if name in grid.inputs:
        return grid.inputs[name]
    return grid.slots[model.compiled.index[DerivedSlot(name)]]


def _grid_statuses(model: Model, grid: _GridSlots) -> list[tuple[Any, Any]]:
    """(status code, utilization) arrays of every budget, then every latency path, as `judge` decides them
    (codes index STATUSES)."""
    import numpy as np  # numpy: only for a grid

    scenario, index = model.scenario, model.compiled.index
    judged = []
    with np.errstate(all="ignore"):
        for i, budget in enumerate(scenario.budgets):
            values, limits = _grid_value(model, grid, budget.name), grid.slots[index[LimitSlot(i)]]
            used = _utilization(budget.op, values, limits)
            judged.append((_status(breaks_limit(budget.op, values, limits), used, budget.warn), used))
        for path in scenario.latency:
            totals = path_total(path, lambda key: grid.slots[index[key]], np.maximum)
            limits = grid.slots[index[PathBudgetSlot(path.name)]]
            used = _utilization("<=", totals, limits)
            judged.append((_status(totals > limits, used, path.warn), used))
    return judged


def _utilization(op: str, values: Any, limits: Any) -> Any:
    """judge.utilization on arrays: value/limit for upper limits, limit/value for lower ones."""
    import numpy as np  # numpy: only for a grid

    numerator, denominator = (values, limits) if op in ("<=", "<") else (limits, values)
    ratio = np.divide(numerator, denominator)  # x/0 is inf and 0/0 NaN here; judge says inf and 0
    zero = denominator == 0
    if zero.any():
        ratio = np.where(zero, np.where(numerator == 0, 0.0, np.inf), ratio)
    if op in (">=", ">"):
        unmet = (values <= 0) & (limits > 0)  # nothing of a lower limit is met
        if unmet.any():
            ratio = np.where(unmet, np.inf, ratio)
    return ratio


STATUSES = ("ok", "warn", "fail")  # a grid's status codes, worst last


def _status(breaks: Any, used: Any, warn: float) -> Any:
    """judge.status_of on arrays, as codes of STATUSES."""
    import numpy as np  # numpy: only for a grid

    codes = (used >= warn).astype(np.int8)
    codes[breaks] = 2
    return codes


def _named(codes: np.ndarray) -> np.ndarray:
    import numpy as np  # numpy: only for a grid

    named: np.ndarray = np.array(STATUSES)[codes]
    return named


def _axis_kind(model: Model, axis: Sequence[str], where: Location) -> str:
    """ "range" (an input from FROM to TO), "options" (an input's options) or "hardware" (a binding's entries);
    an axis written the wrong way for its name is refused here."""
    name = axis[0]
    if len(axis) not in (1, 3):
        raise UsageError(f"an axis is NAME or NAME FROM TO, not {len(axis)} words", where)
    if name in model.scenario.hardware:
        if len(axis) == 3:
            raise UsageError(
                f"'{name}' is a hardware binding: it is swept over catalog entries, not from FROM to TO",
                where,
                f"give '{name}' alone: its one_of options, or every entry of its kind",
            )
        return "hardware"
    value = model.input(name, where)
    if value.options is not None:
        if len(axis) == 3:
            raise UsageError(f"'{name}' has options: it is swept over them, not from FROM to TO", where, f"give '{name}' alone")
        return "options"
    if len(axis) == 1:
        _options_of(model, name, where)  # raises: an input without options needs FROM and TO
    return "range"


_AxisPoint = tuple[dict[str, float], list[HardwareChoice]]  # an axis's point: input overrides, hardware choices


def _grid_by_points(
    model: Model,
    axes: tuple[Sequence[str], Sequence[str]],
    kinds: list[str],
    steps: tuple[int, int],
    log: bool,
    show: str | None,
    overrides: Mapping[str, Override] | None,
) -> Grid:
    """A grid with an axis of options or catalog entries, one point evaluation a point (as a 1-D sweep over
    entries: options are few, so a grid of them is thousands of points at most, not millions)."""
    import numpy as np  # numpy: only for a grid

    model, base_overrides = model.applying(overrides)
    scenario = model.scenario
    points = [_axis_points(model, axis, kind, count, log) for axis, kind, count in zip(axes, kinds, steps, strict=True)]

    def judged_at(i: int, j: int) -> Result:
        (x_inputs, x_hardware), (y_inputs, y_hardware) = points[0][0][i], points[1][0][j]
        bound = model.with_hardware(x_hardware + y_hardware)
        return _point_result(bound, {**base_overrides, **x_inputs, **y_inputs})

    corner = judged_at(0, 0)
    names = list(dict.fromkeys([show] if show else [b.name for b in scenario.budgets] or [v.name for v in scenario.derived]))
    keep = _kept_budgets(corner, {show} if show else None)
    units = {name: corner.values[name].unit for name in names}
    shape = (len(points[1][0]), len(points[0][0]))
    values = {name: np.zeros(shape) for name in names}
    codes = {label: np.zeros(shape, dtype=np.int8) for label, _ in keep}
    used = {label: np.zeros(shape) for label, _ in keep}
    for j, i in itertools.product(range(shape[0]), range(shape[1])):
        row = _row(judged_at(i, j), 0.0, names, units, keep)
        for name in names:
            values[name][j, i] = row.values[name]
        for label, _ in keep:
            codes[label][j, i] = STATUSES.index(row.statuses[label])
            used[label][j, i] = row.utilizations[label]
    worst = functools.reduce(np.maximum, codes.values(), np.zeros(shape, dtype=np.int8))
    made = [
        _made_axis(corner, axis[0], kind, axis_points, log) for axis, kind, axis_points in zip(axes, kinds, points, strict=True)
    ]
    labels = [label for label, _ in keep]
    return Grid(made[0], made[1], names, units, labels, values, codes, used, worst, show, scenario.sig_figs)


def _axis_points(
    model: Model, axis: Sequence[str], kind: str, count: int, log: bool
) -> tuple[list[_AxisPoint], list[str], list[float]]:
    """An axis's points (what each sets), their labels as written ([] for a range) and their values in base units."""
    name = axis[0]
    if kind == "hardware":
        view = next(b for b in model.view().bindings if b.name == name)
        choices = [model.choose(name, option.id, Location(f"sweep {name} {option.id}")) for option in view.options]
        return [({}, [c]) for c in choices], [c.entry.id for c in choices], [float(n) for n in range(len(choices))]
    if kind == "options":
        options = _options_of(model, name, Location(f"sweep {name}"))
        return [({name: c.point}, []) for c in options], [c.text for c in options], [c.point for c in options]
    start, stop = axis[1], axis[2]
    xs = _axis_steps(model, (name, start, stop), count, log, Location(f"sweep {name}"))
    return [({name: x}, []) for x in xs], [], xs


def _made_axis(corner: Result, name: str, kind: str, points: tuple[list[_AxisPoint], list[str], list[float]], log: bool) -> Axis:
    if kind == "hardware":
        return Axis(name, Unit(1.0, DIMENSIONLESS, "", ()), points[2], labels=tuple(points[1]))
    unit = corner.values[name].unit
    values = [v / unit.factor for v in points[2]]
    return Axis(name, unit, values, log and kind == "range", tuple(points[1]))
