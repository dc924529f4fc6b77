"""`envelope lsp`: the language server (pygls, over stdio).

An edit is evaluated DEBOUNCE seconds after the last keystroke, with point values only
(3–35 ms of CPU for the shipped scenarios: benchmarks/test_lsp_speed.py); a scenario
with uncertain inputs is simulated (Monte Carlo, as `envelope eval` does) once the editor
has been idle for IDLE seconds, and its diagnostics published again with the full statuses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from calculator.file.load import read_text
from calculator.lsp import features
from calculator.lsp.snapshot import Snapshot, diagnostics, evaluate, with_uncertainty

DEBOUNCE = 0.15
IDLE = 0.6
VERSION = "0.1.0"


class Utf16Protocol(LanguageServerProtocol):
    """The protocol, speaking UTF-16 positions whatever else the editor offers.

    Every client must support UTF-16 (LSP 3.17), and `calculator.lsp.positions` counts in it;
    pygls would otherwise take the editor's first choice (Neovim 0.11 offers UTF-8 first),
    and every range after a non-ASCII character would be off.
    """

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))


class EnvelopeServer(LanguageServer):
    """The open scenarios, their latest snapshots and the evaluations waiting to run."""

    def __init__(self) -> None:
        super().__init__(
            "envelope", VERSION, protocol_cls=Utf16Protocol, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.snapshots: dict[str, Snapshot] = {}
        self.good: dict[str, Snapshot] = {}  # the latest snapshot that loaded: hover and hints while a file is broken
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.published: dict[str, set[str]] = {}  # per document, the other files it published errors to

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def open_text(self, path: Path) -> str | None:
        """The editor's text of a file when it is open (an `extends:` base being edited)."""
        for document in list(self.workspace.text_documents.values()):
            local = to_fs_path(document.uri)
            if local is not None and Path(local).resolve() == path:
                source: str = document.source
                return source
        return None

    def lines_of(self, path: Path) -> list[str]:
        text = self.open_text(path.resolve())
        if text is None:
            try:
                text = read_text(path)
            except Exception:  # a place in a file that cannot be read: positions stay as they are
                return []
        return text.splitlines() or [""]

    def current(self, uri: str) -> Snapshot:
        """The snapshot of the document's text as it is now (evaluated now if an edit is pending)."""
        text = self.text(uri)
        snapshot = self.snapshots.get(uri)
        if snapshot is None or snapshot.text != text:
            snapshot = self.refresh(uri)
        return snapshot

    def usable(self, uri: str) -> Snapshot:
        """The current snapshot, or the last one that loaded when the text is broken now."""
        snapshot = self.current(uri)
        return snapshot if snapshot.model is not None else self.good.get(uri, snapshot)

    def refresh(self, uri: str) -> Snapshot:
        """Evaluate the document and publish its diagnostics (and those of the files its errors are in)."""
        path = Path(to_fs_path(uri) or uri)
        snapshot = evaluate(path, self.text(uri), self.open_text)
        self.snapshots[uri] = snapshot
        if snapshot.model is not None:
            self.good[uri] = snapshot
        self.publish(uri, snapshot)
        return snapshot

    def publish(self, uri: str, snapshot: Snapshot) -> None:
        found = diagnostics(snapshot, self.lines_of)
        uris = {(uri if path == snapshot.path else path.resolve().as_uri()): found[path] for path in found}
        for stale in self.published.get(uri, set()) - set(uris):
            uris[stale] = []  # a base file's error that is fixed now
        self.published[uri] = {u for u in uris if u != uri}
        for target, items in uris.items():
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=list(items)))

    def schedule(self, uri: str, delay: float) -> None:
        """Evaluate `delay` seconds from now, unless another edit comes first; simulate once idle."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._later(uri, delay))

    async def _later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        snapshot = self.refresh(uri)
        if snapshot.uncertain:
            await asyncio.sleep(IDLE)
            if self.snapshots.get(uri) is snapshot:
                self.publish(uri, with_uncertainty(snapshot))
                self.refresh_inlay_hints()

    def refresh_inlay_hints(self) -> None:
        """Ask the editor for the hints again: a budget's status can change with its Monte Carlo (ok, then a
        warning once P(break) is known), and an editor asks for hints only when the text changes."""
        workspace = self.client_capabilities.workspace
        hints = workspace.inlay_hint if workspace is not None else None
        if hints is not None and hints.refresh_support:
            self.workspace_inlay_hint_refresh(None)

    def close(self, uri: str) -> None:
        with contextlib.suppress(KeyError):
            self.pending.pop(uri).cancel()
        for target in {uri, *self.published.pop(uri, set())}:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=[]))
        self.snapshots.pop(uri, None)
        self.good.pop(uri, None)


server = EnvelopeServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: EnvelopeServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: EnvelopeServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: EnvelopeServer, params: types.DidSaveTextDocumentParams) -> None:
    for uri in list(ls.snapshots):  # a saved base changes what its children load
        ls.schedule(uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: EnvelopeServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.close(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: EnvelopeServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    snapshot = with_uncertainty(ls.usable(uri))
    return features.hover(snapshot, ls.text(uri).splitlines(), params.position)


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
def inlay_hint(ls: EnvelopeServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    uri = params.text_document.uri
    snapshot = ls.current(uri)
    if snapshot.model is None:
        return []  # hints from an older text would sit on the wrong lines
    return features.inlay_hints(snapshot, ls.text(uri).splitlines(), params.range)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", " "]))
def completion(ls: EnvelopeServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    items = features.completion(ls.usable(uri), ls.text(uri).splitlines(), params.position)
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: EnvelopeServer, params: types.DefinitionParams) -> types.Location | None:
    uri = params.text_document.uri
    return features.definition(ls.usable(uri), ls.text(uri).splitlines(), params.position, ls.lines_of)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: EnvelopeServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    return features.code_actions(ls.current(uri), ls.text(uri).splitlines(), uri, params.range)


def main() -> None:
    """Serve one editor over stdin and stdout until it shuts the server down."""
    server.start_io()


if __name__ == "__main__":
    main()
