"""The layers hold: a function-level import exists only to keep a heavy import off start-up, and says so.

import-linter (`lint-imports`, run in CI) checks the layers and cycles; this test checks what it cannot:
that every import inside a function names a heavy library, or a module of ours that pulls one in or
that a command loads only when it runs, with the reason in a comment on the same line.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {
    "sympy",
    "numpy",
    "pydantic",
    "annotated_types",
    "rich",
    "textual",
    "yaml",
    "plotext",
    "pint",
    "concurrent",
    "importlib",
    "xml",
    "subprocess",
    "csv",
    "platformdirs",
}


def function_level_imports(path: Path) -> list[tuple[int, str, str]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    module = node.module if isinstance(node, ast.ImportFrom) and node.module else node.names[0].name
                    found.append((node.lineno, module, lines[node.lineno - 1]))
    return found


def test_function_level_imports_are_heavy_and_say_why():
    offenders = []
    for path in sorted((ROOT / "calculator").rglob("*.py")):
        for line, module, text in function_level_imports(path):
            if "#" not in text:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: import of {module} inside a function, with no reason")
            elif module.split(".")[0] not in HEAVY and not module.startswith("calculator."):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {module} is not heavy: import it at the top")
    assert offenders == []


def test_layers_contract_names_every_subpackage():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    packages = {p.parent.name for p in (ROOT / "calculator").glob("*/__init__.py")}
    assert named == packages


TOP = ("calculator", "tui", "tests", "benchmarks", "docs", "scenarios")


def test_docs_cite_only_what_is_in_the_repository():
    """Every file a document names (a Markdown link or a `calculator/...` path) exists; no private notes are cited."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "scenarios").glob("*.yaml"))]
    missing = []
    for document in documents:
        text = document.read_text(encoding="utf-8")
        for private in ("DESIGN.md", "STYLE.md", "CASE_STUDIES.md"):
            if private in text:
                missing.append(f"{document.name} cites {private}")
        targets = re.findall(r"\]\(([^)#\s]+)[^)]*\)", text) + re.findall(rf"`((?:{'|'.join(TOP)})/[\w/.-]+)`", text)
        for target in targets:
            if "://" in target:
                continue
            base = ROOT if target.split("/")[0] in TOP else document.parent
            if not (base / target).exists():
                missing.append(f"{document.name} names {target}")
    assert missing == []


def test_no_pickle_anywhere():
    """Reading a pickle runs code: nothing envelope reads (its cache included) is one."""
    offenders = []
    for path in sorted([*(ROOT / "calculator").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] in ("pickle", "cPickle", "_pickle", "shelve", "dill") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
