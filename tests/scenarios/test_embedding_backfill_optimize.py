"""Embedding backfill as a choice: `envelope optimize` finds the fewest workers that finish in the window.

The GPU-hours are worked out by hand from the encoder's shape and the L4's catalog figure; a worker count
finishes in time when GPU-hours / workers <= 48 hours, and the cost does not depend on it (every design pays
for the same GPU-hours), so the question is only how many workers the window needs.
"""

import json
from math import ceil
from pathlib import Path

import pytest

from calculator.cli.main import main
from tests.scenarios.catalog_figures import catalog_number

SCENARIO = Path(__file__).parents[2] / "scenarios" / "embedding_backfill.yaml"

L4_BF16 = catalog_number("gpus.yaml", "L4", "bf16_flops") * 1e12
PER_TOKEN = 2 * 12 * (4 * 768**2 + 2 * 768 * 3072) + 4 * 12 * 512 * 768  # BERT-base matmuls + attention at 512
GPU_HOURS = 1e9 * PER_TOKEN * 512 / (L4_BF16 * 0.40) / 3600
WORKERS = range(4, 25)  # the scenario's options: 4 to 24 gpu, step 1


def test_the_fewest_workers_that_finish_in_the_window(capsys):
    too_few = [w for w in WORKERS if GPU_HOURS / w > 48]
    fewest = ceil(GPU_HOURS / 48)
    assert (fewest, len(too_few)) == (12, 8)  # 4..11 workers take longer than the weekend
    assert main(["optimize", str(SCENARIO), "--minimize", "workers", "--top", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["evaluated"], data["feasible"]) == (len(WORKERS), len(WORKERS) - len(too_few))
    assert data["infeasible_by_budget"] == {"backfill_time": len(too_few)}
    best, second = data["designs"]
    assert best["choices"] == {"workers": f"{fewest} gpu"}
    assert best["binding_budget"] == "backfill_time"
    assert best["utilization"] == pytest.approx(GPU_HOURS / fewest / 48, rel=1e-9)
    assert best["status"] == "warn"  # 96% of the window
    assert second["choices"] == {"workers": f"{fewest + 1} gpu"}
