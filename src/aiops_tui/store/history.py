"""The history file: one DuckDB database holding every sample and event, written one transaction
per poll cycle and read back by the panes, live or in review."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator, NamedTuple

from aiops_tui import __version__
from aiops_tui.model import Batch, Event, Sample, SeriesKey
from aiops_tui.store import rollup as rollups
from aiops_tui.store.opening import (
    PRIVATE_MODE,
    SCHEMA_VERSION,
    HistoryError,
    connect,
    ensure_private_wal,
    explain,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["History", "HistoryError", "RollupRow", "SCHEMA_VERSION"]

_US = 1_000_000

_INSERT_STAGED_SAMPLES = """
INSERT INTO samples
SELECT make_timestamptz(CAST(round(ts * 1000000) AS BIGINT)), series_id, value
FROM stage_samples
ORDER BY ts
"""

_INSERT_STAGED_EVENTS = """
INSERT INTO events
SELECT make_timestamptz(CAST(round(ts * 1000000) AS BIGINT)), kind, subject, from_state, to_state, detail
FROM stage_events
ORDER BY ts
"""

_SERIES_OF_NAME = "SELECT series_id FROM series WHERE name = $name AND ($source IS NULL OR source = $source)"


class RollupRow(NamedTuple):
    """One bucket of one series from samples_1m or samples_1h (`ts` is the bucket start)."""

    key: SeriesKey
    ts: float
    min: float
    max: float
    avg: float
    last: float
    count: int
    increase: float


class BufferUse(NamedTuple):
    queue_nodes: int
    """Nodes in DuckDB's eviction queues, nearly all dead: about 200 bytes of heap each."""
    pool_bytes: int
    """The file's blocks in DuckDB's buffer pool: it keeps every block a query read until its memory_limit presses."""


class History:
    """A history file opened for writing (one process at a time) or for reading.

    Threads: writes are serialised on `con`; other threads read through `reading()` (or `cursor()`
    where nothing reopens the file), which sees only committed cycles.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, label: str, read_only: bool, *, app_version: str = __version__
    ) -> None:
        import duckdb

        self.con = con
        self.path = path
        self.read_only = read_only
        self._label = label
        self._app_version = app_version
        self._db_error = duckdb.Error
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        # Reads in flight on any thread, and which connection the threads' cursors belong to (see `reopen`).
        self._gate = threading.Lock()
        self._reads = 0
        self._generation = 0
        self._lost: str | None = None  # why the last reopen could not connect again
        self._file_id = _file_id(path)
        self._ids: dict[SeriesKey, int] = {}
        self._keys: dict[int, SeriesKey] = {}
        # Cache entries made by the open transaction, forgotten if it rolls back.
        self._pending_keys: list[SeriesKey] = []
        self._pending_ids: list[int] = []
        self._load_series()
        if not read_only:
            self._create_stage_tables()

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False, app_version: str = __version__) -> History:
        """Open (or create, when writable) the history file; every failure is a HistoryError."""
        label = str(path)
        resolved = Path(path).expanduser()
        con = connect(resolved, label, read_only=read_only, app_version=app_version)
        try:
            return cls(con, resolved, label, read_only, app_version=app_version)
        except BaseException:
            con.close()
            raise

    # -- writing ---------------------------------------------------------------------------

    def write_cycle(self, batches: Iterable[Batch]) -> int:
        """Write every sample and event of one poll cycle in one transaction; return rows written."""
        batch_list = list(batches)
        samples = [sample for batch in batch_list for sample in batch.samples]
        events = [event for batch in batch_list for event in batch.events]
        if not samples and not events:
            return 0
        with self._write_lock:
            self._require_writable()
            return self._in_transaction(lambda: self._write(samples, events))

    def write_events(self, events: Iterable[Event]) -> None:
        """Write events outside a poll cycle (a runbook step ticked, an incident note)."""
        event_list = list(events)
        with self._write_lock:
            self._require_writable()
            self._in_transaction(lambda: self._write([], event_list))

    def absorb(self, other: str | Path, *, shift_s: int = 0, time_valued: Collection[str] = ()) -> int:
        """Copy another history's series, raw samples and events into this one, in one transaction;
        returns the rows copied. Series are matched by (source, name, labels) and take this file's ids.
        Rollups are not copied: `rollup` makes them here.

        `other` is a history file (the demo's hour written by a child process), or a directory holding
        `series`, `samples` and `events` as Parquet files with the history's columns (the demo's
        recorded hour). `shift_s` moves every timestamp by that many seconds, and with them the values
        of the series named in `time_valued`, which are times themselves."""
        with self._write_lock:
            self._require_writable()
            return self._in_transaction(lambda: self._absorb(Path(other), int(shift_s), frozenset(time_valued)))

    def series_id(self, key: SeriesKey) -> int:
        """The id of `key`'s series; a writer registers a new series, a reader raises KeyError."""
        known = self._ids.get(key)
        if known is not None:
            return known
        if self.read_only:
            raise KeyError(key)
        with self._write_lock:
            self._in_transaction(lambda: self._register([key]))
        return self._ids[key]

    def rollup(self, until: float) -> None:
        """Complete the 1 m and 1 h buckets that end at or before `until` (Unix seconds)."""
        with self._write_lock:
            self._require_writable()
            self._in_transaction(lambda: rollups.rollup(self.con, until))

    def purge(self, now: float, *, raw_s: float, m1_s: float, h1_s: float) -> int:
        """Drop raw samples older than `raw_s`, 1 m buckets older than `m1_s`, 1 h older than `h1_s`."""
        with self._write_lock:
            self._require_writable()
            return self._in_transaction(lambda: rollups.purge(self.con, now, raw_s=raw_s, m1_s=m1_s, h1_s=h1_s))

    def snapshot(self, dest: str | Path) -> Path:
        """Write a consistent copy of the whole history to a new file `dest` (mode 0600).

        The copy can be reviewed while this process keeps writing the original; a reader can
        snapshot too (`aiops-tui export` when no writer holds the file).
        """
        target = Path(dest).expanduser()
        if target.exists():
            raise HistoryError(f"{dest}: already exists; choose a new file for the snapshot")
        # Its own connection: the copy is one read transaction and does not hold up the writer.
        try:
            with self.reading(own=True) as copier:
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                source_db = copier.execute("SELECT current_database()").fetchone()[0]
                copier.execute("ATTACH ? AS aiops_snapshot (READ_WRITE)", [str(target)])
                try:
                    target.chmod(PRIVATE_MODE)
                    copier.execute(f'COPY FROM DATABASE "{source_db}" TO aiops_snapshot')
                finally:
                    copier.execute("DETACH aiops_snapshot")
        except (OSError, self._db_error) as exc:
            for leftover in (target, Path(f"{target}.wal")):
                leftover.unlink(missing_ok=True)
            raise HistoryError(explain(exc, str(dest), read_only=False)) from None
        return target

    # -- reading ---------------------------------------------------------------------------

    @contextmanager
    def reading(self, *, own: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for a block of queries: the calling thread's, or with `own` a new one, closed after
        (a long copy, with settings of its own). `reopen` does not happen while one is open."""
        with self._gate:
            if self._lost is not None:
                raise HistoryError(self._lost)
            cursor = self.con.cursor() if own else None
            self._reads += 1
        try:
            yield cursor if own else self.cursor()
        finally:
            if own:
                cursor.close()
            with self._gate:
                self._reads -= 1

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for the calling thread, for queries that must not race the writer.

        Hold it only inside `reading()` in a process that may `reopen` (the live cockpit)."""
        local = self._local
        cursor = getattr(local, "cursor", None)
        if cursor is None or local.generation != self._generation:
            cursor = self.con.cursor()
            local.cursor, local.generation = cursor, self._generation
            self._cursors.append(cursor)
        return cursor

    def samples(
        self, name: str, since: float, until: float, *, source: str | None = None
    ) -> list[tuple[SeriesKey, float, float]]:
        """Raw samples of metric `name` with since <= ts <= until, by series then time."""
        rows = self._query(
            f"""SELECT series_id, epoch_us(ts) / 1e6, value FROM samples
                WHERE series_id IN ({_SERIES_OF_NAME})
                  AND ts >= make_timestamptz($since) AND ts <= make_timestamptz($until)
                ORDER BY series_id, ts""",
            {"name": name, "source": source, "since": _to_us(since), "until": _to_us(until)},
        )
        return [(self._key(sid), ts, value) for sid, ts, value in rows]

    def latest(
        self, name: str, *, source: str | None = None, lookback_s: float = 900, at: float | None = None
    ) -> list[tuple[SeriesKey, float, float]]:
        """The newest sample of each series of `name` within (at - lookback_s, at]; `at` defaults to now."""
        if at is None:
            at = time.time()
        rows = self._query(
            f"""SELECT series_id, epoch_us(max(ts)) / 1e6, arg_max(value, ts) FROM samples
                WHERE series_id IN ({_SERIES_OF_NAME})
                  AND ts > make_timestamptz($since) AND ts <= make_timestamptz($until)
                GROUP BY series_id ORDER BY series_id""",
            {"name": name, "source": source, "since": _to_us(at - lookback_s), "until": _to_us(at)},
        )
        return [(self._key(sid), ts, value) for sid, ts, value in rows]

    def last_scrape(self, source: str, *, since: float) -> tuple[float, list[Sample]] | None:
        """The newest scrape of `source` after `since`: its time and raw samples (no derived `signal:*`)."""
        rows = self._query(
            """WITH scraped AS (SELECT series_id FROM series WHERE source = $source AND NOT starts_with(name, 'signal:')),
                    newest AS (SELECT max(ts) AS ts FROM samples
                               WHERE series_id IN (FROM scraped) AND ts > make_timestamptz($since))
               SELECT series_id, epoch_us(ts) / 1e6, value FROM samples
               WHERE series_id IN (FROM scraped) AND ts = (FROM newest) ORDER BY series_id""",
            {"source": source, "since": _to_us(since)},
        )
        if not rows:
            return None
        return rows[0][1], [Sample(self._key(sid), ts, value) for sid, ts, value in rows]

    def last_breaker_states(self, *, since: float) -> dict[tuple[str, str], tuple[float, float]]:
        """(source, upstream) -> the newest `signal:breaker_state` read after `since` (a BREAKER_STATES index),
        and when it was read."""
        rows = self._query(
            """SELECT s.source, coalesce(s.labels ->> 'upstream', ''), arg_max(v.value, v.ts), epoch_us(max(v.ts))
               FROM samples v JOIN series s USING (series_id)
               WHERE s.name = 'signal:breaker_state' AND v.ts > make_timestamptz($since)
               GROUP BY 1, 2""",
            {"since": _to_us(since)},
        )
        return {(source, upstream): (value, ts_us / 1e6) for source, upstream, value, ts_us in rows}

    def rollups(
        self, name: str, since: float, until: float, *, resolution: str = "1h", source: str | None = None
    ) -> list[RollupRow]:
        """Buckets of metric `name` (resolution "1m" or "1h") starting in [since, until], by series then time."""
        table = {"1m": "samples_1m", "1h": "samples_1h"}.get(resolution)
        if table is None:
            raise ValueError(f"resolution must be '1m' or '1h', not {resolution!r}")
        rows = self._query(
            f"""SELECT series_id, epoch_us(bucket) / 1e6, min, max, avg, last, count, increase FROM {table}
                WHERE series_id IN ({_SERIES_OF_NAME})
                  AND bucket >= make_timestamptz($since) AND bucket <= make_timestamptz($until)
                ORDER BY series_id, bucket""",
            {"name": name, "source": source, "since": _to_us(since), "until": _to_us(until)},
        )
        return [RollupRow(self._key(row[0]), *row[1:]) for row in rows]

    def events(self, since: float, until: float, *, kinds: Iterable[str] | None = None) -> list[Event]:
        """Events with since <= ts <= until, oldest first (ties in the order written)."""
        kind_list = None if kinds is None else list(kinds)
        rows = self._query(
            """SELECT epoch_us(ts) / 1e6, kind, subject, from_state, to_state, detail FROM events
               WHERE ts >= make_timestamptz($since) AND ts <= make_timestamptz($until)
                 AND ($kinds IS NULL OR list_contains($kinds, kind))
               ORDER BY ts, rowid""",
            {"since": _to_us(since), "until": _to_us(until), "kinds": kind_list},
        )
        return [
            Event(ts=ts, kind=kind, subject=subject, from_state=from_state, to_state=to_state, detail=json.loads(detail))
            for ts, kind, subject, from_state, to_state, detail in rows
        ]

    def time_range(self) -> tuple[float, float] | None:
        """The first and last instants held at any resolution, or None for an empty history.

        `epoch_us(min(ts))`, not `min(epoch_us(ts))`: the first is answered from the column statistics."""
        row = self._query(
            """SELECT min(lo) / 1e6, max(hi) / 1e6 FROM (
                   SELECT epoch_us(min(ts)) AS lo, epoch_us(max(ts)) AS hi FROM samples
                   UNION ALL SELECT epoch_us(min(bucket)), epoch_us(max(bucket)) FROM samples_1m
                   UNION ALL SELECT epoch_us(min(bucket)), epoch_us(max(bucket)) FROM samples_1h)""",
            {},
        )[0]
        return None if row[0] is None else (row[0], row[1])

    # -- lifecycle -------------------------------------------------------------------------

    def buffer_use(self) -> BufferUse:
        """What DuckDB holds that only a `reopen` gives back."""
        with self.reading() as cursor:
            nodes, pool = cursor.execute(
                "SELECT (SELECT sum(approximate_size) FROM duckdb_eviction_queues()),"
                " (SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'BASE_TABLE')"
            ).fetchone()
        return BufferUse(int(nodes or 0), int(pool or 0))

    def reopen(self) -> bool:
        """Close the database and open it again, unless a read is in flight (then False: try later).

        A long session needs it now and then: every query leaves dead nodes in DuckDB's eviction
        queues, which it purges only past 32,768 per queue, so the heap grows by about 40 MB before
        it levels off; closing frees them, and the buffer pool. Committed cycles are on disk, the
        series ids stay. Readers arriving meanwhile wait for it (about 0.1 s).
        """
        with self._write_lock, self._gate:
            if self._reads or self._lost is not None:
                return False
            if _file_id(self.path) != self._file_id:
                return False  # deleted or replaced meanwhile: keep writing where the cycles so far went
            self._close_connections()
            self._connect_again()
        return True

    def close(self) -> None:
        with self._write_lock:
            self._close_connections()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _create_stage_tables(self) -> None:
        self.con.execute("CREATE TEMP TABLE stage_samples (ts DOUBLE, series_id INTEGER, value DOUBLE)")
        self.con.execute(
            "CREATE TEMP TABLE stage_events (ts DOUBLE, kind VARCHAR, subject VARCHAR,"
            " from_state VARCHAR, to_state VARCHAR, detail VARCHAR)"
        )

    def _close_connections(self) -> None:
        for cursor in self._cursors:
            _close_cursor(cursor, self._db_error)
        self._cursors.clear()
        self.con.close()

    def _connect_again(self) -> None:
        """After `reopen` closed the database: a new connection (the threads' cursors are renewed on
        their next use). If the file cannot be opened now, say why; the next write tries again."""
        self._generation += 1
        try:
            con = connect(self.path, self._label, read_only=self.read_only, app_version=self._app_version)
        except HistoryError as exc:
            self._lost = str(exc)
            raise
        self.con, self._lost = con, None
        if not self.read_only:
            self._create_stage_tables()

    def _write(self, samples: list[Sample], events: list[Event]) -> int:
        ids = self._ids
        try:
            rows = [(sample.ts, ids[sample.key], sample.value) for sample in samples]
        except KeyError:  # new series: the second pass registers each as it meets it
            series_rows: list[tuple[Any, ...]] = []
            registering = _Registering(ids, self._assigner(series_rows))
            rows = [(sample.ts, registering[sample.key], sample.value) for sample in samples]
            self._append_series(series_rows)
        con = self.con
        if rows:
            with con.appender("stage_samples") as appender:
                appender.append_rows(rows)
            con.execute(_INSERT_STAGED_SAMPLES)
            con.execute("DELETE FROM stage_samples")
        if events:
            with con.appender("stage_events") as appender:
                appender.append_rows(
                    (event.ts, event.kind, event.subject, event.from_state, event.to_state, _detail_json(event.detail))
                    for event in events
                )
            con.execute(_INSERT_STAGED_EVENTS)
            con.execute("DELETE FROM stage_events")
        return len(rows) + len(events)

    def _absorb(self, other: Path, shift_s: int, time_valued: frozenset[str]) -> int:
        con = self.con
        con.execute("DETACH DATABASE IF EXISTS absorbed")  # left behind by an absorb that failed
        attached = not other.is_dir()
        if attached:
            con.execute("ATTACH ? AS absorbed (READ_ONLY)", [str(other)])
            tables = {name: f"absorbed.{name}" for name in ("series", "samples", "events")}
        else:
            tables = {name: "read_parquet('{}')".format(str(other / f"{name}.parquet").replace("'", "''"))
                      for name in ("series", "samples", "events")}
        try:
            theirs = {row[0]: _series_key(*row[1:]) for row in
                      con.execute(f"SELECT series_id, source, name, labels FROM {tables['series']}").fetchall()}
            if self._keys:
                self._register(theirs.values())
            else:  # a file with no series yet takes theirs as they are, ids included (the demo's start)
                con.execute(f"INSERT INTO series SELECT series_id, source, name, labels, unit FROM {tables['series']}")
                for series_id, key in theirs.items():
                    self._learn(key, series_id)
            con.execute("CREATE OR REPLACE TEMP TABLE absorbed_ids (theirs INTEGER, ours INTEGER, time_valued BOOLEAN)")
            with con.appender("absorbed_ids") as appender:
                appender.append_rows([(series_id, self._ids[key], key.name in time_valued) for series_id, key in theirs.items()])
            shift = {"shift": shift_s}
            copied = con.execute(
                "INSERT INTO samples SELECT s.ts + to_seconds($shift),"
                " i.ours, CASE WHEN i.time_valued THEN s.value + $shift ELSE s.value END"
                f" FROM {tables['samples']} AS s JOIN absorbed_ids AS i ON s.series_id = i.theirs ORDER BY s.ts",
                shift,
            ).fetchone()[0]
            copied += con.execute(
                "INSERT INTO events SELECT ts + to_seconds($shift), kind, subject, from_state, to_state, detail"
                f" FROM {tables['events']} ORDER BY ts",
                shift,
            ).fetchone()[0]
            con.execute("DROP TABLE absorbed_ids")
        finally:
            if attached:
                try:
                    con.execute("DETACH absorbed")
                except self._db_error:
                    pass  # a failed transaction refuses it until rolled back; the next absorb detaches it
        return copied

    def _register(self, keys: Iterable[SeriesKey]) -> None:
        """Insert series rows for keys not seen before, within the caller's transaction."""
        rows: list[tuple[Any, ...]] = []
        assign = self._assigner(rows)
        for key in keys:
            if key not in self._ids:
                assign(key)
        self._append_series(rows)

    def _assigner(self, rows: list[tuple[Any, ...]]) -> Callable[[SeriesKey], int]:
        """A function giving a key its series id: a new series gets the next id and a row in `rows`.

        The caches learn new keys at once (this cycle's own lookups need them) and forget them if
        the transaction rolls back. Labels are keyed sorted, as the unique JSON column stores them.
        """
        next_id = max(self._keys, default=0) + 1

        def assign(key: SeriesKey) -> int:
            nonlocal next_id
            # The caller's own key object when its labels are sorted already: later lookups hit on identity.
            labels = tuple(sorted(key.labels))
            canonical = key if labels == key.labels else SeriesKey(key.source, key.name, labels)
            series_id = self._ids.get(canonical)
            if series_id is None:
                series_id, next_id = next_id, next_id + 1
                rows.append((series_id, canonical.source, canonical.name, _labels_json(canonical), _unit_of(key.name)))
                self._learn(canonical, series_id)
            if key is not canonical:
                self._remember(key, series_id)
            return series_id

        return assign

    def _append_series(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self.con.appender("series") as appender:
                appender.append_rows(rows)

    def _learn(self, key: SeriesKey, series_id: int) -> None:
        """A new series in both caches, forgotten if the transaction rolls back."""
        self._keys[series_id] = key
        self._pending_ids.append(series_id)
        self._remember(key, series_id)

    def _remember(self, key: SeriesKey, series_id: int) -> None:
        self._ids[key] = series_id
        self._pending_keys.append(key)

    def _in_transaction(self, work: Any) -> Any:
        if self._lost is not None:
            with self._gate:
                self._connect_again()
        self._pending_keys = []
        self._pending_ids = []
        ensure_private_wal(self.path)
        self.con.begin()
        try:
            result = work()
            self.con.commit()
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, self._db_error):
                raise HistoryError(self._write_failure(exc)) from None
            raise
        return result

    def _rollback(self) -> None:
        for key in self._pending_keys:
            self._ids.pop(key, None)
        for series_id in self._pending_ids:
            self._keys.pop(series_id, None)
        self._pending_keys, self._pending_ids = [], []
        try:
            self.con.rollback()
        except self._db_error:
            pass  # the transaction may already be gone after a failed commit

    def _write_failure(self, exc: BaseException) -> str:
        line = explain(exc, self._label, read_only=False)
        return line.replace("cannot open the history file", "cannot write the history file", 1)

    def _require_writable(self) -> None:
        if self.read_only:
            raise HistoryError(f"{self._label}: opened read-only; it cannot be written")

    def _query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self.reading() as cursor:
            return cursor.execute(sql, params).fetchall()

    def _load_series(self) -> None:
        rows = self._query("SELECT series_id, source, name, labels FROM series", {})
        for series_id, source, name, labels in rows:
            key = _series_key(source, name, labels)
            self._ids[key] = series_id
            self._keys[series_id] = key

    def _key(self, series_id: int) -> SeriesKey:
        key = self._keys.get(series_id)
        if key is None:
            self._load_series()
            key = self._keys[series_id]
        return key


class _Registering(dict):
    """The series ids for a write that meets new series: a missing key is registered and kept."""

    __slots__ = ("_assign",)

    def __init__(self, ids: dict[SeriesKey, int], assign: Callable[[SeriesKey], int]) -> None:
        super().__init__(ids)
        self._assign = assign

    def __missing__(self, key: SeriesKey) -> int:
        series_id = self[key] = self._assign(key)
        return series_id


def _series_key(source: str, name: str, labels_json: str) -> SeriesKey:
    """A `series` row's key, its labels sorted as the store keys them."""
    return SeriesKey(source, name, tuple(sorted(json.loads(labels_json).items())))


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _to_us(ts_s: float) -> int:
    return round(ts_s * _US)


def _labels_json(key: SeriesKey) -> str:
    return json.dumps(dict(key.labels), separators=(",", ":"), ensure_ascii=False)


def _detail_json(detail: Any) -> str:
    return json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# Units by the Prometheus/OpenTelemetry naming convention (the unit is the last word before the suffix).
_UNIT_WORDS = {"seconds": "s", "milliseconds": "ms", "bytes": "bytes", "ratio": "ratio", "usd": "usd", "tokens": "tokens"}
_TYPE_SUFFIXES = ("_total", "_sum")


def _unit_of(name: str) -> str | None:
    base = name
    for suffix in _TYPE_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if base.endswith(("_count", "_bucket", "_created")):
        return None
    return _UNIT_WORDS.get(base.rsplit("_", 1)[-1].lower())


def _close_cursor(cursor: duckdb.DuckDBPyConnection, db_error: type[Exception], wait_s: float = 2.0) -> None:
    """Close a reader's cursor; one still querying on a worker thread (the app quit mid-read) is interrupted first."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.close()
            return
        except db_error:
            if time.monotonic() > deadline:
                raise
            cursor.interrupt()
            time.sleep(0.01)
