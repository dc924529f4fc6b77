"""`envelope optimize FILE --minimize NAME | --maximize NAME [--top K] [--set ...] [--format ...]`
(the search is calculator.analysis.optimize).

Exit codes: 0 when a feasible design exists, 1 when none is (the output says which budgets ruled the
designs out), 2 for bad input (an unknown objective, nothing to choose, a grid over the memory budget).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from calculator.common.text import terminal_text

if TYPE_CHECKING:
    from calculator.engine.model import Model

EXIT_OK, EXIT_FAIL = 0, 1
PROGRESS_AFTER_SECONDS = 1.0


class ObjectiveAction(argparse.Action):
    """--minimize and --maximize append to one list, in the order written: the first is the one ranked by."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None) -> None:
        objectives = list(getattr(namespace, self.dest, None) or [])
        objectives.append(("min" if option == "--minimize" else "max", str(values)))
        setattr(namespace, self.dest, objectives)


optimize_help = "every combination of the options: the best designs where every budget holds"


def add_optimize_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    for flag, what in (("--minimize", "smallest"), ("--maximize", "largest")):
        command.add_argument(
            flag, dest="objectives", action=ObjectiveAction, default=[], metavar="NAME", help=f"the {what} value wins"
        )
    command.add_argument("--top", type=int, metavar="K", help="designs to list (default 10; the whole Pareto front)")
    command.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="fix an input (an axis no more)")
    command.add_argument("--format", choices=("table", "json", "markdown"), default="table")


def command_optimize(arguments: argparse.Namespace, model: Model, overrides: dict[str, float]) -> int:
    from calculator.analysis.optimize import Objective, optimize  # loaded when its command runs (start-up)
    from calculator.common.numbers import finite_json  # loaded when its command runs (start-up)

    objectives = [Objective(name, sense) for sense, name in arguments.objectives]
    with _ProgressBar(sys.stderr.isatty()) as progress:
        outcome = optimize(model, objectives, overrides, arguments.top, progress)
    if arguments.format == "json":
        print(json.dumps(finite_json(outcome.to_dict()), indent=2, ensure_ascii=False, allow_nan=False))
    elif arguments.format == "markdown":
        print(terminal_text(outcome.to_markdown()), end="")
    else:
        print(terminal_text(outcome.to_text()), end="")
    return EXIT_OK if outcome.feasible else EXIT_FAIL


class _ProgressBar:
    """A rich progress bar on the terminal, shown only once the search has taken more than a second."""

    def __init__(self, terminal: bool):
        self.terminal = terminal
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _ProgressBar:
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.terminal or done >= total:
            return
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_SECONDS:
                return
            from rich.console import Console  # rich: only for a long search on a terminal
            from rich.progress import Progress  # rich: as above

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("designs", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
