"""aiops-tui: a terminal operations cockpit for teams that run LLM-backed systems."""

import os

__version__ = "0.1.0"

DUCKDB_ALLOCATOR_CONF = "dirty_decay_ms:0"
"""DuckDB's own allocator (the jemalloc built into its Linux wheels) keeps the pages a query freed for
a second, and returns them only at its next allocation: in a cockpit that polls every few seconds, the
last poll's freed pages stay resident until the next poll. At 0 they go back at once (bench/HISTORY.md,
section 5: 5-9 MB off the peak RSS). Set here, before anything imports DuckDB; a value the user set is
kept."""

os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", DUCKDB_ALLOCATOR_CONF)


M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most malloc arenas the process may have."""


def share_malloc_arena() -> None:
    """Let every thread started from here on allocate from glibc's existing malloc arenas instead of
    one of its own each. glibc keeps the pages a thread freed in that thread's arena: DuckDB's worker
    threads (their C++ objects come from glibc; only its buffers from its own jemalloc), the scrape
    parser's and the views' threads held 5-6 MB more than one arena does (bench/HISTORY.md, section 5).
    Python's threads run under the GIL, so they hardly contend for one arena. Called before DuckDB
    connects; a no-op where the C library has no `mallopt` (not glibc)."""
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):
        pass
