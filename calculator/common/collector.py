"""Pausing Python's cyclic garbage collector where it can only cost.

Importing modules and building a scenario allocate many objects and free
none; each collection then rescans everything allocated so far (about 0.1 s
of `envelope tui`'s first screen on a 2-core machine, ~10% of `envelope eval`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is as it was after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def resume_after_startup() -> None:
    """Start-up is over: what it built lives as long as the process, so it is moved out of
    the collector's sight (gc.freeze) and collection resumes for what comes next."""
    gc.freeze()
    gc.enable()
