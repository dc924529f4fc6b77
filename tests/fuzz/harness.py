"""The property every fuzz target checks, and a collecting mode for long sessions.

`only_envelope_errors(what, run)`: `run()` may return or raise `calculator.EnvelopeError`; anything else
fails the example (Hypothesis then shrinks it to a minimal reproducer). With ENVELOPE_FUZZ_COLLECT=FILE
a crash is appended to FILE as one JSON line (type, message, where it was raised, the input) instead, once
per distinct (type, place) with the shortest input seen, so one session finds every distinct crash.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import calculator

COLLECT = os.environ.get("ENVELOPE_FUZZ_COLLECT")
PROFILE = os.environ.get("ENVELOPE_FUZZ_PROFILE", "ci")
EXAMPLE_SECONDS = float(os.environ.get("ENVELOPE_FUZZ_EXAMPLE_SECONDS", "10" if PROFILE == "ci" else "20"))
# The wall-clock guard (a blocked read) is this many times the CPU one; a long session that is paused now and
# then (SIGSTOP while the machine measures something else) sets it high, or every paused example is a "hang".
WALL_FACTOR = float(os.environ.get("ENVELOPE_FUZZ_WALL_FACTOR", "10"))
ENVELOPE = [sys.executable, "-m", "calculator.cli"]
# A new process an example costs ~1-5 s of start-up on a shared machine, so 10,000 CLI examples would take
# hours: the long profile calls the CLI's `main(argv)` in this process (the same edge: argument parsing,
# every command, the exit codes, the internal-error line), the ci profile starts a real process each time.
IN_PROCESS = os.environ.get("ENVELOPE_FUZZ_CLI", "process" if PROFILE == "ci" else "inprocess") == "inprocess"
PROGRESS = os.environ.get("ENVELOPE_FUZZ_PROGRESS")
_seen: dict[str, int] = {}
_counts: dict[str, int] = {}
_started = time.monotonic()


class Hang(BaseException):
    """An example used more than EXAMPLE_SECONDS of CPU, or blocked for WALL_FACTOR times that."""


@contextmanager
def time_limit(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """A hang guard on the example's CPU time (SIGPROF: on a starved, shared machine a wall-clock limit fires
    on examples that are only waiting for a core), and on WALL_FACTOR times that in wall time for a blocked read."""

    def expire(signum: int, frame: Any) -> None:
        kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
        raise Hang(f"took more than {seconds * (1 if signum == signal.SIGPROF else WALL_FACTOR):g} s of {kind} time")

    # pytest-timeout may have its own SIGALRM timer running: it is put back, less the time spent here
    previous_alarm = signal.signal(signal.SIGALRM, expire)
    previous_prof = signal.signal(signal.SIGPROF, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous_prof)
        signal.signal(signal.SIGALRM, previous_alarm)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


def _place(error: BaseException) -> str:
    """Where an exception was raised: the innermost frame in envelope's code, else the innermost frame."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/calculator/" in f.filename or f.filename.startswith("<scenario")]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return "?"
    return f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"


def record(target: str, kind: str, message: str, where: str, example: Any) -> None:
    """Keep one crash of a kind and place: the first, or a shorter input than the one kept."""
    signature = f"{target} | {kind} | {where}"
    size = len(repr(example))
    if signature in _seen and _seen[signature] <= size:
        return
    _seen[signature] = size
    assert COLLECT is not None
    with open(COLLECT, "a", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {"target": target, "type": kind, "message": message[:300], "where": where, "input": example}, ensure_ascii=False
            )
            + "\n"
        )


def count(target: str) -> None:
    """With ENVELOPE_FUZZ_PROGRESS=FILE, a line `target cases seconds` every 100 cases of a target: a long
    session shows how far it got even if it is stopped before Hypothesis prints its statistics."""
    _counts[target] = _counts.get(target, 0) + 1
    if PROGRESS and _counts[target] % 100 == 0:
        with open(PROGRESS, "a", encoding="utf-8") as out:
            out.write(f"{target}\t{_counts[target]}\t{time.monotonic() - _started:.0f}\t{os.getpid()}\n")


def only_envelope_errors(target: str, example: Any, run: Callable[[], object]) -> None:
    """Run `run`; only an EnvelopeError (with a message) may come out of it."""
    count(target)
    try:
        with time_limit():
            run()
    except calculator.EnvelopeError as error:
        assert error.message, "an EnvelopeError without a message"
    except (Exception, Hang) as error:
        if COLLECT is None:
            raise
        record(target, type(error).__name__, str(error), _place(error), example)


def cli_ok(target: str, example: Any, args: Sequence[str], cwd: Path, timeout: float = 60) -> None:
    """`envelope ARGS` exits 0, 1 or 2 with no traceback and no internal error."""
    count(target)
    code, out, err = _run_in_process(args, cwd) if IN_PROCESS else _run_process(args, cwd, timeout)
    problem = None
    if "Traceback" in out + err or code not in (0, 1, 2) or "internal error" in err.lower():
        last = next((line for line in reversed(err.splitlines()) if line.strip()), "")
        problem = f"exit {code}: {last}"
    if problem is None:
        return
    if COLLECT is None:
        raise AssertionError(f"envelope {' '.join(args)}: {problem}\n{err[-2000:]}")
    kind = re.match(r"exit -?\d+: (\w+)", problem)
    frames = re.findall(r'File "([^"]*)", line (\d+), in (\S+)', err)
    ours = [f for f in frames if "/calculator/" in f[0] or f[0].startswith("<scenario")] or frames
    where = f"{Path(ours[-1][0]).name}:{ours[-1][1]} {ours[-1][2]}" if ours else "?"
    record(target, kind.group(1) if kind else problem, problem, where, example)


def _run_process(args: Sequence[str], cwd: Path, timeout: float) -> tuple[int, str, str]:
    """`envelope ARGS` as a new process: its exit code, stdout and stderr."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    env["COLUMNS"] = "120"
    try:
        done = subprocess.run(
            [*ENVELOPE, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"Hang: envelope {' '.join(args)} took more than {timeout:g} s"
    return done.returncode, done.stdout, done.stderr


def _run_in_process(args: Sequence[str], cwd: Path) -> tuple[int, str, str]:
    """`main(args)` in `cwd` with its streams captured (ENVELOPE_DEBUG=1: an internal error's frames)."""
    from calculator.cli.main import main  # the CLI module is only needed by this mode

    out, err = io.StringIO(), io.StringIO()
    here, debug = os.getcwd(), os.environ.get("ENVELOPE_DEBUG")
    os.environ["ENVELOPE_DEBUG"] = "1"
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit():
            code = main(list(args))
    except Hang:
        code = -1
        err.write(f"Hang: envelope {' '.join(args)} took more than {EXAMPLE_SECONDS:g} s")
    except SystemExit as stop:  # argparse's own exit for a bad option
        code = stop.code if isinstance(stop.code, int) else 2
    finally:
        os.chdir(here)
        if debug is None:
            os.environ.pop("ENVELOPE_DEBUG", None)
        else:
            os.environ["ENVELOPE_DEBUG"] = debug
    return code, out.getvalue(), err.getvalue()
