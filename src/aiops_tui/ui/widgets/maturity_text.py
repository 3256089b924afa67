"""The maturity pane's own words in English and Portuguese (the questions, levels and phases come from
data/maturity.yaml), and how a score is written."""

from __future__ import annotations

import math
from fractions import Fraction

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "loading": "loading the questionnaire and the saved assessments…",
        "dimension": "Dimension",
        "question": "Question",
        "weight": "Weight",
        "answer": "Answer",
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "score": "Score",
        "weakest": "weakest",
        "mean": "mean",
        "unknown_count": "{n} unknown",
        "suggested_count": "{n} suggested (≈), to confirm",
        "suggested": "≈ suggested {answer}: ",
        "suggested_keys": "enter or y accepts · n answers no · e writes your own evidence note",
        "answer_keys": "y / n / u answers · e writes an evidence note",
        "evidence": "evidence: ",
        "no_note": "no evidence note",
        "closed_by": "gap closed by {phase} ({months} months)",
        "legend": "≈ suggested from live signals · ✎ has an evidence note",
        "history": "Saved assessments · score over time",
        "never_saved": "no assessment saved yet · s saves this one",
        "saved_times": "{n} saved · {first} → {last}",
        "unsaved_since": "not saved · since {when}:",
        "saved_vs": "saved {when} · since {before}:",
        "same_as_saved": "saved {when} · the first one",
        "no_change": "no answer changed",
        "more_changes": "… and {n} more",
        "score_moved": "score {delta} · {levels}",
        "recommendations": "Recommendations · weakest first",
        "all_yes": "none: every question is answered yes",
        "phase_line": "{phase} · {months} months · {objective}",
        "phase_line_short": "{phase} · {months} months",
        "you_are_here": "you are here: {column}",
        "you_are_here_in": "you are here: {level}, in {column}",
        "saved_ok": "assessment saved at {when}: {score} · {level}",
        "read_only": "not saved: this history is open read-only (review); run the live cockpit to save assessments",
        "no_history": "not saved: this cockpit has no history file",
        "not_loaded": "not saved yet: the saved assessments are still loading",
        "save_failed": "not saved: {error}",
        "load_failed": "saved assessments unreadable: {error}",
        "note_title": "Evidence note",
        "note_placeholder": "what shows this answer: a link, a dashboard, a document",
        "note_hint": "enter keeps the note · esc cancels",
        "nothing_to_confirm": "no suggestion to confirm on this question",
    },
    "pt": {
        "loading": "carregando o questionário e as avaliações salvas…",
        "dimension": "Dimensão",
        "question": "Pergunta",
        "weight": "Peso",
        "answer": "Resposta",
        "yes": "sim",
        "no": "não",
        "unknown": "desconhecido",
        "score": "Pontuação",
        "weakest": "mais fraca",
        "mean": "média",
        "unknown_count": "{n} sem resposta",
        "suggested_count": "{n} sugeridas (≈), a confirmar",
        "suggested": "≈ sugerido {answer}: ",
        "suggested_keys": "enter ou y aceita · n responde não · e escreve sua própria nota de evidência",
        "answer_keys": "y / n / u responde · e escreve uma nota de evidência",
        "evidence": "evidência: ",
        "no_note": "sem nota de evidência",
        "closed_by": "lacuna fechada na fase {phase} ({months} meses)",
        "legend": "≈ sugerida pelos sinais ao vivo · ✎ tem nota de evidência",
        "history": "Avaliações salvas · pontuação no tempo",
        "never_saved": "nenhuma avaliação salva · s salva esta",
        "saved_times": "{n} salvas · {first} → {last}",
        "unsaved_since": "não salva · desde {when}:",
        "saved_vs": "salva {when} · desde {before}:",
        "same_as_saved": "salva {when} · a primeira",
        "no_change": "nenhuma resposta mudou",
        "more_changes": "… e mais {n}",
        "score_moved": "pontuação {delta} · {levels}",
        "recommendations": "Recomendações · mais fraca primeiro",
        "all_yes": "nenhuma: todas as perguntas têm resposta sim",
        "phase_line": "{phase} · {months} meses · {objective}",
        "phase_line_short": "{phase} · {months} meses",
        "you_are_here": "você está aqui: {column}",
        "you_are_here_in": "você está aqui: {level}, em {column}",
        "saved_ok": "avaliação salva em {when}: {score} · {level}",
        "read_only": "não salva: este histórico está aberto só para leitura (review); use o cockpit ao vivo para salvar",
        "no_history": "não salva: este cockpit não tem arquivo de histórico",
        "not_loaded": "ainda não salva: as avaliações salvas estão carregando",
        "save_failed": "não salva: {error}",
        "load_failed": "avaliações salvas ilegíveis: {error}",
        "note_title": "Nota de evidência",
        "note_placeholder": "o que comprova esta resposta: um link, um dashboard, um documento",
        "note_hint": "enter guarda a nota · esc cancela",
        "nothing_to_confirm": "não há sugestão para confirmar nesta pergunta",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


def score_text(value: Fraction) -> str:
    """Two decimals, floored: a score just under a band edge (0.7999) never reads as the edge (0.80)."""
    return f"{math.floor(value * 100) / 100:.2f}"


def delta_text(before: Fraction, after: Fraction) -> str:
    """The change between two scores as shown (floored), so the delta always matches the two numbers on screen."""
    hundredths = math.floor(after * 100) - math.floor(before * 100)
    return f"{hundredths / 100:+.2f}"
