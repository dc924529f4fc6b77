"""What the editor asks of a snapshot: hover, inlay hints, completion, definitions, code actions.

Every answer is built from the engine's result and views (the same values `envelope eval`
prints) and from the places errors and views carry; nothing here evaluates anything.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from calculator.catalog.entries import catalog
from calculator.catalog.figures import Figure
from calculator.common.errors import EnvelopeError, Location, ShapeError, UnknownUnitError
from calculator.common.numbers import format_number
from calculator.engine.results import STATUS_GLYPH, BudgetResult, Result, ValueResult, limit_text, with_unit
from calculator.file.load import SECTIONS
from calculator.file.shapes import BudgetEntry, DerivedEntry, InputEntry, LatencyPathEntry, ScenarioFile, Settings
from calculator.lsp.positions import from_utf16, span, utf16_length, word_at
from calculator.lsp.snapshot import Snapshot, file_of
from calculator.units.system import DEFINITIONS, known_unit, unit_table

ARROW = "⟶"
FUNCTIONS = ("ceil", "floor", "round", "min", "max", "sqrt", "log", "log2", "log10", "exp", "abs")
TOP_KEYS = (*(f.name for f in dataclasses.fields(ScenarioFile)), "extends")
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "inputs": tuple(f.name for f in dataclasses.fields(InputEntry)),
    "derived": tuple(f.name for f in dataclasses.fields(DerivedEntry)),
    "budgets": tuple(f.name for f in dataclasses.fields(BudgetEntry)),
    "latency": tuple(f.name for f in dataclasses.fields(LatencyPathEntry)),
    "settings": tuple(f.name for f in dataclasses.fields(Settings)),
}
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")  # the hint `did_you_mean` writes
LinesOf = Callable[[Path], list[str]]
_KEY = re.compile(r"^(\s*)(?:- )?([\w.-]+)\s*:")


# --- hover -------------------------------------------------------------------------------------


def hover(snapshot: Snapshot, lines: list[str], at: types.Position) -> types.Hover | None:
    """A value (with unit, p5–p95, formula, budget, note, where), a catalog figure, a binding or a unit."""
    line = lines[at.line] if at.line < len(lines) else ""
    word, start, end = word_at(line, from_utf16(line, at.character))
    if not word or word[0].isdigit() or snapshot.model is None or snapshot.result is None:
        return None
    text = describe(snapshot, word, section_of(lines, at.line))
    if text is None:
        return None
    where = types.Range(types.Position(at.line, utf16_length(line[:start])), types.Position(at.line, utf16_length(line[:end])))
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)


def describe(snapshot: Snapshot, word: str, section: str | None) -> str | None:
    """The hover text of a name in a scenario."""
    assert snapshot.model is not None and snapshot.result is not None
    scenario = snapshot.model.scenario
    if word in snapshot.result.values:
        return value_text(snapshot.result, snapshot.result.values[word], snapshot)
    head, _, rest = word.partition(".")
    if rest and head == "ref" and rest in scenario.hardware.catalog.reference:
        return figure_text(word, scenario.hardware.catalog.reference[rest])
    if rest and head in scenario.hardware:
        entry = scenario.hardware[head]
        if rest in entry.figures:
            return figure_text(f"{head}.{rest} ({entry.id})", entry.figures[rest])
        if rest in entry.labels:
            return f"**{head}.{rest}** ({entry.id}): {entry.labels[rest].text}"
    if word in scenario.hardware and section == "hardware":
        entry = scenario.hardware[word]
        return f"**{word}**: {entry.kind} **{entry.id}**\n\n{entry.description}"
    return unit_text(snapshot, word)


def value_text(result: Result, value: ValueResult, snapshot: Snapshot) -> str:
    """`**peak_qps** = 17.4k request/s`, then its spread, formula, budgets, note and where it is written."""
    parts = [f"**{value.name}** = {value.display}"]
    if value.p05 is not None and value.p95 is not None and not math.isclose(value.p05, value.p95, rel_tol=1e-9):
        low, high = format_number(value.p05, 2), format_number(value.p95, 2)
        parts.append(f"p5–p95: {with_unit(f'{low} – {high}', value.unit)}")
    elif snapshot.uncertain:
        parts.append("(p5–p95 once the editor is idle: Monte Carlo)")
    if value.formula:
        parts.append(f"`{value.formula}`")
    parts += [budget_line(b, result.sig_figs) for b in result.budgets if b.name == value.name]
    if value.note:
        parts.append(value.note)
    assert snapshot.model is not None
    place = snapshot.model.scenario.values[value.name].location
    parts.append(f"{value.kind}, written at {Path(place.file).name}:{place.line}")
    return "\n\n".join(parts)


def budget_line(budget: BudgetResult, sig_figs: int) -> str:
    """`budget <= 64 gpu: ✓ ok, 80% used`."""
    risk = "" if budget.p_violation is None else f", P(break) {budget.p_violation:.1%}"
    return (
        f"budget {limit_text(budget, sig_figs)}: {STATUS_GLYPH[budget.status]} {budget.status},"
        f" {budget.utilization:.0%} used{risk}"
    )


def figure_text(name: str, figure: Figure) -> str:
    stale = " (stale: check the current figure)" if figure.stale() else ""
    parts = [f"**{name}** = {figure.text}", f"source: {figure.source}", f"as of {figure.as_of.isoformat()}{stale}"]
    if figure.note:
        parts.append(figure.note)
    return "\n\n".join(parts)


def unit_text(snapshot: Snapshot, name: str) -> str | None:
    """What a unit name means: one of the scenario's own, or pint's and envelope's."""
    assert snapshot.model is not None
    units = snapshot.model.scenario.units
    own = units.own.get(name) or (units.own.get(name[:-1]) if name.endswith("s") else None)
    if own is not None:
        kind = "a counting unit of its own" if own.factor == 1.0 and own.canonical == name else "an alias"
        return f"**{name}**: a unit this scenario declares ({kind}, in {units.dimension_text(own.dimension)})"
    if known_unit(name) is None:
        return None
    return f"**{name}**: {units.describe(name)}"


# --- inlay hints -------------------------------------------------------------------------------


def inlay_hints(snapshot: Snapshot, lines: list[str], within: types.Range) -> list[types.InlayHint]:
    """Each derived value's result at the end of its formula's line; each budget's and path's use."""
    if snapshot.model is None or snapshot.result is None:
        return []
    scenario, result = snapshot.model.scenario, snapshot.result
    hints: list[tuple[Location, str]] = [
        (v.text_location, f"{ARROW} {result.values[v.name].display}") for v in scenario.derived if v.name in result.values
    ]
    on_line: dict[tuple[str, int], list[BudgetResult]] = {}
    for budget in result.budgets:
        if budget.location is not None:
            on_line.setdefault((budget.location.file, budget.location.line), []).append(budget)
    for budgets in on_line.values():
        assert budgets[0].location is not None
        hints.append((budgets[0].location, budget_hint(budgets, result.sig_figs)))
    for path in result.latency:
        if path.location is not None:
            hints.append(
                (
                    path.location,
                    f"{ARROW} {format_number(path.total, result.sig_figs)} {path.unit.text},"
                    f" {path.utilization:.0%} used {STATUS_GLYPH[path.status]} {path.status}",
                )
            )
    found = []
    for place, label in hints:
        if file_of(place, snapshot.path) != snapshot.path or not within.start.line <= place.line - 1 <= within.end.line:
            continue
        row = place.line - 1
        end = types.Position(row, utf16_length(lines[row]) if row < len(lines) else 0)
        found.append(types.InlayHint(position=end, label=label, padding_left=True))
    return found


def budget_hint(budgets: list[BudgetResult], sig_figs: int) -> str:
    """`⟶ 5 gpu, 8% used ✓ ok`; the budgets of one line (`{max: ..., min: ...}`) each with its limit."""
    value = f"{ARROW} {with_unit(format_number(budgets[0].value, sig_figs), budgets[0].unit)}"
    uses = [f"{b.utilization:.0%} used {STATUS_GLYPH[b.status]} {b.status}" for b in budgets]
    if len(budgets) == 1:
        return f"{value}, {uses[0]}"
    return f"{value}: " + ", ".join(f"{limit_text(b, sig_figs)} {use}" for b, use in zip(budgets, uses, strict=True))


# --- completion --------------------------------------------------------------------------------


def section_of(lines: list[str], row: int) -> str | None:
    """The top-level key the line `row` is under (None on a top-level line)."""
    for text in reversed(lines[: row + 1]):
        match = _KEY.match(text)
        if match and not match.group(1):
            return match.group(2)
    return None


def completion(snapshot: Snapshot, lines: list[str], at: types.Position) -> list[types.CompletionItem]:
    """Keys where a key goes; catalog ids for a binding; names, fields and units in a formula or value."""
    line = lines[at.line] if at.line < len(lines) else ""
    before = line[: from_utf16(line, at.character)]
    indent = len(before) - len(before.lstrip())
    section = section_of(lines, at.line - 1) if indent else None
    if ":" not in before:  # a key
        if not indent:
            return [_item(k, types.CompletionItemKind.Module, "section" if k in SECTIONS else "key") for k in TOP_KEYS]
        keys = SECTION_KEYS.get(section or "", ())
        return [_item(k, types.CompletionItemKind.Property, f"key of {section}") for k in keys] if indent > 2 else []
    if section == "hardware":
        return [_item(e.id, types.CompletionItemKind.Value, e.kind, e.description) for e in catalog().entries.values()]
    word = re.search(r"[\w.]*$", before)
    typed = word.group(0) if word else ""
    if "." in typed and snapshot.model is not None:
        return _fields(snapshot, typed.split(".")[0])
    items = _units(snapshot)
    if section in ("derived", "budgets", "latency") and snapshot.model is not None:
        items = [*_names(snapshot), *(_item(f, types.CompletionItemKind.Function, "function") for f in FUNCTIONS), *items]
    return list({item.label: item for item in reversed(items)}.values())[::-1]  # a name before a unit of that name


def _names(snapshot: Snapshot) -> list[types.CompletionItem]:
    assert snapshot.model is not None and snapshot.result is not None
    scenario, values = snapshot.model.scenario, snapshot.result.values
    items = [
        _item(v.name, types.CompletionItemKind.Variable, f"{v.kind}: {values[v.name].display}", v.note)
        for v in scenario.values.values()
        if v.name in values
    ]
    items += [
        _item(name, types.CompletionItemKind.Module, f"{entry.kind}: {entry.id}") for name, entry in scenario.hardware.items()
    ]
    return [*items, _item("ref", types.CompletionItemKind.Module, "reference numbers (ref.NAME)")]


def _fields(snapshot: Snapshot, binding: str) -> list[types.CompletionItem]:
    assert snapshot.model is not None
    hardware = snapshot.model.scenario.hardware
    figures = hardware.catalog.reference if binding == "ref" else hardware[binding].figures if binding in hardware else {}
    return [
        _item(name, types.CompletionItemKind.Field, figure.text, f"{figure.source}, as of {figure.as_of}")
        for name, figure in figures.items()
    ]


def _units(snapshot: Snapshot) -> list[types.CompletionItem]:
    """The scenario's own units, envelope's, and every unit name seen before (the unit table)."""
    names: dict[str, str] = {}
    if snapshot.model is not None:
        units = snapshot.model.scenario.units
        names.update({name: "a unit this scenario declares" for name in units.own})
    else:
        units = None
    defined = [
        line.split("=")[0].strip()
        for line in DEFINITIONS.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith(("#", "@"))
    ]
    seen = [name for name, entry in unit_table().names.items() if entry is not None]
    for name in [*defined, *seen]:
        if name not in names and re.fullmatch(r"[A-Za-z_%]\w*", name) and known_unit(name) is not None:
            names[name] = units.describe(name) if units is not None else ""
    return [_item(name, types.CompletionItemKind.Unit, meaning) for name, meaning in names.items()]


def _item(label: str, kind: types.CompletionItemKind, detail: str, documentation: str | None = None) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail, documentation=documentation)


# --- go to definition --------------------------------------------------------------------------


def definition(snapshot: Snapshot, lines: list[str], at: types.Position, lines_of: LinesOf) -> types.Location | None:
    """Where a value is written (in a base file too), or the catalog figure a `binding.field` reads."""
    if snapshot.model is None:
        return None
    line = lines[at.line] if at.line < len(lines) else ""
    word, _, _ = word_at(line, from_utf16(line, at.character))
    scenario = snapshot.model.scenario
    place: Location | None = None
    head, _, rest = word.partition(".")
    if word in scenario.values:
        place = scenario.values[word].location
    elif rest and head == "ref" and rest in scenario.hardware.catalog.reference:
        place = scenario.hardware.catalog.reference[rest].location
    elif rest and head in scenario.hardware and rest in scenario.hardware[head].figures:
        place = scenario.hardware[head].figures[rest].location
    if place is None or place.line <= 0:
        return None
    where = file_of(place, snapshot.path)
    target_lines = lines if where == snapshot.path else lines_of(where)
    return types.Location(uri=where.resolve().as_uri(), range=span(target_lines, place))


# --- code actions ------------------------------------------------------------------------------


def code_actions(snapshot: Snapshot, lines: list[str], uri: str, within: types.Range) -> list[types.CodeAction]:
    """Fixes for the errors on the lines asked about: declare a unit, take a did-you-mean, quote a split value."""
    actions = []
    for error in snapshot.errors:
        if error.location is None or file_of(error.location, snapshot.path) != snapshot.path:
            continue
        where = span(lines, error.location)
        if where.end.line < within.start.line or where.start.line > within.end.line:
            continue
        actions += _fixes(error, where, lines, uri)
    return actions


def _fixes(error: EnvelopeError, where: types.Range, lines: list[str], uri: str) -> list[types.CodeAction]:
    fixes = []
    written = _text_of(lines, where)
    hint = _DID_YOU_MEAN.search(error.hint or "")
    if hint and where.start.line == where.end.line and written:
        change = types.TextEdit(range=where, new_text=hint.group(1))
        fixes.append(_action(f"Change '{written}' to '{hint.group(1)}'", uri, [change], True))
    if isinstance(error, UnknownUnitError) and re.fullmatch(r"[A-Za-z_]\w*", written):
        fixes.append(_action(f"Declare '{written}' under units:", uri, [declare_unit(lines, written)], not hint))
    elif isinstance(error, ShapeError):
        quoted = quote_split_value(lines, where)
        if quoted is not None:
            fixes.append(_action("Quote the value (a comma split it)", uri, [quoted], True))
    return fixes


def _text_of(lines: list[str], where: types.Range) -> str:
    line = lines[where.start.line] if where.start.line < len(lines) else ""
    return line[from_utf16(line, where.start.character) : from_utf16(line, where.end.character)]


def _action(title: str, uri: str, edits: list[types.TextEdit], preferred: bool) -> types.CodeAction:
    return types.CodeAction(
        title=title, kind=types.CodeActionKind.QuickFix, is_preferred=preferred, edit=types.WorkspaceEdit(changes={uri: edits})
    )


def declare_unit(lines: list[str], name: str) -> types.TextEdit:
    """An edit adding `name` to the file's `units:` (a flow list, a block, or a new `units: [name]` line)."""
    for row, text in enumerate(lines):
        if not text.startswith("units:"):
            continue
        rest = text[len("units:") :].split("#")[0].rstrip()
        if rest.strip().startswith("[") and rest.endswith("]"):
            close = text.rindex("]", 0, len("units:") + len(rest))
            separator = ", " if rest.strip() != "[]" else ""
            at = types.Position(row, utf16_length(text[:close]))
            return types.TextEdit(range=types.Range(at, at), new_text=f"{separator}{name}")
        if not rest.strip():  # a block: add an entry after the header, in the entries' style
            following = lines[row + 1] if row + 1 < len(lines) else ""
            entry = f"  - {name}\n" if following.lstrip().startswith("- ") else f"  {name}:\n"
            at = types.Position(row + 1, 0)
            return types.TextEdit(range=types.Range(at, at), new_text=entry)
    row = next((r for r, text in enumerate(lines) if text.startswith(("inputs:", "derived:"))), len(lines))
    at = types.Position(row, 0)
    return types.TextEdit(range=types.Range(at, at), new_text=f"units: [{name}]\n")


def quote_split_value(lines: list[str], where: types.Range) -> types.TextEdit | None:
    """In a flow mapping (`{m: max(a, b)}`), the value a comma split before the piece at `where`, quoted."""
    row = where.start.line
    text = lines[row] if row < len(lines) else ""
    piece = from_utf16(text, where.start.character)
    comma = text.rfind(",", 0, piece)
    colon = text.rfind(": ", 0, comma) if comma > 0 else -1
    if "{" not in text[:colon] or colon < 0:
        return None
    start = colon + 2
    depth, end = 0, len(text)
    for column in range(start, len(text)):  # to the comma or brace that ends the value, brackets balanced
        depth += {"(": 1, ")": -1}.get(text[column], 0)
        if depth <= 0 and column >= piece and text[column] in ",}":
            end = column
            break
    value = text[start:end].rstrip()
    if '"' in value or "'" in value:
        return None
    return types.TextEdit(
        types.Range(
            types.Position(row, utf16_length(text[:start])), types.Position(row, utf16_length(text[: start + len(value)]))
        ),
        f'"{value}"',
    )
