"""`envelope check`: every scenario under some paths, one outcome each, and JUnit XML.

A file named on the command line brings the scenarios that extend it (directly or
through others) with it: a base that changes can break a file nobody touched.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from xml.etree import ElementTree

from calculator.common.cache import write_text_atomically
from calculator.common.errors import EnvelopeError, FileError, Location
from calculator.common.files import read_bounded
from calculator.common.numbers import counted
from calculator.common.records import record
from calculator.common.text import terminal_text
from calculator.engine.pipeline import load
from calculator.engine.results import BudgetResult, PathResult, Result, format_quantity, judged_text, limit_text
from calculator.file.load import MAX_FILE_BYTES

SCENARIO_SUFFIXES = (".yaml", ".yml")
# What makes a YAML file a scenario: one of these keys at its top level (a catalog file has kind: and entries:).
SCENARIO_KEYS = ("inputs", "derived", "budgets", "latency", "extends")
_SCENARIO_KEY = re.compile(rf"^(?:{'|'.join(SCENARIO_KEYS)})\s*:", re.MULTILINE)
_EXTENDS = re.compile(r"^extends\s*:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


@record(frozen=False)
class Outcome:
    file: str
    status: str  # ok, warn, fail, error
    result: Result | None = None
    error: EnvelopeError | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    extends: str | None = None
    "set when the file was not named but extends one that was: the file it extends"
    internal: bool = False
    "the error is envelope's own fault, not the file's (the run exits 3)"
    unchecked: list[tuple[str, Location]] = field(default_factory=list)
    "inputs that no budget or latency path depends on, and where each is written (notes, not failures)"

    def notes(self) -> list[str]:
        """One `file:line:col: note: ...` (at the first) naming the inputs nothing checked depends on, or none
        (stderr; never the exit code)."""
        if not self.unchecked:
            return []
        names = ", ".join(f"'{name}'" for name, _ in self.unchecked)
        them = "it" if len(self.unchecked) == 1 else "them"
        noun = "input" if len(self.unchecked) == 1 else "inputs"
        where = self.unchecked[0][1]
        text = f"{where}: note: no budget or latency path depends on {noun} {names} (changing {them} changes nothing checked)"
        return [terminal_text(text, one_line=True)]

    def summary_line(self) -> str:
        because = f"  (extends {self.extends})" if self.extends else ""
        if self.error is not None:
            return terminal_text(f"{'error':5}  {self.error.render().splitlines()[0]}{because}", one_line=True)
        assert self.result is not None
        result = self.result
        detail = f"{counted(len(result.budgets), 'budget')}, {counted(len(result.latency), 'latency path')}"
        groups = []
        for status in ("fail", "warn"):
            named = [f"{b.name} {b.utilization:.0%}" for b in result.budgets if b.status == status]
            named += [f"latency {p.path} {p.utilization:.0%}" for p in result.latency if p.status == status]
            if named:
                groups.append(f"{status}: {', '.join(named)}")
        suffix = f" — {'; '.join(groups)}" if groups else ""
        return terminal_text(f"{self.status:5}  {self.file}  {result.scenario} ({detail}){suffix}{because}", one_line=True)

    def github_annotation(self) -> str:
        """GitHub workflow commands: an error or warning on the file and line of each problem."""
        if self.error is not None:
            hint = f"\nhint: {self.error.hint}" if self.error.hint else ""
            return _annotation("error", self.error.location, "invalid scenario", self.error.message + hint)
        assert self.result is not None
        lines = [self.summary_line()]
        for budget in self.result.budgets:
            if budget.status != "ok":
                level = "error" if budget.status == "fail" else "warning"
                message = f"{budget.name} is {_value_text(budget)}: {budget.utilization:.0%} of {_limit(budget)}"
                lines.append(_annotation(level, budget.location, f"budget {budget.name} {budget.status}", message))
        for path in self.result.latency:
            if path.status != "ok":
                level = "error" if path.status == "fail" else "warning"
                message = f"latency {path.path}: {_path_text(path)} ({path.utilization:.0%})"
                lines.append(_annotation(level, path.location, f"latency {path.path} {path.status}", message))
        lines += [
            _annotation("notice", where, f"input {name} unchecked", "no budget or latency path depends on it")
            for name, where in self.unchecked
        ]
        return "\n".join(lines)


def _value_text(budget: BudgetResult) -> str:
    """`2 s`, or `2 s (p95 4.96 s)` for a percentile budget: the utilization is of the percentile."""
    return format_quantity(budget.value, budget.unit) + judged_text(budget.percentile, budget.judged, budget.unit, 3)


def _limit(budget: BudgetResult) -> str:
    """`<= 50k USD/month`: the limit as people write it, in the unit it was written in."""
    return limit_text(budget, 3)


def _path_text(path: PathResult) -> str:
    """`120 ms of 40 ms`."""
    judged = judged_text(path.percentile, path.judged, path.unit, 3, ",")
    return f"{format_quantity(path.total, path.unit)} of {format_quantity(path.budget, path.unit)}{judged}"


def budget_failure(budget: BudgetResult) -> str:
    return f"budget {budget.name}: {budget.utilization:.0%} of {_limit(budget)}"


def path_failure(path: PathResult) -> str:
    return f"latency {path.path}: {_path_text(path)}"


def _annotation(level: str, location: Location | None, title: str, message: str) -> str:
    """`::error file=F,line=L,col=C,title=T::message`, escaped as GitHub's workflow commands require."""
    fields = []
    if location is not None:
        fields.append(f"file={_escape_property(location.file)}")
        if location.line > 0:
            fields += [f"line={location.line}", f"col={location.column}"]
    fields.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(fields)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return terminal_text(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"), one_line=True)


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file())
        elif path.exists():
            files.append(path)
        else:
            raise FileError("no such file or folder", Location(str(path)))
    return files


def is_scenario_text(text: str) -> bool:
    """A scenario has one of SCENARIO_KEYS at its top level (a workflow, a config or a catalog file has none)."""
    return _SCENARIO_KEY.search(text) is not None


def _text_or_empty(path: Path) -> str:
    try:
        return read_bounded(path, MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except (OSError, EnvelopeError):
        return ""  # unreadable here (or a FIFO, a device): `load` says why when it is checked


def split_scenarios(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(scenario files, other YAML files), by content (`--only-scenarios`)."""
    scenarios: list[Path] = []
    others: list[Path] = []
    for file in files:
        (scenarios if is_scenario_text(_text_or_empty(file)) else others).append(file)
    return scenarios, others


def tree_of(file: Path) -> Path:
    """Where the scenarios that may extend `file` live: its git work tree, else its folder."""
    folder = file.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def dependents(named: list[Path]) -> dict[Path, Path]:
    """Every scenario under the named files' trees that extends one of them, directly or through others:
    dependent -> the file it extends (hidden folders skipped)."""
    targets = {file.resolve() for file in named}
    extends: dict[Path, Path] = {}
    for tree in {tree_of(file) for file in named}:
        for candidate in tree.rglob("*"):
            if candidate.suffix not in SCENARIO_SUFFIXES or not candidate.is_file():
                continue
            if any(part.startswith(".") for part in candidate.relative_to(tree).parts[:-1]):
                continue
            found = _EXTENDS.search(_text_or_empty(candidate))
            if found:
                extends[candidate.resolve()] = (candidate.parent / found.group(1).strip()).resolve()
    found_now: dict[Path, Path] = {}
    reached = set(targets)
    changed = True
    while changed:  # transitive: a file extending a dependent depends too
        changed = False
        for child, base in extends.items():
            if base in reached and child not in reached:
                reached.add(child)
                found_now[child] = base
                changed = True
    return found_now


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_paths(
    paths: list[Path], catalogs: Sequence[str] = (), only_scenarios: bool = False, with_dependents: bool = True
) -> tuple[list[Outcome], list[Path]]:
    """Each scenario under the paths evaluated (`catalogs`: `--catalog` files for every one), then each
    scenario that extends a named file; and the files skipped as not scenarios (`only_scenarios`)."""
    files = scenario_files(paths)
    skipped: list[Path] = []
    if only_scenarios:
        files, skipped = split_scenarios(files)
    outcomes = [_outcome(file, catalogs) for file in files]
    if with_dependents:
        named = [path for path in paths if path.is_file() and path in files]
        seen = {file.resolve() for file in files}
        for child, base in sorted(dependents(named).items()):
            if child not in seen:
                outcome = _outcome(Path(_shown(child)), catalogs)
                outcome.extends = _shown(base)
                outcomes.append(outcome)
    return outcomes, skipped


def _outcome(file: Path, catalogs: Sequence[str]) -> Outcome:
    started = time.perf_counter()
    try:
        model = load(file, catalogs)
        result = model.evaluate().result
    except EnvelopeError as error:
        return Outcome(str(file), "error", error=error, seconds=time.perf_counter() - started)
    except Exception as error:  # one file's crash is its own line; the others still run
        if os.environ.get("ENVELOPE_DEBUG") == "1":
            traceback.print_exc()
        fault = EnvelopeError(
            f"internal error: {type(error).__name__}: {error} (please report; ENVELOPE_DEBUG=1 shows the traceback)",
            Location(str(file)),
        )
        return Outcome(str(file), "error", error=fault, seconds=time.perf_counter() - started, internal=True)
    failures = [budget_failure(b) for b in result.budgets if b.status == "fail"]
    failures += [path_failure(p) for p in result.latency if p.status == "fail"]
    checked = result.budgets or result.latency
    unchecked = [(name, model.scenario.values[name].location) for name in model.unbudgeted_inputs()] if checked else []
    seconds = time.perf_counter() - started
    return Outcome(str(file), result.status, result, seconds=seconds, failures=failures, unchecked=unchecked)


def write_junit(outcomes: list[Outcome], target: Path) -> None:
    """One testsuite; one testcase a budget and a latency path (classname: the file), a failing one a failure;
    a bad file one errored testcase, a scenario with no budget one passing testcase that it evaluates."""
    cases = ElementTree.Element("testsuite")
    for outcome in outcomes:
        _junit_cases(cases, outcome)
    suite = ElementTree.Element(
        "testsuite",
        name="envelope",
        tests=str(len(cases)),
        failures=str(sum(c.find("failure") is not None for c in cases)),
        errors=str(sum(c.find("error") is not None for c in cases)),
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    suite.extend(cases)
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    text = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
    write_text_atomically(target, text + "\n")


def _junit_cases(parent: ElementTree.Element, outcome: Outcome) -> None:
    def case(name: str, seconds: float = 0.0) -> ElementTree.Element:
        return ElementTree.SubElement(parent, "testcase", classname=outcome.file, name=name, time=f"{seconds:.3f}")

    if outcome.error is not None:
        error = ElementTree.SubElement(case(Path(outcome.file).stem, outcome.seconds), "error", message=outcome.error.message)
        error.text = outcome.error.render()
        return
    assert outcome.result is not None
    result = outcome.result
    if not result.budgets and not result.latency:
        case(f"{result.scenario} evaluates", outcome.seconds)
    for budget in result.budgets:
        _judged(
            case(f"budget {budget.name}"),
            budget.status,
            budget_failure(budget),
            f"{_value_text(budget)}: {budget.utilization:.0%} of {_limit(budget)}",
        )
    for path in result.latency:
        _judged(case(f"latency {path.path}"), path.status, path_failure(path), f"{_path_text(path)} ({path.utilization:.0%})")


def _judged(case: ElementTree.Element, status: str, failure: str, detail: str) -> None:
    if status == "fail":
        ElementTree.SubElement(case, "failure", message=failure).text = failure
    else:
        ElementTree.SubElement(case, "system-out").text = f"{status}: {detail}"
