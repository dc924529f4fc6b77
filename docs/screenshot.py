"""Regenerate docs/tui.svg: the video recommendation scenario with its traffic doubled.

python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.app import EnvelopeApp
from tui.widgets.inputs import InputsPanel

ROOT = Path(__file__).resolve().parents[1]


async def main() -> None:
    app = EnvelopeApp([ROOT / "scenarios" / "video_recommendation.yaml"], watch_interval=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.5)
        panel = app.query_one(InputsPanel)
        panel.select_name("monthly_views")
        app.screen.set_focus(panel.table)
        await pilot.press("enter")
        panel.field.value = "300B view/month"
        await pilot.press("enter")
        await pilot.pause(0.5)
        await pilot.press("4", "down", "down", "down", "enter")  # the retraining budget, now red: why
        await pilot.pause(1.5)
        (ROOT / "docs" / "tui.svg").write_text(app.export_screenshot(title="envelope"), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
