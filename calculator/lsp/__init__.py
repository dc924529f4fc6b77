"""Layer 8 (beside cli), lsp: `envelope lsp`, a Language Server over stdio for editors.

`positions` converts envelope's places (1-based lines, columns in code points)
to LSP's (0-based lines, UTF-16 code units); `snapshot` evaluates one open
document and keeps what the features read; `features` answers hover, inlay
hints, completion, definitions and code actions from a snapshot; `server` is
the pygls wiring (debounced re-evaluation, publishing diagnostics).
Only `server` imports pygls.
"""
