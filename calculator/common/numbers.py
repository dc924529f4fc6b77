"""Numbers as an engineer reads them: 17.4k, 2.05M, 0.625, 3.15e23.

Rounding never crosses a power of ten: 99.9999999 is not shown as 100, and
0.9999 as a share is not shown as 100%; more digits are shown instead. Float
noise is not a digit anyone wrote: a value is first rounded to 12 significant
figures, so a quantile computed as 0.999999999999998 reads 1.

A whole number below a million that was written as such (an input's `8192 gpu`)
can be shown exactly instead, with thousands separators, when the significant
figures would round it: `8,192`, but `2k` for 2000.
"""

from __future__ import annotations

import math
from typing import Any

SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
# Digits a float's arithmetic keeps reliably; the rest is noise from unit factors and quantiles.
RELIABLE_DIGITS = 12
EXACT_BELOW = 1e6


def format_number(value: float, sig_figs: int = 3) -> str:
    """`value` to `sig_figs` significant figures, with a k/M/B/T suffix when large."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    value = float(f"{value:.{RELIABLE_DIGITS - 1}e}")
    if value == 0:
        return "0"
    digits = _digits_needed(value, sig_figs)
    rounded = float(f"{value:.{digits - 1}e}")
    magnitude = abs(rounded)
    if magnitude >= 1e15 or magnitude < 1e-3:
        significand, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{_trim(significand)}e{int(exponent)}"
    for scale, suffix in SUFFIXES:
        if magnitude >= scale:
            return _fixed(rounded / scale, digits) + suffix
    return _fixed(rounded, digits)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 block`, `3 blocks`, `0 blocks`: a count with its noun in the right number (`plural` when not noun + s)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def format_exact(value: float, sig_figs: int = 3) -> str:
    """A whole number below a million that `sig_figs` would round exactly (`8,192`, not 8.19k);
    any other as format_number writes it (`2k`, `64`, `1.5M`)."""
    shown = format_number(value, sig_figs)
    if math.isfinite(value) and abs(value) < EXACT_BELOW:
        reliable = float(f"{value:.{RELIABLE_DIGITS - 1}e}")  # 8192 through a unit's factor may be 8192.000000000001
        if reliable.is_integer() and _value_of(shown) != reliable:
            return f"{int(reliable):,}"
    return shown


def _value_of(shown: str) -> float:
    """The number a k-suffixed text stands for: '8.19k' is 8190."""
    for scale, suffix in SUFFIXES:
        if shown.endswith(suffix):
            return float(shown[: -len(suffix)]) * scale
    return float(shown)


def _digits_needed(value: float, sig_figs: int) -> int:
    """The fewest significant figures, from `sig_figs`, that do not round across a power of ten (nor,
    next to the largest float, to infinity: 1.7976e308 to 3 figures would be 1.80e308 = inf)."""
    exponent = math.floor(math.log10(abs(value)))
    for digits in range(min(sig_figs, RELIABLE_DIGITS), RELIABLE_DIGITS + 1):
        rounded = float(f"{abs(value):.{digits - 1}e}")
        if math.isfinite(rounded) and math.floor(math.log10(rounded)) == exponent:
            return digits
    return RELIABLE_DIGITS


def _fixed(value: float, digits: int) -> str:
    exponent = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - exponent, 0)
    return _trim(f"{value:.{decimals}f}")


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def finite_json(data: Any) -> Any:
    """`data` (JSON-shaped) with every non-finite float made null (JSON has no NaN or infinity), and a
    top-level "non_finite" list saying where each was and what it was ("inf", "-inf", "nan")."""
    found: list[dict[str, str]] = []

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            found.append({"path": path, "value": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")})
            return None
        if isinstance(value, dict):
            return {key: clean(item, f"{path}.{key}" if path else str(key)) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    cleaned = clean(data, "")
    if found and isinstance(cleaned, dict):
        cleaned["non_finite"] = found  # why each null is one: a sample divided by zero, an overflow
    return cleaned
