"""Rewrite every tests/bad/NAME.err with what `envelope eval NAME.yaml` prints now.

    python -m tests.bad.regenerate

Then review the change with `git diff tests/bad` before committing (tests/bad/README.md).
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from calculator.cli.main import main

BAD = Path(__file__).parent


def regenerate() -> list[str]:
    """Each bad file's stderr into its .err; the names whose exit code was not 2."""
    wrong_exit = []
    here = Path.cwd()
    os.chdir(BAD)
    try:
        for case in sorted(BAD.glob("*.yaml")):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["eval", case.name])
            case.with_suffix(".err").write_text(err.getvalue(), encoding="utf-8")
            if code != 2:
                wrong_exit.append(f"{case.name}: exit {code}")
    finally:
        os.chdir(here)
    return wrong_exit


if __name__ == "__main__":
    problems = regenerate()
    print("\n".join(problems) or "every .err rewritten; review with: git diff tests/bad")
    raise SystemExit(1 if problems else 0)
