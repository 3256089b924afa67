"""The maturity checklist: shipped questionnaire, exact scoring at every band edge, recommendations,
evidence suggestions, diffs, storage as events, and the Markdown / JSON exports."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import duckdb
import pytest

from aiops_tui.errors import UserError
from aiops_tui.model import Event
from aiops_tui.reports.maturity import render_latest, to_json, to_markdown
from aiops_tui.signals.maturity import (
    AnswerRecord,
    Assessment,
    Evidence,
    assessment_from_event,
    assessment_to_event,
    capability_placement,
    diff,
    history_of,
    load_assessments,
    load_questionnaire,
    parse_questionnaire,
    recommendations,
    save_assessment,
    score,
    suggest_from_evidence,
    with_suggestions,
)

T0 = 1767225600.0  # 2026-01-01 00:00:00 UTC
EN = load_questionnaire("en")
PT = load_questionnaire("pt")

# Question ids per dimension, in questionnaire order, with their weights:
# infrastructure: iac .3, ci_cd .3, centralized_monitoring .2, autoscaling .2
# observability:  business_metrics, distributed_tracing, ml_alerting, automated_rca  (.25 each)
# ai_specific:    ai_output_quality .3, ai_fallback .3, prompt_versioning .2, drift_detection .2
# process:        runbooks_current, blameless_postmortems, error_budgets, oncall_rotation (.25 each)


def assess(yes: set[str] = frozenset(), no: set[str] = frozenset(), ts: float = T0) -> Assessment:
    answers = {q: AnswerRecord("yes") for q in yes}
    answers.update({q: AnswerRecord("no") for q in no})
    return Assessment(ts=ts, answers=answers)


def all_ids() -> set[str]:
    return {q.id for q in EN.questions}


# --- the shipped questionnaire -------------------------------------------------------------------


def test_both_languages_have_the_same_16_questions_and_weights_summing_to_one() -> None:
    assert len(EN.questions) == 16
    assert [q.id for q in EN.questions] == [q.id for q in PT.questions]
    assert [q.weight for q in EN.questions] == [q.weight for q in PT.questions]
    for lang in (EN, PT):
        assert [d.id for d in lang.dimensions] == ["infrastructure", "observability", "ai_specific", "process"]
        for d in lang.dimensions:
            assert len(d.questions) == 4
            assert sum((q.weight for q in d.questions), Fraction(0)) == 1
    assert [q.weight for q in EN.dimension("infrastructure").questions] == [
        Fraction(3, 10), Fraction(3, 10), Fraction(1, 5), Fraction(1, 5)]
    assert [q.weight for q in EN.dimension("process").questions] == [Fraction(1, 4)] * 4


def test_portuguese_text_is_the_seed_verbatim_with_accents_and_english_is_translated() -> None:
    assert PT.question("oncall_rotation").text == "Tem rotação de plantão documentada?"
    assert PT.question("iac").text == "Possui infraestrutura como código (IaC)?"
    pt_text = " ".join(q.text for q in PT.questions)
    assert "ç" in pt_text and "ã" in pt_text
    assert EN.question("ai_fallback").text == "Do you have a fallback for AI components?"
    for en_q, pt_q in zip(EN.questions, PT.questions):
        assert en_q.text != pt_q.text
    assert [lv.name for lv in EN.levels] == ["Ad-hoc", "Initial", "Defined", "Managed", "Optimizing"]
    assert PT.level("managed").name == "Gerenciado"


def test_matrix_and_roadmap_are_shipped_in_both_languages() -> None:
    assert [c.name for c in PT.capabilities] == ["Deployment", "Monitoramento", "IA", "Incidentes", "Escalabilidade"]
    assert all(len(c.values) == 4 for c in EN.capabilities + PT.capabilities)
    assert PT.capabilities[0].values[3] == "GitOps com canary automático"
    assert [(p.id, p.duration_months) for p in EN.phases] == [
        ("foundation", 3), ("observability", 3), ("ai_integration", 6), ("optimization", 6)]
    assert PT.phase("foundation").objectives[0] == "Implementar IaC"
    assert EN.phase("ai_integration").deliverables[0] == "Circuit breakers for LLMs"
    assert PT.phase("ai_integration").deliverables[0] == "Circuit breakers para LLMs"


def test_unknown_language_is_a_user_error() -> None:
    with pytest.raises(UserError, match="fr"):
        load_questionnaire("fr")


# --- exact scoring at the band edges --------------------------------------------------------------


def test_overall_exactly_point_eight_is_optimizing() -> None:
    # infra .3+.3+.2 = .8; observability 1; ai .2+.2 = .4; process 1 -> (0.8+1+0.4+1)/4 = 3.2/4 = 0.8
    a = assess(yes={"iac", "ci_cd", "centralized_monitoring", "business_metrics", "distributed_tracing",
                    "ml_alerting", "automated_rca", "prompt_versioning", "drift_detection", "runbooks_current",
                    "blameless_postmortems", "error_budgets", "oncall_rotation"})
    s = score(a, EN)
    assert s.dimensions["infrastructure"] == Fraction(4, 5)
    assert s.overall == Fraction(4, 5)
    assert s.level.id == "optimizing"
    assert s.weakest == "ai_specific"


def test_overall_exactly_point_six_is_managed() -> None:
    # infra .3+.3 = .6; observability .5; ai .3+.3+.2 = .8; process .5 -> 2.4/4 = 0.6
    a = assess(yes={"iac", "ci_cd", "business_metrics", "distributed_tracing", "ai_output_quality",
                    "ai_fallback", "prompt_versioning", "runbooks_current", "error_budgets"})
    s = score(a, EN)
    assert s.overall == Fraction(3, 5)
    assert s.level.id == "managed"


def test_overall_exactly_point_four_is_defined_where_float_sums_fall_short() -> None:
    # infra .2+.2 = .4; observability .75; ai .2; process .25 -> 1.6/4 = 0.4 exactly
    a = assess(yes={"centralized_monitoring", "autoscaling", "distributed_tracing", "ml_alerting",
                    "automated_rca", "drift_detection", "oncall_rotation"})
    s = score(a, EN)
    assert s.overall == Fraction(2, 5)
    assert s.level.id == "defined"
    # The trap this guards against: the same mean in floats lands in Initial.
    assert (0.4 + 0.75 + 0.2 + 0.25) / 4 < 0.4


def test_overall_exactly_point_two_is_initial() -> None:
    # infra .3; observability 0; ai .3+.2 = .5; process 0 -> 0.8/4 = 0.2
    s = score(assess(yes={"iac", "ai_fallback", "prompt_versioning"}), EN)
    assert s.overall == Fraction(1, 5)
    assert s.level.id == "initial"


def test_zero_and_one_are_the_outer_bands() -> None:
    nothing = score(assess(no=all_ids()), EN)
    assert nothing.overall == 0 and nothing.level.id == "ad_hoc" and nothing.unknown_count == 0
    everything = score(assess(yes=all_ids()), EN)
    assert everything.overall == 1 and everything.level.id == "optimizing"


def test_just_below_an_edge_stays_in_the_lower_band() -> None:
    # infra .8; ai .3+.3 = .6; observability 1; process .75 -> 3.15/4 = 0.7875 (< 0.8)
    a = assess(yes=all_ids() - {"autoscaling", "prompt_versioning", "drift_detection", "oncall_rotation"})
    s = score(a, EN)
    assert s.overall == Fraction(63, 80)
    assert s.level.id == "managed"
    # infra .3+.2 = .5; observability .25 -> 0.75/4 = 0.1875 (< 0.2)
    s = score(assess(yes={"iac", "centralized_monitoring", "business_metrics"}), EN)
    assert s.overall == Fraction(3, 16)
    assert s.level.id == "ad_hoc"


@pytest.mark.parametrize(
    ("edge", "below", "at"),
    [("1/5", "ad_hoc", "initial"), ("2/5", "initial", "defined"), ("3/5", "defined", "managed"),
     ("4/5", "managed", "optimizing")],
)
def test_level_bands_are_half_open(edge: str, below: str, at: str) -> None:
    e = Fraction(edge)
    assert EN.level_for(e).id == at
    assert EN.level_for(e - Fraction(1, 10**12)).id == below


def test_scores_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(ValueError):
        EN.level_for(Fraction(11, 10))


def test_dimension_of_point_eight_from_weights_float_gets_wrong() -> None:
    # 0.7 + 0.1 == 0.7999999999999999 in floats; exactly 4/5 here, so Optimizing, not Managed.
    doc = {
        "dimensions": [{"id": "only", "name": {"en": "Only"}, "questions": [
            {"id": f"q{i}", "text": {"en": f"Q{i}?"}, "weight": w, "roadmap_phase": "p"}
            for i, w in enumerate(["0.7", "0.1", "0.1", "0.1"])]}],
        "levels": [{"id": lv.id, "name": {"en": lv.name}, "lower": str(lv.lower), "upper": str(lv.upper),
                    "matrix_column": lv.matrix_column} for lv in EN.levels],
        "capability_matrix": {"title": {"en": "M"}, "header": {"en": "C"}, "columns": {"en": ["a", "b", "c", "d"]},
                              "capabilities": []},
        "roadmap": {"title": {"en": "R"}, "phases": [
            {"id": "p", "name": {"en": "P"}, "duration_months": 1, "objectives": {"en": []},
             "deliverables": {"en": []}}]},
    }
    q = parse_questionnaire(doc, "en")
    assert 0.7 + 0.1 < 0.8
    s = score(Assessment(T0, {"q0": AnswerRecord("yes"), "q1": AnswerRecord("yes")}), q)
    assert s.overall == Fraction(4, 5) and s.level.id == "optimizing"

    doc["dimensions"][0]["questions"][0]["weight"] = "0.6"  # weights now sum to 0.9
    with pytest.raises(ValueError, match="sum to 9/10"):
        parse_questionnaire(doc, "en")


def test_unknown_counts_as_not_yes_and_is_reported() -> None:
    a = Assessment(T0, {"iac": AnswerRecord("yes"), "ci_cd": AnswerRecord("unknown"), "autoscaling": AnswerRecord("no")})
    s = score(a, EN)
    # infra .3 / 1; 16 questions - iac - autoscaling = 14 unknown (13 missing + ci_cd)
    assert s.dimensions["infrastructure"] == Fraction(3, 10)
    assert s.unknown_count == 14
    assert s.unknown_by_dimension["infrastructure"] == 2
    assert s.weakest == "observability"  # 0 ties with ai_specific and process: first in order wins


def test_answers_outside_yes_no_unknown_are_refused() -> None:
    with pytest.raises(ValueError):
        AnswerRecord("maybe")  # type: ignore[arg-type]


# --- recommendations and the matrix ---------------------------------------------------------------


def test_recommendations_name_the_phase_weakest_dimension_first_then_heaviest() -> None:
    a = Assessment(T0, {q: AnswerRecord("yes") for q in all_ids()}
                   | {"iac": AnswerRecord("no"), "ai_fallback": AnswerRecord("no"),
                      "prompt_versioning": AnswerRecord("no"), "automated_rca": AnswerRecord("no"),
                      "runbooks_current": AnswerRecord("unknown")})
    s = score(a, EN)
    # ai .3+.2 = .5 < infra .7 < observability .75 = process .75 (questionnaire order breaks the tie)
    assert s.weakest == "ai_specific"
    recs = recommendations(s, a, EN)
    assert [(r.question_id, r.phase_id) for r in recs] == [
        ("ai_fallback", "ai_integration"), ("prompt_versioning", "ai_integration"), ("iac", "foundation"),
        ("automated_rca", "optimization"), ("runbooks_current", "observability")]
    assert recs[0].objective == "Implement fallbacks for AI" and recs[0].duration_months == 6
    assert recs[-1].answer == "unknown"
    pt_recs = recommendations(score(a, PT), a, PT)
    assert pt_recs[0].objective == "Implementar fallbacks para IA"
    assert pt_recs[0].phase_name == "Integração de IA"
    assert recommendations(score(assess(yes=all_ids()), EN), assess(yes=all_ids()), EN) == []


def test_capability_placement_maps_five_levels_onto_four_columns() -> None:
    initial = capability_placement(score(assess(yes={"iac", "ai_fallback", "prompt_versioning"}), EN), EN)
    assert {p.column for p in initial} == {1}
    assert initial[0].current == "Manual" and initial[0].next == "Automated scripts"
    managed = score(assess(yes={"iac", "ci_cd", "business_metrics", "distributed_tracing", "ai_output_quality",
                                "ai_fallback", "prompt_versioning", "runbooks_current", "error_budgets"}), EN)
    by_id = {p.capability_id: p for p in capability_placement(managed)}
    assert by_id["deployment"].current == "Full CI/CD pipeline"
    assert by_id["ai"].next == "Full governance"
    top = capability_placement(score(assess(yes=all_ids()), PT), PT)
    assert top[4].current == "Predição de demanda" and top[4].next is None
    assert top[0].column_name == "Nível 4 (Otimizado)"


# --- suggestions from live evidence ---------------------------------------------------------------


def test_suggestions_from_full_evidence() -> None:
    ev = Evidence(has_breaker_metrics=True, has_cost_metrics=True, has_quality_metrics=True,
                  alerts_with_runbooks=4, alerts_total=4, has_prometheus=True, profiles=["litellm"])
    got = suggest_from_evidence(ev)
    assert {q: answer for q, (answer, _) in got.items()} == {
        "ai_fallback": "yes", "ai_output_quality": "yes", "business_metrics": "yes",
        "runbooks_current": "yes", "centralized_monitoring": "yes"}
    assert "4 alerts" in got["runbooks_current"][1]
    assert set(got) <= all_ids()


def test_suggestions_from_partial_evidence() -> None:
    assert suggest_from_evidence(Evidence()) == {}
    got = suggest_from_evidence(Evidence(profiles=["resilience4j"], has_cost_metrics=True,
                                         alerts_with_runbooks=3, alerts_total=5))
    assert got["ai_fallback"][0] == "yes" and "resilience4j" in got["ai_fallback"][1]
    assert got["ai_output_quality"][0] == "unknown"  # cost alone says nothing about output quality
    assert got["business_metrics"][0] == "yes"
    assert got["runbooks_current"] == ("no", "2 of 5 alerts link no runbook")
    assert "centralized_monitoring" not in got


def test_suggestions_never_overwrite_a_person_s_answer() -> None:
    a = Assessment(T0, {"ai_fallback": AnswerRecord("no", "legacy path removed"),
                        "runbooks_current": AnswerRecord("yes", "old guess", suggested=True)})
    filled = with_suggestions(a, {"ai_fallback": ("yes", "breaker"), "runbooks_current": ("no", "1 of 2"),
                                  "centralized_monitoring": ("yes", "prometheus")})
    assert filled.record("ai_fallback") == AnswerRecord("no", "legacy path removed")
    assert filled.record("runbooks_current") == AnswerRecord("no", "1 of 2", suggested=True)
    assert filled.record("centralized_monitoring") == AnswerRecord("yes", "prometheus", suggested=True)


# --- diff ----------------------------------------------------------------------------------------


def test_diff_lists_changed_answers_and_exact_deltas() -> None:
    prev = assess(yes={"iac", "runbooks_current"}, no={"ci_cd"}, ts=T0)
    cur = assess(yes={"iac", "ci_cd", "ai_fallback"}, no={"runbooks_current"}, ts=T0 + 86400)
    d = diff(prev, cur, EN)
    assert [(c.question_id, c.old, c.new) for c in d.changes] == [
        ("ci_cd", "no", "yes"), ("ai_fallback", "unknown", "yes"), ("runbooks_current", "yes", "no")]
    # infra .3 -> .6 (+.3); ai 0 -> .3 (+.3); process .25 -> 0 (-.25); overall (.3+.3-.25)/4 = .0875
    assert d.dimension_deltas == {"infrastructure": Fraction(3, 10), "observability": 0,
                                  "ai_specific": Fraction(3, 10), "process": Fraction(-1, 4)}
    assert d.overall_delta == Fraction(7, 80)
    # before: (.3+0+0+.25)/4 = .1375 ad_hoc; after: (.6+0+.3+0)/4 = .225 initial
    assert (d.level_before.id, d.level_after.id) == ("ad_hoc", "initial")
    assert diff(cur, cur, EN).changes == []


# --- events and storage --------------------------------------------------------------------------


def test_event_round_trip_keeps_answers_evidence_and_suggestions() -> None:
    a = Assessment(T0 + 0.25, {"iac": AnswerRecord("yes", "terraform in infra/ — ção"),
                               "ai_fallback": AnswerRecord("yes", "breaker metrics", suggested=True),
                               "ci_cd": AnswerRecord("no")})
    ev = assessment_to_event(a)
    assert (ev.kind, ev.subject, ev.ts) == ("maturity", "assessment", T0 + 0.25)
    # infra .3 + ai .3 -> .6/4 = .15 -> ad_hoc
    assert ev.to_state == "ad_hoc" and ev.detail["overall"] == "3/20"
    assert assessment_from_event(ev) == a
    as_stored = Event(ev.ts, ev.kind, ev.subject, ev.from_state, ev.to_state, json.loads(json.dumps(ev.detail)))
    assert assessment_from_event(as_stored) == a


def test_history_of_keeps_only_assessments_oldest_first() -> None:
    late, early = assess(yes={"iac"}, ts=T0 + 60), assess(no={"iac"}, ts=T0)
    events = [assessment_to_event(late), Event(T0 + 30, "breaker", "upstream:openai", "closed", "open"),
              assessment_to_event(early)]
    assert history_of(events) == [early, late]


def test_damaged_event_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unreadable"):
        assessment_from_event(Event(T0, "maturity", "assessment", detail={"answers": {"iac": {"answer": "maybe"}}}))


def events_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # The columns DESIGN.md section 4 gives the events table.
    con.execute("CREATE TABLE events (ts TIMESTAMPTZ, kind VARCHAR, subject VARCHAR, from_state VARCHAR, "
                "to_state VARCHAR, detail JSON)")
    return con


def test_saved_assessments_come_back_from_duckdb_in_time_order() -> None:
    con = events_db()
    second = Assessment(T0 + 3600.5, {"runbooks_current": AnswerRecord("yes", "all 3 alerts | linked", True)})
    first = assess(yes={"iac", "ci_cd"}, ts=T0)
    save_assessment(con, second)
    save_assessment(con, first)
    con.execute("INSERT INTO events VALUES (to_timestamp(?), 'breaker', 'x', 'closed', 'open', '{}')", [T0 + 1])
    assert load_assessments(con) == [first, second]
    levels = con.execute("SELECT to_state FROM events WHERE kind = 'maturity' ORDER BY ts").fetchall()
    # first: infra .6 -> .15 ad_hoc; second: process .25 -> .0625 ad_hoc
    assert levels == [("ad_hoc",), ("ad_hoc",)]


# --- exports -------------------------------------------------------------------------------------


def sample_pair() -> tuple[Assessment, Assessment]:
    prev = assess(yes={"iac", "ci_cd", "centralized_monitoring"}, no={"ai_fallback"}, ts=T0)
    cur = Assessment(T0 + 86400, {
        **{q: AnswerRecord("yes") for q in ("iac", "ci_cd", "centralized_monitoring", "business_metrics",
                                            "distributed_tracing", "ml_alerting", "automated_rca",
                                            "prompt_versioning", "drift_detection", "blameless_postmortems",
                                            "error_budgets", "oncall_rotation")},
        "runbooks_current": AnswerRecord("yes", "all 2 alerts | link a runbook", suggested=True),
        "ai_fallback": AnswerRecord("unknown"),
    })
    return prev, cur


def test_markdown_export_shows_scores_recommendations_and_changes() -> None:
    prev, cur = sample_pair()
    s = score(cur, EN)
    # infra .8, observability 1, ai .2+.2 = .4, process 1 -> 3.2/4 = .8 Optimizing; weakest ai_specific
    md = to_markdown(cur, s, EN, prev=prev)
    assert md.startswith("# AI operations maturity — 2026-01-02 00:00 UTC\n")
    assert "**Level:** Optimizing (overall 80.0 %, exact 4/5)" in md
    assert "**Weakest dimension:** AI-specific (40.0 %)" in md
    assert "| all 2 alerts \\| link a runbook |" in md
    assert "yes (suggested)" in md
    assert ("1. **AI-specific** — Do you monitor the quality of AI output? (unknown, weight 0.3) → "
            "phase *AI integration* (6 months): Set up quality monitoring") in md
    # autoscaling maps to no single objective of the foundation phase, so none is named
    assert "Can you scale automatically? (unknown, weight 0.2) → phase *Foundation* (3 months)\n" in md
    assert "## Changes since 2026-01-01 00:00 UTC" in md
    assert "- Do you have a fallback for AI components?: no → unknown" in md
    # prev: infra .8, rest 0 -> .2 Initial; overall +.6 = +60.0 pts
    assert "| **overall** | +60.0 pts (Initial → Optimizing) |" in md
    assert "GitOps with automatic canary" in md  # column 4 of the matrix, now


def test_markdown_export_in_portuguese_without_prev() -> None:
    _, cur = sample_pair()
    md = to_markdown(cur, score(cur, PT), PT)
    assert "**Nível:** Otimizado" in md
    assert "Tem rotação de plantão documentada?" in md
    assert "Mudanças desde" not in md


def test_json_export_parses_back_with_floats_and_exact_fractions() -> None:
    prev, cur = sample_pair()
    doc = json.loads(to_json(cur, score(cur, EN), EN, prev=prev))
    assert doc["overall"] == {"value": 0.8, "exact": "4/5"}
    assert doc["level"] == {"id": "optimizing", "name": "Optimizing"}
    assert doc["weakest"] == "ai_specific"
    assert doc["unknown_count"] == 3  # ai_output_quality, autoscaling (missing), ai_fallback (unknown)
    dims = {d["id"]: d for d in doc["dimensions"]}
    assert dims["ai_specific"]["score"] == {"value": 0.4, "exact": "2/5"}
    runbooks = next(q for q in dims["process"]["questions"] if q["id"] == "runbooks_current")
    assert runbooks["suggested"] is True and runbooks["weight"] == {"value": 0.25, "exact": "1/4"}
    assert [(r["question"], r["phase"]) for r in doc["recommendations"]] == [
        ("ai_output_quality", "ai_integration"), ("ai_fallback", "ai_integration"),
        ("autoscaling", "foundation")]
    assert doc["changes"]["answers"][0] == {"question": "business_metrics", "old": "unknown", "new": "yes"}
    # overall delta .8 - .2 = .6; ai_specific 0 -> .4
    assert doc["changes"]["overall_delta"] == {"value": 0.6, "exact": "3/5"}
    assert doc["changes"]["dimension_deltas"]["ai_specific"] == {"value": 0.4, "exact": "2/5"}
    assert doc["capabilities"][0] == {"id": "deployment", "name": "Deployment", "column": 4,
                                      "current": "GitOps with automatic canary", "next": None}
    assert list(doc) == sorted(doc)


def test_json_rounds_repeating_fractions_to_four_places() -> None:
    # infra .3 -> 3/40 overall = 0.075; process .25 + ai .3 -> (.3+.3+.25)/4 = 17/80 = 0.2125
    a = assess(yes={"iac", "ai_fallback", "runbooks_current"})
    doc = json.loads(to_json(a, score(a, EN), EN))
    assert doc["overall"] == {"value": 0.2125, "exact": "17/80"}
    assert doc["changes"] is None


def test_render_latest_from_a_history_file(tmp_path) -> None:
    path = tmp_path / "history.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE events (ts TIMESTAMPTZ, kind VARCHAR, subject VARCHAR, from_state VARCHAR, "
                "to_state VARCHAR, detail JSON)")
    with pytest.raises(UserError, match="no maturity assessment"):
        render_latest(con)
    prev, cur = sample_pair()
    save_assessment(con, prev)
    save_assessment(con, cur)
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    doc = json.loads(render_latest(con, fmt="json", lang="pt"))
    assert doc["level"]["name"] == "Otimizado" and doc["changes"]["since_ts"] == T0
    assert "Mudanças desde 2026-01-01 00:00 UTC" in render_latest(con, lang="pt")
    with pytest.raises(UserError, match="format"):
        render_latest(con, fmt="html")


def test_core_modules_import_without_textual_or_duckdb() -> None:
    code = ("import sys, aiops_tui.signals.maturity, aiops_tui.reports.maturity; "
            "print(sorted(m for m in ('textual', 'duckdb', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
