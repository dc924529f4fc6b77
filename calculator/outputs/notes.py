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
from dataclasses import dataclass, field
from pathlib import Path

from calculator.analysis.latex import latex_value, substituted_latex
from calculator.common.errors import EnvelopeError, Location, ShapeError
from calculator.common.text import markdown_cell
from calculator.engine.model import Model
from calculator.engine.pipeline import loads, model_from_document
from calculator.engine.results import Result
from calculator.file.document import Document
from calculator.formula.expr import Number, Quantity

BEGIN = "<!-- envelope: results (written by `envelope render`; edits here are replaced) -->"
END = "<!-- envelope: end -->"
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_ASSIGNMENT = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(?P<formula>.*\S)\s*$")


@dataclass
class Block:
    """One ```envelope block: its text, where it is, and what it rendered to."""

    first_line: int  # 1-based line of the first line inside the fence
    lines: list[str]
    end: int  # index (0-based) of the closing fence line
    output: list[str] = field(default_factory=list)
    status: str = "ok"  # ok, warn, fail, error


@dataclass
class Rendering:
    text: str
    blocks: list[Block]

    @property
    def exit_code(self) -> int:
        statuses = {b.status for b in self.blocks}
        return 2 if "error" in statuses else 1 if "fail" in statuses else 0


def render(
    text: str, file: str = "<notes>", derivation: bool = False, base_dir: Path | None = None, catalogs: Sequence[str] = ()
) -> Rendering:
    """The notes with every envelope block's results written (or rewritten) under it."""
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
        # Positions in errors refer to the written file, where earlier results have shifted the lines.
        block.first_line = len(out) + 2
        out += lines[i : block.end + 1]
        _evaluate(block, file, derivation, base_dir, catalogs)
        blocks.append(block)
        i = _skip_old_results(lines, block.end + 1)
        out += ["", BEGIN, *block.output, END]
    trailing = "\n" if text.endswith("\n") or not text else ""
    return Rendering("\n".join(out) + trailing, blocks)


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
        else:
            model = model_from_document(_estimates_document(block, file))
        result = model.evaluate().result
    except EnvelopeError as error:
        block.status = "error"
        block.output = [f"> **error** `{line}`" if n == 0 else f"> {line}" for n, line in enumerate(error.render().splitlines())]
        return
    block.status = result.status
    block.output = (
        _scenario_output(result, model, derivation) if _is_scenario(block.lines) else _estimate_output(result, model, derivation)
    )


def _is_scenario(lines: list[str]) -> bool:
    return any(re.match(r"^(name|inputs|derived|extends)\s*:", line) for line in lines)


def _estimates_document(block: Block, file: str) -> Document:
    derived: dict[str, str] = {}
    document = Document({"name": "estimates", "derived": derived}, file)
    for offset, line in enumerate(block.lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        number = block.first_line + offset
        match = _ASSIGNMENT.match(line)
        name, formula, column = (
            (match.group("name"), match.group("formula"), match.start("formula") + 1)
            if match
            else (f"line_{number}", line.strip(), len(line) - len(line.lstrip()) + 1)
        )
        if name in derived:
            raise_at = Location(file, number, 1)
            derived.clear()
            document.data["derived"] = {}
            raise ShapeError(f"'{name}' is estimated twice", raise_at)
        derived[name] = formula
        document.places[("derived", name)] = Location(file, number, 1)
        document.text_places[("derived", name)] = Location(file, number, column)
    if not derived:
        raise ShapeError("an empty envelope block", Location(file, block.first_line, 1))
    return document


def _estimate_output(result: Result, model: object, derivation: bool) -> list[str]:
    rows = ["| estimate | value |", "|---|---:|"]
    for value in result.values.values():
        label = value.formula if value.name.startswith("line_") and value.formula else value.name
        rows.append(f"| {markdown_cell(label)} | {markdown_cell(value.range_display(result.sig_figs))} |")
    return rows + (_derivations(result, model) if derivation else [])


def _scenario_output(result: Result, model: object, derivation: bool) -> list[str]:
    rows = result.to_markdown().rstrip("\n").splitlines()
    return rows + (_derivations(result, model) if derivation else [])


def _derivations(result: Result, model: object) -> list[str]:
    """formula → numbers → result, one line a derived value, the numbers as math (KaTeX and MathJax typeset it)."""

    assert isinstance(model, Model)
    lines = [""]
    for value in model.scenario.derived:
        assert value.formula is not None
        if isinstance(value.formula.expr, (Number, Quantity)):
            continue  # a number given, not derived
        numbers = substituted_latex(value.formula.expr, model, result.values, inline=False)
        shown = latex_value(result.values[value.name], result.sig_figs)
        written = value.formula.text if value.name.startswith("line_") else f"{value.name} = {value.formula.text}"
        lines.append(f"- `{written}`: $= {numbers} = {shown}$")
    return lines
