"""Uncertain inputs: their distributions, and Monte Carlo through the compiled scenario.

`A to B` is a 90% interval: lognormal when both bounds are positive (a product
of guesses stays positive and skewed), else normal. Sampling, the scenario's
formulas and the percentiles are all vectorized: one call of the compiled
function on arrays, one partition for every output's percentiles.
numpy is imported here only, so evaluating a certain scenario never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

from calculator.common.errors import EvaluationError, Location, ShapeError, UnknownNameError, did_you_mean
from calculator.common.records import record
from calculator.engine.slots import DerivedSlot

if TYPE_CHECKING:
    import numpy as np

    from calculator.engine.model import Evaluation

Z90 = 1.6448536269514722  # the standard normal's 95th percentile: a 90% interval is ±Z90 sd
PERCENTILES = (5.0, 50.0, 95.0)
Part = TypeVar("Part")
Done = TypeVar("Done")
PARALLEL_DRAWS = 500_000  # samples × rows above which two threads share the work (~1 ms to start them)
MEMORY_BUDGET_BYTES = 512 << 20
"""What the samples of one Monte Carlo run may hold (every input and slot, 8 bytes a sample), unless
`settings.memory_budget` says otherwise; a run that needs more is refused, saying how many samples fit."""
PERCENTILE_BLOCK_BYTES = 32 << 20
"""The working copy percentiles partition at a time: rows are taken in blocks of about this size."""


@record
class Spread:
    """An input's distribution in base units: lognormal (mu, sigma of ln), normal (mean, sd), uniform (low, high)."""

    kind: Literal["lognormal", "normal", "uniform"]
    a: float
    b: float

    @staticmethod
    def interval(low: float, high: float) -> Spread:
        """The distribution whose 5th and 95th percentiles are `low` and `high`."""
        if low > 0:
            return Spread("lognormal", (math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / (2 * Z90))
        return Spread("normal", (low + high) / 2, (high - low) / (2 * Z90))

    def quantiles(self) -> tuple[float, float, float]:
        """The exact p5, p50 and p95 (an input shows these, not sampled ones: `2B to 8B` stays 2B – 8B)."""
        if self.kind == "lognormal":
            return math.exp(self.a - Z90 * self.b), math.exp(self.a), math.exp(self.a + Z90 * self.b)
        if self.kind == "normal":
            return self.a - Z90 * self.b, self.a, self.a + Z90 * self.b
        width = self.b - self.a
        return self.a + 0.05 * width, self.a + 0.5 * width, self.a + 0.95 * width

    @property
    def median(self) -> float:
        if self.kind == "lognormal":
            return math.exp(self.a)
        return self.a if self.kind == "normal" else (self.a + self.b) / 2

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        if self.kind == "lognormal":
            return rng.lognormal(self.a, self.b, count)
        if self.kind == "normal":
            return rng.normal(self.a, self.b, count)
        return rng.uniform(self.a, self.b, count)


class InputValue(float):
    """An input's new value: a float in base units that may carry a spread (`50M to 200M user`)."""

    spread: Spread | None

    def __new__(cls, point: float, spread: Spread | None = None) -> InputValue:
        value = super().__new__(cls, point)
        value.spread = spread
        return value


@record(frozen=False)
class Simulation:
    """Samples of every uncertain input and every slot, in base units."""

    count: int
    inputs: dict[str, np.ndarray]
    slots: list[np.ndarray]

    def input_or_slot(self, evaluation: Evaluation, name: str) -> np.ndarray:
        import numpy as np  # numpy: only for uncertain inputs

        if name in self.inputs:
            return self.inputs[name]
        position = evaluation.model.positions.get(name)
        if position is not None:
            return np.full(self.count, evaluation.arguments[position])
        return self.slots[evaluation.model.compiled.index[DerivedSlot(name)]]

    def histogram(self, evaluation: Evaluation, name: str, bins: int = 12) -> list[HistogramBin]:
        """The samples of a value (base units) in `bins` equal bins from its 1st to its 99th percentile
        (the tails clipped into the end bins); empty when the value does not spread."""
        import numpy as np  # numpy: only for uncertain inputs

        samples = np.asarray(self.input_or_slot(evaluation, name), dtype=float)
        low, high = (float(x) for x in np.percentile(samples, [1, 99]))
        if not math.isfinite(low) or not math.isfinite(high) or low == high:
            return []
        counts, edges = np.histogram(np.clip(samples, low, high), bins=bins, range=(low, high))
        total = int(counts.sum()) or 1
        return [HistogramBin(float(edges[i]), float(edges[i + 1]), float(counts[i]) / total) for i in range(len(counts))]


@record
class HistogramBin:
    """One bin of a Monte Carlo value: its edges (base units) and the share of the samples in it."""

    low: float
    high: float
    share: float


def samples_that_fit(rows: int, budget: float) -> int:
    """How many samples of `rows` arrays (8 bytes a sample) fit in `budget` bytes."""
    return int(budget // (8 * max(rows, 1)))


def refuse_over_budget(rows: int, count: int, budget: float, file: str) -> None:
    """An EvaluationError when `count` samples of `rows` values need more than `budget` bytes."""
    fit = samples_that_fit(rows, budget)
    if count > fit:
        raise EvaluationError(
            f"Monte Carlo of {rows:,} values × {count:,} samples needs {8 * rows * count / 1e6:,.0f} MB, over the"
            f" memory budget of {budget / 1e6:,.0f} MB: at most {fit:,} samples fit",
            Location(file),
            hint=f"set settings.samples (or --samples) to {max(fit, 100):,} or fewer, or raise settings.memory_budget",
        )


def simulate(
    evaluation: Evaluation, spreads: Mapping[str, Spread], count: int, seed: int, correlations: Mapping[tuple[str, str], float]
) -> Simulation:
    """Draw every uncertain input, correlate them, and run the compiled scenario once on the arrays
    (refused before anything is drawn when the samples would not fit in the scenario's memory budget)."""
    model = evaluation.model
    refuse_over_budget(len(model.compiled.slots) + len(spreads), count, model.scenario.memory_budget, model.scenario.file)
    import numpy as np  # numpy: only for uncertain inputs

    rng = np.random.default_rng(seed)
    draws = draw(spreads, rng, count)
    if correlations:
        draws.update(rank_correlated(draws, correlations, rng))
    arguments = [draws.get(name, point) for name, point in zip(model.compiled.inputs, evaluation.arguments, strict=True)]
    with np.errstate(all="ignore"):
        raw = model.vectorized(*arguments)
    slots = [np.broadcast_to(np.asarray(s, dtype=float), (count,)) for s in raw]
    return Simulation(count, draws, slots)


def draw(spreads: Mapping[str, Spread], rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Samples of every spread. Normals and lognormals are drawn as two blocks from two child streams
    of `rng`, on two threads when there are many: numpy draws and takes exponentials without the GIL,
    so both cores work. The samples are the same whether the blocks run in parallel or not."""

    draws = {name: spread.sample(rng, count) for name, spread in spreads.items() if spread.kind == "uniform"}
    shaped = [(name, spread) for name, spread in spreads.items() if spread.kind != "uniform"]
    if not shaped:
        return draws
    middle = (len(shaped) + 1) // 2
    jobs = [(part, stream) for part, stream in zip((shaped[:middle], shaped[middle:]), rng.spawn(2), strict=True) if part]
    blocks = _each(lambda job: _draw_block(job[0], job[1], count), jobs, count * len(shaped) >= PARALLEL_DRAWS)
    for block in blocks:
        draws.update(block)
    return draws


def _each(work: Callable[[Part], Done], parts: Sequence[Part], parallel: bool) -> list[Done]:
    """`work` on every part, in order; on a thread each when `parallel` (numpy's heavy calls release the GIL)."""
    if not parallel or len(parts) < 2:
        return [work(part) for part in parts]
    from concurrent.futures import ThreadPoolExecutor  # threads: only for large Monte Carlo runs

    with ThreadPoolExecutor(len(parts)) as pool:
        return list(pool.map(work, parts))


def _draw_block(shaped: list[tuple[str, Spread]], rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Normals and lognormals as one block of standard normals, scaled and shifted (faster than a call each)."""
    import numpy as np  # numpy: only for uncertain inputs

    block = rng.standard_normal((len(shaped), count))
    block *= np.array([[spread.b] for _, spread in shaped])
    block += np.array([[spread.a] for _, spread in shaped])
    return {
        name: np.exp(row, out=row) if spread.kind == "lognormal" else row
        for row, (name, spread) in zip(block, shaped, strict=True)
    }


def rank_correlated(
    draws: dict[str, np.ndarray], correlations: Mapping[tuple[str, str], float], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Iman-Conover: reorder each input's samples so their ranks carry the asked correlations.

    The marginals are untouched (only the order of samples changes), so each input keeps
    its distribution while sums of correlated guesses get their honest, wider spread.
    """
    import numpy as np  # numpy: only for uncertain inputs

    names = sorted({name for pair in correlations for name in pair})
    position = {name: i for i, name in enumerate(names)}
    target = np.eye(len(names))
    for (first, second), rho in correlations.items():
        target[position[first], position[second]] = target[position[second], position[first]] = rho
    count = len(draws[names[0]])
    scores = rng.standard_normal((count, len(names)))
    try:
        wanted = np.linalg.cholesky(target)
    except np.linalg.LinAlgError:
        raise ShapeError("the correlations contradict each other (their matrix is not positive definite)") from None
    have = np.linalg.cholesky(np.corrcoef(scores, rowvar=False))
    shaped = scores @ np.linalg.inv(have).T @ wanted.T
    result = {}
    for name, column in zip(names, shaped.T, strict=True):
        ranks = np.argsort(np.argsort(column))
        result[name] = np.sort(draws[name])[ranks]
    return result


def percentiles(rows: Sequence[np.ndarray]) -> np.ndarray:
    """p5, p50, p95 of many sample arrays at once (linear interpolation, as np.percentile).

    One single-rank partition at the median, then one in each half, in place:
    about three times faster than `np.percentile`, which partitions the whole
    array once per rank it needs — the costliest step of Monte Carlo otherwise.
    Many rows are split in two and done on two threads (numpy partitions
    without the GIL); each row's figures are the same either way.
    """
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):  # a sample that divided by zero is inf or nan: its percentile says so
        return _percentiles_in_blocks(rows)


def _percentiles_in_blocks(rows: Sequence[np.ndarray]) -> np.ndarray:
    import numpy as np  # numpy: only for uncertain inputs

    step = max(1, PERCENTILE_BLOCK_BYTES // (8 * len(rows[0]))) if rows else 1
    if len(rows) > step:  # in blocks of rows: the partitioned copy stays small
        blocks: np.ndarray = np.vstack([_percentiles_in_blocks(rows[i : i + step]) for i in range(0, len(rows), step)])
        return blocks
    if len(rows) < 2 or len(rows) * len(rows[0]) < PARALLEL_DRAWS:
        return _percentiles(rows)
    middle = len(rows) // 2
    result: np.ndarray = np.vstack(_each(_percentiles, [rows[:middle], rows[middle:]], parallel=True))
    return result


def _percentiles(rows: Sequence[np.ndarray]) -> np.ndarray:
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):  # again here: numpy's error state is per thread
        return _partitioned_percentiles(rows)


def _partitioned_percentiles(rows: Sequence[np.ndarray]) -> np.ndarray:
    import numpy as np  # numpy: only for uncertain inputs

    data = np.vstack(rows)  # a copy of our own, partitioned in place below
    count = data.shape[1]
    if count < 20:  # too few samples for the halves to hold every rank: the plain way
        plain: np.ndarray = np.percentile(data, PERCENTILES, axis=1).T
        return plain
    positions = [p / 100 * (count - 1) for p in PERCENTILES]
    middle = math.floor(positions[1])
    p50 = _select(data, middle, positions[1] - middle, None)
    low, high = data[:, :middle], data[:, middle + 1 :]
    k05, k95 = math.floor(positions[0]), math.floor(positions[2])
    p05 = _select(low, k05, positions[0] - k05, data[:, middle]) if k05 < middle else p50
    p95 = _select(high, k95 - middle - 1, positions[2] - k95, None) if k95 > middle else p50
    result: np.ndarray = np.column_stack([p05, p50, p95])
    return result


def _select(block: np.ndarray, k: int, weight: float, after: np.ndarray | None) -> np.ndarray:
    """The k-th smallest of each row, interpolated towards the (k+1)-th by `weight`; partitions `block` in place.

    `after` is the next value when the (k+1)-th lies just beyond the block.
    """
    block.partition(k, axis=1)
    kth = block[:, k]
    if weight == 0:
        return kth.copy()
    following = block[:, k + 1 :].min(axis=1) if k + 1 < block.shape[1] else after if after is not None else kth
    return _between(kth, following, weight)


def _between(low: np.ndarray, high: np.ndarray, weight: float) -> np.ndarray:
    """low + (high - low)·weight, and infinity between two infinities (an unstable queue's waits), not NaN."""
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(invalid="ignore"):
        between: np.ndarray = np.where(low == high, low, low + (high - low) * weight)
    return between


def point_correlated(name: str, text: str, set_at: Location, where: Location) -> ShapeError:
    """A correlation that names an input given as one number: the error, at the correlation."""
    return ShapeError(
        f"correlation names '{name}', which is a point value ({text}), not an uncertain input",
        where,
        hint=f"write '{name}' (set at {set_at}) as 'A to B', normal() or uniform(), or drop this correlation",
    )


def correlation_pairs(
    raw: Mapping[str, str],
    locate: Callable[[str], Location],
    uncertain: set[str],
    points: Mapping[str, tuple[str, Location]] | None = None,
) -> dict[tuple[str, str], float]:
    """`correlations: {[a, b]: 0.6}` as pairs of uncertain inputs with a coefficient in [-1, 1];
    `locate(key)` is where the pair `key` ('a|b') is written; `points`: the inputs that are point
    values, with their text and where it is set (a point value named is a mistake of shape, not of name)."""
    pairs: dict[tuple[str, str], float] = {}
    for key, text in raw.items():
        where = locate(key)
        names = tuple(key.split("|"))
        if len(names) != 2 or names[0] == names[1]:
            raise ShapeError(f"a correlation names two different inputs, as [a, b], not '{key}'", where)
        for name in names:
            if name in (points or {}):
                raise point_correlated(name, *(points or {})[name], where)
            if name not in uncertain:
                raise UnknownNameError(
                    f"correlation names '{name}', which is not an uncertain input",
                    where,
                    hint=did_you_mean(name, uncertain)
                    or "only inputs written as 'A to B', normal() or uniform() can be correlated",
                )
        try:
            rho = float(str(text).strip())
        except ValueError:
            raise ShapeError(f"a correlation is a number from -1 to 1, not '{text}'", where) from None
        if not -1 < rho < 1:
            raise ShapeError(f"a correlation must be between -1 and 1 (exclusive), not {rho:g}", where)
        pair = (names[0], names[1])
        for seen in (pair, pair[::-1]):
            if seen in pairs:
                raise ShapeError(
                    f"the correlation of {names[0]} and {names[1]} is given twice ({pairs[seen]:g} and {rho:g})",
                    where,
                    hint="keep one of them",
                )
        pairs[pair] = rho
    if len(pairs) > 2:  # two pairs in (-1, 1) always fit together
        _check_consistent(pairs, locate("|".join(list(pairs)[-1])))
    return pairs


def _check_consistent(pairs: Mapping[tuple[str, str], float], where: Location) -> None:
    """The pairs' matrix must be positive definite; the error is at the last pair, which the others contradict."""
    import numpy as np  # numpy: only for correlated uncertain inputs

    names = sorted({name for pair in pairs for name in pair})
    position = {name: i for i, name in enumerate(names)}
    target = np.eye(len(names))
    for (first, second), rho in pairs.items():
        target[position[first], position[second]] = target[position[second], position[first]] = rho
    try:
        np.linalg.cholesky(target)
    except np.linalg.LinAlgError:
        listed = ", ".join(f"{a}~{b} {rho:g}" for (a, b), rho in pairs.items())
        raise ShapeError(
            f"the correlations contradict each other ({listed}): no set of inputs can have them all",
            where,
            hint="weaken one: their matrix must be positive definite",
        ) from None
