"""The catalog: every shipped entry sourced and dated, figures recomputed independently,
entries of any kind bound by name as people type them, and the user's own catalog files."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
import yaml

import calculator
from calculator.catalog.entries import CATALOG_DIR, build_shipped, catalog
from calculator.catalog.snapshot import catalog_from_json, catalog_to_json
from calculator.cli.main import main
from calculator.file.codec import Malformed
from tests.helpers import evaluate

ISSUE_IDS = {
    "gpu": [
        "H100-SXM",
        "H100-PCIe",
        "H100-NVL",
        "H200",
        "B200",
        "GB200",
        "A100-80GB",
        "A100-40GB",
        "L40S",
        "L4",
        "A10G",
        "T4",
        "MI300X",
        "MI325X",
        "TPU-v5e",
        "TPU-v5p",
        "TPU-v6e",
    ],
    "interconnect": [
        "NVLink-4",
        "NVLink-5",
        "PCIe-Gen4-x16",
        "PCIe-Gen5-x16",
        "InfiniBand-NDR",
        "InfiniBand-XDR",
        "100GbE",
        "400GbE",
    ],
    "instance": [
        "p5.48xlarge",
        "p5e.48xlarge",
        "p4d.24xlarge",
        "p4de.24xlarge",
        "p6-b200.48xlarge",
        "g6.xlarge",
        "g6.12xlarge",
        "g6.48xlarge",
        "g5.xlarge",
        "g4dn.xlarge",
        "v5litepod-8",
        *(f"{family}.{size}" for family in ("c7i", "m7i", "r7i", "c7g") for size in ("large", "xlarge", "4xlarge")),
    ],
    "storage": ["S3-Standard", "S3-Standard-IA", "S3-Glacier-Flexible", "EBS-gp3", "EBS-io2", "Local-NVMe"],
    "service": ["ElastiCache-Serverless", "DynamoDB-On-Demand", "Egress-Internet", "Cross-AZ"],
    "llm": ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "Llama-3.3-70B", "Qwen2.5-72B", "Mixtral-8x7B", "DeepSeek-V3"],
    "encoder": ["BERT-base", "BERT-large", "DistilBERT", "CLIP-ViT-B-16-text", "CLIP-ViT-B-16-image", "ResNet-50", "ViT-B-16"],
}


def raw(kind: str) -> dict[str, dict]:
    """A kind's entries as PyYAML reads the file: a second reader, not envelope's."""
    for path in CATALOG_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data["kind"] == kind:
            return data["entries"]
    raise KeyError(kind)


def number(text: object) -> float:
    """The number at the front of a figure written '55.04 USD/hour' (or a bare number)."""
    value = text["value"] if isinstance(text, dict) else text
    return float(str(value).split()[0])


def bound(hardware: str, derived: str, files: str = "") -> calculator.Result:
    return evaluate(f"name: t\n{files}hardware: {hardware}\ninputs:\n  one: 1\nderived:\n{derived}")


@pytest.mark.parametrize("kind", ISSUE_IDS)
def test_every_entry_the_issue_lists_is_there_with_sources_and_dates(kind):
    entries = catalog().entries
    for entry_id in ISSUE_IDS[kind]:
        assert entries[entry_id].kind == kind
    for entry_id, entry in raw(kind).items():
        for name, figure in entry["fields"].items():
            source = figure.get("source") if isinstance(figure, dict) else None
            assert (source or entry["source"]).startswith("https://"), (entry_id, name)
            as_of = figure.get("as_of") if isinstance(figure, dict) else None
            assert isinstance(as_of or entry["as_of"], dt.date), (entry_id, name)


def test_every_shipped_figure_evaluates_through_a_binding():
    for entry in catalog().entries.values():
        derived = "".join(f"  f_{name}: x.{name}\n" for name in entry.figures)
        result = bound(f"{{x: {entry.id}}}", derived)
        for name in entry.figures:
            base = result.values[f"f_{name}"].base
            assert base >= 0 and base == base + 0.0 and base != float("inf"), (entry.id, name)  # a real, finite figure


def test_kv_cache_per_token_of_llama_405b_from_its_catalog_fields():
    result = bound("{llm: Llama-3.1-405B}", "  kv_per_token: 2 * llm.layers * llm.kv_heads * llm.head_dim * 2 byte -> byte\n")
    assert result.values["kv_per_token"].value == 126 * 8 * 128 * 2 * 2 == 516_096


def test_an_8_gpu_instance_costs_its_hourly_price_over_8_per_gpu():
    eights = {i: e for i, e in raw("instance").items() if e["fields"].get("gpus") == "8 gpu"}
    assert {"p5.48xlarge", "p4d.24xlarge", "g6.48xlarge", "p6-b200.48xlarge"} <= set(eights)
    for instance_id, entry in eights.items():
        result = bound(f"{{server: {instance_id}}}", "  per_gpu: server.hourly_price / server.gpus -> USD/hour/gpu\n")
        assert result.values["per_gpu"].value == pytest.approx(number(entry["fields"]["hourly_price"]) / 8)
    g6 = bound("{server: g6.48xlarge}", "  per_gpu: server.hourly_price / server.gpus -> USD/hour/gpu\n")
    assert g6.values["per_gpu"].value == pytest.approx(13.3504 / 8)  # the issue's $1.67, not g6.xlarge's $0.80


def test_dense_llm_parameter_counts_recomputed_from_their_architecture():
    for model_id in ("Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "Llama-3.3-70B", "Qwen2.5-72B"):
        f = {k: number(v) for k, v in raw("llm")[model_id]["fields"].items()}
        d, kv = f["hidden_size"], f["kv_heads"] * f["head_dim"]
        attention = 2 * d * d + 2 * d * kv + (d + 2 * kv if model_id.startswith("Qwen") else 0)  # Qwen: QKV biases
        layer = attention + 3 * d * f["ffn_size"] + 2 * d
        total = f["layers"] * layer + 2 * f["vocab"] * d + d  # input embedding, untied head, final norm
        assert f["params"] == total, model_id
        assert f["embedding_params"] == f["vocab"] * d
        assert f["active_params"] == f["params"]


def test_mixtral_total_and_active_parameters_recomputed():
    f = {k: number(v) for k, v in raw("llm")["Mixtral-8x7B"]["fields"].items()}
    d = f["hidden_size"]
    attention = 2 * d * d + 2 * d * f["kv_heads"] * f["head_dim"]
    expert = 3 * d * f["ffn_size"]
    shared = f["layers"] * (attention + d * f["experts"] + 2 * d) + 2 * f["vocab"] * d + d
    assert f["params"] == shared + f["layers"] * f["experts"] * expert
    assert f["active_params"] == shared + f["layers"] * f["experts_per_token"] * expert


def test_encoders_split_their_parameters_and_count_no_flops_for_lookups():
    for encoder_id, entry in raw("encoder").items():
        f = {k: number(v) for k, v in entry["fields"].items()}
        assert f["params"] == f["embedding_params"] + f["non_embedding_params"], encoder_id
    bert = {k: number(v) for k, v in raw("encoder")["BERT-base"]["fields"].items()}
    assert bert["params"] == 109_482_240  # the published bert-base-uncased count
    assert bert["flops_per_token"] == 2 * 12 * (4 * 768**2 + 2 * 768 * 3072)  # the layers' matmuls, no lookup
    assert bert["flops_per_token"] < 2 * bert["params"]


def test_deepseek_v3_mla_dims_give_its_latent_kv_cache():
    result = bound("{llm: DeepSeek-V3}", "  kv: llm.layers * (llm.kv_lora_rank + llm.qk_rope_head_dim) * 2 byte -> byte\n")
    assert result.values["kv"].value == 61 * (512 + 64) * 2
    assert catalog().entries["DeepSeek-V3"].labels["attention"].text == "MLA"


def test_bindings_of_any_kind_read_by_formulas():
    result = bound(
        "{gpu: H100-SXM, llm: Llama-3.1-70B, server: p5.48xlarge}",
        "  kv_heads: llm.kv_heads\n  gpus: server.gpus\n  price: server.hourly_price -> USD/hour\n"
        "  fleet_memory: server.gpus * gpu.memory -> GB\n",
    )
    assert result.values["kv_heads"].value == 8
    assert result.values["gpus"].base == 8
    assert result.values["price"].value == pytest.approx(55.04)
    assert result.values["fleet_memory"].value == pytest.approx(8 * 80)


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("h100-sxm", "H100-SXM"),
        ("H100 SXM", "H100-SXM"),
        ("h200", "H200"),
        ("Trillium", "TPU-v6e"),
        ("tpu v5e", "TPU-v5e"),
        ("LLAMA-3.1-8b", "Llama-3.1-8B"),
    ],
)
def test_names_as_people_type_them(typed, meant):
    result = bound(f"{{x: {typed}}}", "  memory_or_layers: one\n")
    assert result.scenario == "t"
    model = calculator.loads(f"name: t\nhardware: {{x: {typed}}}\ninputs:\n  one: 1\n", "<test>")
    assert model.scenario.hardware["x"].id == meant


def test_an_ambiguous_name_lists_the_candidates_where_it_is_written(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nhardware:\n  gpu: H100\ninputs:\n  one: 1\n")
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:8: error: 'H100' is ambiguous: it could be H100-SXM, H100-PCIe, H100-NVL" in err
    assert "H200" not in err
    path.write_text("name: t\nhardware:\n  gpu: A100\ninputs:\n  one: 1\n")
    assert main(["eval", str(path)]) == 2
    assert "it could be A100-80GB, A100-40GB" in capsys.readouterr().err


def test_a_text_field_read_by_a_formula_is_a_located_error(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nhardware: {llm: Llama-3.1-8B}\ninputs:\n  one: 1\nderived:\n  a: llm.attention\n")
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6:10: error: llm.attention is text ('GQA'), not a number" in err
    assert "hint: formulas read numeric fields:" in err


def test_only_prices_go_stale():
    cat = catalog()
    later = dt.date(2030, 1, 1)
    assert cat.entries["p5.48xlarge"].figures["hourly_price"].stale(later)
    assert cat.reference["egress_price"].stale(later)
    assert not cat.entries["p5.48xlarge"].figures["memory"].stale(later)
    assert not cat.entries["Llama-3.1-405B"].figures["layers"].stale(later)
    assert not cat.reference["disk_seek"].stale(later)


# -- the user's own figures --------------------------------------------------------

MINE = """\
kind: gpu
entries:
  H100-SXM:
    source: https://example.com/our-contract
    as_of: 2026-11-01
    fields:
      hourly_price: 2 USD/hour/gpu
  Our-Accelerator:
    description: the in-house card
    source: https://example.com/bench
    as_of: 2026-10-01
    fields:
      bf16_flops: 100 TFLOPS/gpu
"""
COST = "  cost: gpu.hourly_price * 8 gpu * 730 hour -> USD\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_user_catalog_adds_and_overrides_entries(tmp_path, capsys):
    write(tmp_path, "team/figures.yaml", MINE)
    scenario = write(
        tmp_path,
        "s.yaml",
        "name: t\ncatalog: [team/figures.yaml]\n"
        "hardware: {gpu: H100-SXM, mine: our-accelerator}\ninputs:\n  one: 1\nderived:\n"
        + COST
        + "  flops: mine.bf16_flops -> TFLOPS/gpu\n"
        "  memory: gpu.memory -> GB/gpu\n",
    )
    result = calculator.load(scenario).evaluate().result
    assert result.values["cost"].value == pytest.approx(2 * 8 * 730)  # shipped: 6.88 * 8 * 730
    assert result.values["flops"].value == pytest.approx(100)
    assert result.values["memory"].value == pytest.approx(80)  # a figure the file does not give stays shipped
    assert main(["eval", str(scenario), "--format", "json"]) == 0
    overrides = json.loads(capsys.readouterr().out)["catalog_overrides"]
    assert overrides == [f"H100-SXM: hourly_price from {tmp_path / 'team/figures.yaml'} (overriding the shipped figures)"]
    assert main(["eval", str(scenario)]) == 0
    assert "overridden catalog entry H100-SXM" in capsys.readouterr().out


def test_catalog_files_are_relative_to_the_file_that_names_them_and_inherited(tmp_path):
    write(tmp_path, "base/figures.yaml", MINE)
    write(tmp_path, "base/base.yaml", "name: base\ncatalog: [figures.yaml]\ninputs:\n  one: 1\n")
    child = write(tmp_path, "child.yaml", "name: c\nextends: base/base.yaml\nhardware: {gpu: H100-SXM}\nderived:\n" + COST)
    assert calculator.load(child).evaluate().result.values["cost"].value == pytest.approx(2 * 8 * 730)


def test_the_catalog_option_adds_a_file_on_every_command(tmp_path, capsys):
    figures = write(tmp_path, "figures.yaml", MINE)
    scenario = write(tmp_path, "s.yaml", "name: t\nhardware: {gpu: H100-SXM}\ninputs:\n  one: 1\nderived:\n" + COST)
    assert main(["eval", str(scenario), "--format", "json", "--catalog", str(figures)]) == 0
    assert json.loads(capsys.readouterr().out)["values"]["cost"]["value"] == pytest.approx(11680)
    assert main(["eval", str(scenario), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["values"]["cost"]["value"] == pytest.approx(6.88 * 8 * 730)
    assert main(["check", str(scenario), "--catalog", str(figures)]) == 0
    assert main(["explain", str(scenario), "cost", "--catalog", str(figures)]) == 0
    assert "11680" in capsys.readouterr().out.replace(",", "").replace("11.7k", "11680")
    assert main(["catalog", "H100-SXM", "--catalog", str(figures), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["overridden"] == ["hourly_price"] and shown["fields"]["hourly_price"]["value"] == "2 USD/hour/gpu"
    assert main(["catalog", "gpu", "--catalog", str(figures)]) == 0
    listing = capsys.readouterr().out
    assert "overridden by" in listing and "Our-Accelerator" in listing


@pytest.mark.parametrize(
    "text, line, col, message",
    [
        (
            "kind: gpu\nentries:\n  X:\n    source: https://e.com\n    fields:\n      memory: 1 GB\n",
            6,
            15,
            "a catalog figure needs a value, a source and an as_of date (missing: as_of)",
        ),
        (
            "kind: gpu\nentries:\n  X:\n    source: https://e.com\n    as_of: 2026-01-01\n    feilds: {}\n",
            6,
            5,
            "unknown key 'feilds' in a catalog entry",
        ),
        (
            "kind: instance\nlinks: {gpu: gpu}\nentries:\n  box:\n    source: https://e.com\n    as_of: 2026-01-01\n"
            "    labels: {gpu: H999}\n    fields: {gpus: 1 gpu}\n",
            7,
            19,
            "box's gpu 'H999' is not a gpu entry",
        ),
        (
            "kind: gpu\nentries:\n  X:\n    source: https://e.com\n    as_of: soon\n    fields: {memory: 1 GB}\n",
            6,
            22,
            "'soon' is not a date",
        ),
        (
            "kind: llm\nentries:\n  H100-SXM:\n    source: https://e.com\n    as_of: 2026-01-01\n    fields: {layers: 1}\n",
            3,
            3,
            "'H100-SXM' is a gpu in the shipped catalog, not a llm",
        ),
    ],
)
def test_errors_in_a_user_catalog_are_located_in_that_file(tmp_path, capsys, text, line, col, message):
    figures = write(tmp_path, "figures.yaml", text)
    scenario = write(tmp_path, "s.yaml", "name: t\ncatalog: [figures.yaml]\ninputs:\n  one: 1\n")
    assert main(["eval", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert f"{figures}:{line}:{col}: error: {message}" in err


def test_a_missing_catalog_file_is_reported_where_it_is_named(tmp_path, capsys):
    scenario = write(tmp_path, "s.yaml", "name: t\ncatalog: [nowhere.yaml]\ninputs:\n  one: 1\n")
    assert main(["eval", str(scenario)]) == 2
    assert f"{scenario}:2:11: error: catalog file '{tmp_path / 'nowhere.yaml'}': no such file" in capsys.readouterr().err
    assert main(["catalog", "--catalog", "nowhere.yaml"]) == 2
    assert "--catalog nowhere.yaml: error: catalog file 'nowhere.yaml': no such file" in capsys.readouterr().err


# -- envelope catalog ---------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["gpu"], ["instance"], ["ref"], ["H100-SXM"], ["p5.48xlarge"], ["DeepSeek-V3"]])
def test_catalog_is_readable_at_80_columns(monkeypatch, capsys, argv):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["catalog", *argv]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    if argv and argv[0] in catalog().entries:
        entry = catalog().entries[argv[0]]
        flat = "".join(out.split())
        for name, figure in entry.figures.items():  # folding keeps every figure and source, whole
            assert name in out and "".join(figure.text.split()) in flat and "".join(figure.source.split()) in flat


def test_catalog_kinds_with_counts_and_json(capsys):
    assert main(["catalog", "--format", "json"]) == 0
    kinds = json.loads(capsys.readouterr().out)["kinds"]
    assert kinds["llm"] == len(raw("llm")) and kinds["gpu"] == len(raw("gpu"))
    assert main(["catalog", "Llama-3.1-405B", "--format", "json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["fields"]["layers"]["value"] == str(raw("llm")["Llama-3.1-405B"]["fields"]["layers"])
    assert entry["labels"] == {"attention": "GQA", "ffn": "SwiGLU"}
    assert main(["catalog", "H100"]) == 2
    assert "'H100' is ambiguous: it could be H100-SXM, H100-PCIe, H100-NVL" in capsys.readouterr().err


def test_the_cached_snapshot_is_the_catalog_the_files_make(private_cache):
    """What a warm run reads (the snapshot, through JSON) equals what a cold run builds from the YAML files."""
    files = sorted(CATALOG_DIR.glob("*.yaml"))
    built = build_shipped(files, [path.read_text() for path in files])
    assert catalog_from_json(json.loads(json.dumps(catalog_to_json(built))), lambda: built) == built
    catalog.cache_clear()
    cold = catalog()  # builds and writes the snapshot
    catalog.cache_clear()
    warm = catalog()  # reads it
    assert list((private_cache / "catalog").glob("*.json"))
    assert cold == warm == built
    assert warm.find("H100-SXM").figures["memory"].location.file.endswith("gpus.yaml")


@pytest.mark.parametrize("spoil", [{"strings": []}, {"strings": [], "entries": [[1]], "reference": []}, []])
def test_a_snapshot_of_another_shape_is_refused(spoil):
    with pytest.raises(Malformed):
        catalog_from_json(spoil, lambda: pytest.fail("the whole snapshot is refused, not rebuilt entry by entry"))


def test_an_entry_of_the_snapshot_that_does_not_decode_comes_from_the_files():
    """Entries are decoded when first read; one that is not what the writer writes is taken from the catalog
    built again from the files (here: H100-SXM's memory figure dated 'soon', L4's row cut short)."""
    files = sorted(CATALOG_DIR.glob("*.yaml"))
    built = build_shipped(files, [path.read_text() for path in files])
    payload = json.loads(json.dumps(catalog_to_json(built)))
    rows = {row[1]: row for row in payload["entries"]}
    memory = next(figure for name, figure in rows["H100-SXM"][3] if name == "memory")
    memory[2] = "soon"
    rows["L4"][4] = "not a list of labels"
    rebuilds = []

    def rebuilt():
        rebuilds.append(1)
        return built

    cat = catalog_from_json(payload, rebuilt)
    assert cat.find("A100-80GB").figures == built.entries["A100-80GB"].figures and not rebuilds
    assert cat.find("H100-SXM") == built.entries["H100-SXM"] and cat.find("L4") == built.entries["L4"]
    assert len(rebuilds) == 2 and cat == built


def test_the_entries_of_a_kind_from_the_snapshot_decode_no_other_entry():
    """`of_kind` lists a kind's entries in catalog order, the same from the snapshot as from the files; read
    from the snapshot, it decodes the entries of that kind and no other, and `ids_of_kind`, `kinds` and
    `counts` decode none (each row of another kind is spoilt here, so that decoding one would take it
    from the files instead)."""
    files = sorted(CATALOG_DIR.glob("*.yaml"))
    built = build_shipped(files, [path.read_text() for path in files])
    payload = json.loads(json.dumps(catalog_to_json(built)))
    for row in payload["entries"]:
        if row[0] != "gpu":
            row[4] = "not a list of labels"
    rebuilds = []

    def rebuilt():
        rebuilds.append(1)
        return built

    gpus = [entry for entry in built.entries.values() if entry.kind == "gpu"]
    assert len(gpus) > 5 and built.of_kind("gpu") == gpus
    from_snapshot = catalog_from_json(payload, rebuilt)
    assert from_snapshot.ids_of_kind("instance") == tuple(e.id for e in built.entries.values() if e.kind == "instance")
    assert from_snapshot.of_kind("gpu") == gpus and not rebuilds
    assert from_snapshot.kinds() == sorted({e.kind for e in built.entries.values()} | {"ref"}) and not rebuilds
    by_hand = {kind: sum(e.kind == kind for e in built.entries.values()) for kind in built.kinds()} | {
        "ref": len(built.reference)
    }
    assert from_snapshot.counts() == built.counts() == by_hand and not rebuilds
    assert built.of_kind("no such kind") == []
