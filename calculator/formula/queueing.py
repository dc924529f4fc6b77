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
thousands of servers — and Erlang C = B / (1 - (a/c)(1 - B)). A queue with
a ≥ c (utilization ≥ 1) never drains: its wait is infinite (`math.inf`), which
the engine shows and judges as an unstable queue.

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
    return blocking


def erlang_c(rate: float, service_time: float, servers: float) -> float:
    """The probability that a request waits (1 when the queue is unstable)."""
    return _between_counts(lambda count: _erlang_c_whole(rate, service_time, count), servers)


def queue_wait(rate: float, service_time: float, servers: float, quantile: float | None = None) -> float:
    """The mean wait in the queue of an M/M/c, or its `quantile` (0 < q < 1); infinite when unstable."""
    if quantile is not None and not 0 < quantile < 1:
        raise ValueError("a quantile must be between 0% and 100%")
    return _between_counts(lambda count: _wait_whole(rate, service_time, count, quantile), servers)


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
    return blocking / (1 - load / count * (1 - blocking))


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
    if function != "queue_wait":
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
    "batch_wait": batch_wait,
}


def array_functions() -> dict[str, Callable[..., Any]]:
    """The same functions over numpy arrays (Monte Carlo); each element equals the scalar function's."""
    return {
        "utilization": _utilization_array,
        "erlang_c": _erlang_c_array,
        "queue_wait": _queue_wait_array,
        "batch_wait": _batch_wait_array,
    }


def _utilization_array(rate: Any, service_time: Any, servers: Any) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    with np.errstate(all="ignore"):
        servers = np.asarray(servers, dtype=float)
        return np.where(servers > 0, np.asarray(rate, dtype=float) * service_time / np.where(servers > 0, servers, 1), np.inf)


def _erlang_b_array(load: Any, count: Any) -> tuple[Any, Any]:
    """The recurrence over arrays, each element stopping at its own whole server count: B(count) and B(count + 1)."""
    import numpy as np  # numpy: only for uncertain inputs

    blocking = np.ones(np.broadcast(load, count).shape)
    single = np.ndim(count) == 0
    for k in range(1, int(np.max(count, initial=0)) + 1):
        step = load * blocking / (k + load * blocking)
        blocking = step if single else np.where(k <= count, step, blocking)
    return blocking, load * blocking / (count + 1 + load * blocking)


def _queue_arrays(rate: Any, service_time: Any, servers: Any, quantile: Any, wanted: str) -> Any:
    """Erlang C (`wanted` "waiting") or the wait ("wait") over arrays, interpolated between whole server counts."""
    import numpy as np  # numpy: only for uncertain inputs

    rate, service_time = np.asarray(rate, dtype=float), np.asarray(service_time, dtype=float)
    servers = np.asarray(servers, dtype=float)
    count = np.floor(np.where(np.isfinite(servers), servers, 0))
    share = np.where(np.isfinite(servers), servers - count, 0.0)
    load = rate * service_time
    low_blocking, high_blocking = _erlang_b_array(np.where(load >= 0, load, 0.0), count if np.ndim(count) else float(count))
    low = _queue_figure(load, service_time, count, low_blocking, quantile, wanted)
    high = _queue_figure(load, service_time, count + 1, high_blocking, quantile, wanted)
    with np.errstate(invalid="ignore"):
        result = np.where((share == 0) | np.isinf(low), low, low + (high - low) * share)
    # A negative sample (a normal input's tail) has no queue: NaN, as numpy's own functions give.
    return np.where((rate < 0) | (service_time < 0), np.nan, result)


def _queue_figure(load: Any, service_time: Any, count: Any, blocking: Any, quantile: Any, wanted: str) -> Any:
    import numpy as np  # numpy: only for uncertain inputs

    stable = (count >= 1) & (load < count)
    safe_count = np.where(stable, count, 1.0)
    safe_load = np.where(stable, load, 0.0)
    waiting = np.where(stable, blocking / (1 - safe_load / safe_count * (1 - blocking)), 1.0)
    if wanted == "waiting":
        return waiting
    with np.errstate(all="ignore"):
        drain = (safe_count - safe_load) / service_time
        if quantile is None:
            wait = waiting / drain
        else:
            quantile = np.asarray(quantile, dtype=float)
            wait = np.where((quantile > 0) & (quantile < 1), np.maximum(0.0, np.log(waiting / (1 - quantile)) / drain), np.nan)
    wait = np.where((service_time == 0) | (waiting == 0), 0.0, wait)
    return np.where(stable, wait, np.inf)


def _erlang_c_array(rate: Any, service_time: Any, servers: Any) -> Any:
    return _queue_arrays(rate, service_time, servers, None, "waiting")


def _queue_wait_array(rate: Any, service_time: Any, servers: Any, quantile: Any = None) -> Any:
    return _queue_arrays(rate, service_time, servers, quantile, "wait")


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
