"""envelope's unit layer against pint itself."""

from __future__ import annotations

import pytest

from calculator.common.errors import Location
from calculator.formula.parse import parse_unit
from calculator.units.system import UnitSystem, registry

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
