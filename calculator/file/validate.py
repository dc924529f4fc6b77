"""Stage 2, validate: a loaded document checked against the shapes of
calculator.model, with pydantic.

Unknown keys are errors, reported at the key with a `did you mean`. Importing
pydantic and building its validator costs more than everything else `envelope
eval` does, so a document that has passed once is remembered: its validated
form is kept in the user's cache under a hash of its content, and the same
content later skips pydantic altogether (as Python skips compiling a module it
has a .pyc for).
"""

from __future__ import annotations

import functools
import typing
from pathlib import Path
from typing import Any

from calculator.common.cache import cache_key, package_stamp, read_entry, source_stamp, worth_keeping, write_entry
from calculator.common.errors import EnvelopeError, ShapeError, did_you_mean
from calculator.file import shapes as model
from calculator.file.codec import Malformed, matches, scenario_from_json, scenario_to_json
from calculator.file.document import Document
from calculator.file.shapes import ScenarioFile

CACHE_ENTRIES = 512
# Pydantic loc entries that name a union member, not a key in the file.
_MEMBER_NAMES = {shape.__name__ for shape in model.SHAPES} | {"str", "list[str]", "int", "none"}


def validate(document: Document) -> ScenarioFile:
    """The document as a ScenarioFile, or the one error that says what is wrong."""
    data = dict(document.data)
    if isinstance(data.get("correlations"), dict):
        data["correlations"] = {"|".join(k) if isinstance(k, tuple) else k: v for k, v in data["correlations"].items()}
    # Documents hold only str, None, lists, dicts and tuple keys: repr is exact.
    key = cache_key("validated", _shapes_stamp(), repr(data).encode())
    cached = _from_cache(key, data)
    if cached is not None:
        return cached
    validated = _validated(data, document)
    if worth_keeping("validated", key):
        write_entry("validated", key, scenario_to_json(validated), CACHE_ENTRIES)
    return validated


def _from_cache(key: str, data: dict[Any, Any]) -> ScenarioFile | None:
    """The entry for `key`, if it decodes to shapes that say exactly what `data` says."""
    payload = read_entry("validated", key)
    if payload is None:
        return None
    try:
        scenario = scenario_from_json(payload)
    except Malformed:
        return None
    return scenario if matches(scenario, data) else None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files as an editor reads them: what the loader accepts before
    validation too (`extends`, the list forms of `units:`, `catalog:` and `correlations:`, bare
    numbers, which envelope reads as their text)."""
    schema: dict[str, Any] = _scalars_as_text(_adapter().json_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "envelope scenario"
    properties = schema["properties"]
    properties["extends"] = {
        "type": "string",
        "description": "a scenario file (relative to this one) whose entries this file's override, section by section",
    }
    properties["units"] = {
        "anyOf": [properties["units"], {"type": "array", "items": {"type": "string"}}],
        "description": properties["units"].get("description", ""),
    }
    properties["catalog"] = {
        "anyOf": [properties["catalog"], {"type": "string"}],
        "description": properties["catalog"].get("description", ""),
    }
    properties["correlations"] = _correlations_schema()
    _options_schema(schema["$defs"]["InputEntry"])
    return schema


def _options_schema(entry: dict[str, Any]) -> None:
    """An input mapping has a value or options (envelope says which is missing); `one_of:` lists one option
    or more, `range:` and `powers_of_two:` exactly two, FROM and TO."""
    properties = entry["properties"]
    for key, least, most in (("one_of", 1, None), ("range", 2, 2), ("powers_of_two", 2, 2)):
        listed = next(member for member in properties[key]["anyOf"] if member.get("type") == "array")
        listed["minItems"] = least
        if most is not None:
            listed["maxItems"] = most
    entry["anyOf"] = [{"required": [key]} for key in ("value", "one_of", "range", "powers_of_two")]


def _correlations_schema() -> dict[str, Any]:
    number = {"type": ["number", "string"]}
    pair = {
        "type": "object",
        "additionalProperties": False,
        "required": ["between", "value"],
        "properties": {
            "between": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            "value": number,
            "note": {"type": "string"},
        },
    }
    return {
        "description": "rank correlations between uncertain inputs: a list of {between: [a, b], value: 0.6},"
        " or a mapping 'a|b': 0.6 (the YAML-only key form [a, b]: 0.6 works too)",
        "anyOf": [
            {"type": "array", "items": pair},
            {"type": "object", "additionalProperties": number, "propertyNames": {"pattern": "^[^|]+\\|[^|]+$"}},
        ],
    }


_SCALAR = ["string", "number", "boolean"]


def _scalars_as_text(node: Any) -> Any:
    """Every `"type": "string"` also allows a number or a boolean: the loader keeps every YAML scalar as
    its text (`peak_to_average: 2`, `note: yes`), which an editor's YAML parser reads as a number or a bool."""
    if isinstance(node, dict):
        out = {key: _scalars_as_text(value) for key, value in node.items()}
        if out.get("type") == "string":
            out["type"] = _SCALAR
        return out
    if isinstance(node, list):
        return [_scalars_as_text(item) for item in node]
    return node


@functools.lru_cache(maxsize=1)
def _shapes_stamp() -> bytes:
    """The key includes the shapes, this code, the codec and pydantic: a change to any never reads an old entry."""
    return (
        source_stamp(Path(__file__).parent, ("shapes.py", "validate.py", "codec.py"))
        + package_stamp("pydantic")
        + package_stamp("pydantic_core")
    )


@functools.lru_cache(maxsize=1)
def _adapter() -> Any:
    # Ge and Le must be in this frame: pydantic resolves model.py's string
    # annotations (`Annotated[int, Ge(100)]`) in the caller's namespace.
    from annotated_types import Ge, Le  # noqa: F401
    from pydantic import ConfigDict, TypeAdapter  # pydantic: only for a document the cache has not validated

    for shape in model.SHAPES:
        setattr(shape, "__pydantic_config__", ConfigDict(extra="forbid", use_attribute_docstrings=True))  # noqa: B010
    return TypeAdapter(ScenarioFile)


def _validated(data: dict[Any, Any], document: Document) -> ScenarioFile:
    from pydantic import ValidationError  # pydantic: only for a document the cache has not validated

    try:
        validated: ScenarioFile = _adapter().validate_python(data)
    except ValidationError as errors:
        raise _first_error(errors.errors(), document) from None
    return validated


def _first_error(details: list[Any], document: Document) -> EnvelopeError:
    # Within a union, the member that got furthest says most: prefer it.
    details.sort(key=lambda e: (_rank(e["type"]), -len(e["loc"])))
    error = details[0]
    path = tuple(str(p) for p in error["loc"] if str(p) not in _MEMBER_NAMES)
    return _to_envelope_error(error, path, document)


_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")
_WRONG_TYPE = {
    "string_type": "a value",
    "model_type": "a mapping",
    "dataclass_type": "a mapping",
    "dataclass_args_type": "a mapping",
    "dict_type": "a mapping",
}


def _rank(kind: str) -> int:
    """Unknown keys first (a typo explains a 'missing' too), wrong member types last."""
    if kind in _UNKNOWN_KEY:
        return 0
    return 2 if kind in _WRONG_TYPE or kind == "list_type" else 1


def _to_envelope_error(error: Any, path: tuple[str, ...], document: Document) -> EnvelopeError:
    where = document.where(*path)
    dotted = ".".join(path[:-1]) or "the top level"
    kind = error["type"]
    if kind in _UNKNOWN_KEY:
        allowed = _allowed_keys(path[:-1])
        return ShapeError(
            f"unknown key '{path[-1]}' in {dotted}",
            where,
            _comma_hint(document, path)
            or did_you_mean(path[-1], allowed)
            or (f"allowed keys: {', '.join(allowed)}" if allowed else None),
        )
    if kind == "missing":
        return ShapeError(f"missing key '{path[-1]}' in {dotted}", where)
    if kind in _WRONG_TYPE:
        return ShapeError(f"'{'.'.join(path)}' should be {_WRONG_TYPE[kind]}", where)
    return ShapeError(f"'{'.'.join(path)}': {error['msg']}", where)


def _comma_hint(document: Document, path: tuple[str, ...]) -> str | None:
    """`{ value: 90%, note: restarts, checkpoints }`: in a flow mapping a comma ends the text, so 'checkpoints'
    became a key with no value. Say so, with the text quoted whole."""
    parent: Any = document.data
    for part in path[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or parent.get(path[-1], "") is not None:
        return None
    keys = list(parent)
    at = keys.index(path[-1])
    start = at
    while start > 0 and parent[keys[start - 1]] is None:
        start -= 1
    if start == 0 or not isinstance(parent[keys[start - 1]], str):
        return None
    owner = keys[start - 1]
    end = at
    while end + 1 < len(keys) and parent[keys[end + 1]] is None:
        end += 1
    whole = ", ".join([parent[owner], *keys[start : end + 1]])
    return f"a comma inside {{ }} ends the text: quote it, {owner}: '{whole}'"


def _allowed_keys(path: tuple[str, ...]) -> list[str]:
    """The keys the shape at `path` allows (a name under a dict-valued key is skipped)."""
    shape: Any = ScenarioFile
    for part in path:
        hints = _hints(shape)
        shape = _shape_in(hints[part]) if part in hints else _shape_in(shape) if shape is not ScenarioFile else None
        if shape is None:
            return []
    return list(_hints(shape))


def _hints(shape: Any) -> dict[str, Any]:
    from annotated_types import Ge, Le  # pydantic's: only for a document the cache has not validated

    if not isinstance(shape, type):
        return {}
    return typing.get_type_hints(shape, {**vars(model), "Ge": Ge, "Le": Le}, include_extras=False)


def _shape_in(annotation: Any) -> Any:
    """The shape inside an annotation like dict[str, str | InputEntry]."""
    if isinstance(annotation, type) and annotation in model.SHAPES:
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _shape_in(arg)
        if found is not None:
            return found
    return None
