"""The cockpit app: a thin shell that composes the panes, fetches `Views` off the UI thread and routes the keys.

Data flows one way: a 1 s timer starts a thread worker that calls `cockpit.views(at, window)` when a poll
cycle has landed since the last fetch (or REFETCH_S has passed), and posts the result as a message; the
handler hands it to the pane on screen and the status bar, which only render.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import work
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import AwaitMount
from textual.widgets import TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from aiops_tui.cockpit import Cockpit, Views
from aiops_tui.errors import first_line
from aiops_tui.signals.golden import CHART_WINDOWS_S
from aiops_tui.ui import actions
from aiops_tui.ui.palette import CockpitCommands
from aiops_tui.ui.panes.base import Pane
from aiops_tui.ui.themes import DEFAULT_THEME, load_themes, shipped_themes_dir, user_themes_dir
from aiops_tui.ui.widgets.footer import KeysFooter
from aiops_tui.ui.widgets.header import CockpitHeader
from aiops_tui.ui.widgets.status_bar import StatusBar, StatusState

if TYPE_CHECKING:
    from aiops_tui.ui.news import Teller
    from aiops_tui.ui.panes.golden import GoldenPane

TICK_S = 1.0
REFETCH_S = 10.0
"""Views are re-read after a poll cycle lands; at least this often anyway (states that age with the clock)."""
INTERVAL_STEP_S = 5.0
INTERVAL_RANGE_S = (5.0, 300.0)
DEFAULT_INTERVAL_S = 15.0
SHIPPED_THEME_ORDER = ("dark", "light", "high-contrast", "ansi-256")
HISTORY_OPENING = "the history is still being opened: try again in a moment"
INITIAL_PANE = "golden"
TITLES = dict(actions.PANES)


class ViewsReady(Message):
    def __init__(self, views: Views) -> None:
        super().__init__()
        self.views = views


class ViewsFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class CockpitApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "aiops-tui"
    BINDINGS = actions.bindings()
    COMMANDS = App.COMMANDS | {CockpitCommands}
    DUPLICATED_SYSTEM_COMMANDS = frozenset({"Quit", "Keys"})
    """Textual's palette entries the cockpit has its own of: "Quit" (q) and its `?` help for "Keys"."""

    def __init__(self, cockpit: Cockpit, theme: str | None = None, lang: str | None = None,
                 after_first_views: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.cockpit = cockpit
        self._after_first_views_hook = after_first_views
        """Called once the first views are drawn (or failed): the start's deferred work (`launch`)."""
        self.lang = lang or "en"
        self._theme_names: list[str] = []
        self._notices = self._load_themes(theme or DEFAULT_THEME)  # before the first frame: no flash of another theme
        self._window = "1h"
        self._chart_model = ""
        """The model the golden charts are of ("" for all): chosen on the golden pane (`GoldenPane.ModelChosen`)."""
        self._chart_gateway = ""
        """Or the gateway whose own signals the golden charts are of (`GoldenPane.GatewayChosen`)."""
        self._at: float | None = None
        self._paused = False
        self._error: str | None = None
        self._polling_error: str | None = None
        """Kept until restart: a poller that stopped does not come back by itself, unlike a failed query."""
        self._started_after_first_views = False
        self._views: Views | None = None
        self._live_seen: Views | None = None
        """The last live views read once a poll cycle had landed: what the next are told against (`news`)."""
        self._teller: Teller | None = None
        self._views_worker: Worker | None = None
        self._fetched_version: int | None = None
        """The cockpit's data version when the views on screen were asked for."""
        self._stop_polling = asyncio.Event()
        # Held, not queried: while help or the palette is on top, a query would search that screen instead.
        self.header = CockpitHeader(cockpit.environment, live=cockpit.live, reviewing=getattr(cockpit, "reviewing", ""),
                                    id="header")
        self.tabs = TabbedContent(initial=INITIAL_PANE, id="tabs")
        self.status_bar = StatusBar(id="status")
        self.footer = KeysFooter()
        self.panes: dict[str, Pane] = {}
        """The panes built so far, by id. Only the golden pane stands between the start and the first frame with
        data; the others are imported and mounted just after it (or when shown first, if that is sooner).
        A test may put its own pane here before the run."""
        self._pane_mounts: dict[str, AwaitMount] = {}
        self.leaving = False
        """Set by `exit`: what the start deferred (the other panes, the golden charts) is no longer built, as
        Textual closes the screen under it."""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.header
        with self.tabs:
            for n, (pane_id, title) in enumerate(actions.PANES, start=1):
                with TabPane(f"{n} {title}", id=pane_id):
                    if pane_id == INITIAL_PANE:
                        yield self.pane(pane_id)
        yield self.status_bar
        yield self.footer

    def pane(self, pane_id: str) -> Pane:
        """The pane with this id, built on first use (its module imported only then)."""
        pane = self.panes.get(pane_id)
        if pane is None:
            pane = self.panes[pane_id] = _build_pane(pane_id, self.cockpit, self.lang)
        return pane

    @property
    def interval_s(self) -> float:
        return getattr(self.cockpit, "interval_s", None) or DEFAULT_INTERVAL_S

    def get_system_commands(self, screen):
        """Textual's own palette entries (the theme picker, maximize, screenshot) but those listed twice."""
        for command in super().get_system_commands(screen):
            if command.title not in self.DUPLICATED_SYSTEM_COMMANDS:
                yield command

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", markup=False)
        self._update_status()  # "loading…", and what the first views wait for
        self._tick()  # at once: the first views may be ready already (Cockpit.start)
        self.set_interval(TICK_S, self._tick)
        self.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def on_unmount(self) -> None:
        self._stop_polling.set()

    def _load_themes(self, requested: str) -> list[str]:
        """Register the shipped and user themes and pick `requested`; returns one line per problem."""
        themes, notices = load_themes([shipped_themes_dir(), user_themes_dir()])
        for theme in themes:
            self.register_theme(theme)
        names = [t.name for t in themes]
        self._theme_names = [n for n in SHIPPED_THEME_ORDER if n in names] + sorted(n for n in names if n not in SHIPPED_THEME_ORDER)
        if requested not in self.available_themes:
            notices.append(f"theme {requested!r} not found; using {DEFAULT_THEME}")
            requested = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = requested
        return notices

    # -- data flow ---------------------------------------------------------------------------

    def _tick(self) -> None:
        now = self.cockpit.clock()
        self.header.set_clock(now)
        self.status_bar.set_clock(now)
        loading = self._views_worker is not None and self._views_worker.is_running
        if self.status_bar.state.starting or (loading and self._views is None):
            self._update_status()  # what the start waits for may say how far it has got, or be over
        if self._paused or loading:
            return
        if self._views is None or self._views.cost is None or (
                self.cockpit.live and self._at is None and self._views_outdated(now)):
            self._request_views()
        # A reviewed file or a moment in the past does not change by itself: fetched once, then on request.

    def _views_outdated(self, now: float) -> bool:
        """A cycle has landed since the views on screen were read (or they are REFETCH_S old)."""
        version = getattr(self.cockpit, "data_version", None)
        return version is None or version != self._fetched_version or now - self._views.at >= REFETCH_S

    def _request_views(self) -> None:
        self._fetched_version = getattr(self.cockpit, "data_version", None)
        self._views_worker = self._load_views(self._at, self._window, self._chart_model, self._chart_gateway)

    @work(thread=True, exclusive=True, group="views")
    def _load_views(self, at: float | None, window: str, model: str, gateway: str = "") -> None:
        worker = get_current_worker()
        try:
            views = self.cockpit.views(at, window, model, gateway)
        except Exception as exc:  # the app must outlive a failing query: say it in one line and keep going
            message = ViewsFailed(first_line(exc) or exc.__class__.__name__)
        else:
            message = ViewsReady(views)
        if not worker.is_cancelled:
            self.post_message(message)

    async def _poll(self) -> None:
        try:
            await self.cockpit.run_polling(self._stop_polling)
        except Exception as exc:
            self._polling_error = f"polling stopped: {first_line(exc) or exc.__class__.__name__}"
            self._update_status()

    def on_views_ready(self, message: ViewsReady) -> None:
        first = self._views is None
        self._views, self._error = message.views, None
        if message.views.live and self._fetched_version != 0:  # 0: no poll cycle had landed, no alert was reported
            self._tell_news(self._live_seen, message.views)
            self._live_seen = message.views
        self._update_status()
        self._show_active_pane()
        if first:
            self.call_after_refresh(self._after_first_views)
        open_count = message.views.breakers.open_count
        label = f"3 {TITLES['breakers']} · {open_count} OPEN" if open_count else f"3 {TITLES['breakers']}"
        try:
            tab = self.tabs.get_tab("breakers")
        except NoMatches:  # the tabs are still being built: the next views set it
            return
        if str(tab.label) != label:
            tab.label = label

    def _tell_news(self, before: Views | None, after: Views) -> None:
        if self._teller is None:
            from aiops_tui.ui.news import Teller

            self._teller = Teller()
        for item in self._teller.tell(before, after):
            self.notify(item.message, title=item.title, severity=item.severity, timeout=item.timeout_s, markup=False)

    def on_views_failed(self, message: ViewsFailed) -> None:
        self._error = message.error
        self._update_status()
        self.call_after_refresh(self._after_first_views)

    def _after_first_views(self) -> None:
        """Once the first views are drawn (or failed): polling starts (a review's cockpit only opens its
        history there, when another process read the first views), and the other panes are built.

        Both are the UI's own thread's work: before, they delayed the first frame with data. The panes
        are built by a worker, not in this callback: the screen draws no frame while its callbacks run,
        and the golden pane's charts are due in the next one."""
        if not self._started_after_first_views:  # called again after every failed views
            self._started_after_first_views = True
            if self._after_first_views_hook is not None:
                self._after_first_views_hook()
            if self.leaving:  # quit as they were drawn: the workers would never start
                return
            self.run_worker(self._poll(), group="polling", exit_on_error=False)
            self.run_worker(self._mount_other_panes(), group="panes")
            if self._views is not None and self._views.cost is None:  # the start's first views: the rest now
                self._request_views()

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        self.leaving = True
        super().exit(result, return_code, message)

    async def _mount_other_panes(self) -> None:
        """After a frame with the golden pane's charts (due a frame after the first views, mounted just
        before this starts): building the other panes must not hold them back."""
        charts = getattr(self.panes.get("golden"), "charts_mounted", None)
        if charts is not None:
            await charts
            drawn = asyncio.get_running_loop().create_future()
            self.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
            await drawn
        for pane_id in TITLES:
            await self._mount_pane(pane_id)

    async def _mount_pane(self, pane_id: str) -> None:
        """Mount the pane once, whoever asks first (the panes' worker or its tab); each returns once it
        is mounted, so a tab shown while the worker mounts its pane is drawn when that ends."""
        pending = self._pane_mounts.get(pane_id)
        if pending is None:
            if self.leaving:  # its tab may be gone already
                return
            pane = self.pane(pane_id)
            if pane.parent is not None:  # composed with the app: the first pane
                return
            pending = self._pane_mounts[pane_id] = self.tabs.get_pane(pane_id).mount(pane)
        await pending

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()  # a pane's app keys (`check_action`) come and go with it
        if event.pane.id in TITLES:
            await self._mount_pane(event.pane.id)
        self._show_active_pane()

    def active_pane(self) -> Pane | None:
        pane = self.panes.get(self.tabs.active)
        return pane if pane is not None and pane.is_mounted else None

    def _show_active_pane(self, force: bool = False) -> None:
        pane = self.active_pane()
        if pane is None or self._views is None:
            return
        try:
            pane.update_views(self._views, force=force)
        except Exception as exc:  # one pane's bug must not take the cockpit down during an incident
            self.log.error(f"{pane.PANE_ID} pane failed", exc)
            self._error = f"{pane.TITLE} pane: {first_line(exc) or exc.__class__.__name__}"
            self._update_status()

    def _update_status(self) -> None:
        self.status_bar.set_state(StatusState(
            views=self._views, paused=self._paused, live_app=self.cockpit.live,
            interval_s=getattr(self.cockpit, "interval_s", None),  # None until a source is polled
            window=self._window, error=self._error or self._polling_error, starting=getattr(self.cockpit, "starting", ""),
        ))

    def _redraw(self) -> None:
        """After a theme change: text coloured in code is redrawn now on screen, and on the next visit elsewhere."""
        active = self.active_pane()
        for pane in self.panes.values():
            if pane is not active:
                pane.views = None
        self._show_active_pane(force=True)
        self._update_status()

    # -- actions (keys, palette and help all come from ui/actions.py) -------------------------

    def action_show_pane(self, pane_id: str) -> None:
        from aiops_tui.ui.screens.cost_trends import CostTrendsScreen

        if isinstance(self.screen, CostTrendsScreen):
            self.pop_screen()
        focused = self.screen.focused
        if focused is not None and self.tabs.active != pane_id and any(isinstance(node, Pane) for node in focused.ancestors):
            # Focus left in the pane being hidden would be moved to its next widget, and that pulls its tab back.
            self.screen.set_focus(None)
        self.tabs.active = pane_id
        pane = self.active_pane()
        if pane is not None:  # one built on its first showing is drawn and focused once mounted
            # Drawn and focused now, not when the tab's message comes: a key typed with the pane's key
            # (3 then ↓) finds the rows and the focus there.
            self._show_active_pane()
            pane.take_focus()

    def action_toggle_pause(self) -> None:
        self._paused = not self._paused
        if self._paused:
            self.cockpit.pause()
        else:
            self.cockpit.resume()
            self._request_views()
        self._update_status()

    def action_refresh(self) -> None:
        self.cockpit.refresh_now()
        self._request_views()

    def _change_interval(self, delta_s: float) -> None:
        low, high = INTERVAL_RANGE_S
        self.cockpit.set_interval(min(high, max(low, self.interval_s + delta_s)))
        self._update_status()

    def action_slower(self) -> None:
        self._change_interval(INTERVAL_STEP_S)

    def action_faster(self) -> None:
        self._change_interval(-INTERVAL_STEP_S)

    def _step(self, direction: int) -> None:
        now = self.cockpit.clock()
        step_s = CHART_WINDOWS_S[self._window] / 6
        at = (self._at if self._at is not None else now) + direction * step_s
        # Within half a step of now is "now": the clock moved on while the engineer was looking back.
        self._move_cursor(None if at > now - step_s / 2 else at)

    def action_step_back(self) -> None:
        self._step(-1)

    def action_step_forward(self) -> None:
        self._step(+1)

    def action_goto_time(self) -> None:
        from aiops_tui.ui.screens.goto import GotoScreen

        if not isinstance(self.screen, GotoScreen):
            self.push_screen(GotoScreen(self.cockpit.clock(), self._at), self._go_to)

    def _go_to(self, at: float | None) -> None:
        if at is not None:  # None: the question was cancelled
            self._move_cursor(None if at >= self.cockpit.clock() else at)

    def action_back_to_live(self) -> None:
        self._move_cursor(None)

    def _move_cursor(self, at: float | None) -> None:
        """Every pane follows the one cursor; None follows the clock (live, or the reviewed file's end)."""
        self._at = at
        self.refresh_bindings()  # the way back to now (`check_action`) shows while looking back
        self._request_views()

    def on_golden_pane_model_chosen(self, message: GoldenPane.ModelChosen) -> None:
        """The model's charts alone, or all models' again when it is the one charted."""
        self._chart_model = "" if message.model == self._chart_model else message.model
        self._chart_gateway = ""
        self._request_views()

    def on_golden_pane_gateway_chosen(self, message: GoldenPane.GatewayChosen) -> None:
        """That gateway's own charts, or the source's again when it is the one charted."""
        self._chart_gateway = "" if message.gateway == self._chart_gateway else message.gateway
        self._chart_model = ""
        self._request_views()

    def action_cycle_window(self) -> None:
        windows = list(CHART_WINDOWS_S)
        self._window = windows[(windows.index(self._window) + 1) % len(windows)]
        self._update_status()
        self._request_views()

    def action_cost_trends(self) -> None:
        from aiops_tui.ui.screens.cost_trends import CostTrendsScreen

        if isinstance(self.screen, CostTrendsScreen):
            self.pop_screen()
            return
        if self.cockpit.history is None:
            self.notify(HISTORY_OPENING, timeout=3, markup=False)
            return
        source = self._views.cost.source if self._views is not None and self._views.cost is not None else ""
        until = self._at if self._at is not None else self.cockpit.clock()
        prices = getattr(self.cockpit, "prices", {}) or {}
        tiers = {model: price.tier for model, price in prices.items() if getattr(price, "tier", "")}
        self.push_screen(CostTrendsScreen(
            self.cockpit.history, source, until, budget_usd=getattr(self.cockpit, "monthly_budget_usd", 0.0), tiers=tiers,
        ))

    def action_export_snapshot(self) -> None:
        if self.cockpit.history is None:
            self.notify(HISTORY_OPENING, timeout=3, markup=False)
            return
        self._export_snapshot()

    @work(thread=True, group="export", exit_on_error=False)
    def _export_snapshot(self) -> None:
        """The last week into a new file beside the history; the live app keeps polling meanwhile."""
        from aiops_tui.store.export import BESIDE_SPAN, export_beside

        try:
            result = export_beside(self.cockpit.history, time.time())  # when written, not the reviewed time
        except Exception as exc:  # a full disk or a read-only directory is one line, not a crash
            self.call_from_thread(self.notify, f"export failed: {first_line(exc) or exc.__class__.__name__}",
                                  severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"exported {BESIDE_SPAN} to {result.path}", markup=False, timeout=10)

    def action_cycle_theme(self) -> None:
        names = self._theme_names or [self.theme]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
        self.notify(f"theme: {self.theme}", markup=False, timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """What the footer, the keys and the palette leave out: what help leaves out (`_offered`), and the
        way back to now while the panes are at now already."""
        if action in actions.AWAY_ONLY and self._at is None:
            return False
        return self._offered(action)

    def _offered(self, action: str) -> bool:
        """What help leaves out too: pause and the poll interval in a review (it polls nothing), and a pane's
        app key (the chart window) on the panes it does not act on."""
        if action in actions.POLLING_ACTIONS and not self.cockpit.live:
            return False
        panes = actions.PANES_OF_APP_KEY.get(action)
        return panes is None or self.tabs.active in panes

    def action_help(self) -> None:
        from aiops_tui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        pane = self.active_pane()
        own, everywhere = actions.for_pane(pane.PANE_ID if pane else None)
        everywhere = [a for a in everywhere if self._offered(a.action)]
        notes = self._views.notes if self._views is not None else ()
        status, wrong = self.status_bar.details()
        self.push_screen(HelpScreen(
            pane.TITLE if pane else "cockpit", pane.HELP if pane else "", own, everywhere, notes, status, status_first=wrong
        ))


class ReviewApp(CockpitApp):
    """The cockpit on a history file under review: no polling to pause or pace (`check_action`), and
    the footer shows the keys that move through its time."""

    BINDINGS = actions.review_bindings()  # per key, these replace the base's hidden ones


def app_for(cockpit: Cockpit, **kwargs) -> CockpitApp:
    """The app for this cockpit: a live one polls, a review reads a file."""
    return (CockpitApp if cockpit.live else ReviewApp)(cockpit, **kwargs)


def _build_pane(pane_id: str, cockpit: Cockpit, lang: str) -> Pane:
    """Import and build one pane: only the golden pane's imports stand between the start and the first frame."""
    if pane_id == "golden":
        from aiops_tui.ui.panes.golden import GoldenPane

        return GoldenPane(getattr(cockpit, "targets", None))
    if pane_id == "cost":
        from aiops_tui.ui.panes.cost import CostPane

        return CostPane()
    if pane_id == "breakers":
        from aiops_tui.ui.panes.breakers import BreakersPane

        return BreakersPane()
    if pane_id == "runbooks":
        from aiops_tui.ui.panes.runbooks import RunbooksPane

        return RunbooksPane()
    if pane_id == "maturity":
        from aiops_tui.ui.panes.maturity import MaturityPane

        return MaturityPane(lang)
    raise ValueError(f"no pane {pane_id!r}")
