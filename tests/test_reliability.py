"""Reliability: reproducers from the security review, each asserting the behaviour the contract promises.

The contract (README, DESIGN): every bad input gives one clear `file:line:col: error: message` on stderr
and exit 2; 0 = every budget ok or warn; 1 = a budget fails; 3 = an internal error, said in one line
(never a traceback, never exit 1 for a crash). Many of these tests fail until the findings are fixed;
none is marked xfail on purpose.

Only the public surface is used: the `envelope` command (as `python -m calculator.cli`, in a child
process with a timeout, so a hang fails instead of blocking) and `import calculator`. Every child gets
its own XDG_CACHE_HOME under the test's tmp folder, never the user's cache.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import pickle
import re
import resource
import shlex
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

ENVELOPE = [sys.executable, "-m", "calculator.cli"]
TIMEOUT = 240.0  # a hang guard only, never a speed test: the machine running the tests may be shared and slow
GIB = 1 << 30
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


# ---------------------------------------------------------------------------------------------- helpers


@dataclass
class Run:
    args: Sequence[str]
    code: int
    stdout: bytes
    stderr: bytes
    seconds: float
    cpu_seconds: float  # the child's user + system time (its wall time on a shared machine says little)
    peak_bytes: int  # the child's largest resident set

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def why(self) -> str:
        """What a failed assertion shows: the command, its exit code and the last line it wrote."""
        last = next((line for line in reversed(self.err.splitlines()) if line.strip()), "")
        return f"envelope {shlex.join(os.fsdecode(a) for a in self.args)}: exit {self.code}; stderr ends: {last[:300]}"


def cap_memory() -> None:
    """preexec_fn: the child may map at most 1 GiB (a run that needs more must refuse, not die)."""
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


FIGURES = os.environ.get("ENVELOPE_RELIABILITY_FIGURES")
"""A file to append one JSON line a run to (test, command, exit, wall and CPU seconds, peak memory): how the
reproducers' figures in the issue's closing note were measured. Unset: nothing is written."""


class Sandbox:
    """A work folder, its own cache folder, and the `envelope` command run in it.

    Every run is capped at 1 GiB of address space (`cap_memory`) and has a timeout: a hang guard, generous
    because the machine may be shared; how long a run takes is measured (`Run.cpu_seconds`), not asserted.
    """

    def __init__(self, root: Path):
        self.dir = root / "work"
        self.dir.mkdir()
        self.cache = root / "cache"

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8", errors="surrogateescape")
        return path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONWARNINGS")}
        env.update(XDG_CACHE_HOME=str(self.cache), COLUMNS="200", LINES="50")
        env.update(extra)
        return env

    def run(
        self,
        *args: str,
        timeout: float = TIMEOUT,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
        cwd: Path | None = None,
    ) -> Run:
        def start() -> None:
            cap_memory()
            if preexec_fn is not None:
                preexec_fn()

        command = shlex.join(os.fsdecode(a) for a in args)
        started = time.monotonic()
        child = subprocess.Popen(
            [*ENVELOPE, *args],
            cwd=cwd or self.dir,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            preexec_fn=start,
        )
        streams: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=lambda name=name, pipe=pipe: streams.__setitem__(name, pipe.read()), daemon=True)
            for name, pipe in (("out", child.stdout), ("err", child.stderr))
        ]
        for reader in readers:
            reader.start()
        status, usage = _wait(child, timeout)
        for reader in readers:
            reader.join()
        seconds = time.monotonic() - started
        if status is None:
            pytest.fail(f"envelope {command} did not finish in {timeout:g} s")
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            pytest.fail(f"envelope {command} was killed by signal {-code}")
        run = Run(args, code, streams["out"], streams["err"], seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)
        if FIGURES:
            with open(FIGURES, "a", encoding="utf-8") as figures:
                test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
                line = {"test": test, "command": command, "exit": code, "seconds": round(seconds, 2)}
                line.update(cpu_seconds=round(run.cpu_seconds, 2), peak_mib=round(run.peak_bytes / (1 << 20), 1))
                figures.write(json.dumps(line) + "\n")
        return run


def _wait(child: subprocess.Popen[bytes], timeout: float) -> tuple[int | None, resource.struct_rusage]:
    """The child's wait status and resource use (os.wait4, which subprocess does not give); None on a timeout."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() > deadline:
            child.kill()
            _, _, usage = os.wait4(child.pid, 0)
            child.returncode = -9
            return None, usage
        time.sleep(0.02)


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    sandbox = Sandbox(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(sandbox.cache))  # for the in-process API tests too
    return sandbox


@dataclass
class FilledCache:
    """A cache folder (and its secret) as one first run left it, and what that run printed; copied into each
    test's sandbox, so a parametrized test runs the slow first (cold) run once, not once a case."""

    files: dict[str, str]  # name -> text, in the work folder
    cache: Path
    state: Path  # $XDG_STATE_HOME: the secret is in its envelope/ folder
    first: Run

    def into(self, box: Sandbox) -> Run:
        """`box` as if it had made the first run itself: the files, the cache, the secret; that run."""
        for name, text in self.files.items():
            (box.dir / name).write_text(text, encoding="utf-8")
        shutil.copytree(self.cache, box.cache, dirs_exist_ok=True)
        shutil.copytree(self.state, Path(os.environ["XDG_STATE_HOME"]), dirs_exist_ok=True)
        return self.first


def fill_cache(root: Path, files: dict[str, str], *args: str) -> FilledCache:
    sandbox = Sandbox(root)
    for name, text in files.items():
        (sandbox.dir / name).write_text(text, encoding="utf-8")
    state = root / "state"
    first = sandbox.run(*args, env=sandbox.env(XDG_STATE_HOME=str(state)))
    assert_no_crash(first, (0,))
    assert (state / "envelope" / "cache-secret").is_file(), "no secret: the entries would not be read back"
    return FilledCache(files, sandbox.cache, state, first)


def assert_no_crash(run: Run, codes: Sequence[int] = (0, 1, 2)) -> None:
    """No traceback, no internal error (exit 3), and one of the expected exit codes."""
    assert "Traceback" not in run.out + run.err, run.why()
    assert run.code != 3 and "internal error" not in run.err.lower(), run.why()
    assert run.code in codes, run.why()


def assert_invalid(run: Run, where: str, line: bool = True) -> None:
    """Exit 2 with `where:line:col: error: message` (or `where: error:` for a whole file when line=False)."""
    assert_no_crash(run, (2,))
    head = "^" + re.escape(where) + (r":\d+:\d+" if line else r"(?::\d+:\d+)?") + r": error: \S"
    assert re.search(head, run.err, re.M), f"no '{where}{':L:C' if line else ''}: error:' line in:\n{run.err}"


def assert_invalid_argument(run: Run, mentions: str) -> None:
    """Exit 2 with one `...error: message` line about a command-line argument that mentions `mentions`."""
    assert_no_crash(run, (2,))
    lines = [line for line in run.err.splitlines() if re.search(r"(^|: )error: \S", line)]
    assert lines and mentions in run.err, f"no error line mentioning {mentions!r} in:\n{run.err}"


def scenario(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ Monte Carlo memory


def _many_values() -> str:
    return scenario("name: many", "inputs:", "  a: 1 to 2 gpu", "derived:", *(f"  d{i}: a * {i}" for i in range(12_000)))


def _many_samples() -> str:
    return scenario(
        "name: samples",
        "settings: {samples: 2000000}",
        "inputs:",
        "  a: 1 to 2 gpu",
        "derived:",
        *(f"  d{i}: a * {i}" for i in range(300)),
    )


@pytest.mark.parametrize("text", [_many_values(), _many_samples()], ids=["12k-values", "2M-samples-300-values"])
def test_monte_carlo_fits_in_1_gib_or_refuses(box: Sandbox, text: str) -> None:
    box.write("mc.yaml", text)
    run = box.run("eval", "mc.yaml", "--format", "json")
    assert_no_crash(run, (0, 2))
    if run.code == 2:
        assert_invalid(run, "mc.yaml", line=False)
        assert "sample" in run.err, f"a refusal should say how many samples fit:\n{run.err}"


# -------------------------------------------------------------------------------- files that are not files


@pytest.mark.parametrize("how", ["extends", "argument"])
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused(box: Sandbox, device: str, how: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    if how == "extends":
        box.write("s.yaml", f"name: t\nextends: {device}\ninputs:\n  a: 1\n")
        assert_invalid(box.run("eval", "s.yaml"), "s.yaml")
    else:
        assert_invalid(box.run("eval", device), device, line=False)


@pytest.fixture
def fifo(box: Sandbox) -> Path:
    path = box.dir / "pipe.yaml"
    os.mkfifo(path)
    return path


def test_extends_a_fifo_is_refused(box: Sandbox, fifo: Path) -> None:
    box.write("s.yaml", f"name: t\nextends: {fifo.name}\ninputs:\n  a: 1\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_eval_of_a_fifo_is_refused(box: Sandbox, fifo: Path) -> None:
    assert_invalid(box.run("eval", fifo.name), fifo.name, line=False)


def test_render_of_a_fifo_is_refused(box: Sandbox, fifo: Path) -> None:
    assert_invalid(box.run("render", fifo.name), fifo.name, line=False)


# ----------------------------------------------------------------------------------- functions, arithmetic


@pytest.mark.parametrize("function", ["min", "max"])
def test_min_max_of_one_argument(box: Sandbox, function: str) -> None:
    box.write("s.yaml", f"name: t\ninputs:\n  a: 2\nderived:\n  b: {function}(a)\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


BAD_ARITHMETIC = ["1/0", "sqrt(-1)", "log(0)", "exp(1000)", "2^1e7", "0^-1", "(-8)^(1/3)"]


@pytest.mark.parametrize("value", BAD_ARITHMETIC)
def test_bad_arithmetic_in_an_input(box: Sandbox, value: str) -> None:
    box.write("s.yaml", f"name: t\ninputs:\n  a: {value}\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_bad_arithmetic_in_a_derived_exponent(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 2\nderived:\n  b: a ^ (1/0)\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


@pytest.mark.parametrize("value", BAD_ARITHMETIC)
def test_bad_arithmetic_in_set(box: Sandbox, value: str) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 2\n")
    assert_invalid_argument(box.run("eval", "s.yaml", "--set", f"a={value}"), f"a={value}")


@pytest.mark.parametrize("start, stop, bad", [("1/0", "10", "1/0"), ("1", "exp(1000)", "exp(1000)"), ("0^-1", "2", "0^-1")])
def test_bad_arithmetic_in_sweep_bounds(box: Sandbox, start: str, stop: str, bad: str) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 2\n")
    assert_invalid_argument(box.run("sweep", "s.yaml", "a", start, stop, "--steps", "3"), bad)


@pytest.mark.parametrize("unit", ["s^(1/0)", "s^(2^1e7)", "s^(0^-1)", "s^(log(0))"])
def test_bad_arithmetic_in_a_unit_exponent(box: Sandbox, unit: str) -> None:
    box.write("s.yaml", f"name: t\ninputs:\n  a: 2 {unit}\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_bad_unit_exponent_in_set(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 2 s\n")
    assert_invalid_argument(box.run("eval", "s.yaml", "--set", "a=1 s^(1/0)"), "a=1 s^(1/0)")


# ------------------------------------------------------------------------------------------ deep nesting


def test_long_product_is_refused_or_right(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1.01\nderived:\n  b: " + "*".join(["a"] * 600) + "\n")
    run = box.run("eval", "s.yaml", "--format", "json")
    assert_no_crash(run, (0, 2))
    if run.code == 2:
        assert_invalid(run, "s.yaml")
    else:
        assert math.isclose(json.loads(run.out)["values"]["b"]["value"], 1.01**600, rel_tol=1e-4)


def test_deeply_nested_unit_is_refused(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 s/" + "(" * 500 + "s" + ")" * 500 + "\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_deeply_nested_yaml_is_refused(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1\nnotes: " + "[" * 600 + "]" * 600 + "\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_explain_the_end_of_a_long_chain(box: Sandbox) -> None:
    box.write(
        "s.yaml",
        scenario(
            "name: chain", "inputs:", "  a: 1", "derived:", "  v1: a * 2", *(f"  v{i}: v{i - 1} * 2" for i in range(2, 401))
        ),
    )
    run = box.run("explain", "s.yaml", "v400")
    assert_no_crash(run, (0,))
    assert "v400" in run.out


# ----------------------------------------------------------------------------------------------- paths


def _symlink_loop(box: Sandbox) -> str:
    (box.dir / "loop1.yaml").symlink_to("loop2.yaml")
    (box.dir / "loop2.yaml").symlink_to("loop1.yaml")
    return "loop1.yaml"


EXTENDS_TARGETS: dict[str, Callable[[Sandbox], str]] = {
    "symlink-loop": _symlink_loop,
    "nul-byte": lambda box: '"a\\x00b.yaml"',
    "300-character-name": lambda box: "x" * 300 + ".yaml",
    "through-a-file": lambda box: box.write("plain.yaml", "name: p\ninputs:\n  p: 1\n").name + "/base.yaml",
}


@pytest.mark.parametrize("kind", EXTENDS_TARGETS)
def test_extends_a_bad_path(box: Sandbox, kind: str) -> None:
    target = EXTENDS_TARGETS[kind](box)
    box.write("s.yaml", f"name: t\nextends: {target}\ninputs:\n  a: 1\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


@pytest.mark.parametrize("kind", ["symlink-loop", "300-character-name"])
def test_eval_of_a_bad_path(box: Sandbox, kind: str) -> None:
    name = _symlink_loop(box) if kind == "symlink-loop" else "x" * 300 + ".yaml"
    assert_invalid(box.run("eval", name), name, line=False)


def _without_dac_override() -> None:
    """preexec_fn for root: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so chmod 000 binds root too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("how", ["extends", "argument"])
def test_unreadable_folder(box: Sandbox, how: str) -> None:
    locked = box.dir / "locked"
    box.write("locked/base.yaml", "name: b\ninputs:\n  b: 1\n")
    box.write("s.yaml", "name: t\nextends: locked/base.yaml\ninputs:\n  a: 1\n")
    locked.chmod(0)
    try:
        preexec = None
        if os.geteuid() == 0:
            probe = subprocess.run(
                [sys.executable, "-c", "import os; os.listdir('locked')"],
                cwd=box.dir,
                preexec_fn=_without_dac_override,
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0 or b"PermissionError" not in probe.stderr:
                pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: the folder stays readable")
            preexec = _without_dac_override
        if how == "extends":
            assert_invalid(box.run("eval", "s.yaml", preexec_fn=preexec), "s.yaml")
        else:
            assert_invalid(box.run("eval", "locked/base.yaml", preexec_fn=preexec), "locked/base.yaml", line=False)
    finally:
        locked.chmod(0o755)


# ------------------------------------------------------------------------------ free text is shown as text


MARKUP_CASES = {
    "input-note": ("inputs:\n  a: {value: 1, note: 'see [/]'}\n", "see [/]"),
    "derived-note": ("inputs:\n  a: 1\nderived:\n  b: {formula: a * 2, note: 'see [/] too'}\n", None),
    "name": ("inputs:\n  a: 1\n", None),
    "description": ("description: 'see [/] here'\ninputs:\n  a: 1\n", None),
    "link": ("inputs:\n  a: {value: 1, note: '[link=http://x]a[/link]'}\n", "[link=http://x]a[/link]"),
    "bold": ("inputs:\n  a: {value: 1, note: '[bold red]loud[/bold red]'}\n", "[bold red]loud[/bold red]"),
}


@pytest.mark.parametrize("case", MARKUP_CASES)
def test_markup_in_free_text_prints_literally(box: Sandbox, case: str) -> None:
    body, literal = MARKUP_CASES[case]
    name = "'[/] [b]x[/b]'" if case == "name" else "t"
    box.write("s.yaml", f"name: {name}\n{body}")
    for env in (box.env(), box.env(FORCE_COLOR="1", TERM="xterm-256color")):
        run = box.run("eval", "s.yaml", env=env)
        assert_no_crash(run, (0,))
        if literal:
            assert literal in run.out, run.out
        if case == "name":
            assert "[/] [b]x[/b]" in run.out, run.out
        assert "\x1b]8;" not in run.out, "a note became a terminal hyperlink"


# ----------------------------------------------------------------------------------- terminal escapes


ESCAPING_NAME = 'name: "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mALL OK"\n'


@pytest.mark.parametrize(
    "args",
    [
        ["check", "s.yaml"],
        ["check", "--format", "github", "s.yaml"],
        ["eval", "s.yaml"],
        ["eval", "s.yaml", "--format", "markdown"],
        ["eval", "s.yaml", "--format", "json"],
        ["diff", "s.yaml", "s.yaml"],
    ],
    ids=lambda a: " ".join(a),
)
def test_no_terminal_escapes_from_a_scenario_name(box: Sandbox, args: list[str]) -> None:
    box.write("s.yaml", ESCAPING_NAME + "inputs:\n  a: 1 gpu\nbudgets:\n  a: <= 2 gpu\n")
    run = box.run(*args)
    assert_no_crash(run, (0,))
    for stream, data in (("stdout", run.stdout), ("stderr", run.stderr)):
        assert b"\x1b" not in data and b"\x07" not in data, f"raw ESC/BEL on {stream}: {data[:200]!r}"


# --------------------------------------------------------------------------------------- check DIR


def _check_folder(box: Sandbox) -> list[str]:
    box.write("dir/a_good.yaml", "name: good one\ninputs:\n  a: 1\n")
    box.write("dir/b_crash.yaml", "name: crash\ninputs:\n  a: 1/0\n")
    box.write("dir/c_invalid.yaml", "name: invalid\ninputs:\n  a: 1 no_such_unit\n")
    box.write("dir/d_min.yaml", "name: min\ninputs:\n  a: 2\nderived:\n  b: min(a)\n")
    box.write("dir/e_good.yaml", "name: good two\ninputs:\n  a: 2\n")
    return sorted(p.name for p in (box.dir / "dir").iterdir())


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_check_folder_survives_a_bad_file(box: Sandbox, fmt: str) -> None:
    files = _check_folder(box)
    run = box.run("check", "dir", "--format", fmt, "--junit", "report.xml")
    assert_no_crash(run, (2,))
    for name in files:
        assert name in run.out, f"no line for {name}:\n{run.out}"
    assert re.search(rf"^{len(files)} scenarios: 2 ok, 0 warn, 0 fail, 3 invalid$", run.out, re.M), run.out
    report = ElementTree.parse(box.dir / "report.xml")
    cases = report.getroot().iter("testcase")
    assert sorted(Path(c.get("classname", "")).name for c in cases) == files


# ---------------------------------------------------------------------------------------- speed


def test_ten_thousand_declared_units_on_a_cold_cache(box: Sandbox) -> None:
    # The report's 10,000 (7.6 s then: the whole unit table was rewritten for each new name). How long it
    # takes now is measured, not asserted (ENVELOPE_RELIABILITY_FIGURES); tests/test_unit_table.py counts the writes.
    box.write(
        "s.yaml", scenario("name: units", "units:", *(f"  zunit{i}: null" for i in range(10_000)), "inputs:", "  a: 3 zunit5")
    )
    run = box.run("eval", "s.yaml", "--format", "json")
    assert_no_crash(run, (0,))
    value = json.loads(run.out)["values"]["a"]
    assert value["value"] == 3 and "zunit5" in json.dumps(value), value


def test_explain_of_a_growing_polynomial(box: Sandbox) -> None:
    box.write(
        "s.yaml",
        scenario(
            "name: poly", "inputs:", "  a: 2", "derived:", "  d1: a + 1", *(f"  d{i + 1}: d{i} * a + d{i}" for i in range(1, 40))
        ),
    )
    run = box.run("explain", "s.yaml", "d40")
    assert_no_crash(run, (0,))
    assert "d40" in run.out


def test_solve_a_tower_of_powers(box: Sandbox) -> None:
    box.write("s.yaml", "name: tower\ninputs:\n  a: 2\nderived:\n  b: a^a^a\nbudgets:\n  b: <= 100\n")
    run = box.run("solve", "s.yaml", "--for", "a")
    assert_no_crash(run, (0,))
    assert run.out.strip()


# ---------------------------------------------------------------------------------- extreme values


def test_largest_finite_value_is_shown(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1.7976e308 gpu\n")
    for fmt in ("table", "json", "markdown"):
        run = box.run("eval", "s.yaml", "--format", fmt)
        assert_no_crash(run, (0,))
        assert "gpu" in run.out


def test_sweep_to_infinite_utilization_plots(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 gpu\nbudgets:\n  a: <= 1e-300 gpu\n")
    run = box.run("sweep", "s.yaml", "a", "1 gpu", "1e10 gpu", "--steps", "3")
    assert_no_crash(run)
    if run.code == 2:
        assert_invalid_argument(run, "a")


@pytest.mark.parametrize("duration", ["-1e20 ms", "-10 ms"])
def test_negative_latency_stage_is_refused(box: Sandbox, duration: str) -> None:
    box.write(
        "s.yaml",
        f"name: t\ninputs:\n  a: 1\nlatency:\n  p:\n    budget: 100 ms\n    stages:\n      x: {duration}\n      y: 5 ms\n",
    )
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


# ---------------------------------------------------------------------------------------- numpy


def test_uniform_wider_than_a_float(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: uniform(-1.7e308 gpu, 1.7e308 gpu)\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_negative_seed_in_settings(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 to 2 gpu\nsettings: {seed: -1}\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


def test_negative_seed_option(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 to 2 gpu\n")
    assert_invalid_argument(box.run("eval", "s.yaml", "--seed", "-1"), "seed")


# ------------------------------------------------------------------------------------------ caches


class _Planted:
    """A cache entry that runs a command when unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def _shift_digits(text: str) -> str:
    return re.sub(r"\d", lambda m: "8" if m.group() == "9" else str(int(m.group()) + 1), text)


def _tampered(value: Any, seen: set[int] | None = None) -> Any:
    """`value` with every float doubled and every digit in a string shifted, walking containers and objects."""
    seen = set() if seen is None else seen
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value * 2 + 1
    if isinstance(value, str):
        return _shift_digits(value)
    if id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        value[:] = [_tampered(v, seen) for v in value]
    elif isinstance(value, dict):
        for key in list(value):
            value[key] = _tampered(value[key], seen)
    elif isinstance(value, tuple):
        items = [_tampered(v, seen) for v in value]
        try:
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        except TypeError:
            return value
    elif hasattr(value, "__dict__"):
        for key, item in list(vars(value).items()):
            vars(value)[key] = _tampered(item, seen)
    return value


def _plant(entry: Path, original: bytes, how: str, marker: Path) -> bytes:
    if how == "code":
        return pickle.dumps(_Planted(marker))
    if how == "flipped":
        data = bytearray(original)
        data[len(data) // 2] ^= 0x01
        return bytes(data)
    try:
        json.loads(original)
    except ValueError:
        try:
            value = pickle.loads(original)
        except Exception:
            return original
        return pickle.dumps(_tampered(value), protocol=pickle.HIGHEST_PROTOCOL)
    return _shift_digits(original.decode("utf-8")).encode("utf-8")


PLANTED = """\
name: planted
inputs:
  dau: 50M user
  rate: 3 request/user/day
  size: 2 KB/request
derived:
  qps: dau * rate -> request/s
  daily: dau * rate * size * 1 day -> GB
budgets:
  qps: <= 5k request/s
"""


@pytest.fixture(scope="module")
def planted_first_run(tmp_path_factory: pytest.TempPathFactory) -> FilledCache:
    return fill_cache(tmp_path_factory.mktemp("planted"), {"s.yaml": PLANTED}, "eval", "s.yaml", "--format", "json")


@pytest.mark.parametrize("how", ["code", "flipped", "tampered", "fifo"])
def test_planted_cache_entries_change_nothing(box: Sandbox, tmp_path: Path, how: str, planted_first_run: FilledCache) -> None:
    first = planted_first_run.into(box)
    entries = [p for p in (box.cache / "envelope").rglob("*") if p.is_file()]
    assert entries, "the first run left nothing in the cache"
    marker = tmp_path / "planted-marker"
    for entry in entries:
        if how == "fifo":  # reading it would block forever
            entry.unlink()
            os.mkfifo(entry)
        else:
            entry.write_bytes(_plant(entry, entry.read_bytes(), how, marker))
    second = box.run("eval", "s.yaml", "--format", "json")
    assert not marker.exists(), "unpickling a planted cache entry ran its code"
    assert_no_crash(second, (0,))
    assert second.stdout == first.stdout


def test_a_corrupt_pint_cache_is_not_read(box: Sandbox) -> None:
    """The report: a corrupt pint cache gave `UnpicklingError`. pint's own files, made by pint in this cache
    folder, each with a byte flipped, and a FIFO beside them: envelope answers as it does without them."""
    shutil.copy(SCENARIOS / "tour.yaml", box.dir / "tour.yaml")
    shutil.copy(SCENARIOS / "tour_base.yaml", box.dir / "tour_base.yaml")
    clean = box.run("eval", "tour.yaml", "--format", "json", env=box.env(XDG_CACHE_HOME=str(box.dir / "clean-cache")))
    assert_no_crash(clean, (0,))
    make = "import pint; pint.UnitRegistry(cache_folder=':auto:')"
    subprocess.run([sys.executable, "-c", make], env=box.env(), check=True, timeout=TIMEOUT, capture_output=True)
    made = [p for p in (box.cache / "pint").rglob("*") if p.is_file()]
    assert made, "pint wrote no cache here"
    for path in made:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    os.mkfifo(box.cache / "pint" / "pipe")
    run = box.run("eval", "tour.yaml", "--format", "json")
    assert_no_crash(run, (0,))
    assert run.stdout == clean.stdout


@pytest.fixture(scope="module")
def tour_first_run(tmp_path_factory: pytest.TempPathFactory) -> FilledCache:
    files = {name: (SCENARIOS / name).read_text(encoding="utf-8") for name in ("tour.yaml", "tour_base.yaml")}
    return fill_cache(tmp_path_factory.mktemp("tour"), files, "eval", "tour.yaml")


@pytest.mark.parametrize(
    "table",
    [
        "[]",
        "{}",
        '{"x": 1}',
        '"s"',
        "null",
        '{"names": []}',
        '{"names": {"s": 5}}',
        '{"names": {"s": [1, 2]}}',
        '{"names": {}, "roots": 5}',
        '{"names": {}, "roots": {"[time]": 5}}',
    ],
)
def test_unit_table_of_the_wrong_shape(box: Sandbox, table: str, tour_first_run: FilledCache) -> None:
    first = tour_first_run.into(box)
    tables = [p for p in (box.cache / "envelope").rglob("*.json")]
    if not tables:
        pytest.skip("no JSON unit table in the cache folder")
    for path in tables:
        path.write_text(table, encoding="utf-8")
    second = box.run("eval", "tour.yaml")
    assert_no_crash(second, (0,))
    assert second.out == first.out


# ------------------------------------------------------------------------------------- output files


@pytest.mark.parametrize(
    "args",
    [
        ["render", "n.md", "-o", "outdir"],
        ["render", "n.md", "-o", "missing/x.md"],
        ["check", "s.yaml", "--junit", "outdir"],
        ["check", "s.yaml", "--junit", "missing/x.xml"],
    ],
    ids=lambda a: " ".join(a),
)
def test_output_to_a_folder_or_a_missing_folder(box: Sandbox, args: list[str]) -> None:
    box.write("n.md", "# Notes\n\n```envelope\nqps = 2B user * 2 request/user/day -> request/s\n```\n")
    box.write("s.yaml", "name: t\ninputs:\n  a: 1\n")
    (box.dir / "outdir").mkdir()
    before = sorted(p.relative_to(box.dir) for p in box.dir.rglob("*"))
    run = box.run(*args)
    assert_invalid_argument(run, args[-1])
    after = sorted(p.relative_to(box.dir) for p in box.dir.rglob("*"))
    assert after == before, f"left behind: {sorted(set(after) - set(before))}"


NOTES = "# Notes\n\n```envelope\nqps = 2B user * 2 request/user/day -> request/s\n```\n"


def test_render_over_a_symlink_keeps_it(box: Sandbox) -> None:
    box.write("n.md", NOTES)
    real = box.write("real.md", "old\n")
    link = box.dir / "link.md"
    link.symlink_to("real.md")
    assert_no_crash(box.run("render", "n.md", "-o", "link.md"), (0,))
    assert link.is_symlink(), "the symlink was replaced by a file"
    assert "request/s" in real.read_text(encoding="utf-8")


def test_render_in_place_through_a_symlink_keeps_it(box: Sandbox) -> None:
    real = box.write("real.md", NOTES)
    link = box.dir / "link.md"
    link.symlink_to("real.md")
    assert_no_crash(box.run("render", "link.md"), (0,))
    assert link.is_symlink(), "the symlink was replaced by a file"
    assert "request/s" in real.read_text(encoding="utf-8").split("```", 2)[2]


def test_render_keeps_the_mode_of_the_output(box: Sandbox) -> None:
    box.write("n.md", NOTES)
    private = box.write("private.md", "old\n")
    private.chmod(0o600)
    assert_no_crash(box.run("render", "n.md", "-o", "private.md"), (0,))
    assert private.stat().st_mode & 0o777 == 0o600
    assert "request/s" in private.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "content, code", [("name: t\ninputs:\n  a: 1\n", 0), ("name: t\ninputs:\n  a: 1 zzz\n", 2)], ids=["valid", "invalid"]
)
@pytest.mark.parametrize("command", ["eval", "check-file", "check-folder"])
def test_file_name_that_is_not_utf8(box: Sandbox, content: str, code: int, command: str) -> None:
    name = os.fsdecode(b"\xff.yaml")
    (box.dir / "sub").mkdir()
    (box.dir / "sub" / name).write_text(content, encoding="utf-8")
    args = {"eval": ["eval", f"sub/{name}"], "check-file": ["check", f"sub/{name}"], "check-folder": ["check", "sub"]}
    run = box.run(*args[command])
    assert_no_crash(run, (code,))


# ------------------------------------------------------------------------------------------ git


def _git_repo(box: Sandbox, old: bytes) -> None:
    if shutil.which("git") is None:
        pytest.skip("no git")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    env = box.env(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run([*git, "init", "-q", "."], cwd=box.dir, env=env, check=True)
    (box.dir / "s.yaml").write_bytes(old)
    subprocess.run([*git, "add", "s.yaml"], cwd=box.dir, env=env, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "old"], cwd=box.dir, env=env, check=True)
    (box.dir / "s.yaml").write_text("name: t\ninputs:\n  a: 2\n", encoding="utf-8")


def test_diff_rev_of_a_non_utf8_version(box: Sandbox) -> None:
    _git_repo(box, b"name: t\ninputs:\n  a: 1  # caf\xe9\n")
    run = box.run("diff", "s.yaml", "--rev", "HEAD")
    assert_invalid_argument(run, "s.yaml")


def test_diff_rev_is_not_a_git_option(box: Sandbox) -> None:
    _git_repo(box, b"name: t\ninputs:\n  a: 1\n")
    victim = box.dir / "victim:." / "s.yaml"  # where `git show --output=victim:./s.yaml` writes
    victim.parent.mkdir()
    victim.write_text("precious\n", encoding="utf-8")
    run = box.run("diff", "s.yaml", "--rev=--output=victim")
    assert victim.read_text(encoding="utf-8") == "precious\n", "git wrote over a file named by --rev"
    assert_invalid_argument(run, "--output=victim")


# ---------------------------------------------------------------------------------- JSON, warnings


def test_json_stays_json_when_samples_divide_by_zero(box: Sandbox) -> None:
    box.write(
        "s.yaml",
        "name: t\ninputs:\n  a: uniform(0, 2)\nderived:\n  b: 1 / floor(a)\n  c: floor(a) / floor(a)\n"
        "  d: log(floor(a))\nbudgets:\n  b: <= 10\n",
    )

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    run = box.run("eval", "s.yaml", "--format", "json")
    assert_no_crash(run, (0, 1))
    json.loads(run.out, parse_constant=refuse)
    assert run.err == "", run.err
    table = box.run("eval", "s.yaml")
    assert_no_crash(table, (0, 1))
    assert table.err == "", table.err


# ------------------------------------------------------------------------------------------ odd inputs


def test_dimensionless_written_out(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 5 dimensionless\n")
    run = box.run("eval", "s.yaml")
    assert_no_crash(run, (0, 2))
    if run.code == 2:
        assert_invalid(run, "s.yaml")


def test_contradictory_correlations(box: Sandbox) -> None:
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 to 2\n  b: 1 to 2\ncorrelations:\n  [a, b]: 0.5\n  [b, a]: -0.2\n")
    assert_invalid(box.run("eval", "s.yaml"), "s.yaml")


# --------------------------------------------------------------------------------------- internal errors


def test_an_unexpected_exception_is_an_internal_error(box: Sandbox, tmp_path: Path) -> None:
    """A fault no input can cause (numpy fails to import): exit 3, one line saying 'internal error', no traceback."""
    fake = tmp_path / "fake-modules" / "numpy"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise RuntimeError('injected fault')\n", encoding="utf-8")
    box.write("s.yaml", "name: t\ninputs:\n  a: 1 to 2 gpu\n")
    run = box.run("eval", "s.yaml", env=box.env(PYTHONPATH=str(fake.parent)))
    assert "Traceback" not in run.out + run.err, run.why()
    assert run.code == 3, run.why()
    assert "internal error" in run.err.lower(), run.err


# ------------------------------------------------------------------------------------------ Python API


API_CASES = {
    "divide-by-zero": "name: t\ninputs:\n  a: 1/0\n",
    "min-one-argument": "name: t\ninputs:\n  a: 2\nderived:\n  b: min(a)\n",
    "largest-float": "name: t\ninputs:\n  a: 1.7976e308 gpu\n",
    "dimensionless": "name: t\ninputs:\n  a: 5 dimensionless\n",
    "wide-uniform": "name: t\ninputs:\n  a: uniform(-1.7e308 gpu, 1.7e308 gpu)\n",
    "negative-seed": "name: t\ninputs:\n  a: 1 to 2 gpu\nsettings: {seed: -1}\n",
}


@pytest.mark.parametrize("case", API_CASES)
def test_api_raises_only_envelope_errors(box: Sandbox, case: str) -> None:
    import calculator

    try:
        result = calculator.loads(API_CASES[case], "api.yaml").evaluate().result
        for value in result.values.values():
            assert isinstance(value.display, str)
    except calculator.EnvelopeError as error:
        assert error.location is not None and error.location.file == "api.yaml"


def test_loads_from_a_removed_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the fuzzer (its folder was replaced under it): `Path.cwd()` raised FileNotFoundError in loads."""
    import calculator

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = calculator.loads("name: t\ninputs:\n  a: 2 user\nderived:\n  b: a * 3\n", "s.yaml").evaluate().result
    assert result.values["b"].value == 6
    with pytest.raises(calculator.EnvelopeError) as caught:
        calculator.loads("name: t\nextends: base.yaml\ninputs:\n  a: 1\n", "s.yaml")
    assert caught.value.location is not None and (caught.value.location.file, caught.value.location.line) == ("s.yaml", 2)


def test_estimate_raises_only_envelope_errors(box: Sandbox) -> None:
    import calculator

    for text in ("1/0", "sqrt(-1)", "min(2)", "exp(1000)", "(-8)^(1/3)", "5 dimensionless"):
        with contextlib.suppress(calculator.EnvelopeError):
            calculator.estimate(text)


# -------------------------------------------------------------------------- found by the fuzzer (tests/fuzz)


FUZZER_FOUND = {
    "constant-exponent-overflow": ("inputs:\n  a: 3 s\nderived:\n  x: a ^ (10 ^ 400)\n", ["eval", "s.yaml"]),
    "nested-unit-power-overflow": ("inputs:\n  a: 2 s/((TB^2)^6)^2\n", ["eval", "s.yaml"]),
    "nested-unit-power-underflow": ("inputs:\n  a: 2 request/((TB^2)^-12)^2\n", ["eval", "s.yaml"]),
    "display-unit-power-overflow": ("inputs:\n  a: 2 request\nderived:\n  b: a -> req/((TB^12)^-12)\n", ["eval", "s.yaml"]),
    "sweep-from-a-subnormal": ("inputs:\n  a: 1\n", ["sweep", "s.yaml", "a", "1e-320", "1", "--steps", "3"]),
}


@pytest.mark.parametrize("case", FUZZER_FOUND)
def test_found_by_the_fuzzer(box: Sandbox, case: str) -> None:
    body, args = FUZZER_FOUND[case]
    box.write("s.yaml", "name: t\n" + body)
    run = box.run(*args)
    assert_no_crash(run)
    if run.code == 2 and args[0] == "eval":
        assert_invalid(run, "s.yaml")
