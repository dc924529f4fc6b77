"""The scenario files the TUI shows: found under the given paths, loaded, watched for changes on disk.

A file that fails to load is an entry with its error (the engine's
`file:line:col: error: …`), never a crash; fixing it on disk makes it load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from pathlib import Path

import calculator
from calculator import record

from .save import Fingerprint
from .state import Workbench

SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Scenario files: each file given, and every .yaml/.yml under each folder (sorted), without repeats."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith("."))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


@record(frozen=False)
class ScenarioEntry:
    """One file of the list: its workbench when it loads, else its error."""

    path: Path
    workbench: Workbench | None = None
    error: calculator.EnvelopeError | None = None
    fingerprint: Fingerprint | None = None  # of `path` as loaded
    watched: dict[Path, tuple[int, int]] = field(default_factory=dict)  # file → (mtime_ns, size) as loaded
    loaded: bool = False
    kept: Workbench | None = None  # the workbench (with its edits) of a file that now fails to load

    @property
    def key(self) -> str:
        return str(self.path)

    @property
    def status(self) -> str:
        if not self.loaded:
            return "loading"
        if self.workbench is None:
            return "error"
        return str(self.workbench.result.status)

    @property
    def title(self) -> str:
        return self.workbench.view.name if self.workbench else self.path.stem

    @property
    def tags(self) -> list[str]:
        return list(self.workbench.view.tags) if self.workbench else []

    @property
    def edited(self) -> bool:
        return bool(self.workbench and self.workbench.edits)

    def matches(self, text: str) -> bool:
        """Whether the filter `text` is in the file name, the scenario's name or a tag (case-insensitive)."""
        text = text.strip().lower()
        if not text:
            return True
        haystack = [self.path.name, self.title, *self.tags, *(f"#{t}" for t in self.tags)]
        return any(text in item.lower() for item in haystack)

    def load(self, quick: bool = False) -> list[str]:
        """(Re)load from disk; a workbench's edits survive a reload. Returns edits the new file refused.

        `quick`: show the medians first, the Monte Carlo run comes later (`Workbench.simulate_baseline`).
        """
        try:
            fingerprint = Fingerprint.of(self.path)
            model = calculator.load(self.path)
        except calculator.EnvelopeError as error:
            return self._failed(error)
        except OSError as error:
            return self._failed(
                calculator.FileError(f"cannot read the file: {error.strerror}", calculator.Location(str(self.path)))
            )
        previous = self.workbench or self.kept
        try:
            workbench = Workbench(model, quick=quick) if previous is None else previous
            dropped = previous.rebase(model) if previous is not None else []
        except calculator.EnvelopeError as error:
            return self._failed(error)
        self.workbench, self.kept = workbench, None
        self.fingerprint, self.error, self.loaded = fingerprint, None, True
        self._watch(model)
        return dropped

    def saved(self, model: calculator.Model, fingerprint: Fingerprint) -> None:
        """The edits were written into the file: it is the new baseline."""
        if self.workbench is None:
            self.workbench = Workbench(model)
        else:
            self.workbench.saved(model)
        self.fingerprint, self.error = fingerprint, None
        self._watch(model)

    def _failed(self, error: calculator.EnvelopeError) -> list[str]:
        """Keep the workbench (and its edits) aside: the file may be fixed; show the error meanwhile."""
        self.error, self.loaded = error, True
        self.kept = self.workbench or self.kept
        self.workbench = None
        files = {self.path}
        if error.location is not None and error.location.file and not error.location.file.startswith(("<", "--")):
            files.add(Path(error.location.file))
        self.watched = {f: _stat(f) for f in files}
        return []

    def _watch(self, model: calculator.Model) -> None:
        """The file and every file it extends (from where its values come)."""
        files = {self.path} | {Path(file) for file in model.view().files}
        self.watched = {f: _stat(f) for f in files}
        if self.fingerprint is not None:  # as read, not as now: a change during the load is caught next time
            self.watched[self.path] = (self.fingerprint.mtime_ns, self.fingerprint.size)

    def changed_on_disk(self) -> bool:
        """Whether a watched file differs from when it was loaded (a touch that keeps the content is ignored)."""
        for file, seen in self.watched.items():
            now = _stat(file)
            if now == seen:
                continue
            if (
                file == self.path
                and self.fingerprint is not None
                and self.path.exists()
                and Fingerprint.of(self.path).sha256 == self.fingerprint.sha256
            ):
                self.watched[file] = now
                continue
            return True
        return False


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)
