"""The shape of a scenario file: which keys exist and what each holds.

Plain frozen dataclasses, so that importing them costs nothing; pydantic
validates documents into them (calculator.validate, on demand) and generates
`envelope schema` from them. Each attribute's docstring is its description in
the schema. Values stay text here: later stages parse them.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Annotated

from calculator.common.records import record

if TYPE_CHECKING:  # resolved by pydantic in calculator.validate, which imports them
    from annotated_types import Ge, Le


@record
class InputEntry:
    """An input with its provenance: `{value: 2k request/s/gpu, note: ...}`, or its options to choose from:
    `{one_of: [1 gpu, 2 gpu, 4 gpu]}`, `{range: [1 gpu, 8 gpu], step: 1 gpu}`, `{powers_of_two: [1 gpu, 64 gpu]}`."""

    value: str | None = None
    "a quantity: '100M user', '2B to 8B image', 'normal(5 ms, 1 ms)'; with options, the one chosen (default: the first)"
    one_of: list[str] | None = None
    "the options `envelope optimize` chooses from, e.g. [1 gpu, 2 gpu, 4 gpu, 8 gpu]"
    range: list[str] | None = None
    "[FROM, TO]: the options FROM, FROM + step, ... up to TO, e.g. [1 gpu, 8 gpu]"
    step: str | None = None
    "the step of `range:` (default: 1 in FROM's unit)"
    powers_of_two: list[str] | None = None
    "[FROM, TO]: the options FROM, 2·FROM, 4·FROM, ... up to TO, e.g. [1 gpu, 64 gpu]"
    unit: str | None = None
    "display unit, e.g. 'request/s'"
    note: str | None = None
    "where the number comes from; shown in the TUI"
    source: str | None = None
    integer: bool = False
    "a whole number of things: `envelope solve` answers with a whole number"


@record
class HardwareOptions:
    """A hardware binding that may take one of several catalog entries: `{one_of: [H100-SXM, H200], value: H200}`."""

    one_of: list[str]
    "catalog entries of one kind, as people type them: ids or aliases"
    value: str | None = None
    "the entry evaluated by default (one of the options); absent: the first option"


@record
class DerivedEntry:
    """A derived value with a display unit and a note."""

    formula: str
    "e.g. 'dau * searches_per_user'"
    unit: str | None = None
    "display unit, e.g. 'USD/month'"
    note: str | None = None
    drill: bool = False
    "asked in `envelope drill` even when no budget depends on it"


@record
class BudgetEntry:
    """`{max: 10 TB, warn: 70%}`: limits may be formulas."""

    max: str | None = None
    min: str | None = None
    warn: str | None = None
    "utilization at which the status is 'warn' (default 80%)"
    percentile: str | None = None
    "judge this percentile of the value (e.g. '95%') instead of its median: a p95 SLO"
    note: str | None = None


@record
class StageEntry:
    value: str
    note: str | None = None


@record
class ParallelStage:
    """Branches that run at once: the slowest counts."""

    parallel: dict[str, Stage]
    note: str | None = None


@record
class SequenceStage:
    """Stages that run one after another inside a parallel branch."""

    sequence: dict[str, Stage]
    note: str | None = None


Stage = str | StageEntry | ParallelStage | SequenceStage


@record
class PathBudgetEntry:
    """A latency path's limit at a percentile: `{max: 200 ms, percentile: 99%}`."""

    max: str | None = None
    min: str | None = None
    "refused: a latency path's budget is an upper limit (listed so the error can say so at the key)"
    percentile: str | None = None
    "judge this percentile of the path's total (e.g. '99%') instead of its median"


@record
class LatencyPathEntry:
    budget: str | PathBudgetEntry
    "the path's limit, e.g. '200 ms', or '{max: 200 ms, percentile: 99%}'"
    stages: dict[str, Stage]
    warn: str | None = None
    note: str | None = None


@record
class Settings:
    samples: Annotated[int, Ge(100), Le(2_000_000)] = 20_000
    "Monte Carlo samples"
    seed: Annotated[int, Ge(0), Le(2**63 - 1)] = 0
    "random seed of the Monte Carlo samples (0 or more)"
    risk: str = "5%"
    "probability of violation at which a budget warns"
    sig_figs: Annotated[int, Ge(1), Le(15)] = 3
    memory_budget: str | None = None
    "what Monte Carlo samples and a sweep may hold, e.g. '512 MB' (the default) or '2 GB'"


@record
class ScenarioFile:
    """A scenario file: assumptions, formulas, budgets and latency paths."""

    name: str
    description: str | None = None
    source: str | list[str] | None = None
    tags: list[str] = field(default_factory=list)
    catalog: list[str] = field(default_factory=list)
    "your own catalog files (relative to this file): entries added, or overriding shipped ones"
    hardware: dict[str, str | HardwareOptions] = field(default_factory=dict)
    "name -> catalog entry of any kind, e.g. gpu: H100-SXM, llm: Llama-3.1-70B, server: p5.48xlarge; or {one_of: [...]}"
    units: dict[str, str | None] = field(default_factory=dict)
    "new counting units, or aliases: kframe: 1000 frame"
    inputs: dict[str, str | InputEntry] = field(default_factory=dict)
    derived: dict[str, str | DerivedEntry] = field(default_factory=dict)
    budgets: dict[str, str | BudgetEntry] = field(default_factory=dict)
    latency: dict[str, LatencyPathEntry] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    correlations: dict[str, str] = field(default_factory=dict)
    "'[a, b]: 0.6' rank correlation between two inputs"


SHAPES = (
    ScenarioFile,
    InputEntry,
    HardwareOptions,
    DerivedEntry,
    BudgetEntry,
    StageEntry,
    ParallelStage,
    SequenceStage,
    PathBudgetEntry,
    LatencyPathEntry,
    Settings,
)
