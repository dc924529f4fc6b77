"""Waiting in queues, for formulas: M/M/c (Erlang C) and dynamic batching.

Every argument is in base units: `rate` per second, `service_time` in seconds
(per request), `servers` and `batch` counts. A batch holds whole requests (a
fraction is rounded down). A fractional server count (a Monte Carlo sample of a
derived replica count) is interpolated linearly between the whole counts
around it: exact at whole counts, continuous between them, so derivatives and
bisection see no steps; the queue is unstable when the load reaches the whole
count below (a fraction of a replica serves nothing on its own).

M/M/c: Poisson arrivals at `rate`, exponential service of mean `service_time`,
`servers` identical servers, first come first served, an unbounded queue. With
offered load a = rate·service_time and c servers, the Erlang B blocking
probability comes from the standard recurrence B(0) = 1,
B(k) = a·B(k-1) / (k + a·B(k-1)) — no factorial, no overflow, stable for
thousands of servers — and Erlang C = B / (1 - (a/c)(1 - B)), computed as
B / ((1 - a/c) + (a/c)·B) to avoid the cancellation near a = c. Monte Carlo
runs the same recurrence inverted, 1/B(k) = 1 + k/(a·B(k-1)), in place over
the samples. A queue with a ≥ c (utilization ≥ 1) never drains: its wait is infinite (`math.inf`), which
the engine shows and judges as an unstable queue.

G/G/c (Allen–Cunneen): general arrivals and service times, described by their
coefficients of variation ca (arrival gaps) and cs (service times), wait on
average about the M/M/c mean wait times (ca² + cs²)/2. It is exact for M/M/c
(ca = cs = 1) and for M/G/1 (the Pollaczek–Khinchine formula); for several
servers it is a heavy-traffic approximation. Against simulation (Poisson
arrivals, 3–8 servers) it is within ~6% at 60–85% busy, and it understates
light loads: by ~20% for fixed-time service on 8 servers at 50% busy.

Dynamic batching: a batch opens with its first request and closes when it holds
`batch` requests or `timeout` after it opened, whichever comes first; arrivals
are Poisson. With m = rate·timeout and N ~ Poisson(m) the arrivals in one
timeout, the mean wait of a request before its batch closes is exactly
  Σ_{j=1}^{B-1} j·P(N ≥ j) / (rate · (1 + Σ_{j=1}^{B-1} P(N ≥ j)))
(renewal-reward over one batch), which tends to (B-1)/(2·rate) when the
timeout never fires and to the timeout when requests come alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def _whole(count: float) -> int:
    return math.floor(count) if math.isfinite(count) else 0


def utilization(rate: float, service_time: float, servers: float) -> float:
    """rate × service_time / servers: the share of the time each server is busy (≥ 1: unstable)."""
    if servers <= 0:
        return math.inf
    return rate * service_time / servers


def erlang_b(load: float, servers: int) -> float:
    """The Erlang B blocking probability of `servers` servers under offered load `load`."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
        if blocking == 0.0:  # underflow: it stays 0 for every further server (solve may try 2^60 of them)
            break
    return blocking


def erlang_c(rate: float, service_time: float, servers: float) -> float:
    """The probability that a request waits (1 when the queue is unstable)."""
    return _between_counts(lambda count: _erlang_c_whole(rate, service_time, count), servers)


def queue_wait(rate: float, service_time: float, servers: float, quantile: float | None = None) -> float:
    """The mean wait in the queue of an M/M/c, or its `quantile` (0 < q < 1); infinite when unstable."""
    if quantile is not None and not 0 < quantile < 1:
        raise ValueError("a quantile must be between 0% and 100%")
    return _between_counts(lambda count: _wait_whole(rate, service_time, count, quantile), servers)


def general_queue_wait(rate: float, service_time: float, servers: float, service_cv: float, arrival_cv: float = 1.0) -> float:
    """The Allen–Cunneen G/G/c mean wait: the M/M/c mean wait × (ca² + cs²)/2 (module docstring)."""
    _check_variations(service_cv, arrival_cv)
    return queue_wait(rate, service_time, servers) * (arrival_cv**2 + service_cv**2) / 2


def _check_variations(*variations: float) -> None:
    if any(v < 0 for v in variations):
        raise ValueError("a coefficient of variation cannot be negative")


def _between_counts(of_count: Callable[[int], float], servers: float) -> float:
    """`of_count` at a whole server count, or interpolated linearly between the two around a fractional one."""
    count = _whole(servers)
    share = servers - count if math.isfinite(servers) else 0.0
    low = of_count(count)
    if share == 0 or math.isinf(low):
        return low
    return low + (of_count(count + 1) - low) * share


def _erlang_c_whole(rate: float, service_time: float, count: int) -> float:
    _check_nonnegative(rate, service_time)
    load = rate * service_time
    if count < 1 or load >= count:
        return 1.0
    blocking = erlang_b(load, count)
    rho = load / count
    return blocking / ((1 - rho) + rho * blocking)  # = B / (1 - ρ(1 - B)), without its cancellation near ρ = 1


def _wait_whole(rate: float, service_time: float, count: int, quantile: float | None) -> float:
    load = rate * service_time
    if count < 1 or load >= count:
        return math.inf
    waiting = _erlang_c_whole(rate, service_time, count)
    if service_time == 0 or waiting == 0:
        return 0.0
    drain = (count - load) / service_time  # cμ - λ: the rate at which the queue empties
    if quantile is None:
        return waiting / drain
    return max(0.0, math.log(waiting / (1 - quantile)) / drain)


def batch_wait(rate: float, batch: float, timeout: float) -> float:
    """The mean wait of a request for its batch to close (module docstring: the model)."""
    _check_nonnegative(rate, timeout)
    size = _whole(batch)
    if size <= 1 or timeout == 0:
        return 0.0
    expected = rate * timeout
    if expected == 0:
        return timeout  # requests come alone: each waits out the timeout
    weighted = filled = 0.0
    for j, tail in enumerate(_poisson_tails(expected, size - 1), start=1):
        weighted += j * tail
        filled += tail
    return weighted / (rate * (1 + filled))


def _poisson_tails(mean: float, count: int) -> list[float]:
    """P(N ≥ j) for j = 1..count, N ~ Poisson(mean), from log-space terms (no underflow of e^-mean)."""
    tails, below = [], 0.0
    for j in range(count):
        below += math.exp(-mean + j * math.log(mean) - math.lgamma(j + 1))
        tails.append(max(0.0, 1.0 - below))
    return tails


def _check_nonnegative(*figures: float) -> None:
    if any(f < 0 for f in figures):
        raise ValueError("a queue's rate, service time and timeout cannot be negative")


def unstable_utilization(function: str, args: list[float]) -> float | None:
    """The utilization of a call that returned an infinite wait, or None when it is stable."""
    if function not in ("queue_wait", "general_queue_wait"):
        return None
    rate, service_time, servers = args[:3]
    count = _whole(servers)
    load = rate * service_time
    if count >= 1 and load < count:
        return None
    return load / count if count >= 1 else math.inf


SCALAR: dict[str, Callable[..., Any]] = {
    "utilization": utilization,
    "erlang_c": erlang_c,
    "queue_wait": queue_wait,
    "general_queue_wait": general_queue_wait,
    "batch_wait": batch_wait,
}


def array_functions() -> dict[str, Callable[..., Any]]:
    """The same functions over numpy arrays (Monte Carlo); each element equals the scalar function's."""
    return {
        "utilization": _utilization_array,
        "erlang_c": _erlang_c_array,
        "queue_wait": _queue_wait_array,
        "general_queue_wait": _general_queue_wait_array,
        "batch_wait": _batch_wait_array,
    }


def _utilization_array(rate: Any, service_time: Any, servers: Any) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):
        servers = np.asarray(servers, dtype=float)
        return np.where(servers > 0, np.asarray(rate, dtype=float) * service_time / np.where(servers > 0, servers, 1), np.inf)


def _inverse_erlang_b_array(load: Any, count: Any) -> tuple[Any, Any]:
    """1/B at each element's whole server count, by 1/B(k) = 1 + k/(a·B(k-1)), and 1/a (for the count above).

    The same recurrence as `erlang_b`, inverted so that each step is three in-place array operations
    (no division, no temporary arrays): Monte Carlo runs it once per server for every sample. A zero
    load gives an infinite 1/B (B = 0: nobody is blocked); so does an overflow (B below 1e-308).
    """
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(divide="ignore", over="ignore"):
        reciprocal = 1.0 / load
    whole_count = np.ndim(count) == 0
    if whole_count and 1 <= count <= HORNER_MAX_SERVERS and np.ndim(load):
        return _inverse_erlang_b_horner(reciprocal, int(count)), reciprocal
    inverse = np.ones(np.broadcast(load, count).shape)
    step = inverse if whole_count else np.empty_like(inverse)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(np.max(count, initial=0)) + 1):
            np.multiply(inverse, reciprocal, out=step)
            step *= k
            step += 1.0
            if not whole_count:  # each element stops at its own count
                np.copyto(inverse, step, where=count >= k)
            if k % 64 == 0 and np.isinf(inverse).all():  # B underflowed everywhere: it stays 0 for every further server
                break
    return inverse, reciprocal


PARALLEL_SAMPLES = 50_000  # samples above which two threads share a queue's arithmetic (numpy releases the GIL)


HORNER_MAX_SERVERS = 170  # c!/(c-j)! fits a float up to 170! (7e306)


def _inverse_erlang_b_horner(reciprocal: Any, count: int) -> Any:
    """1/B(c) = Σ_j c!/(c-j)! (1/a)^j, by Horner's rule: two in-place operations a server, not three.

    The same sum the recurrence builds (1/B(k) = 1 + k/(a·B(k-1)), unrolled), with positive terms
    only, so no cancellation; for one whole server count shared by every sample.
    """
    import numpy as np  # numpy: only for uncertain inputs

    coefficients = [1.0]
    for i in range(count):
        coefficients.append(coefficients[-1] * (count - i))  # c!/(c-j)! for j = 0..c
    with np.errstate(over="ignore", invalid="ignore"):
        inverse = np.multiply(reciprocal, coefficients[count])
        inverse += coefficients[count - 1]
        for coefficient in reversed(coefficients[: count - 1]):
            inverse *= reciprocal
            inverse += coefficient
    return inverse


def _queue_arrays(rate: Any, service_time: Any, servers: Any, quantile: Any, wanted: str) -> Any:
    """Erlang C (`wanted` "waiting") or the wait ("wait") over arrays; many samples in two halves on two threads."""
    import numpy as np  # numpy: only for uncertain inputs

    arguments = [np.asarray(a, dtype=float) for a in (rate, service_time, servers)]
    if quantile is not None:
        arguments.append(np.asarray(quantile, dtype=float))
    shape = np.broadcast_shapes(*(a.shape for a in arguments))
    if len(shape) != 1 or shape[0] < PARALLEL_SAMPLES:
        return _queue_part(arguments, wanted)
    # a certain argument stays a scalar in each half (a whole server count keeps the recurrence's fast path)
    full = [a if a.ndim == 0 else np.broadcast_to(a, shape) for a in arguments]
    middle = shape[0] // 2
    halves = ([a if a.ndim == 0 else a[:middle] for a in full], [a if a.ndim == 0 else a[middle:] for a in full])
    from concurrent.futures import ThreadPoolExecutor  # threads: only for large Monte Carlo runs

    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_queue_part, halves[1], wanted)
        first = _queue_part(halves[0], wanted)
        return np.concatenate([first, second.result()])


def _queue_part(arguments: list[Any], wanted: str) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):  # numpy's error state is per thread
        quantile = arguments[3] if len(arguments) > 3 else None
        return _queue_arrays_serial(arguments[0], arguments[1], arguments[2], quantile, wanted)


def _queue_arrays_serial(rate: Any, service_time: Any, servers: Any, quantile: Any, wanted: str) -> Any:
    """Erlang C or the wait over arrays on one thread, interpolated between whole server counts."""
    import numpy as np  # numpy: only for uncertain inputs

    rate, service_time = np.asarray(rate, dtype=float), np.asarray(service_time, dtype=float)
    servers = np.asarray(servers, dtype=float)
    finite = np.isfinite(servers)
    count = np.floor(np.where(finite, servers, 0))
    share = np.where(finite, servers - count, 0.0)
    load = rate * service_time
    # a negative sample (a normal input's tail) has no queue: NaN at the end, as numpy's own functions give
    negative = (rate.size > 0 and rate.min() < 0) or (service_time.size > 0 and service_time.min() < 0)
    positive_load = np.maximum(load, 0.0) if negative else load
    inverse, reciprocal = _inverse_erlang_b_array(positive_load, count if np.ndim(count) else float(count))
    result = _queue_figure(load, service_time, count, inverse, quantile, wanted)
    if np.any(share != 0):  # a fractional server count: interpolate towards the count above
        with np.errstate(invalid="ignore", over="ignore"):
            above = inverse * reciprocal * (count + 1) + 1.0  # one more step of the recurrence
        high = _queue_figure(load, service_time, count + 1, above, quantile, wanted)
        with np.errstate(invalid="ignore"):
            result = np.where((share == 0) | np.isinf(result), result, result + (high - result) * share)
    if negative:
        result = np.where((rate < 0) | (service_time < 0), np.nan, result)
    return result


def _queue_figure(load: Any, service_time: Any, count: Any, inverse_blocking: Any, quantile: Any, wanted: str) -> Any:
    """Erlang C = B / ((1 - ρ) + ρ·B) = 1 / ((1 - ρ)/B + ρ), or the wait it gives; unstable elements 1 or infinite.

    In place where it can be: every operation here runs once per sample and per stage in Monte Carlo.
    """
    import numpy as np  # numpy: only for uncertain inputs

    unstable = load >= count if np.all(count >= 1) else (count < 1) | (load >= count)
    with np.errstate(all="ignore"):
        rho = load / count
        inverse_waiting = 1.0 - rho  # 1/C = (1 - ρ)/B + ρ; infinite with no traffic (nobody waits)
        inverse_waiting *= inverse_blocking
        inverse_waiting += rho
        if wanted == "waiting":
            return _fill_where(np.reciprocal(inverse_waiting, out=inverse_waiting), unstable, 1.0)
        filling = np.subtract(load, count)
        filling /= service_time  # λ - cμ: minus the rate at which the queue empties
        if quantile is None:
            inverse_waiting *= filling
            wait = np.divide(-1.0, inverse_waiting, out=inverse_waiting)  # C / (cμ - λ)
        else:
            # ln(C / (1 - q)) / (cμ - λ) = (ln(1/C) + ln(1 - q)) / (λ - cμ)
            wait = np.log(inverse_waiting, out=inverse_waiting)
            wait += np.log(1.0 - _checked_quantile(quantile))
            wait /= filling
            np.fmax(wait, 0.0, out=wait)  # below the share that waits at all: 0 (fmax: also 0 for a zero service time)
            if np.ndim(quantile) and not np.all(np.isfinite(_checked_quantile(quantile))):
                wait = np.where(np.isfinite(_checked_quantile(quantile)), wait, np.nan)  # fmax hid their NaN
    return _fill_where(wait, unstable, np.inf)


def _fill_where(values: Any, mask: Any, fill: float) -> Any:
    """`values` (a fresh array) with `fill` where `mask` holds, in place: np.where would copy all of it."""
    import numpy as np  # numpy: only for uncertain inputs

    if np.ndim(values) == 0:
        return np.where(mask, fill, values)
    if mask.any():
        values[np.broadcast_to(mask, values.shape)] = fill
    return values


def _checked_quantile(quantile: Any) -> Any:
    """A quantile strictly between 0 and 1, or NaN (an array element outside it gives NaN, as numpy does)."""
    import numpy as np  # numpy: only for uncertain inputs

    quantile = np.asarray(quantile, dtype=float)
    return np.where((quantile > 0) & (quantile < 1), quantile, np.nan)


def _erlang_c_array(rate: Any, service_time: Any, servers: Any) -> Any:
    return _queue_arrays(rate, service_time, servers, None, "waiting")


def _queue_wait_array(rate: Any, service_time: Any, servers: Any, quantile: Any = None) -> Any:
    return _queue_arrays(rate, service_time, servers, quantile, "wait")


def _general_queue_wait_array(rate: Any, service_time: Any, servers: Any, service_cv: Any, arrival_cv: Any = 1.0) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    service_cv, arrival_cv = np.asarray(service_cv, dtype=float), np.asarray(arrival_cv, dtype=float)
    with np.errstate(invalid="ignore"):
        wait = _queue_wait_array(rate, service_time, servers) * ((arrival_cv**2 + service_cv**2) / 2)
    # a negative sample (a normal input's tail) has no coefficient of variation: NaN, as numpy gives
    return np.where((service_cv < 0) | (arrival_cv < 0), np.nan, wait)


def _batch_wait_array(rate: Any, batch: Any, timeout: Any) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    rate, timeout = np.asarray(rate, dtype=float), np.asarray(timeout, dtype=float)
    size = np.floor(np.where(np.isfinite(batch), batch, 0))
    expected = rate * timeout
    safe = np.where(expected > 0, expected, 1.0)
    weighted = filled = below = np.zeros(np.broadcast(safe, size).shape)
    log_mean = np.log(safe)
    for j in range(int(np.max(size, initial=0)) - 1):
        below = below + np.exp(-safe + j * log_mean - math.lgamma(j + 1))
        tail = np.where(j + 1 <= size - 1, np.maximum(0.0, 1.0 - below), 0.0)
        weighted, filled = weighted + (j + 1) * tail, filled + tail
    with np.errstate(all="ignore"):
        wait = weighted / (np.where(expected > 0, rate, 1.0) * (1 + filled))
    wait = np.where(expected > 0, wait, timeout)
    wait = np.where((size <= 1) | (timeout == 0), 0.0, wait)
    return np.where((rate < 0) | (timeout < 0), np.nan, wait)  # negative samples: NaN, as numpy gives
