"""Maturity pane: the operations maturity checklist answered by keyboard, with live-signal suggestions,
scores per dimension, recommendations by roadmap phase, the capability matrix and the saved history.

The questionnaire and the saved assessments are read, and assessments written, in thread workers;
the pane keeps the answers being edited and renders them.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Views
from aiops_tui.errors import first_line
from aiops_tui.signals.maturity import (
    Answer,
    AnswerRecord,
    Assessment,
    Evidence,
    Questionnaire,
    assessment_to_event,
    load_assessments,
    load_questionnaire,
    recommendations,
    score,
    suggest_from_evidence,
    with_suggestions,
)
from aiops_tui.ui import actions
from aiops_tui.ui.history import has_history, history_to_write, history_when_open
from aiops_tui.ui.panes.base import Pane
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.maturity_checklist import MaturityChecklist
from aiops_tui.ui.widgets.maturity_history import MaturityHistory, when
from aiops_tui.ui.widgets.maturity_matrix import CapabilityMatrix
from aiops_tui.ui.widgets.maturity_note import EvidenceNoteScreen
from aiops_tui.ui.widgets.maturity_roadmap import MaturityRoadmap
from aiops_tui.ui.widgets.maturity_summary import MaturitySummary
from aiops_tui.ui.widgets.maturity_text import labels, score_text

NARROW_WIDTH = 110
"""Below this many columns the side panels go under the questions instead of beside them."""
DETAIL_ROWS = 4
"""Under the questions: 3 lines on the selected one and the legend."""
MIN_TABLE_ROWS = 6


def evidence_from_views(views: Views) -> Evidence:
    """What the cockpit's views show about the organisation's practice, for `suggest_from_evidence`."""
    fallback = views.golden.tiles.get("fallback_ratio")
    return Evidence(
        has_breaker_metrics=bool(views.breakers.rows),
        # "no traffic" still means the fallback series exist; only "no data" says there are none.
        has_fallback_metrics=(fallback is not None and fallback.note != "no data")
        or any(row.fallback for row in views.breakers.rows),
        has_cost_metrics=views.cost.spend_usd_per_h is not None or bool(views.cost.by_model),
        has_quality_metrics=views.golden.quality is not None,  # the AI-quality row: a source reports it
        alerts_with_runbooks=sum(1 for alert in views.alerts if alert.annotations.get("runbook_url")),
        alerts_total=len(views.alerts),
        has_prometheus=any(source.kind == "prometheus" for source in views.sources),
        profiles=sorted({profile for source in views.sources for profile in source.profiles}),
    )


def _answered(assessment: Assessment) -> dict[str, AnswerRecord]:
    """The records that say something (an unknown without a note is the same as no record)."""
    return {q: r for q, r in assessment.answers.items() if r != AnswerRecord("unknown")}


class AssessmentsLoaded(Message):
    def __init__(self, questionnaire: Questionnaire | None, saved: list[Assessment], error: str | None) -> None:
        super().__init__()
        self.questionnaire, self.saved, self.error = questionnaire, saved, error


class AssessmentSaved(Message):
    def __init__(self, assessment: Assessment | None, error: str | None = None) -> None:
        super().__init__()
        self.assessment, self.error = assessment, error


class MaturityPane(Pane):
    PANE_ID = "maturity"
    TITLE = "Maturity"
    HELP = (
        "The operations maturity checklist: 4 dimensions of 4 weighted questions. Answer the selected question "
        "y / n / u; ≈ marks an answer suggested from live signals (breaker metrics, cost metrics, alerts with "
        "runbook links, a Prometheus source) until you confirm it with enter or y/n; e writes an evidence note "
        "(✎). Score = mean of the dimension scores; ◀ marks the weakest dimension. s saves the assessment with "
        "its time in the history (not in a read-only review), which shows the score over time and what changed."
    )
    BINDINGS = actions.pane_bindings(PANE_ID)
    DEFAULT_CSS = """
    MaturityPane { overflow-y: auto; padding: 0 1; }
    MaturityPane #maturity-loading { color: $text-muted; }
    MaturityPane #maturity-headline { display: none; }
    MaturityPane.-narrow #maturity-headline { display: block; }
    MaturityPane .maturity-row { height: auto; }
    MaturityPane #maturity-questions { width: 1fr; height: auto; }
    MaturityPane #maturity-side { width: 46; height: 25; padding: 0 0 0 2; }
    MaturityPane #maturity-detail { height: 3; text-wrap: nowrap; text-overflow: ellipsis; }
    MaturityPane #maturity-legend { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    MaturityPane #maturity-summary, MaturityPane #maturity-history { margin: 0 0 1 0; }
    MaturityPane #maturity-recs { height: 1fr; }
    MaturityPane #maturity-matrix { margin: 1 0 0 0; }
    MaturityPane.-narrow .maturity-row { layout: vertical; }
    MaturityPane.-narrow #maturity-side { width: 1fr; height: auto; padding: 0; margin: 1 0 0 0; }
    MaturityPane.-narrow #maturity-recs { height: auto; }
    """

    def __init__(self, lang: str = "en", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        self.words = labels(lang)
        self.questionnaire: Questionnaire | None = None
        self.saved: list[Assessment] | None = None
        """Saved assessments, oldest first; None until read from the history."""
        self._answers: dict[str, AnswerRecord] = {}
        """What a person answered (and suggestions carried over from the last save); live suggestions go on top."""
        self._suggestions: dict[str, tuple[Answer, str]] = {}
        self._dismissed: set[str] = set()
        """Questions answered by hand in this session: a live suggestion no longer overrides them, even 'unknown'."""
        self._saving = False
        self._notice: Text | None = None
        self._drawn_theme: str | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.words["loading"], id="maturity-loading")
        yield MaturitySummary(headline=True, id="maturity-headline")
        with Horizontal(classes="maturity-row"):
            with Vertical(id="maturity-questions"):
                yield MaturityChecklist(id="maturity-checklist")
                yield Static(id="maturity-detail")
                yield Static(id="maturity-legend")
            with Vertical(id="maturity-side"):
                yield MaturitySummary(id="maturity-summary")
                yield MaturityHistory(id="maturity-history")
                with VerticalScroll(id="maturity-recs", can_focus=False):
                    yield MaturityRoadmap(id="maturity-roadmap")
        yield CapabilityMatrix(id="maturity-matrix")

    def on_mount(self) -> None:
        self.run_worker(self._load, thread=True, group="maturity-io", exit_on_error=False)

    def take_focus(self) -> None:
        # Answering keys live on this pane: put the cursor on the questions whenever the pane comes up.
        self.focus_now(self.query_one(MaturityChecklist))

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        # The questions keep their detail lines (and, when narrow, the score line) on screen: the table
        # scrolls itself to the cursor, the pane would not.
        below_table = DETAIL_ROWS + (1 if narrow else 0)
        self.query_one(MaturityChecklist).styles.max_height = max(MIN_TABLE_ROWS, self.size.height - below_table)

    # -- data: reading and writing the history, off the UI thread ---------------------------

    def _load(self) -> None:
        try:
            questionnaire = load_questionnaire(self.lang)
        except Exception as exc:  # a broken data file: say it on the pane, keep the cockpit running
            self.post_message(AssessmentsLoaded(None, [], first_line(exc) or exc.__class__.__name__))
            return
        history, saved, error = history_when_open(self.app.cockpit), [], None
        if history is not None:
            try:
                with history.reading() as cursor:
                    saved = load_assessments(cursor)
            except Exception as exc:
                error = first_line(exc) or exc.__class__.__name__
        self.post_message(AssessmentsLoaded(questionnaire, saved, error))

    def on_assessments_loaded(self, message: AssessmentsLoaded) -> None:
        self.questionnaire, self.saved = message.questionnaire, message.saved
        if message.error:
            key = "load_failed" if self.questionnaire is not None else "save_failed"
            self._set_notice(self.words[key].format(error=message.error), "error")
        if self.saved:
            self._answers = dict(self.saved[-1].answers)
        self.query_one("#maturity-loading", Static).display = self.questionnaire is None and not message.error
        self._draw()

    def _save_worker(self, assessment: Assessment, questionnaire: Questionnaire) -> None:
        try:
            history_to_write(self.app.cockpit).write_events([assessment_to_event(assessment, questionnaire)])
        except Exception as exc:  # the file went away, a disk full, a lock: one line, and the answers stay
            self.post_message(AssessmentSaved(None, first_line(exc) or exc.__class__.__name__))
        else:
            self.post_message(AssessmentSaved(assessment))

    def on_assessment_saved(self, message: AssessmentSaved) -> None:
        self._saving = False
        if message.assessment is None:
            self._refuse(self.words["save_failed"].format(error=message.error))
            return
        saved = message.assessment
        self.saved = [*(self.saved or []), saved]
        result = score(saved, self.questionnaire)
        line = self.words["saved_ok"].format(when=when(saved.ts), score=score_text(result.overall), level=result.level.name)
        self._set_notice(line, "success")
        self.app.notify(line, markup=False, timeout=3)
        self._draw()

    # -- what is on screen --------------------------------------------------------------------

    def current(self) -> Assessment:
        """The assessment as it stands: the answers given, with live suggestions where none is given."""
        live = {q: s for q, s in self._suggestions.items() if q not in self._dismissed}
        ts = self.app.cockpit.clock() if self.is_attached else 0.0
        return with_suggestions(Assessment(ts, dict(self._answers)), live)

    def show(self, views: Views) -> None:
        if views.cost is None:  # the start's first views: whether there is spend to see is in the next ones
            return
        suggestions = suggest_from_evidence(evidence_from_views(views))
        # Live views change every second; the checklist only when the suggestions (or the theme) do.
        if suggestions == self._suggestions and self.app.theme == self._drawn_theme:
            return
        self._suggestions = suggestions
        self._draw()

    def _draw(self) -> None:
        q = self.questionnaire
        if q is None:
            return
        self._drawn_theme = self.app.theme
        words = self.words
        assessment = self.current()
        result = score(assessment, q)
        suggested = sum(1 for r in assessment.answers.values() if r.suggested)
        self.query_one(MaturityChecklist).set_assessment(q, assessment, result, words)
        for summary in self.query(MaturitySummary):
            summary.set_score(q, result, suggested, words)
        saved = self.saved or []
        unsaved = bool(saved) and _answered(assessment) != _answered(saved[-1])
        self.query_one(MaturityHistory).set_history(q, saved, assessment, unsaved, words)
        self.query_one(CapabilityMatrix).set_score(q, result, words)
        self.query_one(MaturityRoadmap).set_recommendations(recommendations(result, assessment, q), words)
        if self._notice is None:
            self.query_one("#maturity-legend", Static).update(words["legend"])
        self._draw_detail()

    def _draw_detail(self) -> None:
        """Three lines on the selected question: its evidence, the keys that act on it, the phase closing its gap."""
        q, question_id = self.questionnaire, self.query_one(MaturityChecklist).selected_question_id()
        if q is None or question_id is None:
            self.query_one("#maturity-detail", Static).update("")
            return
        words = self.words
        record = self.current().record(question_id)
        if record.suggested:
            evidence = Text.assemble((words["suggested"].format(answer=words[record.answer]), "bold"), plain(record.evidence))
            keys = Text(words["suggested_keys"])
        else:
            evidence = Text.assemble(words["evidence"], plain(record.evidence)) if record.evidence else Text(words["no_note"])
            keys = Text(words["answer_keys"])
        gap = Text("")
        if record.answer != "yes":
            question = q.question(question_id)
            phase = q.phase(question.roadmap_phase)
            gap = Text(words["closed_by"].format(phase=phase.name, months=phase.duration_months))
            if question.roadmap_objective is not None:
                gap.append(f": {phase.objectives[question.roadmap_objective]}")
        self.query_one("#maturity-detail", Static).update(Text("\n").join([evidence, keys, gap]))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._draw_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_confirm()

    def _set_notice(self, line: str, variable: str) -> None:
        color = self.app.theme_variables.get(variable)
        # The notice takes the legend's line until the next one: saving is rare, the legend is in `?` too.
        self._notice = Text(line, style=color or "")
        self.query_one("#maturity-legend", Static).update(self._notice)

    def _refuse(self, line: str) -> None:
        self._set_notice(line, "warning")
        self.app.notify(line, severity="warning", markup=False, timeout=4)

    # -- actions (keys from ui/actions.py, bound on this pane) --------------------------------

    def _selected(self) -> tuple[str, AnswerRecord] | None:
        question_id = self.query_one(MaturityChecklist).selected_question_id()
        if self.questionnaire is None or question_id is None:
            return None
        return question_id, self.current().record(question_id)

    def action_answer(self, answer: Answer) -> None:
        selected = self._selected()
        if selected is None:
            return
        question_id, record = selected
        # A suggestion's reason is the evidence for the answer it suggested, not for another one.
        evidence = record.evidence if not record.suggested or record.answer == answer else ""
        self._answers[question_id] = AnswerRecord(answer, evidence)
        self._dismissed.add(question_id)
        self._draw()

    def action_confirm(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        _, record = selected
        if not record.suggested:
            self._set_notice(self.words["nothing_to_confirm"], "foreground")
            return
        self.action_answer(record.answer)

    def action_note(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        question_id, record = selected
        words = self.words

        def keep(note: str | None) -> None:
            if note is None:
                return
            # Writing a note on a suggestion confirms the suggested answer: the note is about it.
            self._answers[question_id] = AnswerRecord(record.answer, note)
            self._dismissed.add(question_id)
            self._draw()

        screen = EvidenceNoteScreen(
            # A suggestion's reason is not the person's note: start a note on a suggestion empty.
            words["note_title"], self.questionnaire.question(question_id).text, "" if record.suggested else record.evidence,
            words["note_placeholder"], words["note_hint"],
        )
        self.app.push_screen(screen, keep)

    def action_save(self) -> None:
        history = getattr(self.app.cockpit, "history", None)  # None while it is being opened: the save waits
        if not has_history(self.app.cockpit):
            self._refuse(self.words["no_history"])
        elif getattr(history, "read_only", False):
            self._refuse(self.words["read_only"])
        elif self.saved is None or self.questionnaire is None:
            self._refuse(self.words["not_loaded"])
        elif not self._saving:
            self._saving = True
            assessment = replace(self.current(), ts=self.app.cockpit.clock())
            self.run_worker(
                lambda: self._save_worker(assessment, self.questionnaire),
                thread=True, group="maturity-io", exit_on_error=False,
            )
