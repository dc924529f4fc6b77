"""The wheel holds everything an installed envelope runs on: every module, the unit and GPU data, the TUI's
stylesheet and the worked scenarios (an editable install hides a missing one: it reads the checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    [wheel] = out.glob("envelope-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def files(folder: str, pattern: str) -> set[str]:
    return {path.relative_to(ROOT).as_posix() for path in (ROOT / folder).rglob(pattern) if "__pycache__" not in path.parts}


def test_every_module_and_data_file_is_in_the_wheel(wheel_names):
    wanted = (
        files("calculator", "*.py")
        | files("tui", "*.py")
        | files("tui", "*.tcss")
        | files("calculator/units", "*.txt")
        | files("calculator/units", "*.yaml")
        | files("calculator/catalog", "*.yaml")
        | files("calculator/templates", "*.yaml")
    )
    assert {
        "tui/widgets/rows.py",
        "tui/app.tcss",
        "calculator/catalog/gpus.yaml",
        "calculator/units/abbreviations.yaml",
        "calculator/templates/recommendation.yaml",
    } <= wanted  # the walk found them
    assert wanted - wheel_names == set()


def test_the_worked_scenarios_are_in_the_wheel(wheel_names):
    scenarios = {name.rsplit("/", 1)[1] for name in wheel_names if "/share/envelope/scenarios/" in name}
    assert scenarios == {path.name for path in (ROOT / "scenarios").glob("*.yaml")}
    assert "video_recommendation.yaml" in scenarios


def test_nothing_but_envelope_is_in_the_wheel(wheel_names):
    tops = {name.split("/", 1)[0] for name in wheel_names}
    assert {top for top in tops if not top.startswith("envelope-")} == {"calculator", "tui"}
    assert not any("__pycache__" in name for name in wheel_names)
