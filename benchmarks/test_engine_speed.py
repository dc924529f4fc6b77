"""Engine speed against the floor (the same arithmetic hand-written), in one run.

Targets (issue 2): warm re-evaluation within 2x the floor; cold
`envelope eval --format json` within 2x `python -c "import pint"`; a
1,000-formula scenario loads, checks and evaluates in under 1 s, and ten
times the formulas cost about ten times the time. Run:
    pytest benchmarks --benchmark-only --benchmark-columns=min,median,mean
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

import calculator
from benchmarks.cold import installed_env
from benchmarks.generated import INPUTS, floor_function, scenario_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "tour.yaml"


@pytest.fixture(scope="module")
def model_50() -> calculator.Model:
    return calculator.loads(scenario_yaml(50), "<generated 50>")


@pytest.mark.benchmark(group="load+check 50 formulas")
def test_load_and_check_50_formulas(benchmark):
    text = scenario_yaml(50)
    model = benchmark(calculator.loads, text, "<generated 50>")
    assert len(model.scenario.order) == 50


@pytest.mark.benchmark(group="warm re-evaluation, 50 formulas")
def test_warm_reevaluation(benchmark, model_50):
    values = iter(range(10**9))

    def change_input_and_evaluate():
        return model_50.evaluate({"a0": 100.0 + next(values) % 7})

    evaluation = benchmark(change_input_and_evaluate)
    assert len(evaluation.slots) == 51  # 50 derived values and one budget limit


@pytest.mark.benchmark(group="warm re-evaluation, 50 formulas")
def test_warm_reevaluation_floor(benchmark, model_50):
    floor = floor_function(50)
    arguments = [100.0 + i for i in range(INPUTS)]
    values = iter(range(10**9))

    def change_input_and_evaluate():
        arguments[0] = 100.0 + next(values) % 7
        return floor(*arguments)

    floor_values = benchmark(change_input_and_evaluate)
    engine = model_50.evaluate({"a0": arguments[0]}).slots
    assert floor_values == pytest.approx(engine[:50], rel=1e-12)  # the floor does the same arithmetic


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=installed_env())


@pytest.mark.benchmark(group="cold start")
def test_cold_envelope_eval_json(benchmark):
    run(sys.executable, "-m", "calculator.cli.main", "eval", str(SHIPPED), "--format", "json")  # warm the unit cache
    done = benchmark.pedantic(
        run, args=(sys.executable, "-m", "calculator.cli.main", "eval", str(SHIPPED), "--format", "json"), rounds=5, iterations=1
    )
    assert '"scenario": "Format tour"' in done.stdout


@pytest.mark.benchmark(group="cold start")
def test_cold_import_pint_floor(benchmark):
    benchmark.pedantic(run, args=(sys.executable, "-c", "import pint"), rounds=5, iterations=1)


def load_check_evaluate(count: int) -> calculator.Result:
    return calculator.loads(scenario_yaml(count), f"<generated {count}>").evaluate().result


@pytest.mark.benchmark(group="scaling")
@pytest.mark.parametrize("count", [1_000, 10_000])
def test_scaling(benchmark, count):
    result = benchmark.pedantic(load_check_evaluate, args=(count,), rounds=3, iterations=1)
    assert len(result.values) == count + INPUTS


@functools.cache
def _junk() -> bytearray:
    return bytearray(64 << 20)


def write_over_the_caches() -> None:
    """64 MB written and read, as other work would between two of a user's loads: the last load's
    objects leave the CPU's caches (a repeated load of 1,000 formulas otherwise finds most of them there)."""
    junk = _junk()
    junk[:] = b"\x01" * len(junk)
    sum(junk[::4096])


@pytest.mark.benchmark(group="scaling, the CPU caches written over before each load")
@pytest.mark.parametrize("count", [1_000, 10_000])
def test_scaling_from_cold_caches(benchmark, count):
    text = scenario_yaml(count)

    def load_check_evaluate_text() -> calculator.Result:
        return calculator.loads(text, f"<generated {count}>").evaluate().result

    result = benchmark.pedantic(load_check_evaluate_text, setup=write_over_the_caches, rounds=5, warmup_rounds=1)
    assert len(result.values) == count + INPUTS
