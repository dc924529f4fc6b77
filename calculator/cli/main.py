"""The `envelope` command: argument parsing and the edge where errors are rendered.

Exit codes: 0 every budget ok or warn; 1 a budget fails; 2 invalid input; 3 an internal error
(anything unexpected, said in one line: a crash must never read as a failed budget).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from calculator.cli.optimize import add_optimize_arguments, optimize_help
from calculator.common.cache import write_text_atomically
from calculator.common.collector import paused, resume_after_startup, spare_the_exit
from calculator.common.errors import EnvelopeError, FileError, Location, UsageError
from calculator.common.text import terminal_text
from calculator.file.sources import source_line

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage is an envelope error (exit 2, one clear line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _Version(argparse.Action):
    """`envelope --version`: read from the installed package's metadata only when asked (start-up)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: object, values: object, option: str | None = None) -> None:
        from importlib.metadata import version  # only for --version (start-up)

        print(f"envelope {version('envelope')}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone: a command's parser is made only when it can run
    (start-up: argparse takes ~0.5 ms a subparser here, and `envelope eval` needs one of sixteen)."""
    parser = _Parser(prog="envelope", description="Unit-aware back-of-envelope estimates for ML system design.")
    parser.add_argument("--version", action=_Version, nargs=0, help="the installed version, and exit")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name, (help_text, add_arguments) in COMMAND_LINE.items():
        if command is None or name == command:
            subparser = commands.add_parser(name, help=help_text)
            if add_arguments is not None:
                add_arguments(subparser)
    return parser


def _eval_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an input (or bind a hardware: name) for this run",
    )
    command.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    command.add_argument("--samples", type=int, metavar="N", help="Monte Carlo samples (default: the scenario's settings)")
    command.add_argument("--seed", type=int, metavar="S", help="random seed (default: the scenario's settings)")
    _catalog_option(command)


def _explain_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    command.add_argument("name", metavar="NAME")
    command.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    command.add_argument("--format", choices=("text", "json", "markdown", "latex"), default="text")
    _catalog_option(command)


def _solve_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    command.add_argument("--for", dest="input", required=True, metavar="INPUT")
    command.add_argument("--budget", metavar="NAME", help="only this budget (or latency path)")
    command.add_argument(
        "--risk",
        metavar="P",
        help="the edge at which every budget breaks with probability at most P (e.g. 5%%), by Monte Carlo",
    )
    command.add_argument("--samples", type=int, metavar="N", help="with --risk: Monte Carlo samples (default: the settings)")
    command.add_argument("--seed", type=int, metavar="S", help="with --risk: random seed (default: the settings)")
    command.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    command.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    _catalog_option(command)


def _sweep_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", metavar="FILE")
    command.add_argument("input", metavar="INPUT", help="an input, or a hardware: binding (then no FROM and TO)")
    command.add_argument("start", metavar="FROM", nargs="?", help="a quantity, e.g. '10M user'")
    command.add_argument("stop", metavar="TO", nargs="?")
    command.add_argument(
        "--over",
        metavar="ID,ID,...",
        help="a hardware binding's catalog entries to sweep (default: its one_of options, else every entry of its kind)",
    )
    command.add_argument(
        "--and",
        dest="second",
        nargs="+",
        metavar="Y [FROM TO]",
        help="a second axis (an input FROM TO, or alone: an input with options or a hardware binding): a grid of both,"
        " drawn as a heat map of the status (or of --show NAME)",
    )
    command.add_argument("--steps", type=int, nargs="+", default=[11], metavar="N", help="steps (with --and: N [M])")
    command.add_argument("--log", action="store_true", help="geometric steps (log axes)")
    command.add_argument(
        "--show", nargs="+", metavar="NAME", help="values to show (default: the budgeted ones); with --and, one value"
    )
    command.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    command.add_argument("--format", choices=("table", "json", "csv", "markdown"), default="table")
    command.add_argument("--no-plot", action="store_true", help="the table only")
    _catalog_option(command)


def _render_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("notes", metavar="NOTES.md")
    command.add_argument("-o", "--output", metavar="OUT", help="write here instead of rewriting NOTES.md")
    command.add_argument("--derivation", action="store_true", help="also write formula → numbers → result")
    _catalog_option(command)


def _diff_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("old", metavar="OLD")
    command.add_argument("new", metavar="NEW", nargs="*", help="with --rev: more files or folders")
    command.add_argument(
        "--rev",
        metavar="REV",
        help="compare each FILE (every scenario under a folder) with itself at a git revision (e.g. HEAD~1)",
    )
    _catalog_option(command)


def _check_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="+", metavar="PATH")
    command.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    command.add_argument(
        "--format", choices=("text", "github"), default="text", help="github: workflow annotations on the offending file and line"
    )
    command.add_argument(
        "--only-scenarios",
        action="store_true",
        help="skip (and list) YAML files that are not scenarios: no top-level inputs/derived/budgets/latency/extends key",
    )
    command.add_argument("--no-dependents", action="store_true", help="do not also check the scenarios that extend a named file")
    _catalog_option(command)


def _catalog_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("kind", nargs="?", metavar="KIND|ID", help="a kind (gpu, llm, ...) or an entry (H100-SXM)")
    command.add_argument("--format", choices=("table", "json"), default="table")
    _catalog_option(command)


def _init_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("name", nargs="?", metavar="NAME", help="the file (NAME.yaml) and the scenario's name")
    command.add_argument(
        "--template",
        default="recommendation",
        metavar="KIND",
        help="recommendation, search, ads, llm-serving, training or batch-pipeline",
    )


def _examples_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--path", action="store_true", help="print only the folder they are in")


def _drill_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", nargs="?", metavar="FILE|DIR", help="default: ./scenarios if present, else the shipped ones")
    command.add_argument("--seed", type=int, metavar="S", help="which scenario of a folder (default: a random one)")
    command.add_argument("--count", type=int, default=5, metavar="N", help="questions to ask (default: 5)")
    command.add_argument("--traffic", metavar="INPUT", help="the input that tripling means (default: the first rate)")
    command.add_argument("--reveal", action="store_true", help="show each answer and its derivation, unscored")
    command.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the session on standard output (the conversation on standard error)",
    )
    _catalog_option(command)


def _tui_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="*", metavar="PATH", help="default: ./scenarios if present, else the shipped ones")


def _optimize_arguments(command: argparse.ArgumentParser) -> None:
    add_optimize_arguments(command)
    _catalog_option(command)


def _catalog_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--catalog",
        action="append",
        default=[],
        metavar="FILE",
        help="your own catalog file (the shipped format): adds entries or overrides shipped ones",
    )


# Each command: its help line and what adds its arguments (optimize's are in its own module, light until it runs).
COMMAND_LINE: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None] | None]] = {
    "eval": ("evaluate one scenario: values, budgets, latency paths", _eval_arguments),
    "explain": ("how a value is derived: closed form, numbers, sensitivity", _explain_arguments),
    "solve": ("the largest (or smallest) INPUT at which every budget still holds", _solve_arguments),
    "sweep": ("values and budget status as INPUT varies from FROM to TO, or over a hardware binding's entries", _sweep_arguments),
    "render": ("evaluate the ```envelope blocks of Markdown notes and write results in", _render_arguments),
    "diff": ("what changed between two versions of a scenario, as Markdown", _diff_arguments),
    "check": ("evaluate every scenario under the paths; a summary line each", _check_arguments),
    "catalog": ("what the catalog holds: kinds, one kind's entries, or one entry", _catalog_arguments),
    "init": ("write a commented starter scenario that evaluates", _init_arguments),
    "examples": ("the worked scenarios shipped with envelope, and where they are", _examples_arguments),
    "drill": ("interview practice: estimate a scenario's key values, scored and explained", _drill_arguments),
    "optimize": (optimize_help, _optimize_arguments),
    "units": ("the units envelope adds to pint's", None),
    "schema": ("JSON Schema of the scenario format, for editors", None),
    "lsp": ("the language server, over stdio: started by an editor (see the README)", None),
    "tui": ("the TUI on scenario files or folders (the default command)", _tui_arguments),
}


def main(argv: Sequence[str] | None = None) -> int:
    # A command is start-up and one job: it allocates much and frees little, so the cyclic
    # collector would only rescan what it builds (the TUI turns it back on once it is on screen).
    with paused():
        try:
            argv = (sys.argv[1:] if argv is None else list(argv)) or ["tui"]  # the TUI is the default command
            arguments = build_parser(argv[0] if argv[0] in COMMAND_LINE else None).parse_args(argv)
            return int(COMMANDS[arguments.command](arguments))
        except EnvelopeError as error:
            print(terminal_text(error.render(source_line)), file=sys.stderr)
            return EXIT_INVALID
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return EXIT_OK
        except Exception as error:  # the edge: whatever went wrong is said in one line, exit 3
            return report_internal_error(error)


def run() -> None:
    """The `envelope` program (its console script and `python -m calculator.cli`): `main`, then exit
    with its code, sparing the interpreter's closing collections (they were a sixth of a cold `eval`)."""
    code = main()
    spare_the_exit()
    raise SystemExit(code)


def report_internal_error(error: BaseException) -> int:
    """One line on stderr for a fault that is envelope's, not the input's (the traceback with ENVELOPE_DEBUG=1)."""
    if os.environ.get("ENVELOPE_DEBUG") == "1":
        traceback.print_exception(error, file=sys.stderr)
    message = terminal_text(f"{type(error).__name__}: {error}", one_line=True)[:300]
    print(f"envelope: internal error: {message} (please report; ENVELOPE_DEBUG=1 shows the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


def print_json(data: object) -> None:
    """JSON on stdout, always valid: a non-finite number is null, listed under "non_finite"."""
    from calculator.common.numbers import finite_json  # loaded when its command runs (start-up)

    print(json.dumps(finite_json(data), indent=2, ensure_ascii=False, allow_nan=False))


def _overrides(model: object, assignments: list[str]) -> dict[str, Any]:
    """`--set NAME=VALUE` assignments: an input's value checked against its dimension, or another
    catalog entry for a `hardware:` binding checked against its kind (`--set gpu=H200`)."""
    from calculator.engine.model import Model  # loaded when its command runs (start-up)

    assert isinstance(model, Model)
    overrides: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, not '{assignment}'", Location("--set"))
        name = name.strip()
        overrides[name] = model.parse_assignment(name, text, Location(f"--set {assignment}"))
    return overrides


def load_noting(path: str, catalogs: Sequence[str]) -> Any:
    """A scenario loaded, its notes (a declaration no longer needed, an exchange rate used) on stderr:
    they never change the exit code or the output."""
    from calculator.engine.pipeline import load  # loaded when its command runs (start-up)

    model = load(path, catalogs)
    for note in model.scenario.units.notes:
        print(f"{note.location}: note: {note.message}", file=sys.stderr)
    return model


def _check_monte_carlo_options(arguments: argparse.Namespace) -> None:
    if arguments.samples is not None and not 100 <= arguments.samples <= 2_000_000:
        raise UsageError(f"--samples takes 100 to 2,000,000, not {arguments.samples:,}")
    if arguments.seed is not None and not 0 <= arguments.seed < 2**63:
        raise UsageError(f"--seed takes a whole number from 0, not {arguments.seed}", Location("--seed"))


def probability(text: str, option: str) -> float:
    """`5%` or `0.05` as 0.05 (its range is checked where it is used)."""
    written = text.strip()
    try:
        return float(written[:-1]) / 100 if written.endswith("%") else float(written)
    except ValueError:
        raise UsageError(f"{option} takes a probability such as 5% or 0.05, not '{text}'", Location(option)) from None


def command_eval(arguments: argparse.Namespace) -> int:

    model = load_noting(arguments.file, arguments.catalog)
    _check_monte_carlo_options(arguments)
    result = model.evaluate(_overrides(model, arguments.set)).judge(arguments.samples, arguments.seed)
    unchecked = model.unbudgeted_inputs() if result.budgets or result.latency else []
    if arguments.format == "json":
        print_json({**result.to_dict(), "unchecked_inputs": unchecked})
    elif arguments.format == "markdown":
        print(terminal_text(result.to_markdown()), end="")
    else:
        from calculator.outputs.terminal import print_table  # loaded when its command runs (start-up)

        print_table(result, color=None if "NO_COLOR" not in os.environ else False)
        if unchecked:
            print(f"no budget or latency path depends on: {', '.join(unchecked)} (changing them changes nothing checked)")
    return EXIT_FAIL if result.status == "fail" else EXIT_OK


def command_explain(arguments: argparse.Namespace) -> int:
    from calculator.analysis.explain import explain  # loaded when its command runs (start-up)

    model = load_noting(arguments.file, arguments.catalog)
    explanation = explain(model, arguments.name, _overrides(model, arguments.set))
    if arguments.format == "json":
        print_json(explanation.to_dict())
    elif arguments.format == "markdown":
        print(terminal_text(explanation.to_markdown()), end="")
    elif arguments.format == "latex":
        print(terminal_text(explanation.to_latex()), end="")
    else:
        print(terminal_text(explanation.to_text()), end="")
    return EXIT_OK


def command_solve(arguments: argparse.Namespace) -> int:
    from calculator.analysis.solve import solve  # loaded when its command runs (start-up)

    model = load_noting(arguments.file, arguments.catalog)
    risk = None if arguments.risk is None else probability(arguments.risk, "--risk")
    if risk is None and (arguments.samples is not None or arguments.seed is not None):
        raise UsageError("--samples and --seed go with --risk (a solve without it uses point values)", Location("--samples"))
    _check_monte_carlo_options(arguments)
    overrides = _overrides(model, arguments.set)
    solution = solve(model, arguments.input, arguments.budget, overrides, risk, arguments.samples, arguments.seed)
    if arguments.format == "json":
        print_json(solution.to_dict())
    else:
        text = solution.to_markdown() if arguments.format == "markdown" else solution.to_text()
        print(terminal_text(text), end="")
    return EXIT_FAIL if not getattr(solution, "holds", True) else EXIT_OK  # an input with options: none holds


def command_sweep(arguments: argparse.Namespace) -> int:
    from calculator.analysis.sweep import sweep, sweep_entries, sweep_options  # loaded when its command runs (start-up)

    model = load_noting(arguments.file, arguments.catalog)
    if arguments.second is not None:
        return _grid_sweep(model, arguments)
    if len(arguments.steps) != 1:
        raise UsageError("--steps takes one number (two go with --and: N for INPUT, M for the second)", Location("--steps"))
    overrides = _overrides(model, arguments.set)
    where = Location(f"sweep {arguments.input}")
    if arguments.input in model.scenario.hardware:
        if arguments.start is not None:
            raise UsageError(
                f"'{arguments.input}' is a hardware binding: it is swept over catalog entries, not from FROM to TO",
                where,
                f"envelope sweep FILE {arguments.input} [--over ID,ID,...]",
            )
        over = [text.strip() for text in arguments.over.split(",")] if arguments.over is not None else None
        table = sweep_entries(model, arguments.input, over, arguments.show, overrides)
    else:
        if arguments.over is not None:
            raise UsageError(f"--over lists the catalog entries of a hardware binding; '{arguments.input}' is not one", where)
        if model.input(arguments.input, where).options is not None:
            if arguments.start is not None:
                raise UsageError(
                    f"'{arguments.input}' has options: it is swept over them, not from FROM to TO",
                    where,
                    f"envelope sweep FILE {arguments.input}",
                )
            table = sweep_options(model, arguments.input, arguments.show, overrides)
        elif arguments.stop is None:
            raise UsageError(f"sweep {arguments.input} needs FROM and TO (e.g. '10M user' '100M user')", where)
        else:
            table = sweep(
                model,
                arguments.input,
                arguments.start,
                arguments.stop,
                arguments.steps[0],
                arguments.log,
                arguments.show,
                overrides,
            )
    if arguments.format == "json":
        print_json(table.to_dict())
    elif arguments.format == "csv":
        print(terminal_text(table.to_csv()), end="")
    elif arguments.format == "markdown":
        print(terminal_text(table.to_markdown()), end="")
    else:
        from calculator.outputs.terminal import print_sweep  # loaded when its command runs (start-up)

        color = "NO_COLOR" not in os.environ and sys.stdout.isatty()
        print_sweep(table, color=color)
        if not arguments.no_plot:
            print(table.plot(color=color))
    return EXIT_OK


def _grid_sweep(model: Any, arguments: argparse.Namespace) -> int:
    """`sweep FILE X FROM TO --and Y FROM TO`: the grid as a heat map, CSV or JSON."""
    from calculator.analysis.sweep import grid_sweep  # loaded when its command runs (start-up)

    if len(arguments.second) not in (1, 3):
        raise UsageError(
            f"--and takes Y FROM TO, or Y alone (an input with options or a hardware binding),"
            f" not {len(arguments.second)} values",
            Location("--and"),
        )
    if arguments.start is not None and arguments.stop is None:
        raise UsageError(f"sweep {arguments.input} takes FROM and TO, or neither", Location(f"sweep {arguments.input}"))
    first = [arguments.input] + ([arguments.start, arguments.stop] if arguments.start is not None else [])
    if len(arguments.steps) > 2:
        raise UsageError(f"--steps takes N or N M with --and, not {len(arguments.steps)} numbers", Location("--steps"))
    if arguments.show is not None and len(arguments.show) != 1:
        raise UsageError("with --and, --show takes one value: the heat map's", Location("--show"))
    if arguments.format == "markdown":
        raise UsageError("a grid is written as table, csv or json (markdown is for one input)", Location("--format"))
    steps = (arguments.steps[0], arguments.steps[-1])
    grid = grid_sweep(
        model,
        first,
        arguments.second,
        steps,
        arguments.log,
        arguments.show[0] if arguments.show else None,
        _overrides(model, arguments.set),
    )
    if arguments.format == "json":
        print_json(grid.to_dict())
    elif arguments.format == "csv":
        print(terminal_text(grid.to_csv()), end="")
    else:
        from calculator.outputs.heatmap import print_heat_map  # loaded when its command runs (start-up)

        print_heat_map(grid, color="NO_COLOR" not in os.environ and sys.stdout.isatty())
    return EXIT_OK


def command_render(arguments: argparse.Namespace) -> int:
    from calculator.common.numbers import counted  # loaded when its command runs (start-up)
    from calculator.file.load import read_text  # loaded when its command runs (start-up)
    from calculator.outputs.notes import render  # loaded when its command runs (start-up)

    source = Path(arguments.notes)
    target = Path(arguments.output) if arguments.output else source
    rendering = render(
        read_text(source),
        str(source),
        arguments.derivation,
        source.parent,
        arguments.catalog,
        in_place=target.resolve() == source.resolve(),
    )
    write_text_atomically(target, rendering.text)
    for block in rendering.blocks:
        if block.status == "error":
            print(
                terminal_text("\n".join(line.removeprefix("> ").replace("**error** ", "").strip("`") for line in block.output)),
                file=sys.stderr,
            )
    counts = {s: sum(b.status == s for b in rendering.blocks) for s in ("ok", "warn", "fail", "error")}
    shown = terminal_text(str(target))
    print(
        f"{shown}: {counted(len(rendering.blocks), 'block')}: {counts['ok']} ok, {counts['warn']} warn,"
        f" {counts['fail']} fail, {counts['error']} invalid"
    )
    return rendering.exit_code


def command_diff(arguments: argparse.Namespace) -> int:
    from calculator.analysis.compare import diff_models  # loaded when its command runs (start-up)
    from calculator.engine.pipeline import load  # loaded when its command runs (start-up)

    if arguments.rev:
        if arguments.rev.startswith("-") or not arguments.rev.strip():
            raise UsageError(
                f"--rev takes a git revision (HEAD~1, a branch, a commit), not '{arguments.rev}'",
                Location(f"--rev={arguments.rev}"),
            )
        return _diff_at_revision([Path(arguments.old), *map(Path, arguments.new)], arguments.rev, arguments.catalog)
    if len(arguments.new) != 1:
        raise UsageError("diff needs OLD and NEW, or FILE… --rev REV")
    changes = diff_models(load(arguments.old, arguments.catalog), load(arguments.new[0], arguments.catalog))
    print(terminal_text(changes.to_markdown()), end="")
    return changes.exit_code


def _diff_at_revision(paths: list[Path], revision: str, catalogs: list[str]) -> int:
    """Each scenario under `paths` against itself at `revision`; several make one comment of the changed ones."""
    from calculator.analysis.compare import (  # loaded when its command runs (start-up)
        diff_models,
        several_to_markdown,
        text_at_revision,
    )
    from calculator.cli.check import scenario_files  # loaded when its command runs (start-up)
    from calculator.common.files import MissingFile  # loaded when its command runs (start-up)
    from calculator.engine.pipeline import load, loads  # loaded when its command runs (start-up)

    def old_of(path: Path) -> Any:
        # the files it extends are read at the same revision: a changed base is part of the change
        return loads(
            text_at_revision(path, revision),
            f"{path}@{revision}",
            path.parent,
            read=lambda base: text_at_revision(base, revision),
            catalogs=catalogs,
        )

    files = scenario_files(paths)
    if len(paths) == 1 and paths[0].is_file():
        changes = diff_models(old_of(paths[0]), load(paths[0], catalogs))
        print(terminal_text(changes.to_markdown()), end="")
        return changes.exit_code
    diffs, unchanged, new_files = [], 0, []
    for path in files:
        try:
            old = old_of(path)
        except MissingFile as missing:
            if missing.location is None or missing.location.file != str(path):
                raise
            new_files.append(str(path))
            continue
        changes = diff_models(old, load(path, catalogs))
        if changes.changed or changes.old_status != changes.new_status:
            diffs.append((str(path), changes))
        else:
            unchanged += 1
    print(terminal_text(several_to_markdown(diffs, unchanged, new_files)), end="")
    return max((d.exit_code for _, d in diffs), default=EXIT_OK)


def command_check(arguments: argparse.Namespace) -> int:
    from calculator.cli.check import check_paths, write_junit  # loaded when its command runs (start-up)
    from calculator.common.numbers import counted  # loaded when its command runs (start-up)

    outcomes, skipped = check_paths(
        [Path(p) for p in arguments.paths], arguments.catalog, arguments.only_scenarios, not arguments.no_dependents
    )
    for file in skipped:
        shown = terminal_text(str(file), one_line=True)
        print(f"{'skip':5}  {shown}  not a scenario (no top-level inputs, derived, budgets, latency or extends)")
    noted: set[str] = set()  # a base's input is noted once, not again for each file extending it
    for outcome in outcomes:
        print(outcome.github_annotation() if arguments.format == "github" else outcome.summary_line())
        for note in outcome.notes() if arguments.format != "github" else []:
            if note not in noted:
                noted.add(note)
                print(note, file=sys.stderr)
    if arguments.junit:
        write_junit(outcomes, Path(arguments.junit))
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "warn", "fail", "error")}
    extending = sum(o.extends is not None for o in outcomes)
    also = f" ({extending} because {'it extends' if extending == 1 else 'they extend'} a named file)" if extending else ""
    print(
        f"{counted(len(outcomes), 'scenario')}{also}: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail,"
        f" {counts['error']} invalid" + (f"; {counted(len(skipped), 'other YAML file')} skipped" if skipped else "")
    )
    if any(o.internal for o in outcomes):
        return EXIT_INTERNAL
    if counts["error"]:
        return EXIT_INVALID
    return EXIT_FAIL if counts["fail"] else EXIT_OK


def command_catalog(arguments: argparse.Namespace) -> int:
    from calculator.catalog.entries import with_user_files  # loaded when its command runs (start-up)
    from calculator.outputs.terminal import catalog_json, print_catalog  # loaded when its command runs (start-up)

    cat = with_user_files((path, Location(f"--catalog {path}")) for path in arguments.catalog)
    kind, entry = None, None
    if arguments.kind in cat.kinds():
        kind = arguments.kind
    elif arguments.kind:
        entry = _catalog_entry(cat, arguments.kind)
    if arguments.format == "json":
        print(json.dumps(catalog_json(cat, kind, entry), indent=2, ensure_ascii=False))
    else:
        print_catalog(cat, kind, entry)
    return EXIT_OK


def _catalog_entry(cat: Any, name: str) -> Any:
    """The entry `envelope catalog NAME` means, or an error naming the kinds and the closest names."""
    from calculator.common.errors import did_you_mean  # loaded when its command runs (start-up)

    try:
        return cat.find(name)
    except EnvelopeError as error:
        if not error.message.startswith("no catalog entry"):
            raise  # ambiguous: the candidates are the answer
        raise EnvelopeError(
            f"no catalog kind or entry '{name}' (kinds: {', '.join(cat.kinds())})",
            hint=did_you_mean(name, cat.kinds()) or error.hint,
        ) from None


def command_init(arguments: argparse.Namespace) -> int:
    from calculator.cli.starter import write_starter  # loaded when its command runs (start-up)

    target = write_starter(arguments.name, arguments.template)
    print(f"wrote {target} (template {arguments.template}); next: envelope eval {target}")
    return EXIT_OK


def command_examples(arguments: argparse.Namespace) -> int:
    from calculator.cli.starter import example_lines  # loaded when its command runs (start-up)

    folder = shipped_scenarios()
    if not folder.is_dir():
        raise FileError("the worked scenarios are not installed here", Location(str(folder)))
    if arguments.path:
        print(folder.resolve())
        return EXIT_OK
    print(f"worked scenarios in {folder.resolve()} (e.g. envelope eval {folder.resolve() / 'tour.yaml'}):")
    for line in example_lines(folder):
        print(f"  {line}")
    return EXIT_OK


def command_drill(arguments: argparse.Namespace) -> int:
    from calculator.cli.drill import command_drill as run  # loaded when its command runs (start-up)

    return run(arguments, shipped_scenarios())


def command_optimize(arguments: argparse.Namespace) -> int:
    from calculator.cli.optimize import command_optimize as run  # loaded when its command runs (start-up)

    model = load_noting(arguments.file, arguments.catalog)
    return run(arguments, model, _overrides(model, arguments.set))


def command_units(arguments: argparse.Namespace) -> int:
    from calculator.units.system import DEFINITIONS, abbreviations, currencies  # loaded when its command runs

    print(f"envelope's units ({DEFINITIONS.name}), on top of pint's default registry:\n")
    for line in DEFINITIONS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "@")):
            print(f"  {line}")
    rows = abbreviations().values()
    width = max(len(row.text) for row in rows)
    print("\nAbbreviations (abbreviations.yaml), looked up before pint:\n")
    for row in rows:
        meaning = row.means if row.means else f"refused: {row.refuse}"
        print(f"  {row.text:<{width}}  {meaning}  ({row.note})")
    money = currencies()
    print(f"\nCurrencies, converted to USD at rates as of {money.as_of} ({money.source}):\n")
    for code in money.per_euro:
        if code != "USD":
            print(f"  1 {code} = {money.in_usd(code):.6g} USD")
    print("\nAttached to a number, k/K M B T are multipliers: 100M user = 1e8 user, 175B param, 2T token.")
    return EXIT_OK


def command_schema(arguments: argparse.Namespace) -> int:
    from calculator.file.validate import json_schema  # loaded when its command runs (start-up)

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def shipped_scenarios() -> Path:
    """./scenarios if there is one; else the checkout's (an editable install); else the installed copy."""
    for folder in (
        Path("scenarios"),
        Path(__file__).resolve().parents[2] / "scenarios",
        Path(sys.prefix) / "share" / "envelope" / "scenarios",
    ):
        if folder.is_dir():
            return folder
    return Path("scenarios")  # reported as missing below


def command_tui(arguments: argparse.Namespace) -> int:
    paths = [Path(p) for p in arguments.paths] or [shipped_scenarios()]
    for path in paths:
        if not path.exists():
            raise FileError("no such file or folder", Location(str(path)))
    import importlib  # textual: only for `envelope tui`

    try:
        app_module = importlib.import_module("tui.app")  # textual only here: the engine never imports it
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] != "textual":
            raise
        raise UsageError(
            "the TUI needs textual, which this install does not have",
            hint='pip install "envelope[tui]" (every other command works without it)',
        ) from None
    app = app_module.EnvelopeApp(paths, after_first_paint=resume_after_startup)
    app.run()
    return EXIT_OK


def command_lsp(arguments: argparse.Namespace) -> int:
    try:
        from calculator.lsp.server import main as serve  # pygls: only for `envelope lsp` (start-up)
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in ("pygls", "lsprotocol"):
            raise
        raise UsageError(
            f"'envelope lsp' needs {missing}, which is not installed", hint="pip install 'envelope[lsp]' (or pip install pygls)"
        ) from None
    resume_after_startup()  # a server runs for hours: its cyclic garbage must be collected
    serve()
    return EXIT_OK


COMMANDS = {
    "eval": command_eval,
    "explain": command_explain,
    "solve": command_solve,
    "sweep": command_sweep,
    "render": command_render,
    "diff": command_diff,
    "check": command_check,
    "catalog": command_catalog,
    "drill": command_drill,
    "optimize": command_optimize,
    "init": command_init,
    "examples": command_examples,
    "units": command_units,
    "schema": command_schema,
    "lsp": command_lsp,
    "tui": command_tui,
}


if __name__ == "__main__":
    run()
