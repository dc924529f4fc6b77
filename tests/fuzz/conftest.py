"""Hypothesis profiles for the fuzz targets, and a cache folder of their own.

    ci    (default) a few examples a target, the whole folder in well under a minute on 2 cores
    long  10,000 examples a target, for a fuzzing session:

        ENVELOPE_FUZZ_PROFILE=long pytest -p no:cacheprovider tests/fuzz -x -q

    one target:   ENVELOPE_FUZZ_PROFILE=long pytest -p no:cacheprovider tests/fuzz/test_formulas.py
    a target's 10,000 split over runs (in parallel or one after another), each its own seed:
                  ENVELOPE_FUZZ_EXAMPLES=2500 ENVELOPE_FUZZ_PROFILE=long pytest -p no:cacheprovider \
                      --hypothesis-seed=1 tests/fuzz/test_cli.py     (then seeds 2, 3, 4)
    The long profile runs the CLI targets in-process (`main(argv)`, streams captured; a new process each
    example would take hours); ENVELOPE_FUZZ_CLI=process starts a process an example as the ci profile does.
    collect every distinct crash instead of stopping at the first (one JSON line a crash, the shortest
    input seen for each):   ENVELOPE_FUZZ_COLLECT=/tmp/crashes.jsonl ENVELOPE_FUZZ_PROFILE=long pytest ...

The property of every target: only `calculator.EnvelopeError` escapes the API; the CLI exits 0, 1 or 2
with no traceback and no "internal error".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is not in the [dev] extra: the fuzz targets need `pip install hypothesis`
    collect_ignore_glob = ["test_*.py"]
else:
    _QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.large_base_example]
    settings.register_profile("ci", max_examples=40, deadline=None, database=None, print_blob=True, suppress_health_check=_QUIET)
    _LONG_EXAMPLES = int(os.environ.get("ENVELOPE_FUZZ_EXAMPLES", "10000"))
    settings.register_profile(
        "long", max_examples=_LONG_EXAMPLES, deadline=None, database=None, print_blob=True, suppress_health_check=_QUIET
    )
    settings.load_profile(os.environ.get("ENVELOPE_FUZZ_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def warm(fuzz_cache: Path) -> None:
    """pint's registry, numpy and sympy loaded before the first example: an example's hang guard that
    fires inside a first `import` leaves a half-imported module behind (a RecursionError at the next
    example, an artefact of the guard that a long session on a starved machine met)."""
    import numpy  # noqa: F401 (loaded for its side effect: imported once, before any guard)
    import sympy  # noqa: F401

    import calculator
    from calculator.units.system import registry

    registry()
    calculator.estimate("2 request/s * 3 s")


@pytest.fixture(scope="session", autouse=True)
def fuzz_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """envelope's (and pint's) cache under a tmp folder for the whole session, never the user's."""
    folder = tmp_path_factory.mktemp("fuzz-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
