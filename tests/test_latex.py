"""The worked steps as LaTeX: written out by hand for one scenario, and typeset by KaTeX (the renderer of
Jupyter, GitHub and most notes) for every value a drill asks in every shipped scenario.

KaTeX runs in node (tests/katex: `npm ci --prefix tests/katex`), once per test, in its strictest mode:
an unknown command, an unbalanced brace or a stray `&` is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import calculator
from calculator.analysis.drill import Drill
from calculator.analysis.explain import explain
from calculator.analysis.latex import formula_latex, latex_number, latex_unit, latex_value, substituted_latex
from calculator.outputs.notes import render
from tests.helpers import ROOT, katex_errors
from tests.test_drill import PHOTOS

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
_TEXT = re.compile(r"\\text\{([^}]*)\}")


def typeset(formulas: list[str]) -> None:
    """Every formula typesets; else the ones KaTeX refuses, with its messages."""
    refused = [(f, error) for f, error in zip(formulas, katex_errors(formulas), strict=True) if error is not None]
    assert not refused, "\n".join(f"{error}\n  in {f[:300]}" for f, error in refused[:5])


def words_only_in_text(latex: str) -> None:
    """`\\text{}` holds a joining word (`to`, `of`, `, ok`), never a number, a unit or a whole step."""
    for inner in _TEXT.findall(latex):
        assert not re.search(r"[0-9=\\×/]", inner), f"\\text{{{inner}}} in {latex}"
        assert len(inner) <= 12, f"\\text{{{inner}}} in {latex}"


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("2.31k", r"2.31\mathrm{k}"),
        ("100M", r"100\mathrm{M}"),
        ("146", "146"),
        ("-0.5", "-0.5"),
        ("8,192", "8{,}192"),
        ("40%", r"40\%"),
        ("1.4e20", r"1.4 \times 10^{20}"),
        ("3.15e-5", r"3.15 \times 10^{-5}"),
        ("∞", r"\infty"),
        ("nan", r"\mathrm{nan}"),
    ],
)
def test_numbers_are_written_as_people_write_them(text, latex):
    assert latex_number(text) == latex


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("GB/s", r"\mathrm{GB}/\mathrm{s}"),
        ("USD/hour/gpu", r"\mathrm{USD}/\mathrm{hour}/\mathrm{gpu}"),
        ("gpu*hour", r"\mathrm{gpu} \cdot \mathrm{hour}"),
        ("m^2", r"\mathrm{m}^{2}"),
        ("%", r"\%"),
        ("", ""),
    ],
)
def test_units_are_upright(text, latex):
    assert latex_unit(text) == latex


@pytest.fixture
def photos(tmp_path: Path) -> calculator.Model:
    path = tmp_path / "photos.yaml"
    path.write_text(PHOTOS, encoding="utf-8")
    return calculator.load(path)


def test_a_derivation_written_by_hand(photos):
    # ingest_bandwidth = peak_upload_rate * photo_size; peak_upload_rate = upload_rate * peak_to_average;
    # upload_rate = users * uploads_per_user: 100M × 2 / 86,400 s × 3 × 2 MB = 13.9 GB/s
    latex = calculator.explain(photos, "ingest_bandwidth").to_latex()
    assert latex == (
        "\\begin{aligned}\n"
        r"\mathrm{ingest\_bandwidth} &= \mathrm{peak\_upload\_rate} \times \mathrm{photo\_size} \\" + "\n"
        r"&= 6.94\mathrm{k}\,\mathrm{photo}/\mathrm{s} \times 2\,\mathrm{MB}/\mathrm{photo} \\" + "\n"
        r"&= 100\mathrm{M}\,\mathrm{user} \times 2\,\mathrm{photo}/\mathrm{user}/\mathrm{day} \times 3"
        r" \times 2\,\mathrm{MB}/\mathrm{photo} \\" + "\n"
        r"&= 13.9\,\mathrm{GB}/\mathrm{s}" + "\n"
        "\\end{aligned}\n"
    )
    typeset([latex])


def test_quotients_are_fractions_ceil_its_brackets_and_powers_braced(tmp_path):
    path = tmp_path / "gpus.yaml"
    path.write_text(
        "name: gpus\ninputs:\n  qps: 1k request/s\n  per_gpu: 300 request/s/gpu\n  side: 3 m\n"
        "derived:\n  gpus: ceil(qps / per_gpu)\n  area: (side + 1 m) ** 2\n  spare: max(gpus - 2 gpu, 0 gpu)\n",
        encoding="utf-8",
    )
    model = calculator.load(path)
    values = model.evaluate().result.values
    gpus, area, spare = (model.scenario.values[n].formula.expr for n in ("gpus", "area", "spare"))  # type: ignore[union-attr]
    assert formula_latex(gpus) == r"\left\lceil \frac{\mathrm{qps}}{\mathrm{per\_gpu}}\right\rceil"
    assert substituted_latex(gpus, model, values, inline=False) == (
        r"\left\lceil \frac{1\mathrm{k}\,\mathrm{request}/\mathrm{s}}{300\,\mathrm{request}/\mathrm{s}/\mathrm{gpu}}\right\rceil"
    )
    # (3 m + 1 m)^2: a quantity next to a power is bracketed
    assert substituted_latex(area, model, values, inline=False) == r"\left(3\,\mathrm{m} + 1\,\mathrm{m}\right)^{2}"
    # ceil(1000 / 300) = 4 gpus, 4 - 2 = 2 spare
    assert (
        substituted_latex(spare, model, values, inline=False)
        == r"\max\left(4\,\mathrm{gpu} - 2\,\mathrm{gpu}, 0\,\mathrm{gpu}\right)"
    )
    assert latex_value(values["spare"]) == r"2\,\mathrm{gpu}"
    typeset([formula_latex(gpus), substituted_latex(area, model, values, inline=True)])


def test_an_uncertain_value_shows_its_range_and_a_latency_path_its_budget(photos, tmp_path):
    latency = calculator.explain(photos, "latency upload")
    # 80 ms + 30 ms = 110 ms, 55% of 200 ms
    assert latency.steps_latex == [
        r"80\,\mathrm{ms} + 30\,\mathrm{ms}",
        r"110\,\mathrm{ms}\text{ of }200\,\mathrm{ms}\ (55\%\text{, ok})",
    ]
    path = tmp_path / "spread.yaml"
    path.write_text("name: spread\ninputs:\n  users: 1M to 4M user\nderived:\n  twice: users * 2\n", encoding="utf-8")
    model = calculator.load(path)
    shown = explain(model, "twice", samples=20_000, seed=1)
    last = shown.steps_latex[-1]
    # the median of a 1M–4M lognormal interval is their geometric mean, 2M; twice is 4M (2M to 8M at 90%)
    assert last.startswith(r"4\mathrm{M}\ (") and last.endswith(r")\,\mathrm{user}")
    assert r"\text{ to }" in last
    typeset([latency.to_latex(), shown.to_latex()])
    words_only_in_text(latency.to_latex() + shown.to_latex())


def test_markdown_holds_only_math_that_typesets(photos):
    markdown = calculator.explain(photos, "storage").to_markdown()
    math = re.findall(r"\$\$(.+?)\$\$", markdown) + re.findall(r"^- \$(.+)\$$", markdown, re.MULTILINE)
    # the closed form, the numbers substituted, the value
    assert len(math) == 3
    assert math[1] == (
        r"= 100\mathrm{M}\,\mathrm{user} \times 2\,\mathrm{photo}/\mathrm{user}/\mathrm{day}"
        r" \times 2\,\mathrm{MB}/\mathrm{photo} \times 365\,\mathrm{day}"
    )
    assert "`" not in markdown.split("\n", 1)[1]  # below the formula as written, no step is code
    typeset(math)


def test_render_derivation_writes_the_steps_as_math():
    notes = "```envelope\nqps = 2B user * 2 request/user/day -> request/s\npeak = qps * 3\n```\n"
    rendered = render(notes, derivation=True).text
    # 2B × 2 / 86,400 s = 46.3k request/s; × 3 = 139k
    assert (
        r"- `peak = qps * 3`: $= 46.3\mathrm{k}\,\mathrm{request}/\mathrm{s} \times 3"
        r" = 139\mathrm{k}\,\mathrm{request}/\mathrm{s}$" in rendered
    )
    typeset(re.findall(r"\$(.+?)\$", rendered))


def test_every_value_a_drill_asks_in_every_shipped_scenario_typesets():
    """The rows of each asked value's derivation (formula, numbers, numbers expanded, value), as explain writes them."""
    formulas = []
    for path in SHIPPED:
        model = calculator.load(path)
        drill = Drill(model)
        values = drill.result.values
        for question in drill.questions:
            expr = model.scenario.values[question.name].formula.expr  # type: ignore[union-attr]
            formulas += [
                formula_latex(expr),
                substituted_latex(expr, model, values, inline=False),
                substituted_latex(expr, model, values, inline=True),
                latex_value(values[question.name], drill.result.sig_figs),
            ]
    assert len(formulas) > 400  # 22 scenarios, most asking 5 to 20 values
    typeset(formulas)
    for formula in formulas:
        words_only_in_text(formula)
        assert "×" not in formula and "`" not in formula


def test_explain_latex_for_a_whole_scenario_typesets():
    """The complete `explain --format latex` (sympy's closed forms with it) for every value the tour's drill asks."""
    model = calculator.load(ROOT / "scenarios" / "tour.yaml")
    drill = Drill(model)
    documents = [drill.explanation(q.name).to_latex() for q in drill.questions]
    markdown = [drill.explanation(q.name).to_markdown() for q in drill.questions]
    typeset(documents + [m for text in markdown for m in re.findall(r"\$\$(.+?)\$\$", text)])
    for document in documents:
        words_only_in_text(document)


def test_the_checker_refuses_what_katex_cannot_typeset():
    """The check can fail: an unknown command, an unclosed brace, a stray `&`, a whole step in `\\text{}` passes
    KaTeX but not `words_only_in_text`."""
    verdicts = katex_errors([r"\lceli x", r"\frac{a}{", r"a & b", r"2\,\mathrm{GB}"])
    assert [v is not None for v in verdicts] == [True, True, True, False]
    with pytest.raises(AssertionError):
        words_only_in_text(r"\text{2 GB × 3 = 6 GB}")
