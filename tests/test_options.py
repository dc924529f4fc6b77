"""Inputs with options (`one_of:`, `range:` with `step:`, `powers_of_two:`): the point value, the options
expanded, and every bad option list refused at its place with a hint, exit 2."""

from __future__ import annotations

import math
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

import calculator
from calculator.cli.main import main
from calculator.engine.check import first_repeat


def _model(inputs: str, derived: str = "") -> calculator.Model:
    text = "name: options\ninputs:\n" + textwrap.indent(textwrap.dedent(inputs), "  ")
    if derived:
        text += "derived:\n" + textwrap.indent(textwrap.dedent(derived), "  ")
    return calculator.loads(text, "opts.yaml")


def _options(model: calculator.Model, name: str) -> list[str]:
    return list(next(i for i in model.view().inputs if i.name == name).options)


def test_the_point_value_is_the_first_option_unless_value_says():
    model = _model(
        """\
        tensor_parallel: { one_of: [1 gpu, 2 gpu, 4 gpu, 8 gpu] }
        decode_batch: { one_of: [16 sequence, 32 sequence, 64 sequence, 128 sequence], value: 64 sequence }
        """
    )
    evaluation = model.evaluate()
    assert evaluation.base("tensor_parallel") == 1.0
    assert evaluation.base("decode_batch") == 64.0
    assert _options(model, "tensor_parallel") == ["1 gpu", "2 gpu", "4 gpu", "8 gpu"]


def test_range_with_a_step_and_powers_of_two_are_expanded():
    model = _model(
        """\
        replicas: { range: [2 replica, 10 replica], step: 4 replica }
        nodes: { range: [1 node, 4 node] }
        batch: { powers_of_two: [8 sequence, 100 sequence] }
        """
    )
    assert _options(model, "replicas") == ["2 replica", "6 replica", "10 replica"]
    assert _options(model, "nodes") == ["1 node", "2 node", "3 node", "4 node"]  # step: 1 in FROM's unit
    assert _options(model, "batch") == ["8 sequence", "16 sequence", "32 sequence", "64 sequence"]  # up to TO
    assert model.evaluate().base("batch") == 8.0


def test_options_in_other_units_of_one_dimension_are_one_input():
    model = _model("memory: { one_of: [512 MB, 1 GB, 2 GB], value: 1 GB }\n", "doubled: memory * 2 -> GB\n")
    assert model.evaluate().result.values["doubled"].value == pytest.approx(2.0)


BAD = [
    (
        "tp: { one_of: [1 gpu, 2 GB] }\n",
        "opts.yaml:3:25: error: option '2 GB' of 'tp' is in 'byte', the input in 'gpu'",
        "every option of an input (and its value) has the same unit",
    ),
    (
        "tp: { one_of: [1 gpu, 2 gpu], value: 3 gpu }\n",
        "opts.yaml:3:40: error: the value of 'tp' (3 gpu) is not one of its options",
        "options: 1 gpu, 2 gpu",
    ),
    ("tp: { one_of: [] }\n", "opts.yaml:3:9: error: 'one_of:' of input 'tp' lists no options", "list at least one"),
    (
        "mem: { one_of: [1 GB, 1000 MB] }\n",
        "opts.yaml:3:25: error: option '1000 MB' of 'mem' repeats '1 GB'",
        "list each option once",
    ),
    (
        "tp: { one_of: [1 gpu, 2 to 4 gpu] }\n",
        "opts.yaml:3:25: error: an option is one quantity, not '2 to 4 gpu'",
        "an uncertain input has no options",
    ),
    (
        "tp: { range: [8 gpu, 1 gpu] }\n",
        "opts.yaml:3:9: error: 'range:' of 'tp' needs FROM below TO, not [8 gpu, 1 gpu]",
        None,
    ),
    (
        "tp: { range: [1 gpu, 8 gpu, 9 gpu] }\n",
        "opts.yaml:3:9: error: 'range:' of input 'tp' takes two quantities, [FROM, TO], not 3",
        "e.g. range: [1 gpu, 64 gpu], step: 1 gpu",
    ),
    (
        "tp: { range: [1 gpu, 8 gpu], step: 0 gpu }\n",
        "opts.yaml:3:38: error: the step of 'tp' must be above zero, not 0 gpu",
        None,
    ),
    (
        "tp: { powers_of_two: [0 gpu, 8 gpu] }\n",
        "opts.yaml:3:25: error: powers_of_two: of 'tp' starts above zero, not at 0 gpu",
        None,
    ),
    (
        "tp: { one_of: [1 gpu], powers_of_two: [1 gpu, 8 gpu] }\n",
        "opts.yaml:3:26: error: input 'tp' lists its options twice (one_of: and powers_of_two:)",
        "keep one",
    ),
    ("tp: { step: 1 gpu }\n", "opts.yaml:3:9: error: 'step:' of input 'tp' belongs to a 'range:'", "write range"),
    ("tp: { note: no value }\n", "opts.yaml:3:3: error: input 'tp' has no value", "give it 'value:', or options"),
    (
        "tp: { range: [1 gpu, 20000 gpu] }\n",
        "opts.yaml:3:9: error: 'range:' of 'tp' makes 20,000 options, over 10,000",
        "take a larger step",
    ),
    (
        "tp: { one_of: [1 gpu, 2 gpu], value: 1 to 2 gpu }\n",
        "opts.yaml:3:40: error: 'tp' has options, so its value is one of them, not '1 to 2 gpu'",
        "either chosen from options or uncertain",
    ),
]


@pytest.mark.parametrize(("inputs", "message", "hint"), BAD, ids=[m.split("error: ")[1][:40] for _, m, _ in BAD])
def test_a_bad_option_list_is_refused_at_its_place(tmp_path, monkeypatch, capsys, inputs, message, hint):
    (tmp_path / "opts.yaml").write_text("name: options\ninputs:\n  " + inputs, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "opts.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == message
    hints = [line for line in err.splitlines() if line.startswith("  hint: ")]
    assert (hint is None and not hints) or (hint is not None and hint in hints[0])
    assert "Traceback" not in err


def test_options_must_agree_with_the_formulas_that_use_them(tmp_path, monkeypatch, capsys):
    text = "name: options\ninputs:\n  mem: { one_of: [1 GB, 2 GB] }\n  n: 3 gpu\nderived:\n  total: mem + n\n"
    (tmp_path / "opts.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "opts.yaml"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == "opts.yaml:6:14: error: cannot add 'byte' and 'gpu' in 'mem + n'"


def test_an_edit_of_an_input_with_options_writes_value_beside_them():
    text = (
        "name: x\ninputs:\n  tp: { one_of: [1 gpu, 2 gpu] }   # flow\n"
        "  batch:\n    one_of: [8 sequence, 16 sequence]\n    note: per replica\n  n: 3 gpu\n"
    )
    written, changes = calculator.rewrite_inputs(text, {"tp": "2 gpu", "batch": "16 sequence"})
    assert written == (
        "name: x\ninputs:\n  tp: { one_of: [1 gpu, 2 gpu], value: 2 gpu }   # flow\n"
        "  batch:\n    one_of: [8 sequence, 16 sequence]\n    note: per replica\n    value: 16 sequence\n  n: 3 gpu\n"
    )
    assert [(c.name, c.old, c.new) for c in changes] == [("tp", "1 gpu", "2 gpu"), ("batch", "8 sequence", "16 sequence")]
    model = calculator.loads(written, "x.yaml")
    assert (model.evaluate().base("tp"), model.evaluate().base("batch")) == (2.0, 16.0)


def first_repeat_by_pairs(points: list[float]) -> tuple[int, int] | None:
    """The definition, compared pairwise: the first point equal (within 1e-12) to an earlier one, and that one."""
    for index, point in enumerate(points):
        for earlier in range(index):
            if math.isclose(points[earlier], point, rel_tol=1e-12, abs_tol=0):
                return index, earlier
    return None


# Points from a few values and their neighbours within a few parts in 10^12 (so near repeats are common),
# and any floats.
_near = st.sampled_from([0.0, -0.0, 1.0, 3.0, -2.5, 1e9]).flatmap(
    lambda x: st.sampled_from([x, x * (1 + 5e-13), x * (1 + 1.5e-12), x * (1 - 9e-13), x * (1 + 3e-12)])
)
_points = st.lists(st.one_of(_near, st.floats(allow_nan=False, allow_infinity=False)), max_size=12)


@given(_points)
def test_the_first_repeated_option_is_the_one_a_pairwise_search_finds(points):
    assert first_repeat(points) == first_repeat_by_pairs(points)


def test_ten_thousand_options_that_all_differ_are_checked_in_one_pass_over_neighbours():
    points = [float(n) for n in range(1, 10_001)]
    assert first_repeat(points) is None
    assert first_repeat([*points, 5000.000000000001]) == (10_000, 4999)  # 1e-16 apart: the same option
