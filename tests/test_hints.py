"""Hints that point at the fix: the YAML comma trap, a bare limit, ≤ ≥, did-you-mean for a budget,
estimate() errors in the user's own text, and a forgotten 'per day' caught at a budget."""

from __future__ import annotations

import pytest

import calculator
from tests.helpers import error_of, evaluate


def test_a_comma_inside_a_flow_mapping_gets_the_quote_hint():
    error = error_of("""\
        name: s
        inputs:
          mfu: { value: 90%, note: restarts, checkpoints, failures }
        """)
    assert error.message == "unknown key 'checkpoints' in inputs.mfu"
    assert error.hint == "a comma inside { } ends the text: quote it, note: 'restarts, checkpoints, failures'"
    assert (error.location.line, error.location.column) == (3, 38)


def test_a_bare_number_limit_hints_the_value_unit():
    error = error_of("name: s\ninputs:\n  x: 3 ms\nbudgets:\n  x: < 10\n")
    assert isinstance(error, calculator.DimensionError)
    assert error.hint == "give the limit its unit: '< 10 ms'"


@pytest.mark.parametrize(("written", "status", "used"), [("≤ 10 ms", "ok", 3 / 10), ("≥ 10 ms", "fail", 10 / 3)])
def test_the_signs_every_table_prints_are_accepted(written, status, used):
    budget = evaluate(f"name: s\ninputs:\n  x: 3 ms\nbudgets:\n  x: {written}\n").budget("x")
    assert (budget.op, budget.status, budget.utilization) == (
        written[0].replace("≤", "<=").replace("≥", ">="),
        status,
        pytest.approx(used),
    )


def test_a_budget_on_an_unknown_value_suggests_the_one_containing_it():
    error = error_of("name: s\ninputs:\n  peak_qps: 3 request/s\n  gpus: 2 gpu\nbudgets:\n  qps: <= 10 request/s\n")
    assert error.message == "budget on unknown value 'qps'"
    assert error.hint == "did you mean 'peak_qps'?"
    error = error_of("name: s\ninputs:\n  a: 3 request/s\n  b: 2 gpu\nbudgets:\n  zzz: <= 10 request/s\n")
    assert error.hint == "values: a, b"  # nothing close: the list


def test_a_forgotten_per_day_at_a_budget_points_at_the_value():
    error = error_of("""\
        name: s
        inputs:
          dau: 1M user
          per_user: 4 request/user    # the 'per day' forgotten
        derived:
          daily: dau * per_user
        budgets:
          daily: <= 100 request/s
        """)
    assert error.hint == "'daily' is an amount and the limit a rate: divide 'daily' by a time (a forgotten 'per day'?)"


def test_estimate_errors_point_into_the_text():
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.estimate("3 usr * 2")
    assert raised.value.render() == (
        "<estimate>:1:3: error: unknown unit or name 'usr'\n"
        "  hint: did you mean 'user'? Or declare it as a new counted thing: units: [usr]"
    )
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.estimate("3 user +")
    assert raised.value.location.line == 1 and raised.value.location.column == 9  # just past the '+'


def test_estimate_of_an_assignment_says_what_to_drop():
    with pytest.raises(calculator.UsageError) as raised:
        calculator.estimate("qps = 3")
    assert raised.value.message == "estimate() takes a formula, not an assignment to 'qps'"
    assert raised.value.hint == 'drop "qps =": estimate("3")'
