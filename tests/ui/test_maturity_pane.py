"""The maturity pane: answered by keyboard, suggestions from the views, saving to a real history file and
reading it back after a restart, refusal on a read-only history, Portuguese, and small terminals.

Scores by hand use the weights of data/maturity.yaml: infrastructure 0.3/0.3/0.2/0.2 (iac, ci_cd,
centralized_monitoring, autoscaling), observability and process 0.25 each, ai_specific 0.3/0.3/0.2/0.2
(ai_output_quality, ai_fallback, prompt_versioning, drift_detection); overall = mean of the 4 dimensions.
The FakeCockpit's views suggest: centralized_monitoring yes (a Prometheus source), business_metrics yes
(cost metrics), ai_fallback yes (breaker rows), ai_output_quality yes (its AI-quality row; unknown without
one, as cost is monitored), runbooks_current no (its one alert has no runbook_url).
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import duckdb
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from aiops_tui.cockpit import Cockpit
from aiops_tui.signals.maturity import AnswerRecord, Assessment, Evidence, assessment_to_event
from aiops_tui.store.history import History
from aiops_tui.ui.history import history_when_open
from aiops_tui.ui.panes.maturity import MaturityPane, evidence_from_views
from aiops_tui.ui.widgets.maturity_checklist import MaturityChecklist
from aiops_tui.ui.widgets.maturity_history import MaturityHistory
from aiops_tui.ui.widgets.maturity_matrix import CapabilityMatrix
from aiops_tui.ui.widgets.maturity_note import EvidenceNoteScreen
from aiops_tui.ui.widgets.maturity_summary import MaturitySummary
from ui.pilot_helpers import cockpit_app, cockpit_opening_history, press, settle, until
from ui.view_builders import AT, DAY_S, FakeCockpit, build_views

SIZE = (120, 40)


class FakeCockpitWithHistory(FakeCockpit):
    """The FakeCockpit's views over a real history file, as the live cockpit has them."""

    def __init__(self, history: History, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history
        self.poller = None


def yes(evidence: str = "") -> AnswerRecord:
    return AnswerRecord("yes", evidence)


def no(evidence: str = "") -> AnswerRecord:
    return AnswerRecord("no", evidence)


# Month ago: infrastructure 0.6 (iac, ci_cd), observability 0, ai 0, process 0.5 (postmortems, on-call)
# -> 1.1 / 4 = 0.275, Initial.
SAVED_MONTH_AGO = Assessment(AT - 30 * DAY_S + 3 * 3600, {
    "iac": yes(), "ci_cd": yes(), "centralized_monitoring": no(), "autoscaling": no(),
    "business_metrics": no(), "distributed_tracing": no(), "ml_alerting": no(), "automated_rca": no(),
    "ai_output_quality": no(), "ai_fallback": no(), "prompt_versioning": no(), "drift_detection": no(),
    "runbooks_current": no(), "blameless_postmortems": yes(), "error_budgets": no(), "oncall_rotation": yes(),
})
# Two days ago: infrastructure 0.8, observability 0, ai 0.2 (prompts), process 0.75 -> 1.75 / 4 = 0.4375, Defined.
# business_metrics and ai_fallback left unanswered, so the views' suggestions fill them on screen:
# then observability 0.25, ai 0.5 -> (0.8 + 0.25 + 0.5 + 0.75) / 4 = 0.575, still Defined, weakest observability.
SAVED_TWO_DAYS_AGO = Assessment(AT - 2 * DAY_S - 3 * 3600, {
    "iac": yes("terraform for every environment in infra/"), "ci_cd": yes(), "centralized_monitoring": yes(),
    "autoscaling": no(), "distributed_tracing": no(), "ml_alerting": no(), "automated_rca": no(),
    "ai_output_quality": no(), "prompt_versioning": yes("prompts live in git, reviewed like code"), "drift_detection": no(),
    "runbooks_current": yes(), "blameless_postmortems": yes(), "error_budgets": no(), "oncall_rotation": yes(),
})


@pytest.fixture
def saved_history(tmp_path: Path):
    """A real history file holding the two assessments above."""
    with History.open(tmp_path / "history.duckdb") as history:
        history.write_events([assessment_to_event(SAVED_MONTH_AGO), assessment_to_event(SAVED_TWO_DAYS_AGO)])
        yield history


def pane_of(app) -> MaturityPane:
    return app.query_one(MaturityPane)


def summary_text(app) -> str:
    return app.query_one("#maturity-summary", MaturitySummary).render().plain


def history_text(app) -> str:
    return app.query_one(MaturityHistory).render().plain


def matrix_title(app) -> str:
    return str(app.query_one(CapabilityMatrix).render().title)


def answer_cell(app, question_id: str) -> str:
    table = app.query_one(MaturityChecklist)
    return table.get_row(question_id)[2].plain


async def on_maturity(pilot: Pilot) -> None:
    await settle(pilot)
    await press(pilot, "5")


# -- evidence from the views ----------------------------------------------------------------------


def test_evidence_from_the_fake_views() -> None:
    evidence = evidence_from_views(build_views(AT))
    assert evidence == Evidence(
        has_breaker_metrics=True,  # four breaker rows
        has_fallback_metrics=True,  # the fallback tile says "no traffic": the series exist
        has_cost_metrics=True,
        has_quality_metrics=True,  # the golden pane's AI-quality row
        alerts_with_runbooks=0,  # the one alert carries only a summary
        alerts_total=1,
        has_prometheus=True,
        profiles=["litellm", "resilience4j"],
    )
    assert not evidence_from_views(build_views(AT, quality=False)).has_quality_metrics


async def test_a_source_reporting_ai_quality_suggests_its_output_is_monitored() -> None:
    for quality, shown in ((True, "≈ yes"), (False, "≈ unknown")):
        app = cockpit_app(FakeCockpit(quality=quality))
        async with app.run_test(size=SIZE) as pilot:
            await on_maturity(pilot)
            assert answer_cell(app, "ai_output_quality") == shown


# -- snapshots ------------------------------------------------------------------------------------


def test_maturity_pane_120x40_saved_history_and_live_suggestions(snap_compare, saved_history: History) -> None:
    app = cockpit_app(FakeCockpitWithHistory(saved_history))
    assert snap_compare(app, terminal_size=SIZE, run_before=on_maturity)


def test_maturity_pane_120x40_in_portuguese(snap_compare, saved_history: History) -> None:
    app = cockpit_app(FakeCockpitWithHistory(saved_history), lang="pt")
    assert snap_compare(app, terminal_size=SIZE, run_before=on_maturity)


# -- answering by keyboard ------------------------------------------------------------------------


async def test_y_answers_the_selected_question_and_the_score_moves() -> None:
    app = cockpit_app(FakeCockpit(quality=False))  # no AI-quality row: ai_output_quality is not suggested yes
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        assert isinstance(app.focused, MaturityChecklist)
        assert app.query_one(MaturityChecklist).selected_question_id() == "iac"  # the first question, not its heading
        # Suggestions only: infrastructure 0.2, observability 0.25, ai 0.3, process 0 -> 0.75 / 4 = 0.1875.
        assert answer_cell(app, "iac") == "unknown"
        assert summary_text(app).startswith("Score 0.18 · Ad-hoc")
        await press(pilot, "y")
        # iac adds 0.3 to infrastructure: (0.5 + 0.25 + 0.3 + 0) / 4 = 0.2625, Initial.
        assert answer_cell(app, "iac") == "yes"
        assert summary_text(app).startswith("Score 0.26 · Initial")
        await press(pilot, "down", "n")
        assert app.query_one(MaturityChecklist).selected_question_id() == "ci_cd"
        assert answer_cell(app, "ci_cd") == "no"
        assert pane_of(app).current().record("ci_cd") == AnswerRecord("no")


async def test_the_matrix_names_a_level_that_sits_in_another_levels_column() -> None:
    app = cockpit_app(FakeCockpit(quality=False))
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        assert matrix_title(app) == "Capability matrix · ▶ you are here: Level 1 (Ad-hoc)"  # 0.1875, Ad-hoc
        await press(pilot, "y")  # 0.2625: Initial, which has no column of its own
        assert summary_text(app).startswith("Score 0.26 · Initial")
        assert matrix_title(app) == "Capability matrix · ▶ you are here: Initial, in Level 1 (Ad-hoc)"


async def test_arrows_step_over_the_dimension_headings() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        table = app.query_one(MaturityChecklist)
        await press(pilot, "down", "down", "down", "down")  # autoscaling is the 4th question; the heading is skipped
        assert table.selected_question_id() == "business_metrics"
        await press(pilot, "up")
        assert table.selected_question_id() == "autoscaling"
        await press(pilot, "up", "up", "up", "up")  # cannot stop on the first heading
        assert table.selected_question_id() == "iac"


async def test_a_suggestion_is_marked_until_confirmed() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        pane = pane_of(app)
        assert answer_cell(app, "centralized_monitoring") == "≈ yes"
        assert pane.current().record("centralized_monitoring").suggested
        await press(pilot, "down", "down", "enter")  # the third question: centralized monitoring
        record = pane.current().record("centralized_monitoring")
        assert (record.answer, record.suggested) == ("yes", False)
        assert record.evidence == "metrics are collected centrally in Prometheus"  # the reason is kept as evidence
        assert answer_cell(app, "centralized_monitoring") == "yes"
        # n on a suggested yes: answered no, and the reason (evidence for yes) is dropped.
        for _ in range(10):  # down to the runbooks question (suggested no), past two headings
            await pilot.press("down")
        await press(pilot)
        assert app.query_one(MaturityChecklist).selected_question_id() == "runbooks_current"
        assert answer_cell(app, "runbooks_current") == "≈ no"
        await press(pilot, "y")
        assert pane.current().record("runbooks_current") == AnswerRecord("yes")


async def test_u_keeps_unknown_even_where_a_suggestion_was() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        await press(pilot, "down", "down", "u")
        assert pane_of(app).current().record("centralized_monitoring") == AnswerRecord("unknown")
        assert answer_cell(app, "centralized_monitoring") == "unknown"


async def test_e_writes_an_evidence_note_through_a_modal() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        await press(pilot, "y", "e")
        assert isinstance(app.screen, EvidenceNoteScreen)
        await pilot.press(*"see [red]x")  # typed text is a note, never markup
        await press(pilot, "enter")
        assert not isinstance(app.screen, EvidenceNoteScreen)
        assert pane_of(app).current().record("iac") == AnswerRecord("yes", "see [red]x")
        assert app.query_one(MaturityChecklist).get_row("iac")[3].plain == "✎"
        assert "evidence: see [red]x" in str(app.query_one("#maturity-detail").render())
        await press(pilot, "e", "escape")  # escape keeps the note as it was
        assert pane_of(app).current().record("iac") == AnswerRecord("yes", "see [red]x")


async def test_keys_typed_in_the_note_do_not_reach_the_cockpit() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        await press(pilot, "e")
        await pilot.press(*"q1ys")  # quit, pane 1, yes, save: all letters of the note here
        await settle(pilot)
        assert app.screen.query_one(Input).value == "q1ys"
        await press(pilot, "escape")
        assert app.tabs.active == "maturity"
        assert pane_of(app).current().record("iac") == AnswerRecord("unknown")


# -- saving ---------------------------------------------------------------------------------------


def real_app(history: History, now: list[float], **kwargs):
    """The app on a real Cockpit (no poller, as in review) over `history`, its clock frozen at now[0]."""
    return cockpit_app(Cockpit(history, environment="test", clock=lambda: now[0]), **kwargs)


def saved_events(path: Path) -> list[tuple[float, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT epoch(ts), to_state FROM events WHERE kind = 'maturity' ORDER BY ts").fetchall()


async def test_saved_assessments_survive_a_restart_with_their_history(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    now = [AT]
    with History.open(path) as history:
        app = real_app(history, now)
        async with app.run_test(size=SIZE) as pilot:
            await on_maturity(pilot)
            assert "no assessment saved yet" in history_text(app)
            # No sources, no suggestions: iac alone is infrastructure 0.3 -> 0.3 / 4 = 0.075, Ad-hoc.
            await press(pilot, "y", "s")
            assert summary_text(app).startswith("Score 0.07 · Ad-hoc")
            assert "1 saved · 2026-10-28 → 2026-10-28" in history_text(app)
    assert saved_events(path) == [(AT, "ad_hoc")]

    now[0] = AT + 3600
    with History.open(path) as history:
        app = real_app(history, now)
        async with app.run_test(size=SIZE) as pilot:
            await on_maturity(pilot)
            assert answer_cell(app, "iac") == "yes"
            assert summary_text(app).startswith("Score 0.07 · Ad-hoc")
            assert "saved 2026-10-28 12:00 · the first one" in history_text(app)
            # ci_cd yes too: infrastructure 0.6 -> 0.15, still Ad-hoc; not saved yet, so the change shows.
            await press(pilot, "down", "y")
            text = history_text(app)
            assert "not saved · since 2026-10-28 12:00:" in text
            assert "unknown → yes  Do you have automated CI/CD pipelines?" in text
            assert "score +0.08 · Ad-hoc" in text  # 0.15 shown against 0.07
            await press(pilot, "s")
    assert saved_events(path) == [(AT, "ad_hoc"), (AT + 3600, "ad_hoc")]

    with History.open(path) as history:
        app = real_app(history, now)
        async with app.run_test(size=SIZE) as pilot:
            await on_maturity(pilot)
            assert answer_cell(app, "ci_cd") == "yes"
            text = history_text(app)
            assert "2 saved" in text
            assert "0.07 → 0.15" in text
            assert "saved 2026-10-28 13:00 · since 2026-10-28 12:00:" in text
            assert "Do you have automated CI/CD pipelines?" in text


async def test_saved_assessments_are_read_from_a_history_opened_after_the_pane(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    with History.open(path) as history:
        history.write_events([assessment_to_event(SAVED_TWO_DAYS_AGO)])
    cockpit, release, opened = cockpit_opening_history(path, environment="test")
    app = cockpit_app(cockpit)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.query(MaturityPane))  # built after the first views, the history still closed
            await pilot.press("5")
            await pilot.pause(0.2)
            assert cockpit.opening_history and not opened
            release.set()
            await settle(pilot)
            assert answer_cell(app, "iac") == "yes"  # SAVED_TWO_DAYS_AGO's answers, not a blank checklist
            assert "1 saved" in history_text(app)
            await press(pilot, "s")
    finally:
        release.set()
        for history in opened:
            history.close()
    assert [state for _, state in saved_events(path)] == ["defined", "defined"]


def threads_waiting_for_the_history() -> list[int]:
    return [ident for ident, frame in sys._current_frames().items()
            if any(f.f_code is history_when_open.__code__ for f, _ in traceback.walk_stack(frame))]


async def test_quitting_while_the_history_is_being_opened_does_not_wait_for_it(tmp_path: Path) -> None:
    # Quit before even the first views: polling, which opens the history, has not started.
    cockpit, release, opened = cockpit_opening_history(tmp_path / "history.duckdb", views_wait=True, environment="test")
    app = cockpit_app(cockpit)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")  # the pane is built when shown first
            await until(pilot, lambda: app.query(MaturityPane) and threads_waiting_for_the_history())
            waiting = [w for w in app.workers if w.group == "maturity-io" and not w.is_finished]
            assert waiting and cockpit.opening_history
        assert all(w.is_finished for w in waiting)  # cancelled with the app
        deadline = time.monotonic() + 2.0
        while threads_waiting_for_the_history() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not threads_waiting_for_the_history()  # and their threads are not left waiting
    finally:
        release.set()
        for history in opened:
            history.close()


async def test_saving_is_refused_on_a_read_only_history(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    with History.open(path, read_only=True) as history:
        app = real_app(history, [AT])
        async with app.run_test(size=SIZE) as pilot:
            await on_maturity(pilot)
            await press(pilot, "y", "s")
            legend = str(app.query_one("#maturity-legend").render())
            assert legend.startswith("not saved: this history is open read-only (review)")
            assert "\n" not in legend
            assert answer_cell(app, "iac") == "yes"  # the answers stay on screen
    assert saved_events(path) == []


async def test_saving_without_a_history_file_says_so() -> None:
    app = cockpit_app()  # the FakeCockpit has no history
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        await press(pilot, "s")
        assert str(app.query_one("#maturity-legend").render()) == "not saved: this cockpit has no history file"


# -- language and size ----------------------------------------------------------------------------


async def test_portuguese_words_with_accents_reach_the_screen(saved_history: History) -> None:
    app = cockpit_app(FakeCockpitWithHistory(saved_history), lang="pt")
    async with app.run_test(size=SIZE) as pilot:
        await on_maturity(pilot)
        # The saved answers with the suggestions: 0.575 -> 0.57, Definido; the weakest is observability 0.25.
        assert summary_text(app).startswith("Pontuação 0.57 · Definido")
        assert "mais fraca Observabilidade 0.25 · média 0.57" in summary_text(app)
        assert "Específico de IA" in summary_text(app)
        assert answer_cell(app, "ai_output_quality") == "não"


async def test_80x24_stacks_the_panels_and_still_answers() -> None:
    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_maturity(pilot)
        pane = pane_of(app)
        assert pane.has_class("-narrow")
        await press(pilot, "y", "down", "down", "down", "down", "down", "n")
        assert pane.current().record("iac").answer == "yes"
        assert pane.current().record("distributed_tracing").answer == "no"
        await press(pilot, "e", "escape", "s")
        assert app.is_running


async def test_the_checklist_comes_up_at_its_first_heading_after_other_panes_were_shown() -> None:
    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "3")  # the other panes are built here, the maturity pane filled while hidden
        await settle(pilot)
        await until(pilot, lambda: app.query_one(MaturityChecklist).row_count > 0)
        await press(pilot, "5")
        await settle(pilot)
        table = app.query_one(MaturityChecklist)
        assert table.scroll_y == 0 and table.cursor_row == 1
        lines = table.render_lines(table.region.reset_offset)
        shown = ["".join(segment.text for segment in line) for line in lines[:3]]
        assert shown[1].strip().startswith("Infrastructure"), shown
