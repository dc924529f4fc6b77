"""docs/notebook.ipynb runs top to bottom in a fresh kernel, and each API object renders as Markdown."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers import ROOT

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel is the `python3` that ipykernel installs into this same environment
    NotebookClient(notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode, source_start: str) -> list[nbformat.NotebookNode]:
    """The outputs of the cell whose source is `source_start`, or else the first that starts with it."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    cell = next((c for c in code if c.source == source_start), None) or next(c for c in code if c.source.startswith(source_start))
    return list(cell.outputs)


def markdown(notebook: nbformat.NotebookNode, source_start: str) -> str:
    shown = [o for o in outputs(notebook, source_start) if o.output_type == "execute_result"]
    assert len(shown) == 1
    return str(shown[0].data["text/markdown"])


def test_the_notebook_runs_and_renders_each_object_as_markdown(executed):
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    # 50M users x 3 sessions x 4 requests a day / 86,400 s, x3 at peak = 20.8k request/s
    assert markdown(executed, "import calculator").startswith("### Format tour — ")
    assert "| peak_qps | 20.8k request/s |" in markdown(executed, "import calculator")
    assert markdown(executed, "result") == markdown(executed, "import calculator")  # a model shows its result
    assert "$$\\mathrm{ranking\\_gpus} = \\left\\lceil" in markdown(executed, "calculator.explain")  # ceil typeset
    assert markdown(executed, "calculator.solve").startswith("**dau** can grow to **")
    sweep = markdown(executed, "calculator.sweep")
    assert sweep.startswith("| dau (user) | peak_qps (request/s) |")
    assert "| 200M | 83.3k |" in sweep  # 200M users x 3 x 4 a day x3 at peak / 86,400 s
    drill = markdown(executed, "session = calculator.drill")
    assert drill.startswith("### Drill: Format tour\n")
    assert "| peak_qps | about 20k request/s | 20.8k request/s | 1.04× too low | full |" in drill
    assert "| ranking_gpus | 15 gpu | 5 gpu | 3× too high | partial |" in drill


def test_the_notebook_is_stored_with_its_outputs():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert code and all(c.outputs for c in code)
    assert stored.metadata.kernelspec.name == "python3"
    assert "/work/" not in NOTEBOOK.read_text(encoding="utf-8")  # outputs name no machine's paths
