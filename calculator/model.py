"""Stage 2, validate: the shape of a scenario file, as pydantic models.

These models say which keys exist and what each holds (text to be parsed by
later stages); `envelope schema` is generated from them. Unknown keys are
errors, reported at the key with a `did you mean`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import EnvelopeError, did_you_mean
from .load import Document


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputEntry(_Strict):
    """An input with its provenance: `{value: 2k request/s/gpu, note: ...}`."""

    value: str = Field(description="a quantity: '100M user', '2B to 8B image', 'normal(5 ms, 1 ms)'")
    unit: str | None = Field(None, description="display unit, e.g. 'request/s'")
    note: str | None = Field(None, description="where the number comes from; shown in the TUI")
    source: str | None = None


class DerivedEntry(_Strict):
    """A derived value with a display unit and a note."""

    formula: str = Field(description="e.g. 'dau * searches_per_user'")
    unit: str | None = Field(None, description="display unit, e.g. 'USD/month'")
    note: str | None = None


class BudgetEntry(_Strict):
    """`{max: 10 TB, warn: 70%}`: limits may be formulas."""

    max: str | None = None
    min: str | None = None
    warn: str | None = Field(None, description="utilization at which the status is 'warn' (default 80%)")
    note: str | None = None


class StageEntry(_Strict):
    value: str
    note: str | None = None


class ParallelStage(_Strict):
    """Branches that run at once: the slowest counts."""

    parallel: dict[str, Stage]
    note: str | None = None


class SequenceStage(_Strict):
    """Stages that run one after another inside a parallel branch."""

    sequence: dict[str, Stage]
    note: str | None = None


Stage = str | StageEntry | ParallelStage | SequenceStage


class LatencyPathEntry(_Strict):
    budget: str = Field(description="the path's limit, e.g. '200 ms'")
    stages: dict[str, Stage]
    warn: str | None = None
    note: str | None = None


class Settings(_Strict):
    samples: int = Field(20_000, ge=100, le=2_000_000, description="Monte Carlo samples")
    seed: int = 0
    risk: str = Field("5%", description="probability of violation at which a budget warns")
    sig_figs: int = Field(3, ge=1, le=15)


class ScenarioFile(_Strict):
    """A scenario file: assumptions, formulas, budgets and latency paths."""

    name: str
    description: str | None = None
    source: str | list[str] | None = None
    tags: list[str] = []
    hardware: dict[str, str] = Field({}, description="name -> catalog id, e.g. gpu: H100-SXM")
    units: dict[str, str | None] = Field({}, description="new counting units, or aliases: kframe: 1000 frame")
    inputs: dict[str, str | InputEntry] = {}
    derived: dict[str, str | DerivedEntry] = {}
    budgets: dict[str, str | BudgetEntry] = {}
    latency: dict[str, LatencyPathEntry] = {}
    settings: Settings = Settings()
    correlations: dict[str, str] = Field({}, description="'[a, b]: 0.6' rank correlation between two inputs")


# Pydantic loc entries that name a union member, not a key in the file.
_MEMBER_NAMES = {"str", "InputEntry", "DerivedEntry", "BudgetEntry", "StageEntry", "ParallelStage", "SequenceStage",
                 "list[str]", "LatencyPathEntry", "Settings", "int", "none"}


def validate(document: Document) -> ScenarioFile:
    """The document as a ScenarioFile, or the one error that says what is wrong."""
    data = dict(document.data)
    if isinstance(data.get("correlations"), dict):
        data["correlations"] = {"|".join(k) if isinstance(k, tuple) else k: v for k, v in data["correlations"].items()}
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as errors:
        raise _first_error(errors, document) from None


def _first_error(errors: ValidationError, document: Document) -> EnvelopeError:
    details = errors.errors()
    # Within a union, the member that got furthest says most: prefer it.
    details.sort(key=lambda e: (_rank(e["type"]), -len(e["loc"])))
    error = details[0]
    path = tuple(str(p) for p in error["loc"] if str(p) not in _MEMBER_NAMES)
    return _to_envelope_error(error, path, document)


def _rank(kind: str) -> int:
    """Unknown keys first (a typo explains a 'missing' too), wrong member types last."""
    if kind == "extra_forbidden":
        return 0
    return 2 if kind in ("string_type", "model_type", "dict_type", "list_type") else 1


def _to_envelope_error(error: Any, path: tuple[str, ...], document: Document) -> EnvelopeError:
    where = document.where(*path)
    dotted = ".".join(path[:-1]) or "the top level"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        return EnvelopeError(f"unknown key '{path[-1]}' in {dotted}", where, did_you_mean(path[-1], allowed)
                             or (f"allowed keys: {', '.join(allowed)}" if allowed else None))
    if kind == "missing":
        return EnvelopeError(f"missing key '{path[-1]}' in {dotted}", where)
    if kind in ("string_type", "model_type", "dict_type"):
        expected = {"string_type": "a value", "model_type": "a mapping", "dict_type": "a mapping"}[kind]
        return EnvelopeError(f"'{'.'.join(path)}' should be {expected}", where)
    return EnvelopeError(f"'{'.'.join(path)}': {error['msg']}", where)


def _allowed_keys(path: tuple[str, ...]) -> list[str]:
    model: Any = ScenarioFile
    for part in path:
        fields = getattr(model, "model_fields", {})
        model = _model_in(fields[part].annotation) if part in fields else _model_in(model) if model is not ScenarioFile else None
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation like dict[str, str | InputEntry]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors."""
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "envelope scenario"
    return schema
