"""Saving edits: only the edited values change, atomically, never over a file changed on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import calculator
from tui.save import Conflict, Fingerprint, SavePlan, SaveRefused, plan_save, rewrite, write_atomically, write_plan
from tui.state import Workbench


def test_only_the_edited_values_change(small: Path):
    old = small.read_text(encoding="utf-8")
    new, changes = rewrite(old, {"users": "20M user", "requests_per_user": "50 request/user/day"})
    assert new == old.replace("10M user", "20M user").replace("20 request/user/day", "50 request/user/day")
    assert [(c.name, c.old, c.new) for c in changes] == [
        ("users", "10M user", "20M user"),
        ("requests_per_user", "20 request/user/day", "50 request/user/day"),
    ]


def test_flow_mapping_value_is_quoted_when_it_must_be(small: Path):
    old = small.read_text(encoding="utf-8")
    new, _ = rewrite(old, {"gpu_qps": "400 request/s/gpu"})
    assert new == old.replace("{ value: 500 request/s/gpu,", "{ value: 400 request/s/gpu,")
    text, _ = rewrite(old, {"gpu_qps": "400 request/s/gpu, oops"})
    assert '{ value: "400 request/s/gpu, oops",' in text


def test_quoted_scalars_keep_their_quotes():
    old = "name: q\ninputs:\n  a: '5 user'   # single\n  b: \"6 user\"\n"
    new, _ = rewrite(old, {"a": "7 user", "b": "8 user"})
    assert new == "name: q\ninputs:\n  a: '7 user'   # single\n  b: \"8 user\"\n"


def test_an_inherited_input_is_added_to_this_files_inputs(tour: Path):
    base = tour.with_name("tour_base.yaml")
    base_before = base.read_bytes()
    old = tour.read_text(encoding="utf-8")
    plan = plan_save(tour, {"dau": "80M user"}, Fingerprint.of(tour))
    assert plan.changes[0].old is None
    assert plan.new_text.replace("\n  dau: 80M user", "", 1) == old
    assert "  bytes_per_param:\n    value: 2 byte/param\n    note: bf16 weights\n  dau: 80M user\n" in plan.new_text
    write_plan(plan)
    assert base.read_bytes() == base_before
    model = calculator.load(tour)
    assert next(v.text for v in model.scenario.inputs if v.name == "dau") == "80M user"


def test_a_file_without_inputs_gets_a_section(tmp_path: Path):
    base = tmp_path / "base.yaml"
    base.write_text("name: base\ninputs:\n  n: 5 user\nderived:\n  m: n * 2\n", encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: base.yaml  # reuse\n", encoding="utf-8")
    plan = plan_save(child, {"n": "7 user"}, None)
    assert plan.new_text == "name: child\nextends: base.yaml  # reuse\ninputs:\n  n: 7 user\n"


def test_a_value_that_would_not_load_is_refused(small: Path):
    with pytest.raises(SaveRefused):
        plan_save(small, {"users": "10M byte"}, None)


def test_conflict_when_the_file_changed_since_loaded(small: Path):
    loaded = Fingerprint.of(small)
    small.write_text(small.read_text(encoding="utf-8") + "# edited elsewhere\n", encoding="utf-8")
    with pytest.raises(Conflict):
        plan_save(small, {"users": "20M user"}, loaded)


def test_conflict_between_preview_and_write(small: Path):
    plan = plan_save(small, {"users": "20M user"}, Fingerprint.of(small))
    small.write_text(small.read_text(encoding="utf-8") + "# edited elsewhere\n", encoding="utf-8")
    with pytest.raises(Conflict):
        write_plan(plan)
    assert small.read_text(encoding="utf-8").endswith("# edited elsewhere\n")


def test_write_is_atomic_and_keeps_the_mode(small: Path):
    os.chmod(small, 0o640)
    write_atomically(small, "name: x\n")
    assert small.read_text(encoding="utf-8") == "name: x\n"
    assert small.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in small.parent.iterdir()] == ["small.yaml"]


def test_a_save_through_a_symlink_and_of_a_hard_linked_file_keeps_both(small: Path):
    """The report: the TUI's save replaced a symlink with a plain file and broke hard links."""
    real = small.with_name("real.yaml")
    small.rename(real)
    small.symlink_to(real.name)
    twin = small.with_name("twin.yaml")
    os.link(real, twin)
    plan = plan_save(small, {"users": "30M user"}, Fingerprint.of(small))
    write_plan(plan)
    assert small.is_symlink() and os.readlink(small) == "real.yaml"
    assert "users: 30M user" in twin.read_text(encoding="utf-8") == real.read_text(encoding="utf-8")
    assert real.stat().st_ino == twin.stat().st_ino
    assert sorted(p.name for p in small.parent.iterdir()) == ["real.yaml", "small.yaml", "twin.yaml"]


def test_a_crash_mid_save_leaves_the_old_file(small: Path, monkeypatch: pytest.MonkeyPatch):
    before = small.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomically(small, "name: half written\n")
    assert small.read_bytes() == before
    assert [p.name for p in small.parent.iterdir()] == ["small.yaml"]


def test_windows_line_endings_are_kept(tmp_path: Path):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"name: c\r\ninputs:\r\n  a: 5 user\r\n")
    plan = plan_save(path, {"a": "6 user"}, None)
    assert plan.new_text == "name: c\r\ninputs:\r\n  a: 6 user\r\n"
    assert "-  a: 5 user" in plan.diff() and "+  a: 6 user" in plan.diff()


def test_a_read_only_file_is_refused_with_a_message(small: Path):
    before = small.read_bytes()
    os.chmod(small, 0o444)
    with pytest.raises(calculator.EnvelopeError, match="file is read-only") as caught:
        write_atomically(small, "name: x\n")
    assert isinstance(caught.value, OSError)  # the app's save shows any OSError as "not saved: <why>"
    assert small.read_bytes() == before
    assert [p.name for p in small.parent.iterdir()] == ["small.yaml"]


def _replaced_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _edited(path: Path, edits: dict[str, str]) -> SavePlan:
    """Edits made on a Workbench (as the app makes them), then planned and written as the app saves."""
    workbench = Workbench(calculator.load(path))
    for name, text in edits.items():
        assert workbench.set(name, text)
    plan = plan_save(path, {name: edit.text for name, edit in workbench.edits.items()}, Fingerprint.of(path))
    write_plan(plan)
    return plan


def test_a_save_of_the_tour_changes_only_the_edited_spans(tour: Path):
    old = tour.read_text(encoding="utf-8")
    base_before = tour.with_name("tour_base.yaml").read_bytes()
    _edited(tour, {"utilization": "35%", "model_params": "100M to 900M param", "retention": "30 day"})
    expected = _replaced_once(old, "    value: 40%\n", "    value: 35%\n")
    expected = _replaced_once(expected, "value: 200M to 800M param\n", "value: 100M to 900M param\n")
    expected = _replaced_once(expected, "value: 90 day\n", "value: 30 day\n")
    assert tour.read_bytes() == expected.encode("utf-8")  # comments, flow budgets, quoted notes: every other byte
    assert tour.with_name("tour_base.yaml").read_bytes() == base_before
    view = calculator.load(tour).view()
    assert {v.name: v.text for v in view.inputs if v.name in ("utilization", "model_params", "retention")} == {
        "utilization": "35%",
        "model_params": "100M to 900M param",
        "retention": "30 day",
    }


def test_a_save_into_a_flow_mapping_changes_only_its_value(tmp_path: Path):
    path = tmp_path / "flow.yaml"
    old = "name: f   # flow\ninputs:\n  latency: { value: 2 ms, note: x }\n  calls: 3\nderived:\n  total: latency * calls\n"
    path.write_text(old, encoding="utf-8")
    _edited(path, {"latency": "2.5 ms"})
    assert path.read_text(encoding="utf-8") == old.replace("{ value: 2 ms, note: x }", "{ value: 2.5 ms, note: x }")
    assert calculator.evaluate(str(path)).values["total"].base == pytest.approx(2.5e-3 * 3)


def test_a_save_that_needs_quoting_quotes(tmp_path: Path):
    path = tmp_path / "minus.yaml"
    old = "name: m\ninputs:\n  change: { value: 5 user, note: x }\n"
    path.write_text(old, encoding="utf-8")
    _edited(path, {"change": "-5 user"})  # a leading '-' is a YAML indicator: written quoted
    assert path.read_text(encoding="utf-8") == old.replace("value: 5 user,", 'value: "-5 user",')
    assert calculator.evaluate(str(path)).values["change"].base == -5
