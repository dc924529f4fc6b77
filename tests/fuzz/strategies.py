"""Generators for the fuzz targets: formulas, units, YAML shapes, mutated shipped scenarios, whole
scenarios and Markdown notes, each both grammar-shaped (to get deep into the engine) and random
(characters of the grammar's alphabet, to hit the tokenizer and parser edges)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import strategies as st

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in sorted(SCENARIOS.glob("*.yaml"))}

# ------------------------------------------------------------------------------------------ units

UNIT_NAMES = [
    "user",
    "request",
    "req",
    "query",
    "s",
    "ms",
    "us",
    "ns",
    "second",
    "minute",
    "min",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "byte",
    "bit",
    "B",
    "KB",
    "MB",
    "GB",
    "TB",
    "PB",
    "KiB",
    "GiB",
    "bps",
    "Mbps",
    "Gbps",
    "gpu",
    "GPU",
    "node",
    "server",
    "token",
    "tok",
    "param",
    "params",
    "FLOP",
    "FLOPS",
    "TFLOPS",
    "PFLOPS",
    "USD",
    "dollar",
    "image",
    "video",
    "item",
    "event",
    "sample",
    "percent",
    "%",
    "dimensionless",
    "m",
    "kg",
    "W",
    "kW",
    "kWh",
    "J",
    "Hz",
    "GHz",
    "degC",
    "kelvin",
    "radian",
    "candidate",
    "kcandidate",
    "k",
    "M",
    "T",
    "G",
    "c",
    "e",
    "x",
    "foo",
    "s_",
    "_",
    "users",
    "requests",
    "gpus",
]
POWERS = [""] * 12 + ["^2", "^3", "^-1", "**2", "**-2", "^0", "^12", "^13", "^-12", "^1.5", "^(1/2)", "^1e7", "^ 2"]
unit_names = st.sampled_from(UNIT_NAMES)


unit_factors = st.tuples(unit_names, st.sampled_from(POWERS)).map("".join)


def _unit_extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """unit = factor {("*" | "/") factor}; a parenthesised unit comes after an operator (`request/(user*day)`)."""
    return st.tuples(
        inner,
        st.sampled_from(["*", "/", " * ", " / "]),
        st.one_of(unit_factors, st.tuples(inner, st.sampled_from(POWERS)).map(lambda t: f"({t[0]}){t[1]}")),
    ).map("".join)


units = st.recursive(unit_factors, _unit_extend, max_leaves=6)
UNIT_ALPHABET = "abcdeghkmnorstuyBGKMTW%()*/^-_. 0123456789µ²"
random_units = st.text(UNIT_ALPHABET, max_size=16)
any_units = st.one_of(units, units, random_units)

# --------------------------------------------------------------------------------------- formulas

NUMBER_TEXTS = [
    "0",
    "1",
    "2",
    "3",
    "0.5",
    "10",
    "100",
    "1e3",
    "1e-3",
    "1e308",
    "1.7976e308",
    "2e308",
    "5e-324",
    "1_000",
    ".5",
    "3.",
    "2e10",
    "1e-320",
    "007",
    "1e0",
    "9" * 30,
]
SUFFIXES = ["", "", "", "", "k", "K", "M", "B", "T", "%"]
FUNCTIONS = ["ceil", "floor", "round", "min", "max", "sqrt", "log", "log2", "log10", "exp", "abs"] * 3 + ["sin", "pow"]
FIELDS = [
    "gpu.memory",
    "gpu.bf16_flops",
    "gpu.hourly_price",
    "gpu.fp8_flops",
    "gpu.nope",
    "ref.redis_query",
    "ref.same_zone_network_bandwidth",
    "ref.nope",
    "a.b",
]
OPERATORS = ["+", "-", "*", "/", "^", "**", " + ", " - ", " * ", " / ", " ^ "]

numbers = st.one_of(
    st.sampled_from(NUMBER_TEXTS),
    st.integers(0, 10**9).map(str),
    st.floats(0, 1e12, allow_nan=False, allow_infinity=False).map(lambda x: f"{x:g}"),
)
VALID_UNITS = [
    "user",
    "request",
    "s",
    "ms",
    "hour",
    "day",
    "month",
    "byte",
    "GB",
    "TB",
    "Gbps",
    "gpu",
    "token",
    "param",
    "FLOP",
    "FLOPS",
    "USD",
    "request/s",
    "request/user/day",
    "USD/hour/gpu",
    "byte/param",
    "token/s",
    "s^2",
    "1/s",
    "%",
]
quantities = st.tuples(
    numbers,
    st.sampled_from(SUFFIXES),
    st.one_of(
        st.just(""),
        st.just(""),
        st.sampled_from(VALID_UNITS).map(lambda u: " " + u),
        st.sampled_from(VALID_UNITS).map(lambda u: " " + u),
        any_units.map(lambda u: " " + u),
        unit_names,
    ),
).map("".join)


def names_from(names: list[str]) -> st.SearchStrategy[str]:
    """Mostly the names in scope, sometimes a catalog field or a name that is not there."""
    odd = st.sampled_from([*FIELDS, "undefined_name", "e", "k"])
    return st.one_of(st.sampled_from(names), st.sampled_from(names), odd) if names else odd


clean_quantities = st.tuples(
    numbers, st.sampled_from(SUFFIXES), st.one_of(st.just(""), st.sampled_from(VALID_UNITS).map(lambda u: " " + u))
).map("".join)


def formulas(names: list[str] | None = None, max_leaves: int = 8, clean: bool = False) -> st.SearchStrategy[str]:
    """Formulas of the grammar: quantities, names, operators, calls, parentheses, unary minus, `-> unit`.

    `clean`: only known units and functions and the names in scope (a formula that mostly parses, so that
    a scenario made of several still gets past loading)."""
    if clean:
        atom = st.one_of(clean_quantities, st.sampled_from(names)) if names else clean_quantities
        functions = st.sampled_from(FUNCTIONS[:11])
        display = st.sampled_from(VALID_UNITS).map(lambda u: f" -> {u}")
    else:
        atom = st.one_of(quantities, quantities, names_from(names or []))
        functions = st.sampled_from(FUNCTIONS)
        display = any_units.map(lambda u: f" -> {u}")

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        call = st.tuples(functions, st.lists(inner, min_size=0 if not clean else 1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        )
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPERATORS), inner).map("".join),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
            call,
        )

    expr = st.recursive(atom, extend, max_leaves=max_leaves)
    return st.tuples(expr, st.one_of(st.just(""), st.just(""), display)).map("".join)


def mostly_clean(names: list[str], max_leaves: int) -> st.SearchStrategy[str]:
    """A part of a whole scenario: clean four times in five."""
    clean = formulas(names, max_leaves, clean=True)
    return st.one_of(clean, clean, clean, clean, formulas(names, max_leaves))


TOKENS = [
    "1",
    "2.5",
    "1e3",
    "100M",
    "2k",
    "5%",
    "user",
    "s",
    "ms",
    "GB",
    "request/s",
    "gpu",
    "a",
    "b",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "(",
    ")",
    ",",
    "->",
    "to",
    "ceil(",
    "min(",
    "max(",
    "sqrt(",
    "log(",
    "exp(",
    "gpu.memory",
    "ref.redis_query",
    ".",
    "%",
    "normal(",
    "uniform(",
]
FORMULA_ALPHABET = "0123456789.eE+-*/^()%,>_ abcgklmnorstuxyzBGKMT\t[]{}'\"=:@\\#!~&|<µ×−"
random_formulas = st.one_of(
    st.text(FORMULA_ALPHABET, max_size=30),
    st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
)
any_formulas = st.one_of(formulas(["a", "b", "c"]), formulas(["a", "b", "c"]), random_formulas)

# ------------------------------------------------------------------------------------- whole files


def quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


uncertain_inputs = st.one_of(
    st.tuples(numbers, numbers, st.one_of(st.sampled_from(VALID_UNITS), any_units)).map(
        lambda t: f"{t[0]} to {t[1]} {t[2]}".strip()
    ),
    st.tuples(st.sampled_from(["normal", "uniform", "normal", "uniform", "lognormal"]), clean_quantities, clean_quantities).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    ),
)
NOTES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=20),
    st.sampled_from(["see [/]", "[bold]x[/bold]", "[link=http://x]a[/link]", "\x1b[31mred", "a: b", "# not a comment"]),
)


@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    """A scenario of the format, every section possibly present, formulas from the grammar."""
    lines = [f"name: {quote(draw(st.one_of(st.just('fuzz'), st.just('fuzz'), st.text(max_size=12))))}"]
    if draw(st.booleans()):
        lines.append("hardware: {gpu: " + draw(st.sampled_from(["H100-SXM", "L4", "H200", "B200", "T4", "nope"])) + "}")
    if draw(st.integers(0, 3)) == 0:
        alias = draw(st.one_of(st.just("1000 candidate"), st.just("1000 candidate"), quantities))
        lines += ["units:", "  candidate: null", f"  kcandidate: {quote(alias)}"]
    inputs = [f"i{k}" for k in range(draw(st.integers(1, 4)))]
    lines.append("inputs:")
    for name in inputs:
        value = draw(
            st.one_of(
                clean_quantities, clean_quantities, clean_quantities, quantities, uncertain_inputs, mostly_clean([], max_leaves=3)
            )
        )
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"  {name}: {{value: {quote(value)}, note: {quote(draw(NOTES))}}}")
        else:
            lines.append(f"  {name}: {quote(value)}")
    known = list(inputs)
    derived = [f"d{k}" for k in range(draw(st.integers(0, 4)))]
    if derived:
        lines.append("derived:")
    for name in derived:
        formula = draw(mostly_clean(known, max_leaves=5))
        lines.append(f"  {name}: {quote(formula)}")
        known.append(name)
    budgeted = draw(st.lists(st.sampled_from(known), max_size=2, unique=True))
    if budgeted:
        lines.append("budgets:")
    for name in budgeted:
        op = draw(st.sampled_from(["<=", "<", ">=", ">"]))
        limit = draw(st.one_of(clean_quantities, clean_quantities, quantities, mostly_clean(known, max_leaves=2)))
        if draw(st.booleans()):
            lines.append(f"  {name}: {quote(f'{op} {limit}')}")
        else:
            key = "max" if op.startswith("<") else "min"
            warn = draw(st.sampled_from(["70%", "90%", "50%", "0%", "100%", "150%", "0.5"]))
            lines.append(f"  {name}: {{{key}: {quote(limit)}, warn: {quote(warn)}}}")
    if draw(st.booleans()):
        lines += ["latency:", "  path:", f"    budget: {quote(draw(st.one_of(st.just('200 ms'), quantities)))}", "    stages:"]
        stage = st.one_of(st.just("10 ms"), st.just("10 ms"), clean_quantities, mostly_clean(known, max_leaves=2))
        for k in range(draw(st.integers(1, 3))):
            shape = draw(st.integers(0, 3))
            if shape == 0:
                lines += [
                    f"      s{k}:",
                    "        parallel:",
                    f"          p1: {quote(draw(stage))}",
                    f"          p2: {quote(draw(stage))}",
                ]
            elif shape == 1:
                lines += [
                    f"      s{k}:",
                    "        sequence:",
                    f"          q1: {quote(draw(stage))}",
                    f"          q2: {quote(draw(stage))}",
                ]
            else:
                lines.append(f"      s{k}: {quote(draw(stage))}")
    if draw(st.booleans()):
        odd = draw(st.integers(0, 4)) == 0  # one settings line in five has an out-of-range value
        samples = draw(st.sampled_from([99, 0, -5, 100] if odd else [100, 200, 1000]))
        seed = draw(st.sampled_from([-1, 2**64, 2**32] if odd else [0, 1, 7]))
        risk = draw(st.sampled_from(["0%", "100%", "-1%", "0.5"] if odd else ["5%", "10%", "1%"]))
        sig = draw(st.sampled_from([0, 20, 15] if odd else [1, 3, 6]))
        lines.append(f"settings: {{samples: {samples}, seed: {seed}, risk: {quote(risk)}, sig_figs: {sig}}}")
    if len(inputs) >= 2 and draw(st.booleans()):
        pair = draw(st.lists(st.sampled_from(inputs), min_size=2, max_size=2))
        rho = draw(st.sampled_from(["0.5", "-0.9", "1", "1.5", "0"]))
        lines += ["correlations:", f"  [{pair[0]}, {pair[1]}]: {rho}"]
    return "\n".join(lines) + "\n"


SECTIONS = [
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
    "stages",
    "budget",
    "value",
    "note",
    "formula",
    "unit",
    "parallel",
    "sequence",
    "max",
    "min",
    "warn",
    "samples",
    "seed",
    "risk",
    "sig_figs",
    "gpu",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), quantities, formulas(["a", "b"], max_leaves=3)
)
shapes = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(SECTIONS), st.sampled_from(["a", "b", "c"]), st.text(max_size=6)), inner, max_size=4
        ),
    ),
    max_leaves=20,
)
yaml_shapes = st.tuples(
    st.one_of(st.just("shape"), st.just("shape"), st.just("shape"), shapes),
    st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(quantities, quantities, scalars), max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(quantities, quantities, scalars), max_size=3),
        shapes,
    ),
    st.dictionaries(st.sampled_from(SECTIONS[:13]), shapes, max_size=6),
).map(lambda t: yaml.safe_dump({"name": t[0], "inputs": t[1], **t[2]}, allow_unicode=True, sort_keys=False))


# --------------------------------------------------------------------- mutations of shipped scenarios

MUTATION_CHARS = "-:[]{}#'\"\n \t0123456789*/^()%.,&*!|>?@`~\\\x00\x1b\ufeffkMBT"


@st.composite
def mutated_shipped(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, text): a shipped scenario with a few characters or lines deleted, duplicated or inserted."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(["delete", "duplicate", "insert", "delete-line", "duplicate-line", "insert-line", "swap-lines"])
        )
        if kind in ("delete", "duplicate", "insert"):
            i = draw(st.integers(0, max(0, len(text) - 1)))
            if kind == "delete":
                text = text[:i] + text[i + 1 :]
            elif kind == "duplicate":
                text = text[:i] + text[i : i + 1] + text[i:]
            else:
                text = text[:i] + draw(st.text(MUTATION_CHARS, min_size=1, max_size=3)) + text[i:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            if kind == "delete-line":
                del lines[i]
            elif kind == "duplicate-line":
                lines.insert(i, lines[i])
            elif kind == "insert-line":
                indent = " " * draw(st.sampled_from([0, 2, 4, 6, 3]))
                lines.insert(
                    i,
                    indent
                    + draw(
                        st.one_of(
                            st.tuples(
                                st.sampled_from(["a", "x", "peak_qps", "dau", "gpu", "name"]), st.just(": "), any_formulas
                            ).map("".join),
                            st.text(MUTATION_CHARS, max_size=10),
                        )
                    ),
                )
            else:
                j = draw(st.integers(0, max(0, len(lines) - 1)))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return name, text


# ------------------------------------------------------------------------------------------- notes

FENCES = ["```", "````", "~~~", "``", " ```", "   ```", "    ```"]
BEGIN = "<!-- envelope: results (written by `envelope render`; edits here are replaced) -->"
END = "<!-- envelope: end -->"


@st.composite
def estimate_lines(draw: st.DrawFn) -> str:
    names: list[str] = []
    lines = []
    for k in range(draw(st.integers(0, 4))):
        formula = draw(st.one_of(formulas(names, max_leaves=4), random_formulas))
        if draw(st.integers(0, 3)) == 0:
            lines.append(formula)
        else:
            name = draw(st.sampled_from([f"e{k}", "e0", "name", "inputs", "1x"]))
            lines.append(f"{name} = {formula}")
            names.append(name)
    return "\n".join(lines)


@st.composite
def notes_texts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        parts.append(draw(st.sampled_from(["# Notes", "", "Some prose.", "```python\nx = 1\n```", BEGIN, END, "|a|b|"])))
        fence = draw(st.sampled_from(FENCES))
        info = draw(st.sampled_from(["envelope", "envelope", "envelope extra", "ENVELOPE", "envelope{", ""]))
        body = draw(st.one_of(estimate_lines(), scenario_texts(), st.text(max_size=20)))
        closing = draw(st.sampled_from([fence.strip(), fence, "", "~~~", "`````"]))
        parts.append(f"{fence}{info}\n{body}\n{closing}")
        if draw(st.integers(0, 3)) == 0:
            parts += [BEGIN, draw(st.text(max_size=10)), draw(st.sampled_from([END, ""]))]
    return "\n".join(parts) + draw(st.sampled_from(["\n", "", "\n\n"]))
