"""The AI-operations maturity checklist: questionnaire data, exact scoring, recommendations, evidence
suggestions, diffs between assessments, and their storage as `maturity` events."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Literal, Mapping, Sequence

from aiops_tui.errors import UserError
from aiops_tui.model import Event

Answer = Literal["yes", "no", "unknown"]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "unknown")
LANGUAGES = ("en", "pt")
EVENT_KIND = "maturity"
EVENT_SUBJECT = "assessment"
_EVENT_FORMAT = 1


# --- questionnaire -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    dimension_id: str
    text: str
    weight: Fraction
    roadmap_phase: str
    roadmap_objective: int | None = None


@dataclass(frozen=True, slots=True)
class Dimension:
    id: str
    name: str
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class Level:
    """A band [lower, upper) of the overall score; the top band also holds its upper bound."""

    id: str
    name: str
    lower: Fraction
    upper: Fraction
    matrix_column: int


@dataclass(frozen=True, slots=True)
class Capability:
    id: str
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    name: str
    duration_months: int
    objectives: tuple[str, ...]
    deliverables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Questionnaire:
    lang: str
    dimensions: tuple[Dimension, ...]
    levels: tuple[Level, ...]
    matrix_title: str
    matrix_header: str
    matrix_columns: tuple[str, ...]
    capabilities: tuple[Capability, ...]
    roadmap_title: str
    phases: tuple[Phase, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for d in self.dimensions for q in d.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def dimension(self, dimension_id: str) -> Dimension:
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)

    def phase(self, phase_id: str) -> Phase:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def level(self, level_id: str) -> Level:
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)

    def level_for(self, score: Fraction) -> Level:
        for lv in self.levels:
            if lv.lower <= score < lv.upper:
                return lv
        top = self.levels[-1]
        if score == top.upper:
            return top
        raise ValueError(f"maturity score {score} is outside [0, 1]")


def load_questionnaire(lang: str = "en") -> Questionnaire:
    """The shipped questionnaire in `lang` ("en" or "pt"), read from package data."""
    if lang not in LANGUAGES:
        raise UserError(f"maturity questionnaire language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return _load_shipped(lang)


@lru_cache(maxsize=len(LANGUAGES))
def _load_shipped(lang: str) -> Questionnaire:
    import yaml  # only the maturity pane and report need it

    text = resources.files("aiops_tui.data").joinpath("maturity.yaml").read_text(encoding="utf-8")
    return parse_questionnaire(yaml.safe_load(text), lang)


def _exact(value: Any, where: str) -> Fraction:
    # str() of a float is its shortest round-trip decimal, so an unquoted 0.3 still reads as 3/10.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{where}: expected a decimal number, got {value!r}")
    return Fraction(str(value))


def _text(node: Any, lang: str, where: str) -> str:
    if not isinstance(node, Mapping) or not isinstance(node.get(lang), str):
        raise ValueError(f"{where}: missing {lang!r} text")
    return node[lang]


def _texts(node: Any, lang: str, where: str) -> tuple[str, ...]:
    if not isinstance(node, Mapping) or not isinstance(node.get(lang), list):
        raise ValueError(f"{where}: missing {lang!r} list")
    return tuple(str(item) for item in node[lang])


def parse_questionnaire(doc: Mapping[str, Any], lang: str = "en") -> Questionnaire:
    """Build and check a questionnaire from its YAML document (see data/maturity.yaml)."""
    phases = tuple(
        Phase(
            id=p["id"],
            name=_text(p["name"], lang, f"phase {p['id']}"),
            duration_months=int(p["duration_months"]),
            objectives=_texts(p["objectives"], lang, f"phase {p['id']} objectives"),
            deliverables=_texts(p["deliverables"], lang, f"phase {p['id']} deliverables"),
        )
        for p in doc["roadmap"]["phases"]
    )
    phase_by_id = {p.id: p for p in phases}
    dimensions = []
    seen: set[str] = set()
    for d in doc["dimensions"]:
        questions = []
        for q in d["questions"]:
            where = f"question {q['id']}"
            if q["id"] in seen:
                raise ValueError(f"{where}: duplicate id")
            seen.add(q["id"])
            phase = phase_by_id.get(q["roadmap_phase"])
            if phase is None:
                raise ValueError(f"{where}: unknown roadmap phase {q['roadmap_phase']!r}")
            objective = q.get("roadmap_objective")
            if objective is not None and not 0 <= objective < len(phase.objectives):
                raise ValueError(f"{where}: phase {phase.id} has no objective {objective}")
            weight = _exact(q["weight"], where)
            if weight <= 0:
                raise ValueError(f"{where}: weight must be positive")
            questions.append(
                Question(q["id"], d["id"], _text(q["text"], lang, where), weight, phase.id, objective)
            )
        total = sum((q.weight for q in questions), Fraction(0))
        if total != 1:
            raise ValueError(f"dimension {d['id']}: weights sum to {total}, not 1")
        name = _text(d["name"], lang, f"dimension {d['id']}")
        dimensions.append(Dimension(d["id"], name, tuple(questions)))

    levels = tuple(
        Level(
            id=lv["id"],
            name=_text(lv["name"], lang, f"level {lv['id']}"),
            lower=_exact(lv["lower"], f"level {lv['id']}"),
            upper=_exact(lv["upper"], f"level {lv['id']}"),
            matrix_column=int(lv["matrix_column"]),
        )
        for lv in doc["levels"]
    )
    edges = [levels[0].lower] + [lv.upper for lv in levels]
    if edges[0] != 0 or edges[-1] != 1 or any(a.upper != b.lower for a, b in zip(levels, levels[1:])):
        raise ValueError("maturity levels must be contiguous bands covering [0, 1]")

    matrix = doc["capability_matrix"]
    columns = _texts(matrix["columns"], lang, "capability matrix columns")
    capabilities = tuple(
        Capability(c["id"], _text(c["name"], lang, f"capability {c['id']}"),
                   _texts(c["values"], lang, f"capability {c['id']}"))
        for c in matrix["capabilities"]
    )
    for c in capabilities:
        if len(c.values) != len(columns):
            raise ValueError(f"capability {c.id}: {len(c.values)} values for {len(columns)} columns")
    for lv in levels:
        if not 1 <= lv.matrix_column <= len(columns):
            raise ValueError(f"level {lv.id}: matrix column {lv.matrix_column} out of range")

    return Questionnaire(
        lang=lang,
        dimensions=tuple(dimensions),
        levels=levels,
        matrix_title=_text(matrix["title"], lang, "capability matrix title"),
        matrix_header=_text(matrix["header"], lang, "capability matrix header"),
        matrix_columns=columns,
        capabilities=capabilities,
        roadmap_title=_text(doc["roadmap"]["title"], lang, "roadmap title"),
        phases=phases,
    )


# --- assessments and scoring ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    answer: Answer
    evidence: str = ""
    suggested: bool = False  # filled from live signals, not yet confirmed by a person

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, got {self.answer!r}")


_UNANSWERED = AnswerRecord("unknown")


@dataclass(frozen=True, slots=True)
class Assessment:
    """One saved checklist (`ts` in Unix seconds); a question with no record counts as unknown."""

    ts: float
    answers: Mapping[str, AnswerRecord] = field(default_factory=dict)

    def record(self, question_id: str) -> AnswerRecord:
        return self.answers.get(question_id, _UNANSWERED)

    def answer(self, question_id: str) -> Answer:
        return self.record(question_id).answer


@dataclass(frozen=True, slots=True)
class Score:
    """Exact scores; use the `*_ratio` helpers only to display them."""

    dimensions: Mapping[str, Fraction]
    overall: Fraction
    level: Level
    weakest: str
    unknown_count: int
    unknown_by_dimension: Mapping[str, int] = field(default_factory=dict)

    @property
    def overall_ratio(self) -> float:
        return float(self.overall)

    def dimension_ratio(self, dimension_id: str) -> float:
        return float(self.dimensions[dimension_id])


def score(assessment: Assessment, questionnaire: Questionnaire) -> Score:
    """Dimension score = weight answered yes / total weight; overall = mean of dimensions.

    Answers to questions the questionnaire no longer has are ignored; the weakest dimension is the
    lowest score, the first in questionnaire order on a tie.
    """
    dimensions: dict[str, Fraction] = {}
    unknown_by_dimension: dict[str, int] = {}
    for d in questionnaire.dimensions:
        total = sum((q.weight for q in d.questions), Fraction(0))
        yes = sum((q.weight for q in d.questions if assessment.answer(q.id) == "yes"), Fraction(0))
        dimensions[d.id] = yes / total
        unknown_by_dimension[d.id] = sum(1 for q in d.questions if assessment.answer(q.id) == "unknown")
    overall = sum(dimensions.values(), Fraction(0)) / len(dimensions)
    weakest = min(dimensions, key=lambda dim_id: dimensions[dim_id])  # min keeps the first of a tie
    return Score(
        dimensions=dimensions,
        overall=overall,
        level=questionnaire.level_for(overall),
        weakest=weakest,
        unknown_count=sum(unknown_by_dimension.values()),
        unknown_by_dimension=unknown_by_dimension,
    )


# --- recommendations and the capability matrix ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recommendation:
    question_id: str
    dimension_id: str
    question: str
    answer: Answer
    weight: Fraction
    phase_id: str
    phase_name: str
    duration_months: int
    objective: str | None


def recommendations(
    score: Score, assessment: Assessment, questionnaire: Questionnaire
) -> list[Recommendation]:
    """One recommendation per question not answered yes, weakest dimension first, then heaviest."""
    order = {d.id: i for i, d in enumerate(questionnaire.dimensions)}
    dims = sorted(questionnaire.dimensions, key=lambda d: (score.dimensions[d.id], order[d.id]))
    result = []
    for d in dims:
        gaps = [q for q in d.questions if assessment.answer(q.id) != "yes"]
        for q in sorted(gaps, key=lambda q: -q.weight):  # sorted() is stable: ties keep question order
            phase = questionnaire.phase(q.roadmap_phase)
            objective = None if q.roadmap_objective is None else phase.objectives[q.roadmap_objective]
            result.append(Recommendation(q.id, d.id, q.text, assessment.answer(q.id), q.weight,
                                         phase.id, phase.name, phase.duration_months, objective))
    return result


@dataclass(frozen=True, slots=True)
class CapabilityPlacement:
    capability_id: str
    name: str
    column: int  # 1-based column of the capability matrix
    column_name: str
    current: str
    next: str | None  # the next column's value; None at the top


def capability_placement(
    score: Score, questionnaire: Questionnaire | None = None
) -> list[CapabilityPlacement]:
    """Where the organisation's level sits in the capability matrix, per capability.

    The matrix has 4 columns for the 5 levels: Ad-hoc, Defined, Managed and Optimizing take the
    column of the same name; Initial (below Defined) stays in the Ad-hoc column. The mapping is the
    `matrix_column` of each level in data/maturity.yaml. Without a questionnaire, English is used.
    """
    q = questionnaire or load_questionnaire("en")
    column = q.level(score.level.id).matrix_column
    return [
        CapabilityPlacement(
            capability_id=c.id,
            name=c.name,
            column=column,
            column_name=q.matrix_columns[column - 1],
            current=c.values[column - 1],
            next=c.values[column] if column < len(c.values) else None,
        )
        for c in q.capabilities
    ]


# --- evidence from live signals ------------------------------------------------------------------

_BREAKER_PROFILES = frozenset({"resilience4j", "envoy"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the live signals show; the app fills it from the sources it has seen."""

    has_breaker_metrics: bool = False
    has_fallback_metrics: bool = False
    has_cost_metrics: bool = False
    has_quality_metrics: bool = False
    alerts_with_runbooks: int = 0
    alerts_total: int = 0
    has_prometheus: bool = False
    profiles: Sequence[str] = ()


def suggest_from_evidence(evidence: Evidence) -> dict[str, tuple[Answer, str]]:
    """Suggested answers with the reason for each; absence of a metric suggests nothing.

    A missing metric may only mean we cannot see it, so "no" is suggested only on positive evidence
    of a gap (alerts without a runbook link).
    """
    out: dict[str, tuple[Answer, str]] = {}
    breaker_profiles = sorted(_BREAKER_PROFILES.intersection(evidence.profiles))
    fallback_signs = []
    if evidence.has_breaker_metrics:
        fallback_signs.append("circuit-breaker metrics")
    if evidence.has_fallback_metrics:
        fallback_signs.append("fallback metrics")
    if breaker_profiles:
        fallback_signs.append(f"breaker profile {', '.join(breaker_profiles)}")
    if fallback_signs:
        out["ai_fallback"] = ("yes", f"live signals show {' and '.join(fallback_signs)}")

    if evidence.has_quality_metrics:
        out["ai_output_quality"] = ("yes", "AI output quality metrics are being collected")
    elif evidence.has_cost_metrics:
        out["ai_output_quality"] = ("unknown", "AI cost is monitored, but no output quality metric was found")
    if evidence.has_cost_metrics:
        out["business_metrics"] = ("yes", "AI spend (a business metric) is being collected")

    if evidence.alerts_total > 0:
        with_runbook = min(evidence.alerts_with_runbooks, evidence.alerts_total)
        missing = evidence.alerts_total - with_runbook
        if missing == 0:
            out["runbooks_current"] = ("yes", f"all {evidence.alerts_total} alerts link a runbook")
        else:
            out["runbooks_current"] = ("no", f"{missing} of {evidence.alerts_total} alerts link no runbook")

    if evidence.has_prometheus:
        out["centralized_monitoring"] = ("yes", "metrics are collected centrally in Prometheus")
    return out


def with_suggestions(assessment: Assessment, suggestions: Mapping[str, tuple[Answer, str]]) -> Assessment:
    """Fill suggestions into questions a person has not answered (unknown or earlier suggestions)."""
    answers = dict(assessment.answers)
    for question_id, (answer, why) in suggestions.items():
        current = assessment.record(question_id)
        if current.suggested or current.answer == "unknown":
            answers[question_id] = AnswerRecord(answer, why, suggested=True)
    return replace(assessment, answers=answers)


# --- changes between assessments -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    question_id: str
    old: Answer
    new: Answer


@dataclass(frozen=True, slots=True)
class AssessmentDiff:
    changes: list[Change]
    dimension_deltas: Mapping[str, Fraction]
    overall_delta: Fraction
    level_before: Level
    level_after: Level


def diff(prev: Assessment, cur: Assessment, questionnaire: Questionnaire) -> AssessmentDiff:
    """Answers that changed (in questionnaire order) and how each score moved."""
    changes = [
        Change(q.id, prev.answer(q.id), cur.answer(q.id))
        for q in questionnaire.questions
        if prev.answer(q.id) != cur.answer(q.id)
    ]
    before, after = score(prev, questionnaire), score(cur, questionnaire)
    return AssessmentDiff(
        changes=changes,
        dimension_deltas={d: after.dimensions[d] - before.dimensions[d] for d in after.dimensions},
        overall_delta=after.overall - before.overall,
        level_before=before.level,
        level_after=after.level,
    )


# --- storage as events ---------------------------------------------------------------------------


def assessment_to_event(assessment: Assessment, questionnaire: Questionnaire | None = None) -> Event:
    """The `events` row for a saved assessment; `to_state` holds the level for plain SQL queries."""
    q = questionnaire or load_questionnaire("en")
    result = score(assessment, q)
    answers = {
        question_id: {"answer": rec.answer, "evidence": rec.evidence, "suggested": rec.suggested}
        for question_id, rec in sorted(assessment.answers.items())
    }
    return Event(
        ts=assessment.ts,
        kind=EVENT_KIND,
        subject=EVENT_SUBJECT,
        to_state=result.level.id,
        detail={"format": _EVENT_FORMAT, "overall": str(result.overall), "answers": answers},
    )


def assessment_from_event(event: Event) -> Assessment:
    if event.kind != EVENT_KIND or event.subject != EVENT_SUBJECT:
        raise ValueError(f"not a maturity assessment event: {event.kind}/{event.subject}")
    where = f"maturity assessment saved at ts={event.ts}"
    detail: Any = event.detail
    try:
        if isinstance(detail, str):
            detail = json.loads(detail)
        answers = {
            str(question_id): AnswerRecord(
                rec["answer"], str(rec.get("evidence") or ""), bool(rec.get("suggested"))
            )
            for question_id, rec in detail["answers"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{where} is unreadable ({exc}); the history file may be damaged") from exc
    if not math.isfinite(event.ts):
        raise UserError(f"{where} has no valid timestamp")
    return Assessment(ts=float(event.ts), answers=answers)


def history_of(events: Iterable[Event]) -> list[Assessment]:
    """The assessments among `events`, oldest first; other events are skipped."""
    found = [assessment_from_event(e) for e in events if e.kind == EVENT_KIND and e.subject == EVENT_SUBJECT]
    return sorted(found, key=lambda a: a.ts)


def save_assessment(con: Any, assessment: Assessment, questionnaire: Questionnaire | None = None) -> Event:
    """Insert the assessment into the `events` table of an open DuckDB connection; returns the row."""
    event = assessment_to_event(assessment, questionnaire)
    con.execute(
        "INSERT INTO events (ts, kind, subject, from_state, to_state, detail) "
        "VALUES (to_timestamp(?), ?, ?, ?, ?, ?)",
        [event.ts, event.kind, event.subject, event.from_state, event.to_state,
         json.dumps(event.detail, ensure_ascii=False, sort_keys=True)],
    )
    return event


def load_assessments(con: Any) -> list[Assessment]:
    """Every saved assessment in the `events` table, oldest first."""
    rows = con.execute(
        "SELECT epoch(ts), kind, subject, from_state, to_state, detail FROM events "
        "WHERE kind = ? AND subject = ? ORDER BY ts",
        [EVENT_KIND, EVENT_SUBJECT],
    ).fetchall()
    events = []
    for ts, kind, subject, from_state, to_state, detail in rows:
        try:
            detail = json.loads(detail) if isinstance(detail, str) else detail
        except ValueError as exc:
            raise UserError(f"maturity assessment saved at ts={ts} is not valid JSON ({exc})") from exc
        events.append(Event(float(ts), kind, subject, from_state, to_state, detail))
    return history_of(events)
