"""Export a maturity assessment as Markdown (for people) or JSON (for tools), in the questionnaire's
language, with recommendations and the changes since the previous assessment."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

from aiops_tui.errors import UserError
from aiops_tui.signals.maturity import (
    Assessment,
    Questionnaire,
    Score,
    capability_placement,
    diff,
    load_assessments,
    load_questionnaire,
    recommendations,
    score as score_of,
)

JSON_SCHEMA = "aiops-tui.maturity/1"

_LABELS = {
    "en": {
        "title": "AI operations maturity",
        "level": "Level",
        "overall": "overall",
        "exact": "exact",
        "weakest": "Weakest dimension",
        "unknown": "Questions unanswered or unknown",
        "dimensions": "Dimensions",
        "dimension": "Dimension",
        "score": "Score",
        "unknown_col": "Unknown",
        "answers": "Answers",
        "question": "Question",
        "weight": "Weight",
        "answer": "Answer",
        "evidence": "Evidence",
        "suggested": "suggested",
        "placement": "Place in the capability matrix",
        "now": "Now",
        "next": "Next",
        "recommendations": "Recommendations",
        "none": "None: every question is answered yes.",
        "months": "months",
        "phase": "phase",
        "changes": "Changes since",
        "no_changes": "No answer changed.",
        "delta": "Change",
        "yes": "yes",
        "no": "no",
        "unknown_answer": "unknown",
    },
    "pt": {
        "title": "Maturidade em operations de IA",
        "level": "Nível",
        "overall": "geral",
        "exact": "exato",
        "weakest": "Dimensão mais fraca",
        "unknown": "Perguntas sem resposta ou desconhecidas",
        "dimensions": "Dimensões",
        "dimension": "Dimensão",
        "score": "Pontuação",
        "unknown_col": "Desconhecidas",
        "answers": "Respostas",
        "question": "Pergunta",
        "weight": "Peso",
        "answer": "Resposta",
        "evidence": "Evidência",
        "suggested": "sugerida",
        "placement": "Posição na matriz de capacidades",
        "now": "Agora",
        "next": "Próximo",
        "recommendations": "Recomendações",
        "none": "Nenhuma: todas as perguntas foram respondidas com sim.",
        "months": "meses",
        "phase": "fase",
        "changes": "Mudanças desde",
        "no_changes": "Nenhuma resposta mudou.",
        "delta": "Variação",
        "yes": "sim",
        "no": "não",
        "unknown_answer": "desconhecido",
    },
}

_MD_SPECIAL = set("\\`*_[]<>|#")


def _md(text: str) -> str:
    """Inline Markdown text: one line, with every character Markdown could act on escaped."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.1f} %"


def _points(delta: Fraction) -> str:
    return f"{float(delta) * 100:+.1f} pts"


def _decimal(value: Fraction) -> str:
    # Weights come from decimal strings, so their denominators divide a power of ten: exact.
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format(exact.normalize(), "f")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _answer_label(answer: str, labels: dict[str, str]) -> str:
    return labels["unknown_answer"] if answer == "unknown" else labels[answer]


def to_markdown(assessment: Assessment, score: Score, questionnaire: Questionnaire,
                prev: Assessment | None = None) -> str:
    q, t = questionnaire, _LABELS[questionnaire.lang]
    weakest = q.dimension(score.weakest)
    lines = [
        f"# {t['title']} — {_when(assessment.ts)}",
        "",
        f"- **{t['level']}:** {_md(score.level.name)} ({t['overall']} {_percent(score.overall)}, "
        f"{t['exact']} {score.overall})",
        f"- **{t['weakest']}:** {_md(weakest.name)} ({_percent(score.dimensions[weakest.id])})",
        f"- **{t['unknown']}:** {score.unknown_count}",
        "",
        f"## {t['dimensions']}",
        "",
        f"| {t['dimension']} | {t['score']} | {t['unknown_col']} |",
        "|---|---:|---:|",
    ]
    for d in q.dimensions:
        unknown = score.unknown_by_dimension[d.id]
        lines.append(f"| {_md(d.name)} | {_percent(score.dimensions[d.id])} | {unknown} |")

    lines += ["", f"## {t['answers']}"]
    for d in q.dimensions:
        lines += ["", f"### {_md(d.name)}", "",
                  f"| {t['question']} | {t['weight']} | {t['answer']} | {t['evidence']} |",
                  "|---|---:|---|---|"]
        for question in d.questions:
            rec = assessment.record(question.id)
            answer = _answer_label(rec.answer, t) + (f" ({t['suggested']})" if rec.suggested else "")
            weight = _decimal(question.weight)
            lines.append(f"| {_md(question.text)} | {weight} | {answer} | {_md(rec.evidence)} |")

    placement = capability_placement(score, q)
    lines += ["", f"## {t['placement']}: {_md(placement[0].column_name)}", "",
              f"| {_md(q.matrix_header)} | {t['now']} | {t['next']} |", "|---|---|---|"]
    for p in placement:
        lines.append(f"| {_md(p.name)} | {_md(p.current)} | {_md(p.next or '—')} |")

    lines += ["", f"## {t['recommendations']}", ""]
    recs = recommendations(score, assessment, q)
    if not recs:
        lines.append(t["none"])
    for i, r in enumerate(recs, 1):
        objective = f": {_md(r.objective)}" if r.objective else ""
        lines.append(
            f"{i}. **{_md(q.dimension(r.dimension_id).name)}** — {_md(r.question)} "
            f"({_answer_label(r.answer, t)}, {t['weight'].lower()} {_decimal(r.weight)}) → "
            f"{t['phase']} *{_md(r.phase_name)}* ({r.duration_months} {t['months']}){objective}"
        )

    if prev is not None:
        change = diff(prev, assessment, q)
        lines += ["", f"## {t['changes']} {_when(prev.ts)}", ""]
        if not change.changes:
            lines.append(t["no_changes"])
        for c in change.changes:
            lines.append(f"- {_md(q.question(c.question_id).text)}: "
                         f"{_answer_label(c.old, t)} → {_answer_label(c.new, t)}")
        lines += ["", f"| {t['dimension']} | {t['delta']} |", "|---|---:|"]
        for d in q.dimensions:
            lines.append(f"| {_md(d.name)} | {_points(change.dimension_deltas[d.id])} |")
        lines.append(f"| **{t['overall']}** | {_points(change.overall_delta)} "
                     f"({_md(change.level_before.name)} → {_md(change.level_after.name)}) |")
    return "\n".join(lines) + "\n"


def _number(value: Fraction) -> dict[str, Any]:
    return {"value": round(float(value), 4), "exact": str(value)}


def to_json(assessment: Assessment, score: Score, questionnaire: Questionnaire,
            prev: Assessment | None = None) -> str:
    """Stable keys; every score as a float rounded to 4 places beside its exact fraction string."""
    q = questionnaire
    doc: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "lang": q.lang,
        "ts": assessment.ts,
        "time_utc": datetime.fromtimestamp(assessment.ts, tz=timezone.utc).isoformat(),
        "overall": _number(score.overall),
        "level": {"id": score.level.id, "name": score.level.name},
        "weakest": score.weakest,
        "unknown_count": score.unknown_count,
        "dimensions": [
            {
                "id": d.id,
                "name": d.name,
                "score": _number(score.dimensions[d.id]),
                "unknown_count": score.unknown_by_dimension[d.id],
                "questions": [
                    {
                        "id": question.id,
                        "text": question.text,
                        "weight": _number(question.weight),
                        "answer": assessment.record(question.id).answer,
                        "evidence": assessment.record(question.id).evidence,
                        "suggested": assessment.record(question.id).suggested,
                        "roadmap_phase": question.roadmap_phase,
                    }
                    for question in d.questions
                ],
            }
            for d in q.dimensions
        ],
        "capabilities": [
            {"id": p.capability_id, "name": p.name, "column": p.column, "current": p.current, "next": p.next}
            for p in capability_placement(score, q)
        ],
        "recommendations": [
            {
                "question": r.question_id,
                "dimension": r.dimension_id,
                "text": r.question,
                "answer": r.answer,
                "weight": _number(r.weight),
                "phase": r.phase_id,
                "phase_name": r.phase_name,
                "duration_months": r.duration_months,
                "objective": r.objective,
            }
            for r in recommendations(score, assessment, q)
        ],
        "changes": None,
    }
    if prev is not None:
        change = diff(prev, assessment, q)
        doc["changes"] = {
            "since_ts": prev.ts,
            "answers": [{"question": c.question_id, "old": c.old, "new": c.new} for c in change.changes],
            "dimension_deltas": {d: _number(v) for d, v in change.dimension_deltas.items()},
            "overall_delta": _number(change.overall_delta),
            "level_before": change.level_before.id,
            "level_after": change.level_after.id,
        }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def render_latest(con: Any, fmt: str = "markdown", lang: str = "en") -> str:
    """The latest saved assessment of a history file (open DuckDB connection), with changes since
    the one before it; for `aiops-tui report maturity`."""
    if fmt not in ("markdown", "json"):
        raise UserError(f"maturity report format {fmt!r} is not one of markdown, json")
    questionnaire = load_questionnaire(lang)
    saved = load_assessments(con)
    if not saved:
        raise UserError(
            "no maturity assessment is saved in this history file yet; fill one in the maturity pane"
        )
    latest = saved[-1]
    prev = saved[-2] if len(saved) > 1 else None
    render = to_markdown if fmt == "markdown" else to_json
    return render(latest, score_of(latest, questionnaire), questionnaire, prev)
