"""Generated scenarios for the benchmarks: N formulas, and the same formulas as plain Python.

The floor is the work a person would write by hand: one float expression per
formula, in base units, no checks. It is generated here from the same list of
formulas as the scenario so the two always do identical arithmetic.
"""

from __future__ import annotations

INPUTS = 10


def formulas(count: int) -> list[tuple[str, str]]:
    """`count` derived formulas over 10 inputs: products, sums, a ceil, a display unit."""
    result = []
    for i in range(count):
        source = f"a{i % INPUTS}" if i < INPUTS else f"d{i - INPUTS}"
        other = f"a{(i * 7 + 3) % INPUTS}"
        kind = i % 4
        if kind == 0:
            text = f"{source} * 1.5 + {other}"
        elif kind == 1:
            text = f"({source} + {other}) / 2"
        elif kind == 2:
            text = f"ceil({source} / (1 request/s)) * (1 request/s)"
        else:
            text = f"max({source}, {other}) * 0.75 -> request/day"
        result.append((f"d{i}", text))
    return result


def scenario_yaml(count: int) -> str:
    lines = [f"name: generated {count}", "inputs:"]
    lines += [f"  a{i}: {100 + i} request/s" for i in range(INPUTS)]
    lines.append("derived:")
    lines += [f"  {name}: {text}" for name, text in formulas(count)]
    lines += ["budgets:", f"  d{count - 1}: <= 1e12 request/s"]
    return "\n".join(lines) + "\n"


def floor_source(count: int) -> str:
    """The same formulas as a plain Python function on floats in base units (request/s)."""
    body = []
    for name, text in formulas(count):
        python = text.split(" -> ")[0].replace("(1 request/s)", "1.0").replace("ceil(", "_ceil(")
        python = python.replace("max(", "_max(")
        body.append(f"    {name} = {python}")
    args = ", ".join(f"a{i}" for i in range(INPUTS))
    names = ", ".join(name for name, _ in formulas(count))
    return f"def floor({args}):\n" + "\n".join(body) + f"\n    return ({names},)\n"


def floor_function(count: int):
    import math

    namespace = {"_ceil": math.ceil, "_max": max}
    exec(compile(floor_source(count), "<floor>", "exec"), namespace)  # benchmark code, generated here
    return namespace["floor"]
