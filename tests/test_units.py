"""envelope's unit layer against pint itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculator.common.errors import Location
from calculator.formula.parse import parse_unit
from calculator.units import system as system_module
from calculator.units.system import Dimension, UnitSystem, registry

HERE = Location("u", 1, 1)


@pytest.mark.parametrize(
    "text", ["request/s", "USD/hour/gpu", "TB", "GB/gpu", "ms", "request/user/day", "m^2/s", "TFLOPS", "KiB", "token*param/s"]
)
def test_long_text_and_factor_agree_with_pint(text):
    unit = UnitSystem().unit(parse_unit(text, HERE), HERE)
    pint_unit = registry().Unit(text.replace("^", "**"))
    assert unit.long_text() == str(pint_unit)
    factor, _ = registry().get_base_units(pint_unit)
    assert unit.factor == pytest.approx(float(factor), rel=1e-12)


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("byte", 8),
        ("KB", 8e3),
        ("MB", 8e6),
        ("GB", 8e9),
        ("TB", 8e12),
        ("PB", 8e15),
        ("KiB", 8 * 1024),
        ("GiB", 8 * 2**30),
        ("Gbps", 1e9),
    ],
)
def test_data_sizes_are_information(text, bits):
    unit = UnitSystem().unit(parse_unit(text, HERE), HERE)
    assert unit.factor == pytest.approx(bits)
    assert "[information]" in unit.dimension.base_names()


def test_counting_units_are_separate_dimensions():
    units = UnitSystem()
    request = units.unit(parse_unit("request/s", HERE), HERE)
    token = units.unit(parse_unit("token/s", HERE), HERE)
    assert request.dimension != token.dimension
    assert units.unit(parse_unit("queries", HERE), HERE).dimension == units.unit(parse_unit("req", HERE), HERE).dimension


def test_flops_and_money():
    units = UnitSystem()
    assert units.unit(parse_unit("TFLOPS", HERE), HERE).factor == pytest.approx(1e12)
    usd = units.unit(parse_unit("USD", HERE), HERE)
    assert usd.dimension.base_names() == ["[currency]"]


_BASES = st.sampled_from(["[time]", "[length]", "[request]", "[gpu]", "[information]"])
_EXPONENTS = st.dictionaries(_BASES, st.integers(-4, 4).map(float), max_size=4)


def _by_hand(left: dict[str, float], right: dict[str, float], power: float) -> tuple[tuple[str, float], ...]:
    """left · right^power, exponent by exponent, zeros dropped, sorted by name."""
    merged = {name: left.get(name, 0.0) + right.get(name, 0.0) * power for name in left.keys() | right.keys()}
    return tuple(sorted((name, value) for name, value in merged.items() if value != 0))


@given(_EXPONENTS, _EXPONENTS)
def test_dimension_products_and_quotients_are_exponent_sums(left, right):
    a, b = Dimension.of(left), Dimension.of(right)
    assert (a * b).exponents == _by_hand(left, right, 1.0)
    assert (a / b).exponents == _by_hand(left, right, -1.0)
    assert (b**3).exponents == _by_hand({}, right, 3.0)
    assert a * b == Dimension.of(dict(_by_hand(left, right, 1.0)))  # an equal dimension is the shared one
    assert a * b is Dimension.of(dict(_by_hand(left, right, 1.0)))


def test_shared_dimensions_stay_bounded():
    """A file cannot grow the shared dimensions without end: the table is cleared when full."""
    made = [Dimension.of({f"[thing{n}]": 1.0}) for n in range(5000)]
    assert len(system_module._SHARED) <= system_module._MAX_SHARED
    assert made[4999] == Dimension.of({"[thing4999]": 1.0}) and made[0].exponents == (("[thing0]", 1.0),)
