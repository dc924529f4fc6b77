from __future__ import annotations

import pytest

from calculator.common.numbers import format_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (17_361.111, "17.4k"),
        (5_787.037, "5.79k"),
        (125.0, "125"),
        (0.625, "0.625"),
        (2.0, "2"),
        (1_234_567, "1.23M"),
        (2.05e14, "205T"),
        (3.15e23, "3.15e23"),
        (1.2e-6, "1.2e-6"),
        (-42.42, "-42.4"),
        (0, "0"),
        # never rounded across a power of ten:
        (99.9999999, "99.9999999"),
        (0.999999999, "0.999999999"),
        (9.9996, "9.9996"),
        (999_999, "999.999k"),
    ],
)
def test_format(value, text):
    assert format_number(value) == text


def test_sig_figs_setting():
    assert format_number(17_361.111, 5) == "17.361k"
    assert format_number(17_361.111, 1) == "20k"
