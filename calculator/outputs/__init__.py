"""Layer 6, outputs: terminal tables, CI formats, Markdown notes."""
