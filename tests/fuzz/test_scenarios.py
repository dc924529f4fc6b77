"""Target 4: whole generated scenarios through the API: loads, evaluate, explain, sweep, solve."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import calculator

from .harness import only_envelope_errors
from .strategies import quantities, scenario_texts
from .test_formulas import present


@given(text=scenario_texts(), data=st.data())
def test_scenario(text: str, data: st.DataObject) -> None:
    models: list[calculator.Model] = []
    only_envelope_errors("scenario:loads", text, lambda: models.append(calculator.loads(text, "s.yaml")))
    if not models:
        return
    model = models[0]
    only_envelope_errors("scenario:evaluate", text, lambda: present(model.evaluate().result))
    inputs = [v.name for v in model.scenario.inputs]
    derived = [v.name for v in model.scenario.derived]
    if derived:
        name = data.draw(st.sampled_from(derived))

        def explain() -> None:
            explanation = calculator.explain(model, name)
            explanation.to_text()
            explanation.to_dict()
            explanation.to_markdown()
            explanation.to_latex()

        only_envelope_errors("scenario:explain", {"text": text, "name": name}, explain)
    if inputs:
        name = data.draw(st.sampled_from(inputs))
        start, stop = data.draw(quantities), data.draw(quantities)
        log = data.draw(st.booleans())

        def sweep() -> None:
            table = calculator.sweep(model, name, start, stop, 3, log)
            table.to_dict()
            table.to_csv()
            table.to_markdown()
            table.plot(color=False)

        only_envelope_errors("scenario:sweep", {"text": text, "input": name, "from": start, "to": stop, "log": log}, sweep)

        def solve() -> None:
            solution = calculator.solve(model, name)
            solution.to_text()
            solution.to_dict()

        only_envelope_errors("scenario:solve", {"text": text, "input": name}, solve)
