"""envelope's copy of pint's definitions is the installed pint's, but for the documented edits.

pyproject pins pint to the version the copy came from; when pint moves, this
test says what to re-copy (and the edits to re-apply).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

UNITS = Path(__file__).resolve().parents[1] / "calculator" / "units"
EDITS = {
    "bit = []": "bit = [information]",  # so that `5 TB + 3` is a dimension error
    "baud = bit / second = Bd = bps": "baud = bit / second = Bd",  # bps is envelope's bit/s
}


def installed_pint_file(name: str) -> Path:
    spec = importlib.util.find_spec("pint")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / name


def test_the_default_definitions_are_pints_with_the_documented_edits():
    copy = (UNITS / "pint_default_en.txt").read_text(encoding="utf-8").splitlines()
    assert copy[0].startswith(f"# Copied from pint {importlib.metadata.version('pint')} ")  # the pinned version
    body = copy[copy.index("#") + 1 :]  # envelope's note ends at the first bare '#'
    expected = [EDITS.get(line, line) for line in installed_pint_file("default_en.txt").read_text(encoding="utf-8").splitlines()]
    assert body == expected
    assert all(edit in body for edit in EDITS.values())


def test_the_constants_are_pints():
    assert (UNITS / "constants_en.txt").read_bytes() == installed_pint_file("constants_en.txt").read_bytes()


def test_envelopes_definitions_name_only_files_that_exist():
    text = (UNITS / "envelope_en.txt").read_text(encoding="utf-8")
    assert "refused_units.yaml" not in text
    imports = [line.split()[1] for line in text.splitlines() if line.startswith("@import")]
    assert imports and all((UNITS / name).exists() for name in imports)
