"""Units: one pint registry for the process, and dimension algebra on floats.

pint knows the units (from `units/envelope_en.txt`, a pint definitions file);
this module asks it once per unit name for the factor to base units and the
dimension, so that checking a formula is arithmetic on small tuples and
evaluating one is arithmetic on floats in base units.

A name is looked up in `abbreviations.yaml` first (`Gb` is a gigabit, `qps` a
request/second, `b` refused with a hint), then in pint. Currencies other than USD are
defined from `currencies.yaml` (dated exchange rates) when the registry is built.

A scenario's own `units:` are defined in the same registry (pint cannot mix
registries) but are visible only to the scenarios that declare them.
"""

from __future__ import annotations

import atexit
import functools
import math
import re
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calculator.common.cache import cache_key, package_stamp, read_entry, write_entry
from calculator.common.errors import EvaluationError, GrammarError, Location, ShapeError, UnknownUnitError, did_you_mean
from calculator.common.records import record
from calculator.formula.expr import UnitExpr, unit_text
from calculator.formula.parse import parse_unit

if TYPE_CHECKING:
    import pint

DEFINITIONS = Path(__file__).parent / "envelope_en.txt"
ABBREVIATIONS = Path(__file__).parent / "abbreviations.yaml"
CURRENCIES = Path(__file__).parent / "currencies.yaml"
# Base dimensions that measure something; every other base dimension counts things.
PHYSICAL = frozenset(
    ["[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]", "[luminosity]", "[information]", "[currency]"]
)
# How a base dimension is spoken of in messages and shown when no unit is given.
PREFERRED_UNIT = {"[information]": ("byte", 8.0)}


@record
class Dimension:
    """A product of base dimensions with exponents, e.g. [request]/[time]."""

    exponents: tuple[tuple[str, float], ...] = ()

    @staticmethod
    def of(mapping: dict[str, float]) -> Dimension:
        exponents = tuple(sorted((k, float(v)) for k, v in mapping.items() if v != 0))
        shared = _SHARED.get(exponents)
        if shared is None:
            _bounded(_SHARED)
            shared = _SHARED[exponents] = Dimension(exponents)
        return shared

    def __mul__(self, other: Dimension) -> Dimension:
        key = (self.exponents, other.exponents)
        product = _PRODUCTS.get(key)
        if product is None:
            merged = dict(self.exponents)
            for name, power in other.exponents:
                merged[name] = merged.get(name, 0.0) + power
            _bounded(_PRODUCTS)
            product = _PRODUCTS[key] = Dimension.of(merged)
        return product

    def __truediv__(self, other: Dimension) -> Dimension:
        return self * other**-1

    def __pow__(self, power: float) -> Dimension:
        key = (self.exponents, power)
        result = _POWERS.get(key)
        if result is None:
            _bounded(_POWERS)
            result = _POWERS[key] = Dimension.of({k: v * power for k, v in self.exponents})
        return result

    @property
    def dimensionless(self) -> bool:
        return not self.exponents

    @property
    def counting(self) -> bool:
        """Dimensionless, or made only of counting dimensions (gpu, request/user...)."""
        return all(name not in PHYSICAL for name, _ in self.exponents)

    def base_names(self) -> list[str]:
        return [name for name, _ in self.exponents]


# A scenario's formulas meet a handful of dimensions thousands of times: each dimension is built
# once and shared, each product and power computed once (10,000 formulas made 10,000 equal
# Dimensions, 2.4 MB). Bounded, so that no file can grow them without end.
_SHARED: dict[tuple[tuple[str, float], ...], Dimension] = {}
_PRODUCTS: dict[tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]], Dimension] = {}
_POWERS: dict[tuple[tuple[tuple[str, float], ...], float], Dimension] = {}
_MAX_SHARED = 4096


def _bounded(table: dict[Any, Dimension]) -> None:
    if len(table) >= _MAX_SHARED:
        table.clear()


DIMENSIONLESS = Dimension.of({})


@record
class Unit:
    """A unit as the engine uses it: base-unit factor, dimension, and its names."""

    factor: float
    dimension: Dimension
    text: str  # compact, as written: "request/s"
    factors: tuple[tuple[str, float], ...] = ()  # canonical pint names and powers

    def __repr__(self) -> str:
        return f"Unit({self.text!r})"

    def long_text(self) -> str:
        """pint's long unit text, 'request / second', written as pint writes it."""
        return long_unit_text(self.factors)


def long_unit_text(factors: tuple[tuple[str, float], ...]) -> str:
    """Names and powers as pint's default format does: sorted, ' * ' above, ' / ' below."""
    merged: dict[str, float] = {}
    for name, power in factors:
        merged[name] = merged.get(name, 0.0) + power
    top = sorted((n, p) for n, p in merged.items() if p > 0)
    bottom = sorted((n, -p) for n, p in merged.items() if p < 0)
    if not top and not bottom:
        return "dimensionless"
    text = " * ".join(_power_text(n, p) for n, p in top) or "1"
    return text + "".join(f" / {_power_text(n, p)}" for n, p in bottom)


def _power_text(name: str, power: float) -> str:
    return name if power == 1 else f"{name} ** {_int_if_whole(power)}"


def _int_if_whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


@functools.lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """The process's one pint registry, from envelope's definitions.

    Evaluating a scenario does not need it: unit names are looked up in
    `UnitTable`, which asks pint only for names it has not seen before. pint's
    own disk cache is not used: parallel first runs race on it (EOFError), and
    reading it means unpickling a file from the cache folder.
    """
    import pint  # pint: only for a unit name the unit table has not seen

    reg: pint.UnitRegistry[Any] = pint.UnitRegistry(str(DEFINITIONS), autoconvert_offset_to_baseunit=False)
    for line in currencies().definitions():
        reg.define(line)
    return reg


def _read_yaml(path: Path) -> Any:
    import yaml  # PyYAML: only when the unit table is built (a cold cache), never on a warm run

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@record
class Abbreviation:
    """One row of abbreviations.yaml: a text as engineers write it, what it means or why it is refused."""

    text: str
    means: str | None  # a unit expression of pint's and envelope's names
    refuse: str | None  # the hint: what was probably meant
    note: str


@functools.lru_cache(maxsize=1)
def abbreviations() -> dict[str, Abbreviation]:
    """The abbreviation table, by text (read only when the unit table meets a name it has not seen)."""
    rows = _read_yaml(ABBREVIATIONS)["abbreviations"]
    table: dict[str, Abbreviation] = {}
    for row in rows:
        entry = Abbreviation(str(row["text"]), row.get("means"), row.get("refuse"), str(row["note"]))
        if (entry.means is None) == (entry.refuse is None) or entry.text in table:
            raise ValueError(f"abbreviations.yaml: '{entry.text}' needs one of means: or refuse:, once")
        table[entry.text] = entry
    return table


@record
class Currencies:
    """currencies.yaml: reference rates (units of each currency a euro buys) on one date."""

    per_euro: dict[str, float]
    aliases: dict[str, list[str]]
    as_of: str
    source: str
    perishable: bool

    def in_usd(self, code: str) -> float:
        return self.per_euro["USD"] / self.per_euro[code]

    def definitions(self) -> list[str]:
        """Each currency but USD as a pint definition: `EUR = 1.0411 * USD = _ = euro`."""
        return [
            " = ".join([f"{code} = {self.in_usd(code)!r} * USD", "_", *self.aliases.get(code, [])])
            for code in self.per_euro
            if code != "USD"
        ]

    def note(self, code: str) -> str:
        stale = "; exchange rates go stale" if self.perishable else ""
        return f"1 {code} = {self.in_usd(code):.4g} USD (as of {self.as_of}{stale}; {self.source.split(',')[0]})"


@functools.lru_cache(maxsize=1)
def currencies() -> Currencies:
    data = _read_yaml(CURRENCIES)
    return Currencies(
        {str(k): float(v) for k, v in data["per_euro"].items()},
        {str(k): [str(a) for a in v] for k, v in data.get("aliases", {}).items()},
        str(data["as_of"]),
        str(data["source"]),
        bool(data.get("perishable", True)),
    )


@record
class NameInfo:
    """What one unit name means: factor to base units, dimension, pint's canonical name."""

    factor: float
    dimension: Dimension
    canonical: str
    prefixed: bool = False  # known only as prefix + unit (`ad` is atto-day): a scenario may take the name
    expansion: tuple[tuple[str, float], ...] = ()  # an abbreviation's pint names and powers (`qps`: request, second^-1)
    note: str | None = None  # said once when a scenario uses it (an exchange rate and its date)

    def pieces(self) -> tuple[tuple[str, float], ...]:
        """The pint names and powers this name stands for."""
        return self.expansion or ((self.canonical, 1.0),)


@record
class Refusal:
    """A name envelope refuses although pint knows it (`b` is a barn to pint), and what was probably meant."""

    text: str
    hint: str
    note: str


def _classify(name: str) -> NameInfo | Refusal | None:
    """What a name means to envelope: the abbreviation table's row first, then pint."""
    row = abbreviations().get(name)
    if row is None:
        return _ask_pint(name)
    if row.refuse is not None:
        return Refusal(name, row.refuse, row.note)
    assert row.means is not None
    return _meaning(row.means)


def _meaning(means: str) -> NameInfo:
    """An abbreviation's meaning (`request/second`) as one name's factor, dimension and pint names."""
    factor, dimension, pieces = 1.0, DIMENSIONLESS, []
    for part in parse_unit(means, Location(ABBREVIATIONS.name)):
        info = _ask_pint(part.name)
        if info is None:
            raise ValueError(f"abbreviations.yaml: '{part.name}' in '{means}' is not a unit pint knows")
        factor *= info.factor**part.power
        dimension = dimension * info.dimension**part.power
        pieces.append((info.canonical, part.power))
    if len(pieces) == 1 and pieces[0][1] == 1:
        return NameInfo(factor, dimension, pieces[0][0])  # one pint name: `Gb` is `gigabit`
    return NameInfo(factor, dimension, means, False, tuple(pieces))


def _ask_pint(name: str) -> NameInfo | None:
    """What pint knows of one unit name, or None if nothing (or nothing envelope accepts)."""
    reg = registry()
    try:
        canonical = reg.get_name(name)
        factor, _ = reg.get_base_units(canonical)
        dims = reg.get_dimensionality(canonical)
        scale = _is_a_scale(reg, canonical)
        parses = reg.parse_unit_name(name)
    except Exception:  # pint raises several types for an unknown name
        return None
    if not isinstance(factor, (int, float)) or not scale:
        return None
    prefixed = all(prefix for prefix, _, _ in parses)
    if not dims and prefixed:
        return None  # `usr` is micro-steradian to pint: a typo, not a unit
    exponents = {str(k): float(v) for k, v in dims.items()}  # type: ignore[arg-type]
    money = currencies()
    note = money.note(canonical) if canonical in money.per_euro and canonical != "USD" else None
    return NameInfo(float(factor), Dimension.of(exponents), canonical, prefixed, note=note)


def _is_a_scale(reg: pint.UnitRegistry[Any], canonical: str) -> bool:
    """Whether zero of the unit is zero of its base: degC (offset) and dB (logarithmic) are not scales."""
    return bool(reg.Quantity(0.0, canonical).to_base_units().magnitude == 0.0)


# `second = [time]`: a unit that defines a base dimension, in pint's definitions syntax.
_BASE_DEFINITION = re.compile(r"^(\w+)\s*=\s*\[(\w+)\]", re.MULTILINE)
_WORD = re.compile(r"\w+")


def _ask_pint_root(base_dimension: str) -> str | None:
    """The unit values of `base_dimension` are held in: pint's base unit for it (`kilogram` for
    `[mass]`, although `gram = [mass]` defines the dimension), read from the definition files."""
    reg = registry()
    for path in sorted(DEFINITIONS.parent.glob("*.txt")):
        for name, dimension in _BASE_DEFINITION.findall(path.read_text(encoding="utf-8")):
            if f"[{dimension}]" == base_dimension and str(reg.get_root_units(name)[1]) == name:
                base = str(reg.get_base_units(name)[1])
                return base if _WORD.fullmatch(base) else str(name)  # gram's base is kilogram: factors are per kg
    return None


class UnitTable:
    """Unit names pint has been asked about, kept in the cache between runs.

    The entry's key covers the definitions and pint's version, so it is rebuilt
    whenever either changes; a missing, unwritable or malformed entry only costs
    time. New names are written once, at the end of a load (`save`) or at exit,
    never once a name.
    """

    def __init__(self) -> None:
        self.key = _table_key()
        self.names: dict[str, list[Any] | dict[str, str] | None] = {}
        self.roots: dict[str, str | None] = {}
        self.found: dict[str, NameInfo | Refusal | None] = {}  # names[name] as built by lookup
        self.changed = False
        self.writes = 0
        self._read()

    def _read(self) -> None:
        payload = read_entry("units", self.key)
        if not isinstance(payload, dict) or set(payload) != {"names", "roots"}:
            return
        names, roots = payload["names"], payload["roots"]
        if not isinstance(names, dict) or not isinstance(roots, dict):
            return
        if all(_is_table_entry(entry) for entry in names.values()) and all(
            root is None or isinstance(root, str) for root in roots.values()
        ):
            self.names, self.roots = names, roots

    def save(self) -> None:
        """Write the table if it learnt a name since it was read or last saved."""
        if self.changed:
            self.changed = False
            self.writes += 1
            write_entry("units", self.key, {"names": self.names, "roots": self.roots}, keep=8)

    def _learnt(self) -> None:
        if not self.changed:
            self.changed = True
            atexit.register(self.save)  # a name learnt outside a load (estimate, `envelope units`) is kept too

    def lookup(self, name: str) -> NameInfo | Refusal | None:
        if name in self.found:  # built once a process: a formula names the same few units again and again
            return self.found[name]
        if name not in self.names:
            self.names[name] = _as_entry(_classify(name))
            self._learnt()
        entry = self.names[name]
        found: NameInfo | Refusal | None
        if entry is None:
            found = None
        elif isinstance(entry, dict):
            found = Refusal(name, entry["refuse"], entry["note"])
        else:
            found = NameInfo(
                float(entry[0]),
                Dimension.of(entry[1]),
                str(entry[2]),
                bool(entry[3]),
                tuple((str(n), float(p)) for n, p in entry[4]),
                entry[5],
            )
        self.found[name] = found
        return found

    def root_unit(self, base_dimension: str) -> str | None:
        """The unit pint defines a base dimension by (`second = [time]`), or None."""
        if base_dimension not in self.roots:
            self.roots[base_dimension] = _ask_pint_root(base_dimension)
            # Written at once: a root is asked for when a value is shown (the TUI's views, after the load
            # that saves the table), and a process that is killed never runs atexit. Once a cache's life.
            self.changed = True
            self.save()
        return self.roots[base_dimension]


def _as_entry(found: NameInfo | Refusal | None) -> list[Any] | dict[str, str] | None:
    """What `lookup` keeps of a name: None, {refuse, note}, or [factor, dims, canonical, prefixed, expansion, note]."""
    if found is None:
        return None
    if isinstance(found, Refusal):
        return {"refuse": found.hint, "note": found.note}
    return [
        found.factor,
        dict(found.dimension.exponents),
        found.canonical,
        found.prefixed,
        [[n, p] for n, p in found.expansion],
        found.note,
    ]


def _is_table_entry(entry: Any) -> bool:
    """An entry as `_as_entry` writes it."""
    if entry is None:
        return True
    if isinstance(entry, dict):
        return set(entry) == {"refuse", "note"} and all(isinstance(v, str) for v in entry.values())
    return (
        isinstance(entry, list)
        and len(entry) == 6
        and type(entry[0]) in (int, float)
        and isinstance(entry[1], dict)
        and all(type(p) in (int, float) for p in entry[1].values())
        and isinstance(entry[2], str)
        and isinstance(entry[3], bool)
        and isinstance(entry[4], list)
        and all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and type(e[1]) in (int, float) for e in entry[4])
        and (entry[5] is None or isinstance(entry[5], str))
    )


def _table_key() -> str:
    data = b"".join(path.read_bytes() for pattern in ("*.txt", "*.yaml") for path in sorted(DEFINITIONS.parent.glob(pattern)))
    return cache_key("units", package_stamp("pint"), data, Path(__file__).read_bytes())


@functools.lru_cache(maxsize=1)
def unit_table() -> UnitTable:
    return UnitTable()


def save_unit_table() -> None:
    """Keep the names learnt so far for the next run (called once a load is done)."""
    if unit_table.cache_info().currsize:
        unit_table().save()


@functools.lru_cache(maxsize=4096)
def known_name(name: str) -> NameInfo | Refusal | None:
    """What a name is: a unit (the abbreviation table's, pint's or envelope's), refused, or unknown (None)."""
    return unit_table().lookup(name)


def known_unit(name: str) -> NameInfo | None:
    """A unit name envelope knows, or None (unknown, or refused)."""
    found = known_name(name)
    return found if isinstance(found, NameInfo) else None


def is_builtin_count(name: str) -> bool:
    """Whether `name` is one of envelope's counting units (vcpu, session ...) or an alias of one (core)."""
    info = known_unit(name)
    return (
        info is not None
        and not info.prefixed
        and info.factor == 1.0
        and not info.expansion
        and info.dimension == Dimension.of({f"[{info.canonical}]": 1})
    )


@record
class Note:
    """Something a run says without failing: a declaration that is no longer needed, an exchange rate used."""

    message: str
    location: Location


@record(frozen=False)
class UnitSystem:
    """The units one scenario sees: pint's, envelope's, and its own `units:`."""

    own: dict[str, NameInfo] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    whole: set[str] = field(default_factory=set)
    "this scenario's counting dimensions (`[shard]`) marked `whole`: solved to whole numbers, as gpu and node are"
    built: dict[tuple[tuple[str, float], ...], Unit] = field(default_factory=dict, repr=False, compare=False)
    "each unit expression met, by its names and powers (the same `request/s` in every formula is built once)"

    def declare(self, name: str, definition: Unit | None, location: Location, whole: bool = False) -> None:
        """Add a scenario unit: a new counting dimension (None) or an alias of a unit. Declaring
        one of envelope's counting units (files written before it was built in) is a note, unless the
        declaration marks it `whole` (counted in whole numbers), which only this scenario knows."""
        self.built.clear()
        if definition is None and is_builtin_count(name):
            info = known_unit(name)
            if whole and info is not None:
                self.whole.add(f"[{info.canonical}]")
                return
            self.notes.append(Note(f"'{name}' is built in now (a counting unit); its declaration can go", location))
            return
        found = known_name(name)
        if isinstance(found, Refusal) or (found is not None and not found.prefixed):
            raise ShapeError(f"'{name}' is already a unit: {self.describe(name)}; pick another name", location)
        if name in self.own:
            raise ShapeError(f"unit '{name}' is declared twice", location)
        if definition is None:
            self.own[name] = NameInfo(1.0, Dimension.of({f"[{name}]": 1}), name)
            if whole:
                self.whole.add(f"[{name}]")
        else:
            self.own[name] = NameInfo(definition.factor, definition.dimension, name)

    def definitions(self) -> list[str]:
        """This scenario's units in pint's definition syntax, for building Quantities."""
        lines = []
        for name, info in self.own.items():
            if info.dimension == Dimension.of({f"[{name}]": 1}) and info.factor == 1.0:
                lines.append(f"{name} = [{name}]")
            else:
                base = " * ".join(f"{_root_unit(d)[0]} ** {_int_if_whole(p)}" for d, p in info.dimension.exponents)
                root_factor = math.prod(_root_unit(d)[1] ** p for d, p in info.dimension.exponents)
                lines.append(f"{name} = {info.factor / root_factor!r} * {base or 1}")
        return lines

    def describe(self, name: str) -> str:
        found = known_name(name)
        if isinstance(found, Refusal):
            return f"refused ({found.note})"
        if found is None:
            return "unknown"
        what = "dimensionless" if found.dimension.dimensionless else f"a unit of {dimension_words(found.dimension)}"
        return f"{what}, = {found.canonical}" if found.canonical != name else what

    def lookup(self, name: str, location: Location) -> NameInfo:
        """One unit name, or an error saying what is wrong with it (and what was probably meant)."""
        found = self.own.get(name) or self._own_plural(name) or known_name(name)
        if isinstance(found, Refusal):
            alone = " alone" if len(name) == 1 else ""
            raise GrammarError(f"'{name}'{alone} is not a unit here ({found.note})", location, hint=found.hint)
        if found is None:
            raise UnknownUnitError(f"unknown unit or name '{name}'", location, hint=self.suggestion(name))
        if found.note and all(note.message != found.note for note in self.notes):
            self.notes.append(Note(found.note, location))
        return found

    def suggestion(self, name: str) -> str | None:
        """A close unit (`usr`: did you mean 'user'?) and, for a new noun, how to declare it."""
        close = did_you_mean(name, [*self.own, *vocabulary()])
        if not _NOUN.fullmatch(name):
            return close
        declare = f"declare it as a new counted thing: units: [{name}]"
        return f"{close} Or {declare}" if close else declare[0].upper() + declare[1:]

    def _own_plural(self, name: str) -> NameInfo | None:
        return self.own.get(name[:-1]) if name.endswith("s") else None

    def unit(self, expr: UnitExpr, location: Location) -> Unit:
        """A written unit expression as a Unit, each name checked (once: an error or a note is said where
        the expression is first met, and a note once a message anyway)."""
        key = tuple((part.name, part.power) for part in expr)
        unit = self.built.get(key)
        if unit is None:
            unit = self.built[key] = self._build(expr, location)
        return unit

    def _build(self, expr: UnitExpr, location: Location) -> Unit:
        factor, dimension = 1.0, DIMENSIONLESS
        names: list[tuple[str, float]] = []
        for part in expr:
            at = location.shifted(part.offset, part.offset + len(part.name))
            info = self.lookup(part.name, at)
            try:
                factor *= info.factor**part.power
            except OverflowError:
                factor = math.inf
            if not math.isfinite(factor) or factor == 0:  # nested powers: ((TB^12)^-12) is TB^-144
                raise EvaluationError(f"the unit '{unit_text(expr)}' is too large or too small for a float", at)
            dimension = dimension * info.dimension**part.power
            names += [(piece, power * part.power) for piece, power in info.pieces()]
        return Unit(factor, dimension, unit_text(expr), tuple(names))

    def dimension_text(self, dimension: Dimension) -> str:
        """A dimension spoken of as a unit: 'request / second', 'byte'."""
        return simplest_unit(dimension).text or "dimensionless"


# A word that could name a new counted thing (`usr`, `transaction`), not `__import__`.
_NOUN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# A name in envelope's definitions: the first word of a line, and its `= alias` words.
_DEFINED = re.compile(r"^(\w+)\s*=(.*)$", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    """The unit names a close match is looked for among (an error's hint, never a warm run's path):
    envelope's own names and aliases, the abbreviations that mean something and the names they use."""
    names: list[str] = []
    for name, rest in _DEFINED.findall(DEFINITIONS.read_text(encoding="utf-8")):
        names += [name, *(word for word in (w.strip() for w in rest.split("=")[1:]) if _WORD.fullmatch(word))]
    for row in abbreviations().values():
        names += [row.text, *_WORD.findall(row.means)] if row.means else []
    names += list(currencies().per_euro)
    return [name for name in dict.fromkeys(names) if name != "_"]


def dimension_words(dimension: Dimension) -> str:
    """A dimension in words: 'time', 'information/time'."""
    top = [n.strip("[]") + (f"^{_int_if_whole(p)}" if p != 1 else "") for n, p in dimension.exponents if p > 0]
    bottom = [n.strip("[]") + (f"^{_int_if_whole(-p)}" if p != -1 else "") for n, p in dimension.exponents if p < 0]
    return "*".join(top or ["1"]) + "".join(f"/{b}" for b in bottom)


@functools.lru_cache(maxsize=1024)
def _root_unit(base_dimension: str) -> tuple[str, float]:
    """The unit a single base dimension is shown in, and its factor to base."""
    if base_dimension in PREFERRED_UNIT:
        return PREFERRED_UNIT[base_dimension]
    return unit_table().root_unit(base_dimension) or base_dimension.strip("[]"), 1.0


SIMPLE_SYMBOLS = {"second": "s", "meter": "m", "kilogram": "kg"}


@functools.lru_cache(maxsize=1024)  # asked for every value shown without a unit; roots are kept per process too
def simplest_unit(dimension: Dimension) -> Unit:
    """The plain unit of a dimension: byte for data, second for time, names for counts."""
    factor = 1.0
    names: list[tuple[str, float]] = []
    top: list[str] = []
    bottom: list[str] = []
    for base, power in dimension.exponents:
        name, root_factor = _root_unit(base)
        factor *= root_factor**power
        names.append((name, power))
        symbol = SIMPLE_SYMBOLS.get(name, name)
        (top if power > 0 else bottom).append(symbol if abs(power) == 1 else f"{symbol}^{_int_if_whole(abs(power))}")
    text = "*".join(top) or ("1" if bottom else "")
    text += "".join(f"/{b}" for b in bottom)
    return Unit(factor, dimension, text, tuple(names))


# Prefix ladders for showing a value in a readable unit when none was asked for.
_BYTE_LADDER = [
    (1.0, "B", "byte"),
    (1e3, "KB", "kilobyte"),
    (1e6, "MB", "megabyte"),
    (1e9, "GB", "gigabyte"),
    (1e12, "TB", "terabyte"),
    (1e15, "PB", "petabyte"),
    (1e18, "EB", "exabyte"),
]
_TIME_LADDER = [
    (1e-9, "ns", "nanosecond"),
    (1e-6, "µs", "microsecond"),
    (1e-3, "ms", "millisecond"),
    (1.0, "s", "second"),
    (60.0, "min", "minute"),
    (3600.0, "hour", "hour"),
    (86400.0, "day", "day"),
    (86400.0 * 365.25, "year", "year"),
]
_INFORMATION = Dimension.of({"[information]": 1})
_TIME = Dimension.of({"[time]": 1})
# Money over time is read per month (cloud bills), not per second.
_MONEY_PERIOD = "month"


# Dimensions shown in their SI name rather than as base units: 700 W, not 700 m^2*kg/s^3.
_NAMED = {
    Dimension.of({"[mass]": 1, "[length]": 2, "[time]": -3}): ("W", "watt"),
    Dimension.of({"[mass]": 1, "[length]": 2, "[time]": -2}): ("J", "joule"),
}


def readable_unit(dimension: Dimension, value_in_base: float) -> Unit:
    """A unit that shows `value_in_base` readably: 205 TB, 3.5 hour, 1.2 GB/s, 2.05 KB/image, 14k USD/month, 700 W."""
    if dimension in _NAMED:
        symbol, name = _NAMED[dimension]
        return Unit(1.0, dimension, symbol, ((name, 1.0),))
    if dimension == _TIME:
        return _on_ladder(_TIME_LADDER, 1.0, value_in_base, dimension, DIMENSIONLESS)
    exponents = dict(dimension.exponents)
    if exponents.get("[information]") == 1.0:  # bytes, with a prefix, per whatever else: GB/s, KB/image
        rest = dimension / _INFORMATION
        return _on_ladder(_BYTE_LADDER, 8.0, value_in_base / simplest_unit(rest).factor, dimension, rest)
    if exponents.get("[currency]") == 1.0 and exponents.get("[time]") == -1.0:
        return _per_period(dimension)
    return simplest_unit(dimension)


def _on_ladder(
    ladder: list[tuple[float, str, str]], base_per_step: float, magnitude_in_base: float, dimension: Dimension, rest: Dimension
) -> Unit:
    """The largest step of `ladder` that `magnitude_in_base` reaches, times the plain unit of `rest`."""
    magnitude = abs(magnitude_in_base) / base_per_step
    chosen = ladder[0]
    for step in ladder:
        if math.isfinite(magnitude) and magnitude >= step[0] * 0.9999999:
            chosen = step
    scale, text, long_name = chosen
    other = simplest_unit(rest)
    joined = text + (other.text[1:] if other.text.startswith("1/") else f"*{other.text}" if other.text else "")
    return Unit(scale * base_per_step * other.factor, dimension, joined, ((long_name, 1.0), *other.factors))


def _per_period(dimension: Dimension) -> Unit:
    """Money over time per month: `USD/month`, `USD/gpu/month`."""
    period = known_unit(_MONEY_PERIOD)
    assert period is not None  # defined in pint's default units
    other = simplest_unit(dimension * _TIME)
    return Unit(
        other.factor / period.factor, dimension, f"{other.text}/{_MONEY_PERIOD}", (*other.factors, (period.canonical, -1.0))
    )


_DEFINED_IN_PINT: dict[str, str] = {}


def to_pint(unit: Unit, units: UnitSystem | None = None) -> Any:
    """A Unit as a pint Unit; a scenario's own units are defined in the registry on first use."""
    reg = registry()
    for line in units.definitions() if units else []:
        name = line.split(" = ")[0]
        if _DEFINED_IN_PINT.get(name, line) != line:
            raise UnknownUnitError(f"unit '{name}' means something else in another scenario loaded in this process")
        if name not in _DEFINED_IN_PINT:
            reg.define(line)
            _DEFINED_IN_PINT[name] = line
    result = reg.Unit("")
    for name, power in unit.factors:
        result = result * reg.Unit(name) ** _int_if_whole(power)
    return result
