"""Wires sources, poller and history together: the part the live app, the demo and `record` share.

The store is written from one worker thread; rollups, retention and the reopening that keeps a
long session's memory flat run there too, between cycles.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime, timezone
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aiops_tui.model import Batch
from aiops_tui.sources.poller import DIRECT_WINDOW_S, Poller

if TYPE_CHECKING:
    from aiops_tui.config import Config
    from aiops_tui.sources.base import Source
    from aiops_tui.store.history import History

ROLLUP_EVERY_S = 60.0
ROLLUP_LAG_S = 60.0
PURGE_EVERY_S = 3600.0
REOPEN_AT_QUEUE_NODES = 12_500
"""Reopen the history once DuckDB's eviction queues hold this many nodes: every 11 sim-minutes in
bench/memory.py at 15 s polls with the views read every minute. A reopen takes about 30 ms and the next
views 10-20 ms more; at 25,000 the peak RSS over 24 h was 3-5 MB higher, at 6,000 no lower
(bench/HISTORY.md, section 5)."""
REOPEN_AT_POOL_BYTES = 9_000_000
"""Or once DuckDB's buffer pool holds this much of the file. The views' windows move on with every poll
to the newest blocks, and the pool keeps the ones they left until its memory_limit (48 MB) presses. One
views of a day of the demo's history read 7 MB on 2026-12-04: at 9 MB the 24 h peak RSS in bench/memory.py
was 115-116 MB against 120-121 MB, with a reopen every 7 sim-minutes instead of 11 (every 4 polls when the
views follow each poll); bench/HISTORY.md, section 5. They read 10 MB on 2026-12-06, a reopen after nearly
every views past 12 h of history (35 ms each, and the next views 9 ms slower), until the long spend rates
started on the minute: 9.4 MB, 255 reopens in 24 h against 769 (bench/README.md, "What misses")."""

RESUME_WITHIN_S = 2 * DIRECT_WINDOW_S
"""How old the history's newest scrape of a gateway may be for the first live scrape to rate against it:
the demo's recorded hour ends with a scrape a minute before now (its step), so its rates are 60-65 s ones."""
BREAKER_RESUME_WITHIN_S = 3600.0
"""How old a breaker's last state in the history may be for the first reading to be compared with it.
Restarted within it, a breaker still open is not recorded opening again, and one that changed meanwhile is
recorded changing from the state last read: when its source's `since` says, if that falls after the last
reading, else at the first reading (when in between, nobody watched)."""

GAP_FILL_S = 24 * 3600.0
"""How far back a gap in the history is filled from Prometheus at the start: a day, the widest chart window
drawn from raw samples and the span the budget's slow burn is judged over. The last hour is read at 15 s
steps, what is older more coarsely (`poller.FILL_TIERS_S`). A history written until a minute ago has only
that minute filled."""


def derive_signals(prev, cur, profile: str):
    from aiops_tui.signals.prommath import signals_from_scrapes

    return signals_from_scrapes(prev, cur, profile)


class Recorder:
    """Owns the poller and writes each of its cycles to the history, keeping rollups current."""

    def __init__(
        self,
        history: "History",
        sources: Sequence["Source"],
        *,
        retention: tuple[float, float, float] | None = None,
        stale_after: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.history = history
        self.clock = clock
        self.retention = retention
        self.poller = Poller(sources, self.write, stale_after=stale_after, clock=clock, derive=derive_signals)
        self.rows_written = 0
        self.reopens = 0
        self._newest_ts: float | None = None  # newest cycle in the history, read at the first write
        self._next_rollup = 0.0
        self._next_purge = clock() + PURGE_EVERY_S

    def resume_from_history(self) -> None:
        """Go on from where the history ends (the cockpit restarted, or the demo's recorded hour just ended).

        Each gateway's rate window opens with its newest scrape, if recent enough to rate against: the
        first scrape then shows live rates, instead of the second, one interval later. Each breaker's state
        read in the last BREAKER_RESUME_WITHIN_S is where its transitions go on from. The gap since the
        history's newest sample (at most GAP_FILL_S) is filled from Prometheus before the first poll."""
        now = self.clock()
        self.poller.fill_from = max(self._written_until(), now - GAP_FILL_S)
        for status in self.poller.status.values():
            last = self.history.last_scrape(status.name, since=now - RESUME_WITHIN_S) if status.kind == "gateway" else None
            if last is not None:
                self.poller.start_window_from(status.name, *last)
        self.poller.start_breakers_from(self.history.last_breaker_states(since=now - BREAKER_RESUME_WITHIN_S))

    def _written_until(self) -> float:
        """Where the history ends: its newest sample, or its rollups' watermark when that is later (cycles of
        events alone roll on). Samples written before it would never be rolled up."""
        from aiops_tui.store.rollup import watermark_us

        held = self.history.time_range()
        with self.history.reading() as con:
            rolled_us = watermark_us(con, "1m")
        return max(held[1] if held else -math.inf, -math.inf if rolled_us is None else rolled_us / 1e6)

    @property
    def last_error(self) -> str | None:
        """Why the last cycle was not written whole, in one line; kept on the poller, where the
        cockpit that holds only the poller reads it too."""
        return self.poller.write_error

    async def write(self, batches: list[Batch]) -> None:
        await asyncio.to_thread(self.write_now, batches)

    def write_now(self, batches: list[Batch]) -> None:
        """One transaction for the cycle, then the rollups and purge when they are due."""
        from aiops_tui.errors import UserError

        try:
            batches, clock_note = self._in_time_order(batches)
            self.rows_written += self.history.write_cycle(batches)
            now = self.clock()
            if now >= self._next_rollup:
                # A minute behind: a new counter's zero is stored at the previous scrape's time.
                self.history.rollup(now - ROLLUP_LAG_S)
                self._next_rollup = now + ROLLUP_EVERY_S
            if self.retention and now >= self._next_purge:
                raw_s, m1_s, h1_s = self.retention
                self.history.purge(now, raw_s=raw_s, m1_s=m1_s, h1_s=h1_s)
                self._next_purge = now + PURGE_EVERY_S
            # Skipped while a pane reads: the next cycle tries again.
            held = self.history.buffer_use()
            if (held.queue_nodes > REOPEN_AT_QUEUE_NODES or held.pool_bytes > REOPEN_AT_POOL_BYTES) and self.history.reopen():
                self.reopens += 1
            self.poller.write_error = clock_note
        except UserError as exc:
            # Disk full or a read-only directory: say so and keep polling; the next cycle may succeed.
            self.poller.write_error = str(exc)

    def _in_time_order(self, batches: list[Batch]) -> tuple[list[Batch], str | None]:
        """Drop the samples of a cycle stamped before the newest one written (a clock stepped back).

        Prometheus refuses out-of-order samples for the same reason: an hour written twice would
        interleave two timelines, so every counter would look reset at every other sample and
        spend would spike. Events are kept: they are the incident timeline.
        """
        if self._newest_ts is None:
            span = self.history.time_range()
            self._newest_ts = span[1] if span else -math.inf
        cycle_ts = max((batch.ts for batch in batches), default=-math.inf)
        if cycle_ts > self._newest_ts:
            self._newest_ts = cycle_ts
            return batches, None
        resume = datetime.fromtimestamp(self._newest_ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        note = (
            f"clock stepped back: {self._newest_ts - cycle_ts:,.0f} s behind the newest stored sample; samples "
            f"are not recorded until it passes {resume} again (the history stays in time order)"
        )
        kept = [Batch(b.source, b.ts, [], b.events, b.error, b.alerts) for b in batches]
        return kept, note


def sources_from_config(cfg: "Config", *, clock: Callable[[], float] = time.time) -> list["Source"]:
    from aiops_tui.sources.gateway import GatewaySource, client_for
    from aiops_tui.sources.prometheus import PrometheusSource

    sources: list[Source] = []
    if cfg.prometheus is not None:
        sources.append(PrometheusSource(cfg.prometheus, clock=clock))
    sources.extend(GatewaySource(gateway, client_for(gateway), clock=clock) for gateway in cfg.gateways)
    return sources
