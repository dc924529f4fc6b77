"""Switching a hardware binding's entry (`--set gpu=H200`, a pick in the TUI) against what it replaces.

The catalog figures are arguments of the compiled scenario, so another GPU is one more call of the
same function (`Model.evaluate` with a `HardwareChoice`), beside the plain warm re-evaluation of
the same scenario (its floor: the same call with the bound entry's figures) and beside loading a
copy of the file that binds the other entry (what a switch cost before: read, resolve, check,
compile). Run:
    pytest benchmarks/test_hardware_speed.py --benchmark-only --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

from pathlib import Path

import pytest

import calculator

ROOT = Path(__file__).resolve().parents[1]
SERVING = ROOT / "scenarios" / "llm_serving.yaml"
GPUS = ("H100-SXM", "H200", "B200", "A100-80GB")


@pytest.fixture(scope="module")
def serving() -> calculator.Model:
    return calculator.load(SERVING)


@pytest.mark.benchmark(group="switch the gpu of llm_serving")
def test_switch_gpu_by_figure_arguments(benchmark, serving):
    choices = [serving.choose("gpu", gpu) for gpu in GPUS]
    turn = iter(range(10**9))

    def switch_and_evaluate():
        return serving.evaluate({"gpu": choices[next(turn) % len(choices)]})

    evaluation = benchmark(switch_and_evaluate)
    assert evaluation.result.hardware["gpu"] in GPUS


@pytest.mark.benchmark(group="switch the gpu of llm_serving")
def test_switch_gpu_floor_warm_evaluation(benchmark, serving):
    turn = iter(range(10**9))
    batches = [serving.parse_override("decode_batch", f"{n} sequence") for n in (64, 96, 128, 160)]

    def change_input_and_evaluate():
        return serving.evaluate({"decode_batch": batches[next(turn) % len(batches)]})

    benchmark(change_input_and_evaluate)


@pytest.mark.benchmark(group="switch the gpu of llm_serving")
def test_switch_gpu_by_reloading_a_file(benchmark, tmp_path):
    text = SERVING.read_text(encoding="utf-8")
    copies = []
    for gpu in GPUS:
        copy = tmp_path / f"serving_{gpu}.yaml"
        copy.write_text(text.replace("  gpu: H100-SXM\n", f"  gpu: {gpu}\n"), encoding="utf-8")
        copies.append(copy)
    turn = iter(range(10**9))

    def reload_and_evaluate():
        return calculator.load(copies[next(turn) % len(copies)]).evaluate()

    evaluation = benchmark(reload_and_evaluate)
    assert evaluation.result.hardware["gpu"] in GPUS
