"""aiops-tui: a terminal operations cockpit for teams that run LLM-backed systems."""

import os

__version__ = "0.1.0"

DUCKDB_ALLOCATOR_CONF = "dirty_decay_ms:0"
"""DuckDB's own allocator (the jemalloc built into its Linux wheels) keeps the pages a query freed for
a second, and returns them only at its next allocation: in a cockpit that polls every few seconds, the
last poll's freed pages stay resident until the next poll. At 0 they go back at once (bench/README.md,
section 5: 5-9 MB off the peak RSS). Set here, before anything imports DuckDB; a value the user set is
kept."""

os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", DUCKDB_ALLOCATOR_CONF)
