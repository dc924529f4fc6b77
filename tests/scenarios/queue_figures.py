"""Queue waits by their closed forms, for the scenario tests (independent of calculator/formula/queueing.py)."""

from __future__ import annotations

import math


def p99_wait(rate: float, service: float, servers: int, quantile: float = 0.99) -> float:
    """The M/M/c q-quantile wait: Erlang C in log space (lgamma), P(W > t) = C·exp(-(cμ - λ)t)."""
    load = rate * service
    if load >= servers:
        return math.inf
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers)]
    last = servers * math.log(load) - math.lgamma(servers + 1) + math.log(servers / (servers - load))
    top = max(*logs, last)
    waiting = math.exp(last - top) / (sum(math.exp(x - top) for x in logs) + math.exp(last - top))
    return max(0.0, math.log(waiting / (1 - quantile)) / ((servers - load) / service))


def batch_wait(rate: float, batch: int, timeout: float) -> float:
    """Mean wait for a batch that closes at `batch` requests or `timeout` after it opened, Poisson arrivals.

    Renewal-reward over one batch: with N ~ Poisson(rate·timeout) the arrivals after the first within the
    timeout, a batch holds 1 + min(N, B-1) requests and the j-th later slot is filled with probability
    P(N >= j); the summed waits of a batch are Σ_j P(N >= j)·j/rate. Terms by exact fractions of e^-m.
    """
    mean = rate * timeout
    below, tails = 0.0, []
    term = math.exp(-mean)
    for j in range(batch - 1):
        below += term
        tails.append(max(0.0, 1.0 - below))
        term *= mean / (j + 1)
    weighted = sum((j + 1) * tail for j, tail in enumerate(tails))
    return weighted / (rate * (1 + sum(tails)))
