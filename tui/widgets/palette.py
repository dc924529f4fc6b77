"""Rich styles from the app's theme, for widgets that draw their own text (bars, waterfalls)."""

from __future__ import annotations

from textual.dom import DOMNode

STATUS_VARIABLE = {"ok": "success", "warn": "warning", "fail": "error", "error": "error"}


def theme_color(node: DOMNode, variable: str) -> str:
    """A theme colour as a rich colour (`#4EBF71`), or '' when unknown (the style then falls back to plain)."""
    value = node.app.theme_variables.get(variable, "")
    return value[:7] if value.startswith("#") else ""


def status_style(node: DOMNode, status: str, bold: bool = False) -> str:
    """The rich style of a status: green ok, yellow warn, red fail (plain when unknown, e.g. 'loading')."""
    color = theme_color(node, STATUS_VARIABLE[status]) if status in STATUS_VARIABLE else ""
    return " ".join(part for part in ("bold" if bold else "", color) if part) or "dim"


def status_styles(node: DOMNode) -> dict[str, str]:
    """Every status's rich style at once (rows keep them, so that a theme change redraws them)."""
    return {status: status_style(node, status) for status in ("ok", "warn", "fail", "error")}
