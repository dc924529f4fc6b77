"""The user's cache: where it is, and that nothing written into it can change an answer or run code.

Entries are JSON checked by a sha256, bound to the key of the input they were
computed from and sealed under a secret outside the cache
(calculator/common/cache.py); these tests plant what an attacker, a crash or
another branch's CI cache could leave there.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from calculator.common import cache
from calculator.common.errors import Location
from calculator.file import codec
from calculator.file.load import parse_yaml
from calculator.file.shapes import InputEntry, ScenarioFile, Settings
from tests.helpers import ROOT

TOUR = ROOT / "scenarios" / "tour.yaml"
OTHER = ROOT / "scenarios" / "tour_base.yaml"


def test_the_folder_is_platformdirs_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("envelope", appauthor=False)) == tmp_path / "envelope"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("envelope", appauthor=False))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG rule: only an absolute path counts
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("envelope", appauthor=False)) == Path.home() / ".cache/envelope"


def test_an_entry_reads_back_and_only_for_its_own_key():
    key, other = cache.cache_key("k", b"input a"), cache.cache_key("k", b"input b")
    cache.write_entry("k", key, {"x": [1, 2.5, "s", None]}, keep=10)
    assert cache.read_entry("k", key) == {"x": [1, 2.5, "s", None]}
    assert cache.read_entry("k", other) is None
    cache.entry_path("k", key).rename(cache.entry_path("k", other))  # a genuine entry under another input's name
    assert cache.read_entry("k", other) is None


def test_a_key_separates_its_parts():
    assert cache.cache_key("k", b"ab", b"c") != cache.cache_key("k", b"a", b"bc")
    assert cache.cache_key("k", b"x") != cache.cache_key("j", b"x")


def test_an_entry_with_its_checksum_recomputed_but_not_its_seal_is_a_miss():
    key = cache.cache_key("k", b"input")
    cache.write_entry("k", key, {"n": 1}, keep=10)
    path = cache.entry_path("k", key)
    forge(path, lambda payload: payload.replace(b"1", b"2"))
    assert json.loads(path.read_bytes().partition(b"\n")[2]) == {"n": 2}
    assert cache.read_entry("k", key) is None


def test_without_a_secret_nothing_is_read(private_cache):
    key = cache.cache_key("k", b"input")
    cache.write_entry("k", key, {"n": 1}, keep=10)
    secret = cache.state_dir() / "cache-secret"
    secret.write_bytes(os.urandom(32))  # another machine's secret, as with a cache restored from elsewhere
    cache._secret_at.cache_clear()
    assert cache.read_entry("k", key) is None


def forge(path: Path, change) -> None:
    """Change an entry's payload and recompute its sha256 as an attacker can (not its seal: that needs the secret)."""
    head, _, payload = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    payload = change(payload)
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    path.write_bytes(json.dumps(header).encode() + b"\n" + payload)


# --- codecs -----------------------------------------------------------------------------------------------------

TEXT = "name: c\nunits: [widget]\ninputs:\n  a: {value: 2 widget, note: x}\ncorrelations:\n  [a, b]: '0.5'\n"


def test_a_document_round_trips_with_tuple_keys_and_places():
    document = parse_yaml(TEXT, "c.yaml")
    back = codec.document_from_json(json.loads(json.dumps(codec.document_to_json(document))))
    assert back == document
    assert back.data["correlations"] == {("a", "b"): "0.5"}
    assert back.where("inputs", "a").line == 4


def packed(*numbers: int, code: str = "I") -> str:
    """A column as the format says: 'H' or 'I', then unsigned 16- or 32-bit little-endian numbers in hex."""
    return code + struct.pack(f"<{len(numbers)}{code}", *numbers).hex()


def unpacked(column: str) -> list[int]:
    raw = bytes.fromhex(column[1:])
    size = {"H": 2, "I": 4}[column[0]]
    return list(struct.unpack(f"<{len(raw) // size}{column[0]}", raw))


def test_a_document_packs_its_numbers_as_little_endian_columns():
    document = parse_yaml(TEXT, "c.yaml")
    payload = codec.document_to_json(document)
    span = unpacked(payload["spans"]["ids"]).index(payload["paths"].index(["name"]))
    assert unpacked(payload["spans"]["numbers"])[2 * span : 2 * span + 2] == [6, 7]  # name's value: 'c'
    assert {payload[table]["numbers"][0] for table in ("places", "text_places", "spans")} == {"H"}  # all below 65,536
    place = unpacked(payload["places"]["ids"]).index(payload["paths"].index(["inputs", "a"]))
    assert unpacked(payload["places"]["numbers"])[5 * place : 5 * place + 5] == [0, 4, 3, 4, 4]  # file 0, 4:3 to 4:4


def test_a_document_past_65535_characters_packs_32_bit_numbers_and_round_trips():
    text = "name: long\nunits: [widget]\ninputs:\n  a: {value: 1 widget, note: " + "x" * 70_000 + "}\n  c: 3 widget\n"
    document = parse_yaml(text, "long.yaml")
    payload = json.loads(json.dumps(codec.document_to_json(document)))
    assert payload["spans"]["numbers"][0] == "I" and max(unpacked(payload["spans"]["numbers"])) == len(text)  # the whole
    back = codec.document_from_json(payload)
    assert back == document and back.where("inputs", "c") == Location("long.yaml", 5, 3, 5, 4)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["places"].update(numbers="Hnot hex"),
        lambda p: p["places"].update(numbers="H" + p["places"]["numbers"][1:-2]),  # an odd number of bytes
        lambda p: p["places"].update(numbers="Q" + p["places"]["numbers"][1:]),  # not a code the encoder writes
        lambda p: p["places"].update(numbers=p["places"]["numbers"][:3] + " " + p["places"]["numbers"][3:]),  # a space
        lambda p: p["places"].update(numbers=packed(*unpacked(p["places"]["numbers"])[:-5])),  # a place short
        lambda p: p["places"].update(numbers=packed(7, *unpacked(p["places"]["numbers"])[1:])),  # no file 7
        lambda p: p["places"].update(ids=packed(len(p["paths"]), *unpacked(p["places"]["ids"])[1:])),  # no such path
        lambda p: p["places"].update(numbers=[0, 1, 1, 1, 2]),  # a JSON list, not a packed column
        lambda p: p["places"].update(folds=[[10_000, [0, 1, 1]]]),  # a fold for no place
        lambda p: p["spans"].update(numbers=packed(5, 4, *unpacked(p["spans"]["numbers"])[2:])),  # ends before it starts
        lambda p: p["data"]["dict"][0].__setitem__(1, 5),  # a number where text is
        lambda p: p["data"]["dict"].append(p["data"]["dict"][0]),  # 'name' twice
        lambda p: p["data"]["dict"][2][1]["dict"].append(["a", "x"]),  # 'a' twice among the inputs
        lambda p: p["data"]["dict"][2][1]["dict"][0][1]["dict"].append(["note", "y"]),  # twice in a dict of text
        lambda p: p.update(extra=1),
    ],
)
def test_a_document_not_as_the_encoder_writes_it_is_malformed(change):
    payload = json.loads(json.dumps(codec.document_to_json(parse_yaml(TEXT, "c.yaml"))))
    change(payload)
    with pytest.raises(codec.Malformed):
        codec.document_from_json(payload)


SCENARIO = ScenarioFile(
    name="s", tags=["t"], inputs={"a": "1 user", "b": InputEntry(value="2 user", note="n")}, settings=Settings(samples=1000)
)


def test_a_scenario_round_trips_through_the_shapes():
    assert codec.scenario_from_json(json.loads(json.dumps(codec.scenario_to_json(SCENARIO)))) == SCENARIO


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["fields"].update(name=3),  # a str field holding a number
        lambda p: p["fields"]["settings"]["fields"].update(samples=5),  # below Ge(100)
        lambda p: p["fields"]["settings"]["fields"].update(sig_figs=99),  # above Le(15)
        lambda p: p["fields"]["settings"]["fields"].update(seed="0"),  # an int field holding text
        lambda p: p["fields"].update(extra="x"),  # a field the shape does not have
        lambda p: p["fields"].pop("tags"),  # a field missing
        lambda p: p.update(shape="Settings"),  # another shape
        lambda p: p["fields"]["inputs"]["dict"].update(c={"shape": "os.system", "fields": {}}),  # a name that is no shape
        lambda p: p["fields"]["inputs"]["dict"].update(c=5),  # a number among the texts of a dict
        lambda p: p["fields"]["latency"]["dict"].update(path="a"),  # a text where only a latency path may be
    ],
)
def test_a_scenario_of_the_wrong_shape_is_malformed(change):
    payload = codec.scenario_to_json(SCENARIO)
    change(payload)
    with pytest.raises(codec.Malformed):
        codec.scenario_from_json(payload)


def test_a_scenario_must_say_what_its_data_says():
    data = {
        "name": "s",
        "tags": ["t"],
        "inputs": {"a": "1 user", "b": {"value": "2 user", "note": "n"}},
        "settings": {"samples": "1000"},
    }
    assert codec.matches(SCENARIO, data)
    assert not codec.matches(SCENARIO, {**data, "inputs": {"a": "9 user", "b": {"value": "2 user", "note": "n"}}})
    assert not codec.matches(SCENARIO, {**data, "settings": {"samples": "2000"}})
    assert not codec.matches(SCENARIO, {key: value for key, value in data.items() if key != "tags"})  # not a default


# --- reproducers: planted entries never change an answer -----------------------------------------------------------


def eval_json(path: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "calculator.cli.main", "eval", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


class Marker:
    """Unpickling this creates a file: proof that loading an entry ran code."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def shift_digits(payload: bytes) -> bytes:
    return payload.translate(bytes.maketrans(b"0123456789", b"1234567890"))


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def tour_first_run(tmp_path_factory):
    """One cold `eval` of the tour: the home it filled (cache and secret) and what it printed. Each case copies
    it, so the slow first run is made once, not once a case."""
    home = tmp_path_factory.mktemp("tour-home")
    first = eval_json(TOUR, {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "XDG_STATE_HOME": str(home / "state")})
    assert (home / "state" / "envelope" / "cache-secret").is_file()
    return home, first


@pytest.mark.parametrize("plant", ["pickle", "flipped byte", "number changed", "another input's entry"])
def test_a_planted_entry_never_changes_the_answer(plant, private_cache, tmp_path, tour_first_run):
    env = dict(os.environ)
    home, first = tour_first_run
    shutil.copytree(home / "cache", env["XDG_CACHE_HOME"], dirs_exist_ok=True)
    shutil.copytree(home / "state", env["XDG_STATE_HOME"], dirs_exist_ok=True)
    planted = entries(private_cache)
    assert {p.parent.name for p in planted} == {"documents", "validated", "units", "catalog"}
    marker = tmp_path / "marker"
    if plant == "another input's entry":  # genuine, sealed entries, for another scenario's input
        before = set(planted)
        eval_json(OTHER, {**env, "XDG_CACHE_HOME": str(tmp_path / "other")})
        foreign = {p.parent.name: p for p in entries(tmp_path / "other")}
    for path in planted:
        if plant == "pickle":
            path.write_bytes(pickle.dumps(Marker(marker)))
        elif plant == "flipped byte":
            flip_a_byte(path)
        elif plant == "number changed":
            forge(path, shift_digits)
        else:
            path.write_bytes(foreign[path.parent.name].read_bytes())
            assert path in before
    assert eval_json(TOUR, env) == first
    assert not marker.exists()
    assert eval_json(TOUR, env) == first  # and the entries written again are sound


def test_twenty_cold_evals_at_once_agree(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}
    command = [sys.executable, "-m", "calculator.cli.main", "eval", str(TOUR), "--format", "json"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(20)
    ]
    outcomes = [(run.wait(timeout=280), *run.communicate()) for run in runs]
    assert [code for code, _, _ in outcomes] == [0] * 20, [err for _, _, err in outcomes if err][:1]
    assert len({out for _, out, _ in outcomes}) == 1
    assert '"scenario": "Format tour"' in outcomes[0][1]
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.name.endswith("tmp")]
