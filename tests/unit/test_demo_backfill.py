"""The demo's hour written by a forked child into a file of its own, then absorbed: the same history as a
backfill in this process, the model handed back where the child left it, failures in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiops_tui.demo import BackfillChild, backfill
from aiops_tui.errors import UserError
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the demo forks only where the OS can")

END = 1_795_600_800.0  # 2026-11-25 10:00 UTC
START = END - 1_800.0
STEP_S = 60.0
SERIES = "SELECT s.source, s.name, s.labels, epoch_us(v.ts), v.value FROM samples v JOIN series s USING (series_id) ORDER BY ALL"
ROLLUPS = "SELECT s.name, s.labels, epoch_us(m.bucket), m.count, m.increase FROM samples_1m m JOIN series s USING (series_id) ORDER BY ALL"
EVENTS = "SELECT epoch_us(ts), kind, subject, from_state, to_state FROM events ORDER BY ALL"


def model() -> GatewayModel:
    return GatewayModel(7, START, budget_monthly_usd=15_000.0)


def test_the_absorbed_hour_equals_a_backfill_in_this_process(tmp_path: Path) -> None:
    with History.open(tmp_path / "here.duckdb") as here:
        in_process = model()
        backfill(here, in_process, START, END, step_s=STEP_S)
        expected = [here.con.execute(q).fetchall() for q in (SERIES, ROLLUPS, EVENTS)]

    child = BackfillChild(tmp_path / ".forked.backfill", model(), START, END, step_s=STEP_S)
    with History.open(tmp_path / "forked.duckdb") as forked:
        served = child.absorb_into(forked)
        assert [forked.con.execute(q).fetchall() for q in (SERIES, ROLLUPS, EVENTS)] == expected
    assert expected[0] and expected[1]
    assert not (tmp_path / ".forked.backfill").exists()
    # The model comes back where the child left it, and goes on exactly as the one that stayed here.
    assert served.now_ts == in_process.now_ts > END - 2 * STEP_S
    in_process.advance(END + 30)
    served.advance(END + 30)
    assert [(f.name, f.samples) for f in served.families()] == [(f.name, f.samples) for f in in_process.families()]


def test_a_failing_child_is_one_line_and_leaves_the_history_untouched(tmp_path: Path) -> None:
    (tmp_path / "blocked").mkdir()  # the child's file cannot be created: it is a directory
    child = BackfillChild(tmp_path / "blocked", model(), START, END, step_s=STEP_S)
    with History.open(tmp_path / "h.duckdb") as history:
        with pytest.raises(UserError) as raised:
            child.absorb_into(history)
        assert history.time_range() is None
    message = str(raised.value)
    assert "\n" not in message and "the demo's backfill failed" in message and "is a directory" in message


def test_closing_before_the_hour_is_absorbed_stops_the_child_and_removes_its_file(tmp_path: Path) -> None:
    child = BackfillChild(tmp_path / ".h.backfill", GatewayModel(7, END - 86_400.0), END - 86_400.0, END, step_s=STEP_S)
    pid = child._pid
    child.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left
    assert not (tmp_path / ".h.backfill").exists()
