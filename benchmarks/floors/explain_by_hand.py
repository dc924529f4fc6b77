"""Floor for cold `envelope explain scenarios/tour.yaml ranking_gpus`: the same
closed form, numbers and elasticities written by hand in sympy, in base units."""

import sympy


def main() -> None:
    dau, sessions, requests, peak, candidates, flops, utilization = symbols = sympy.symbols(
        "dau sessions_per_user requests_per_session peak_to_average candidates_per_request flops_per_candidate utilization",
        positive=True,
    )
    gpu_flops = sympy.Symbol("gpu.bf16_flops", positive=True)
    ranking_gpus = sympy.ceiling(dau * sessions * requests * peak * candidates * flops / (gpu_flops * utilization))
    point = {
        dau: 50e6,
        sessions: 3 / 86400,
        requests: 4,
        peak: 3,
        candidates: 2000,
        flops: 40e6,
        utilization: 0.4,
        gpu_flops: 989e12,
    }
    print("closed form:", sympy.simplify(ranking_gpus))
    print("value:", ranking_gpus.subs(point))
    smooth = ranking_gpus.replace(sympy.ceiling, lambda x: x)
    for symbol in symbols:
        print(symbol, float((sympy.diff(smooth, symbol) * symbol / smooth).subs(point)))
    print(sympy.latex(ranking_gpus))


if __name__ == "__main__":  # a script, run by the benchmarks in a fresh interpreter
    main()
