"""`envelope optimize`: every combination of the scenario's options, the designs where every budget holds,
the best by one objective (or the Pareto front of several).

The grid is never a Python loop: each choice axis (an input's options) is a column of numbers, and a
chunk of designs is one call of the compiled scenario on arrays, as Monte Carlo is. With uncertain inputs
a chunk is designs × samples (the same samples for every design: common random numbers, so two designs
differ by their choices, not by their draws), and a design is feasible when each budget's probability of
breaking is at most `settings.risk`, and each percentile budget's percentile of the samples holds its limit.
Chunks are sized to the scenario's memory budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal

from calculator.common.errors import Location, UsageError, did_you_mean
from calculator.common.numbers import format_number
from calculator.common.records import record
from calculator.engine.judge import breaks_limit, display_unit, path_total, status_of, utilization
from calculator.engine.model import Evaluation, Model, Override
from calculator.engine.results import with_unit
from calculator.engine.slots import DerivedSlot, LimitSlot, PathBudgetSlot, SlotKey
from calculator.engine.uncertainty import draw, rank_correlated

if TYPE_CHECKING:
    import numpy as np

Sense = Literal["min", "max"]
Progress = Callable[[int, int], None]
"""Called after each chunk with (designs done, designs in all)."""
DEFAULT_TOP = 10
KEPT_PER_DESIGN = 2
"""Bytes each design of the grid keeps to the end (whether it is feasible, whether a budget's P(break) reached the
risk) besides its objectives: with the chunk's working arrays, all of it must fit the memory budget."""


@record
class ChoiceAxis:
    """One thing to choose: its options as people write them, and for each argument of the compiled scenario
    it sets (an input sets one; a hardware binding, each catalog figure it supplies) the value of every option."""

    name: str
    labels: tuple[str, ...]
    columns: tuple[tuple[int, tuple[float, ...]], ...]
    "(argument position: the inputs, then the catalog figures, as `compiled` orders them; each option's value, base units)"
    location: Location  # where the options are written
    kind: Literal["input", "hardware"] = "input"

    def __len__(self) -> int:
        return len(self.labels)


@record
class Objective:
    name: str
    sense: Sense


@record
class ObjectiveValue:
    value: float  # in `unit`
    unit: str
    display: str  # '1.2k USD/month'


@record
class Design:
    choices: dict[str, str]  # axis -> the option chosen, as people write it
    objectives: list[ObjectiveValue]
    status: str  # ok or warn (only feasible designs are listed)
    binding_budget: str | None  # the budget closest to its limit (None when the scenario has none)
    utilization: float | None


@record(frozen=False)
class Optimization:
    """The outcome: how many designs were evaluated and feasible, why the rest fail, the best of them."""

    objectives: list[Objective]
    axes: list[ChoiceAxis]
    evaluated: int
    feasible: int
    infeasible_by_budget: dict[str, int]
    designs: list[Design] = field(default_factory=list)
    uncertain: bool = False
    risk: float = 0.05
    percentiles: bool = False  # some budget or latency path is judged at a percentile

    @property
    def pareto(self) -> bool:
        return len(self.objectives) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "objectives": [{"name": o.name, "sense": o.sense} for o in self.objectives],
            "evaluated": self.evaluated,
            "feasible": self.feasible,
            "infeasible_by_budget": dict(self.infeasible_by_budget),
            "designs": [
                {
                    "choices": dict(d.choices),
                    "objectives": [{"value": v.value, "unit": v.unit, "display": v.display} for v in d.objectives],
                    "status": d.status,
                    "binding_budget": d.binding_budget,
                    "utilization": d.utilization,
                }
                for d in self.designs
            ],
        }

    def headings(self) -> list[str]:
        senses = [f"{'min' if o.sense == 'min' else 'max'} {o.name}" for o in self.objectives]
        return [*senses, *(a.name for a in self.axes), "status", "binding budget", "utilization"]

    def rows(self) -> list[list[str]]:
        return [
            [
                *(v.display for v in d.objectives),
                *(d.choices[a.name] for a in self.axes),
                d.status,
                d.binding_budget or "—",
                f"{format_number(d.utilization * 100, 3)}%" if d.utilization is not None else "—",
            ]
            for d in self.designs
        ]

    def summary(self) -> list[str]:
        """What was searched and why designs were ruled out, one sentence a line."""
        rule = f"each budget's P(break) ≤ {format_number(self.risk * 100, 3)}%" if self.uncertain else "every budget holds"
        if self.uncertain and self.percentiles:
            rule += ", a percentile budget at its percentile"
        lines = [f"{self.evaluated:,} designs evaluated, {self.feasible:,} feasible ({rule})"]
        if self.pareto and self.designs:
            lines.append(f"{len(self.designs):,} on the Pareto front shown")
        if self.infeasible_by_budget:
            ruled = ", ".join(f"{name} {count:,}" for name, count in self.infeasible_by_budget.items())
            lines.append(f"ruled out by: {ruled} (a design that breaks two budgets counts under both)")
        if not self.feasible:
            lines.append("no design is feasible: relax the budgets above, or add options")
        return lines

    def to_text(self) -> str:
        if not self.designs:
            return "\n".join(self.summary()) + "\n"
        table = [self.headings(), *self.rows()]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in table]
        return "\n".join([lines[0], "  ".join("─" * w for w in widths), *lines[1:], "", *self.summary()]) + "\n"

    def to_markdown(self) -> str:
        lines = []
        if self.designs:
            headings = self.headings()
            lines += ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows()]
            lines.append("")
        return "\n".join(lines + [f"{line}." for line in self.summary()]) + "\n"


def choice_axes(model: Model, fixed: Mapping[str, Override]) -> list[ChoiceAxis]:
    """Each input with options, then each `hardware:` binding with `one_of:` entries, that `fixed` (the --set
    overrides) does not pin, in the file's order."""
    axes = []
    for value in model.scenario.inputs:
        if value.options is None or value.name in fixed:
            continue
        column = (model.positions[value.name], tuple(c.point for c in value.choices))
        axes.append(ChoiceAxis(value.name, tuple(c.text for c in value.choices), (column,), value.options.location))
    return axes + [axis for binding in model.scenario.options if binding not in fixed for axis in _hardware_axis(model, binding)]


def _hardware_axis(model: Model, binding: str) -> list[ChoiceAxis]:
    """A binding's entries as one axis: each catalog figure a formula reads through it is a column (none read:
    the choice changes nothing, and it is no axis)."""
    scenario, compiled = model.scenario, model.compiled
    options = scenario.options[binding]
    figures = scenario.option_figures[binding]
    first = len(compiled.inputs)
    columns = tuple(
        (first + n, tuple(option[slot] for option in figures))
        for n, slot in enumerate(compiled.figures)
        if slot.binding == binding
    )
    if not columns:
        return []
    where = options[0].location
    return [ChoiceAxis(binding, tuple(o.entry.id for o in options), columns, where, kind="hardware")]


def optimize(
    model: Model,
    objectives: Sequence[Objective],
    overrides: Mapping[str, Override] | None = None,
    top: int | None = None,
    progress: Progress | None = None,
    axes: Sequence[ChoiceAxis] | None = None,
) -> Optimization:
    """Every design of the choice axes (by default, the inputs and hardware bindings with options not in
    `overrides`), judged against every budget and latency path; the best `top` feasible ones by the objective,
    or the Pareto front."""
    overrides = dict(overrides or {})
    _check_objectives(model, objectives)
    axes = list(choice_axes(model, overrides) if axes is None else axes)
    if not axes:
        raise UsageError(
            "nothing to choose: no input or hardware binding of this scenario has options"
            + (" that --set leaves open" if overrides else ""),
            Location(model.scenario.file),
            hint="list an input's options, e.g. tensor_parallel: { one_of: [1 gpu, 2 gpu, 4 gpu] },"
            " or a binding's, gpu: { one_of: [H100-SXM, H200] }",
        )
    if top is not None and top < 1:
        raise UsageError(f"--top takes 1 or more, not {top}", Location("--top"))
    grid = _Grid(model, axes, objectives, overrides)
    grid.run(progress)
    return grid.outcome(top)


def _check_objectives(model: Model, objectives: Sequence[Objective]) -> None:
    if not objectives:
        raise UsageError("say what to optimize: --minimize NAME or --maximize NAME", Location("envelope optimize"))
    names = list(model.scenario.values)
    for objective in objectives:
        if objective.name not in model.scenario.values:
            raise UsageError(
                f"'{objective.name}' is not a value of this scenario",
                Location(f"--{objective.sense}imize {objective.name}"),
                did_you_mean(objective.name, names),
            )


class _Grid:
    """The designs of the axes in C order (the last axis fastest), evaluated chunk by chunk."""

    def __init__(self, model: Model, axes: list[ChoiceAxis], objectives: Sequence[Objective], overrides: Mapping[str, Override]):
        # A binding fixed by --set: the model with its entry bound (other figure arguments, the same function).
        model, inputs = model.applying(overrides)
        self.model, self.axes, self.objectives, self.overrides = model, axes, list(objectives), inputs
        self.sizes = [len(a) for a in axes]
        self.count = math.prod(self.sizes)
        evaluation = model.evaluate(inputs)  # the point design with the overrides: also checks they evaluate
        self.spreads = {n: s for n, s in evaluation.spreads.items() if n not in {a.name for a in axes}}
        self.base_arguments: list[Any] = [float(a) for a in evaluation.arguments] + list(model.figure_arguments)
        scenario = model.scenario
        self.labels = _budget_labels(model)
        self.budget_count = len(scenario.budgets) + len(scenario.latency)
        self._refuse_too_many()

    # --- sizes under the memory budget

    def _rows(self) -> int:
        """Arrays a chunk holds per design (per design and sample, with uncertainty): every slot, every input,
        and whether each budget breaks (a byte each, counted as 8 with numpy's temporaries)."""
        return len(self.model.compiled.slots) + len(self.base_arguments) + 2 * self.budget_count + 4

    def _refuse_too_many(self) -> None:
        scenario = self.model.scenario
        kept = self.count * (KEPT_PER_DESIGN + 8 * len(self.objectives))
        samples = scenario.samples if self.spreads else 1
        one_chunk = 8 * self._rows() * samples
        if kept + one_chunk > scenario.memory_budget:
            widest = max(self.axes, key=len)
            shape = " × ".join(f"{len(a):,}" for a in self.axes)
            raise UsageError(
                f"{self.count:,} designs ({shape} options)"
                + (f" × {samples:,} samples" if self.spreads else "")
                + f" need more than the memory budget of {scenario.memory_budget / 1e6:,.0f} MB",
                widest.location,
                hint=f"fewer options ('{widest.name}' has {len(widest):,}), fix some with --set NAME=VALUE"
                + (", fewer settings.samples" if self.spreads else "")
                + ", or raise settings.memory_budget",
            )

    def _chunk(self) -> int:
        scenario = self.model.scenario
        free = scenario.memory_budget - self.count * (KEPT_PER_DESIGN + 8 * len(self.objectives))
        per_design = 8 * self._rows() * (scenario.samples if self.spreads else 1)
        return max(1, min(self.count, int(free // per_design)))

    # --- the run

    def run(self, progress: Progress | None) -> None:
        import numpy as np  # numpy: the grid is arrays

        n = self.count
        self.values = np.empty((n, len(self.objectives)))
        self.feasible = np.empty(n, dtype=bool)
        self.risky = np.zeros(n, dtype=bool)  # with uncertainty: some budget's P(break) reaches the risk (warn)
        self.broken = np.zeros(self.budget_count, dtype=np.int64)
        self.draws = self._draws() if self.spreads else {}
        chunk = self._chunk()
        with np.errstate(all="ignore"):  # a design that divides by zero is judged as it is: NaN breaks its budget
            for start in range(0, n, chunk):
                stop = min(n, start + chunk)
                self._evaluate(start, stop)
                if progress is not None:
                    progress(stop, n)

    def _draws(self) -> dict[str, np.ndarray]:
        import numpy as np  # numpy: the grid is arrays

        scenario = self.model.scenario
        rng = np.random.default_rng(scenario.seed)
        draws = draw(self.spreads, rng, scenario.samples)
        correlations = {pair: rho for pair, rho in scenario.correlations.items() if set(pair) <= set(self.spreads)}
        if correlations:
            draws.update(rank_correlated(draws, correlations, rng))
        return draws

    def _arguments(self, start: int, stop: int, sampled: bool) -> list[Any]:
        """The compiled scenario's arguments for designs start..stop: each axis's column of option values
        (shaped (designs, 1) against the samples when `sampled`)."""
        arguments = list(self.base_arguments)
        for axis, size, stride in zip(self.axes, self.sizes, _strides(self.sizes), strict=True):
            for position, points in axis.columns:
                column = _column(points, size, stride, start, stop)
                arguments[position] = column[:, None] if sampled else column
        if sampled:
            for name, samples in self.draws.items():
                arguments[self.model.positions[name]] = samples[None, :]
        return arguments

    def _evaluate(self, start: int, stop: int) -> None:
        import numpy as np  # numpy: the grid is arrays

        designs = stop - start
        point = _Slots(self.model, self._arguments(start, stop, sampled=False))
        for n, objective in enumerate(self.objectives):
            self.values[start:stop, n] = point.value(objective.name)
        broke = np.empty((self.budget_count, designs), dtype=bool)
        if self.spreads:
            sampled = _Slots(self.model, self._arguments(start, stop, sampled=True))
            shape = (designs, self.model.scenario.samples)
            risk = self.model.scenario.risk
            percentiles = self._percentile_breaks(point, sampled, shape)
            for row, holds in enumerate(self._holding(sampled)):
                if row in percentiles:  # a percentile budget: judged at its percentile, not by P(break)
                    broke[row] = percentiles[row]
                    continue
                p_break = 1 - np.broadcast_to(holds, shape).mean(axis=1)
                broke[row] = p_break > risk
                self.risky[start:stop] |= p_break >= risk
        else:
            for row, holds in enumerate(self._holding(point)):
                np.logical_not(holds, out=broke[row])
        self.broken += np.count_nonzero(broke, axis=1)
        np.logical_not(np.logical_or.reduce(broke, axis=0), out=self.feasible[start:stop])

    def _percentile_breaks(self, point: _Slots, sampled: _Slots, shape: tuple[int, int]) -> dict[int, Any]:
        """For each percentile budget and latency path (by its row in `_holding`'s order), whether that
        percentile of each design's samples breaks the design's point limit (NaN breaks)."""
        import numpy as np  # numpy: the grid is arrays

        scenario = self.model.scenario
        found: dict[int, Any] = {}
        for index, budget in enumerate(scenario.budgets):
            if budget.percentile is not None:
                limit = np.broadcast_to(point.slot(LimitSlot(index)), shape[:1])
                samples = np.broadcast_to(sampled.value(budget.name), shape)
                judged = _quantiles(samples, np.broadcast_to(sampled.slot(LimitSlot(index)), shape), limit, budget.percentile)
                found[index] = np.logical_not(_holds(budget.op, judged, limit))
        for offset, path in enumerate(scenario.latency):
            if path.percentile is not None:
                key = PathBudgetSlot(path.name)
                limit = np.broadcast_to(point.slot(key), shape[:1])
                totals = np.broadcast_to(path_total(path, sampled.slot, np.maximum), shape)
                judged = _quantiles(totals, np.broadcast_to(sampled.slot(key), shape), limit, path.percentile)
                found[len(scenario.budgets) + offset] = np.logical_not(judged <= limit)
        return found

    def _holding(self, slots: _Slots) -> Iterator[Any]:
        """Whether each budget and latency path holds, as arrays over the chunk (a NaN holds nothing)."""
        import numpy as np  # numpy: the grid is arrays

        scenario = self.model.scenario
        for index, budget in enumerate(scenario.budgets):
            yield _holds(budget.op, slots.value(budget.name), slots.slot(LimitSlot(index)))
        for path in scenario.latency:
            yield path_total(path, slots.slot, np.maximum) <= slots.slot(PathBudgetSlot(path.name))

    # --- the outcome

    def outcome(self, top: int | None) -> Optimization:
        import numpy as np  # numpy: the grid is arrays

        feasible = np.flatnonzero(self.feasible)
        signs = np.array([1.0 if o.sense == "min" else -1.0 for o in self.objectives])
        if len(self.objectives) == 1:
            score = self.values[feasible, 0]
            ranked = feasible[np.argsort(score if signs[0] > 0 else -score, kind="stable")][: top or DEFAULT_TOP]
        else:
            front = feasible[pareto_front(self.values[feasible] * signs)]  # to minimize, every column
            ranked = front[:top] if top else front
        scenario = self.model.scenario
        return Optimization(
            list(self.objectives),
            list(self.axes),
            self.count,
            len(feasible),
            {label: int(count) for label, count in zip(self.labels, self.broken, strict=True) if count},
            [self._design(int(n)) for n in ranked],
            uncertain=bool(self.spreads),
            risk=scenario.risk,
            percentiles=any(b.percentile is not None for b in scenario.budgets)
            or any(p.percentile is not None for p in scenario.latency),
        )

    def _design(self, n: int) -> Design:
        """A listed design, judged as `envelope eval` would judge it with these choices (point values)."""
        chosen = [(n // stride) % size for size, stride in zip(self.sizes, _strides(self.sizes), strict=True)]
        names = self.model.compiled.inputs
        overrides: dict[str, Override] = dict(self.overrides)
        for axis, option in zip(self.axes, chosen, strict=True):
            if axis.kind == "hardware":
                overrides[axis.name] = self.model.choose(axis.name, axis.labels[option])
            else:
                overrides.update({names[position]: points[option] for position, points in axis.columns})
        evaluation = self.model.evaluate(overrides)
        scenario = self.model.scenario
        shown = []
        for objective in self.objectives:
            base = evaluation.base(objective.name)
            unit = display_unit(scenario.values[objective.name], base if math.isfinite(base) else 1.0)
            number = base / unit.factor
            shown.append(ObjectiveValue(number, unit.text, with_unit(format_number(number, scenario.sig_figs), unit)))
        judged = [(label, *judgement) for label, judgement in zip(self.labels, _judgements(evaluation), strict=True)]
        binding = max(judged, key=lambda j: j[1], default=None)
        warned = bool(self.risky[n]) or any(status != "ok" for _, _, status in judged)
        return Design(
            {axis.name: axis.labels[option] for axis, option in zip(self.axes, chosen, strict=True)},
            shown,
            "warn" if warned else "ok",
            binding[0] if binding else None,
            binding[1] if binding else None,
        )


def _column(points: tuple[float, ...], size: int, stride: int, start: int, stop: int) -> np.ndarray:
    """An axis's values for designs start..stop: each option repeated `stride` times, the pattern repeating
    every `size × stride` designs (C order). No per-design division: a short pattern is tiled, a long one
    is built from the blocks the chunk meets, the first and last cut to the chunk."""
    import numpy as np  # numpy: the grid is arrays

    period, length = size * stride, stop - start
    if period <= length:
        offset = start % period
        pattern = np.repeat(np.asarray(points), stride)
        tiled: np.ndarray = np.tile(pattern, -(-(offset + length) // period))[offset : offset + length]
        return tiled
    first, last = start // stride, (stop - 1) // stride
    blocks = np.arange(first, last + 1)
    counts = np.full(len(blocks), stride)
    counts[0] -= start - first * stride
    counts[-1] -= (last + 1) * stride - stop
    column: np.ndarray = np.repeat(np.asarray(points)[blocks % size], counts)
    return column


def _judgements(evaluation: Evaluation) -> list[tuple[float, str]]:
    """Each budget's and latency path's utilization and status at one design, as engine.judge finds them
    (without building every value's display: only these are listed)."""
    scenario = evaluation.model.scenario
    found: list[tuple[float, str]] = []
    for index, budget in enumerate(scenario.budgets):
        value, limit = evaluation.base(budget.name), evaluation.slot(LimitSlot(index))
        used = utilization(budget.op, value, limit)
        found.append((used, status_of(bool(breaks_limit(budget.op, value, limit)), used, budget.warn)))
    for path in scenario.latency:
        total, limit = path_total(path, evaluation.slot), evaluation.slot(PathBudgetSlot(path.name))
        used = utilization("<=", total, limit)
        found.append((used, status_of(total > limit, used, path.warn)))
    return found


def _quantiles(samples: np.ndarray, limits: np.ndarray, limit: np.ndarray, percentile: float) -> np.ndarray:
    """engine.judge.judged_percentile for each design (a row of samples) at once: an uncertain limit is taken
    into account by measuring each sample against its own sample of the limit."""
    import numpy as np  # numpy: the grid is arrays

    values = samples
    varies = bool(np.all(limit > 0)) and bool(np.all(limits > 0)) and not bool(np.all(limits == limit[:, None]))
    if varies:
        values = samples * (limit[:, None] / limits)
    judged: np.ndarray = np.quantile(values, percentile, axis=1)
    return judged


def _holds(op: str, value: Any, limit: Any) -> Any:
    """Whether a budget holds (False for NaN, which holds nothing): the complement of engine.judge.breaks_limit."""
    if op == "<=":
        return value <= limit
    if op == "<":
        return value < limit
    return value >= limit if op == ">=" else value > limit


def _strides(sizes: list[int]) -> list[int]:
    strides, stride = [], math.prod(sizes)
    for size in sizes:
        stride //= size
        strides.append(stride)
    return strides


class _Slots:
    """A chunk's values: every slot of one call of the compiled scenario, and the inputs it was called with
    (as they come: a value that depends on no choice stays a scalar, and numpy broadcasts it)."""

    def __init__(self, model: Model, arguments: list[Any]):
        self.model, self.arguments = model, arguments
        inputs = len(model.compiled.inputs)
        self.raw = model.vectorized_with(arguments[:inputs], arguments[inputs:])

    def slot(self, key: SlotKey) -> Any:
        return self.raw[self.model.compiled.index[key]]

    def value(self, name: str) -> Any:
        position = self.model.positions.get(name)
        return self.arguments[position] if position is not None else self.slot(DerivedSlot(name))


def _budget_labels(model: Model) -> list[str]:
    """A name for each budget and latency path: the value's name, with its operator when it has two budgets."""
    scenario = model.scenario
    names = [b.name for b in scenario.budgets]
    labels = [f"{b.name} {b.op}" if names.count(b.name) > 1 else b.name for b in scenario.budgets]
    return labels + [f"latency {p.name}" if p.name in names else p.name for p in scenario.latency]


def pareto_front(scores: np.ndarray) -> np.ndarray:
    """The rows no other row dominates (each column to minimize), ordered by the first column, then the next.

    A row is dominated when another is at most as large in every column and smaller in one. Equal rows
    are all kept: neither dominates the other.
    """
    import numpy as np  # numpy: the grid is arrays

    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    order: np.ndarray = np.lexsort(scores.T[::-1])
    ranked = scores[order]
    if scores.shape[1] == 2:
        front: np.ndarray = order[_front_of_two(ranked)]
        return front
    kept: list[int] = []
    for n, row in enumerate(ranked):  # a dominating row comes earlier in lexicographic order
        if kept:
            front = ranked[kept]
            if np.any(np.all(front <= row, axis=1) & np.any(front < row, axis=1)):
                continue
        kept.append(n)
    return order[np.array(kept, dtype=np.int64)]


def _front_of_two(ranked: np.ndarray) -> np.ndarray:
    """Two columns, rows sorted by (first, second): a row is on the front when its second column is below every
    earlier row's with a smaller first column, and it is the smallest second of its own first (ties kept)."""
    import numpy as np  # numpy: the grid is arrays

    first, second = ranked[:, 0], ranked[:, 1]
    group_start = np.r_[True, first[1:] != first[:-1]]
    group_id = np.cumsum(group_start) - 1
    group_min = np.minimum.reduceat(second, np.flatnonzero(group_start))
    best_before = np.r_[np.inf, np.minimum.accumulate(group_min)[:-1]]
    mask = (second == group_min[group_id]) & (second < best_before[group_id])
    return np.flatnonzero(mask)


def parse_objectives(minimize: Sequence[str], maximize: Sequence[str], order: Sequence[str]) -> list[Objective]:
    """The objectives in the order written on the command line (`order` is argv)."""
    found = [Objective(n, "min") for n in minimize] + [Objective(n, "max") for n in maximize]
    position = {name: n for n, name in enumerate(order)}
    return sorted(found, key=lambda o: position.get(o.name, len(order)))
