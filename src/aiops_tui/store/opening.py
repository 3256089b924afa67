"""Open a history file safely: private file modes, a known schema version (an older one upgraded when
opened for writing), bounded memory, and every failure (another writer, not DuckDB, a newer build's
file, an unwritable place) as one line the user can act on."""

from __future__ import annotations

import atexit
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from aiops_tui import share_malloc_arena
from aiops_tui.errors import HistoryError
from aiops_tui.store.rollup import fill_cost_1h

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 3
PRIVATE_MODE = 0o600
MEMORY_LIMIT = "48MB"
"""DuckDB's buffer pool for the cockpit's connections (DuckDB's own default is 80 % of RAM, and it
keeps the whole file cached up to that); queries past it spill to the temp directory."""
CHECKPOINT_THRESHOLD = "4MB"
"""Write-ahead log size that triggers a checkpoint. Rows not yet checkpointed are held in the buffer
pool; at DuckDB's default of 16 MB they would take a third of MEMORY_LIMIT."""
# A DuckDB database file carries this magic at byte 8 of its first block.
_DUCKDB_MAGIC = b"DUCK"
_PID_RE = re.compile(r"PID (\d+)")


def connect(path: Path, label: str, *, read_only: bool, app_version: str) -> duckdb.DuckDBPyConnection:
    """Connect to `path` and check (or, for a new writable file, create) the schema.

    The database gets MEMORY_LIMIT (a bulk job raises it with `set_memory_limit`) and a place to spill.
    """
    import duckdb

    created = _prepare_path(path, label, read_only=read_only)
    share_malloc_arena()  # before DuckDB starts its threads
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise HistoryError(explain(exc, label, read_only=read_only)) from None
    try:
        if created:
            os.chmod(path, PRIVATE_MODE)
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        set_memory_limit(con, MEMORY_LIMIT)
        con.execute("SET GLOBAL checkpoint_threshold = ?", [CHECKPOINT_THRESHOLD])
        spill = None if os.access(path.parent, os.W_OK | os.X_OK) else _private_spill_dir()
        if spill is not None:
            # DuckDB spills to <file>.tmp beside the file, which a read-only directory refuses.
            con.execute("SET GLOBAL temp_directory = ?", [spill])
        _check_schema(con, path, label, read_only=read_only, app_version=app_version)
    except BaseException:
        con.close()
        raise
    return con


def set_memory_limit(con: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Let the database behind `con` use `memory_limit` (e.g. "1GB") from now on."""
    con.execute("SET GLOBAL memory_limit = ?", [memory_limit])


def _private_spill_dir() -> str | None:
    """A new directory only this user can read, removed at exit once DuckDB has removed its files;
    None when the system's temporary directory refuses it too (a query past the limit then fails)."""
    try:
        spill = tempfile.mkdtemp(prefix="aiops-tui-spill-")
    except OSError:
        return None
    atexit.register(_remove_if_empty, spill)
    return spill


def _remove_if_empty(directory: str) -> None:
    try:
        os.rmdir(directory)
    except OSError:
        pass


def ensure_private_wal(path: Path) -> None:
    """Create the write-ahead log empty with mode 0600 before DuckDB creates it with the umask's.

    DuckDB deletes the WAL at every checkpoint and recreates it at the next write, so this runs
    before each write transaction; DuckDB opens an existing empty WAL as if it had made it.
    """
    try:
        fd = os.open(f"{path}.wal", os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    except OSError:
        return  # DuckDB itself will report an unwritable directory at the write
    os.close(fd)


def command_line(pid: str) -> str:
    """The command line of process `pid`, its program's name first (empty where /proc cannot tell)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    if words:
        words[0] = Path(words[0]).name
    return " ".join(words)


def snapshot_hint(pid: str) -> str:
    """How to have the process `pid`, which holds the history, write a snapshot another process can read:
    a headless recorder on SIGUSR1, the app from its palette."""
    from aiops_tui.store.export import BESIDE_SPAN  # here: export imports this module

    words = command_line(pid).split()
    if any(word.endswith("aiops-tui") and then == "record" for word, then in zip(words, words[1:])):
        return f"`kill -USR1 {pid}` has that recorder write {BESIDE_SPAN} beside the history"
    return 'its command palette (ctrl+p) has "Export snapshot"'


def explain(exc: BaseException, label: str, *, read_only: bool) -> str:
    """Turn a DuckDB or OS error about the file at `label` into one line for the user."""
    message = str(exc)
    first_line = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    first_line = re.sub(r"^[A-Za-z ]*Error: ", "", first_line)
    lowered = message.lower()
    if "lock" in lowered and ("conflicting" in lowered or "could not set" in lowered):
        pid_match = _PID_RE.search(message)
        pid = pid_match.group(1) if pid_match else "unknown"
        if read_only:
            return (
                f"{label}: being written by another aiops-tui process (PID {pid}); review a snapshot "
                f"instead ({snapshot_hint(pid)}), or stop that process first"
            )
        return (
            f"{label}: in use by another aiops-tui process (PID {pid}); open it read-only with "
            "`aiops-tui review`, or write a snapshot with `aiops-tui export`"
        )
    if "not a valid duckdb database file" in lowered:
        return f"{label}: not a DuckDB file"
    if "no space left" in lowered:
        return f"{label}: disk full (no space left on device); free some space or move the history file"
    if "permission denied" in lowered or "read-only file system" in lowered or "operation not permitted" in lowered:
        verb = "read" if read_only else "write"
        return f"{label}: cannot {verb} it (permission denied); check the file and its directory"
    if "different configuration" in lowered:
        return f"{label}: already open in this process in another mode; close it first"
    return f"{label}: cannot open the history file ({first_line})"


def _prepare_path(path: Path, label: str, *, read_only: bool) -> bool:
    """Check what is at `path` before DuckDB sees it; return True when a new file will be created."""
    if path.is_dir():
        raise HistoryError(f"{label}: is a directory, not a history file")
    if read_only:
        if not path.exists():
            raise HistoryError(f"{label}: no such history file")
        _check_magic(path, label)
        return False
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise HistoryError(f"{label}: cannot create directory {parent} ({exc.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise HistoryError(f"{label}: directory {parent} is not writable")
    if path.exists() and path.stat().st_size == 0:
        # An empty file holds nothing to lose (e.g. from `touch` or mkstemp): treat it as new.
        path.unlink()
    if path.exists():
        _check_magic(path, label)
        return False
    return True


def _check_magic(path: Path, label: str) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise HistoryError(f"{label}: cannot read it ({exc.strerror})") from None
    if head[8:12] != _DUCKDB_MAGIC:
        raise HistoryError(f"{label}: not a DuckDB file")


def _check_schema(
    con: duckdb.DuckDBPyConnection, path: Path, label: str, *, read_only: bool, app_version: str
) -> None:
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()
    }
    if "meta" not in tables:
        if tables:
            raise HistoryError(f"{label}: not an aiops-tui history file (a DuckDB file with other tables)")
        if read_only:
            raise HistoryError(f"{label}: not an aiops-tui history file (an empty DuckDB file)")
        _create_schema(con, path, app_version)
        return
    row = con.execute("SELECT max(schema_version) FROM meta").fetchone()
    version = row[0] if row else None
    if version is None:
        raise HistoryError(f"{label}: not an aiops-tui history file (meta table has no schema version)")
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{label}: written by a newer aiops-tui (schema {version}, this build reads up to "
            f"{SCHEMA_VERSION}); upgrade aiops-tui or open a copy with it"
        )
    if version < 1:
        raise HistoryError(f"{label}: unknown history schema version {version}")
    if version < SCHEMA_VERSION and not read_only:
        _upgrade_schema(con, path, label, version, app_version)
    # Read-only, an older file is read as it is: its own views answer the same questions.


_COST_1H_DDL = """
CREATE TABLE cost_1h (
    bucket TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL,
    model  VARCHAR NOT NULL,
    usd    DOUBLE NOT NULL
);
CREATE OR REPLACE VIEW cost_hourly AS
SELECT bucket AS hour, source, model, usd
FROM cost_1h;
"""


def _upgrade_to_2(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2 materializes cost_hourly: cost_1h, filled from every hour samples_1h holds."""
    con.execute(_COST_1H_DDL)
    fill_cost_1h(con)


def _upgrade_to_3(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3 counts an hour's spend once in cost_daily_by_model when Prometheus and a gateway both
    hold it: the view as schema.sql defines it."""
    ddl = _schema_ddl()
    start = ddl.index("CREATE VIEW cost_daily_by_model AS")
    con.execute("CREATE OR REPLACE " + ddl[start:ddl.index(";", start) + 1].removeprefix("CREATE "))


# Each step takes a file from the version before to the version named (a new file gets schema.sql).
_UPGRADES = {2: _upgrade_to_2, 3: _upgrade_to_3}


def _schema_ddl() -> str:
    return resources.files("aiops_tui.store").joinpath("schema.sql").read_text(encoding="utf-8")


def _upgrade_schema(
    con: duckdb.DuckDBPyConnection, path: Path, label: str, version: int, app_version: str
) -> None:
    """Bring a file of an older schema to SCHEMA_VERSION in one transaction: all of it or none."""
    import duckdb

    ensure_private_wal(path)
    con.begin()
    try:
        for to_version in range(version + 1, SCHEMA_VERSION + 1):
            _UPGRADES[to_version](con)
        con.execute("INSERT INTO meta VALUES (?, now(), ?)", [SCHEMA_VERSION, app_version])
        con.commit()
    except BaseException as exc:
        try:
            con.rollback()
        except duckdb.Error:
            pass  # the transaction may already be gone after a failed commit
        if isinstance(exc, duckdb.Error):
            line = explain(exc, label, read_only=False)
            raise HistoryError(line.replace("cannot open the history file", "cannot upgrade the history file", 1)) from None
        raise


def _create_schema(con: duckdb.DuckDBPyConnection, path: Path, app_version: str) -> None:
    ddl = _schema_ddl()
    ensure_private_wal(path)
    con.begin()
    try:
        con.execute(ddl)
        con.execute("INSERT INTO meta VALUES (?, now(), ?)", [SCHEMA_VERSION, app_version])
        con.commit()
    except BaseException:
        con.rollback()
        raise
