"""Documents and validated ScenarioFiles to and from JSON, for the user's cache.

Hand-written and strict: decoding checks every shape and type and raises
`Malformed` on anything else, so a cache entry that is not exactly what the
encoder writes is a miss. A ScenarioFile is rebuilt through the dataclass
constructors of calculator.file.shapes, each value checked against the
field's annotation (bounds included); and `matches` checks it against the
data it was validated from, so no entry can say what the file does not.
Neither pydantic nor PyYAML is imported here.
"""

from __future__ import annotations

import array
import dataclasses
import functools
import itertools
import operator
import sys
import types
import typing
from collections.abc import Iterable
from typing import Any

from calculator.common.errors import Location
from calculator.common.records import record
from calculator.file import shapes
from calculator.file.document import Document, Key, Path_


class Malformed(ValueError):
    """An entry that is not what the encoder writes."""


# --- Document ---------------------------------------------------------------------------------------------------
# A value is a str, None, a list ({"list": [...]}) or a dict ({"dict": [[key, value], ...]}; a key is a str,
# or a list of str for a tuple key). Places and spans are columns, not one object each (a document has three
# entries a formula, and decoding them is the warm path): every path once, in "paths"; then
# places {"ids": path indexes, "files": [file, ...], "numbers": file index, line, column, end line, end column
# (5 a place), "folds": [[index, [...]], ...]} and spans {"ids": path indexes, "numbers": start, end, ...}.
# A column of numbers is packed: 'H' or 'I' (unsigned 16 or 32 bits) and its little-endian bytes in hex, which
# bytes.fromhex and array decode in C (a JSON list of 50,000 numbers took json.loads 6 ms, and checking that each
# was an int 2 ms more; base64 took four times as long as hex to decode).


def document_to_json(document: Document) -> dict[str, Any]:
    ids = {path: i for i, path in enumerate(dict.fromkeys([*document.places, *document.text_places, *document.spans]))}
    return {
        "file": document.file,
        "data": _value_to_json(document.data),
        "paths": [_path_to_json(p) for p in ids],
        "places": _places_to_json(document.places, ids),
        "text_places": _places_to_json(document.text_places, ids),
        "spans": {
            "ids": _ints_to_json(ids[p] for p in document.spans),
            "numbers": _ints_to_json(n for span in document.spans.values() for n in span),
        },
    }


def document_from_json(payload: Any) -> Document:
    _require(isinstance(payload, dict) and payload.keys() == {"file", "data", "paths", "places", "text_places", "spans"})
    file, data = payload["file"], _value_from_json(payload["data"])
    _require(isinstance(file, str) and isinstance(data, dict))
    paths = _paths_from_json(payload["paths"])
    return Document(
        data,
        file,
        _places_from_json(payload["places"], paths),
        _places_from_json(payload["text_places"], paths),
        _spans_from_json(payload["spans"], paths),
    )


def _ints_to_json(numbers: Iterable[int]) -> str:
    packed = array.array("I", numbers)  # unsigned: a column holds no negative number to check for
    if packed and max(packed) < 1 << 16:
        packed = array.array("H", packed)  # most columns: half the text
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.typecode + packed.tobytes().hex()


def _ints_from_json(text: Any) -> array.array[int]:
    """A packed column: 'H' or 'I' (unsigned 16 or 32 bits), then the little-endian bytes in hex."""
    _require(type(text) is str and text[:1] in ("H", "I"))
    packed = array.array(text[0])
    _require(packed.itemsize == (2 if text[0] == "H" else 4))  # so on every platform CPython runs on
    try:
        raw = bytes.fromhex(text[1:])  # hex, not base64: four times as fast to decode, in C
    except ValueError:
        raise Malformed("not what the encoder writes") from None
    _require(2 * len(raw) == len(text) - 1 and len(raw) % packed.itemsize == 0)  # no spaces (fromhex allows them)
    packed.frombytes(raw)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed


def _path_to_json(path: Path_) -> list[str | list[str]]:
    return [_key_to_json(k) for k in path]


def _paths_from_json(paths: Any) -> list[Path_]:
    _require(type(paths) is list and _types(paths) <= {list})
    keys = _types(itertools.chain.from_iterable(paths))
    _require(keys <= {str, list})
    if list not in keys:  # no tuple key (the usual case): each path is its keys as they are
        return list(map(tuple, paths))
    return [tuple(k if type(k) is str else _key_from_json(k) for k in path) for path in paths]


def _types(values: Iterable[Any]) -> set[type]:
    return set(map(type, values))


def _picked(ids: Any, paths: list[Path_]) -> list[Path_]:
    picked = _ints_from_json(ids)
    _require(not picked or max(picked) < len(paths))
    return list(map(paths.__getitem__, picked))


def _places_to_json(places: dict[Path_, Location], ids: dict[Path_, int]) -> dict[str, Any]:
    files = list(dict.fromkeys(loc.file for loc in places.values()))
    index = {file: i for i, file in enumerate(files)}
    return {
        "ids": _ints_to_json(ids[p] for p in places),
        "files": files,
        "numbers": _ints_to_json(
            n for loc in places.values() for n in (index[loc.file], loc.line, loc.column, loc.end_line, loc.end_column)
        ),
        "folds": [[i, list(loc.folds)] for i, loc in enumerate(places.values()) if loc.folds],
    }


def _places_from_json(places: Any, all_paths: list[Path_]) -> dict[Path_, Location]:
    _require(type(places) is dict and places.keys() == {"ids", "files", "numbers", "folds"})
    paths, files, numbers, folds = (
        _picked(places["ids"], all_paths),
        places["files"],
        _ints_from_json(places["numbers"]),
        places["folds"],
    )
    _require(type(files) is list and _types(files) <= {str})
    _require(len(numbers) == 5 * len(paths) and (not paths or max(numbers[0::5]) < len(files)))
    _require(type(folds) is list)
    folded: list[tuple[int, ...]] = [()] * len(paths)
    for entry in folds:
        _require(type(entry) is list and len(entry) == 2 and type(entry[0]) is int and 0 <= entry[0] < len(paths))
        _require(type(entry[1]) is list and len(entry[1]) % 3 == 0 and _types(entry[1]) <= {int})
        folded[entry[0]] = tuple(entry[1])
    # Each Location is built by tuple.__new__ over a zipped row: no Python frame a place.
    rows = zip(map(files.__getitem__, numbers[0::5]), *(numbers[i::5] for i in range(1, 5)), folded, strict=True)
    return dict(zip(paths, map(tuple.__new__, itertools.repeat(Location), rows), strict=True))


def _spans_from_json(spans: Any, all_paths: list[Path_]) -> dict[Path_, tuple[int, int]]:
    _require(type(spans) is dict and spans.keys() == {"ids", "numbers"})
    paths, numbers = _picked(spans["ids"], all_paths), _ints_from_json(spans["numbers"])
    starts, ends = numbers[0::2], numbers[1::2]
    _require(len(numbers) == 2 * len(paths) and all(map(operator.le, starts, ends)))
    return dict(zip(paths, zip(starts, ends, strict=True), strict=True))


_first, _second = operator.itemgetter(0), operator.itemgetter(1)
_TEXT = {str, type(None)}  # a value that is not a list or a dict


def _value_to_json(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return {"list": [_value_to_json(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_key_to_json(k), _value_to_json(v)] for k, v in value.items()]}
    raise TypeError(f"not document data: {type(value).__name__}")


def _value_from_json(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    _require(type(value) is dict and len(value) == 1)
    if "list" in value:
        _require(type(value["list"]) is list)
        return [_value_from_json(v) for v in value["list"]]
    pairs = value.get("dict")
    _require(type(pairs) is list and _types(pairs) <= {list} and set(map(len, pairs)) <= {2})
    if _types(map(_first, pairs)) <= {str} and _types(map(_second, pairs)) <= _TEXT:  # most of a scenario (formulas)
        flat = dict(pairs)
        _require(len(flat) == len(pairs))  # no key twice
        return flat
    result: dict[Key, Any] = {}
    for pair in pairs:
        _require(type(pair) is list and len(pair) == 2)
        key = _key_from_json(pair[0])
        _require(key not in result)
        result[key] = _value_from_json(pair[1])
    return result


def _key_to_json(key: Key) -> str | list[str]:
    return key if isinstance(key, str) else list(key)


def _key_from_json(key: Any) -> Key:
    if type(key) is str:
        return key
    _require(type(key) is list and all(type(k) is str for k in key))
    return tuple(key)


# --- ScenarioFile -----------------------------------------------------------------------------------------------
# A shape is {"shape": name, "fields": {field: value}}, a dict {"dict": {...}}, a list a JSON list.


def scenario_to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "shape": type(value).__name__,
            "fields": {f.name: scenario_to_json(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, dict):
        return {"dict": {k: scenario_to_json(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [scenario_to_json(v) for v in value]
    if value is None or type(value) in (str, int, bool):
        return value
    raise TypeError(f"not a scenario value: {type(value).__name__}")


def scenario_from_json(payload: Any) -> shapes.ScenarioFile:
    scenario = _decode(payload, shapes.ScenarioFile)
    assert isinstance(scenario, shapes.ScenarioFile)  # _decode builds the annotation's type
    return scenario


@record
class _Bound:
    """Stands in for annotated_types' Ge and Le (pydantic's) when reading the annotations of shapes."""

    low: int | None = None
    high: int | None = None


def _ge(bound: int) -> _Bound:
    return _Bound(low=bound)


def _le(bound: int) -> _Bound:
    return _Bound(high=bound)


@functools.cache
def _fields(shape: type) -> dict[str, Any]:
    return typing.get_type_hints(shape, {**vars(shapes), "Ge": _ge, "Le": _le}, include_extras=True)


def _decode(value: Any, annotation: Any) -> Any:
    return _decoder(annotation)(value)


@functools.cache
def _decoder(annotation: Any) -> typing.Callable[[Any], Any]:
    """A function that decodes a value of `annotation`, built once: reading annotations is the slow part."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _bounded(_decoder(args[0]), args[1:])
    if origin in (types.UnionType, typing.Union):
        return _union([_decoder(member) for member in args])
    if origin is list:
        item = _decoder(args[0])

        def decode_list(value: Any) -> Any:
            _require(type(value) is list)
            return [item(v) for v in value]

        return decode_list
    if origin is dict:
        entry = _decoder(args[1])
        # A text decodes as itself wherever the entry may be a str (any shape or other member refuses one).
        text_is_itself = args[1] is str or str in typing.get_args(args[1])

        def decode_dict(value: Any) -> Any:
            _require(type(value) is dict and value.keys() == {"dict"} and type(value["dict"]) is dict)
            entries = value["dict"]
            if text_is_itself and _types(entries.values()) <= {str}:  # the formulas: one copy in C
                return dict(entries)
            return {k: entry(v) for k, v in entries.items()}

        return decode_dict
    if annotation is type(None):

        def decode_none(value: Any) -> Any:
            _require(value is None)

        return decode_none
    if annotation in (str, int, bool):

        def decode_scalar(value: Any) -> Any:
            _require(type(value) is annotation)
            return value

        return decode_scalar
    _require(annotation in shapes.SHAPES)
    return _shape_decoder(annotation)


def _bounded(inner: typing.Callable[[Any], Any], bounds: tuple[Any, ...]) -> typing.Callable[[Any], Any]:
    def decode_bounded(value: Any) -> Any:
        decoded = inner(value)
        for bound in bounds:
            _require(
                isinstance(bound, _Bound)
                and (bound.low is None or decoded >= bound.low)
                and (bound.high is None or decoded <= bound.high)
            )
        return decoded

    return decode_bounded


def _union(members: list[typing.Callable[[Any], Any]]) -> typing.Callable[[Any], Any]:
    def decode_union(value: Any) -> Any:
        for member in members:
            try:
                return member(value)
            except Malformed:
                continue
        raise Malformed("no member of the union")

    return decode_union


def _shape_decoder(shape: type) -> typing.Callable[[Any], Any]:
    name = shape.__name__

    def decode_shape(value: Any) -> Any:
        decoders = _field_decoders(shape)  # looked up at call time: shapes nest (a stage holds stages)
        _require(
            type(value) is dict
            and value.keys() == {"shape", "fields"}
            and value["shape"] == name
            and type(value["fields"]) is dict
            and value["fields"].keys() == decoders.keys()
        )
        return shape(**{key: decoders[key](v) for key, v in value["fields"].items()})

    return decode_shape


@functools.cache
def _field_decoders(shape: type) -> dict[str, typing.Callable[[Any], Any]]:
    return {name: _decoder(hint) for name, hint in _fields(shape).items()}


def matches(scenario: Any, data: Any) -> bool:
    """Whether a validated shape says exactly what `data` (its document's data) says.

    Every field the data gives must equal the data's value (an int field: the
    data's text read as pydantic reads it); every other field must hold its
    default. With this, a cache entry can only say what the file says.
    """
    if type(scenario) is str:  # most of a scenario (every formula): tested first
        return type(data) is str and scenario == data
    if dataclasses.is_dataclass(scenario) and not isinstance(scenario, type):
        if not isinstance(data, dict):
            return False
        by_name = _fields_by_name(type(scenario))
        if not set(data) <= set(by_name):
            return False
        return all(
            matches(getattr(scenario, name), data[name]) if name in data else _is_default(scenario, field)
            for name, field in by_name.items()
        )
    if isinstance(scenario, dict | list) and scenario == data:
        # Equal as plain data (a shape never equals a dict, 5 never equals '5'): each part matches, as the
        # walk below would find, in one comparison in C; most of a scenario (the formulas) is such a dict.
        return True
    if isinstance(scenario, dict):
        return isinstance(data, dict) and set(scenario) == set(data) and all(matches(v, data[k]) for k, v in scenario.items())
    if isinstance(scenario, list):
        return isinstance(data, list) and len(scenario) == len(data) and all(map(matches, scenario, data))
    if type(scenario) is bool:  # pydantic reads a YAML text 'true'/'yes'/'on'/'1' (any case) as True
        return isinstance(data, str) and data.strip().lower() in (_TRUE if scenario else _FALSE)
    if type(scenario) is int:
        return (type(data) is int and data == scenario) or (isinstance(data, str) and _as_int(data) == scenario)
    return type(scenario) is type(data) and scenario == data


@functools.cache
def _fields_by_name(shape: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(shape)}


_TRUE = ("true", "yes", "on", "1", "t", "y")
_FALSE = ("false", "no", "off", "0", "f", "n")


def _is_default(shape: Any, field: dataclasses.Field[Any]) -> bool:
    value = getattr(shape, field.name)
    if field.default is not dataclasses.MISSING:
        return bool(value == field.default)
    if field.default_factory is not dataclasses.MISSING:
        return bool(value == field.default_factory())
    return False


def _as_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _require(condition: bool) -> None:
    if not condition:
        raise Malformed("not what the encoder writes")
