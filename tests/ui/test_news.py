"""Toasts for what changed between two live reads: alerts firing and resolved, breakers opening and closing."""

from __future__ import annotations

import dataclasses

from aiops_tui.model import Alert
from aiops_tui.ui.news import ALARM_S, MOST, Teller, news
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle, until
from ui.view_builders import AT, ESCAPE_MODEL, ESCAPE_MODEL_SHOWN, FakeCockpit, build_views

SIZE = (120, 40)
BASE = build_views()
"""Firing: LLMCircuitBreakerOpen for openai/gpt-4o. Breakers: gpt-4o open, claude-sonnet half-open, two closed."""


def with_alerts(*alerts: Alert, views=BASE):
    return dataclasses.replace(views, alerts=alerts)


def with_breaker(upstream: str, state: str, views=BASE):
    rows = [dataclasses.replace(row, state=state) if row.upstream == upstream else row for row in views.breakers.rows]
    if upstream not in {row.upstream for row in rows}:
        rows.append(dataclasses.replace(views.breakers.rows[0], upstream=upstream, state=state, fallback=""))
    return dataclasses.replace(views, breakers=dataclasses.replace(views.breakers, rows=rows))


def said(items) -> list[str]:
    return [f"{item.severity}: {item.title} | {item.message}" for item in items]


LATENCY = Alert("LLMLatencyHigh", "firing", {"severity": "warning", "model": "gpt-4o"},
                {"summary": "p95 latency 5.2 s over 4 s"}, AT - 300)


def test_the_same_views_twice_tell_nothing() -> None:
    assert news(BASE, BASE) == []
    assert news(BASE, dataclasses.replace(BASE, at=AT + 5)) == []


def test_an_alert_that_starts_firing_says_what_since_when_and_where_its_runbook_is() -> None:
    assert said(news(BASE, with_alerts(*BASE.alerts, LATENCY))) == [
        "warning: LLMLatencyHigh (gpt-4o) firing · warning"
        " | p95 latency 5.2 s over 4 s\nsince 11:55:00 · 4 lists it with its runbook",
    ]
    paging = dataclasses.replace(LATENCY, labels={"severity": "critical"}, annotations={}, active_since=None)
    item, resolved = news(BASE, with_alerts(paging))  # what asks for action first
    assert (item.severity, item.title, item.message, item.timeout_s) == (
        "error", "LLMLatencyHigh firing · critical", "4 lists it with its runbook", ALARM_S)
    assert resolved.title == "LLMCircuitBreakerOpen (openai/gpt-4o) resolved"


def test_a_pending_alert_is_not_news_until_it_fires() -> None:
    pending = dataclasses.replace(LATENCY, state="pending")
    assert news(BASE, with_alerts(*BASE.alerts, pending)) == []
    assert said(news(with_alerts(*BASE.alerts, pending), with_alerts(*BASE.alerts, LATENCY)))[0].startswith(
        "warning: LLMLatencyHigh (gpt-4o) firing")


def test_a_resolved_alert_is_told_apart_from_another_of_its_name_by_its_labels() -> None:
    other = dataclasses.replace(BASE.alerts[0], labels={"upstream": "anthropic/claude-sonnet"})
    assert said(news(with_alerts(*BASE.alerts, other), BASE)) == [
        "information: LLMCircuitBreakerOpen (anthropic/claude-sonnet) resolved | no longer firing",
    ]


def test_a_breaker_leaving_closed_is_news_once_for_the_whole_outage() -> None:
    opened = with_breaker("local/llama", "open")
    assert said(news(BASE, opened)) == [
        "error: breaker OPEN: local/llama | no fallback configured\n3 shows the breakers",
    ]
    # While the upstream stays down the breaker alternates open and half-open: one outage, not a toast a cycle.
    half_open = with_breaker("local/llama", "half_open")
    assert news(opened, half_open) == []
    assert news(half_open, opened) == []
    assert said(news(half_open, BASE)) == ["information: breaker closed: local/llama | calls to it go through again"]
    # Seen half-open without the open before it (it opened and half-opened between two reads): still news.
    assert said(news(BASE, half_open))[0] == "error: breaker HALF-OPEN: local/llama | no fallback configured\n3 shows the breakers"
    assert said(news(BASE, with_breaker("openai/gpt-4o", "closed"))) == [
        "information: breaker closed: openai/gpt-4o | calls to it go through again",
    ]


def test_a_breaker_first_seen_open_is_news_and_its_fallback_is_named() -> None:
    assert said(news(BASE, with_breaker("openai/gpt-4o-mini", "open", views=with_breaker("openai/gpt-4o", "closed")))) == [
        "error: breaker OPEN: openai/gpt-4o-mini | no fallback configured\n3 shows the breakers",
        "information: breaker closed: openai/gpt-4o | calls to it go through again",
    ]
    closed = with_breaker("openai/gpt-4o", "closed")
    assert said(news(closed, BASE)) == ["error: breaker OPEN: openai/gpt-4o | its calls go to legacy-path\n3 shows the breakers"]


def with_source(name: str, state: str, error: str | None = None, views=BASE):
    sources = [dataclasses.replace(s, state=state, error=error) if s.name == name else s for s in views.sources]
    return dataclasses.replace(views, sources=tuple(sources))


def test_a_source_lost_is_news_once_until_it_is_back() -> None:
    """BASE: prometheus ok, gw-main stale, gw-edge down."""
    down = with_source("prometheus", "down", "connection refused")
    assert said(news(BASE, down)) == [
        "error: prometheus down | connection refused\nthe panes it feeds keep its last values",
    ]
    assert said(news(BASE, with_source("prometheus", "stale"))) == [
        "warning: prometheus stale | the panes it feeds keep its last values",
    ]
    assert news(with_source("prometheus", "stale"), down) == []  # stale, then down: one loss
    assert said(news(down, BASE)) == ["information: prometheus ok again | its values are current"]
    assert said(news(BASE, with_source("gw-main", "ok"))) == ["information: gw-main ok again | its values are current"]
    # A source on its first poll was never ok: nothing lost.
    assert news(with_source("prometheus", "waiting"), down) == []


def with_fill(name: str, filled: str | None = None, error: str | None = None, views=BASE):
    sources = [dataclasses.replace(s, filled=filled, fill_error=error) if s.name == name else s for s in views.sources]
    return dataclasses.replace(views, sources=tuple(sources))


def test_the_gap_filled_at_the_start_is_told_once_with_the_first_read_and_a_failed_fill_says_why() -> None:
    filled = with_fill("prometheus", "the 60 min before the start (240 steps of 15 s)")
    told = ["information: history filled from prometheus | the 60 min before the start (240 steps of 15 s): "
            "the charts start before the cockpit did"]
    assert said(news(None, filled)) == told  # the first read since a cycle landed: nothing else is news then
    assert said(news(BASE, filled)) == told
    assert news(filled, filled) == [] and news(None, BASE) == []
    assert said(news(None, with_fill("prometheus", error="HTTP Status Code 422"))) == [
        "warning: history not filled from prometheus | HTTP Status Code 422\nthe charts start with the first poll",
    ]
    assert news(None, with_breaker("local/llama", "open")) == []  # open already: on the Breakers tab, not news


def test_names_from_the_sources_are_cleaned_of_escape_sequences() -> None:
    [item] = news(BASE, with_breaker(ESCAPE_MODEL, "open"))
    assert item.title == f"breaker OPEN: {ESCAPE_MODEL_SHOWN}"
    alert = Alert("X\x1b[2J", "firing", {"upstream": ESCAPE_MODEL}, {"summary": "a\x1b]8;;https://evil\x07b"})
    [item] = news(with_alerts(), with_alerts(alert))
    assert (item.title, item.message) == (f"X ({ESCAPE_MODEL_SHOWN}) firing", "ab\n4 lists it with its runbook")
    named = dataclasses.replace(BASE, sources=(dataclasses.replace(BASE.sources[0], name=ESCAPE_MODEL),))
    [item] = news(named, with_source(ESCAPE_MODEL, "down", "\x1b[31mrefused", views=named))
    assert (item.title, item.message) == (f"{ESCAPE_MODEL_SHOWN} down", "refused\nthe panes it feeds keep its last values")


def test_past_the_most_toasts_the_last_one_counts_the_rest() -> None:
    alerts = [dataclasses.replace(LATENCY, labels={"model": f"m{n}", "severity": "warning"}) for n in range(6)]
    items = news(BASE, with_alerts(*BASE.alerts, *alerts))
    assert len(items) == MOST
    assert [item.title for item in items[:MOST - 1]] == [f"LLMLatencyHigh (m{n}) firing · warning" for n in range(MOST - 1)]
    assert (items[-1].title, items[-1].severity) == (f"{6 - MOST + 1} more changes", "warning")


def test_what_flaps_at_every_poll_is_told_once_a_minute() -> None:
    teller, ok, lost = Teller(), BASE, with_source("prometheus", "stale")
    told = []
    for n in range(1, 31):  # 30 reads 5 s apart: lost, back, lost, back...
        before, after = (ok, lost) if n % 2 else (lost, ok)
        told += [(n * 5, item.title) for item in teller.tell(before, dataclasses.replace(after, at=AT + n * 5))]
    assert told == [(5, "prometheus stale"), (10, "prometheus ok again"), (65, "prometheus stale"),
                    (70, "prometheus ok again"), (125, "prometheus stale"), (130, "prometheus ok again")]
    # Another subject is told at once.
    assert [item.title for item in teller.tell(BASE, with_breaker("local/llama", "open", views=dataclasses.replace(
        BASE, at=AT + 150)))] == ["breaker OPEN: local/llama"]


def test_two_alerts_of_one_name_are_both_told_each_by_the_label_that_tells_it_apart() -> None:
    """The title shows two labels: what the alert is about, then the one the two differ in (two gateways)."""
    labels = {"severity": "warning", "model": "gpt-4o", "tier": "tier_1", "instance": "gw-a:4000"}
    one = Alert("LLMErrorRatioHigh", "firing", labels, {}, AT - 60)
    two = dataclasses.replace(one, labels={**labels, "instance": "gw-b:4000"})
    told = Teller().tell(with_alerts(), with_alerts(one, two, views=dataclasses.replace(BASE, at=AT + 5)))
    assert [item.title for item in told] == ["LLMErrorRatioHigh (gpt-4o, gw-a:4000) firing · warning",
                                             "LLMErrorRatioHigh (gpt-4o, gw-b:4000) firing · warning"]
    alone = Teller().tell(with_alerts(), with_alerts(one, views=dataclasses.replace(BASE, at=AT + 5)))
    assert [item.title for item in alone] == ["LLMErrorRatioHigh (gpt-4o, tier_1) firing · warning"]


class ChangingCockpit(FakeCockpit):
    """A FakeCockpit whose next reads return `then` once the test sets it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.then = None
        self.data_version = 1

    def views(self, at=None, window="1h", model="", gateway=""):
        first = super().views(at, window, model)
        return first if self.then is None else dataclasses.replace(self.then, live=first.live, at=first.at)


async def test_the_live_cockpit_toasts_a_breaker_that_opens_on_whatever_pane_is_shown() -> None:
    cockpit = ChangingCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        assert not any("breaker OPEN" in line for line in screen_lines(app)), "no toast for the first views"
        cockpit.then = with_breaker("local/llama", "open")
        await press(pilot, "r")
        await until(pilot, lambda: any("breaker OPEN: local/llama" in line for line in screen_lines(app)))
        assert any("no fallback configured" in line for line in screen_lines(app))


async def test_a_review_moving_through_time_toasts_nothing() -> None:
    cockpit = ChangingCockpit(live=False)
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cockpit.then = with_breaker("local/llama", "open")
        await press(pilot, "r")
        assert len(cockpit.views_calls) == 2, "read again, the breaker open"
        assert list(app._notifications) == []


async def test_what_fires_at_the_first_poll_cycle_is_not_news_but_what_comes_after_is() -> None:
    """Until a poll cycle lands the sources have not said which alerts fire: the first views show none."""
    cockpit = ChangingCockpit()
    cockpit.data_version = 0
    cockpit.then = with_alerts()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cockpit.data_version, cockpit.then = 1, BASE  # the first cycle: LLMCircuitBreakerOpen was firing already
        await press(pilot, "r")
        cockpit.data_version, cockpit.then = 2, with_alerts(*BASE.alerts, LATENCY)
        await press(pilot, "r")
        assert len(cockpit.views_calls) == 3
        assert [n.title for n in app._notifications] == ["LLMLatencyHigh (gpt-4o) firing · warning"]


async def test_the_fill_is_toasted_at_the_first_read_and_kept_in_the_helps_status() -> None:
    cockpit = ChangingCockpit()
    cockpit.then = with_fill("prometheus", "the 60 min before the start (240 steps of 15 s)")
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert [n.title for n in app._notifications] == ["history filled from prometheus"]
        app.clear_notifications()
        await press(pilot, "question_mark")
        status = str(app.screen.query_one("#help-status").render()).splitlines()
        assert status[-1] == "  prometheus: history filled with the 60 min before the start (240 steps of 15 s)"
