"""KB change sets through the replay gate: a change set that breaks an answer case is refused (audited), a lead's
reason overrides the gate (audited), and a rollback puts the previous versions back so the chat answers as
before. Answer settings go through the same gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.governance import gate, kb_changes, settings_gate
from deskpilot.governance.models import KbChangeSet
from deskpilot.kb.models import KbArticle, KbArticleStatus, KbVersionStatus
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import desk  # noqa: F401 - fixture of these tests
from tests.factories import Desk
from tests.governance.kb_fixtures import (
    CANTEEN,
    CASES,
    PRINTER_QUESTION,
    answer_cases_set,
    chat_answer,
    gate_parts,
    submit_version,
)


def _printer(session: Session) -> KbArticle:
    return session.query(KbArticle).filter_by(slug="printer-add").one()


def test_a_breaking_change_set_is_refused_overridden_with_a_reason_and_rolled_back(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> None:  # noqa: F811
    parts = gate_parts(session, ai_runtime, tmp_path)
    lena = Principal.of(desk.lena)
    answer_cases_set(session, lena)
    before = chat_answer(session, parts, desk, PRINTER_QUESTION)
    assert before[1][:1] == ["printer-add"]
    degraded = submit_version(session, desk, "printer-add", title="Canteen opening hours", body=CANTEEN)

    def approve(reason: str | None = None) -> KbChangeSet:
        return kb_changes.approve(session, actor=lena, settings=parts.settings, embedder=ai_runtime.embedder,
                                  index=lambda: parts.index(session), override_reason=reason,
                                  versions=kb_changes.versions_of(session, actor=lena,
                                                                  refs=[(degraded.article_id, degraded.version)]))

    with pytest.raises(Conflict, match="answers for printer-add: deflection 100.0% → 0.0%") as refused:
        approve()
    assert refused.value.recorded
    session.commit()
    assert _printer(session).approved_version == 1 and degraded.status is KbVersionStatus.IN_REVIEW
    refusal = audit.get_all(session, action="kb.change_set_refused")[0][0]
    run = gate.recent_runs(session, actor=lena)[0]
    assert refusal.actor_name == "lena" and refusal.after == {
        "versions": ["printer-add v2"], "replay_run": run.id, "regressions": run.report["regressions"]}
    assert not run.passed and run.component == "kb"
    rows = run.report["answers"]["by_intent"]
    assert rows["printer-add"]["delta_points"] == -100.0
    assert all(rows[slug]["delta_points"] == 0.0 for _, slug in CASES[1:])  # the other answers do not change
    with pytest.raises(PermissionDenied):  # an agent may not approve, reason or not
        kb_changes.versions_of(session, actor=Principal.of(desk.carol), refs=[(degraded.article_id, 2)])

    change_set = approve("The printer article moves to the facilities wiki today")
    session.commit()
    assert _printer(session).approved_version == 2
    assert chat_answer(session, parts, desk, PRINTER_QUESTION) != before
    approved = audit.get_all(session, action="kb.change_set_approved_with_override")[0][0]
    assert approved.after is not None and approved.after["replay_run"] == change_set.replay_run_id
    assert approved.after["override_reason"] == "The printer article moves to the facilities wiki today"
    assert approved.after["regressions"]

    with pytest.raises(InvalidInput, match="Say why"):
        kb_changes.rollback(session, actor=lena, change_set_id=change_set.id, reason=" ")
    kb_changes.rollback(session, actor=lena, change_set_id=change_set.id,
                        reason="Requesters still ask us about printers")
    session.commit()
    printer = _printer(session)
    assert (printer.approved_version, printer.status, printer.title) == (1, KbArticleStatus.PUBLISHED,
                                                                         "Add the follow-me printer and print with "
                                                                         "your badge")
    assert [v.status for v in printer.versions] == [KbVersionStatus.APPROVED, KbVersionStatus.RETIRED]
    assert chat_answer(session, parts, desk, PRINTER_QUESTION) == before  # the chat answers as before
    rolled = audit.get_all(session, action="kb.change_set_rolled_back")[0][0]
    assert rolled.after == {"versions": [{"slug": "printer-add", "from": 2, "to": 1}],
                            "reason": "Requesters still ask us about printers"}
    with pytest.raises(Conflict, match="already rolled back"):
        kb_changes.rollback(session, actor=lena, change_set_id=change_set.id,
                            reason="again")


def test_a_harmless_change_set_passes_the_gate_and_several_versions_go_live_together(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> None:  # noqa: F811
    parts = gate_parts(session, ai_runtime, tmp_path)
    lena = Principal.of(desk.lena)
    answer_cases_set(session, lena)
    printer = _printer(session).versions[0]
    submit_version(session, desk, "printer-add", title=printer.title,
                   body=printer.body + "\nAsk reception for a badge.")
    submit_version(session, desk, "outlook-not-syncing", title="Outlook is not receiving or sending e-mail",
                   body=session.query(KbArticle).filter_by(slug="outlook-not-syncing").one().versions[0].body)

    versions = kb_changes.in_review(session)
    change_set = kb_changes.approve(session, actor=lena, settings=parts.settings, embedder=ai_runtime.embedder,
                                    index=lambda: parts.index(session), versions=versions)
    session.commit()
    assert [(i["slug"], i["previous"], i["version"]) for i in change_set.items] == [
        ("outlook-not-syncing", 1, 2), ("printer-add", 1, 2)]
    run = gate.recent_runs(session, actor=lena)[0]
    assert run.passed and change_set.replay_run_id == run.id and change_set.override_reason is None
    assert audit.get_all(session, action="kb.change_set_approved")[1] == 1
    with pytest.raises(InvalidInput, match="no version in review for printer-add"):
        kb_changes.in_review(session, slugs=["printer-add"])


def test_answer_settings_changes_go_through_the_same_gate(
        session: Session, desk: Desk, ai_runtime: AiRuntime, tmp_path: Path) -> None:  # noqa: F811
    parts = gate_parts(session, ai_runtime, tmp_path)
    lena = Principal.of(desk.lena)
    assert settings_gate.gate_settings_change(session, parts.runtime, {"answer_abstain_below": "0.99"},
                                              actor=lena).reason.startswith("no replay set")
    answer_cases_set(session, lena)

    refused = settings_gate.gate_settings_change(session, parts.runtime, {"answer_abstain_below": "0.99"},
                                                 actor=lena)
    assert not refused.passed and refused.replayed
    assert any(r.startswith("answers for printer-add: deflection 100.0% → 0.0%") for r in refused.regressions)
    assert refused.report["candidate"] == "answer_abstain_below 0.99"
    same = settings_gate.gate_settings_change(session, parts.runtime, {"answer_rerank": "true"}, actor=lena)
    assert same.replayed and same.report["answers"]["candidate_changes"] == ["composer"]
    untouched = settings_gate.gate_settings_change(session, parts.runtime, {"chat_away_minutes": "30"}, actor=lena)
    assert untouched.passed and not untouched.replayed
    with pytest.raises(InvalidInput, match="answer_abstain_below='2'"):
        settings_gate.gate_settings_change(session, parts.runtime, {"answer_abstain_below": "2"}, actor=lena)
    with pytest.raises(InvalidInput, match="no_such_thing: no such setting"):
        settings_gate.gate_settings_change(session, parts.runtime, {"no_such_thing": "1"}, actor=lena)
    with pytest.raises(PermissionDenied):
        settings_gate.gate_settings_change(session, parts.runtime, {"answer_abstain_below": "0.6"},
                                           actor=Principal.of(desk.carol))
