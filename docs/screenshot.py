"""Writes docs/screenshot.svg: the golden pane over an hour of the seeded demo gateway, frozen clock.

Run with `.venv/bin/python docs/screenshot.py` after a visible change to the cockpit.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill
from aiops_tui.signals.golden import Targets
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.pricing import load_pricing
from aiops_tui.store.history import History
from aiops_tui.ui.app import app_for

NOW = 1_795_600_800.0  # 2026-11-25 10:00 UTC
OUT = Path(__file__).resolve().parent / "screenshot.svg"


def seeded_history(path: Path) -> None:
    """An hour of the seed-11 sim whose gpt-4o upstream fails for the last ten minutes."""
    model = GatewayModel(11, NOW - 3_600.0, budget_monthly_usd=15_000.0)
    with History.open(path) as history:
        backfill(history, model, NOW - 3_600.0, NOW - 600.0)
        model.inject("upstream_outage", "openai/gpt-4o", duration_s=600.0)
        backfill(history, model, NOW - 600.0, NOW)


async def shoot(path: Path) -> None:
    with History.open(path, read_only=True) as history:
        cockpit = Cockpit(
            history, environment="prod-eu", targets=Targets(latency_p95_s=4.0), monthly_budget_usd=15_000.0,
            prices=load_pricing(), clock=lambda: NOW,
        )
        app = app_for(cockpit)
        app.animation_level = "none"
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.5)
            app.save_screenshot(filename=OUT.name, path=str(OUT.parent))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as workdir:
        history_path = Path(workdir) / "history.duckdb"
        seeded_history(history_path)
        asyncio.run(shoot(history_path))
