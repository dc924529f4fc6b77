"""The garbage collector is paused where it only costs (imports, building, a CLI command) and always
left as it was found: a notebook or a test run that calls the CLI keeps its collector."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

import calculator
from calculator.cli import main as cli
from calculator.common.collector import paused
from tests.helpers import ROOT


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_leaves_the_collector_as_it_found_it(enabled: bool):
    (gc.enable if enabled else gc.disable)()
    try:
        with paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ZeroDivisionError), paused():
            1 / 0  # noqa: B018
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_a_cli_command_runs_without_collections_and_gives_the_collector_back(capsys, monkeypatch):
    inside: list[bool] = []  # whether the command is running, at each collection
    running = [False]
    command_eval = cli.COMMANDS["eval"]

    def watched(arguments: object) -> int:
        running[0] = True
        try:
            return command_eval(arguments)
        finally:
            running[0] = False

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            inside.append(running[0])

    monkeypatch.setitem(cli.COMMANDS, "eval", watched)
    gc.callbacks.append(count)
    try:
        assert cli.main(["eval", str(ROOT / "scenarios" / "tour.yaml"), "--format", "json"]) == 0
        assert gc.isenabled()
        gc.collect()  # the collector works again once the command is over
    finally:
        gc.callbacks.remove(count)
    assert inside and not any(inside)
    assert cli.main(["eval", "no/such/file.yaml"]) == 2  # an error on the way out too
    assert gc.isenabled()
    assert "no such file" in capsys.readouterr().err


def test_importing_the_engine_leaves_the_collector_on():
    code = "import gc, calculator; print(gc.isenabled())"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert shown.stdout.strip() == "True"


def test_loading_and_evaluating_leaves_nothing_only_the_collector_can_free():
    """A scenario's objects are freed by reference counting the moment they are dropped: a reference
    cycle a formula (the parser once held an object that held the parser) is garbage that waits for a
    collection, and every collection walks a large loaded scenario again."""
    formulas = "".join(f"  d{i}: (a + {i} gpu) * 2 -> gpu\n" for i in range(50))
    generated = "name: cycles\ninputs:\n  a: 2 gpu\nderived:\n" + formulas
    loads = [lambda: calculator.load(ROOT / "scenarios" / "tour.yaml"), lambda: calculator.loads(generated, "<generated>")]
    for load in loads:
        load().evaluate()  # caches warm
    gc.collect()
    gc.disable()
    try:
        for load in loads:
            model = load()
            result = model.evaluate().result
            assert result.values
            del model, result
        assert gc.collect() == 0
    finally:
        gc.enable()


def _generated(count: int) -> str:
    formulas = "".join(f"  d{i}: (a + {i} gpu) * 2 -> gpu\n" for i in range(count))
    return "name: generations\ninputs:\n  a: 2 gpu\nderived:\n" + formulas


def test_a_loaded_scenario_starts_in_the_oldest_generation():
    """What a load builds lives as long as the model: the young generations' collections, which
    run every few hundred allocations, must not scan it (they would, twice, and free nothing)."""
    text = _generated(300)
    calculator.loads(text, "<generated>").evaluate()  # caches warm
    gc.collect()
    young_before = len(gc.get_objects(0)) + len(gc.get_objects(1))
    model = calculator.loads(text, "<generated>")
    young = len(gc.get_objects(0)) + len(gc.get_objects(1))
    oldest = {id(entry) for entry in gc.get_objects(2)}
    assert id(model) in oldest
    assert young - young_before < 100  # 300 formulas build thousands of tracked objects
    assert model.evaluate().result.values["d299"].value == (2 + 299) * 2


def test_a_judged_result_starts_in_the_oldest_generation():
    """A result holds a value result a formula, as long-lived as the model: judging 3,000 formulas
    runs no young collection (each would scan the values judged so far and free nothing)."""
    text = _generated(3000)
    model = calculator.loads(text, "<generated>")
    evaluation = model.evaluate()
    collections: list[int] = []
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
    try:
        result = evaluation.result
    finally:
        gc.callbacks.pop()
    assert collections == []
    assert id(result) in {id(entry) for entry in gc.get_objects(2)}
    assert result.values["d2999"].value == (2 + 2999) * 2


def test_a_load_thaws_nothing_a_caller_froze():
    """The TUI freezes what its start-up built; a later load must leave that frozen."""
    started = [["built at start-up"]]
    gc.collect()
    gc.freeze()
    try:
        calculator.loads(_generated(20), "<generated>").evaluate()
        assert all(entry is not started for entry in gc.get_objects())  # the collected generations
    finally:
        gc.unfreeze()
    assert any(entry is started for entry in gc.get_objects())


def test_the_language_server_serves_with_the_collector_on(monkeypatch):
    """`envelope lsp` is a command that runs for hours: start-up is over once it serves."""
    pytest.importorskip("pygls")
    from calculator.lsp import server

    seen: list[bool] = []
    monkeypatch.setattr(server, "main", lambda: seen.append(gc.isenabled()))
    try:
        assert cli.main(["lsp"]) == 0
    finally:
        gc.unfreeze()  # what start-up froze, given back to this test run
    assert seen == [True]


@pytest.mark.parametrize(
    ("arguments", "code"), [(["eval", "scenarios/tour.yaml", "--format", "json"], 0), (["eval", "no/such/file.yaml"], 2)]
)
def test_the_program_exits_with_mains_code_and_nothing_left_to_collect(arguments, code, monkeypatch, capsys):
    """`envelope` (the console script, `python -m calculator.cli`) hands what is alive to the frozen
    generation before exiting, so that the interpreter's closing collections scan nothing."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["envelope", *arguments])
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
        assert exited.value.code == code
        assert gc.get_freeze_count() > 10_000
        assert len(gc.get_objects()) < 100  # what raising the exit made, nothing of the command's
    finally:
        gc.unfreeze()
    capsys.readouterr()


def test_every_way_to_start_the_program_runs_it_through_run():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"envelope": "calculator.cli.main:run"}
    assert (ROOT / "calculator" / "cli" / "__main__.py").read_text().splitlines()[-1] == "run()"
    shown = subprocess.run(
        [sys.executable, "-m", "calculator.cli", "eval", "no/such/file.yaml"], capture_output=True, text=True, cwd=ROOT
    )
    assert shown.returncode == 2 and "no such file" in shown.stderr
