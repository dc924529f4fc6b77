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
WAIT = 30.0  # seconds: the server's first evaluation imports the engine on a slow, shared machine


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"))
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def utf16(text: str) -> int:
    """UTF-16 code units of `text`, counted by encoding it (not as the server counts them)."""
    return len(text.encode("utf-16-le")) // 2


def open_file(client: LanguageClient, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.resolve().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
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
    run = subprocess.run([sys.executable, "-m", "calculator.cli", "eval", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT)
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
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
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
    assert found.message == "unknown unit or name 'usr'"
    assert found.code == "unknown-unit"


async def test_an_edit_updates_the_diagnostics_and_the_hint_travels_with_its_error(client: LanguageClient, tmp_path: Path):
    text = "name: t\ninputs:\n  dau: 100M user\nderived:\n  q: dau * 2\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    assert await diagnostics_of(client, uri) == []
    broken = text.replace("dau * 2", "dauu * 2")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=broken)]))
    [found] = await diagnostics_of(client, uri, bool)
    assert found.range == types.Range(types.Position(4, 5), types.Position(4, 9))
    assert found.message == "unknown name 'dauu': not a value of this scenario, nor a unit\nhint: did you mean 'dau'?"


async def test_an_error_in_an_extends_base_is_published_to_the_base(client: LanguageClient, tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text("name: base\ninputs:\n  dau: 100M user\n  size: 2 KB/usr\n", encoding="utf-8")
    uri = open_file(client, tmp_path / "child.yaml", "name: child\nextends: base.yaml\ninputs:\n  dau: 200M user\n")
    [found] = await diagnostics_of(client, base.resolve().as_uri(), bool)
    assert found.range == types.Range(types.Position(3, 13), types.Position(3, 16))
    assert found.message == "unknown unit or name 'usr'"
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
    uri = path.resolve().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    reported = eval_json(path)["values"]
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), at(text, "peak_qps:", offset=2)))
    assert hover is not None
    lines = hover.contents.value.split("\n\n")
    assert lines[0] == f"**peak_qps** = {reported['peak_qps']['display']}"
    assert f"`{reported['peak_qps']['formula']}`" in lines
    # an uncertain value (the click-through rate is a range): its p5–p95 as eval's json has them
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), at(text, "clicks_per_day:", offset=1)))
    clicks = reported["clicks_per_day"]
    low, high = calculator.format_number(clicks["p05"], 2), calculator.format_number(clicks["p95"], 2)
    assert hover.contents.value.split("\n\n")[:2] == [f"**clicks_per_day** = {clicks['display']}",
                                                      f"p5–p95: {low} – {high} click/day"]
    # a budgeted value says its status and use: serving_gpus against its 64 gpu
    budget = next(b for b in eval_json(path)["budgets"] if b["name"] == "serving_gpus")
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), at(text, "serving_gpus:", offset=1)))
    assert "budget <= 64 gpu: " in hover.contents.value
    assert f"{budget['status']}, {budget['utilization']:.0%} used" in hover.contents.value


async def test_hover_on_a_catalog_field_and_on_a_unit(client: LanguageClient, tmp_path: Path):
    text = "name: t\nhardware:\n  gpu: H100-SXM\ninputs:\n  gpus: 8 gpu\n  t: 5 ms\nderived:\n  hbm: gpus * gpu.memory\n"
    uri = open_file(client, tmp_path / "s.yaml", text)
    await diagnostics_of(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), at(text, "gpu.memory", offset=5)))
    shipped = yaml.safe_load((ROOT / "calculator" / "catalog" / "gpus.yaml").read_text(encoding="utf-8"))
    entry = shipped["entries"]["H100-SXM"]
    figure = entry["fields"]["memory"]
    figure = figure if isinstance(figure, dict) else {"value": figure}
    source = figure.get("source") or entry.get("source") or shipped.get("source")
    as_of = figure.get("as_of") or entry.get("as_of")
    assert hover.contents.value.split("\n\n")[:3] == [f"**gpu.memory (H100-SXM)** = {figure['value']}",
                                                      f"source: {source}", f"as of {as_of}"]
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), at(text, "ms", line_of="t: 5 ms", offset=1)))
    assert hover.contents.value == "**ms**: a unit of time, = millisecond"
