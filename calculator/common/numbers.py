"""Numbers as an engineer reads them: 17.4k, 2.05M, 0.625, 3.15e23.

Rounding never crosses a power of ten: 99.9999999 is not shown as 100, and
0.9999 as a share is not shown as 100%; more digits are shown instead.
"""

from __future__ import annotations

import math
from typing import Any

SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
MAX_DIGITS = 15


def format_number(value: float, sig_figs: int = 3) -> str:
    """`value` to `sig_figs` significant figures, with a k/M/B/T suffix when large."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
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


def _digits_needed(value: float, sig_figs: int) -> int:
    """The fewest significant figures, from `sig_figs`, that do not round across a power of ten (nor,
    next to the largest float, to infinity: 1.7976e308 to 3 figures would be 1.80e308 = inf)."""
    exponent = math.floor(math.log10(abs(value)))
    for digits in range(sig_figs, MAX_DIGITS + 1):
        rounded = float(f"{abs(value):.{digits - 1}e}")
        if math.isfinite(rounded) and math.floor(math.log10(rounded)) == exponent:
            return digits
    return MAX_DIGITS


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
