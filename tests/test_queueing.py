"""Queueing in formulas: utilization, erlang_c, queue_wait and batch_wait against closed forms computed
here independently, unstable queues as legal infinite values, dimension errors, vectorized = scalar."""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import textwrap
from fractions import Fraction

import numpy as np
import pytest

import calculator
from calculator.cli.main import main
from calculator.formula import queueing
from calculator.formula.numeric import SCALAR_FUNCTIONS, array_functions
from tests.helpers import error_of, evaluate


# -- independent closed forms ---------------------------------------------------------------
def erlang_c_exact(load: Fraction, servers: int) -> Fraction:
    """C(c, a) = (a^c/c!)·c/(c-a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c-a)), in exact fractions."""
    term = Fraction(1)
    total = Fraction(0)
    for k in range(servers):
        total += term
        term = term * load / (k + 1)
    last = term * servers / (servers - load)
    return last / (total + last)


def erlang_c_log_space(load: float, servers: int) -> float:
    """The same closed form in log space (lgamma and a log-sum-exp), for thousands of servers."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers)]
    last = servers * math.log(load) - math.lgamma(servers + 1) + math.log(servers / (servers - load))
    top = max(max(logs), last)
    total = sum(math.exp(x - top) for x in logs) + math.exp(last - top)
    return math.exp(last - top) / total


def wait_from(c_prob: float, load: float, servers: int, service: float, quantile: float | None) -> float:
    drain = (servers - load) / service
    if quantile is None:
        return c_prob / drain
    return max(0.0, math.log(c_prob / (1 - quantile)) / drain)


@pytest.mark.parametrize("servers", [1, 2, 3, 5, 8, 13, 21, 34])
@pytest.mark.parametrize("rho", [Fraction(1, 10), Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)])
def test_erlang_c_small_counts_match_exact_fractions(servers, rho):
    load = rho * servers
    service = 0.02
    rate = float(load) / service
    expected = float(erlang_c_exact(load, servers))
    assert queueing.erlang_c(rate, service, servers) == pytest.approx(expected, rel=1e-9)
    mean = wait_from(expected, float(load), servers, service, None)
    p99 = wait_from(expected, float(load), servers, service, 0.99)
    assert queueing.queue_wait(rate, service, servers) == pytest.approx(mean, rel=1e-9)
    assert queueing.queue_wait(rate, service, servers, 0.99) == pytest.approx(p99, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("servers", [50, 200, 1000, 2000])
@pytest.mark.parametrize("rho", [0.5, 0.9, 0.97, 0.995])
def test_erlang_c_thousands_of_servers_match_log_space_closed_form(servers, rho):
    load, service = rho * servers, 0.1
    rate = load / service
    expected = erlang_c_log_space(load, servers)
    assert queueing.erlang_c(rate, service, servers) == pytest.approx(expected, rel=1e-9)
    assert queueing.queue_wait(rate, service, servers) == pytest.approx(
        wait_from(expected, load, servers, service, None), rel=1e-9
    )
    assert queueing.queue_wait(rate, service, servers, 0.999) == pytest.approx(
        wait_from(expected, load, servers, service, 0.999), rel=1e-9, abs=1e-15
    )


def test_mm1_and_mm2_textbook_forms():
    # M/M/1: C = ρ, mean wait ρ/(μ-λ); M/M/2: C = 2ρ²/(1+ρ)
    assert queueing.erlang_c(8, 0.1, 1) == pytest.approx(0.8, rel=1e-12)
    assert queueing.queue_wait(8, 0.1, 1) == pytest.approx(0.8 / (10 - 8), rel=1e-12)
    assert queueing.queue_wait(8, 0.1, 1, 0.99) == pytest.approx(math.log(0.8 / 0.01) / 2, rel=1e-12)
    assert queueing.erlang_c(15, 0.1, 2) == pytest.approx(2 * 0.75**2 / 1.75, rel=1e-12)
    # a quantile below the share that waits at all is 0: most requests do not wait
    assert queueing.queue_wait(1, 0.1, 4, 0.5) == 0.0


def test_unstable_queues_wait_forever():
    assert queueing.queue_wait(10, 0.1, 1) == math.inf
    assert queueing.queue_wait(11, 0.1, 1, 0.99) == math.inf
    assert queueing.erlang_c(10, 0.1, 1) == 1.0
    assert queueing.utilization(12, 0.1, 1) == pytest.approx(1.2)
    assert queueing.unstable_utilization("queue_wait", [12, 0.1, 1]) == pytest.approx(1.2)
    assert queueing.unstable_utilization("queue_wait", [8, 0.1, 1]) is None


def test_fractional_servers_interpolate_between_whole_counts():
    rate, service = 30.0, 0.1
    at4, at5 = queueing.queue_wait(rate, service, 4), queueing.queue_wait(rate, service, 5)
    assert queueing.queue_wait(rate, service, 4.25) == pytest.approx(at4 + (at5 - at4) * 0.25, rel=1e-12)
    assert queueing.queue_wait(rate, service, 3.5) == math.inf  # a load of 3 on 3 whole servers never drains
    assert queueing.erlang_c(rate, service, 4.0) == pytest.approx(float(erlang_c_exact(Fraction(3), 4)), rel=1e-12)


def test_batch_wait_limits_and_two_request_batches():
    # the timeout never fires: the i-th of B evenly filling requests waits (B-i)/rate, mean (B-1)/(2 rate)
    assert queueing.batch_wait(1000, 8, 10.0) == pytest.approx(7 / 2000, rel=1e-9)
    # B = 2: the first waits min(T, next arrival); with m = rate·T the mean is (1-e^-m)/(rate(2-e^-m))
    rate, timeout = 50.0, 0.01
    m = rate * timeout
    assert queueing.batch_wait(rate, 2, timeout) == pytest.approx((1 - math.exp(-m)) / (rate * (2 - math.exp(-m))), rel=1e-12)
    assert queueing.batch_wait(0, 8, 0.005) == 0.005  # requests come alone: each waits out the timeout
    assert queueing.batch_wait(100, 1, 0.005) == 0.0
    assert queueing.batch_wait(1e9, 1000, 0.005) == pytest.approx(999 / 2e9, rel=1e-6)  # m = 5M: no underflow


def test_batch_wait_matches_a_simulation():
    """A discrete-event simulation: Poisson arrivals; a batch opens with its first request and closes
    at its B-th request or `timeout` after it opened."""
    rng = random.Random(7)
    rate, size, timeout = 200.0, 8, 0.02
    arrivals = list(itertools.accumulate(rng.expovariate(rate) for _ in range(300_000)))
    waits, first = [], 0
    while first < len(arrivals) - size:
        opened = arrivals[first]
        last = first
        while last + 1 - first < size and arrivals[last + 1] - opened <= timeout:
            last += 1
        closed = arrivals[last] if last + 1 - first == size else opened + timeout
        waits += [closed - t for t in arrivals[first : last + 1]]
        first = last + 1
    simulated = sum(waits) / len(waits)
    assert queueing.batch_wait(rate, size, timeout) == pytest.approx(simulated, rel=0.01)


def test_vectorized_equals_scalar():
    rng = np.random.default_rng(3)
    rate = rng.uniform(0, 120, 400)
    service = rng.uniform(0.001, 0.2, 400)
    servers = rng.uniform(1, 12, 400)
    arrays = array_functions()
    for name in ("utilization", "erlang_c", "queue_wait"):
        got = arrays[name](rate, service, servers)
        want = [SCALAR_FUNCTIONS[name](*args) for args in zip(rate, service, servers, strict=True)]
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(
        arrays["queue_wait"](rate, service, 8.0, 0.99),
        [queueing.queue_wait(r, s, 8.0, 0.99) for r, s in zip(rate, service, strict=True)],
        rtol=1e-12,
    )
    batches = np.floor(rng.uniform(1, 40, 400))
    np.testing.assert_allclose(
        arrays["batch_wait"](rate, batches, 0.01),
        [queueing.batch_wait(r, b, 0.01) for r, b in zip(rate, batches, strict=True)],
        rtol=1e-9,
    )


def test_vectorized_thousands_of_servers_and_empty_queues():
    # the in-place inverse recurrence over samples, against the log-space closed form at c = 2,000
    rho = np.array([0.5, 0.9, 0.97, 0.995])
    servers, service = 2000, 0.1
    rate = rho * servers / service
    arrays = array_functions()
    want = [erlang_c_log_space(r * servers, servers) for r in rho]
    np.testing.assert_allclose(arrays["erlang_c"](rate, service, float(servers)), want, rtol=1e-9)
    means = [wait_from(c, r * servers, servers, service, None) for c, r in zip(want, rho, strict=True)]
    np.testing.assert_allclose(arrays["queue_wait"](rate, service, float(servers)), means, rtol=1e-9)
    # a per-sample server count, some whole, some not; no traffic waits 0; an overloaded sample waits forever
    got = arrays["queue_wait"](np.array([0.0, 30.0, 30.0, 50.0]), 0.1, np.array([3.0, 4.0, 4.25, 4.0]))
    np.testing.assert_allclose(got, [0.0, queueing.queue_wait(30, 0.1, 4), queueing.queue_wait(30, 0.1, 4.25), math.inf])


@pytest.mark.parametrize("servers", [1, 2, 7, 64, 170, 171])
def test_one_server_count_for_all_samples_equals_the_scalar_function(servers):
    # a certain server count (Horner's rule up to 170 servers, the recurrence above) against the scalar code
    rng = np.random.default_rng(servers)
    rate = rng.uniform(0, 0.999, 500) * servers / 0.1
    arrays = array_functions()
    got = arrays["queue_wait"](rate, 0.1, float(servers))
    want = [queueing.queue_wait(r, 0.1, servers) for r in rate]
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)


def test_many_samples_split_over_two_threads_equal_the_scalar_function():
    size = queueing.PARALLEL_SAMPLES * 2 + 1  # two unequal halves
    rng = np.random.default_rng(5)
    rate, service, servers = rng.uniform(0, 120, size), rng.uniform(0.001, 0.2, size), rng.uniform(1, 12, size)
    picks = [*rng.integers(0, size, 300).tolist(), 0, size // 2 - 1, size // 2, size - 1]
    arrays = array_functions()
    waits = arrays["queue_wait"](rate, service, servers, 0.99)
    assert waits.shape == (size,)
    want = [queueing.queue_wait(rate[i], service[i], servers[i], 0.99) for i in picks]
    np.testing.assert_allclose(waits[picks], want, rtol=1e-12)
    waiting = arrays["erlang_c"](rate, 0.05, 6.0)  # certain service time and servers stay scalars in each half
    np.testing.assert_allclose(waiting[picks], [queueing.erlang_c(rate[i], 0.05, 6.0) for i in picks], rtol=1e-12)


# -- G/G/c: Allen–Cunneen ---------------------------------------------------------------------
def simulated_wait(rate: float, service: float, servers: int, service_cv: float, count: int = 200_000) -> float:
    """FCFS c servers, Poisson arrivals, gamma service times of mean `service` (fixed when service_cv is 0)."""
    rng = random.Random(11)
    now, free, total = 0.0, [0.0] * servers, 0.0
    for _ in range(count):
        now += rng.expovariate(rate)
        start = max(now, heapq.heappop(free))
        total += start - now
        duration = service if service_cv == 0 else rng.gammavariate(service_cv**-2, service * service_cv**2)
        heapq.heappush(free, start + duration)
    return total / count


def test_general_queue_wait_is_exact_for_mmc_and_mg1():
    for servers in (1, 4, 200):
        rate = 0.9 * servers / 0.02
        exponential = queueing.queue_wait(rate, 0.02, servers)
        assert queueing.general_queue_wait(rate, 0.02, servers, 1.0) == pytest.approx(exponential, rel=1e-12)
    # M/G/1, Pollaczek–Khinchine: W = λ·E[S²] / (2(1 - ρ)), E[S²] = s²(1 + cs²)
    rate, service, cv = 60.0, 0.01, 0.5
    pk = rate * service**2 * (1 + cv**2) / (2 * (1 - rate * service))
    assert queueing.general_queue_wait(rate, service, 1, cv) == pytest.approx(pk, rel=1e-12)
    assert queueing.general_queue_wait(rate, service, 1, 0.0, 1.5) == pytest.approx(pk / (1 + cv**2) * (1.5**2), rel=1e-12)
    assert queueing.general_queue_wait(200, 0.01, 2, 0.3) == math.inf


@pytest.mark.parametrize(("servers", "busy", "service_cv"), [(3, 0.8, 0.0), (8, 0.85, 0.5)])
def test_general_queue_wait_is_close_to_a_simulation_under_load(servers, busy, service_cv):
    rate = busy * servers / 0.01
    assert queueing.general_queue_wait(rate, 0.01, servers, service_cv) == pytest.approx(
        simulated_wait(rate, 0.01, servers, service_cv), rel=0.08
    )


def test_general_queue_wait_understates_light_loads_as_documented():
    # fixed-time service on 8 servers at 50% busy: the approximation is ~20% low (docs/format.md says so)
    rate = 0.5 * 8 / 0.01
    assert queueing.general_queue_wait(rate, 0.01, 8, 0.0) < 0.9 * simulated_wait(rate, 0.01, 8, 0.0)


def test_general_queue_wait_vectorized_equals_scalar():
    rng = np.random.default_rng(9)
    rate, cv = rng.uniform(0, 120, 400), rng.uniform(0, 2, 400)
    got = array_functions()["general_queue_wait"](rate, 0.05, 7.0, cv, 0.8)
    np.testing.assert_allclose(got, [queueing.general_queue_wait(r, 0.05, 7.0, c, 0.8) for r, c in zip(rate, cv, strict=True)])


# -- in scenarios ---------------------------------------------------------------------------
QUEUE = """
    name: queue
    units: [replica]
    inputs:
      traffic: 150 request/s
      service: 10 ms/request
      replicas: 2 replica
    derived:
      p99_wait: queue_wait(traffic, service, replicas, 99%) -> ms
    latency:
      request:
        budget: 100 ms
        stages:
          queueing: p99_wait
          work: service * 1 request
    """


def p99_mm2(rate: float, service: float) -> float:
    """The M/M/2 p99 wait by hand: C = 2ρ²/(1+ρ), P(W > t) = C·exp(-(2μ-λ)t)."""
    rho = rate * service / 2
    waiting = 2 * rho**2 / (1 + rho)
    return max(0.0, math.log(waiting / 0.01) / (2 / service - rate))


def test_p99_latency_breaks_as_traffic_grows_and_solve_finds_where(tmp_path):
    model = calculator.loads(textwrap.dedent(QUEUE), "<queue>")
    for traffic, status in ((100, "ok"), (150, "warn"), (185, "fail")):
        result = model.evaluate({"traffic": float(traffic)}).result
        assert result.latency[0].total == pytest.approx(p99_mm2(traffic, 0.01) * 1e3 + 10, rel=1e-9)
        assert result.latency[0].status == status
    # by hand: bisect the M/M/2 p99 wait + 10 ms = 100 ms
    low, high = 150.0, 199.9
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if p99_mm2(middle, 0.01) + 0.01 <= 0.1 else (low, middle)
    solution = calculator.solve(model, "traffic")
    assert solution.value == pytest.approx(low, rel=1e-6)
    assert solution.binding_budget == "latency request"


@pytest.mark.timeout(60)
def test_solve_for_the_servers_stops_at_the_fewest_that_meet_the_slo():
    # more replicas only help, so solve searches upwards (up to 2^60 replicas) for the edge: a wait
    # far below the load is 0 at once, not a loop over every server. 150 request/s on 1 replica is
    # unstable; on 2 the path is 10 + 83.3 ms <= 100 ms (p99_mm2), so 2 is the fewest
    assert p99_mm2(150, 0.01) + 0.01 <= 0.1
    assert queueing.queue_wait(150, 0.01, 2.0**60) == 0.0
    assert array_functions()["queue_wait"](np.array([150.0, 1e6]), 0.01, 2.0**60, 0.99).tolist() == [0.0, 0.0]
    model = calculator.loads(textwrap.dedent(QUEUE), "<queue>")
    solution = calculator.solve(model, "replicas")
    assert solution.value == pytest.approx(2, rel=1e-6)


def test_an_unstable_queue_fails_its_budget_says_so_and_writes_valid_json(tmp_path, capsys):
    path = tmp_path / "queue.yaml"
    path.write_text(textwrap.dedent(QUEUE) + "budgets:\n  p99_wait:\n    max: 50 ms\n", encoding="utf-8")
    assert main(["eval", str(path), "--set", "traffic=240 request/s", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["p99_wait"]["value"] is None
    assert data["values"]["p99_wait"]["reason"] == "unstable queue: utilization 120% in queue_wait()"
    assert data["budgets"][0]["status"] == "fail" and data["budgets"][0]["reason"].startswith("unstable queue")
    assert data["latency"][0]["total"] is None and data["latency"][0]["status"] == "fail"
    assert main(["eval", str(path), "--set", "traffic=240 request/s"]) == 1
    assert "unstable queue: utilization 120%" in capsys.readouterr().out


def test_monte_carlo_counts_unstable_samples_as_breaking():
    text = QUEUE.replace("traffic: 150 request/s", "traffic: uniform(100 request/s, 300 request/s)")
    result = evaluate(text)
    path = result.latency[0]
    # P(break) = P(traffic > edge), edge from the hand bisection above (unstable beyond 200 request/s)
    low, high = 150.0, 199.9
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if p99_mm2(middle, 0.01) + 0.01 <= 0.1 else (low, middle)
    assert path.p_violation == pytest.approx((300 - low) / 200, abs=0.02)
    assert result.values["p99_wait"].p95 == math.inf


def test_explain_falls_back_to_numeric_elasticities():
    model = calculator.loads(textwrap.dedent(QUEUE), "<queue>")
    explanation = calculator.explain(model, "p99_wait")
    assert explanation.sensitivity_method["traffic"] == "numeric"
    step = 1e-4
    up, down = p99_mm2(150 * (1 + step), 0.01), p99_mm2(150 * (1 - step), 0.01)
    assert explanation.sensitivity["traffic"] == pytest.approx((up - down) / (2 * step) / p99_mm2(150, 0.01), rel=1e-4)


BAD = {
    "queue_wait(traffic, 10 ms, 2, 99%)": "the rate of queue_wait() must be a count per time (request/s), not 'byte'",
    "queue_wait(150 request/s, 10 MB, 2)": "the service_time of queue_wait() must be a duration per request",
    "queue_wait(150 request/s, 10 ms, 2 ms)": "the servers of queue_wait() must be a count",
    "queue_wait(150 request/s, 10 ms, 2, 99 ms)": "the quantile of queue_wait() must be a plain share",
    "queue_wait(150 request/s, 10 ms, 2, 140%)": "the quantile of queue_wait() must be between 0% and 100%, not 1.4",
    "batch_wait(150 request/s, 8, 3)": "the timeout of batch_wait() must be a duration",
    "erlang_c(150 request/s, 10 ms)": "erlang_c() takes (rate, service_time, servers), not 2 arguments",
    "general_queue_wait(150 request/s, 10 ms, 2, 3 ms)": "the service_cv of general_queue_wait() must be a plain number",
    "general_queue_wait(150 request/s, 10 ms, 2, 0.5, 2 request)": "the arrival_cv of general_queue_wait() must be",
    "general_queue_wait(150 request/s, 10 ms, 2)": "general_queue_wait() takes (rate, service_time, servers, service_cv,",
}


@pytest.mark.parametrize("formula", list(BAD))
def test_wrong_arguments_are_located_errors_with_exit_2(formula, tmp_path, capsys):
    message = BAD[formula]
    text = f"name: bad\ninputs:\n  traffic: 5 GB\nderived:\n  wait: {formula}\n"
    error = error_of(text)
    assert message in error.message
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5:" in err and message in err and "hint: e.g." in err


def test_queue_functions_are_listed_for_unknown_functions():
    error = error_of("name: bad\ninputs:\n  x: 5 request/s\nderived:\n  w: queue_delay(x, 1 ms, 2)\n")
    assert "queue_wait" in (error.hint or "")
