"""The unit table: pint's answers kept between runs, written once a load, and a malformed entry is a miss."""

from __future__ import annotations

import pytest

import calculator
from calculator.units import system


@pytest.fixture
def fresh_table():
    """A unit table of this test's own (the process keeps one, made by whichever test came first)."""
    system.unit_table.cache_clear()
    system.known_name.cache_clear()
    yield
    system.unit_table.cache_clear()
    system.known_name.cache_clear()


def test_5000_declared_units_are_written_once(fresh_table, monkeypatch):
    writes = []
    monkeypatch.setattr(system, "write_entry", lambda kind, key, payload, keep: writes.append(len(payload["names"])))
    count = 5_000
    units = "\n".join(f"  u{i}: null" for i in range(count))
    inputs = "\n".join(f"  a{i}: {i + 1} u{i}" for i in range(count))
    model = calculator.loads(f"name: many\nunits:\n{units}\ninputs:\n{inputs}\n", "<many>")
    assert model.evaluate().result.values["a4999"].value == 5_000
    assert len(writes) == 1 and writes[0] >= count  # every new name, in one write


def test_a_table_read_back_is_not_asked_again(fresh_table, monkeypatch):
    assert system.known_unit("kilobyte").factor == 8_000  # bits: 1000 byte of 8 bit
    system.unit_table().save()
    system.unit_table.cache_clear()
    system.known_name.cache_clear()
    monkeypatch.setattr(system, "_ask_pint", lambda name: pytest.fail(f"asked pint for {name}"))
    assert system.known_unit("kilobyte").factor == 8_000


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {},
        {"names": 3},
        "s",
        None,
        7,
        {"names": {}, "roots": 3},
        {"names": {"second": "s"}, "roots": {}},
        {"names": {"second": [1.0, {"[time]": 1.0}, "second"]}, "roots": {}},  # one field short
        {"names": {"second": ["1", {"[time]": 1.0}, "second", False]}, "roots": {}},  # factor as text
        {"names": {"second": [1.0, {"[time]": "x"}, "second", False]}, "roots": {}},  # power as text
        {"names": {"second": [1.0, [], "second", False]}, "roots": {}},
        {"names": {"second": [1.0, {"[time]": 1.0}, 5, False]}, "roots": {}},
        {"names": {"second": [1.0, {"[time]": 1.0}, "second", "no"]}, "roots": {}},
        {"names": {}, "roots": {"[time]": 5}},
        {"names": {}, "roots": {}, "more": 1},
    ],
)
def test_a_table_of_the_wrong_shape_is_a_miss(fresh_table, payload):
    key = system.UnitTable().key
    system.write_entry("units", key, payload, keep=8)  # sealed: only the shape check stands in the way
    table = system.UnitTable()
    assert table.names == {} and table.roots == {}
    assert table.lookup("minute") == system.NameInfo(60.0, system.Dimension.of({"[time]": 1}), "minute")
    assert table.root_unit("[time]") == "second"
