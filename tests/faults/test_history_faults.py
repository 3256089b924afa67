"""The history file under faults: a writer killed mid-run, files from elsewhere, a second process,
an unwritable place. Every refusal is one line the user can act on."""

from __future__ import annotations

import signal
from pathlib import Path

import duckdb
import pytest

from aiops_tui.store.history import SCHEMA_VERSION, History, HistoryError
from history_builders import OPEN_LIKE_CLI_SCRIPT, T0, WRITER_SCRIPT, batch, hold_open, key, release, samples_of, spawn

SAMPLES_PER_CYCLE = 2_000


def one_line_error(path: Path, *, read_only: bool = False) -> str:
    with pytest.raises(HistoryError) as caught:
        History.open(path, read_only=read_only)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_writer_killed_mid_run_loses_no_committed_cycle(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    writer = spawn(WRITER_SCRIPT, str(path), str(SAMPLES_PER_CYCLE), str(T0))
    assert writer.stdout is not None
    committed = []
    while len(committed) < 25:
        line = writer.stdout.readline()
        assert line, f"writer died early: {writer.stderr.read() if writer.stderr else ''}"
        committed.append(int(line))
    writer.send_signal(signal.SIGKILL)  # most likely inside the next cycle's transaction
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    for read_only in (True, False):
        with History.open(path, read_only=read_only) as history:
            per_cycle = dict(history.con.execute(
                "SELECT CAST(epoch(ts) - ? AS INTEGER), count(*) FROM samples GROUP BY 1", [T0]
            ).fetchall())
            events = history.con.execute("SELECT count(*) FROM events").fetchone()[0]
        # Every cycle reported as committed is there, whole; a cycle cut by the kill is absent, not partial.
        assert set(committed) <= set(per_cycle)
        assert sorted(per_cycle) == list(range(len(per_cycle)))
        assert set(per_cycle.values()) == {SAMPLES_PER_CYCLE}
        assert events == len(per_cycle)


def test_file_from_a_newer_build_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET schema_version = 7")
    con.close()
    expected = (
        f"{path}: written by a newer aiops-tui (schema 7, this build reads up to {SCHEMA_VERSION}); "
        "upgrade aiops-tui or open a copy with it"
    )
    assert one_line_error(path) == expected
    assert one_line_error(path, read_only=True) == expected


def test_text_file_is_refused_without_being_touched(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    path.write_text("not a database\nat all\n")
    assert one_line_error(path) == f"{path}: not a DuckDB file"
    assert one_line_error(path, read_only=True) == f"{path}: not a DuckDB file"
    assert path.read_text() == "not a database\nat all\n"


def test_duckdb_file_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.close()
    assert one_line_error(path) == f"{path}: not an aiops-tui history file (a DuckDB file with other tables)"


def test_empty_duckdb_file_becomes_a_history(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    assert one_line_error(path, read_only=True) == f"{path}: not an aiops-tui history file (an empty DuckDB file)"
    with History.open(path) as history:
        assert history.con.execute("SELECT schema_version FROM meta").fetchall() == [(SCHEMA_VERSION,)]


def test_missing_file_for_review(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.duckdb"
    assert one_line_error(path, read_only=True) == f"{path}: no such history file"
    assert not path.exists()


def test_file_held_by_another_writer_process(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    holder = hold_open(path)
    try:
        assert one_line_error(path) == (
            f"{path}: in use by another aiops-tui process (PID {holder.pid}); open it read-only with "
            "`aiops-tui review`, or write a snapshot with `aiops-tui export`"
        )
        review = one_line_error(path, read_only=True)
        assert review.startswith(f"{path}: being written by another aiops-tui process (PID {holder.pid}); ")
    finally:
        release(holder)
    with History.open(path) as history:  # free again once the other process has gone
        assert history.time_range() is None


def test_unwritable_place_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    path = blocker / "history.duckdb"
    message = one_line_error(path)
    assert message.startswith(f"{path}: cannot create directory {blocker} (")


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    assert one_line_error(tmp_path) == f"{tmp_path}: is a directory, not a history file"


def test_cli_process_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    path.write_text("hello\n")
    for mode in ("rw", "ro"):
        child = spawn(OPEN_LIKE_CLI_SCRIPT, str(path), mode)
        out, err = child.communicate(timeout=60)
        assert (child.returncode, out, err) == (2, "", f"{path}: not a DuckDB file\n")


def test_failed_cycle_rolls_back_whole_and_forgets_its_new_series(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    good, doomed = key("requests_total", model="a"), key("requests_total", model="b")
    with History.open(path) as history:
        history.write_cycle([batch(samples_of(good, [(0, 1.0)]))])
        with pytest.raises(HistoryError) as caught:
            # An infinite timestamp cannot become a TIMESTAMPTZ: the whole cycle must go.
            history.write_cycle([batch(samples_of(good, [(10, 2.0)]), samples_of(doomed, [(float("inf"), 1.0)]))])
        assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}: ")
        assert history.samples("requests_total", T0, T0 + 60) == [(good, T0, 1.0)]
        assert history.con.execute("SELECT count(*) FROM series").fetchone() == (1,)
        history.write_cycle([batch(samples_of(doomed, [(20, 3.0)]))])  # the next cycle still works
        assert history.samples("requests_total", T0 + 20, T0 + 20) == [(doomed, T0 + 20, 3.0)]
