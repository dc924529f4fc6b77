"""docs/format.md: every example scenario evaluates, and every result and error it states is what envelope prints.

Blocks tagged ```` ```yaml envelope ```` are complete scenarios. Their `# =>` comments state results:

    # => NAME: DISPLAY                        a value, as shown (with its range when uncertain)
    # => budget NAME: USED STATUS[; ...]      each budget on NAME, in order (e.g. `92% warn; 22% ok`)
    # => latency PATH: TOTAL of BUDGET UNIT, USED STATUS
    # => status: STATUS                       the scenario's status

A budget or path may end with `, P(break) ≈ X%`: its probability of breaking, within a point.
Blocks tagged ```` ```yaml envelope-error ```` are followed by a ```` ```text ```` block holding the error
envelope prints for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import calculator

DOC = Path(__file__).resolve().parent.parent / "docs" / "format.md"
SECTIONS = (
    "name",
    "description",
    "source",
    "tags",
    "extends",
    "hardware",
    "units",
    "inputs",
    "derived",
    "budgets",
    "latency",
    "settings",
    "correlations",
)
P_TOLERANCE = 0.01  # a P(break) stated by hand may differ from the seeded Monte Carlo by a point

_FENCE = re.compile(r"^```(?P<info>[^`]*)$")
_EXPECT = re.compile(r"#\s*=>\s*(?P<claim>.+?)\s*$")
_RISK = re.compile(r",\s*P\(break\) ≈ (?P<p>[\d.]+)%$")


def blocks() -> list[tuple[str, int, str]]:
    """Every fenced block of the doc: (info string, line of its opening fence, text)."""
    found: list[tuple[str, int, str]] = []
    lines = DOC.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j] == "```")
        found.append((match["info"].strip(), i + 1, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return found


BLOCKS = blocks()
EXAMPLES = [(line, text) for info, line, text in BLOCKS if info == "yaml envelope"]
ERRORS = [(line, text, BLOCKS[n + 1]) for n, (info, line, text) in enumerate(BLOCKS) if info == "yaml envelope-error"]


def _split_risk(claim: str) -> tuple[str, float | None]:
    match = _RISK.search(claim)
    return (claim[: match.start()], float(match["p"]) / 100) if match else (claim, None)


def _check_risk(p_violation: float | None, expected: float | None, what: str) -> None:
    if expected is not None:
        assert p_violation is not None, f"{what}: no P(break) (is an input uncertain?)"
        assert abs(p_violation - expected) <= P_TOLERANCE, f"{what}: P(break) {p_violation:.2%}, doc says {expected:.1%}"


def check_claim(claim: str, result: calculator.Result) -> None:
    """One `# =>` claim against the evaluated result."""
    sig_figs = result.sig_figs
    kind, _, rest = claim.partition(" ")
    if kind == "budget":
        name, _, stated = rest.partition(": ")
        budgets = [b for b in result.budgets if b.name == name]
        parts = stated.split("; ")
        assert len(parts) == len(budgets), f"{len(budgets)} budgets on {name!r}, the doc states {len(parts)}"
        for budget, part in zip(budgets, parts, strict=True):
            shown, risk = _split_risk(part)
            assert f"{budget.utilization:.0%} {budget.status}" == shown, f"budget {name}"
            _check_risk(budget.p_violation, risk, f"budget {name}")
    elif kind == "latency":
        name, _, stated = rest.partition(": ")
        path = next(p for p in result.latency if p.path == name)
        shown, risk = _split_risk(stated)
        actual = (
            f"{calculator.format_number(path.total, sig_figs)} of {calculator.format_number(path.budget, sig_figs)}"
            f" {path.unit.text}, {path.utilization:.0%} {path.status}"
        )
        assert actual == shown, f"latency {name}"
        _check_risk(path.p_violation, risk, f"latency {name}")
    elif claim.startswith("status: "):
        assert result.status == claim.removeprefix("status: ")
    else:
        name, _, shown = claim.partition(": ")
        assert name in result.values, f"no value {name!r}"
        assert result.values[name].range_display(sig_figs) == shown, name


@pytest.mark.parametrize(("line", "text"), EXAMPLES, ids=[f"line{line}" for line, _ in EXAMPLES])
def test_example_evaluates_to_what_the_doc_says(line: int, text: str) -> None:
    result = calculator.loads(text, "example.yaml").evaluate().result
    for claim in (m["claim"] for m in map(_EXPECT.search, text.splitlines()) if m):
        check_claim(claim, result)


@pytest.mark.parametrize(("line", "text", "expected"), ERRORS, ids=[f"line{line}" for line, _, _ in ERRORS])
def test_error_example_prints_the_stated_error(line: int, text: str, expected: tuple[str, int, str]) -> None:
    info, _, message = expected
    assert info == "text", f"the error example at line {line} is not followed by a ```text block"
    with pytest.raises(calculator.EnvelopeError) as raised:
        calculator.loads(text, "example.yaml").evaluate().judge()  # some errors appear only when evaluating
    assert raised.value.render() == message.rstrip("\n")


def test_doc_has_both_kinds_of_examples() -> None:
    assert EXAMPLES and ERRORS


def test_every_top_level_section_has_a_heading() -> None:
    headings = {line.lstrip("#").strip() for line in DOC.read_text(encoding="utf-8").splitlines() if re.match(r"#{2,4} ", line)}
    assert [s for s in SECTIONS if f"`{s}`" not in headings] == []


def _table_rows(header_start: str) -> list[list[str]]:
    """The cells of the doc's table whose header line starts with `header_start`, header first."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in [lines[start], *lines[start + 2 :]]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def test_catalog_tables_match_the_catalog() -> None:
    """Each figure in the hardware and ref tables, divided by the catalog's own, is exactly 1."""
    header, *entries = _table_rows("| id | `memory` |")
    hardware = {f"hw{n}": row[0] for n, row in enumerate(entries)}
    checks = {
        f"hw{n}_{field}": f"hw{n}.{field} / ({figure})"
        for n, row in enumerate(entries)
        for field, figure in zip(header[1:], row[1:], strict=True)
    }
    header, *references = _table_rows("| name | value | name | value |")
    pairs = [(row[i], row[i + 1]) for row in references for i in (0, 2)]
    checks.update({f"ref{n}": f"{name} / ({figure})" for n, (name, figure) in enumerate(pairs)})
    assert len(entries) >= 7 and len(pairs) >= 20
    text = "name: catalog\nhardware:\n" + "".join(f"  {k}: {v}\n" for k, v in hardware.items())
    text += "derived:\n" + "".join(f'  {name}: "{formula}"\n' for name, formula in checks.items())
    result = calculator.loads(text, "catalog-check.yaml").evaluate().result
    assert {checks[n]: v.display for n, v in result.values.items() if v.display != "1"} == {}
