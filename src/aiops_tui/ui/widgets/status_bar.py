"""The line under the panes: errors (the app's, then the recorder's) and mode (PAUSED, REVIEW) first,
then polling and each source's health.

On a narrow terminal the sources' profiles go first, so that their health stays on the line; only
then is its end cut, with an ellipsis. The `?` help shows the whole of it (`details`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.widget import Widget

from aiops_tui.cockpit import SourceView, Views
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import status_style
from aiops_tui.ui.safe import plain

SEVERITY = {"down": 0, "stale": 1, "filling": 2, "waiting": 2, "offline": 3, "ok": 4}
"""Worst sources first, so on a narrow terminal the one that is down is never the one cut off."""


@dataclass(slots=True)
class StatusState:
    views: Views | None = None
    paused: bool = False
    live_app: bool = True
    """Whether the app polls at all (False when reviewing a file)."""
    interval_s: float | None = None
    window: str = "1h"
    error: str | None = None
    now: float | None = None
    """The clock: between two reads of the views, the sources' ages move on with it."""
    starting: str = ""
    """What the cockpit's start waits for: said after "loading…" until the first views come, then on its own
    until polling starts."""


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = StatusState()

    def set_state(self, state: StatusState) -> None:
        state.now = self.state.now
        if state == self.state:
            return
        self.state = state
        self.refresh()

    def set_clock(self, now: float) -> None:
        if now != self.state.now:
            self.state = replace(self.state, now=now)
            if self.state.views is not None and self.state.views.live:
                self.refresh()

    def render(self) -> Text:
        line, width = self._line(profiles=True), self.content_size.width
        if width and line.cell_len > width:
            line = self._line(profiles=False)
            line.truncate(width, overflow="ellipsis")  # "…": more sources than the line can hold
        return line

    def _line(self, *, profiles: bool) -> Text:
        lead, settings, sources = self._parts(profiles)
        out = Text(no_wrap=True, overflow="ellipsis")
        for part in lead:
            out.append_text(part).append("  ")
        return out.append_text(Text(" · ", "dim").join([*settings, *sources]))

    def details(self) -> tuple[list[Text], bool]:
        """The line in full, one part per line, nothing cut (the `?` help shows it: at 80 columns a long
        error leaves no room for the sources after it), and whether anything in it is wrong."""
        lead, settings, sources = self._parts(profiles=True)
        views = self.state.views
        wrong = bool(self.state.error or (views is not None and views.write_error))
        wrong = wrong or any(source.state in ("down", "stale") for source in (views.sources if views else ()))
        # What the start filled from each source's own history (its toast is gone by now), or why it did not.
        fills = [plain(f"{source.name}: history filled with {source.filled}" if source.filled
                       else f"{source.name}: history not filled: {source.fill_error}", style="dim")
                 for source in (views.sources if views else ()) if source.filled or source.fill_error]
        return [*lead, Text(" · ", "dim").join(settings), *sources, *fills], wrong

    def _parts(self, profiles: bool) -> tuple[list[Text], list[Text], list[Text]]:
        """(errors and modes; polling and window; each source, worst first)."""
        s, lead = self.state, []
        bad, warn = status_style(self.app, "bad", bold=True), status_style(self.app, "warn", bold=True)
        views = s.views
        for error in (s.error, views.write_error if views is not None else None):
            if error:
                lead.append(Text.assemble(("⚠ ", bad), plain(error, style=bad)))
        if s.paused:
            lead.append(Text("PAUSED", warn))
        if views is not None and not views.live:
            lead.append(Text(f"REVIEW @ {fmt.utc_stamp(views.at)}", warn))
        firing = sum(1 for alert in views.alerts if alert.state == "firing") if views is not None else 0
        if firing:
            lead.append(Text(f"{firing} FIRING (press 4)", bad))  # 4: the runbooks, the firing ones first
        settings = [Text(f"poll {s.interval_s:g}s", "dim")] if s.live_app and s.interval_s is not None else []
        settings.append(Text(f"window {s.window}", "dim"))
        sources = []
        if views is None:
            settings.append(plain(f"loading… {s.starting}" if s.starting else "loading…", style="dim"))
        else:
            if s.starting:
                settings.append(plain(s.starting, style="dim"))
            if views.direct:
                settings.append(Text("direct", warn))
            # Ages were read with the views; live, they grow with the clock until the next read.
            since_read_s = max(0.0, s.now - views.at) if views.live and s.now is not None else 0.0
            for source in sorted(views.sources, key=lambda s: SEVERITY.get(s.state, 0)):
                sources.append(self._source(source, since_read_s, profiles))
        return lead, settings, sources

    def _source(self, source: SourceView, since_read_s: float = 0.0, profiles: bool = True) -> Text:
        style = status_style(self.app, source.state)
        text = Text.assemble((fmt.SOURCE_MARK.get(source.state, "?") + " ", style), plain(source.name), " ")
        text.append(source.state, style)
        if source.age_s is not None:
            text.append(f" {fmt.age(source.age_s + since_read_s)}", "dim")
        if source.error and source.state in ("down", "stale"):
            text.append_text(plain(f": {source.error}", style="dim"))
        elif source.reads_low and source.state == "ok":
            text.append_text(plain(f": {source.reads_low}", style=status_style(self.app, "warn")))
        if profiles and source.profiles:
            text.append_text(plain(f" ({', '.join(source.profiles)})", style="dim"))
        return text
