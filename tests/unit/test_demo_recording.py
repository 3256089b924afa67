"""The demo's shipped hour (`demo_data/demo-hour/`): what the sim records today, moved to any start it is
the hour simulated from there to the last bit, and the model the demo's forked child hands back is the one
that recorded it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from aiops_tui.demo import (
    DEMO_BACKFILL_STEP_S, RECORDING_DIR, DemoRecording, advance_through, backfill, record_hour,
)
from aiops_tui.forked import start_in_child
from aiops_tui.resources import shipped_dir
from aiops_tui.store.history import History

SETTINGS = {"seed": 42, "budget_monthly_usd": 15_000.0}  # demo_data/demo.yaml's budget
SHIPPED = shipped_dir("demo_data") / RECORDING_DIR
NOW = 1_796_311_056.4  # 2026-12-03 16:37:36 UTC: another day, another time of day than the recording's
SAMPLES = ("SELECT s.source, s.name, s.labels, epoch_us(v.ts), v.value FROM samples v JOIN series s USING (series_id)"
           " ORDER BY ALL")
ROLLUPS = ("SELECT s.name, s.labels, epoch_us(m.bucket), m.min, m.max, m.last, m.count, m.increase"
           " FROM samples_1m m JOIN series s USING (series_id) ORDER BY ALL")
EVENTS = "SELECT epoch_us(ts), kind, subject, from_state, to_state, detail FROM events ORDER BY ALL"


def recording() -> DemoRecording:
    found = DemoRecording.matching(duration_s=3600.0, **SETTINGS)
    assert found is not None, f"{SHIPPED} is missing or was made with other settings: run `make demo-recording`"
    return found


def first_and_last_sample(history: History) -> tuple[int, int]:
    return history.con.execute("SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM samples").fetchone()


def parquet_rows(directory: Path, table: str) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{directory / table}.parquet') ORDER BY ALL").fetchall()


def test_the_shipped_recording_is_what_the_sim_records_now(tmp_path: Path) -> None:
    fresh = record_hour(tmp_path / "fresh", **SETTINGS)
    stale = f"{SHIPPED} is not what the sim records now: run `make demo-recording`"
    manifest = json.loads((SHIPPED / "recording.json").read_text(encoding="utf-8"))
    assert json.loads((fresh / "recording.json").read_text(encoding="utf-8")) == manifest, stale
    for table in ("series", "samples", "events"):
        assert parquet_rows(fresh, table) == parquet_rows(SHIPPED, table), f"{table}: {stale}"
    assert len(parquet_rows(SHIPPED, "samples")) > 50_000


def test_the_recorded_hour_moved_to_now_is_the_hour_simulated_from_there(tmp_path: Path) -> None:
    shipped = recording()
    start = shipped.start_for(NOW)
    assert start == 1_796_311_056 - 3600 and start != shipped.start_ts
    with History.open(tmp_path / "recorded.duckdb") as history:
        shipped.absorb_into(history, start)
        moved = [history.con.execute(q).fetchall() for q in (SAMPLES, ROLLUPS, EVENTS)]
    with History.open(tmp_path / "simulated.duckdb") as history:
        backfill(history, shipped.model_for(start, **SETTINGS), start, start + 3600, step_s=DEMO_BACKFILL_STEP_S)
        simulated = [history.con.execute(q).fetchall() for q in (SAMPLES, ROLLUPS, EVENTS)]
    assert moved == simulated
    samples, rollups, events = moved
    assert len(samples) > 50_000 and rollups and events
    first_us, last_us = min(row[3] for row in samples), max(row[3] for row in samples)
    assert (first_us, last_us) == (start * 1_000_000, (start + 3600 - 60) * 1_000_000)
    # Breaker "since" times are times themselves: they moved with the hour, into it.
    since = [row[4] for row in samples if row[1] == "signal:breaker_since_ts"]
    assert since and all(start <= value <= start + 3600 for value in since)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the demo forks only where the OS can")
def test_the_child_hands_back_the_model_that_recorded_the_hour(tmp_path: Path) -> None:
    shipped = recording()
    start = shipped.start_for(NOW)
    model = shipped.model_for(start, **SETTINGS)
    child = start_in_child(tmp_path / "demo.duckdb", first_and_last_sample, what="the demo's start",
                           put=lambda h: shipped.absorb_into(h, start), then=lambda: advance_through(model, start, start + 3600))
    assert child.next() is None
    assert child.next() == (start * 1_000_000, (start + 3600 - 60) * 1_000_000)  # the hour is in, moved to end now
    served = child.next()
    with History.open(tmp_path / "h.duckdb") as history:
        recorded = shipped.model_for(start, **SETTINGS)
        backfill(history, recorded, start, start + 3600, step_s=DEMO_BACKFILL_STEP_S, rollup=False)
    assert served.now_ts == recorded.now_ts == start + 3600 - 60
    assert served.truth() == recorded.truth()
    assert advance_through(shipped.model_for(start, **SETTINGS), start, start + 3600).truth() == recorded.truth()
    # Live polling goes on from there as it would have from the recording model.
    served.advance(start + 3600 + 30)
    recorded.advance(start + 3600 + 30)
    assert [(f.name, f.samples) for f in served.families()] == [(f.name, f.samples) for f in recorded.families()]


def test_the_recording_is_only_used_with_the_settings_it_was_made_with(tmp_path: Path, monkeypatch) -> None:
    assert recording().start_ts == 1_767_362_400
    assert DemoRecording.matching(duration_s=3600.0, seed=7, budget_monthly_usd=15_000.0) is None
    assert DemoRecording.matching(duration_s=1800.0, **SETTINGS) is None
    assert DemoRecording.matching(duration_s=3600.0, seed=42, budget_monthly_usd=20_000.0) is None
    assert DemoRecording.matching(duration_s=3600.0, directory=tmp_path / "missing", **SETTINGS) is None

    prices = tmp_path / "pricing.yaml"
    shutil.copy(shipped_dir("demo_data") / "pricing.yaml", prices)
    prices.write_text(prices.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr("aiops_tui.sim.pricing.default_pricing_path", lambda: prices)
    assert DemoRecording.matching(duration_s=3600.0, **SETTINGS) is None  # the hour would cost otherwise
