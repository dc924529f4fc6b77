"""The engine imports without the UI, and `eval` stays off the heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import ROOT

EVAL = (
    "from calculator.cli.main import main\nimport contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(['eval', 'scenarios/tour_base.yaml', '--format', 'json'])"  # certain: no Monte Carlo, no numpy
)


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_engine_does_not_import_textual():
    modules = loaded_after("import calculator")
    assert "textual" not in modules


def test_eval_path_keeps_heavy_imports_off(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first = loaded_after(EVAL, env)  # cold caches: pint is asked once, pydantic validates once, PyYAML parses once
    assert {"pint", "pydantic", "yaml"} <= first
    assert list((tmp_path / "envelope" / "units").glob("*.json"))
    assert list((tmp_path / "envelope" / "validated").glob("*.json"))
    assert list((tmp_path / "envelope" / "documents").glob("*.json"))
    warm = loaded_after(EVAL, env)
    assert not {"pint", "pydantic", "yaml", "sympy", "numpy", "textual", "rich", "ruamel"} & warm


def test_every_public_name_resolves_and_imports_only_its_stage():
    """The public API is imported when first used: each name of __all__ is there, and `import calculator`
    alone loads no engine stage (a command loads the stages it runs)."""
    probe = "import calculator\nmissing = [n for n in calculator.__all__ if getattr(calculator, n, None) is None]\nprint(missing)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
    bare = loaded_after("import calculator")
    assert not {m for m in bare if m.startswith(("calculator.engine", "calculator.analysis", "calculator.units"))}
    assert "calculator.engine.views" not in loaded_after(EVAL)
