"""`envelope lsp` end to end: a real LSP client (pytest-lsp) talks to `python -m calculator.cli lsp` over stdio."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
import yaml
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

import calculator
from tests.helpers import ROOT

pytestmark = pytest.mark.asyncio
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "calculator.cli", "lsp"])
refreshes: dict[int, asyncio.Event] = {}  # per client: the server asked for the inlay hints again
WAIT = 30.0  # seconds: the server's first evaluation imports the engine on a slow, shared machine


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    # Neovim 0.11's capabilities, the editor the README's setup was tried in: UTF-8 offered before UTF-16,
    # inlay hints that the server may ask to refresh
    params = types.InitializeParams(capabilities=pytest_lsp.client_capabilities("neovim"))
    refreshes[id(lsp_client)] = asyncio.Event()
    lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)(lambda ls, _: refreshes[id(ls)].set())  # as an editor answers
    result = await lsp_client.initialize_session(params)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16  # the ranges below count in it
    yield
    await lsp_client.shutdown_session()


def utf16(text: str) -> int:
    """UTF-16 code units of `text`, counted by encoding it (not as the server counts them)."""
    return len(text.encode("utf-16-le")) // 2


def open_file(client: LanguageClient, path: Path, text: str, write: bool = True) -> str:
    if write:
        path.write_text(text, encoding="utf-8")
    uri = path.resolve().as_uri()
    document = types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(document))
    return uri


Wanted = Callable[[Sequence[types.Diagnostic]], bool]


async def diagnostics_of(client: LanguageClient, uri: str, wanted: Wanted = lambda found: True) -> list[types.Diagnostic]:
    """The diagnostics published for `uri` once they satisfy `wanted` (waiting for new ones until then)."""

    async def arrive() -> list[types.Diagnostic]:
        while uri not in client.diagnostics or not wanted(client.diagnostics[uri]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(arrive(), WAIT)


def eval_json(path: Path) -> dict:
    run = subprocess.run(
        [sys.executable, "-m", "calculator.cli", "eval", str(path), "--format", "json"], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def at(text: str, needle: str, line_of: str | None = None, offset: int = 0) -> types.Position:
    """The LSP position of `needle` (on the line holding `line_of`, when given), `offset` characters in."""
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if (line_of or needle) in line)
    return types.Position(row, utf16(lines[row][: lines[row].index(needle) + offset]))


def applied(text: str, edits: Sequence[types.TextEdit]) -> str:
    """`text` with LSP edits applied (UTF-16 positions), last first."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        line = lines[position.line] if position.line < len(lines) else ""
        units, column = 0, 0
        while column < len(line) and units < position.character:
            units += utf16(line[column])
            column += 1
        return sum(len(x) for x in lines[: position.line]) + column

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
        lines = text.splitlines(keepends=True)
    return text


NON_ASCII = textwrap.dedent("""\
    name: t
    inputs:
      dau: {note: "日本の🙂 users", value: 100M usr}
    """)


async def test_an_error_after_non_ascii_text_has_its_utf16_range_and_hint(client: LanguageClient, tmp_path: Path):
    uri = open_file(client, tmp_path / "s.yaml", NON_ASCII)
    [found] = await diagnostics_of(client, uri, bool)
    line = NON_ASCII.splitlines()[2]
    start = utf16(line[: line.index("usr")])
    assert found.range == types.Range(types.Position(2, start), types.Position(2, start + 3))
    assert start == line.index("usr") + 1  # the emoji is two UTF-16 units: a code-point column would be one short
    assert found.severity == types.DiagnosticSeverity.Error
    assert found.message == (
        "unknown unit or name 'usr'\nhint: did you mean 'user'? Or declare it as a new counted thing: units: [usr]"
    )
    assert found.code == "unknown-unit"


async def test_an_edit_updates_the_diagnostics_and_the_hint_travels_with_its_error(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  dau: 100M user\nderived:\n  q: dau * 2\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    assert await diagnostics_of(client, uri) == []
    broken = text.replace("dau * 2", "dauu * 2")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(text=broken)]
        )
    )
    [found] = await diagnostics_of(client, uri, bool)
    assert found.range == types.Range(types.Position(4, 5), types.Position(4, 9))
    assert found.message == "unknown name 'dauu': not a value of this scenario, nor a unit\nhint: did you mean 'dau'?"


async def test_an_error_in_an_extends_base_is_published_to_the_base(client: LanguageClient, tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text("name: base\ninputs:\n  dau: 100M user\n  size: 2 KB/usr\n", encoding="utf-8")
    uri = open_file(client, tmp_path / "child.yaml", "name: child\nextends: base.yaml\ninputs:\n  dau: 200M user\n")
    [found] = await diagnostics_of(client, base.resolve().as_uri(), bool)
    assert found.range == types.Range(types.Position(3, 13), types.Position(3, 16))
    assert found.message == (
        "unknown unit or name 'usr'\nhint: did you mean 'user'? Or declare it as a new counted thing: units: [usr]"
    )
    assert await diagnostics_of(client, uri) == []


async def test_a_failing_budget_is_a_warning_on_its_line_with_value_and_limit(client: LanguageClient, tmp_path: Path):
    text = textwrap.dedent("""\
        name: t
        inputs:
          nodes: 10 node
          gpus_per_node: 8 gpu/node
        derived:
          gpus: nodes * gpus_per_node
        budgets:
          gpus: <= 64 gpu
        """)
    uri = open_file(client, tmp_path / "s.yaml", text)
    [found] = await diagnostics_of(client, uri, bool)
    # 10 node * 8 gpu/node = 80 gpu, 80/64 = 125% of the limit
    assert found.severity == types.DiagnosticSeverity.Warning
    assert found.range.start.line == 7
    assert found.message == "budget on gpus fails: 80 gpu, limit <= 64 gpu (125% used)"


async def test_hover_shows_what_envelope_eval_reports(client: LanguageClient):
    path = ROOT / "scenarios" / "ad_click_prediction.yaml"
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path, text, write=False)
    report = eval_json(path)  # one run of `envelope eval` for every comparison below
    reported = report["values"]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), at(text, "peak_qps:", offset=2))
    )
    assert hover is not None
    lines = hover.contents.value.split("\n\n")
    assert lines[0] == f"**peak_qps** = {reported['peak_qps']['display']}"
    assert f"`{reported['peak_qps']['formula']}`" in lines
    # an uncertain value (the click-through rate is a range): its p5–p95 as eval's json has them
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), at(text, "clicks_per_day:", offset=1))
    )
    clicks = reported["clicks_per_day"]
    low, high = calculator.format_number(clicks["p05"], 2), calculator.format_number(clicks["p95"], 2)
    assert hover.contents.value.split("\n\n")[:2] == [
        f"**clicks_per_day** = {clicks['display']}",
        f"p5–p95: {low} – {high} click/day",
    ]
    # a budgeted value says its status and use: serving_gpus against its 64 gpu
    budget = next(b for b in report["budgets"] if b["name"] == "serving_gpus")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), at(text, "serving_gpus:", offset=1))
    )
    assert "budget <= 64 gpu: " in hover.contents.value
    assert f"{budget['status']}, {budget['utilization']:.0%} used" in hover.contents.value


async def test_hover_on_a_catalog_field_and_on_a_unit(client: LanguageClient, tmp_path: Path):
    text = "name: t\nhardware:\n  gpu: H100-SXM\ninputs:\n  gpus: 8 gpu\n  t: 5 ms\nderived:\n  hbm: gpus * gpu.memory\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    await diagnostics_of(client, uri)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), at(text, "gpu.memory", offset=5))
    )
    shipped = yaml.safe_load((ROOT / "calculator" / "catalog" / "gpus.yaml").read_text(encoding="utf-8"))
    entry = shipped["entries"]["H100-SXM"]
    figure = entry["fields"]["memory"]
    figure = figure if isinstance(figure, dict) else {"value": figure}
    source = figure.get("source") or entry.get("source") or shipped.get("source")
    as_of = figure.get("as_of") or entry.get("as_of")
    assert hover.contents.value.split("\n\n")[:3] == [
        f"**gpu.memory (H100-SXM)** = {figure['value']}",
        f"source: {source}",
        f"as of {as_of}",
    ]
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), at(text, "ms", line_of="t: 5 ms", offset=1))
    )
    assert hover.contents.value == "**ms**: a unit of time, = millisecond"


SMALL = textwrap.dedent("""\
    name: t
    hardware:
      gpu: H100-SXM
    inputs:
      users: 2k user
      rate: 3 request/user/s
    derived:
      qps: users * rate
    budgets:
      qps: <= 10k request/s
    """)


async def test_inlay_hints_put_each_result_at_the_end_of_its_line(client: LanguageClient, tmp_path: Path):
    uri = open_file(client, tmp_path / "s.yaml", SMALL)
    whole = types.Range(types.Position(0, 0), types.Position(len(SMALL.splitlines()), 0))
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(types.TextDocumentIdentifier(uri), whole))
    lines = SMALL.splitlines()
    # 2k user * 3 request/user/s = 6k request/s; 6k of 10k is 60% of the budget
    assert [(h.position.line, h.position.character, h.label) for h in hints] == [
        (7, utf16(lines[7]), "⟶ 6k request/s"),
        (9, utf16(lines[9]), "⟶ 6k request/s, 60% used ✓ ok"),
    ]


async def test_completion_offers_keys_names_units_fields_and_catalog_ids(client: LanguageClient, tmp_path: Path):
    text = SMALL + "  cost: qps * \n"
    uri = open_file(client, tmp_path / "s.yaml", SMALL)
    await diagnostics_of(client, uri)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(text=text)]
        )
    )

    async def labels(line: int, character: int) -> dict[str, str | None]:
        found = await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        )
        return {item.label: item.detail for item in found.items}

    in_formula = await labels(10, len("  cost: qps * "))
    assert in_formula["users"] == "input: 2k user" and in_formula["qps"] == "derived: 6k request/s"
    assert in_formula["gpu"] == "gpu: H100-SXM" and "ceil" in in_formula
    assert in_formula["request"] == "a unit of request"
    lines = text.splitlines()
    lines[10] = "  cost: gpu."
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            [types.TextDocumentContentChangeWholeDocument(text="\n".join(lines) + "\n")],
        )
    )
    fields = await labels(10, len("  cost: gpu."))
    assert fields["memory"] == "80 GB/gpu"
    ids = await labels(2, len("  gpu: "))
    shipped = yaml.safe_load((ROOT / "calculator" / "catalog" / "gpus.yaml").read_text(encoding="utf-8"))["entries"]
    assert set(shipped) <= set(ids) and ids["H100-SXM"] == "gpu"
    top = await labels(11, 0)
    assert {"inputs", "derived", "budgets", "latency", "units", "hardware", "extends"} <= set(top)


async def code_action_titled(client: LanguageClient, uri: str, title: str, row: int) -> types.CodeAction:
    everything = types.Range(types.Position(row, 0), types.Position(row, 200))
    found = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), everything, types.CodeActionContext(diagnostics=[]))
    )
    [action] = [a for a in found if a.title == title]
    return action


async def test_code_action_declares_an_unknown_unit(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  frames: 30 widget/s\n  clips: 2k clip\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    await diagnostics_of(client, uri, bool)
    action = await code_action_titled(client, uri, "Declare 'widget' under units:", 2)
    fixed = applied(text, action.edit.changes[uri])
    assert fixed == "name: t\nunits: [widget]\ninputs:\n  frames: 30 widget/s\n  clips: 2k clip\n"
    # a file that has a units list gets the name added to it
    listed = "name: t\nunits: [widget]\ninputs:\n  frames: 30 widget/s\n  clips: 2k clip\n"
    uri = open_file(client, tmp_path / "listed.yaml", listed)
    await diagnostics_of(client, uri, bool)
    action = await code_action_titled(client, uri, "Declare 'clip' under units:", 4)
    fixed = applied(listed, action.edit.changes[uri])
    assert fixed.splitlines()[1] == "units: [widget, clip]"
    # 2k clip is 2000 clip: the fixed file loads and says so
    assert calculator.loads(fixed, "fixed.yaml").evaluate().result.values["clips"].value == 2000


async def test_code_action_takes_the_did_you_mean(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  dau: 100M user\n  per_user: 5 request/user/day\nderived:\n  q: dau * per_usr -> request/day\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    await diagnostics_of(client, uri, bool)
    action = await code_action_titled(client, uri, "Change 'per_usr' to 'per_user'", 5)
    fixed = applied(text, action.edit.changes[uri])
    assert fixed.splitlines()[5] == "  q: dau * per_user -> request/day"
    assert calculator.loads(fixed, "fixed.yaml").evaluate().result.values["q"].value == 100e6 * 5


async def test_code_action_quotes_a_value_a_comma_split(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  a: 2 gpu\n  b: 3 gpu\nderived: {m: max(a, b)}\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    await diagnostics_of(client, uri, bool)
    action = await code_action_titled(client, uri, "Quote the value (a comma split it)", 4)
    fixed = applied(text, action.edit.changes[uri])
    assert fixed.splitlines()[4] == 'derived: {m: "max(a, b)"}'
    assert calculator.loads(fixed, "fixed.yaml").evaluate().result.values["m"].value == 3


async def test_go_to_definition_reaches_into_the_extends_base(client: LanguageClient, tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text("name: base\ninputs:\n  dau: 100M user\n", encoding="utf-8")
    text = "name: child\nextends: base.yaml\nderived:\n  users: dau * 2\n"
    uri = open_file(client, tmp_path / "child.yaml", text)
    found = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), at(text, "dau", line_of="users:", offset=1))
    )
    assert found.uri == base.resolve().as_uri()
    assert found.range.start == types.Position(2, 2)


def whole(text: str) -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(len(text.splitlines()), 0))


async def test_inlay_hints_of_a_shipped_scenario_are_what_envelope_eval_reports(client: LanguageClient):
    path = ROOT / "scenarios" / "ad_click_prediction.yaml"  # uncertain inputs: eval's figures come from its Monte Carlo
    text = path.read_text(encoding="utf-8")
    uri = open_file(client, path, text, write=False)
    reported = eval_json(path)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(types.TextDocumentIdentifier(uri), whole(text)))
    lines = text.splitlines()
    by_line = {hint.position.line: hint.label for hint in hints}
    derived = [name for name, value in reported["values"].items() if value.get("formula")]
    for name in derived:  # each derived value's hint on the line its formula is written on
        row = formula_row(lines, name)
        assert by_line[row] == f"⟶ {reported['values'][name]['display']}", name
    budgets = reported["budgets"]
    labels = [label for label in by_line.values() if "used" in label]
    glyph = {"ok": "✓", "warn": "▲", "fail": "✗"}
    for budget in budgets:
        value = calculator.format_number(budget["value"], 3)
        status = f"{budget['utilization']:.0%} used {glyph[budget['status']]} {budget['status']}"
        assert any(label.startswith(f"⟶ {value} ") and label.endswith(status) for label in labels), budget["name"]


def formula_row(lines: list[str], name: str) -> int:
    """The line a derived value's formula is written on: `name: formula`, or the `formula:` line under `name:`."""
    row = next(i for i, line in enumerate(lines) if line.startswith(f"  {name}:"))
    if lines[row].split(":", 1)[1].strip():
        return row
    return next(i for i in range(row + 1, len(lines)) if lines[i].strip().startswith("formula:"))


async def test_a_budget_that_warns_only_once_simulated_is_published_and_its_hint_refreshed(
    client: LanguageClient, tmp_path: Path
):
    # a 90% interval of 20 to 200 request/s is lognormal with median sqrt(20 * 200) = 63.2 request/s: 63% of the
    # limit at the point value (ok), but P(load > 100) = P(z > ln(100/63.2) / (ln(10) / 3.29)) = P(z > 0.66) ≈ 25%,
    # above the 5% risk: a warning once the Monte Carlo has run
    text = "name: t\ninputs:\n  load: 20 to 200 request/s\nbudgets:\n  load: <= 100 request/s\n"
    path = tmp_path / "s.yaml"
    uri = open_file(client, path, text)
    [found] = await diagnostics_of(client, uri, bool)
    assert found.range.start.line == 4 and found.severity == types.DiagnosticSeverity.Warning
    assert found.message.startswith("budget on load warns: 63.2 request/s, limit <= 100 request/s (63% used, P(break) ")
    p_break = float(found.message.split("P(break) ")[1].rstrip("%)")) / 100
    assert 0.20 < p_break < 0.30
    await asyncio.wait_for(refreshes[id(client)].wait(), WAIT)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(types.TextDocumentIdentifier(uri), whole(text)))
    assert [hint.label for hint in hints] == ["⟶ 63.2 request/s, 63% used ▲ warn"]
    assert eval_json(path)["budgets"][0]["status"] == "warn"


async def test_what_envelope_eval_notes_is_information_on_its_place(client: LanguageClient, tmp_path: Path):
    text = "name: t\nunits: [click]\ninputs:\n  clicks: 5 click\n"
    path = tmp_path / "s.yaml"
    uri = open_file(client, path, text)
    [found] = await diagnostics_of(client, uri, bool)
    run = subprocess.run([sys.executable, "-m", "calculator.cli", "eval", str(path)], capture_output=True, text=True)
    noted = [line for line in run.stderr.splitlines() if ": note: " in line]
    assert noted == [f"{path}:2:9: note: {found.message}"]  # the same words at the same place
    assert found.severity == types.DiagnosticSeverity.Information and found.code == "note"
    assert found.range == types.Range(types.Position(1, 8), types.Position(1, 13))  # 'click' in `units: [click]`


async def test_two_budgets_on_one_line_each_say_their_limit(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  memory: 2 GB\nbudgets:\n  memory: {max: 8 GB, min: 100 MB}\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(types.TextDocumentIdentifier(uri), whole(text)))
    # 2 GB of at most 8 GB is 25% used; at least 100 MB of 2 GB is 5%
    assert [(h.position.line, h.label) for h in hints] == [(4, "⟶ 2 GB: <= 8 GB 25% used ✓ ok, >= 100 MB 5% used ✓ ok")]
