"""Numbers, bars and status marks as the TUI shows them (pure functions, no widgets)."""

from __future__ import annotations

import math

from rich.text import Text

from calculator import STATUS_GLYPH, format_number

STATUS_MARK = {**STATUS_GLYPH, "error": "!", "loading": "…"}
"""A mark for each status (the engine's, and two of the TUI's own), so that a status reads without colour too (NO_COLOR)."""

number = format_number
"""One way to write a number: the CLI's, with k/M/B/T."""


def quantity(value: float, unit: str, sig_figs: int = 3) -> str:
    """`64 gpu`, `40%`, or the bare number when dimensionless."""
    shown = number(value, sig_figs)
    if unit in ("", "%"):
        return shown + unit
    return f"{shown} {unit}"


def percentile_name(quantile: float) -> str:
    """`p95` for 0.95: a percentile budget's percentile as people say it."""
    return f"p{quantile * 100:.6g}"


def percent(share: float) -> str:
    """A share as a percentage: `84%`, `0.4%`, `∞%`."""
    if math.isinf(share):
        return "∞%"
    if math.isnan(share):
        return "–"
    if 0 < abs(share) < 0.01:
        return f"{share:.1%}"
    return f"{share:.0%}"


def change(new: float, old: float) -> str:
    """The relative change from `old` to `new`: `+20%`, `-3.1%`, `×12`, or '' when unchanged."""
    if new == old or (math.isnan(new) and math.isnan(old)):
        return ""
    if old == 0 or not math.isfinite(old) or not math.isfinite(new):
        return "changed"
    ratio = new / old
    if ratio >= 10 or ratio <= -10:
        return f"×{number(ratio, 2)}"
    delta = ratio - 1
    return f"{'+' if delta > 0 else ''}{delta:.1%}" if abs(delta) < 0.1 else f"{'+' if delta > 0 else ''}{delta:.0%}"


def bar(share: float, width: int, style: str = "", empty_style: str = "") -> Text:
    """A horizontal bar of `width` cells, `share` (0..1, clipped) of it filled, in eighths of a cell."""
    width = max(width, 1)
    cells = 0.0 if math.isnan(share) else min(max(share, 0.0), 1.0) * width
    full = int(cells)
    eighths = int((cells - full) * 8)
    filled = "█" * full + ("" if eighths == 0 or full >= width else " ▏▎▍▌▋▊▉"[eighths])
    return Text.assemble((filled, style), ("░" * (width - len(filled)), empty_style))
