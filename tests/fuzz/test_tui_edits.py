"""Target 7: values typed into the TUI's inputs, through its state layer (`tui.state.Workbench`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import calculator
from tui.state import Workbench

from .harness import only_envelope_errors
from .strategies import any_formulas, quantities
from .test_formulas import present

TEXT = (
    "name: tui edits\nhardware: {gpu: H100-SXM}\n"
    "inputs:\n  a: 20 request/s\n  b: 30 ms to 60 ms\n  c: 4 gpu\n"
    "derived:\n  load: a * b\n  per_gpu: load / c\n"
    "budgets:\n  per_gpu: <= 2 request/gpu\n"
)
MODEL = calculator.loads(TEXT, "tui.yaml")
BENCH = Workbench(MODEL)
NAMES = [v.name for v in MODEL.view().inputs]


@given(name=st.sampled_from(NAMES), text=st.one_of(any_formulas, quantities))
def test_edit(name: str, text: str) -> None:
    def run() -> None:
        try:
            BENCH.set(name, text)
            present(BENCH.result)
        finally:
            BENCH.reset_all()

    only_envelope_errors("tui:edit", {"input": name, "text": text}, run)
