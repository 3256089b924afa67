"""A review of a history in a directory that refuses new files, with a query bigger than the memory
limit: DuckDB would spill beside the file and fail; the history spills to a private temporary
directory instead, and the query answers.

These need root (mount, chattr): each skips with its reason where the sandbox refuses."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from aiops_tui.store.history import History
from history_builders import T0, key
from test_store_faults import immutable, read_only_bind

ROWS = 4_000_000
"""Sorted, these take about twice the history's memory limit (48 MB)."""
BIG_SORT = "SELECT value, ts FROM samples ORDER BY value DESC, ts"


def history_bigger_than_the_memory_limit(path: Path) -> None:
    with History.open(path) as history:
        series_id = history.series_id(key("aiops_requests_total"))
        history.con.execute(
            "INSERT INTO samples SELECT make_timestamptz($t0_us + i * 1000000), $id, i * 7919 % 1000003 FROM range($rows) r(i)",
            {"t0_us": round(T0 * 1e6), "id": series_id, "rows": ROWS},
        )


@pytest.mark.parametrize("make_read_only", [immutable, read_only_bind], ids=["chattr+i", "ro-bind-mount"])
def test_a_query_past_the_memory_limit_answers_from_a_read_only_directory(tmp_path: Path, make_read_only) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "history.duckdb"
    history_bigger_than_the_memory_limit(path)
    with make_read_only(directory):
        with History.open(path, read_only=True) as history:
            # Where DuckDB spills by default: the sort does not fit in memory, and the directory refuses it.
            history.con.execute("SET temp_directory = ?", [f"{path}.tmp"])
            with pytest.raises(duckdb.Error, match="history.duckdb.tmp"):
                history.cursor().execute(BIG_SORT).fetchmany(1)
        with History.open(path, read_only=True) as history:
            spill = Path(history.con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
            assert spill.parent != directory
            assert stat.S_IMODE(spill.stat().st_mode) == 0o700
            top = history.cursor().execute(BIG_SORT).fetchmany(2)
    # 1,000,002 is the largest value, held by rows 341,332 and 1,341,335 (i * 7919 % 1,000,003).
    assert [(value, ts.timestamp() - T0) for value, ts in top] == [(1_000_002.0, 341_332.0), (1_000_002.0, 1_341_335.0)]
