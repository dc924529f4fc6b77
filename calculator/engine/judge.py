"""Stage 8, judge: an evaluation turned into a Result: values in display units, budgets and paths with a status.

Status per budget (docs/format.md, budgets): `fail` when the value breaks the limit;
`warn` when utilization reaches the budget's warn share (or, with uncertainty,
when the probability of violation reaches the scenario's risk); else `ok`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from calculator.common.collector import building
from calculator.common.errors import Location
from calculator.common.numbers import format_exact, format_number
from calculator.engine.results import BudgetResult, PathResult, Result, StageResult, Status, ValueResult, with_unit, worst
from calculator.engine.scenario import Budget, CheckedValue, LatencyPath, Stage
from calculator.engine.slots import LimitSlot, PathBudgetSlot, SlotKey, StageSlot
from calculator.engine.uncertainty import percentiles
from calculator.formula.expr import Binary, Call, Expr, Name, Unary
from calculator.formula.numeric import interpret
from calculator.formula.queueing import unstable_utilization
from calculator.units.system import Dimension, Unit, readable_unit

if TYPE_CHECKING:
    from calculator.engine.model import Evaluation
    from calculator.engine.uncertainty import Simulation


def judge(evaluation: Evaluation, simulation: Simulation | None = None) -> Result:
    with building():  # a result's values: many small objects that live as long as it, and no garbage
        return _judged(evaluation, simulation)


def _judged(evaluation: Evaluation, simulation: Simulation | None) -> Result:
    scenario = evaluation.model.scenario
    values = {
        v.name: _value_result(v, evaluation.base(v.name), scenario.sig_figs, evaluation)
        for v in [*scenario.inputs, *scenario.derived]
    }
    budgets = [_budget_result(b, i, evaluation, values[b.name]) for i, b in enumerate(scenario.budgets)]
    paths = [_path_result(p, evaluation) for p in scenario.latency]
    if simulation is not None:
        _add_uncertainty(evaluation, simulation, values, budgets, paths)
    status = worst([b.status for b in budgets] + [p.status for p in paths])
    hardware = {name: entry.id for name, entry in scenario.hardware.items()}
    return Result(
        scenario.name, scenario.file, status, values, budgets, paths, scenario.sig_figs, scenario.hardware.overrides(), hardware
    )


def _add_uncertainty(
    evaluation: Evaluation,
    simulation: Simulation,
    values: dict[str, ValueResult],
    budgets: list[BudgetResult],
    paths: list[PathResult],
) -> None:
    """Percentiles of every value and the probability that each budget breaks."""
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):  # samples that divided by zero compare as they are, without a warning
        _add_sampled(evaluation, simulation, values, budgets, paths)


def _add_sampled(
    evaluation: Evaluation,
    simulation: Simulation,
    values: dict[str, ValueResult],
    budgets: list[BudgetResult],
    paths: list[PathResult],
) -> None:
    import numpy as np  # numpy: only for uncertain inputs

    scenario = evaluation.model.scenario
    spreads = evaluation.spreads
    # Inputs need no sampled percentiles: an uncertain one has exact quantiles, a certain one is a point.
    derived = [name for name in values if values[name].kind == "derived"]
    sampled = (
        dict(zip(derived, percentiles([simulation.input_or_slot(evaluation, n) for n in derived]), strict=True))
        if derived
        else {}
    )
    for name in values:
        point = values[name].base
        p05, p50, p95 = spreads[name].quantiles() if name in spreads else sampled.get(name, (point, point, point))
        factor = values[name].unit.factor
        values[name].p05, values[name].p50, values[name].p95 = p05 / factor, p50 / factor, p95 / factor
    for index, (budget, result) in enumerate(zip(scenario.budgets, budgets, strict=True)):
        samples = simulation.input_or_slot(evaluation, budget.name)
        limits = simulation.slots[evaluation.model.compiled.index[LimitSlot(index)]]
        result.p_violation = float(np.mean(breaks_limit(budget.op, samples, limits)))
        if budget.percentile is not None:
            limit = evaluation.slot(LimitSlot(index))
            judged = judged_percentile(samples, limits, limit, budget.percentile)
            result.judged = judged / result.unit.factor
            result.utilization = utilization(budget.op, judged, limit)
            broken = bool(breaks_limit(budget.op, judged, limit)) or math.isnan(judged)  # NaN: inf − inf in a sample
            result.status = status_of(broken, result.utilization, budget.warn)
        elif result.status == "ok" and result.p_violation >= scenario.risk:
            result.status = "warn"
    positions = evaluation.model.compiled.index

    def samples_of(key: SlotKey) -> Any:
        return simulation.slots[positions[key]]

    for path, path_result in zip(scenario.latency, paths, strict=True):
        totals = path_total(path, samples_of, np.maximum)
        limits = samples_of(PathBudgetSlot(path.name))
        path_result.p_violation = float(np.mean(totals > limits))
        if path.percentile is not None:
            limit = evaluation.slot(PathBudgetSlot(path.name))
            judged = judged_percentile(totals, limits, limit, path.percentile)
            path_result.judged = judged / path_result.unit.factor
            path_result.utilization = utilization("<=", judged, limit)
            path_result.status = status_of(judged > limit or math.isnan(judged), path_result.utilization, path.warn)
        elif path_result.status == "ok" and path_result.p_violation >= scenario.risk:
            path_result.status = "warn"


def judged_percentile(samples: Any, limits: Any, limit: float, percentile: float) -> float:
    """The `percentile` quantile of a value's samples (base units), judged against `limit`, its point limit.

    A limit that is uncertain too is taken into account: the value is measured against its own sample
    of the limit (value × limit / that sample), which is the value itself when the limit is fixed.
    """
    import numpy as np  # numpy: only for uncertain inputs

    values = np.asarray(samples, dtype=float)
    bounds = np.asarray(limits, dtype=float)
    if limit > 0 and bool(np.all(bounds > 0)) and not bool(np.all(bounds == limit)):
        values = values * (limit / bounds)
    return float(np.quantile(values, percentile))


def display_unit(value: CheckedValue, base: float) -> Unit:
    return value.display or readable_unit(value.dimension, base)


def _value_result(value: CheckedValue, base: float, sig_figs: int, evaluation: Evaluation) -> ValueResult:
    unit = display_unit(value, base if math.isfinite(base) else 1.0)
    shown = base / unit.factor
    exact = value.kind == "input" and not value.uncertain  # a count as written: 8,192 gpu, not 8.19k
    text = with_unit((format_exact if exact else format_number)(shown, sig_figs), unit)
    formula = value.formula.text if value.formula else None
    reason = None
    if math.isinf(base) and value.formula is not None:
        reason = unstable_reason(evaluation, value.formula.expr, value.text_location)
        text = f"{text} ({reason})"
    return ValueResult(value.name, value.kind, shown, unit, text, formula, value.note, base, reason=reason)


def unstable_reason(evaluation: Evaluation, expr: Expr, where: Location) -> str:
    """Why an infinite value is infinite: the first unstable queue it reaches, with its utilization."""
    model = evaluation.model
    values = {name: evaluation.base(name) for name in model.scenario.values}
    pending: list[tuple[Expr, Location]] = [(expr, where)]
    seen: set[str] = set()
    while pending:
        node, at = pending.pop(0)
        if isinstance(node, Call):
            args = [interpret(a, values, model.leaf_value) for a in node.args]
            load = unstable_utilization(node.function, args)
            if load is not None:
                return f"unstable queue: utilization {format_number(load * 100, 3)}% in {node.function}()"
            pending += [(a, at) for a in node.args]
        elif isinstance(node, Unary):
            pending.append((node.operand, at))
        elif isinstance(node, Binary):
            pending += [(node.left, at), (node.right, at)]
        elif isinstance(node, Name) and node.name not in seen and math.isinf(values.get(node.name, 0.0)):
            seen.add(node.name)
            value = model.scenario.values[node.name]
            if value.formula is not None:
                pending.append((value.formula.expr, value.text_location))
    return "unstable queue"


def status_of(breaks: bool, utilization: float, warn: float) -> Status:
    if breaks:
        return "fail"
    return "warn" if utilization >= warn else "ok"


def breaks_limit(op: str, value: Any, limit: Any) -> Any:
    """Whether `value` breaks the limit: a bool for floats, an array of them for samples."""
    if op == "<=":
        return value > limit
    if op == "<":
        return value >= limit
    return value < limit if op == ">=" else value <= limit


def utilization(op: str, value: float, limit: float) -> float:
    """value/limit for upper limits, limit/value for lower ones."""
    numerator, denominator = (value, limit) if op in ("<=", "<") else (limit, value)
    if op in (">=", ">") and value <= 0 < limit:
        return float("inf")  # nothing of a lower limit is met
    if denominator == 0:
        return 0.0 if numerator == 0 else float("inf")
    return numerator / denominator


def _budget_result(budget: Budget, index: int, evaluation: Evaluation, value: ValueResult) -> BudgetResult:
    limit = evaluation.slot(LimitSlot(index))
    used = utilization(budget.op, value.base, limit)
    status = status_of(breaks_limit(budget.op, value.base, limit), used, budget.warn)
    written = evaluation.model.scenario.limit_units[index]
    judged = value.value if budget.percentile is not None else None  # no samples: the percentile is the point
    return BudgetResult(
        budget.name,
        budget.op,
        value.value,
        limit / value.unit.factor,
        value.unit,
        used,
        status,
        budget.warn,
        note=budget.note,
        location=budget.text_location,
        limit_unit=written,
        reason=value.reason,
        percentile=budget.percentile,
        judged=judged,
    )


def _path_result(path: LatencyPath, evaluation: Evaluation) -> PathResult:
    unit = evaluation.model.scenario.path_units.get(path.name) or _MS
    stages = [_stage_result(s, (s.name,), path, evaluation, unit) for s in path.stages]
    total = sum(s.value for s in stages)
    budget = evaluation.slot(PathBudgetSlot(path.name)) / unit.factor
    used = utilization("<=", total, budget)
    reason = None
    if math.isinf(total):
        reason = next(
            unstable_reason(evaluation, formula.expr, where)
            for names, formula, where in path.leaves()
            if math.isinf(evaluation.slot(StageSlot(path.name, names)))
        )
    return PathResult(
        path.name,
        budget,
        total,
        unit,
        used,
        status_of(total > budget, used, path.warn),
        stages,
        location=path.location,
        reason=reason,
        percentile=path.percentile,
        judged=total if path.percentile is not None else None,  # no samples: the percentile is the point
    )


def path_total(path: LatencyPath, slot: Callable[[SlotKey], Any], larger: Callable[[Any, Any], Any] = max) -> Any:
    """A latency path's total in base units: stages add up, a parallel group counts its slowest branch.

    `slot` gives a stage's value (a float, or an array of samples with `larger=np.maximum`).
    """
    return sum(_stage_total(stage, (stage.name,), path, slot, larger) for stage in path.stages)


def _stage_total(
    stage: Stage, names: tuple[str, ...], path: LatencyPath, slot: Callable[[SlotKey], Any], larger: Callable[[Any, Any], Any]
) -> Any:
    if stage.formula is not None:
        return slot(StageSlot(path.name, names))
    children = [_stage_total(c, (*names, c.name), path, slot, larger) for c in (stage.parallel or stage.sequence or [])]
    return functools.reduce(larger, children) if stage.parallel is not None else sum(children)


def _stage_result(stage: Stage, names: tuple[str, ...], path: LatencyPath, evaluation: Evaluation, unit: Unit) -> StageResult:
    if stage.formula is not None:
        return StageResult(stage.name, evaluation.slot(StageSlot(path.name, names)) / unit.factor)
    children = [_stage_result(c, (*names, c.name), path, evaluation, unit) for c in (stage.parallel or stage.sequence or [])]
    if stage.parallel is not None:
        return StageResult(stage.name, max(c.value for c in children), parallel=children)
    return StageResult(stage.name, sum(c.value for c in children), sequence=children)


def _milliseconds() -> Unit:
    return Unit(1e-3, Dimension.of({"[time]": 1}), "ms", (("millisecond", 1.0),))


_MS = _milliseconds()
