"""Target 2: unit strings, after a number, after `->`, in `units:` declarations and in an override."""

from __future__ import annotations

from hypothesis import given

import calculator

from .harness import only_envelope_errors
from .strategies import any_units, quote
from .test_formulas import present


@given(any_units)
def test_unit_of_an_input(unit: str) -> None:
    text = (
        f"name: units\ninputs:\n  a: {quote('3 ' + unit)}\n  b: {quote('2' + unit)}\nderived:\n  c: {quote('a * 2 -> ' + unit)}\n"
    )
    only_envelope_errors("units:input", text, lambda: present(calculator.loads(text, "u.yaml").evaluate().result))


@given(any_units)
def test_declared_unit(unit: str) -> None:
    text = f"name: units\nunits:\n  widget: null\n  myunit: {quote('2 ' + unit)}\ninputs:\n  a: 3 myunit\n  w: 2 widget/{unit}\n"
    only_envelope_errors("units:declared", text, lambda: present(calculator.loads(text, "u.yaml").evaluate().result))


@given(any_units)
def test_unit_in_an_override(unit: str) -> None:
    text = "name: units\ninputs:\n  a: 3 s\n"

    def run() -> None:
        model = calculator.loads(text, "u.yaml")
        present(model.evaluate({"a": model.parse_override("a", f"5 {unit}")}).result)

    only_envelope_errors("units:override", unit, run)
