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

import dataclasses
import functools
import types
import typing
from typing import Any

from calculator.common.errors import Location
from calculator.file import shapes
from calculator.file.document import Document, Key, Path_


class Malformed(ValueError):
    """An entry that is not what the encoder writes."""


# --- Document ---------------------------------------------------------------------------------------------------
# A value is a str, None, a list ({"list": [...]}) or a dict ({"dict": [[key, value], ...]}; a key is a str,
# or a list of str for a tuple key). A place is [path, file, line, column, end_line, end_column, folds].


def document_to_json(document: Document) -> dict[str, Any]:
    return {"file": document.file, "data": _value_to_json(document.data),
            "places": [_place_to_json(p, loc) for p, loc in document.places.items()],
            "text_places": [_place_to_json(p, loc) for p, loc in document.text_places.items()],
            "spans": [[[_key_to_json(k) for k in path], start, end] for path, (start, end) in document.spans.items()]}


def document_from_json(payload: Any) -> Document:
    _require(isinstance(payload, dict) and set(payload) == {"file", "data", "places", "text_places", "spans"})
    file, data = payload["file"], _value_from_json(payload["data"])
    _require(isinstance(file, str) and isinstance(data, dict))
    return Document(data, file, _places_from_json(payload["places"]), _places_from_json(payload["text_places"]),
                    _spans_from_json(payload["spans"]))


def _spans_from_json(spans: Any) -> dict[Path_, tuple[int, int]]:
    _require(type(spans) is list)
    result: dict[Path_, tuple[int, int]] = {}
    for span in spans:
        _require(type(span) is list and len(span) == 3 and type(span[0]) is list)
        path, start, end = span
        _require(type(start) is int and type(end) is int and 0 <= start <= end)
        result[tuple(_key_from_json(k) for k in path)] = (start, end)
    return result


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
    _require(type(value.get("dict")) is list)
    result: dict[Key, Any] = {}
    for pair in value["dict"]:
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


def _place_to_json(path: Path_, location: Location) -> list[Any]:
    return [[_key_to_json(k) for k in path], location.file, location.line, location.column, location.end_line,
            location.end_column, list(location.folds)]


def _places_from_json(places: Any) -> dict[Path_, Location]:
    _require(type(places) is list)
    result: dict[Path_, Location] = {}
    for place in places:
        _require(type(place) is list and len(place) == 7 and type(place[0]) is list)
        path, file, line, column, end_line, end_column, folds = place
        _require(type(file) is str and all(type(n) is int for n in (line, column, end_line, end_column)))
        _require(type(folds) is list and len(folds) % 3 == 0 and all(type(n) is int for n in folds))
        result[tuple(_key_from_json(k) for k in path)] = Location(file, line, column, end_line, end_column, tuple(folds))
    return result


# --- ScenarioFile -----------------------------------------------------------------------------------------------
# A shape is {"shape": name, "fields": {field: value}}, a dict {"dict": {...}}, a list a JSON list.


def scenario_to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"shape": type(value).__name__,
                "fields": {f.name: scenario_to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}}
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


@dataclasses.dataclass(frozen=True)
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
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        decoded = _decode(value, args[0])
        for bound in args[1:]:
            _require(isinstance(bound, _Bound) and (bound.low is None or decoded >= bound.low)
                     and (bound.high is None or decoded <= bound.high))
        return decoded
    if origin in (types.UnionType, typing.Union):
        for member in args:
            try:
                return _decode(value, member)
            except Malformed:
                continue
        raise Malformed("no member of the union")
    if origin is list:
        _require(type(value) is list)
        return [_decode(v, args[0]) for v in value]
    if origin is dict:
        _require(type(value) is dict and set(value) == {"dict"} and type(value["dict"]) is dict)
        return {k: _decode(v, args[1]) for k, v in value["dict"].items()}
    if annotation is type(None):
        _require(value is None)
        return None
    if annotation in (str, int, bool):
        _require(type(value) is annotation)
        return value
    _require(annotation in shapes.SHAPES and type(value) is dict and set(value) == {"shape", "fields"}
             and value["shape"] == annotation.__name__ and type(value["fields"]) is dict)
    hints = _fields(annotation)
    _require(set(value["fields"]) == set(hints))
    return annotation(**{name: _decode(v, hints[name]) for name, v in value["fields"].items()})


def matches(scenario: Any, data: Any) -> bool:
    """Whether a validated shape says exactly what `data` (its document's data) says.

    Every field the data gives must equal the data's value (an int field: the
    data's text read as pydantic reads it); every other field must hold its
    default. With this, a cache entry can only say what the file says.
    """
    if dataclasses.is_dataclass(scenario) and not isinstance(scenario, type):
        if not isinstance(data, dict):
            return False
        by_name = {f.name: f for f in dataclasses.fields(scenario)}
        if not set(data) <= set(by_name):
            return False
        return all(matches(getattr(scenario, name), data[name]) if name in data else _is_default(scenario, field)
                   for name, field in by_name.items())
    if isinstance(scenario, dict):
        return isinstance(data, dict) and set(scenario) == set(data) and all(matches(v, data[k]) for k, v in scenario.items())
    if isinstance(scenario, list):
        return isinstance(data, list) and len(scenario) == len(data) and all(map(matches, scenario, data))
    if type(scenario) is int:
        return (type(data) is int and data == scenario) or (isinstance(data, str) and _as_int(data) == scenario)
    return type(scenario) is type(data) and scenario == data


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
