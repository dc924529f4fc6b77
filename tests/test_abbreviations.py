"""The abbreviation table, every row both ways; the counting units; currencies; the mass display."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import calculator
from calculator.cli.main import main
from calculator.common.errors import Location
from calculator.formula.parse import parse_unit
from calculator.units.system import UnitSystem, registry
from tests.helpers import error_of

UNITS = Path(__file__).resolve().parents[1] / "calculator" / "units"
ROWS = yaml.safe_load((UNITS / "abbreviations.yaml").read_text(encoding="utf-8"))["abbreviations"]
MEANT = [row for row in ROWS if "means" in row]
REFUSED = [row for row in ROWS if "refuse" in row]
HERE = Location("u", 1, 1)


def test_the_table_is_big_enough_and_every_row_is_one_or_the_other():
    assert len(ROWS) >= 60
    assert all(("means" in row) != ("refuse" in row) and row["note"] for row in ROWS)
    assert len({row["text"] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", MEANT, ids=[row["text"] for row in MEANT])
def test_an_abbreviation_converts_as_its_meaning_does(row):
    """3 of the abbreviation, converted to its meaning by pint (which is given only the meaning), is 3."""
    meaning = registry().Quantity(1.0, row["means"].replace("^", "**"))
    written = calculator.estimate(f"3 {row['text']} -> {row['means']}")
    assert written.magnitude == pytest.approx(3.0, rel=1e-12)
    assert written.dimensionality == meaning.dimensionality


@pytest.mark.parametrize("row", REFUSED, ids=[row["text"] for row in REFUSED])
def test_a_refused_abbreviation_says_what_was_meant(row):
    with pytest.raises(calculator.GrammarError) as refused:
        UnitSystem().lookup(row["text"], HERE)
    assert f"'{row['text']}'" in refused.value.message and row["note"] in refused.value.message
    assert refused.value.hint == row["refuse"]
    if row["text"] not in ("k", "M", "T"):  # after a number these three are the parser's: `100 M` means 100M
        error = error_of(f"name: x\ninputs:\n  a: 5 {row['text']}\n")
        assert isinstance(error, calculator.GrammarError) and error.hint == row["refuse"]


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("10 Gbps * 1 s -> GB", 10e9),
        ("10 Gb/s * 1 s -> GB", 10e9),
        ("100 Mb/s * 1 s -> GB", 100e6),
        ("1 kb -> GB", 1e3),
        ("1 Kb -> GB", 1e3),
        ("1 Tb -> GB", 1e12),
        ("1 Pb -> GB", 1e15),
        ("1 Gib -> GB", 2**30),
        ("1 Mib -> GB", 2**20),
        ("1 GiB -> GB", 8 * 2**30),
        ("1 Gbit -> GB", 1e9),
    ],
)
def test_bits_and_bytes_by_hand(text, bits):
    assert calculator.estimate(text).magnitude == pytest.approx(bits / 8 / 1e9, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 \u00b5s -> ns", 5000),
        ("5 \u03bcs -> ns", 5000),
        ("5 us -> ns", 5000),
        ("1000 qps * 1 day -> request", 86_400_000),
        ("1000 RPS * 1 day -> request", 86_400_000),
        ("2 rps * 1 minute -> request", 120),
        ("60 RPM * 1 hour -> request", 3600),
        ("100 IOPS * 1 minute -> op", 6000),
        ("1 PF-day -> FLOP", 1e15 * 86400),
        ("1 petaflop-day -> FLOP", 8.64e19),
        ("2 GPU-hour -> gpu*s", 7200),
        ("1 month -> hour", 365.25 * 24 / 12),
        ("1 mo -> day", 365.25 / 12),
        ("1 year -> day", 365.25),
        ("4 core -> vcpu", 4),
        ("3 vCPU -> vcpu", 3),
        ("7 tok -> token", 7),
    ],
)
def test_rates_time_and_compute_by_hand(text, expected):
    assert calculator.estimate(text).magnitude == pytest.approx(expected, rel=1e-12)


# Computing stems and the prefixes people put on them: no combination may reach physics.
DECIMAL = ["k", "K", "M", "G", "T", "P", "E", "Z", "Y"]
BINARY = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]
CASUAL = ["m", "g", "t", "p"]
COMBINATIONS = sorted(
    {p + s for p in DECIMAL for s in ("b", "B", "bit", "bps", "Bps", "F", "FLOP", "FLOPS")}
    | {p + s for p in BINARY for s in ("b", "B", "bit", "bps")}
    | {p + s for p in CASUAL for s in ("b", "bps")}
    | {row["text"] for row in ROWS}
)
COMPUTING = {
    "[information]",
    "[time]",
    "[flop]",
    "[request]",
    "[operation]",
    "[token]",
    "[gpu]",
    "[vcpu]",
    "[node]",
    "[instance]",
}


def test_no_computing_abbreviation_reaches_a_physics_unit():
    units = UnitSystem()
    physics_reached_by_pint = set()
    for text in COMBINATIONS:
        try:
            pint_reads = registry().get_dimensionality(registry().get_name(text))
        except Exception:  # pint does not know it at all
            pint_reads = {}
        if {str(d) for d in pint_reads} - COMPUTING:
            physics_reached_by_pint.add(text)
        try:
            unit = units.unit(parse_unit(text, HERE), HERE)
        except (calculator.GrammarError, calculator.UnknownUnitError):
            continue  # refused with a hint, or unknown: never a silent physics unit
        assert set(unit.dimension.base_names()) <= COMPUTING, text
    # the table is what stands between these and pint's reading (gilbert, barn, farad, tesla ...)
    assert {"Gb", "Mb", "kb", "Tb", "Gib", "Mib", "PF", "GT"} <= physics_reached_by_pint


@pytest.mark.parametrize(
    ("text", "physics"),
    [
        ("Gb", "gilbert"),
        ("Mb", "barn"),
        ("GT", "tesla"),
        ("G", "gauss"),
        ("P", "poise"),
        ("St", "stokes"),
        ("pc", "parsec"),
        ("M", "molar"),
        ("PF", "farad"),
        ("rps", "revolutions_per_second"),
    ],
)
def test_pints_physics_readings_are_unreachable(text, physics):
    assert physics in str(registry().parse_unit_name(text))  # what pint alone would read
    try:
        unit = UnitSystem().unit(parse_unit(text, HERE), HERE)
    except calculator.GrammarError as refused:
        assert refused.hint
        return
    assert physics not in unit.long_text()
    assert set(unit.dimension.base_names()) <= COMPUTING


COUNTING = [
    "transaction",
    "document",
    "chunk",
    "sequence",
    "session",
    "post",
    "impression",
    "click",
    "vcpu",
    "operation",
    "frame",
    "page",
    "row",
    "replica",
    "instance",
]


@pytest.mark.parametrize("name", COUNTING)
def test_built_in_counting_units_are_their_own_dimension(name):
    unit = UnitSystem().unit(parse_unit(f"{name}s/s", HERE), HERE)
    assert set(unit.dimension.base_names()) == {f"[{name}]", "[time]"}
    error = error_of(f"name: x\ninputs:\n  a: 1 {name}\n  b: 1 request\nderived:\n  c: a + b\n")
    assert isinstance(error, calculator.DimensionError)


def test_aliases_of_counting_units():
    units = UnitSystem()
    for alias, name in [("core", "vcpu"), ("vCPU", "vcpu"), ("op", "operation"), ("txn", "transaction"), ("doc", "document")]:
        assert units.unit(parse_unit(alias, HERE), HERE).dimension.base_names() == [f"[{name}]"]


def test_declaring_a_built_in_counting_unit_is_a_note(tmp_path, capsys):
    path = tmp_path / "old.yaml"
    path.write_text("name: old\nunits: [vcpu, listing]\ninputs:\n  cpus: 4 vcpu\n  n: 2 listing\n", encoding="utf-8")
    assert main(["eval", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"{path}:2:9: note: 'vcpu' is built in now (a counting unit); its declaration can go\n"
    assert "4 vcpu" in captured.out


def test_a_taken_name_that_is_no_counting_unit_is_still_an_error():
    assert error_of("name: x\nunits: [Gb]\n").message.startswith("'Gb' is already a unit")


def test_unknown_unit_suggests_a_close_one_and_how_to_declare():
    error = error_of("name: x\ninputs:\n  a: 1 usr\n")
    assert error.hint == "did you mean 'user'? Or declare it as a new counted thing: units: [usr]"
    error = error_of("name: x\ninputs:\n  a: 1 widgetry\n")
    assert error.hint == "Declare it as a new counted thing: units: [widgetry]"


def test_a_hyphen_joins_only_inside_a_unit_and_not_before_a_value():
    model = calculator.loads("name: x\ninputs:\n  setup: 1 hour\nderived:\n  left: 3 hour-setup\n  f: 2 PF-day\n")
    values = model.evaluate().result.values
    assert values["left"].value == pytest.approx(2)
    assert values["f"].unit.text == "PF-day"
    error = error_of("name: x\ninputs:\n  a: 2 GB-day\n")
    assert error.message == "unknown unit or name 'GB-day'"


def test_mass_and_power_show_in_what_they_are():
    model = calculator.loads("name: m\ninputs:\n  m: 1 kg\nderived:\n  m2: m * 2\n  p2: 700 W * 1\n")
    values = model.evaluate().result.values
    assert calculator.quantity(values["m2"], model).to("kg").magnitude == pytest.approx(2)
    assert calculator.quantity(values["p2"], model).to("W").magnitude == pytest.approx(700)
    assert calculator.format_quantity(values["m2"].value, values["m2"].unit, 3) == "2 kg"
    assert calculator.format_quantity(values["p2"].value, values["p2"].unit, 3) == "700 W"


CURRENCY = yaml.safe_load((UNITS / "currencies.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", ["EUR", "GBP", "JPY", "CNY", "INR"])
def test_currencies_convert_at_the_dated_rate(code):
    usd_per_unit = CURRENCY["per_euro"]["USD"] / CURRENCY["per_euro"][code]  # the file's rate, read here
    assert calculator.estimate(f"1000 {code} -> USD").magnitude == pytest.approx(1000 * usd_per_unit, rel=1e-12)
    assert CURRENCY["perishable"] is True and CURRENCY["as_of"] and CURRENCY["source"].startswith("ECB")


def test_a_scenario_in_euros_notes_the_rate_and_its_date(tmp_path, capsys):
    path = tmp_path / "eu.yaml"
    path.write_text("name: eu\ninputs:\n  fee: 100 EUR\n  other: 5 EUR\nderived:\n  usd: fee -> USD\n", encoding="utf-8")
    assert main(["eval", str(path)]) == 0
    err = capsys.readouterr().err
    rate = CURRENCY["per_euro"]["USD"]
    assert err == (
        f"{path}:3:12: note: 1 EUR = {rate:.4g} USD (as of {CURRENCY['as_of']}; exchange rates go stale;"
        " ECB euro foreign exchange reference rates)\n"
    )
    assert not math.isnan(rate)


def test_envelope_units_lists_the_table(capsys):
    assert main(["units"]) == 0
    out = capsys.readouterr().out
    for row in ROWS:
        assert f"  {row['text']} " in out
    assert "as of 2025-02-28" in out and "1 EUR = 1.0411 USD" in out
