"""The history under a running recorder: a read-only directory, a full disk, a SIGKILL mid-write.
The user gets one line; every committed cycle stays; writing resumes when the cause goes away.

These need root (mount, chattr): each skips with its reason where the sandbox refuses."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aiops_tui.store.history import History, HistoryError
from history_builders import batch, key, samples_of
from loopback import Answer, ScriptedServer
from recording import T0, HandClock, gateway_source, record, recorder_for

TESTS_DIR = Path(__file__).parent.parent
GAUGES = 200


def gauges_body(count: int = GAUGES) -> bytes:
    # Names no convention profile reads: no derived signals, no counter zeros, so a cycle is exactly `count` rows.
    return "".join(f'crash_test_gauge{{n="{i}"}} {i}\n' for i in range(count)).encode()


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True)


def unmount(directory: Path) -> None:
    # Lazily if still busy (a failed test left a file open): never leave a mount behind.
    if run("umount", str(directory)).returncode != 0:
        run("umount", "--lazy", str(directory))


@contextmanager
def immutable(directory: Path) -> Iterator[None]:
    """`chattr +i`: nothing can be created in the directory, root included."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    done = run("chattr", "+i", str(directory))
    if done.returncode != 0:
        pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")
    try:
        yield
    finally:
        run("chattr", "-i", str(directory))


@contextmanager
def read_only_bind(directory: Path) -> Iterator[None]:
    """The directory bind-mounted read-only over itself (EROFS for every new file in it)."""
    done = run("mount", "--bind", str(directory), str(directory))
    if done.returncode != 0:
        pytest.skip(f"bind mount refused here: {done.stderr.strip()}")
    try:
        done = run("mount", "-o", "remount,bind,ro", str(directory))
        if done.returncode != 0:
            pytest.skip(f"read-only remount refused here: {done.stderr.strip()}")
        yield
    finally:
        unmount(directory)


@contextmanager
def small_tmpfs(directory: Path, size: str = "1m") -> Iterator[Path]:
    directory.mkdir()
    done = run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory))
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield directory
    finally:
        unmount(directory)


def history_with_rows(path: Path) -> None:
    with History.open(path) as history:
        history.write_cycle([batch(samples_of(key("aiops_requests_total"), [(0, 1.0), (15, 4.0)]))])


def committed_rows(path: Path) -> list[tuple[float, float]]:
    with History.open(path, read_only=True) as history:
        return [(ts - T0, value) for _, ts, value in history.samples("aiops_requests_total", T0, T0 + 60)]


# --- a read-only directory -----------------------------------------------------------------------


@pytest.mark.parametrize("make_read_only", [immutable, read_only_bind], ids=["chattr+i", "ro-bind-mount"])
def test_read_only_directory_refuses_writing_and_still_opens_for_review(tmp_path: Path, make_read_only):
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "history.duckdb"
    history_with_rows(path)
    with make_read_only(directory):
        for target in (path, directory / "new.duckdb"):
            with pytest.raises(HistoryError) as caught:
                History.open(target)
            assert str(caught.value) == f"{target}: directory {directory} is not writable"
        assert committed_rows(path) == [(0.0, 1.0), (15.0, 4.0)]
    assert committed_rows(path) == [(0.0, 1.0), (15.0, 4.0)]


def test_record_into_a_read_only_directory_is_one_line_and_exit_2(tmp_path: Path):
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "history.duckdb"
    history_with_rows(path)
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {path}\ngateways:\n  - name: gw\n    metrics_url: http://127.0.0.1:9/metrics\n")
    with read_only_bind(directory):
        done = run(str(Path(sys.executable).parent / "aiops-tui"), "record", "-c", str(config), "--duration", "1s")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"aiops-tui: {path}: directory {directory} is not writable\n"
    assert committed_rows(path) == [(0.0, 1.0), (15.0, 4.0)]


def test_directory_made_read_only_under_a_running_recorder(tmp_path: Path):
    # The history is open and idle (its write-ahead log checkpointed away) when the directory goes
    # read-only: the next cycle cannot create the log. Polling goes on; writing resumes after.
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "history.duckdb"
    history_with_rows(path)
    clock = HandClock(T0 + 60)
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, gauges_body(10))
        recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock)], clock)
        try:
            with immutable(directory):
                record(recorder, [])
                assert recorder.last_error == f"{path}: cannot write it (permission denied); check the file and its directory"
                assert recorder.rows_written == 0
                assert recorder.poller.status["gw"].state(clock.now) == "ok"  # the source is fine
            record(recorder, [1.0])  # writable again: the next cycle is written
            assert recorder.last_error is None
        finally:
            recorder.history.close()
    with History.open(path, read_only=True) as history:
        per_cycle = history.con.execute(
            "SELECT epoch(ts) - ?, count(*) FROM samples WHERE series_id IN (SELECT series_id FROM series WHERE name = 'crash_test_gauge') GROUP BY 1",
            [T0],
        ).fetchall()
    assert committed_rows(path) == [(0.0, 1.0), (15.0, 4.0)]
    assert per_cycle == [(61.0, 10)]  # the cycle at T0 + 60 met the read-only directory; T0 + 61 is whole


# --- a full disk ---------------------------------------------------------------------------------


def test_disk_full_while_recording_keeps_committed_cycles_and_recovers(tmp_path: Path):
    with small_tmpfs(tmp_path / "small") as small:
        path = small / "history.duckdb"
        filler = small / "filler"
        filler.write_bytes(b"\0" * 600_000)  # leave room for a few dozen cycles of 200 samples
        clock = HandClock(T0)
        committed, errors = [], []
        with ScriptedServer() as server:
            server.answers["/metrics"] = Answer(200, gauges_body())
            recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock)], clock)

            async def cycle() -> None:
                before = recorder.rows_written
                await recorder.poller.run_cycle()
                if recorder.rows_written > before:
                    committed.append(clock.now)
                elif recorder.last_error:
                    errors.append(recorder.last_error)
                clock.now += 1.0

            async def fill_then_free() -> None:
                try:
                    while len(errors) < 2 and len(committed) < 400:
                        await cycle()
                    assert recorder.poller.status["gw"].state(clock.now) == "ok"  # the source is fine
                    filler.unlink()
                    for _ in range(2):  # space again: these cycles are written
                        await cycle()
                    assert recorder.last_error is None
                finally:
                    await recorder.poller.sources[0].client.aclose()  # type: ignore[attr-defined]

            try:
                asyncio.run(fill_then_free())
            finally:
                recorder.history.close()
        assert len(errors) == 2, "the small disk never filled"
        assert set(errors) == {f"{path}: disk full (no space left on device); free some space or move the history file"}
        with History.open(path, read_only=True) as history:
            per_cycle = dict(history.con.execute("SELECT epoch(ts), count(*) FROM samples GROUP BY 1").fetchall())
    assert len(committed) > 10
    assert sorted(per_cycle) == committed  # every committed cycle, and only those: the two after the space came back too
    # Cycles run one second apart: n - 2 committed, 2 refused, then these two at T0 + n and T0 + n + 1.
    assert committed[-2:] == [T0 + len(committed), T0 + len(committed) + 1]
    assert set(per_cycle.values()) == {GAUGES}  # each one whole


# --- SIGKILL mid-write ---------------------------------------------------------------------------

# A recorder polling a loopback gateway of GAUGES gauges every 15 s of hand-held time (so rollups run
# every fourth cycle); prints each cycle's time once the recorder has committed it.
RECORDER_SCRIPT = """
import asyncio, sys
sys.path[:0] = [sys.argv[2], sys.argv[2] + "/faults"]
from loopback import Answer, ScriptedServer
from recording import HandClock, gateway_source, recorder_for
from test_store_faults import gauges_body

clock = HandClock(float(sys.argv[3]))
with ScriptedServer() as server:
    server.answers["/metrics"] = Answer(200, gauges_body(int(sys.argv[4])))
    recorder = recorder_for(sys.argv[1], [gateway_source("gw", server.url + "/metrics", clock, interval_s=15)], clock)

    async def forever():
        while True:
            before = recorder.rows_written
            await recorder.poller.run_cycle()
            if recorder.rows_written > before:
                print(clock.now, flush=True)
            clock.now += 15

    asyncio.run(forever())
"""


def test_sigkill_during_recording_loses_no_committed_cycle(tmp_path: Path):
    path = tmp_path / "history.duckdb"
    gauges = 2_000
    child = subprocess.Popen(
        [sys.executable, "-c", RECORDER_SCRIPT, str(path), str(TESTS_DIR), str(T0), str(gauges)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    committed = []
    while len(committed) < 30:
        line = child.stdout.readline()
        assert line, f"recorder died early: {child.stderr.read() if child.stderr else ''}"
        committed.append(float(line))
    child.send_signal(signal.SIGKILL)  # most likely inside the next cycle's write or rollup
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with History.open(path, read_only=True) as history:
        con = history.con
        per_cycle = dict(con.execute("SELECT epoch(ts), count(*) FROM samples GROUP BY 1").fetchall())
        # Rolled-up minutes agree with the raw samples under them: a killed rollup left no half bucket.
        rolled = con.execute(
            """SELECT count(*) FROM samples_1m m
               WHERE count <> (SELECT count(*) FROM samples s WHERE s.series_id = m.series_id
                               AND s.ts >= m.bucket AND s.ts < m.bucket + INTERVAL 1 MINUTE)"""
        ).fetchone()
    assert set(committed) <= set(per_cycle)
    assert sorted(per_cycle) == [T0 + 15 * i for i in range(len(per_cycle))]  # no gap, no stray partial cycle
    assert set(per_cycle.values()) == {gauges}
    assert rolled == (0,)

    # Reopen for writing: the recorder carries on after the last committed cycle.
    clock = HandClock(T0 + 15 * len(per_cycle))
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, gauges_body(5))
        recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock)], clock)
        record(recorder, [])
        assert recorder.last_error is None and recorder.rows_written == 5 + 1  # 5 samples, the "source up" event
        recorder.history.close()
