"""The cockpit's controller: the history, the poller (when live) and the views every pane renders.

The UI holds one Cockpit and asks it for `views(at)` from a worker thread; it never reads the store
or a source itself. The offline review is a Cockpit without a poller.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, wait
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiops_tui.model import Alert
from aiops_tui.signals.breakers import BreakersView
from aiops_tui.signals.cost import CostView
from aiops_tui.signals.golden import GoldenView, Targets
from aiops_tui.signals.quality import QualityTargets

if TYPE_CHECKING:
    import asyncio

    from aiops_tui.config import PrometheusConfig
    from aiops_tui.sim.pricing import ModelPrice
    from aiops_tui.sources.poller import Poller
    from aiops_tui.store.history import History


@dataclass(frozen=True, slots=True)
class SourceView:
    name: str
    kind: str
    state: str
    """ok | stale | down | filling | waiting | offline (review of a file)"""
    age_s: float | None
    profiles: Sequence[str] = ()
    error: str | None = None
    """Why it is down or stale, without its name in front (`SourceStatus.last_error`)."""
    filled: str | None = None
    """What filling the history's gap from it wrote at the start (`SourceStatus.filled`)."""
    fill_error: str | None = None
    """Why that gap was not filled."""
    reads_low: str | None = None
    """Why its rates read low now (`SourceStatus.reads_low`)."""


@dataclass(frozen=True, slots=True)
class Views:
    at: float
    environment: str
    live: bool
    """True while the view follows the clock; False when scrubbed back or reviewing a file."""
    paused: bool
    golden: GoldenView
    cost: CostView | None
    """None in the start's first views (`Cockpit.start`): the frame they are drawn for shows the golden pane,
    and the cost pane's reads (spend rates, month to date, its days: half the views' time) come with the next."""
    breakers: BreakersView
    sources: Sequence[SourceView] = ()
    alerts: Sequence[Alert] = ()
    direct: bool = False
    notes: Sequence[str] = field(default_factory=tuple)
    """Which profile feeds which pane, e.g. "cost from litellm_spend_metric_total"."""
    write_error: str | None = None
    """Why the last polled cycle was not written to the history (disk full, read-only directory,
    clock stepped back), in one line; None when it was, or when nothing is recorded."""
    gateways: Sequence[str] = ()
    """The gateways the history holds, when a pane reads them together (`FLEET_SOURCE`)."""


class Cockpit:
    """Ties the store, the poller and the signals together for one app or recorder."""

    def __init__(
        self, history, *, environment: str = "local", targets: Targets | None = None, monthly_budget_usd: float = 0.0,
        poller: "Poller | None" = None, clock: Callable[[], float] = time.time,
        prepare: Callable[[], None] | None = None, before_polling: Callable[[], None] | None = None,
        first_views: "Callable[[], Views] | None" = None, open_history: "Callable[[], History] | None" = None,
        runbook_dirs: Sequence[Path] = (),
        quality_targets: QualityTargets | None = None, prices: Mapping[str, ModelPrice] | None = None,
        prometheus: "PrometheusConfig | None" = None, starting: str | Callable[[], str] = "", reviewing: str = "",
    ) -> None:
        self._history = history
        self.environment = environment
        self.targets = targets or Targets()
        self.monthly_budget_usd = monthly_budget_usd
        self.poller = poller
        self.clock = clock
        self.runbook_dirs = list(runbook_dirs)
        self.quality_targets = quality_targets or QualityTargets()
        self.prometheus = prometheus
        """Where runbook promql blocks are evaluated (read-only); None: they say "needs Prometheus"."""
        self._starting = starting
        self.reviewing = reviewing
        """The name of the file a review reads, for the header; empty when live."""
        self.prices = dict(prices or {})
        """Model -> token prices and tier (pricing.yaml): tiers for the cost pane, prices for the levers."""
        self._prepare = prepare
        self._before_polling = before_polling
        """Blocking work polling needs and the first views do not (the demo waits for its model here)."""
        self._first_views = first_views
        """Where the first views come from when another process reads them (`forked.start_in_child`)."""
        self._open_history = open_history
        """Opens the history here once that process has closed it: run when polling starts."""
        self._opened: Future[History] | None = Future() if open_history is not None else None
        self._prepared: Future[None] | None = None
        self._first: Future[Views] | None = None
        """The first views `start` began: polling and the first `views` call wait for them."""
        self._first_window: str | None = None
        """Their window, until `views` hands them over (once)."""
        self._polling = False

    @property
    def starting(self) -> str:
        """What the cockpit's start waits for, in a few words for the status line (the demo's simulated
        hours and how far it has got, then their rollups); empty once polling has started, or when
        nothing is waited for."""
        if self._polling:
            return ""
        return self._starting() if callable(self._starting) else self._starting

    @property
    def history(self) -> "History | None":
        """The history file; None until polling has started when the cockpit opens it itself
        (`open_history`). Never waits: the UI's thread reads it, and polling starts on that thread."""
        return self._history

    @property
    def opening_history(self) -> bool:
        """The cockpit is still opening its history (the first moment after start): what the panes keep
        waits for it (`wait_history`) instead of being dropped."""
        return self._opened is not None and not self._opened.done()

    def wait_history(self, timeout: float | None = None) -> "History | None":
        """The history, after waiting up to `timeout` while it is being opened: None without one, or if
        opening it failed (polling reports that). Blocking: call it from a worker thread."""
        if self._opened is not None:
            wait([self._opened], timeout)
        return self._history

    @property
    def live(self) -> bool:
        return self.poller is not None

    def start(self, window: str = "1h") -> None:
        """Begin what the first frame with data waits for, on a thread, while the UI is still being imported
        and built: `prepare` (the demo's backfill), then the views now over `window` without the cost pane's (or,
        given `first_views`, the wait for them). `views` hands them over."""
        if self._prepared is not None:
            return
        prepared: Future[None] = Future()
        first: Future[Views] = Future()
        self._prepared, self._first, self._first_window = prepared, first, window

        def run() -> None:
            try:
                if self._prepare is not None:
                    prepare, self._prepare = self._prepare, None
                    prepare()
            except BaseException as exc:
                prepared.set_exception(exc)
                first.set_exception(exc)
                return
            prepared.set_result(None)
            try:
                if self._first_views is not None:
                    first.set_result(self._first_views())
                else:  # imported here: with `first_views`, this process needs them only after the first frame
                    from aiops_tui.views import build_views

                    first.set_result(build_views(self, None, window, cost=False))
            except BaseException as exc:
                first.set_exception(exc)

        threading.Thread(target=run, name="cockpit-start", daemon=True).start()

    def views(self, at: float | None = None, window: str = "1h", model: str = "", gateway: str = "", *,
              cost: bool = True) -> Views:
        """Everything the panes show at `at` (default: now), the golden charts of `model` alone if given, or of
        `gateway`'s own signals; without the cost pane's (`Views.cost` None) unless `cost`. Blocking: call it from
        a worker thread."""
        if self._first_window is not None and at is None and window == self._first_window and not (model or gateway):
            self._first_window = None
            return self._first.result()
        if self._opened is not None:
            self._opened.result()  # the history is opened once polling starts: its failure is raised here
        from aiops_tui.views import build_views  # here: the first views, built elsewhere, need none of it

        return build_views(self, at, window, model, gateway, cost=cost)

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Wait for `prepare` (the demo's backfill; run here on a thread unless `start` ran it), open the
        history (`open_history`) and run `before_polling` on a thread, then poll until `stop` (without a
        poller, as in a review, return).

        After `start`, the first poll also waits for the first views: both are Python holding one GIL,
        and the views are what the first frame with data is waiting for."""
        import asyncio  # here, not at the top: the forked child that reads the first views never imports it

        if self._prepared is not None:
            await asyncio.wrap_future(self._prepared)
            await asyncio.wait([asyncio.wrap_future(self._first)])  # its failure is the views' to report
        elif self._prepare is not None:
            prepare, self._prepare = self._prepare, None
            await asyncio.to_thread(prepare)
        if self._open_history is not None:
            opener, self._open_history = self._open_history, None
            try:
                history = await asyncio.to_thread(opener)
            except BaseException as exc:
                self._opened.set_exception(exc)
                raise
            self._history = history
            self._opened.set_result(history)
        if self._before_polling is not None:
            before, self._before_polling = self._before_polling, None
            await asyncio.to_thread(before)
        self._polling = True
        if self.poller is not None:
            await self.poller.run(stop)

    @property
    def data_version(self) -> int:
        """Changes when a poll cycle has been written: the views only change then (or with the clock)."""
        return self.poller.cycles if self.poller is not None else 0

    @property
    def interval_s(self) -> float | None:
        """The shortest poll interval among the sources (None offline)."""
        if self.poller is None or not self.poller.status:
            return None
        return min(s.interval_s for s in self.poller.status.values())

    def pause(self) -> None:
        if self.poller:
            self.poller.pause()

    def resume(self) -> None:
        if self.poller:
            self.poller.resume()

    @property
    def paused(self) -> bool:
        return bool(self.poller and self.poller.paused)

    def refresh_now(self) -> None:
        if self.poller:
            self.poller.refresh_now()

    def set_interval(self, interval_s: float) -> None:
        if self.poller:
            self.poller.set_interval(interval_s)
