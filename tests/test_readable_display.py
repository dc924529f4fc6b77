"""How values read: float noise rounded away, percents kept, whole inputs exact, readable prefixed units."""

from __future__ import annotations

import math

import pytest

import calculator
from calculator.common.numbers import format_number
from tests.helpers import evaluate


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.9999999999999989, "1"),  # float noise of a lognormal's quantile, not a value anyone wrote
        (9.99999999999997e9, "10B"),
        (1 - 0.9999, "1e-4"),  # 0.00009999999999998899 in floats
        (0.999999999, "0.999999999"),  # a real value with nine 9s keeps them
    ],
)
def test_float_noise_is_rounded_away(value, text):
    assert format_number(value) == text


def test_interval_ends_read_as_written():
    result = evaluate("""
        name: t
        inputs:
          a: 2B to 8B
          c: 1 to 4 GB
        """)
    # the median of a lognormal 90% interval is the geometric mean of its ends
    assert result.values["a"].range_display() == "4B (2B – 8B)"
    assert result.values["c"].range_display() == f"{format_number(math.sqrt(4))} (1 – 4) GB"


def test_a_share_of_one_minus_nearly_one_in_percent():
    result = evaluate("""
        name: t
        inputs: {frac: 0.9999}
        derived: {share: 1 - frac -> %}
        """)
    assert result.values["share"].display == "0.01%"


def test_a_percent_input_keeps_percent_when_uncertain():
    result = evaluate("""
        name: t
        inputs: {mfu: 30% to 50%}
        """)
    median = math.sqrt(0.3 * 0.5)  # 0.387
    assert result.values["mfu"].range_display() == f"{100 * median:.1f}% (30% – 50%)"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("8192 gpu", "8,192 gpu"),
        ("123456 user", "123,456 user"),
        ("64 gpu", "64 gpu"),
        ("1000000 user", "1M user"),
        ("8192.5 gpu", "8.19k gpu"),
        ("2000 user", "2k user"),
        ("10000 request", "10k request"),
    ],  # nothing rounded: the short form is exact
)
def test_a_whole_input_below_a_million_is_written_exactly(written, shown):
    result = evaluate(f"""
        name: t
        inputs: {{n: {written}}}
        """)
    assert result.values["n"].display == shown


def test_bytes_per_thing_take_a_prefixed_byte_unit():
    result = evaluate("""
        name: t
        derived: {img: 512 * 4 byte / image}
        """)
    assert result.values["img"].display == "2.05 KB/image"  # 2048 bytes = 2.048 kB


def test_money_per_time_reads_per_month():
    cost = calculator.estimate("0.02 USD/GB/month * 700 TB")
    assert str(cost.units) in ("USD / month", "US_dollar / month")
    assert cost.magnitude == pytest.approx(0.02 * 700_000)
    result = evaluate("""
        name: t
        derived: {cost: 0.02 USD/GB/month * 700 TB}
        """)
    assert result.values["cost"].display == "14k USD/month"


def test_solve_answers_a_percent_input_in_percent():
    model = calculator.loads(
        "name: t\ninputs: {mfu: 30% to 50%, work: 1000 FLOP}\nderived: {need: work / mfu}\nbudgets: {need: <= 4000 FLOP}\n",
        "<test>",
    )
    answer = calculator.solve(model, "mfu")
    assert answer.unit.text == "%"
    assert answer.value == pytest.approx(100 * 1000 / 4000)  # work / mfu <= 4000 FLOP  <=>  mfu >= 25%
    assert answer.direction == "min" and answer.to_text().startswith("mfu can fall to 25% (smallest value at which")
