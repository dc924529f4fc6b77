"""`envelope drill`: questions in dependency order, answers read as inputs are, scores by order of magnitude.

Every true value below is worked out by hand from the scenario's inputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import calculator
from calculator.analysis.drill import Drill, factor_off, grade_of, read_answer
from tests.helpers import ROOT

PHOTOS = """\
name: Photo upload
description: A photo-sharing service that keeps every upload for a year.
units: [photo]
inputs:
  users:
    value: 100M user
    note: daily active users
  uploads_per_user: 2 photo/user/day
  photo_size: 2 MB/photo
  retention: 365 day
  peak_to_average: 3
  network: 80 ms
  write: 30 ms
derived:
  upload_rate: users * uploads_per_user -> photo/s
  peak_upload_rate: upload_rate * peak_to_average
  ingest_bandwidth: peak_upload_rate * photo_size -> GB/s
  storage: users * uploads_per_user * photo_size * retention -> PB
  photos_per_day:
    formula: users * uploads_per_user -> photo/day
    drill: true
  thumbnails:
    formula: photos_per_day * 3 -> photo/day
    note: no budget and not marked for the drill
budgets:
  storage: <= 200 PB
  ingest_bandwidth: <= 20 GB/s
latency:
  upload:
    budget: 200 ms
    stages:
      network: network
      write: write
"""

UPLOAD_RATE = 100e6 * 2 / 86_400  # photo/s
PEAK_UPLOAD_RATE = UPLOAD_RATE * 3
INGEST_GB_S = PEAK_UPLOAD_RATE * 2e6 / 1e9
STORAGE_PB = 100e6 * 2 * 2e6 * 365 / 1e15


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    path = tmp_path / "photos.yaml"
    path.write_text(PHOTOS, encoding="utf-8")
    return path


def ticking_clock(step: float = 10.0):
    """A clock that moves `step` seconds each time it is read."""
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_questions_are_the_budgeted_and_marked_values_and_what_they_use_in_dependency_order(photos):
    drill = Drill(calculator.load(photos))
    assert [q.name for q in drill.questions] == [
        "upload_rate",
        "peak_upload_rate",
        "ingest_bandwidth",
        "storage",
        "photos_per_day",
    ]
    storage = drill.questions[3]
    assert storage.unit.text == "PB"
    assert storage.value == pytest.approx(STORAGE_PB)
    assert storage.budget == "<= 200 PB"


def test_a_count_keeps_the_targets_before_what_they_depend_on(photos):
    drill = Drill(calculator.load(photos), count=3)
    assert [q.name for q in drill.questions] == ["ingest_bandwidth", "storage", "photos_per_day"]


@pytest.mark.parametrize(
    ("answer", "factor"),
    [
        ("about 2.3k photo/s", UPLOAD_RATE / 2300),
        ("~2.3k photo/s", UPLOAD_RATE / 2300),
        ("roughly 200M photo/day", 1.0),  # another unit of the same dimension: converted
        ("2,315 photo/s", 2315 / UPLOAD_RATE),
        ("2315", 2315 / UPLOAD_RATE),  # a bare number is taken in the unit asked
        ("2k to 3k photo/s", (2000 * 3000) ** 0.5 / UPLOAD_RATE),  # an interval: its geometric middle
    ],
)
def test_an_answer_is_read_in_any_style_the_grammar_accepts(photos, answer, factor):
    model = calculator.load(photos)
    question = Drill(model).questions[0]
    reading = read_answer(model, question, answer)
    assert reading.problem is None
    assert factor_off(reading.base or 0.0, question.base) == pytest.approx(max(factor, 1 / factor), rel=1e-6)


def test_grades_by_order_of_magnitude():
    assert [grade_of(f) for f in (1.0, 2.0, 2.01, 10.0, 10.01, float("inf"))] == [
        "full",
        "full",
        "partial",
        "partial",
        "none",
        "none",
    ]
    assert factor_off(30, 10) == factor_off(10, 30) == pytest.approx(3)
    assert factor_off(-1, 10) == float("inf")


def test_a_scripted_session_right_three_times_off_a_hundred_times_off_and_the_wrong_dimension(photos):
    drill = Drill(calculator.load(photos), clock=ticking_clock())

    right = drill.answer("about 2.3k photo/s")
    assert (right.kind, right.grade, right.score) == ("scored", "full", 1.0)
    assert right.message[0] == "2.3k photo/s: 1.01× too low — full marks"
    assert right.message[1] == "true value: 2.31k photo/s"
    assert right.message[2] == "upload_rate = users * uploads_per_user -> photo/s"
    assert right.message[-1].strip() == "= 2.31k photo/s"

    three = drill.answer("21k photo/s")  # 3.02× the peak
    assert (three.grade, three.score) == ("partial", 0.5)
    assert three.factor == pytest.approx(21_000 / PEAK_UPLOAD_RATE)
    assert three.message[0] == "21k photo/s: 3× too high — half marks"
    # the value is proportional to every input it uses (elasticity +1), so each would have to be 3.02× larger
    # (21k / 6.94k = 3.024: 100M × 3.024 = 302M user, 2 × 3.024 = 6.05 photo/user/day; ties keep the file's order)
    assert [line for line in three.message if line.startswith("your answer follows if")] == [
        "your answer follows if users were 3× larger (100M user → 302M user); elasticity +1",
        "your answer follows if uploads_per_user were 3× larger (2 photo/user/day → 6.05 photo/user/day); elasticity +1",
    ]

    hundred = drill.answer("1.4 TB/s")  # 100.8× the ingest bandwidth
    assert (hundred.grade, hundred.score) == ("none", 0.0)
    assert hundred.factor == pytest.approx(1400 / INGEST_GB_S)
    assert hundred.message[0] == "1.4k GB/s: 100× too high — no marks"
    assert f"true value: {INGEST_GB_S:.3g} GB/s  (budget <= 20 GB/s)" == hundred.message[1]

    wrong = drill.answer("146B photo")
    assert wrong.kind == "retry"
    assert wrong.message == ["you gave a count of photos; the question asks for an amount of data (PB): try once more"]
    assert drill.current is not None and drill.current.name == "storage"  # asked again
    retried = drill.answer("150 PB")
    assert (retried.grade, retried.attempts) == ("full", 2)

    last = drill.answer("200M photo/day")
    assert last.grade == "full"
    assert drill.current is None

    assert drill.score == 3.5
    # the clock is read at the start and when each question is done (a retry is part of its question's time)
    assert drill.seconds == pytest.approx(50.0)
    assert [f.seconds for f in drill.feedback] == pytest.approx([10, 10, 10, 10, 10])
    assert [f.question.name for f in drill.misses()] == ["ingest_bandwidth", "peak_upload_rate"]

    summary = drill.summary()
    assert summary[0] == "score: 3.5 of 5 (70%)"
    assert summary[1] == "time: 50 s"
    assert "  ingest_bandwidth: 1.4 TB/s for 13.9 GB/s (100× too high)" in summary
    assert f"Does storage meet its budget (<= 200 PB)? yes: {STORAGE_PB:.3g} PB, 73% of the limit (ok)" in summary
    assert "Does the upload path meet its 200 ms budget? yes: 110 ms, 55% of it (ok)" in summary
    # tripled uploads break storage at 200/146 = 1.37× and ingest at 20/13.9 = 1.44× today
    assert summary[-1] == (
        "What breaks first if uploads_per_user triples (2 photo/user/day → 6 photo/user/day)?"
        " storage (at 1.4× today), then ingest_bandwidth (at 1.4× today)"
    )


def test_a_second_answer_of_the_wrong_kind_scores_nothing_and_shows_the_answer(photos):
    drill = Drill(calculator.load(photos), count=1)  # storage, the first budgeted value
    assert drill.answer("13 GB/s").kind == "retry"
    second = drill.answer("13 GB/s")
    assert (second.kind, second.grade, second.attempts) == ("scored", "none", 2)
    assert second.message[0] == "you gave data per second; the question asks for an amount of data (PB)"
    assert second.message[1] == "true value: 146 PB  (budget <= 200 PB)"
    assert second.to_dict()["factor"] is None


def test_a_rate_per_day_for_a_count_is_named_with_its_time_unit(photos):
    model = calculator.load(photos)
    storage = Drill(model).questions[3]
    assert read_answer(model, storage, "400 TB/day").problem == (
        "you gave data per day; the question asks for an amount of data (PB)"
    )
    unreadable = read_answer(model, storage, "3 petabananas")
    assert unreadable.problem is not None and "does not read as a quantity" in unreadable.problem
    assert "petabananas" in unreadable.problem


def test_reveal_shows_the_answer_unscored(photos):
    drill = Drill(calculator.load(photos), count=1)
    shown = drill.reveal()
    assert shown.kind == "revealed" and shown.grade is None
    assert shown.message[0] == "true value: 146 PB  (budget <= 200 PB)"
    assert drill.summary()[0] == "score: nothing scored"


def test_the_session_as_json_and_markdown(photos):
    drill = Drill(calculator.load(photos), count=2, clock=ticking_clock(5.0))
    drill.answer("14 GB/s")
    drill.answer("1.46 EB")  # 10× the storage
    data = drill.to_dict()
    assert set(data) == {"scenario", "file", "questions", "unanswered", "score", "max_score", "seconds", "budgets", "traffic"}
    assert data["scenario"] == "Photo upload"
    assert (data["score"], data["max_score"], data["seconds"]) == (1.5, 2.0, 10.0)
    first, second = data["questions"]
    assert set(first) == {
        "name",
        "unit",
        "answer",
        "answer_value",
        "true_value",
        "factor",
        "grade",
        "score",
        "seconds",
        "attempts",
        "revealed",
        "problem",
    }
    assert (first["name"], first["unit"], first["answer_value"], first["grade"]) == ("ingest_bandwidth", "GB/s", 14, "full")
    assert first["true_value"] == pytest.approx(INGEST_GB_S, rel=1e-5)
    assert second["factor"] == pytest.approx(1460 / STORAGE_PB, rel=1e-5) and second["grade"] == "partial"
    assert data["budgets"] == [
        {"name": "storage", "status": "ok", "utilization": pytest.approx(STORAGE_PB / 200)},
        {"name": "ingest_bandwidth", "status": "ok", "utilization": pytest.approx(INGEST_GB_S / 20)},
        {"name": "latency upload", "status": "ok", "utilization": pytest.approx(0.55)},
    ]
    markdown = drill._repr_markdown_()
    assert markdown.startswith("### Drill: Photo upload\n")
    assert "| storage | 1.46 EB | 146 PB | 10× too high | partial |" in markdown


def test_traffic_can_be_named_and_must_be_an_input(photos):
    model = calculator.load(photos)
    assert Drill(model, traffic="users").traffic_answer() == (
        "What breaks first if users triples (100M user → 300M user)?"
        " storage (at 1.4× today), then ingest_bandwidth (at 1.4× today)"
    )
    with pytest.raises(calculator.UsageError, match="'storage' is a derived value, not an input"):
        Drill(model, traffic="storage")


def test_drill_must_be_true_or_false(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ninputs:\n  a: 1 gpu\nderived:\n  b:\n    formula: a * 2\n    drill: often\n")
    with pytest.raises(calculator.EnvelopeError) as caught:
        calculator.load(path)
    assert caught.value.location is not None and caught.value.location.line == 7


# --- the command ---------------------------------------------------------------------------------------------------


def envelope(*arguments: str, answers: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "calculator.cli", *arguments],
        input=answers,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=environment,
        timeout=120,
    )


def test_the_command_with_scripted_answers(photos):
    run = envelope("drill", str(photos), answers="2.3k photo/s\n21k photo/s\n1.4 TB/s\n146B photo\n150 PB\n200M photo/day\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("Photo upload\n============\n\nA photo-sharing service that keeps every upload for a year.\n")
    assert "  users = 100M user  (daily active users)\n" in out
    assert "[1/5] upload_rate\n  in photo/s? 2.3k photo/s\n  2.3k photo/s: 1.01× too low — full marks\n" in out
    assert "  21k photo/s: 3× too high — half marks\n" in out
    assert "  1.4k GB/s: 100× too high — no marks\n" in out
    assert (
        "  in PB? 146B photo\n  you gave a count of photos; the question asks for an amount of data (PB):"
        " try once more\n\n[4/5] storage\n  in PB? 150 PB\n"
    ) in out
    assert "\nscore: 3.5 of 5 (70%)\n" in out
    assert re.search(r"\ntime: \d+ s\n", out)
    assert "storage (at 1.4× today), then ingest_bandwidth (at 1.4× today)" in out


def test_the_command_writes_the_session_as_json(photos):
    run = envelope("drill", str(photos), "--count", "1", "--format", "json", answers="14.6 EB\n")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [q["name"] for q in data["questions"]] == ["storage"]
    assert (data["questions"][0]["grade"], data["score"], data["max_score"]) == ("none", 0.0, 1.0)
    assert data["questions"][0]["factor"] == pytest.approx(14_600 / STORAGE_PB, rel=1e-5)
    assert data["questions"][0]["answer"] == "14.6 EB"
    assert "[1/1] storage" in run.stderr  # the conversation goes to standard error


def test_the_command_stops_when_the_answers_run_out(photos):
    run = envelope("drill", str(photos), answers="2.3k photo/s\n")
    assert run.returncode == 0
    assert "(no more answers: the drill stops here)\nscore: 1 of 1 (100%)\n" in run.stdout


def test_the_command_reveals(photos):
    run = envelope("drill", str(photos), "--reveal", "--count", "2")
    assert run.returncode == 0
    assert "  true value: 13.9 GB/s  (budget <= 20 GB/s)\n" in run.stdout
    assert "score: nothing scored" in run.stdout


def test_the_command_picks_from_a_folder_by_seed(tmp_path):
    (tmp_path / "photos.yaml").write_text(PHOTOS)
    (tmp_path / "base.yaml").write_text("name: a base with nothing to ask\ninputs:\n  a: 1 gpu\n")
    (tmp_path / "broken.yaml").write_text("name: broken\ninputs:\n  a: 1 bananas\n")
    runs = [envelope("drill", str(tmp_path), "--seed", str(seed), "--reveal", "--count", "1") for seed in (0, 1, 2)]
    assert all(run.returncode == 0 and run.stdout.startswith("Photo upload\n") for run in runs)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--count", "0"], "error: --count takes a number of questions, 1 or more, not 0"),
        (["--traffic", "nope"], "error: 'nope' is not an input of this scenario"),
    ],
)
def test_bad_options_exit_2(photos, arguments, message):
    run = envelope("drill", str(photos), *arguments)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_a_missing_file_or_a_folder_with_nothing_to_ask_exits_2(tmp_path):
    missing = envelope("drill", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml: error: no such file or folder" in missing.stderr
    (tmp_path / "plain.yaml").write_text("name: plain\ninputs:\n  a: 1 gpu\n")
    empty = envelope("drill", str(tmp_path))
    assert empty.returncode == 2
    assert "error: no scenario here has a budget or a `drill: true` value to ask about" in empty.stderr


# --- the README's transcript -----------------------------------------------------------------------------------------


def readme_transcript() -> tuple[list[str], str]:
    """The command and the output of the README's drill transcript."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- drill transcript -->\n```text\n(?P<body>.*?)```", readme, re.DOTALL)
    assert block, "README.md has no drill transcript"
    command, _, output = block.group("body").partition("\n")
    return command.removeprefix("$ ").split(), output


def test_the_readme_transcript_replays():
    command, output = readme_transcript()
    assert command[:2] == ["envelope", "drill"]
    answers = [line.partition("? ")[2] for line in output.splitlines() if re.match(r"  in .*\? ", line)]
    run = envelope(*command[1:], answers="".join(a + "\n" for a in answers))
    assert run.returncode == 0, run.stderr
    # the time taken is the one line that differs from run to run
    assert re.sub(r"time: \d+ s", "time: N s", run.stdout) == re.sub(r"time: \d+ s", "time: N s", output)


def test_dollars_are_usd_and_a_budget_broken_today_is_named(tmp_path):
    path = tmp_path / "cost.yaml"
    path.write_text(
        "name: cost\ninputs:\n  requests: 1M request/day\n  price: 2 USD/Mrequest\n"
        "  gpus: 10 gpu\nderived:\n  cost:\n    formula: requests * price * 30 day -> USD\n"
        "budgets:\n  cost: <= 100 USD\n  gpus: <= 8 gpu\n",
        encoding="utf-8",
    )
    model = calculator.load(path)
    drill = Drill(model)
    question = drill.questions[0]
    assert question.value == pytest.approx(1e6 * 2 / 1e6 * 30)  # 60 USD a month
    assert read_answer(model, question, "$60").base == pytest.approx(question.base)
    assert read_answer(model, question, "~$50").base == pytest.approx(question.base * 50 / 60)
    # 100 / 60 = 1.67× today's requests breaks the cost budget
    assert drill.traffic_answer() == (
        "What breaks first if requests triples (1M request/day → 3M request/day)?"
        " cost (at 1.7× today); already broken today: gpus"
    )


def test_a_fully_expanded_step_too_long_for_a_terminal_is_left_to_explain():
    drill = Drill(calculator.load(ROOT / "scenarios" / "llm_serving_l4.yaml"), count=3)  # replicas first
    lines = drill.reveal().message
    full = calculator.explain(drill.model, drill.questions[0].name).derivation_lines()
    assert any(len(line) > 200 for line in full)
    assert all(len(line) <= 200 for line in lines)
    assert lines[-2].endswith(f"(expanded in full: envelope explain FILE {drill.questions[0].name})")
    assert lines[-1] == full[-1]
