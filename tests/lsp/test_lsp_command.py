"""`envelope lsp` where pygls is not installed: exit 2 and how to install it, never a traceback."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_envelope_lsp_without_pygls_says_how_to_install_it():
    hide = "import sys; sys.modules['pygls'] = None; from calculator.cli.main import main; sys.exit(main(['lsp']))"
    run = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2
    assert run.stderr == (
        "error: 'envelope lsp' needs pygls, which is not installed\n  hint: pip install 'envelope[lsp]' (or pip install pygls)\n"
    )
