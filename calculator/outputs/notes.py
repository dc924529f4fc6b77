"""`envelope render`: live estimates inside Markdown notes.

Every fenced block tagged `envelope` is evaluated: either a whole scenario
(YAML) or one-line estimates (`qps = 100M user * 5 request/user/day -> request/s`,
later lines may use earlier names). The results are written right under the
block between two HTML comments, so rendering again replaces them instead of
adding more (idempotent). A bad block gets its error written in place; the
other blocks still render.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path

from calculator.analysis.latex import latex_value, substituted_latex
from calculator.common.errors import EnvelopeError, Location, ShapeError
from calculator.common.records import record
from calculator.common.text import markdown_cell
from calculator.engine.model import Model
from calculator.engine.pipeline import loads, model_from_document
from calculator.engine.results import Result
from calculator.file.document import Document
from calculator.file.load import parse_yaml, with_catalog_files
from calculator.formula.expr import Number, Quantity
from calculator.formula.parse import Distribution, Interval, parse_input, parse_unit, tokenize

BEGIN = "<!-- envelope: results (written by `envelope render`; edits here are replaced) -->"
END = "<!-- envelope: end -->"
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_ASSIGNMENT = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(?P<formula>.*\S)\s*$")


@record(frozen=False)
class Block:
    """One ```envelope block: its text, where it is, and what it rendered to."""

    first_line: int  # 1-based line of the first line inside the fence
    lines: list[str]
    end: int  # index (0-based) of the closing fence line
    output: list[str] = field(default_factory=list)
    status: str = "ok"  # ok, warn, fail, error


@record(frozen=False)
class Rendering:
    text: str
    blocks: list[Block]

    @property
    def exit_code(self) -> int:
        statuses = {b.status for b in self.blocks}
        return 2 if "error" in statuses else 1 if "fail" in statuses else 0


def render(
    text: str,
    file: str = "<notes>",
    derivation: bool = False,
    base_dir: Path | None = None,
    catalogs: Sequence[str] = (),
    in_place: bool = True,
) -> Rendering:
    """The notes with every envelope block's results written (or rewritten) under it.

    Errors name `file`, the notes read, at the line where the mistake is in that file once the
    command is done: in the text written when it replaces the notes (`in_place`), else in the text read.
    The last line keeps its line break (or its lack of one), and CRLF notes stay CRLF.
    """
    lines = text.splitlines()
    out: list[str] = []
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        block = _block_at(lines, i)
        if block is None:
            out.append(lines[i])
            i += 1
            continue
        if in_place:  # earlier results written have shifted the lines
            block.first_line = len(out) + 2
        out += lines[i : block.end + 1]
        _evaluate(block, file, derivation, base_dir, catalogs)
        blocks.append(block)
        i = _skip_old_results(lines, block.end + 1)
        out += ["", BEGIN, *block.output, END]
    newline = "\r\n" if "\r\n" in text else "\n"
    trailing = newline if text.endswith(("\n", "\r")) or not text else ""
    return Rendering(newline.join(out) + trailing, blocks)


def _block_at(lines: list[str], i: int) -> Block | None:
    opening = _FENCE.match(lines[i])
    if not opening or opening.group("info").strip().split(" ")[0] != "envelope":
        return None
    fence = opening.group("fence")
    for j in range(i + 1, len(lines)):
        closing = _FENCE.match(lines[j])
        if closing and closing.group("fence").startswith(fence[0] * len(fence)) and not closing.group("info").strip():
            return Block(i + 2, lines[i + 1 : j], j)
    return Block(i + 2, lines[i + 1 :], len(lines) - 1)  # unclosed: the rest of the file


def _skip_old_results(lines: list[str], i: int) -> int:
    """Past the results a previous render wrote right after this block, if any."""
    j = i
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j < len(lines) and lines[j].startswith("<!-- envelope: results"):
        for k in range(j, len(lines)):
            if lines[k].strip() == END:
                return k + 1
    return i


def _evaluate(block: Block, file: str, derivation: bool, base_dir: Path | None, catalogs: Sequence[str] = ()) -> None:
    try:
        if _is_scenario(block.lines):
            model = loads("\n".join(block.lines) + "\n", file, base_dir, block.first_line, catalogs=catalogs)
            result = model.evaluate().result
            output = _scenario_output(result, model, derivation)
        else:
            estimates = _estimates_document(block, file)
            model = model_from_document(with_catalog_files(estimates.document, list(catalogs)))
            result = model.evaluate().result
            output = _estimate_output(result, model, estimates, derivation)
    except EnvelopeError as error:
        block.status = "error"
        block.output = [f"> **error** `{line}`" if n == 0 else f"> {line}" for n, line in enumerate(error.render().splitlines())]
        return
    block.status = result.status
    block.output = output


def _is_scenario(lines: list[str]) -> bool:
    return any(re.match(r"^(name|inputs|derived|extends)\s*:", line) for line in lines)


@record(frozen=False)
class _Estimates:
    """A one-line block as a scenario document, and how each unnamed line is labelled (as written)."""

    document: Document
    labels: dict[str, str]  # an unnamed line's row: its text
    written: dict[str, str]  # each line as written (`to` kept), in the order written


def _estimates_document(block: Block, file: str) -> _Estimates:
    """One line an estimate: `name = formula`, a bare formula, `A to B` (a range, or `X to UNIT`: X in UNIT),
    or `hardware: {gpu: H100-SXM}`; `# ...` after a space is a comment, as in YAML."""
    inputs: dict[str, str] = {}
    derived: dict[str, str] = {}
    hardware: dict[str, str] = {}
    document = Document({"name": "estimates", "inputs": inputs, "derived": derived}, file)
    labels: dict[str, str] = {}
    written_lines: dict[str, str] = {}
    for offset, line in enumerate(block.lines):
        written = _without_comment(line)
        if not written.strip():
            continue
        number = block.first_line + offset
        if _HARDWARE.match(written):
            _bind_hardware(document, hardware, line, number)
            continue
        match = _ASSIGNMENT.match(written)
        name, formula, column = (
            (match.group("name"), match.group("formula"), match.start("formula") + 1)
            if match
            else (f"line_{number}", written.strip(), len(written) - len(written.lstrip()) + 1)
        )
        if name in inputs or name in derived:
            raise ShapeError(f"'{name}' is estimated twice", Location(file, number, 1), hint="give the second a new name")
        if not match:
            labels[name] = formula
        written_lines[name] = formula if not match else f"{name} = {formula}"
        converted = _as_conversion(formula)
        section = "inputs" if converted == formula and _is_range(formula, Location(file, number, column)) else "derived"
        (inputs if section == "inputs" else derived)[name] = converted
        document.places[(section, name)] = Location(file, number, 1)
        document.text_places[(section, name)] = Location(file, number, column)
    if not inputs and not derived:
        raise ShapeError("an empty envelope block", Location(file, block.first_line, 1), hint=_BLOCK_FORMS)
    return _Estimates(document, labels, written_lines)


_HARDWARE = re.compile(r"^\s*hardware\s*:")
_COMMENT = re.compile(r"(^|\s)#")
_BLOCK_FORMS = "write estimates one a line: 'qps = 100M user * 5 request/user/day -> request/s', or a scenario's YAML"


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts it or follows a space (YAML's rule; `#` is never part of a formula)."""
    found = _COMMENT.search(line)
    return line[: found.start()].rstrip() if found else line


def _bind_hardware(document: Document, bound: dict[str, str], line: str, number: int) -> None:
    """`hardware: {gpu: H100-SXM}` as in a scenario, read as YAML where it is written (its own places)."""
    binding = parse_yaml(line + "\n", document.file, number)
    entries = binding.data.get("hardware")
    if not isinstance(entries, dict) or not entries:
        raise ShapeError(
            "'hardware:' in an envelope block takes names and catalog entries, as {gpu: H100-SXM}",
            binding.where("hardware"),
            hint="'envelope catalog' lists the entries",
        )
    for name in entries:
        if name in bound:
            raise ShapeError(f"hardware '{name}' is bound twice in this block", binding.where("hardware", name), hint="keep one")
    bound.update(entries)
    document.data["hardware"] = bound
    document.places.update(binding.places)
    document.text_places.update(binding.text_places)


def _is_range(formula: str, where: Location) -> bool:
    """`100M to 300M user`, normal(...) or uniform(...): an uncertain input, as under `inputs:`."""
    try:
        spec, _ = parse_input(formula, where)
    except EnvelopeError:
        return False  # not an input's value: read as a formula, whose error says what is wrong
    return isinstance(spec, (Interval, Distribution))


def _as_conversion(formula: str) -> str:
    """`X to request/s` (a unit after the last `to`) as `X -> request/s`; `to` and `->` have the same
    width, so positions in errors stay those of the text written."""
    try:
        tokens = tokenize(formula, Location("<notes>"))
    except EnvelopeError:
        return formula
    joins = [t for t in tokens if t.kind == "name" and t.text == "to"]
    if not joins:
        return formula
    after = formula[joins[-1].offset + 2 :]
    if not after.strip() or after.strip()[0].isdigit():
        return formula  # a number after `to`: a range's upper end, not a unit
    try:
        parse_unit(after.strip(), Location("<notes>"))
    except EnvelopeError:
        return formula
    return f"{formula[: joins[-1].offset]}->{after}"


def _estimate_output(result: Result, model: object, estimates: _Estimates, derivation: bool) -> list[str]:
    rows = ["| estimate | value |", "|---|---:|"]
    for name in estimates.written:
        value = result.values[name]
        label = estimates.labels.get(name, name)
        rows.append(f"| {markdown_cell(label)} | {markdown_cell(value.range_display(result.sig_figs))} |")
    return rows + (_derivations(result, model, estimates.written) if derivation else [])


def _scenario_output(result: Result, model: object, derivation: bool) -> list[str]:
    rows = result.to_markdown().rstrip("\n").splitlines()
    return rows + (_derivations(result, model) if derivation else [])


def _derivations(result: Result, model: object, written: dict[str, str] | None = None) -> list[str]:
    """formula → numbers → result, one line a derived value, the numbers as math (KaTeX and MathJax typeset it)."""

    assert isinstance(model, Model)
    lines = [""]
    for value in model.scenario.derived:
        assert value.formula is not None
        if isinstance(value.formula.expr, (Number, Quantity)):
            continue  # a number given, not derived
        numbers = substituted_latex(value.formula.expr, model, result.values, inline=False)
        shown = latex_value(result.values[value.name], result.sig_figs)
        line = (written or {}).get(value.name, f"{value.name} = {value.formula.text}")
        lines.append(f"- `{line}`: $= {numbers} = {shown}$")
    return lines
