"""The demo's start in a forked child (`start_in_child`): it creates the history file, puts a simulated hour
in and builds the first views from it, then rolls the hour up, closes the file for this process and hands
back the model. The same history, views and model as a backfill in this process; failures in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill, backfill_progress, roll_up_hour
from aiops_tui.errors import UserError
from aiops_tui.forked import start_in_child
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the demo forks only where the OS can")

END = 1_795_600_800.0  # 2026-11-25 10:00 UTC
START = END - 1_800.0
STEP_S = 60.0
WHAT = "the demo's start"
SERIES = "SELECT s.source, s.name, s.labels, epoch_us(v.ts), v.value FROM samples v JOIN series s USING (series_id) ORDER BY ALL"
ROLLUPS = "SELECT s.name, s.labels, epoch_us(m.bucket), m.count, m.increase FROM samples_1m m JOIN series s USING (series_id) ORDER BY ALL"
EVENTS = "SELECT epoch_us(ts), kind, subject, from_state, to_state FROM events ORDER BY ALL"


def model() -> GatewayModel:
    return GatewayModel(7, START, budget_monthly_usd=15_000.0)


def views_of(history: History):
    return Cockpit(history, clock=lambda: END, monthly_budget_usd=15_000.0).views()


def test_the_child_reads_the_first_views_before_the_rollups_and_they_are_the_views_after_them(tmp_path: Path) -> None:
    with History.open(tmp_path / "here.duckdb") as here:
        in_process = model()
        backfill(here, in_process, START, END, step_s=STEP_S)
        expected = [here.con.execute(q).fetchall() for q in (SERIES, ROLLUPS, EVENTS)]
        expected_views = views_of(here)
    assert expected[0] and expected[1] and expected_views.golden.tiles

    def rollups_and_views(history: History):
        return history.con.execute("SELECT count(*) FROM samples_1m").fetchone()[0], views_of(history)

    simulated = model()
    child = start_in_child(tmp_path / "forked.duckdb", rollups_and_views, what=WHAT,
                           put=lambda h: backfill(h, simulated, START, END, step_s=STEP_S, rollup=False),
                           after=lambda h: roll_up_hour(h, END), then=lambda: simulated)
    assert child.next() is None  # the file is open over there
    rolled_up, views = child.next()
    assert rolled_up == 0  # read from the raw samples alone
    assert (views.golden, views.cost, views.breakers) == (expected_views.golden, expected_views.cost, expected_views.breakers)
    served = child.next()
    with History.open(tmp_path / "forked.duckdb") as forked:  # closed by the child: this process may write it
        assert [forked.con.execute(q).fetchall() for q in (SERIES, ROLLUPS, EVENTS)] == expected
    # The model comes back where the child left it, and goes on exactly as the one that stayed here.
    assert served.now_ts == in_process.now_ts > END - 2 * STEP_S
    assert simulated.now_ts == START  # this process's copy never moved
    in_process.advance(END + 30)
    served.advance(END + 30)
    assert [(f.name, f.samples) for f in served.families()] == [(f.name, f.samples) for f in in_process.families()]


def test_a_file_the_child_cannot_open_is_the_historys_own_line_said_before_the_ui(tmp_path: Path) -> None:
    (tmp_path / "blocked.duckdb").mkdir()  # the history cannot be created: a directory is in the way
    child = start_in_child(tmp_path / "blocked.duckdb", views_of, what=WHAT, then=model)
    with pytest.raises(UserError) as raised:
        child.next()
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 'blocked.duckdb'}")
    with pytest.raises(UserError):
        child.next()  # the first views and the model say the same


def test_a_failing_hour_is_one_line_and_leaves_no_hour_behind(tmp_path: Path) -> None:
    def put_hour(history: History) -> None:
        history.absorb(tmp_path / "missing-recording")

    child = start_in_child(tmp_path / "h.duckdb", views_of, what=WHAT, put=put_hour, then=model)
    assert child.next() is None
    with pytest.raises(UserError, match="missing-recording") as raised:
        child.next()
    assert "\n" not in str(raised.value)
    with History.open(tmp_path / "h.duckdb") as history:  # the child is gone and the file can be opened
        assert history.time_range() is None


def test_closing_before_the_hour_is_in_stops_the_child(tmp_path: Path) -> None:
    day = GatewayModel(7, END - 86_400.0)
    child = start_in_child(tmp_path / "h.duckdb", views_of, what=WHAT,
                           put=lambda h: backfill(h, day, END - 86_400.0, END, step_s=STEP_S), then=lambda: day)
    pid = child._pid
    child.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left
    with History.open(tmp_path / "h.duckdb") as history:  # and no lock left on the file
        assert history.read_only is False


def test_a_backfill_of_hours_writes_each_hour_as_it_goes_and_loses_no_sample(tmp_path: Path) -> None:
    # `aiops-tui demo --backfill 30h` held all 2.3M samples until the end: 590 MB, against 148 MB an hour at a time.
    hours = 3
    with History.open(tmp_path / "h.duckdb") as history:
        written = []
        write_cycle = history.write_cycle
        history.write_cycle = lambda batches: written.append(write_cycle(batches)) or written[-1]
        reached = []  # how far the status line says the simulation has got, and what the history held then
        cycles = backfill(history, GatewayModel(7, END - hours * 3600.0), END - hours * 3600.0, END, step_s=STEP_S,
                          written=lambda ts: reached.append((ts, history.time_range()[1])))
        stored = history.con.execute("SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM events)").fetchone()[0]
        first, last = history.time_range()
    assert cycles == hours * 60 and last - first == (hours * 60 - 1) * STEP_S
    assert len([rows for rows in written if rows]) == hours  # not the whole span in one write
    assert max(written) < stored / 2 and sum(written) == stored  # samples and events, none lost
    assert [ts for ts, _ in reached] == [END - 2 * 3600.0, END - 3600.0, END]  # each hour, then the end
    assert all(ts - STEP_S <= held <= ts for ts, held in reached)  # said once written, not before


def test_the_start_says_how_far_the_backfill_has_got_then_that_it_is_rolled_up() -> None:
    start, end = END - 7 * 86400.0, END
    said = [backfill_progress("7d", start, end, until) for until in (None, start + 3600.0, END - 2 * 86400.0, END)]
    assert said == [
        "simulating the demo's 7d before now",  # its first hour is not written yet
        "simulating the demo's 7d before now · 1 %",
        "simulating the demo's 7d before now · 71 %",
        "rolling up the demo's 7d; polling starts after",
    ]
