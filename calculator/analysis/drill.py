"""`envelope drill`: interview practice — the scenario asks, the candidate estimates, the engine scores.

A drill states the problem (name, description, the inputs as clarified
requirements), then asks for the key values one at a time in dependency
order: the budgeted values, the values they depend on, and the values a
scenario marks `drill: true`. An answer is read with the grammar and units of
inputs (`20k request/s`, `3 PB`, `about 50 gpus`) and scored by order of
magnitude: within 2× full marks, within 10× half, beyond that none. After
each answer come the true value, its derivation as `explain` writes it, and,
when the answer was off, the input whose error would explain the gap. The end
is a score, the biggest misses and the budget questions an interviewer asks
(does the design meet its budgets? what breaks first if traffic triples?).

Everything here is pure: the terminal is calculator.cli.drill's, the clock is
passed in.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from calculator.analysis.explain import Explanation, explain
from calculator.analysis.solve import breaking_points
from calculator.common.errors import EnvelopeError, Location
from calculator.common.numbers import counted, format_number
from calculator.common.records import record
from calculator.common.text import markdown_cell
from calculator.engine.check import check_input_text
from calculator.engine.model import Model
from calculator.engine.results import Result, limit_text, with_unit
from calculator.engine.scenario import CheckedValue, Value
from calculator.formula.expr import Number, Quantity
from calculator.formula.parse import parse_input
from calculator.units.system import PHYSICAL, Dimension, Unit

FULL_MARKS_WITHIN = 2.0  # times the true value, either way
PARTIAL_MARKS_WITHIN = 10.0
SCORES = {"full": 1.0, "partial": 0.5, "none": 0.0}
TRAFFIC_GROWTH = 3.0  # "what breaks first if traffic triples?"
# Words people put around an estimate that say nothing about its value.
_FILLER = re.compile(r"^\s*(?:about|around|roughly|approximately|approx\.?|circa|ca\.|maybe|~|≈)\s*", re.IGNORECASE)
_TRAILING_FILLER = re.compile(r"\s*(?:or so|ish|-ish)\s*$", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DOLLARS = re.compile(r"^\s*\$\s*(?P<amount>[0-9.][^\s/]*)(?P<rest>.*)$")  # `$3`, `$300k/month`: USD
LONG_STEP = 200  # characters: a fully expanded step longer than this is left to `envelope explain`
_ANSWER = Location("<answer>")

Grade = Literal["full", "partial", "none"]


@record
class Question:
    """One value to estimate, with its true value in the unit it is asked in."""

    name: str
    note: str | None
    unit: Unit  # the unit the question asks in (the value's display unit)
    dimension: Dimension
    value: float  # in `unit`
    display: str  # the true value as every output writes it
    budget: str | None  # `<= 48 gpu` when a budget limits it

    @property
    def base(self) -> float:
        return self.value * self.unit.factor


@record
class Reading:
    """An answer as read: its value in base units, or what is wrong with it."""

    base: float | None
    problem: str | None = None


@record(frozen=False)
class Feedback:
    """What follows an answer: scored, a retry asked for, or the answer revealed."""

    kind: Literal["scored", "retry", "revealed"]
    question: Question
    answer: str
    message: list[str]  # the lines to show, in order
    value: float | None = None  # the answer in the question's unit
    factor: float | None = None  # how many times off, either way (≥ 1)
    grade: Grade | None = None
    seconds: float = 0.0
    attempts: int = 1
    problem: str | None = None  # why the answer could not be scored (unreadable, or the wrong kind of quantity)

    @property
    def score(self) -> float:
        return SCORES[self.grade] if self.grade else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.question.name,
            "unit": self.question.unit.text,
            "answer": self.answer,
            "answer_value": _rounded(self.value),
            "true_value": _rounded(self.question.value),
            "factor": _rounded(self.factor),
            "grade": self.grade,
            "score": self.score,
            "seconds": round(self.seconds, 1),
            "attempts": self.attempts,
            "revealed": self.kind == "revealed",
            "problem": self.problem,
        }

    def off_text(self) -> str:
        """`3× too high`, or why it could not be scored."""
        if self.kind == "revealed":
            return "revealed"
        if self.problem is not None or self.value is None or self.factor is None:
            return "not a quantity of the kind asked"
        return off_text(self.value, self.question.value, self.factor)


def questions(model: Model, result: Result, count: int | None = None) -> list[Question]:
    """The values to ask for, each after what it depends on.

    The targets are the budgeted values and those marked `drill: true`; then the
    derived values they depend on, nearest first, up to `count` in all.
    """
    scenario = model.scenario
    askable = {v.name: v for v in scenario.derived if _is_derived_here(v)}
    targets = [
        name
        for name in dict.fromkeys([b.name for b in scenario.budgets] + [v.name for v in scenario.derived if v.drill])
        if name in askable
    ]
    chosen = _nearest_first(targets, askable)
    if count is not None:
        chosen = chosen[:count]
    budgets = {b.name: limit_text(b, result.sig_figs) for b in result.budgets}
    return [_question(askable[v.name], result, budgets.get(v.name)) for v in scenario.derived if v.name in chosen]


def _is_derived_here(value: CheckedValue) -> bool:
    """A derived value worth asking: a formula (not a number written as one)."""
    return value.formula is not None and not isinstance(value.formula.expr, (Number, Quantity))


def _nearest_first(targets: list[str], askable: dict[str, CheckedValue]) -> list[str]:
    """The targets, then what they depend on, breadth first: the key values before the far ones."""
    chosen = list(targets)
    for name in chosen:  # grows as it goes: a breadth-first walk
        chosen += [d for d in askable[name].depends if d in askable and d not in chosen]
    return chosen


def _question(value: CheckedValue, result: Result, budget: str | None) -> Question:
    shown = result.values[value.name]
    return Question(value.name, value.note, shown.unit, value.dimension, shown.value, shown.display, budget)


def read_answer(model: Model, question: Question, text: str) -> Reading:
    """An estimate as written, read as an input is; a bare number is taken in the question's unit."""
    cleaned = _THOUSANDS.sub("", _TRAILING_FILLER.sub("", _FILLER.sub("", text)))
    dollars = _DOLLARS.match(cleaned)
    if dollars:
        cleaned = f"{dollars.group('amount')} USD{dollars.group('rest')}"
    if not cleaned.strip():
        return Reading(None, "an empty answer")
    try:
        spec, _ = parse_input(cleaned, _ANSWER)
        probe = check_input_text(model.scenario, Value("answer", "input", cleaned, _ANSWER, _ANSWER, spec=spec))
    except EnvelopeError as error:
        return Reading(None, f"'{text.strip()}' does not read as a quantity: {error.message}")
    if probe.display is None and probe.dimension.dimensionless:
        return Reading(probe.point * question.unit.factor)  # `36` to "how many gpus?"
    if probe.dimension != question.dimension:
        units = model.scenario.units
        given = quantity_words(probe.dimension, probe.display, units)
        asked = quantity_words(question.dimension, question.unit, units)
        return Reading(None, f"you gave {given}; the question asks for {asked} ({question.unit.text or 'a number'})")
    return Reading(probe.point)


def quantity_words(dimension: Dimension, unit: Unit | None, units: Any) -> str:
    """What a quantity measures, in words: 'a count of requests', 'requests per second', 'data per day'."""
    top = [(name, power) for name, power in dimension.exponents if power > 0]
    bottom = [(name, power) for name, power in dimension.exponents if power < 0]
    if not top and not bottom:
        return "a plain number"
    if len(top) == 1 and not bottom and top[0][1] == 1:
        return _ALONE.get(top[0][0]) or f"a count of {_plural(top[0][0])}"
    above = " × ".join(_BASE_WORD.get(name) or _plural(name) for name, _ in top) or "a rate"
    below = " per ".join(
        _time_word(unit, units) if name == "[time]" else _BASE_UNIT_WORD.get(name, name.strip("[]")) for name, _ in bottom
    )
    return f"{above} per {below}" if below else above


_ALONE = {
    "[time]": "a duration",
    "[information]": "an amount of data",
    "[currency]": "an amount of money",
    "[length]": "a length",
    "[mass]": "a mass",
}
_BASE_WORD = {"[time]": "time", "[information]": "data", "[currency]": "money", "[length]": "length", "[mass]": "mass"}
_BASE_UNIT_WORD = {"[information]": "byte", "[currency]": "unit of money", "[length]": "metre", "[mass]": "kilogram"}


def _plural(base: str) -> str:
    name = base.strip("[]")
    return name if name in PHYSICAL or name.endswith("s") else name + "s"


def _time_word(unit: Unit | None, units: Any) -> str:
    """The time unit a rate was written per (`day` in request/day), else 'second'."""
    for name, power in unit.factors if unit else ():
        if power < 0:
            try:
                info = units.lookup(name, _ANSWER)
            except EnvelopeError:
                continue
            if info.dimension == Dimension.of({"[time]": 1}):
                return str(name)
    return "second"


def grade_of(factor: float) -> Grade:
    if factor <= FULL_MARKS_WITHIN:
        return "full"
    return "partial" if factor <= PARTIAL_MARKS_WITHIN else "none"


def factor_off(answer: float, truth: float) -> float:
    """How many times off, either way (≥ 1); infinite when the signs differ or one is zero."""
    if answer == truth:
        return 1.0
    if answer == 0 or truth == 0 or (answer < 0) != (truth < 0):
        return math.inf
    return max(answer / truth, truth / answer)


@record
class Gap:
    """An input whose error would explain a wrong answer: it would have to be `factor` times its value."""

    input: str
    elasticity: float
    factor: float
    today: str | None  # the input's value, as shown
    needed: str | None  # the value that would give the answer


def explaining_inputs(explanation: Explanation, ratio: float, result: Result, limit: int = 2) -> list[Gap]:
    """The inputs that would explain `ratio` (answer / truth) with the smallest change, from the elasticities."""
    gaps = []
    for name, elasticity in explanation.ranked_sensitivity():
        if not math.isfinite(elasticity) or abs(elasticity) < 1e-9:
            continue
        factor = ratio ** (1 / elasticity)
        shown = result.values.get(name)
        today = needed = None
        if shown is not None:
            today = shown.display
            needed = with_unit(format_number(shown.value * factor, result.sig_figs), shown.unit)
        gaps.append(Gap(name, elasticity, factor, today, needed))
    return gaps[:limit]


def gap_text(gap: Gap) -> str:
    way = "larger" if gap.factor > 1 else "smaller"
    times = format_number(max(gap.factor, 1 / gap.factor), 2)
    values = f" ({gap.today} → {gap.needed})" if gap.today and gap.needed else ""
    return f"your answer follows if {gap.input} were {times}× {way}{values}; elasticity {gap.elasticity:+.3g}"


def off_text(answer: float, truth: float, factor: float) -> str:
    if factor == 1.0:
        return "exact"
    if not math.isfinite(factor):
        return "off by more than any factor (zero, or the wrong sign)"
    way = "high" if abs(answer) > abs(truth) else "low"
    return f"{format_number(factor, 3 if factor < 2 else 2)}× too {way}"  # 1.04×, not 1×


class Drill:
    """A practice session on one scenario: ask, read, score, explain; then the budget questions."""

    def __init__(
        self, model: Model, count: int | None = None, clock: Callable[[], float] = time.monotonic, traffic: str | None = None
    ):
        self.model = model
        evaluation = model.evaluate()
        self.result = evaluation.result
        self.questions = questions(model, self.result, count)
        self.clock = clock
        self.started = clock()
        self.finished: float | None = None
        self.feedback: list[Feedback] = []
        self.traffic = traffic if traffic is not None else traffic_input(model)
        if self.traffic is not None:
            model.input(self.traffic, Location("--traffic"))
        self._asked_at = self.started
        self._attempts = 0
        self._explanations: dict[str, Explanation] = {}

    @property
    def current(self) -> Question | None:
        """The question being asked, or None when the drill is over."""
        done = len(self.feedback)
        return self.questions[done] if done < len(self.questions) else None

    def briefing(self) -> list[str]:
        """The problem as an interviewer states it: what to design, and the requirements as clarified."""
        scenario = self.model.scenario
        lines = [scenario.name, "=" * len(scenario.name)]
        if scenario.description:
            lines += ["", *_wrapped(" ".join(scenario.description.split()), 88)]
        lines += ["", "Requirements and assumptions:"]
        for value in scenario.inputs:
            shown = self.result.values[value.name].display
            lines.append(f"  {value.name} = {shown}" + (f"  ({value.note})" if value.note else ""))
        for name, entry in scenario.hardware.items():
            lines.append(f"  {name}: {entry.id}")
        lines += [
            "",
            f"Estimate {counted(len(self.questions), 'value')}, one at a time, with units"
            " (e.g. '20k request/s', '3 PB', 'about 50 gpu').",
        ]
        return lines

    def prompt(self) -> str:
        question = self.current
        assert question is not None, "the drill is over"
        note = f" — {question.note}" if question.note else ""
        position = f"[{len(self.feedback) + 1}/{len(self.questions)}]"
        return f"{position} {question.name}{note}\n  in {question.unit.text or 'a number'}? "

    def answer(self, text: str) -> Feedback:
        """Read and score an answer; a first unreadable or mismatched answer asks for a retry."""
        question = self.current
        assert question is not None, "the drill is over"
        self._attempts += 1
        reading = read_answer(self.model, question, text)
        if reading.base is None:
            assert reading.problem is not None
            if self._attempts == 1:
                return Feedback("retry", question, text, [reading.problem + ": try once more"], attempts=1)
            return self._record(
                Feedback(
                    "scored",
                    question,
                    text,
                    [reading.problem, *self._reveal_lines(question)],
                    factor=math.inf,
                    grade="none",
                    attempts=self._attempts,
                    problem=reading.problem,
                )
            )
        value = reading.base / question.unit.factor
        factor = factor_off(value, question.value)
        grade = grade_of(factor)
        verdict = {"full": "full marks", "partial": "half marks", "none": "no marks"}[grade]
        lines = [
            f"{with_unit(format_number(value, 3), question.unit)}: {off_text(value, question.value, factor)} — {verdict}",
            *self._reveal_lines(question),
        ]
        if factor > FULL_MARKS_WITHIN and math.isfinite(factor):
            lines += [
                gap_text(gap) for gap in explaining_inputs(self.explanation(question.name), value / question.value, self.result)
            ]
        return self._record(Feedback("scored", question, text, lines, value, factor, grade, attempts=self._attempts))

    def reveal(self) -> Feedback:
        """The answer, unscored (`--reveal`)."""
        question = self.current
        assert question is not None, "the drill is over"
        return self._record(Feedback("revealed", question, "", self._reveal_lines(question)))

    def explanation(self, name: str) -> Explanation:
        if name not in self._explanations:
            self._explanations[name] = explain(self.model, name)
        return self._explanations[name]

    def _reveal_lines(self, question: Question) -> list[str]:
        budget = f"  (budget {question.budget})" if question.budget else ""
        lines = self.explanation(question.name).derivation_lines()
        shown = [line for line in lines[:-1] if len(line) <= LONG_STEP] + lines[-1:]
        if len(shown) < len(lines):
            shown.insert(-1, f"{' ' * len(question.name)} = …  (expanded in full: envelope explain FILE {question.name})")
        return [f"true value: {question.display}{budget}", *shown]

    def _record(self, feedback: Feedback) -> Feedback:
        now = self.clock()
        feedback.seconds = now - self._asked_at
        self._asked_at, self._attempts = now, 0
        self.feedback.append(feedback)
        if self.current is None:
            self.finished = now
        return feedback

    # --- the end -------------------------------------------------------------------------------------------------

    @property
    def scored(self) -> list[Feedback]:
        return [f for f in self.feedback if f.kind == "scored"]

    @property
    def score(self) -> float:
        return sum(f.score for f in self.scored)

    @property
    def seconds(self) -> float:
        return (self.finished if self.finished is not None else self.clock()) - self.started

    def misses(self, limit: int = 3) -> list[Feedback]:
        """The answers furthest off (beyond full marks), worst first."""
        off = [f for f in self.scored if f.factor is not None and f.factor > FULL_MARKS_WITHIN]
        return sorted(off, key=lambda f: -(f.factor or 0.0))[:limit]

    def budget_answers(self) -> list[str]:
        """Does the design meet each budget and latency budget? From the result."""
        sf = self.result.sig_figs
        lines = []
        for b in self.result.budgets:
            value = with_unit(format_number(b.value, sf), b.unit)
            verdict = "yes" if b.status != "fail" else "no"
            lines.append(
                f"Does {b.name} meet its budget ({limit_text(b, sf)})? {verdict}: {value},"
                f" {b.utilization:.0%} of the limit ({b.status})"
            )
        for p in self.result.latency:
            verdict = "yes" if p.status != "fail" else "no"
            lines.append(
                f"Does the {p.path} path meet its {format_number(p.budget, sf)} {p.unit.text} budget? {verdict}:"
                f" {format_number(p.total, sf)} {p.unit.text}, {p.utilization:.0%} of it ({p.status})"
            )
        return lines

    def traffic_answer(self) -> str | None:
        """What breaks first if the traffic input triples (calculator's breaking points)."""
        if self.traffic is None:
            return None
        shown = self.result.values[self.traffic]
        tripled = with_unit(format_number(shown.value * TRAFFIC_GROWTH, self.result.sig_figs), shown.unit)
        question = f"What breaks first if {self.traffic} triples ({shown.display} → {tripled})?"
        points = breaking_points(self.model, self.traffic)
        already = [p.budget for p in points if p.broken_now]
        broken_today = f"; already broken today: {', '.join(already)}" if already else ""
        upward = [p for p in points if not p.broken_now and p.factor > 1]
        broken = [p for p in upward if p.factor <= TRAFFIC_GROWTH]
        if broken:
            listed = ", then ".join(f"{p.budget} (at {format_number(p.factor, 2)}× today)" for p in broken)
            return f"{question} {listed}{broken_today}"
        if upward:
            return (
                f"{question} nothing: the first to break is {upward[0].budget},"
                f" at {format_number(upward[0].factor, 2)}× today{broken_today}"
            )
        return f"{question} nothing: no budget breaks as it grows{broken_today}"

    def summary(self) -> list[str]:
        scored = self.scored
        lines = [
            f"score: {format_number(self.score, 2)} of {len(scored)} ({self.score / len(scored):.0%})"
            if scored
            else "score: nothing scored",
            f"time: {self.seconds:.0f} s",
        ]
        misses = self.misses()
        if misses:
            lines += ["biggest misses:"]
            lines += [f"  {f.question.name}: {f.answer.strip() or '—'} for {f.question.display} ({f.off_text()})" for f in misses]
        lines += ["", *self.budget_answers()]
        traffic = self.traffic_answer()
        if traffic:
            lines.append(traffic)
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The session as JSON data (`envelope drill --format json`): to track progress over sessions."""
        return {
            "scenario": self.model.scenario.name,
            "file": self.model.scenario.file,
            "questions": [f.to_dict() for f in self.feedback],
            "unanswered": [q.name for q in self.questions[len(self.feedback) :]],
            "score": self.score,
            "max_score": float(len(self.scored)),
            "seconds": round(self.seconds, 1),
            "budgets": [{"name": b.name, "status": b.status, "utilization": _rounded(b.utilization)} for b in self.result.budgets]
            + [
                {"name": f"latency {p.path}", "status": p.status, "utilization": _rounded(p.utilization)}
                for p in self.result.latency
            ],
            "traffic": self.traffic_answer(),
        }

    def to_markdown(self) -> str:
        lines = [
            f"### Drill: {self.model.scenario.name}",
            "",
            "| question | answer | true value | off by | marks |",
            "|---|---:|---:|---:|---|",
        ]
        for f in self.feedback:
            lines.append(
                f"| {f.question.name} | {markdown_cell(f.answer.strip() or '—')} |"
                f" {markdown_cell(f.question.display)} | {f.off_text()} | {f.grade or '—'} |"
            )
        lines += ["", *[f"- {line.strip()}" for line in self.summary() if line.strip() and line != "biggest misses:"]]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def traffic_input(model: Model) -> str | None:
    """The input that stands for traffic: the first rate of things (view/month, request/s), else the first count."""
    inputs = model.scenario.inputs

    def is_rate(value: CheckedValue) -> bool:
        exponents = dict(value.dimension.exponents)
        return exponents.get("[time]", 0) < 0 and any(p > 0 and n not in PHYSICAL for n, p in exponents.items())

    def is_count(value: CheckedValue) -> bool:
        return len(value.dimension.exponents) == 1 and value.dimension.exponents[0][0] not in PHYSICAL

    chosen = next((v for v in inputs if is_rate(v)), None) or next((v for v in inputs if is_count(v)), None)
    return chosen.name if chosen else None


def _rounded(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.6g}")


def _wrapped(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines
