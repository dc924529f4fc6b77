"""The one orchestrator: load → validate → parse/resolve → check → compile.

Each stage is its own module and raises its own errors; this file only runs
them in order, so reading it tells the whole story.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from calculator.common.collector import building
from calculator.common.errors import Problems
from calculator.engine.check import check
from calculator.engine.model import Model
from calculator.engine.resolve import resolve
from calculator.file.document import Document
from calculator.file.load import Reader, load_file, load_text, read_text, with_catalog_files
from calculator.file.validate import validate
from calculator.units.system import save_unit_table


def model_from_document(document: Document) -> Model:
    """A Model, or every independent mistake of the document at once (an ErrorGroup when several)."""
    problems = Problems()
    try:
        scenario = resolve(validate(document), document, problems)
        checked = check(scenario, problems)
    finally:
        save_unit_table()  # the unit names learnt, written once a load rather than once a name
    problems.raise_all()
    return Model(checked)


def load(path: str | Path, catalogs: Sequence[str] = ()) -> Model:
    """A scenario file, checked and compiled, ready to evaluate (`catalogs`: more catalog files, `--catalog`)."""
    with building():  # many small objects that live as long as the model, and no garbage
        return model_from_document(with_catalog_files(load_file(path), list(catalogs)))


def loads(
    text: str,
    file: str = "<text>",
    base_dir: Path | None = None,
    first_line: int = 1,
    read: Reader = read_text,
    catalogs: Sequence[str] = (),
) -> Model:
    """A scenario given as YAML text (`first_line`: where it starts in `file`, for error positions;
    `read`: where the files it extends come from)."""
    with building():  # many small objects that live as long as the model, and no garbage
        return model_from_document(with_catalog_files(load_text(text, file, base_dir, first_line, read), list(catalogs)))
