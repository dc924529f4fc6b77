"""The engine end to end on small scenarios, against arithmetic done by hand here."""

from __future__ import annotations

import math

import pytest

import calculator
from tests.helpers import ROOT, error_of, evaluate

SEARCH = """
    name: search
    inputs:
      dau: 100M user
      searches_per_user: 5 request/user/day
      peak_to_average: 3
      catalog_size: 4B image
      embedding_dim: 512
      bytes_per_value: 4 byte
      encoder_qps_per_gpu: 2k request/s/gpu
    derived:
      peak_qps: average_qps * peak_to_average
      average_qps: dau * searches_per_user -> request/s
      index_size: catalog_size * embedding_dim * bytes_per_value / image -> TB
      encoder_gpus: ceil(peak_qps / encoder_qps_per_gpu)
      monthly_cost:
        formula: encoder_gpus * 2.5 USD/hour/gpu
        unit: USD/month
    budgets:
      encoder_gpus: <= 64 gpu
      index_size: { max: 10 TB, warn: 70% }
      monthly_cost: <= 250k USD/month
    latency:
      search:
        budget: 200 ms
        stages:
          network: 2 * 25 ms
          encode: 15 ms
          retrieve:
            parallel:
              ann: 20 ms
              popular:
                sequence:
                  lookup: 5 ms
                  filter: 10 ms
          rerank: 40 ms
"""


@pytest.fixture(scope="module")
def search() -> calculator.Result:
    return evaluate(SEARCH)


def test_values_in_order_of_dependency_not_of_the_file(search):
    average = 100e6 * 5 / 86_400
    assert search.values["average_qps"].value == pytest.approx(average, rel=1e-12)
    assert search.values["average_qps"].unit.text == "request/s"
    assert search.values["peak_qps"].value == pytest.approx(3 * average, rel=1e-12)


def test_storage_in_the_display_unit(search):
    # 4e9 images x 512 values x 4 bytes = 8.192e12 bytes = 8.192 TB
    assert search.values["index_size"].value == pytest.approx(8.192, rel=1e-12)
    assert search.values["index_size"].base == pytest.approx(8.192e12 * 8, rel=1e-12)  # base unit: bit


def test_ceil_of_a_count_and_monthly_cost(search):
    gpus = math.ceil(3 * 100e6 * 5 / 86_400 / 2000)
    assert gpus == 9
    assert search.values["encoder_gpus"].value == gpus
    assert search.values["encoder_gpus"].unit.text == "gpu"
    # pint's month is a twelfth of a Julian year: 730.5 hours
    assert search.values["monthly_cost"].value == pytest.approx(9 * 2.5 * 730.5, rel=1e-12)


def test_budgets_and_statuses(search):
    by_name = {b.name: b for b in search.budgets}
    assert by_name["encoder_gpus"].utilization == pytest.approx(9 / 64)
    assert by_name["encoder_gpus"].status == "ok"
    assert by_name["index_size"].utilization == pytest.approx(0.8192)
    assert by_name["index_size"].status == "warn"  # 82% >= the 70% warn share
    assert by_name["monthly_cost"].limit == pytest.approx(250_000)
    assert search.status == "warn"


def test_latency_sums_stages_and_takes_slowest_branch(search):
    (path,) = search.latency
    # 50 + 15 + max(20, 5 + 10) + 40
    assert path.total == pytest.approx(125)
    assert path.budget == pytest.approx(200)
    assert path.unit.long_text() == "millisecond"
    assert path.utilization == pytest.approx(0.625)
    retrieve = path.stages[2]
    assert retrieve.parallel is not None and retrieve.value == pytest.approx(20)
    assert retrieve.parallel[1].value == pytest.approx(15)


def test_override_makes_a_budget_fail():
    result = evaluate(SEARCH, dau="2B user")
    gpus = math.ceil(3 * 2e9 * 5 / 86_400 / 2000)
    assert result.values["encoder_gpus"].value == gpus == 174
    assert {b.name: b.status for b in result.budgets}["encoder_gpus"] == "fail"
    assert result.status == "fail"


@pytest.mark.parametrize(
    ("op", "limit", "status", "utilization"),
    [
        ("<=", "10 gpu", "fail", 1.2),
        ("<", "12 gpu", "fail", 1.0),
        ("<=", "12 gpu", "warn", 1.0),
        (">=", "10 gpu", "warn", 10 / 12),
        (">=", "6 gpu", "ok", 0.5),
        (">", "12 gpu", "fail", 1.0),
        (">=", "20 gpu", "fail", 20 / 12),
        ("<=", "100 gpu", "ok", 0.12),
        ("<=", "2 * base", "ok", 12 / 16),
    ],
)
def test_every_budget_operator(op, limit, status, utilization):
    result = evaluate(f"""
        name: ops
        inputs:
          base: 8 gpu
          gpus: 12 gpu
        budgets:
          gpus: "{op} {limit}"
    """)
    (budget,) = result.budgets
    assert (budget.status, budget.op) == (status, op)
    assert budget.utilization == pytest.approx(utilization)


def test_min_and_max_in_one_budget_and_custom_warn():
    result = evaluate("""
        name: minmax
        inputs:
          size: 95 GB
        budgets:
          size: {max: 100 GB, min: 50 GB, warn: 96%}
    """)
    upper, lower = result.budgets
    assert (upper.op, upper.status, upper.utilization) == ("<=", "ok", pytest.approx(0.95))
    assert (lower.op, lower.status, lower.utilization) == (">=", "ok", pytest.approx(50 / 95))


def test_units_are_dimensions():
    result = evaluate("""
        name: units
        inputs:
          link: 10 Gbps
          gpus: 8 gpu
          flops: 989 TFLOPS/gpu
          price: 2 USD/hour/gpu
        derived:
          per_hour: link * 1 hour -> TB
          total: gpus * flops -> PFLOPS
          cost: gpus * price * 1 day -> USD
          share: 1 GB / (2 GB) -> %
    """)
    assert result.values["per_hour"].value == pytest.approx(10e9 / 8 * 3600 / 1e12)  # 4.5 TB
    assert result.values["total"].value == pytest.approx(8 * 989e12 / 1e15)
    assert result.values["cost"].value == pytest.approx(8 * 2 * 24)
    assert result.values["share"].value == pytest.approx(50)
    assert result.values["share"].display == "50%"


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("5 TB + 3", "cannot add 'byte' and 'dimensionless' in '5 TB + 3'"),
        ("5 TB + 3 user", "cannot add 'byte' and 'user'"),
        ("1 request/s - 1 token/s", "cannot subtract 'request/s' and 'token/s'"),
        ("min(1 gpu, 2 node)", "cannot compare 'gpu' and 'node' in min()"),
        ("ceil(1.5 km)", "ceil() takes a dimensionless or counting quantity"),
        ("round(3 hour)", "round() takes a dimensionless or counting quantity"),
        ("exp(2 s)", "exp() takes a dimensionless number, not 's'"),
        ("(2 m) ** (3 s)", "an exponent must be dimensionless"),
        ("(2 m) ** 100", "power too large"),
        ("5 usr", "unknown unit or name 'usr'"),
        ("1 gpu.memory", "unexpected 'gpu' after a complete formula"),
    ],
)
def test_dimension_errors(formula, message):
    error = error_of(f"""
        name: bad
        derived:
          bad: "{formula}"
    """)
    assert message in error.message


def test_display_unit_mismatch_hints_the_forgotten_per_day():
    error = error_of("""
        name: bad
        inputs:
          dau: 100M user
          searches: 5 request/user
        derived:
          qps: dau * searches -> request/s
    """)
    assert error.message == "'qps' is in 'request'; it cannot be shown in 'request/s'"
    assert error.hint == "divide by a time: a forgotten 'per day' or 'per second'?"


def test_rounding_works_on_counts_after_dividing_by_a_unit():
    result = evaluate("""
        name: hours
        inputs:
          t: 150 minute
        derived:
          hours: ceil(t / (1 hour))
    """)
    assert result.values["hours"].value == 3


def test_scenario_units_and_aliases():
    result = evaluate("""
        name: frames
        units: {frame: null, kframe: 1000 frame}
        inputs:
          rate: 30 frame/s
        derived:
          per_hour: rate * 1 hour -> kframe
    """)
    assert result.values["per_hour"].value == pytest.approx(30 * 3600 / 1000)


def test_scenario_units_stay_in_their_scenario():
    evaluate("""
        name: one
        units: [advert]
        inputs:
          n: 5 advert
    """)
    error = error_of("""
        name: two
        inputs:
          n: 5 advert
    """)
    assert error.message == "unknown unit or name 'advert'"


def test_a_known_unit_cannot_be_redeclared():
    error = error_of("""
        name: bad
        units: [cycle]
    """)
    assert error.message == "'cycle' is already a unit: dimensionless, = turn; pick another name"


def test_a_name_pint_knows_only_by_prefix_can_be_a_scenario_unit():
    result = evaluate("""
        name: ads
        units: [ad, click]
        inputs:
          shown: 5 ad
          rate: 2 click/ad
        derived:
          clicks: shown * rate
    """)  # pint reads `ad` as atto-day, a name nobody means
    assert result.values["clicks"].display == "10 click"


def test_catalog_binding_and_reference_numbers():
    result = evaluate("""
        name: catalog
        hardware:
          gpu: H100-SXM
        inputs:
          model: 140 GB
        derived:
          gpus_for_weights: ceil(model / gpu.memory)
          rate: 2 gpu * gpu.bf16_flops -> TFLOPS
          round_trips: 1 ms / ref.datacenter_round_trip
    """)
    assert result.values["gpus_for_weights"].value == 2  # 140 GB over 80 GB/gpu
    assert result.values["rate"].value == pytest.approx(2 * 989)
    assert result.values["round_trips"].value == pytest.approx(1e-3 / 50e-6)


def test_division_by_zero_names_the_formula():
    error = error_of("""
        name: z
        inputs:
          a: 1 user
          z: 0 user
        derived:
          ok: a * 2
          r: a / z
    """)
    assert error.message == "division by zero in 'a / z'"
    assert (error.location.line, error.location.column) == (8, 8)  # the text starts with a blank line


def test_extends_overrides_entries_and_keeps_the_rest(scenario):
    scenario(
        """
        name: base
        inputs:
          users: 10 user
          per_user: 2 request/user
        derived:
          total: users * per_user
    """,
        "base.yaml",
    )
    child = scenario(
        """
        name: child
        extends: base.yaml
        inputs:
          users: 30 user
    """,
        "child.yaml",
    )
    result = calculator.load(child).evaluate().result
    assert result.scenario == "child"
    assert result.values["total"].value == 60


def test_uncertain_input_uses_its_median_for_the_point_value():
    result = evaluate("""
        name: u
        inputs:
          n: 2B to 8B image
          m: normal(10 ms, 2 ms)
          k: uniform(2 gpu, 6 gpu)
    """)
    assert result.values["n"].value == pytest.approx(math.sqrt(2e9 * 8e9))
    assert result.values["m"].value == pytest.approx(10)
    assert result.values["k"].value == pytest.approx(4)


def test_estimate_one_liner():
    qps = calculator.estimate("100M user * 5 request/user/day -> request/s")
    assert qps.magnitude == pytest.approx(100e6 * 5 / 86_400)
    assert str(qps.units) == "request / second"


def test_thousand_formula_chain_without_recursion_limits():
    lines = ["name: chain", "inputs:", "  x0: 1 request/s", "derived:"]
    lines += [f"  x{i}: x{i - 1} * 1.001" for i in range(1, 3001)]
    model = calculator.loads("\n".join(lines) + "\n")
    result = model.evaluate().result
    assert result.values["x3000"].value == pytest.approx(1.001**3000, rel=1e-9)


def test_tour_uses_every_section():
    text = (ROOT / "scenarios" / "tour.yaml").read_text(encoding="utf-8")
    for section in (
        "extends:",
        "hardware:",
        "units:",
        "inputs:",
        "derived:",
        "budgets:",
        "latency:",
        "settings:",
        "parallel:",
        "sequence:",
        " to ",
        "note:",
        "unit:",
        "warn:",
        "min:",
    ):
        assert section in text + (ROOT / "scenarios" / "tour_base.yaml").read_text(encoding="utf-8")


def test_stages_of_the_same_name_in_different_branches_are_different_slots():
    result = evaluate("""
        name: same names
        inputs:
          a: 1 ms
        latency:
          p:
            budget: 100 ms
            stages:
              left: { sequence: { io: 2 * a, cpu: 3 ms } }
              right: { parallel: { io: 7 ms, cpu: a } }
              io: 11 ms
    """)
    path = result.latency[0]
    # left: 2 + 3; right: the slower of 7 and 1; io: 11 -> 5 + 7 + 11
    assert path.total == pytest.approx(23.0)
    assert [s.value for s in path.stages] == pytest.approx([5.0, 7.0, 11.0])


def test_values_whose_sum_overflows_are_each_finite_and_evaluate():
    """The finiteness check tests the slots' sum first: 1.5e308 twice overflows the sum, not a value."""
    result = evaluate(
        """
        name: big
        inputs:
          x: 1.5e308
          y: 1.5e308
        derived:
          a: x * 1
          b: y * 1
        """
    )
    assert result.values["a"].value == result.values["b"].value == 1.5e308


def test_a_value_that_overflows_among_finite_ones_is_still_refused():
    error = error_of(
        """
        name: big
        inputs:
          x: 1.5e308
        derived:
          a: x * 1
          b: x * 10
        """
    )
    assert error.message == "overflow in 'x * 10': the result is too large for a float" and error.location.line == 7
