"""The environment of a cold-start benchmark: a fresh interpreter, as a user's.

A user's install has bytecode for envelope's own modules (pip compiles at
install; an editable install writes __pycache__ on the first run). A sandbox
that sets PYTHONDONTWRITEBYTECODE would make every run recompile them (~60 ms
for calculator/, more with tui/), which is not what a user waits for.
"""

from __future__ import annotations

import os


def installed_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
