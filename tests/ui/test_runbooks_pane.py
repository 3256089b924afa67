"""The runbooks pane driven by keys: alerts open their runbook with variables filled, links of every kind
are clicked without a crash, real-world markdown renders, a 200 KB runbook renders its first section
without the rest, ticks and incident notes survive a restart, shell blocks copy without prompts."""

from __future__ import annotations

import ast
import dataclasses
from datetime import date
from pathlib import Path

from textual.style import Style as TextualStyle
from textual.widgets import Input
from textual.widgets._markdown import MarkdownBlock, MarkdownH2

from aiops_tui.cockpit import Cockpit
from aiops_tui.model import Alert, Batch, Sample, SeriesKey
from aiops_tui.resources import shipped_dir
from aiops_tui.signals import incidents
from aiops_tui.signals.runbooks import load_runbook, parse_runbook
from aiops_tui.store.history import History
from aiops_tui.ui.panes.runbooks import RunbooksPane
from aiops_tui.ui.screens.prompt import PromptScreen
from aiops_tui.ui.widgets.runbook_header import header_text
from aiops_tui.ui.widgets.runbook_lists import AlertList, RunbookList
from aiops_tui.ui.widgets.runbook_steps import RunbookSteps
from aiops_tui.ui.widgets.runbook_viewer import RunbookMarkdown, RunbookViewer
from clocks import HandClock
from ui.pilot_helpers import cockpit_app, cockpit_opening_history, press, settle, until
from ui.view_builders import AT, FakeCockpit, build_views

SIZE = (120, 40)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "runbooks"
SHIPPED = shipped_dir("runbooks")


def runbooks_app(cockpit=None, dirs=None):
    app = cockpit_app(cockpit)
    if dirs is not None:
        app.panes["runbooks"] = RunbooksPane(dirs=dirs)
    return app


def alerting(alerts) -> FakeCockpit:
    """A FakeCockpit whose views carry these alerts."""

    class Alerting(FakeCockpit):
        def views(self, at=None, window="1h", model="", gateway=""):
            return dataclasses.replace(super().views(at, window, model), alerts=tuple(alerts))  # as they are now

    return Alerting()


async def on_runbooks(pilot) -> RunbooksPane:
    await settle(pilot)
    await press(pilot, "4")
    return pilot.app.query_one(RunbooksPane)


async def open_file(pilot, pane: RunbooksPane, name: str) -> None:
    runbook = next(r for r in pane.runbooks if r.path is not None and r.path.name == name)
    pane.open_runbook(runbook)
    await settle(pilot)


def shown_source(app) -> str:
    return "\n".join(doc.source for doc in app.query(RunbookMarkdown))


def shown_text(app) -> str:
    return "\n".join(block._content.plain for block in app.query(MarkdownBlock))


def notices(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def links(app) -> list[tuple[MarkdownBlock, str]]:
    """Every link the viewer rendered, as (block, the action a click runs)."""
    found = []
    for block in app.query(MarkdownBlock):
        for span in block._content.spans:
            style = span.style
            meta = style.meta if isinstance(style, TextualStyle) else {}
            if "@click" in meta:
                found.append((block, meta["@click"]))
    return found


# -- alerts ----------------------------------------------------------------------------------


async def test_a_firing_alert_opens_its_runbook_with_upstream_filled() -> None:
    app = runbooks_app()  # FakeCockpit: LLMCircuitBreakerOpen firing with upstream="openai/gpt-4o"
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        assert pane.location.runbook.path.name == "llm-circuit-breaker-open.md"
        assert pane.location.rule == "alerts"
        source = shown_source(app)
        assert "upstream `openai/gpt-4o` has opened" in source
        assert "$UPSTREAM" not in source
        queries = [i.text for i in app.query_one(RunbookSteps).items if i.kind == "promql"]
        assert queries[0] == 'resilience4j_circuitbreaker_state{name="openai/gpt-4o"} == 1'
        header = str(app.query_one("#runbook-header").render())
        assert "for LLMCircuitBreakerOpen (firing) · upstream=openai/gpt-4o" in header
        # No Prometheus and no history behind the FakeCockpit: each value says what it needs.
        assert "needs Prometheus" in str(app.query(".promql-value").first().render())


async def test_the_most_urgent_firing_alert_comes_first_and_its_runbook_opens() -> None:
    """By severity, then the newest: during an outage the breaker's runbook, not the budget's warning of an hour."""
    alerts = (
        Alert("LLMBudgetAtRisk", "firing", {"severity": "warning"}, {}, AT - 3600),
        Alert("LLMFallbackRateSpike", "pending", {"severity": "critical"}, {}, AT - 10),
        Alert("LLMErrorRatioHigh", "firing", {"severity": "critical", "model": "gpt-4o"}, {}, AT - 600),
        Alert("LLMCircuitBreakerOpen", "firing", {"severity": "critical", "upstream": "openai/gpt-4o"}, {}, AT - 60),
        Alert("Unlabelled", "firing", {}, {}, AT),
    )
    app = runbooks_app(alerting(alerts))
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        assert [a.name for a in app.query_one(AlertList).alerts] == [
            "LLMCircuitBreakerOpen", "LLMErrorRatioHigh", "LLMBudgetAtRisk", "Unlabelled", "LLMFallbackRateSpike",
        ]
        assert pane.location.runbook.path.name == "llm-circuit-breaker-open.md"


async def test_two_alerts_alike_but_for_their_gateway_are_listed_each_with_it() -> None:
    labels = {"severity": "critical", "tier": "tier_1", "upstream": "openai/gpt-4o"}
    alerts = tuple(Alert("LLMCircuitBreakerOpen", "firing", {**labels, "job": job, "instance": f"127.0.0.1:{port}"},
                         {}, AT - 60) for job, port in (("gw-a", 4000), ("gw-b", 4001)))
    app = runbooks_app(alerting(alerts))
    async with app.run_test(size=SIZE) as pilot:
        await on_runbooks(pilot)
        drawn = [app.query_one(AlertList).render_line(y).text.strip(" │") for y in range(4)]
    assert drawn[1] == "upstream=openai/gpt-4o job=gw-a" and drawn[3] == "upstream=openai/gpt-4o job=gw-b"


async def test_with_prometheus_down_the_alerts_list_says_as_of_when_it_was_read() -> None:
    class Down(FakeCockpit):
        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            sources = [dataclasses.replace(s, state="down", age_s=95.0) if s.kind == "prometheus" else s
                       for s in views.sources]
            return dataclasses.replace(views, sources=sources, alerts=(BREAKER,))

    for cockpit, expected in ((alerting([BREAKER]), ""), (Down(), "as of 11:58:25 · prometheus down")):
        app = runbooks_app(cockpit)
        async with app.run_test(size=SIZE) as pilot:
            await on_runbooks(pilot)
            alert_list = app.query_one(AlertList)
            assert (alert_list.border_title, alert_list.border_subtitle) == ("Alerts: 1 firing", expected)


BUDGET = Alert("LLMBudgetAtRisk", "firing", {"severity": "warning"}, {}, AT - 3600)
BREAKER = Alert("LLMCircuitBreakerOpen", "firing", {"severity": "critical", "upstream": "openai/gpt-4o"}, {}, AT - 60)


async def test_shown_again_after_a_more_urgent_alert_fired_the_pane_opens_its_runbook() -> None:
    firing = [BUDGET]
    app = runbooks_app(alerting(firing))  # the views carry the list as it is when read
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        assert pane.location.runbook.path.name == "llm-budget-at-risk.md"  # opened by the pane itself
        await press(pilot, "1")
        firing.insert(0, BREAKER)  # the toast says it fired; `4` is pressed to see it
        await press(pilot, "r", "4")
        assert pane.location.alert == BREAKER and pane.location.runbook.path.name == "llm-circuit-breaker-open.md"
        await press(pilot, "b")
        assert pane.location.runbook.path.name == "llm-budget-at-risk.md"  # back where it was


async def test_a_runbook_being_worked_through_stays_when_another_alert_fires() -> None:
    firing = [BUDGET]
    app = runbooks_app(alerting(firing))
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await press(pilot, "x")  # a step ticked: the engineer is on it
        await press(pilot, "1")
        firing.insert(0, BREAKER)
        await press(pilot, "r", "4")
        assert pane.location.runbook.path.name == "llm-budget-at-risk.md"
        assert [a.name for a in app.query_one(AlertList).alerts] == ["LLMCircuitBreakerOpen", "LLMBudgetAtRisk"]


async def test_while_the_pane_is_in_view_a_new_alert_is_listed_not_opened() -> None:
    firing = [BUDGET]
    app = runbooks_app(alerting(firing))
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        firing.insert(0, BREAKER)
        await press(pilot, "r")
        assert pane.location.runbook.path.name == "llm-budget-at-risk.md"  # nothing moves under the reader
        assert app.query_one(AlertList).alerts[0] == BREAKER


async def test_selecting_another_alert_opens_its_runbook_or_one_made_from_its_text() -> None:
    alerts = (
        Alert("LLMErrorRatioHigh", "firing", {"model": "gpt-4o"}, {"summary": "errors"}, AT - 60),
        Alert("DiskAlmostFull", "firing", {"device": "[red]sda[/]\x1b[2J"}, {"summary": "disk [b]full[/b]"}, AT - 30),
    )
    app = runbooks_app(alerting(alerts))
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        alert_list = app.query_one(AlertList)
        assert alert_list.border_title == "Alerts: 2 firing"
        # Labels are drawn literally: the markup stays text and the escape sequence is gone.
        drawn = "\n".join(alert_list.render_line(y).text for y in range(4))
        assert "device=[red]sda[/]" in drawn
        assert "\x1b" not in drawn
        alert_list.focus()
        await press(pilot, "down", "enter")  # neither has a severity: the newer first, DiskAlmostFull
        assert pane.location.runbook.path.name == "llm-error-ratio-high.md"
        await press(pilot, "up", "enter")
        assert pane.location.rule == "synthetic"
        assert "disk [b]full[/b]" in str(app.query_one("#runbook-header").render())
        await press(pilot, "b")
        assert pane.location.runbook.path.name == "llm-error-ratio-high.md"
        await press(pilot, "f")
        assert pane.location.rule == "synthetic"


# -- links -----------------------------------------------------------------------------------


async def test_every_link_in_the_fixtures_is_clicked_without_a_crash() -> None:
    app = runbooks_app(dirs=[FIXTURES])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await open_file(pilot, pane, "ci-runner-queue-too-long.md")
        clicks = dict((action, block) for block, action in links(app))
        hrefs = sorted(ast.literal_eval(action[len("link("):-1]) for action in clicks)
        # markdown-it refuses javascript: as a link, so it is drawn as text and cannot be clicked.
        assert hrefs == ["#ci-runner-queue-too-long", "../legacy/runners.md#history", "https://dashboards.example.com/d/ci-runners",
                         "img/queue.png", "mailto:ci@example.com"]
        for action, block in clicks.items():
            await app.run_action(action, block)  # what a mouse click on the link runs
            await settle(pilot)
            assert pane.location.runbook.path.name == "ci-runner-queue-too-long.md"
        said = "\n".join(notices(app))
        assert "Web link: https://dashboards.example.com/d/ci-runners\n(not opened; copied to the clipboard)" in said
        assert app.clipboard in ("https://dashboards.example.com/d/ci-runners", "mailto:ci@example.com")
        assert "no runbook at" in said and "legacy/runners.md" in said
        assert "img/queue.png\n(a file; shown, not opened)" in said
        # The anchor went on the back/forward history: back stays on this runbook.
        assert pane.location.line == pane.location.runbook.anchor_line("ci-runner-queue-too-long")
        # A link a hostile or odd file could still produce, clicked directly.
        block = next(iter(clicks.values()))
        for href in ("javascript:alert(1)", "vbscript:x", "", "#no-such-heading", "file:///etc/passwd", "//evil.example/x"):
            await block.action_link(href)
            await settle(pilot)
        assert app.is_running
        assert "not a link the cockpit follows" in "\n".join(notices(app))


async def test_hugo_ref_and_relative_md_links_navigate_and_back_returns() -> None:
    app = runbooks_app(dirs=[FIXTURES])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await open_file(pilot, pane, "kubepodcrashlooping.md")
        actions_by_href = {ast.literal_eval(a[len("link("):-1]): (b, a) for b, a in links(app)}
        assert "kubepodnotready.md" in actions_by_href  # {{< ref "kubepodnotready.md" >}}, made a link
        assert "kubepodnotready.md#diagnosis" in actions_by_href
        block, action = actions_by_href["kubepodnotready.md#diagnosis"]
        await app.run_action(action, block)
        await settle(pilot)
        assert pane.location.runbook.path.name == "kubepodnotready.md"
        assert pane.location.line == pane.location.runbook.anchor_line("diagnosis")
        # A shortcode reaching the click as written (an href the preprocessor did not see) navigates too.
        await press(pilot, "b")
        assert pane.location.runbook.path.name == "kubepodcrashlooping.md"
        await pane.follow_link('{{< ref "kubepodnotready.md" >}}')
        await settle(pilot)
        assert pane.location.runbook.path.name == "kubepodnotready.md"
        await press(pilot, "b")
        assert pane.location.runbook.path.name == "kubepodcrashlooping.md"


# -- real-world markdown ---------------------------------------------------------------------


async def test_every_fixture_runbook_renders() -> None:
    names = sorted(p.name for p in FIXTURES.glob("*.md"))
    app = runbooks_app(dirs=[FIXTURES])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        for name in names:
            await open_file(pilot, pane, name)
            assert app.query_one(RunbookViewer).mounted_chunks >= 1, name
            text = shown_text(app)
            assert text.strip(), name
            assert not shown_source(app).startswith(("---", "+++")), name  # front matter stripped
            assert "{{<" not in text and "<details>" not in text and "<summary>" not in text, name


async def test_details_and_task_items_render_readably() -> None:
    app = runbooks_app(dirs=[FIXTURES])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await open_file(pilot, pane, "kubepodcrashlooping.md")
        assert "Debugging tips" in shown_text(app)  # <summary> became a bold line
        assert "Check the application's own logs" in shown_text(app)  # {{< hint >}} kept what it wraps
        await open_file(pilot, pane, "ci-runner-queue-too-long.md")
        text = shown_text(app)
        # Steps are drawn as boxes; the file already ticks the second one.
        assert "☐ Check the queue on the runner manager:" in text
        assert "☑ List stuck jobs (long command):" in text
        assert "## Not a heading, just a code line" in text  # a heading inside a fence stays code


async def test_c_copies_a_shell_block_without_prompts_or_output() -> None:
    app = runbooks_app(dirs=[FIXTURES])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await open_file(pilot, pane, "ci-runner-queue-too-long.md")
        steps = app.query_one(RunbookSteps)
        steps.focus()
        kinds = [(i.kind, i.step_index) for i in steps.items]
        assert kinds == [("step", 0), ("shell", 0), ("step", 1), ("shell", 1), ("step", 2), ("shell", 2), ("shell", None)]
        await press(pilot, "c")  # on step 1: copies the shell block inside it
        assert app.clipboard == "sudo gitlab-runner status\nsystemctl status gitlab-runner --no-pager\n"
        await press(pilot, "j", "j", "j", "j", "j", "c")  # the drain block, ```sh {"name":"drain",...}
        assert app.clipboard == "cat <<EOF > /etc/gitlab-runner/drain\nreason=queue\nEOF\nls /etc/gitlab-runner\n"
        said = notices(app)[-1]
        assert said.startswith("Copied to the clipboard (not run): cat <<EOF")
        assert "If your terminal blocks OSC 52, select this text." in said


# -- a long runbook --------------------------------------------------------------------------


def big_runbook(sections: int) -> str:
    """Front matter and a title, then `sections` sections of about 970 bytes each."""
    parts = ["---\ntitle: Generated long runbook\nowner: load-test\n---\n\n# Generated long runbook\n"]
    for n in range(1, sections + 1):
        parts.append(
            f"\n## Section {n}\n\n" + f"Paragraph of section {n} with `code`, **bold** and a [link](#section-1). " * 12
            + f"\n\n- [ ] Step {n}: check it\n  ```promql\n  up{{job=\"s{n}\"}}\n  ```\n\n```sh\n$ echo {n}\n{n}\n```\n"
        )
    return "".join(parts)


async def test_a_200_kb_runbook_shows_its_first_section_and_renders_the_rest_on_demand(tmp_path: Path) -> None:
    text = big_runbook(210)
    assert len(text.encode()) > 200_000  # 210 sections of about 970 bytes
    (tmp_path / "long.md").write_text(text)
    app = runbooks_app(dirs=[tmp_path])
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await open_file(pilot, pane, "long.md")
        viewer = app.query_one(RunbookViewer)
        first = viewer.documents[0]
        assert [str(h._content.plain) for h in first.query(MarkdownH2)][0] == "Section 1"
        # Chunks of about 4 KB: the first screen and the next are rendered, the others wait as placeholders.
        assert len(viewer.chunks) >= 40
        assert viewer.is_rendered(0) and 1 <= viewer.mounted_chunks <= 3
        # Jumping to the last section renders it (and what is within a screen of it), not the 40 chunks between.
        last = pane.location.runbook.anchor_line("section-210")
        pane.navigate(dataclasses.replace(pane.location, line=last))
        await settle(pilot)
        assert viewer.is_rendered(len(viewer.chunks) - 1)
        assert viewer.mounted_chunks <= 6
        assert "Section 210" in [h._content.plain for h in viewer.documents[-1].query(MarkdownH2)]
        assert viewer.scroll_y > 0 and viewer.scroll_y >= viewer.max_scroll_y - viewer.size.height * 2


# -- ticks, incidents and a restart ----------------------------------------------------------


async def test_ticks_incident_and_notes_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    clock = HandClock(AT)
    with History.open(path) as history:
        app = runbooks_app(Cockpit(history, clock=clock, runbook_dirs=[FIXTURES]))
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            assert "No incident open" in str(app.query_one("#runbooks-incident").render())
            await press(pilot, "i")
            assert isinstance(app.screen, PromptScreen)
            await pilot.press(*"gateway down", "enter")
            await settle(pilot)
            assert pane.incident is not None and pane.incident.title == "gateway down"
            await open_file(pilot, pane, "ci-runner-queue-too-long.md")
            clock.now = AT + 60
            app.query_one(RunbookSteps).focus()
            await press(pilot, "x")  # step 1 ticked
            assert "☑ Check the queue on the runner manager:" in shown_text(app)
            clock.now = AT + 120
            await press(pilot, "j", "j", "space")  # step 2 (ticked in the file) unticked
            clock.now = AT + 180
            await press(pilot, "o")
            await pilot.press(*"drained runner 3", "enter")
            await settle(pilot)
            assert "1/3 ticked" in app.query_one(RunbookSteps).border_title
        incident_id = incidents.current_incident(history)
        events = incidents.timeline(history, incident_id)
        # Opened at AT, step 0 done at +60, step 1 undone at +120, the note at +180.
        assert [(e.ts - AT, e.kind, e.to_state) for e in events] == [
            (0.0, "incident", "open"), (60.0, "runbook_step", "done"), (120.0, "runbook_step", "undone"), (180.0, "note", None),
        ]
        assert events[3].detail["text"] == "drained runner 3"

    with History.open(path) as history:
        app = runbooks_app(Cockpit(history, clock=HandClock(AT + 600), runbook_dirs=[FIXTURES]))
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            await open_file(pilot, pane, "ci-runner-queue-too-long.md")
            steps = app.query_one(RunbookSteps)
            assert (steps.is_ticked(0), steps.is_ticked(1), steps.is_ticked(2)) == (True, False, False)
            text = shown_text(app)
            assert "☑ Check the queue on the runner manager:" in text
            assert "☐ List stuck jobs (long command):" in text
            line = str(app.query_one("#runbooks-incident").render())
            assert line == f"● INCIDENT {incident_id} open since 12:00:00 UTC · gateway down · o adds a note · I closes it"
            await press(pilot, "I")
            await press(pilot, "y")
            assert pane.incident is None
            assert "No incident open" in str(app.query_one("#runbooks-incident").render())
        assert incidents.find_incident(history, incident_id).closed_ts == AT + 600


async def test_an_incident_started_from_a_firing_alert_keeps_its_severity(tmp_path: Path) -> None:
    from aiops_tui.reports.cli import render_report

    alerts = (Alert("LLMCircuitBreakerOpen", "firing", {"severity": "critical", "upstream": "openai/gpt-4o"}, {}, AT - 60),)
    path = tmp_path / "history.duckdb"
    with History.open(path) as history:
        history.write_cycle([Batch("gw", AT, [Sample(SeriesKey("gw", "up"), AT, 1.0)])])  # a report needs a sample
        cockpit = alerting(alerts)
        cockpit.history = history  # the FakeCockpit's views, and a real file for the incident
        app = runbooks_app(cockpit)
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            assert pane.location.alert.name == "LLMCircuitBreakerOpen"
            await press(pilot, "i")
            await press(pilot, "enter")  # the alert's name, as suggested
            assert pane.incident is not None and pane.incident.severity == "critical"
            line = str(app.query_one("#runbooks-incident").render())
            assert line.endswith(" · LLMCircuitBreakerOpen · critical · o adds a note · I closes it")
        listing = render_report(history, "incident", since_s=86400.0, fmt="csv").splitlines()
    assert listing[-1].endswith(",LLMCircuitBreakerOpen,critical")


async def test_an_incident_started_without_a_title_is_named_once_by_its_id(tmp_path: Path) -> None:
    with History.open(tmp_path / "history.duckdb") as history:
        app = runbooks_app(Cockpit(history, clock=HandClock(AT), runbook_dirs=[FIXTURES]))
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            await press(pilot, "i")
            app.screen.query_one(Input).value = ""
            await press(pilot, "enter")
            assert pane.incident is not None and pane.incident.title == pane.incident.id  # its title is its id
            line = str(app.query_one("#runbooks-incident").render())
            assert line == f"● INCIDENT {pane.incident.id} open since 12:00:00 UTC · o adds a note · I closes it"


async def test_a_review_walks_a_runbook_in_memory_and_asks_for_nothing_it_cannot_keep(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    with History.open(path, read_only=True) as history:
        app = runbooks_app(Cockpit(history, clock=HandClock(AT), runbook_dirs=[FIXTURES]))
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            read_only = "this history is open read-only (a review): ticks, notes and incidents are not kept"
            assert str(app.query_one("#runbooks-incident").render()) == f"No incident open · {read_only}"
            for key in ("i", "o", "I"):
                await press(pilot, key)
                assert not isinstance(app.screen, PromptScreen)  # refused at once, not after a title is typed
            assert notices(app).count(f": {read_only}") == 3
            await open_file(pilot, pane, "ci-runner-queue-too-long.md")
            app.query_one(RunbookSteps).focus()
            await press(pilot, "x")  # still ticked on screen, for the walk through
            assert app.query_one(RunbookSteps).is_ticked(0)
            assert "☑ Check the queue on the runner manager:" in shown_text(app)
            assert not any("step not recorded" in n for n in notices(app))


async def test_what_is_done_while_the_history_is_being_opened_waits_for_it(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    with History.open(path) as history:
        incidents.tick_step(history, runbook, 2, True, AT - 60)  # ticked in an earlier session
    cockpit, release, opened = cockpit_opening_history(path, runbook_dirs=[FIXTURES])
    app = runbooks_app(cockpit)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.query(RunbooksPane))  # built after the first views, the history still closed
            await pilot.press("4")
            pane = app.query_one(RunbooksPane)
            pane.open_runbook(next(r for r in pane.runbooks if r.path is not None and r.path.name == runbook.path.name))
            await pilot.press("i")  # an incident can be started: its line does not say there is no history
            await until(pilot, lambda: isinstance(app.screen, PromptScreen))
            await pilot.press(*"gateway down", "enter")
            await pilot.pause(0.2)
            assert cockpit.opening_history and not opened
            assert "no history" not in str(app.query_one("#runbooks-incident").render())
            release.set()
            await settle(pilot)
            steps = app.query_one(RunbookSteps)
            assert steps.is_ticked(2)  # the runbook waited for the history's ticks
            steps.focus()
            await press(pilot, "x")
            assert not any("not kept" in n for n in notices(app))
            history = opened[0]
            assert incidents.ticked_steps(history, runbook) == {0: True, 2: True}
            incident_id = incidents.current_incident(history)
            assert incidents.find_incident(history, incident_id).title == "gateway down"
            assert f"INCIDENT {incident_id}" in str(app.query_one("#runbooks-incident").render())
    finally:
        release.set()
        for history in opened:
            history.close()


async def test_without_a_history_ticks_stay_in_memory_and_say_so() -> None:
    app = runbooks_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await press(pilot, "x")
        assert app.query_one(RunbookSteps).is_ticked(0)
        assert any("not kept" in n for n in notices(app))
        await press(pilot, "i")
        assert not isinstance(app.screen, PromptScreen)
        assert pane.incident is None


async def test_a_tick_the_history_fails_to_keep_is_undone_on_screen(tmp_path: Path, monkeypatch) -> None:
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(incidents, "tick_step", disk_full)  # the store's own faults are tests/faults'
    with History.open(tmp_path / "history.duckdb") as history:
        app = runbooks_app(Cockpit(history, clock=HandClock(AT), runbook_dirs=[FIXTURES]))
        async with app.run_test(size=SIZE) as pilot:
            pane = await on_runbooks(pilot)
            await open_file(pilot, pane, "ci-runner-queue-too-long.md")
            app.query_one(RunbookSteps).focus()
            await press(pilot, "x")
            await settle(pilot)
            assert not app.query_one(RunbookSteps).is_ticked(0)
            assert any("step not recorded: [Errno 28] No space left on device" in n for n in notices(app))


# -- list, filter and header -----------------------------------------------------------------


async def test_slash_filters_the_list_and_enter_opens() -> None:
    app = runbooks_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await on_runbooks(pilot)
        await press(pilot, "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"budget")
        await press(pilot, "enter")  # to the list
        runbook_list = app.query_one(RunbookList)
        assert [r.path.name for r in runbook_list.shown] == ["llm-budget-at-risk.md"]
        assert runbook_list.border_title == "Runbooks 1/8"
        await press(pilot, "enter")
        assert pane.location.runbook.path.name == "llm-budget-at-risk.md"
        assert pane.location.alert is None


def test_header_flags_an_overdue_review() -> None:
    runbook = parse_runbook(
        "---\ntitle: Old one\nowner: '[b]team[/b]'\nseverity: warning\nlast_reviewed: 2026-01-01\n---\nbody\n", Path("old.md")
    )
    # 2026-10-28 is 300 days after 2026-01-01 (31+28+31+30+31+30+31+31+30 = 273 to Oct 1, + 27): over 180.
    text = header_text(runbook, date(2026, 10, 28)).plain
    assert text.split("\n")[1] == "warning · owner [b]team[/b] · reviewed 2026-01-01 ⚠ review overdue (300 days)"
    assert "overdue" not in header_text(runbook, date(2026, 3, 1)).plain


def test_header_names_the_alert_by_the_labels_that_tell_it_apart() -> None:
    runbook = load_runbook(SHIPPED / "llm-circuit-breaker-open.md")  # variables: UPSTREAM, INSTANCE
    alert = Alert("LLMCircuitBreakerOpen", "firing",
                  {"job": "demo", "instance": "127.0.0.1:4000", "upstream": "openai/gpt-4o", "severity": "critical"}, {})
    line = header_text(runbook, date(2026, 11, 2), alert, "alerts").plain.split("\n")[2]
    assert line == ("for LLMCircuitBreakerOpen (firing) · upstream=openai/gpt-4o · instance=127.0.0.1:4000 · job=demo"
                    " · via its alerts: list")


def test_shipped_breaker_runbook_is_what_the_fake_alert_opens() -> None:
    alert = build_views().alerts[0]
    assert alert.name in load_runbook(SHIPPED / "llm-circuit-breaker-open.md").alerts


# -- snapshot --------------------------------------------------------------------------------


def test_runbooks_pane_120x40_breaker_runbook_for_the_firing_alert(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await on_runbooks(pilot)
        await settle(pilot)

    assert snap_compare(runbooks_app(), terminal_size=SIZE, run_before=run_before)
