"""`aiops-tui export`: a snapshot taken while a writer process keeps committing cycles opens
read-only and holds every cycle committed before it, whole; the CLI path on a held file says who
holds it and points at the palette's "Export snapshot"."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from argparse import Namespace
from pathlib import Path

import pytest

from aiops_tui.errors import HistoryError, UserError
from aiops_tui.model import Batch, Event, Sample, SeriesKey
from aiops_tui.reports.cli import run_export
from aiops_tui.store.export import export_snapshot
from aiops_tui.store.history import History
from history_builders import T0, hold_open, release

SAMPLES_PER_CYCLE = 50
TIMEOUT_S = 60.0

# Writes cycle after cycle (SAMPLES_PER_CYCLE samples at ts = T0 + cycle, one event each) and prints
# the cycle number after its commit. When the flag file appears, a second thread exports while the
# writes go on: it prints "export-start K" (K: the last cycle committed before it began) and then
# "export-done"; the writer keeps writing until killed.
EXPORTING_WRITER = """
import sys, threading
from pathlib import Path
from aiops_tui.model import Batch, Event, Sample, SeriesKey
from aiops_tui.store.export import export_snapshot
from aiops_tui.store.history import History

path, per_cycle, t0, flag, out, parquet = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]), sys.argv[5], sys.argv[6] == "parquet"
keys = [SeriesKey("gw", "export_test_total", (("n", str(i)),)) for i in range(per_cycle)]
lock = threading.Lock()

def say(line):
    with lock:
        print(line, flush=True)

def export(last):
    say(f"export-start {last}")
    export_snapshot(history, out, 365 * 86400, parquet=parquet)
    say("export-done")

with History.open(path) as history:
    cycle, exporter = 0, None
    while True:
        ts = t0 + cycle
        history.write_cycle([Batch("gw", ts, [Sample(k, ts, float(cycle)) for k in keys], [Event(ts, "cycle", str(cycle))])])
        say(cycle)
        if exporter is None and flag.exists():
            exporter = threading.Thread(target=export, args=(cycle,))
            exporter.start()
        cycle += 1
"""


class Lines:
    """A child's stdout read on a thread, so a wait for a line can time out instead of hanging."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def next(self) -> str:
        line = self.lines.get(timeout=TIMEOUT_S)
        if line is None:
            raise AssertionError(f"writer exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
        return line


def run_writer_and_export(tmp_path: Path, out: Path, parquet: bool) -> tuple[int, int]:
    """(last cycle committed before the export began, first cycle printed after it finished)."""
    flag = tmp_path / "export-now"
    writer = subprocess.Popen(
        [sys.executable, "-c", EXPORTING_WRITER, str(tmp_path / "live.duckdb"), str(SAMPLES_PER_CYCLE), str(T0),
         str(flag), str(out), "parquet" if parquet else "duckdb"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = Lines(writer)
    try:
        seen = 0
        while seen < 5:  # a few cycles before the export is asked for
            line = lines.next()
            seen = int(line) if line.isdigit() else seen
        flag.touch()
        started = done = None
        after_done = None
        while after_done is None:
            line = lines.next()
            if line.startswith("export-start"):
                started = int(line.split()[1])
            elif line == "export-done":
                done = True
            elif line.isdigit() and done:
                after_done = int(line)
        assert started is not None
        # Keep writing a little after the export, then stop the writer as a crash would.
        for _ in range(3):
            lines.next()
    finally:
        writer.kill()
        writer.wait(timeout=TIMEOUT_S)
    return started, after_done


def check_cycles(per_cycle: dict[int, int], events: int, started: int, after_done: int) -> None:
    cycles = sorted(per_cycle)
    # A prefix of the cycles, each whole: no cycle is partly in the snapshot.
    assert cycles == list(range(len(cycles)))
    assert set(per_cycle.values()) == {SAMPLES_PER_CYCLE}
    assert events == len(cycles)
    # Everything committed before the export began is there; nothing committed after it finished.
    assert cycles[-1] >= started
    assert cycles[-1] < after_done


def test_export_while_a_writer_process_keeps_writing(tmp_path: Path):
    out = tmp_path / "snapshot.duckdb"
    started, after_done = run_writer_and_export(tmp_path, out, parquet=False)
    with History.open(out, read_only=True) as snapshot:
        con = snapshot.cursor()
        per_cycle = dict(con.execute("SELECT CAST(value AS INTEGER), count(*) FROM samples GROUP BY 1").fetchall())
        events = con.execute("SELECT count(*) FROM events WHERE kind = 'cycle'").fetchone()[0]
        assert con.execute("SELECT count(*) FROM series").fetchone()[0] == SAMPLES_PER_CYCLE
        check_cycles(per_cycle, events, started, after_done)
    assert (out.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left


def test_parquet_export_while_a_writer_process_keeps_writing(tmp_path: Path):
    import duckdb

    out = tmp_path / "snapshot-parquet"
    started, after_done = run_writer_and_export(tmp_path, out, parquet=True)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{t}.parquet" for t in
                           ("meta", "series", "samples", "samples_1m", "samples_1h", "cost_1h", "events", "rollup_watermark",
                            "rollup_carry"))
    con = duckdb.connect()
    per_cycle = dict(con.execute(
        f"SELECT CAST(value AS INTEGER), count(*) FROM read_parquet('{out / 'samples.parquet'}') GROUP BY 1").fetchall())
    events = con.execute(f"SELECT count(*) FROM read_parquet('{out / 'events.parquet'}') WHERE kind = 'cycle'").fetchone()[0]
    check_cycles(per_cycle, events, started, after_done)


def write_days(path: Path, days: int) -> None:
    """One sample an hour of one counter and one event a day, for `days` days from T0."""
    key = SeriesKey("gw", "demo_total")
    with History.open(path) as history:
        samples = [Sample(key, T0 + h * 3600.0, float(h)) for h in range(days * 24)]
        events = [Event(T0 + d * 86400.0, "note", f"day-{d}") for d in range(days)]
        history.write_cycle([Batch("gw", T0, samples, events)])
        history.rollup(T0 + days * 86400.0)


def empty_config(tmp_path: Path) -> str:
    config = tmp_path / "aiops.yaml"
    config.write_text("environment: test\n")
    return str(config)


def test_since_keeps_the_last_n_and_the_export_reviews_like_the_original(tmp_path: Path):
    from aiops_tui.reports.cli import render_report

    write_days(tmp_path / "h.duckdb", 10)
    with History.open(tmp_path / "h.duckdb") as history:  # the writer itself exports (the palette's path)
        result = export_snapshot(history, tmp_path / "last2d.duckdb", 2 * 86400.0)
    # Newest sample: T0 + 239 h; two days back: T0 + 191 h. Samples 191..239 = 49 rows; events of
    # days 8 and 9 (T0 + 192 h, T0 + 216 h); 1 h buckets, rolled up to T0 + 240 h, from 191 h on: 191..239 = 49.
    assert result.since_ts == T0 + 191 * 3600.0
    assert result.rows["samples"] == 49
    assert result.rows["events"] == 2
    assert result.rows["samples_1h"] == 49
    with History.open(tmp_path / "last2d.duckdb", read_only=True) as snapshot:
        assert snapshot.cursor().execute("SELECT min(value), max(value) FROM samples").fetchone() == (191.0, 239.0)
        text = render_report(snapshot, "breakers", since_s=86400.0, fmt="json")
    assert '"report": "breakers"' in text


def test_export_refuses_to_overwrite(tmp_path: Path):
    write_days(tmp_path / "h.duckdb", 1)
    (tmp_path / "taken.duckdb").write_text("keep me")
    with History.open(tmp_path / "h.duckdb", read_only=True) as history:
        with pytest.raises(HistoryError, match="already exists"):
            export_snapshot(history, tmp_path / "taken.duckdb", 86400.0)
    assert (tmp_path / "taken.duckdb").read_text() == "keep me"


def test_cli_export_of_a_file_held_by_the_live_app_says_who_and_offers_the_palette(tmp_path: Path):
    path = tmp_path / "h.duckdb"
    write_days(path, 1)
    holder = hold_open(path)
    try:
        args = Namespace(out=str(tmp_path / "out.duckdb"), since="7d", parquet=False, file=str(path), config=empty_config(tmp_path))
        with pytest.raises(UserError) as caught:
            run_export(args)
    finally:
        release(holder)
    message = str(caught.value)
    assert f"PID {holder.pid}" in message
    assert '"Export snapshot"' in message
    assert "python" in message  # the holder's command line, so the user knows which process it is
    assert "\n" not in message
    assert not (tmp_path / "out.duckdb").exists()


def test_cli_export_writes_the_snapshot(tmp_path: Path, capsys):
    write_days(tmp_path / "h.duckdb", 3)
    args = Namespace(out=str(tmp_path / "pq"), since="1d", parquet=True, file=str(tmp_path / "h.duckdb"), config=empty_config(tmp_path))
    assert run_export(args) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout belongs to reports
    assert "25 samples" in captured.err  # newest T0 + 71 h; one day back: hours 47..71
    assert (tmp_path / "pq" / "samples.parquet").exists()


def test_cli_report_of_a_held_file_points_at_the_snapshot(tmp_path: Path):
    from aiops_tui.reports.cli import run_report

    path = tmp_path / "h.duckdb"
    write_days(path, 1)
    holder = hold_open(path)
    try:
        args = Namespace(kind="cost", id=None, file=str(path), since="30d", format="table", config=empty_config(tmp_path))
        with pytest.raises(UserError) as caught:
            run_report(args)
    finally:
        release(holder)
    message = str(caught.value)
    assert f"PID {holder.pid}" in message and '"Export snapshot"' in message
    assert "aiops-tui report cost --file SNAPSHOT" in message
