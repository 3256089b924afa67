"""DuckDB's memory under the history: bounded for the cockpit's connections, larger only for the
bulk copy that needs it, and handed back after."""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from aiops_tui.model import Batch
from aiops_tui.store.export import export_snapshot
from aiops_tui.store.history import History, HistoryError
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


# -- reopening a long session's database --------------------------------------------------------

def filled(path: Path) -> tuple[History, list]:
    """A history of 20 series over an hour, rolled up, and read often enough to leave queue nodes."""
    history = History.open(path)
    keys = [key("aiops_requests_total", model=f"m{i}") for i in range(20)]
    for minute in range(0, 60, 6):
        history.write_cycle([batch(*[samples_of(k, [(minute * 60 + s, float(minute * 60 + s)) for s in range(0, 360, 15)])
                                     for k in keys])])
    history.rollup(T0 + 3600)
    for _ in range(10):
        history.samples("aiops_requests_total", T0, T0 + 3600)
        history.rollups("aiops_requests_total", T0, T0 + 3600, resolution="1m")
    return history, keys


def test_reopen_frees_the_eviction_queues_and_keeps_every_row_and_series_id(tmp_path: Path) -> None:
    history, keys = filled(tmp_path / "history.duckdb")
    with history:
        samples = history.samples("aiops_requests_total", T0, T0 + 3600)
        buckets = history.rollups("aiops_requests_total", T0, T0 + 3600, resolution="1m")
        ids = [history.series_id(k) for k in keys]
        before = history.buffer_use().queue_nodes
        assert before > 100

        assert history.reopen()

        assert history.buffer_use().queue_nodes < before / 10
        assert history.samples("aiops_requests_total", T0, T0 + 3600) == samples
        assert history.rollups("aiops_requests_total", T0, T0 + 3600, resolution="1m") == buckets
        assert [history.series_id(k) for k in keys] == ids
        history.write_cycle([batch(samples_of(keys[0], [(3600, 3600.0)]), samples_of(key("new_total"), [(3600, 1.0)]))])
        assert history.latest("aiops_requests_total", at=T0 + 3600)[0][1:] == (T0 + 3600, 3600.0)
        assert history.series_id(key("new_total")) == max(ids) + 1
        assert setting(history.con, "memory_limit") == as_duckdb_shows("memory_limit", MEMORY_LIMIT)


def test_a_thread_reading_before_a_reopen_reads_on_through_a_new_cursor(tmp_path: Path) -> None:
    history, _ = filled(tmp_path / "history.duckdb")

    def read() -> int:
        with history.reading() as cursor:
            return cursor.execute("SELECT count(*) FROM samples").fetchone()[0]

    with history, concurrent.futures.ThreadPoolExecutor(max_workers=1) as reader:  # one thread, both reads
        assert reader.submit(read).result() == 4800
        assert history.reopen()
        assert reader.submit(read).result() == 4800


def test_reopen_waits_its_turn_while_a_read_is_in_flight(tmp_path: Path) -> None:
    history, _ = filled(tmp_path / "history.duckdb")
    inside, leave = threading.Event(), threading.Event()

    def long_read() -> None:
        with history.reading() as cursor:
            cursor.execute("SELECT count(*) FROM samples").fetchone()
            inside.set()
            leave.wait(10)
            assert cursor.execute("SELECT count(*) FROM samples").fetchone()[0] == 4800

    with history:
        reader = threading.Thread(target=long_read)
        reader.start()
        assert inside.wait(10)
        assert not history.reopen()
        leave.set()
        reader.join()
        assert history.reopen()


def test_reopen_leaves_a_file_deleted_meanwhile_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    history, keys = filled(path)
    with history:
        path.unlink()
        assert not history.reopen()
        history.write_cycle([batch(samples_of(keys[0], [(3600, 3600.0)]))])
        assert len(history.samples("aiops_requests_total", T0, T0 + 3600)) == 4801
    assert not path.exists()


LOCKED = "in use by another aiops-tui process (PID 4242)"


@pytest.fixture
def refuse_reconnect(monkeypatch):
    """`refuse_reconnect(True)`: the history's next connections are refused as another process's lock
    refuses them; `refuse_reconnect(False)`: the lock is gone."""
    import aiops_tui.store.history as history_module

    real_connect = history_module.connect

    def locked(path, label, **kwargs):
        raise HistoryError(f"{label}: {LOCKED}")

    return lambda refused: monkeypatch.setattr(history_module, "connect", locked if refused else real_connect)


def test_a_reopen_that_cannot_connect_says_why_and_the_next_write_connects(tmp_path: Path, refuse_reconnect) -> None:
    history, keys = filled(tmp_path / "history.duckdb")
    with history:
        refuse_reconnect(True)
        with pytest.raises(HistoryError, match=re.escape(LOCKED)):
            history.reopen()
        with pytest.raises(HistoryError, match=re.escape(LOCKED)):
            history.samples("aiops_requests_total", T0, T0 + 3600)
        assert not history.reopen()
        refuse_reconnect(False)
        history.write_cycle([batch(samples_of(keys[0], [(3600, 3600.0)]))])
        assert len(history.samples("aiops_requests_total", T0, T0 + 3600)) == 4801


def test_the_recorder_reopens_the_history_once_the_queues_pass_the_threshold(tmp_path: Path, monkeypatch) -> None:
    import aiops_tui.recorder as recorder_module

    history, keys = filled(tmp_path / "history.duckdb")
    with history:
        recorder = recorder_module.Recorder(history, [], clock=lambda: T0 + 3600)
        recorder.write_now([Batch("gw", T0 + 3600, samples_of(keys[0], [(3600, 1.0)]))])
        assert recorder.reopens == 0  # a few hundred nodes: far below the threshold
        monkeypatch.setattr(recorder_module, "REOPEN_AT_QUEUE_NODES", 100)
        recorder.write_now([Batch("gw", T0 + 3615, samples_of(keys[0], [(3615, 2.0)]))])
        assert recorder.reopens == 1
        assert recorder.last_error is None
        assert [v for _, _, v in history.samples("aiops_requests_total", T0 + 3600, T0 + 3615)] == [1.0, 2.0]


def test_the_recorder_reopens_the_history_once_the_buffer_pool_passes_the_threshold(tmp_path: Path, monkeypatch) -> None:
    import aiops_tui.recorder as recorder_module

    history, keys = filled(tmp_path / "history.duckdb")
    with history:
        assert history.reopen()  # the samples written so far are in the file's blocks now, not in its WAL
        history.samples("aiops_requests_total", T0, T0 + 3600)  # and in the pool once read
        recorder = recorder_module.Recorder(history, [], clock=lambda: T0 + 3600)
        recorder.write_now([Batch("gw", T0 + 3600, samples_of(keys[0], [(3600, 1.0)]))])
        held = history.buffer_use()
        assert recorder.reopens == 0 and 1_000_000 < held.pool_bytes < recorder_module.REOPEN_AT_POOL_BYTES
        monkeypatch.setattr(recorder_module, "REOPEN_AT_POOL_BYTES", held.pool_bytes // 2)
        recorder.write_now([Batch("gw", T0 + 3615, samples_of(keys[0], [(3615, 2.0)]))])
        assert recorder.reopens == 1
        assert history.buffer_use().pool_bytes < held.pool_bytes // 2
        assert [v for _, _, v in history.samples("aiops_requests_total", T0 + 3600, T0 + 3615)] == [1.0, 2.0]


def test_a_reopen_refused_under_the_recorder_is_its_one_line_and_the_next_cycle_is_written(
    tmp_path: Path, monkeypatch, refuse_reconnect,
) -> None:
    import aiops_tui.recorder as recorder_module

    history, keys = filled(tmp_path / "history.duckdb")
    with history:
        recorder = recorder_module.Recorder(history, [], clock=lambda: T0 + 3600)
        monkeypatch.setattr(recorder_module, "REOPEN_AT_QUEUE_NODES", 100)
        refuse_reconnect(True)
        recorder.write_now([Batch("gw", T0 + 3600, samples_of(keys[0], [(3600, 1.0)]))])
        assert recorder.last_error == f"{tmp_path / 'history.duckdb'}: {LOCKED}"
        recorder.write_now([Batch("gw", T0 + 3615, samples_of(keys[0], [(3615, 2.0)]))])
        assert recorder.last_error.endswith(LOCKED)  # still refused: this cycle is not written
        refuse_reconnect(False)
        recorder.write_now([Batch("gw", T0 + 3630, samples_of(keys[0], [(3630, 3.0)]))])
        assert recorder.last_error is None
        assert [v for _, _, v in history.samples("aiops_requests_total", T0 + 3600, T0 + 3630)] == [1.0, 3.0]


# -- DuckDB's allocator ---------------------------------------------------------------------------

ALLOCATOR_SETTING = """
import ctypes
import aiops_tui, duckdb, _duckdb
duckdb.connect().execute("SELECT 1")
mallctl = ctypes.CDLL(_duckdb.__file__).duckdb_je_mallctl
value, size = ctypes.c_ssize_t(), ctypes.c_size_t(ctypes.sizeof(ctypes.c_ssize_t))
assert mallctl(b"arenas.dirty_decay_ms", ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)) == 0
print(value.value)
"""


def allocator_decay_ms(env: dict[str, str]) -> int:
    """How long DuckDB's allocator keeps freed pages, read from it in a new process with `env`."""
    try:
        import _duckdb

        ctypes.CDLL(_duckdb.__file__).duckdb_je_mallctl  # noqa: B018 - absent where the wheel has no jemalloc
    except (ImportError, AttributeError, OSError):
        pytest.skip("this DuckDB build has no jemalloc of its own")
    result = subprocess.run([sys.executable, "-c", ALLOCATOR_SETTING], env=env, capture_output=True, text=True, check=True)
    return int(result.stdout)


def test_duckdb_hands_freed_pages_back_at_once_unless_the_user_set_its_allocator() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DUCKDB_JE_MALLOC_CONF"}
    assert allocator_decay_ms(env) == 0
    assert allocator_decay_ms({**env, "DUCKDB_JE_MALLOC_CONF": "dirty_decay_ms:2500"}) == 2500
