"""Catalog figures for the scenario tests, read from the data files (never from the engine).

`catalog_number("gpus.yaml", "L4", "bf16_flops")` is 121, from "121 TFLOPS/gpu";
the `fields` level of a GPU entry may be named or left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CATALOG = Path(__file__).parents[2] / "calculator" / "catalog"
HOURS_PER_MONTH = 730.5  # pint's month = 30.4375 days
DAYS_PER_MONTH = 30.4375


def catalog_number(file: str, *keys: str) -> float:
    """The leading number of a catalog figure."""
    node: Any = yaml.safe_load((CATALOG / file).read_text(encoding="utf-8"))["entries"]
    for key in keys:
        if key not in node and "fields" in node:
            node = node["fields"]
        node = node[key]
    if isinstance(node, dict):
        node = node["value"]
    return float(str(node).split()[0])
