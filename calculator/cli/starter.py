"""`envelope init` and `envelope examples`: a commented starter scenario, and where the worked ones are.

The starters are data (calculator/templates/KIND.yaml), each a scenario that evaluates as shipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from calculator.common.cache import write_text_atomically
from calculator.common.errors import FileError, Location, UsageError, did_you_mean

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
DEFAULT_TEMPLATE = "recommendation"
_NAME_LINE = re.compile(r"^name: .*$", re.MULTILINE)


def template_kinds() -> list[str]:
    return sorted(path.stem for path in TEMPLATES.glob("*.yaml"))


def starter_text(kind: str, name: str | None) -> str:
    """The template's text, its `name:` set to `name` when one is given."""
    kinds = template_kinds()
    if kind not in kinds:
        raise UsageError(
            f"no template '{kind}' (templates: {', '.join(kinds)})", Location("--template"), did_you_mean(kind, kinds)
        )
    text = (TEMPLATES / f"{kind}.yaml").read_text(encoding="utf-8")
    if name:
        text = _NAME_LINE.sub(lambda _: f"name: {_yaml_text(name)}", text, count=1)
    return text


def _yaml_text(text: str) -> str:
    """A name as a YAML scalar that reads back as itself."""
    return text if re.fullmatch(r"[A-Za-z][\w .-]*", text) else "'" + text.replace("'", "''") + "'"


def write_starter(name: str | None, kind: str) -> Path:
    """NAME.yaml (scenario.yaml without a name) from the template; an existing file is never overwritten."""
    target = Path(name if name and name.endswith((".yaml", ".yml")) else f"{name or 'scenario'}.yaml")
    scenario_name = Path(name).stem.replace("_", " ") if name else None
    text = starter_text(kind, scenario_name)  # an unknown template is said first, whatever is on disk
    if target.exists():
        raise FileError(
            "already exists: envelope init never overwrites a file",
            Location(str(target)),
            hint="give another NAME, or remove the file first",
        )
    write_text_atomically(target, text)
    return target


def example_lines(folder: Path) -> list[str]:
    """`FILE  NAME` for each worked scenario in `folder`."""
    lines = []
    for path in sorted(folder.glob("*.yaml")):
        found = _NAME_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
        title = found.group(0).removeprefix("name: ").strip() if found else ""
        lines.append(f"{path}  {title}")
    return lines
