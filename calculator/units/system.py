"""Units: one pint registry for the process, and dimension algebra on floats.

pint knows the units (from `units/envelope_en.txt`, a pint definitions file);
this module asks it once per unit name for the factor to base units and the
dimension, so that checking a formula is arithmetic on small tuples and
evaluating one is arithmetic on floats in base units.

A scenario's own `units:` are defined in the same registry (pint cannot mix
registries) but are visible only to the scenarios that declare them.
"""

from __future__ import annotations

import atexit
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calculator.common.cache import cache_key, package_stamp, read_entry, write_entry
from calculator.common.errors import GrammarError, Location, ShapeError, UnknownUnitError
from calculator.formula.expr import UnitExpr, unit_text
from calculator.formula.parse import MULTIPLIERS

if TYPE_CHECKING:
    import pint

DEFINITIONS = Path(__file__).parent / "envelope_en.txt"

# Single letters pint reads as physical constants or units nobody means here.
REFUSED = {
    "k": "Boltzmann's constant",
    "M": "molar (mole/liter)",
    "T": "tesla",
    "G": "gauss",
    "c": "the speed of light",
    "e": "the elementary charge",
}
# Base dimensions that measure something; every other base dimension counts things.
PHYSICAL = frozenset(["[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]", "[luminosity]",
                      "[information]", "[currency]"])
# How a base dimension is spoken of in messages and shown when no unit is given.
PREFERRED_UNIT = {"[information]": ("byte", 8.0)}


@dataclass(frozen=True)
class Dimension:
    """A product of base dimensions with exponents, e.g. [request]/[time]."""

    exponents: tuple[tuple[str, float], ...] = ()

    @staticmethod
    def of(mapping: dict[str, float]) -> Dimension:
        return Dimension(tuple(sorted((k, float(v)) for k, v in mapping.items() if v != 0)))

    def __mul__(self, other: Dimension) -> Dimension:
        merged = dict(self.exponents)
        for name, power in other.exponents:
            merged[name] = merged.get(name, 0.0) + power
        return Dimension.of(merged)

    def __truediv__(self, other: Dimension) -> Dimension:
        return self * other ** -1

    def __pow__(self, power: float) -> Dimension:
        return Dimension.of({k: v * power for k, v in self.exponents})

    @property
    def dimensionless(self) -> bool:
        return not self.exponents

    @property
    def counting(self) -> bool:
        """Dimensionless, or made only of counting dimensions (gpu, request/user...)."""
        return all(name not in PHYSICAL for name, _ in self.exponents)

    def base_names(self) -> list[str]:
        return [name for name, _ in self.exponents]


DIMENSIONLESS = Dimension()


@dataclass(frozen=True)
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

    return pint.UnitRegistry(str(DEFINITIONS), autoconvert_offset_to_baseunit=False)


@dataclass(frozen=True)
class NameInfo:
    """What one unit name means: factor to base units, dimension, pint's canonical name."""

    factor: float
    dimension: Dimension
    canonical: str
    prefixed: bool = False  # known only as prefix + unit (`ad` is atto-day): a scenario may take the name


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
    return NameInfo(float(factor), Dimension.of(exponents), canonical, prefixed)


def _is_a_scale(reg: pint.UnitRegistry[Any], canonical: str) -> bool:
    """Whether zero of the unit is zero of its base: degC (offset) and dB (logarithmic) are not scales."""
    return bool(reg.Quantity(0.0, canonical).to_base_units().magnitude == 0.0)


# `second = [time]`: a unit that defines a base dimension, in pint's definitions syntax.
_BASE_DEFINITION = re.compile(r"^(\w+)\s*=\s*\[(\w+)\]", re.MULTILINE)


def _ask_pint_root(base_dimension: str) -> str | None:
    """The unit pint defines `base_dimension` by (`second` for `[time]`), read from the definition files."""
    reg = registry()
    for path in sorted(DEFINITIONS.parent.glob("*.txt")):
        for name, dimension in _BASE_DEFINITION.findall(path.read_text(encoding="utf-8")):
            if f"[{dimension}]" == base_dimension and str(reg.get_root_units(name)[1]) == name:
                return str(name)
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
        self.names: dict[str, list[Any] | None] = {}
        self.roots: dict[str, str | None] = {}
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
                root is None or isinstance(root, str) for root in roots.values()):
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

    def lookup(self, name: str) -> NameInfo | None:
        if name not in self.names:
            info = _ask_pint(name)
            self.names[name] = None if info is None else [info.factor, dict(info.dimension.exponents), info.canonical,
                                                          info.prefixed]
            self._learnt()
        entry = self.names[name]
        if entry is None:
            return None
        return NameInfo(float(entry[0]), Dimension.of(entry[1]), str(entry[2]), bool(entry[3]))

    def root_unit(self, base_dimension: str) -> str | None:
        """The unit pint defines a base dimension by (`second = [time]`), or None."""
        if base_dimension not in self.roots:
            self.roots[base_dimension] = _ask_pint_root(base_dimension)
            self._learnt()
        return self.roots[base_dimension]


def _is_table_entry(entry: Any) -> bool:
    """[factor, {dimension: power}, canonical, prefixed], as `lookup` writes it, or None."""
    if entry is None:
        return True
    return (isinstance(entry, list) and len(entry) == 4 and type(entry[0]) in (int, float)
            and isinstance(entry[1], dict) and all(type(p) in (int, float) for p in entry[1].values())
            and isinstance(entry[2], str) and isinstance(entry[3], bool))


def _table_key() -> str:
    definitions = b"".join(path.read_bytes() for path in sorted(DEFINITIONS.parent.glob("*.txt")))
    return cache_key("units", package_stamp("pint"), definitions, Path(__file__).read_bytes())


@functools.lru_cache(maxsize=1)
def unit_table() -> UnitTable:
    return UnitTable()


def save_unit_table() -> None:
    """Keep the names learnt so far for the next run (called once a load is done)."""
    if unit_table.cache_info().currsize:
        unit_table().save()


@functools.lru_cache(maxsize=4096)
def known_unit(name: str) -> NameInfo | None:
    """A unit name pint knows (with envelope's definitions), or None."""
    return unit_table().lookup(name)


@dataclass
class UnitSystem:
    """The units one scenario sees: pint's, envelope's, and its own `units:`."""

    own: dict[str, NameInfo] = field(default_factory=dict)

    def declare(self, name: str, definition: Unit | None, location: Location) -> None:
        """Add a scenario unit: a new counting dimension (None) or an alias of a unit."""
        known = known_unit(name)
        if name in REFUSED or (known is not None and not known.prefixed):
            raise ShapeError(f"'{name}' is already a unit: {self.describe(name)}; pick another name", location)
        if name in self.own:
            raise ShapeError(f"unit '{name}' is declared twice", location)
        if definition is None:
            self.own[name] = NameInfo(1.0, Dimension.of({f"[{name}]": 1}), name)
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
        if name in REFUSED:
            return REFUSED[name]
        info = known_unit(name)
        if info is None:
            return "unknown"
        what = "dimensionless" if info.dimension.dimensionless else f"a unit of {dimension_words(info.dimension)}"
        return f"{what}, = {info.canonical}" if info.canonical != name else what

    def lookup(self, name: str, location: Location) -> NameInfo:
        """One unit name, or an error saying what is wrong with it."""
        if name in REFUSED:
            raise GrammarError(
                f"'{name}' alone is not a unit here (pint reads it as {REFUSED[name]})",
                location,
                hint=f"attach it to the number for a multiplier, as in 100{name}" if name in MULTIPLIERS else None,
            )
        info = self.own.get(name) or self._own_plural(name) or known_unit(name)
        if info is None:
            raise UnknownUnitError(f"unknown unit or name '{name}'", location)
        return info

    def _own_plural(self, name: str) -> NameInfo | None:
        return self.own.get(name[:-1]) if name.endswith("s") else None

    def unit(self, expr: UnitExpr, location: Location) -> Unit:
        """A written unit expression as a Unit, each name checked."""
        factor, dimension = 1.0, DIMENSIONLESS
        names: list[tuple[str, float]] = []
        for part in expr:
            info = self.lookup(part.name, location.shifted(part.offset, part.offset + len(part.name)))
            factor *= info.factor**part.power
            dimension = dimension * info.dimension**part.power
            names.append((info.canonical, part.power))
        return Unit(factor, dimension, unit_text(expr), tuple(names))

    def dimension_text(self, dimension: Dimension) -> str:
        """A dimension spoken of as a unit: 'request / second', 'byte'."""
        return simplest_unit(dimension).text or "dimensionless"


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
_BYTE_LADDER = [(1.0, "B", "byte"), (1e3, "KB", "kilobyte"), (1e6, "MB", "megabyte"), (1e9, "GB", "gigabyte"),
                (1e12, "TB", "terabyte"), (1e15, "PB", "petabyte"), (1e18, "EB", "exabyte")]
_TIME_LADDER = [(1e-9, "ns", "nanosecond"), (1e-6, "µs", "microsecond"), (1e-3, "ms", "millisecond"),
                (1.0, "s", "second"), (60.0, "min", "minute"), (3600.0, "hour", "hour"), (86400.0, "day", "day"),
                (86400.0 * 365.25, "year", "year")]
_INFORMATION = Dimension.of({"[information]": 1})
_TIME = Dimension.of({"[time]": 1})
_BANDWIDTH = Dimension.of({"[information]": 1, "[time]": -1})


def readable_unit(dimension: Dimension, value_in_base: float) -> Unit:
    """A unit that shows `value_in_base` readably: 205 TB, 3.5 hour, 1.2 GB/s."""
    ladder = {_INFORMATION: _BYTE_LADDER, _TIME: _TIME_LADDER, _BANDWIDTH: _BYTE_LADDER}.get(dimension)
    if ladder is None:
        return simplest_unit(dimension)
    base_per_step = 8.0 if dimension in (_INFORMATION, _BANDWIDTH) else 1.0
    magnitude = abs(value_in_base) / base_per_step
    chosen = ladder[0]
    for step in ladder:
        if math.isfinite(magnitude) and magnitude >= step[0] * 0.9999999:
            chosen = step
    scale, text, long_name = chosen
    if dimension == _BANDWIDTH:
        return Unit(scale * 8.0, dimension, f"{text}/s", ((long_name, 1.0), ("second", -1.0)))
    return Unit(scale * base_per_step, dimension, text, ((long_name, 1.0),))


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
