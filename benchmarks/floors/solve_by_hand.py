"""Floor for cold `envelope solve scenarios/tour.yaml --for dau`: each budget
that grows with dau inverted by hand in sympy, the smallest edge binding."""

import math

import sympy


def main() -> None:
    dau = sympy.Symbol("dau", positive=True)
    qps = dau * 3 / 86400 * 4  # average request/s
    peak = qps * 3
    edges = {
        "peak_qps": sympy.solve(sympy.Eq(peak, 50e3), dau),
        "ranking_gpus": sympy.solve(sympy.Eq(peak * 2000 * 40e6 / (989e12 * 0.4), 64), dau),
        "feature_bandwidth": sympy.solve(sympy.Eq(peak * 2000 * 256, 2 * 10 * 2**30), dau),
        "log_storage": sympy.solve(sympy.Eq(qps * 2000 * 90 * 86400, 1e15), dau),
    }
    name, [edge] = min(edges.items(), key=lambda item: float(item[1][0]))
    print(f"dau can go to {float(edge):.3g}; binding budget: {name}", math.isfinite(float(edge)))


if __name__ == "__main__":  # a script, run by the benchmarks in a fresh interpreter
    main()
