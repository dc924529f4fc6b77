"""`envelope check`: every scenario under some paths, one outcome each, and JUnit XML."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from calculator.common.cache import write_text_atomically
from calculator.common.errors import EnvelopeError, FileError, Location
from calculator.engine.pipeline import load
from calculator.engine.results import Result

SCENARIO_SUFFIXES = (".yaml", ".yml")


@dataclass
class Outcome:
    file: str
    status: str  # ok, warn, fail, error
    result: Result | None = None
    error: EnvelopeError | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        if self.error is not None:
            return f"{'error':5}  {self.error.render().splitlines()[0]}"
        assert self.result is not None
        result = self.result
        detail = f"{_count(len(result.budgets), 'budget')}, {_count(len(result.latency), 'latency path')}"
        broken = [f"{b.name} {b.utilization:.0%}" for b in result.budgets if b.status != "ok"]
        broken += [f"latency {p.path} {p.utilization:.0%}" for p in result.latency if p.status != "ok"]
        suffix = f" — {', '.join(broken)}" if broken else ""
        return f"{self.status:5}  {self.file}  {result.scenario} ({detail}){suffix}"


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
                message = (f"{budget.name} is {budget.value:g} {budget.unit.text}: {budget.utilization:.0%} of"
                           f" {budget.op} {budget.limit:g} {budget.unit.text}")
                lines.append(_annotation(level, budget.location, f"budget {budget.name} {budget.status}", message))
        for path in self.result.latency:
            if path.status != "ok":
                level = "error" if path.status == "fail" else "warning"
                message = f"latency {path.path}: {path.total:g} of {path.budget:g} {path.unit.text} ({path.utilization:.0%})"
                lines.append(_annotation(level, path.location, f"latency {path.path} {path.status}", message))
        return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


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
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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


def check_paths(paths: list[Path], catalogs: Sequence[str] = ()) -> list[Outcome]:
    """Each scenario under the paths evaluated (`catalogs`: `--catalog` files for every one)."""
    outcomes = []
    for file in scenario_files(paths):
        started = time.perf_counter()
        try:
            result = load(file, catalogs).evaluate().result
        except EnvelopeError as error:
            outcomes.append(Outcome(str(file), "error", error=error, seconds=time.perf_counter() - started))
            continue
        failures = [f"budget {b.name}: {b.utilization:.0%} of {b.op} {b.limit:g} {b.unit.text}"
                    for b in result.budgets if b.status == "fail"]
        failures += [f"latency {p.path}: {p.total:g} of {p.budget:g} {p.unit.text}" for p in result.latency
                     if p.status == "fail"]
        outcomes.append(Outcome(str(file), result.status, result, seconds=time.perf_counter() - started,
                                failures=failures))
    return outcomes


def write_junit(outcomes: list[Outcome], target: Path) -> None:
    """One testsuite, one testcase a scenario: a failing budget is a failure, a bad file an error."""
    suite = ElementTree.Element("testsuite", name="envelope", tests=str(len(outcomes)),
                                failures=str(sum(o.status == "fail" for o in outcomes)),
                                errors=str(sum(o.status == "error" for o in outcomes)),
                                time=f"{sum(o.seconds for o in outcomes):.3f}")
    for outcome in outcomes:
        name = outcome.result.scenario if outcome.result else Path(outcome.file).stem
        case = ElementTree.SubElement(suite, "testcase", classname=outcome.file, name=name, time=f"{outcome.seconds:.3f}")
        if outcome.error is not None:
            error = ElementTree.SubElement(case, "error", message=outcome.error.message)
            error.text = outcome.error.render()
        elif outcome.failures:
            failure = ElementTree.SubElement(case, "failure", message="; ".join(outcome.failures))
            failure.text = "\n".join(outcome.failures)
        elif outcome.status == "warn":
            ElementTree.SubElement(case, "system-out").text = "status: warn"
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    text = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
    write_text_atomically(target, text + "\n")
