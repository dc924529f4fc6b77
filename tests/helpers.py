"""Helpers shared by the tests: the checkout's root, evaluating a scenario text, its error, cache entries."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import calculator

ROOT = Path(__file__).resolve().parents[1]


def cache_entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def evaluate(text: str, **overrides: str) -> calculator.Result:
    model = calculator.loads(textwrap.dedent(text), "<test>")
    parsed = {name: model.parse_override(name, value) for name, value in overrides.items()}
    return model.evaluate(parsed).result


def error_of(text: str) -> calculator.EnvelopeError:
    with pytest.raises(calculator.EnvelopeError) as caught:
        evaluate(text)
    return caught.value


KATEX = ROOT / "tests" / "katex"


def katex_errors(formulas: list[str]) -> list[str | None]:
    """KaTeX's verdict on each formula (None: it typesets), from one `node` run of tests/katex/check.mjs."""
    import json
    import subprocess

    assert (KATEX / "node_modules" / "katex").is_dir(), "KaTeX is not installed: npm ci --prefix tests/katex"
    run = subprocess.run(
        ["node", str(KATEX / "check.mjs")], input=json.dumps(formulas), capture_output=True, text=True, timeout=120, check=True
    )
    verdicts: list[str | None] = json.loads(run.stdout)
    return verdicts
