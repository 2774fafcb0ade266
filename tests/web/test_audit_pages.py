"""The audit pages: auditors and administrators filter the log, verify the chain, export it and read the AI
decisions; every other role gets 403, as from /api/v1/audit."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from deskpilot.audit import service as audit
from deskpilot.audit.decisions import record_decision
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from tests.factories import Desk
from tests.web.conftest import PageClient


def _events(session: Session) -> None:
    for actor, action, subject in (("carol", "ticket.update", "7"), ("lena", "kb.approve", "3"),
                                   ("carol", "kb.create", "3")):
        audit.record(session, actor_id=None, actor_name=actor, action=action,
                     subject_type="kb_article" if action.startswith("kb") else "ticket", subject_id=subject,
                     after={"note": f"{actor} did {action}"})
    session.commit()


def test_an_auditor_filters_the_log_by_actor_action_subject_and_time(browser: PageClient, session: Session,
                                                                     desk: Desk) -> None:
    del desk
    _events(session)
    browser.sign_in("audrey")
    today = utcnow().date().isoformat()
    assert 'href="/audit"' in browser.get("/account").text
    by_carol = browser.get("/audit", params={"actor": "carol", "action": "", "subject_type": "", "since": "",
                                             "until": ""})
    assert by_carol.status_code == 200 and "ticket.update" in by_carol.text and "kb.create" in by_carol.text
    assert "kb.approve" not in by_carol.text
    narrowed = browser.get("/audit", params={"actor": "carol", "subject_type": "kb_article", "subject_id": "3",
                                             "since": today, "until": today})
    assert "kb.create" in narrowed.text and "ticket.update" not in narrowed.text
    assert "carol did kb.create" in narrowed.text
    past = browser.get("/audit", params={"until": "2000-01-01"})
    assert "No event matches" in past.text
    unreadable = browser.get("/audit", params={"since": "yesterday"})
    assert unreadable.status_code == 200 and "“yesterday” is not a date for From" in unreadable.text


def test_every_combination_of_blank_audit_filters_answers_200(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("adam")
    fields = ("actor", "subject_type", "subject_id", "action", "since", "until")
    for blanks in itertools.product((True, False), repeat=len(fields)):
        params = {f: "" if blank else ("2026-01-01" if f in ("since", "until") else "x")
                  for f, blank in zip(fields, blanks, strict=True)}
        assert browser.get("/audit", params=params).status_code == 200, params
    assert browser.get("/audit/decisions", params={"kind": "", "since": "", "until": ""}).status_code == 200


def test_verify_shows_an_intact_chain_and_the_export_is_csv(browser: PageClient, session: Session,
                                                            desk: Desk) -> None:
    del desk
    _events(session)
    browser.sign_in("audrey")
    verified = browser.get("/audit/verify")
    assert verified.status_code == 200 and "The chain is intact" in verified.text
    exported = browser.get("/audit/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("seq,at,actor_id,actor_name,action") and any("kb.approve" in x for x in lines)


def test_ai_decisions_show_their_input_sources_and_model_version(browser: PageClient, session: Session,
                                                                 desk: Desk) -> None:
    del desk
    record_decision(session, kind=DecisionKind.ANSWER, model_version="answer-2026.12 minilm-int8",
                    input_redacted="my vpn drops, call [PHONE]", outputs={"text": "Reconnect"}, confidence=0.81,
                    abstained=False, sources=[{"slug": "vpn-connect-windows", "version": 2}])
    record_decision(session, kind=DecisionKind.TRIAGE, model_version="triage-1", input_redacted="printer",
                    outputs={"category": "Hardware"}, confidence=0.4, abstained=True)
    session.commit()
    browser.sign_in("audrey")
    page = browser.get("/audit/decisions", params={"kind": "answer"})
    assert "answer-2026.12 minilm-int8" in page.text and "[vpn-connect-windows v2]" in page.text
    assert "my vpn drops, call [PHONE]" in page.text and "confidence 0.81" in page.text
    assert "triage-1" not in page.text


@pytest.mark.parametrize("username", ["alice", "carol", "lena"])
def test_roles_without_audit_read_get_403_and_no_link(browser: PageClient, desk: Desk, username: str) -> None:
    del desk
    browser.sign_in(username)
    assert 'href="/audit"' not in browser.get("/account").text
    for path in ("/audit", "/audit/verify", "/audit/export.csv", "/audit/decisions"):
        assert browser.get(path).status_code == 403
