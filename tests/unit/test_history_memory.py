"""DuckDB's memory under the history: bounded for the cockpit's connections, larger only for the
bulk copy that needs it, and handed back after."""

from __future__ import annotations

from pathlib import Path

import duckdb

from aiops_tui.store.export import export_snapshot
from aiops_tui.store.history import History
from aiops_tui.store.opening import CHECKPOINT_THRESHOLD, MEMORY_LIMIT
from history_builders import T0, batch, key, samples_of


def setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute("SELECT current_setting(?)", [name]).fetchone()[0]


def as_duckdb_shows(name: str, value: str) -> str:
    """`value` as DuckDB prints it back (48MB reads "45.7 MiB")."""
    with duckdb.connect() as con:
        con.execute(f"SET {name} = ?", [value])
        return setting(con, name)


def test_writer_and_reader_have_a_bounded_buffer_pool_and_spill_beside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    for read_only in (False, True):
        with History.open(path, read_only=read_only) as history:
            for con in (history.con, history.cursor()):
                assert setting(con, "memory_limit") == as_duckdb_shows("memory_limit", MEMORY_LIMIT)
                assert setting(con, "checkpoint_threshold") == as_duckdb_shows("checkpoint_threshold", CHECKPOINT_THRESHOLD)
                assert setting(con, "temp_directory") == f"{path}.tmp"


def test_an_export_gets_more_memory_for_the_copy_and_hands_it_back(tmp_path: Path) -> None:
    with History.open(tmp_path / "history.duckdb") as history:
        history.write_cycle([batch(samples_of(key("aiops_requests_total"), [(s, float(s)) for s in range(0, 3600, 15)]))])
        result = export_snapshot(history, tmp_path / "last-hour.duckdb", 3600.0)
        assert setting(history.con, "memory_limit") == as_duckdb_shows("memory_limit", MEMORY_LIMIT)
    with History.open(result.path, read_only=True) as copy:
        assert len(copy.samples("aiops_requests_total", T0, T0 + 3600)) == 240
