"""The one table of named actions: the key bindings, the footer, the `?` help and the command palette all come from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding

PANES = (
    ("golden", "Golden signals"),
    ("cost", "Cost"),
    ("breakers", "Breakers"),
    ("runbooks", "Runbooks"),
    ("maturity", "Maturity"),
)
"""(pane id, tab title) in tab order; key N shows the Nth pane."""

_PANES_GROUP = Binding.Group("panes", compact=True)
_INTERVAL_GROUP = Binding.Group("interval", compact=True)
_ANSWER_GROUP = Binding.Group("answer", compact=True)
_STEP_GROUP = Binding.Group("step")


@dataclass(frozen=True, slots=True)
class CockpitAction:
    action: str
    """A Textual action string run on the app, e.g. "toggle_pause" or "show_pane('cost')"."""
    key: str
    display: str
    description: str
    pane: str | None = None
    """The pane this key belongs to (help lists it first there); None for keys that work everywhere."""
    also_on: tuple[str, ...] = ()
    """Other panes an app key of `pane` acts on too (the chart window: the breakers' strips as well)."""
    footer: bool = True
    group: Binding.Group | None = None
    short: str = ""
    """The footer's word for it (the footer is one line, even at 80 columns); the description when empty."""
    on_pane: bool = False
    """Bound on the pane widget, not the app: the key acts only while focus is in that pane, and its action
    is the pane's (`pane_bindings`). The palette offers these only while their pane is in view, and runs them on it."""
    polling: bool = False
    """It acts on polling: a review has none, so there the key is neither shown nor acts (the app's `check_action`)."""
    review_short: str = ""
    """In a review, the footer shows this key under this word: moving through time is what a review is for."""
    review_group: Binding.Group | None = None
    away_only: bool = False
    """Shown in the footer, and acting, only while the panes look back from now (or from the reviewed file's
    end): the way back is on screen exactly when there is one. Always in `?`."""
    wide_only: bool = False
    """Shown in the footer only when it is wide: at 80 columns help and quit must stay on screen, after a
    pane's own keys. Still bound, and in `?` and the palette."""

    def on(self, pane_id: str | None) -> bool:
        """The key belongs to this pane (`pane` or `also_on`)."""
        return pane_id is not None and (pane_id == self.pane or pane_id in self.also_on)

    def binding(self) -> Binding:
        return Binding(
            self.key, self.action, self.short or self.description, show=self.footer, key_display=self.display,
            group=self.group, tooltip=self.description, priority=self.action == "command_palette",
        )

    def review_binding(self) -> Binding:
        return Binding(self.key, self.action, self.review_short, key_display=self.display, group=self.review_group,
                       tooltip=self.description)


ACTIONS: tuple[CockpitAction, ...] = (
    *(
        CockpitAction(f"show_pane('{pane_id}')", str(n), str(n), f"show {title}", group=_PANES_GROUP)
        for n, (pane_id, title) in enumerate(PANES, start=1)
    ),
    CockpitAction("toggle_pause", "p", "p", "pause / resume polling and the display", short="pause", polling=True),
    CockpitAction("refresh", "r", "r", "refresh now", short="refresh", wide_only=True),
    CockpitAction("slower", "plus", "+", "poll less often (+5 s)", group=_INTERVAL_GROUP, polling=True, wide_only=True),
    CockpitAction("faster", "minus", "-", "poll more often (-5 s)", group=_INTERVAL_GROUP, polling=True, wide_only=True),
    CockpitAction("step_back", "left_square_bracket", "[", "step back through history", footer=False,
                  review_short="step", review_group=_STEP_GROUP),
    CockpitAction("step_forward", "right_square_bracket", "]", "step forward (back to live at the end)", footer=False,
                  review_short="step", review_group=_STEP_GROUP),
    CockpitAction("goto_time", "g", "g", "go to a time (2026-11-20 14:00, -3h, -2d)", footer=False, review_short="go to"),
    CockpitAction("back_to_live", "0,end", "0", "back to now (live, or the end of the reviewed file)", short="now",
                  review_short="end", away_only=True),
    CockpitAction("cycle_window", "w", "w", "chart window 15m / 1h / 6h / 24h / 7d / 30d / 90d", pane="golden",
                  also_on=("breakers",), short="window"),
    CockpitAction("chart_model", "enter", "⏎", "chart the selected model (or gateway) alone (again: all)",
                  pane="golden", footer=False, on_pane=True),  # the models table's own enter runs it: the source line says so
    CockpitAction("toggle_table", "v", "v", "the table by gateway, or by model again (with more than one gateway)",
                  pane="golden", footer=False, on_pane=True),  # the source line says so where there are gateways
    CockpitAction("cost_trends", "T", "T", "cost trends: spend per day, week and month, months against budget", footer=False),
    # Its span in words is store.export.BESIDE_SPAN, not imported on the way to the first frame (a test holds them equal).
    CockpitAction("export_snapshot", "E", "E", "export snapshot: the last 7 days into a new file beside the history", footer=False),
    CockpitAction("tick_step", "x,space", "x", "tick or untick the selected step (also space)", pane="runbooks", short="tick", on_pane=True),
    CockpitAction("copy_block", "c", "c", "copy the selected shell block (OSC 52)", pane="runbooks", short="copy", on_pane=True),
    CockpitAction("start_incident", "i", "i", "start an incident", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("add_note", "o", "o", "add a note to the open incident", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("close_incident", "I", "I", "close the open incident", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("go_back", "b,alt+left", "b", "back to the previous runbook or place", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("go_forward", "f,alt+right", "f", "forward again", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("next_item", "j", "j", "next step or block (also ↓)", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("previous_item", "k", "k", "previous step or block (also ↑)", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("focus_filter", "slash", "/", "filter the runbook list", pane="runbooks", footer=False, on_pane=True),
    CockpitAction("cycle_theme", "t", "t", "next theme", short="theme", wide_only=True),
    CockpitAction("help", "question_mark", "?", "help for this pane", short="help"),
    CockpitAction("command_palette", "ctrl+p", "^p", "command palette", footer=False),
    CockpitAction("quit", "q", "q", "quit", short="quit"),
    CockpitAction("answer('yes')", "y", "y", "answer yes (or confirm the suggestion)", pane="maturity", group=_ANSWER_GROUP, on_pane=True),
    CockpitAction("answer('no')", "n", "n", "answer no", pane="maturity", group=_ANSWER_GROUP, on_pane=True),
    CockpitAction("answer('unknown')", "u", "u", "answer unknown (clears the answer)", pane="maturity", group=_ANSWER_GROUP, on_pane=True),
    CockpitAction("confirm", "enter", "⏎", "accept the suggested answer", pane="maturity", footer=False, on_pane=True),
    CockpitAction("note", "e", "e", "write an evidence note for the question", pane="maturity", footer=False, on_pane=True),
    CockpitAction("save", "s", "s", "save the assessment (kept in the history with its time)", pane="maturity", short="save", on_pane=True),
)


def bindings() -> list[Binding]:
    return [a.binding() for a in ACTIONS if not a.on_pane]


def review_bindings() -> list[Binding]:
    """The keys the footer shows in a review besides the others: they replace those keys' hidden bindings."""
    return [a.review_binding() for a in ACTIONS if a.review_short]


POLLING_ACTIONS = frozenset(a.action for a in ACTIONS if a.polling)
PANES_OF_APP_KEY = {a.action: frozenset({a.pane, *a.also_on}) for a in ACTIONS if a.pane is not None and not a.on_pane}
"""App keys that act on some panes only (the chart window: the golden pane's charts and the breakers' strips):
off elsewhere."""
WIDE_ONLY = frozenset(a.action for a in ACTIONS if a.wide_only)
AWAY_ONLY = frozenset(a.action for a in ACTIONS if a.away_only)


def pane_bindings(pane_id: str) -> list[Binding]:
    """The keys a pane binds on itself (`on_pane`), for its BINDINGS."""
    return [a.binding() for a in ACTIONS if a.on_pane and a.pane == pane_id]


def for_pane(pane_id: str | None) -> tuple[list[CockpitAction], list[CockpitAction]]:
    """(this pane's keys, keys that work everywhere): help shows the pane's first."""
    own = [a for a in ACTIONS if a.on(pane_id)]
    return own, [a for a in ACTIONS if a.pane is None]


def palette_entries(actions: Iterable[CockpitAction] = ACTIONS, pane_id: str | None = None) -> list[tuple[str, CockpitAction]]:
    """(title shown in the palette, action); the palette runs the same action the key does. The keys of
    the pane in view come too (`on_pane`: the palette runs them on that pane)."""
    return [
        (a.description[0].upper() + a.description[1:], a) for a in actions
        if a.action != "command_palette" and (not a.on_pane or (pane_id is not None and a.pane == pane_id))
    ]
