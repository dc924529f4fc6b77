"""`envelope drill [FILE | DIR]`: the practice session in a terminal (the logic is calculator.analysis.drill).

The conversation goes to standard output, or to standard error with
`--format json`, which writes the session as JSON on standard output. When
answers come from a pipe rather than a keyboard, each is echoed after its
prompt, so the output reads as the session did on screen.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from calculator.analysis.drill import Drill
from calculator.common.errors import EnvelopeError, FileError, Location, UsageError
from calculator.engine.model import Model
from calculator.engine.pipeline import load

EXIT_OK = 0


def command_drill(arguments: argparse.Namespace, shipped: Path) -> int:
    if arguments.count < 1:
        raise UsageError(f"--count takes a number of questions, 1 or more, not {arguments.count}", Location("--count"))
    model = pick_scenario(Path(arguments.path) if arguments.path else shipped, arguments.seed, arguments.catalog)
    drill = Drill(model, arguments.count, traffic=arguments.traffic)
    out = sys.stderr if arguments.format == "json" else sys.stdout
    run_session(drill, out, sys.stdin, arguments.reveal)
    if arguments.format == "json":
        print(json.dumps(drill.to_dict(), indent=2, ensure_ascii=False))
    return EXIT_OK


def pick_scenario(path: Path, seed: int | None, catalogs: list[str]) -> Model:
    """The scenario at `path`, or one from the folder `path` (`seed` fixes which) that has something to ask."""
    if not path.exists():
        raise FileError("no such file or folder", Location(str(path)))
    if path.is_file():
        return load(path, catalogs)
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
    random.Random(seed).shuffle(files)
    for file in files:
        try:
            model = load(file, catalogs)
        except EnvelopeError:
            continue  # a broken or partial file (a base for `extends:`) is not a problem to practise on
        if model.scenario.budgets or any(v.drill for v in model.scenario.derived):
            return model
    raise FileError("no scenario here has a budget or a `drill: true` value to ask about", Location(str(path)))


def run_session(drill: Drill, out: TextIO, answers: TextIO, reveal: bool) -> None:
    """Ask each question in turn (a retry after an answer of the wrong kind), then the summary."""
    say = _printer(out)
    say("\n".join(drill.briefing()) + "\n")
    echo = not answers.isatty()
    while drill.current is not None:
        if reveal:
            say(drill.prompt().rstrip())
            feedback = drill.reveal()
        else:
            out.write(drill.prompt())
            out.flush()
            line = answers.readline()
            if not line:
                say("\n(no more answers: the drill stops here)")
                break
            if echo:
                say(line.rstrip("\n"))
            feedback = drill.answer(line.rstrip("\n"))
        say("\n".join(f"  {text}" for text in feedback.message) + "\n")
    say("\n".join(drill.summary()))


def _printer(out: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    return say
