"""The review workflow: who may write, approve, reject and retire, and what answers may use."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import Conflict, NotFound, PermissionDenied
from deskpilot.kb import service, workflow
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.schemas import KbVersionCreate, KbVersionUpdate
from tests.factories import Desk
from tests.kb.conftest import VPN_BODY, publish, write_article


def test_requester_cannot_create_an_article(session: Session, desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        write_article(session, Principal.of(desk.alice))


def test_auditor_reads_drafts_but_cannot_write(session: Session, desk: Desk) -> None:
    article = write_article(session, Principal.of(desk.carol))
    auditor = Principal.of(desk.audrey)
    assert service.get(session, actor=auditor, article_id=article.id).slug == "vpn-connect"
    with pytest.raises(PermissionDenied):
        workflow.submit(session, actor=auditor, article_id=article.id, version=1)
    with pytest.raises(PermissionDenied):
        write_article(session, auditor, slug="other")


def test_agent_cannot_approve(session: Session, desk: Desk) -> None:
    article = write_article(session, Principal.of(desk.carol))
    workflow.submit(session, actor=Principal.of(desk.carol), article_id=article.id, version=1)
    with pytest.raises(PermissionDenied):
        workflow.approve(session, actor=Principal.of(desk.dave), article_id=article.id, version=1)


def test_lead_cannot_approve_own_version_but_admin_can(session: Session, desk: Desk) -> None:
    lead, admin = Principal.of(desk.lena), Principal.of(desk.adam)
    article = write_article(session, lead)
    workflow.submit(session, actor=lead, article_id=article.id, version=1)
    with pytest.raises(PermissionDenied, match="another lead"):
        workflow.approve(session, actor=lead, article_id=article.id, version=1)
    mine = write_article(session, admin, slug="admin-article")
    workflow.submit(session, actor=admin, article_id=mine.id, version=1)
    assert workflow.approve(session, actor=admin, article_id=mine.id, version=1).status is KbVersionStatus.APPROVED


def test_only_a_version_in_review_can_be_approved(session: Session, desk: Desk) -> None:
    article = write_article(session, Principal.of(desk.carol))
    with pytest.raises(Conflict, match="in_review"):
        workflow.approve(session, actor=Principal.of(desk.lena), article_id=article.id, version=1)


def test_reject_sends_back_to_draft_with_reason_and_draft_can_be_fixed(session: Session, desk: Desk) -> None:
    carol, lena = Principal.of(desk.carol), Principal.of(desk.lena)
    article = write_article(session, carol)
    workflow.submit(session, actor=carol, article_id=article.id, version=1)
    with pytest.raises(Conflict, match="only drafts"):
        service.update_draft(session, actor=carol, article_id=article.id, version=1,
                             data=KbVersionUpdate(body="changed while in review"))
    rejected = workflow.reject(session, actor=lena, article_id=article.id, version=1, reason="Add the MFA step")
    assert (rejected.status, rejected.review_note, rejected.reviewer_name) == (KbVersionStatus.DRAFT,
                                                                              "Add the MFA step", "lena")
    service.update_draft(session, actor=carol, article_id=article.id, version=1,
                         data=KbVersionUpdate(body=VPN_BODY + "\nAlso approve the MFA push.\n"))
    workflow.submit(session, actor=carol, article_id=article.id, version=1)
    assert workflow.approve(session, actor=lena, article_id=article.id, version=1).review_note is None


def test_drafts_and_reviews_never_reach_approved_documents(session: Session, desk: Desk) -> None:
    carol, lena = Principal.of(desk.carol), Principal.of(desk.lena)
    write_article(session, carol, slug="draft-only")
    article = publish(session, desk)
    service.add_version(session, actor=carol, article_id=article.id,
                        data=KbVersionCreate(body="A rewrite that says something else entirely."))
    workflow.submit(session, actor=carol, article_id=article.id, version=2)
    docs = service.approved_documents(session)
    assert [(d.slug, d.version) for d in docs] == [("vpn-connect", 1)]
    assert docs[0].text == VPN_BODY
    workflow.approve(session, actor=lena, article_id=article.id, version=2)
    assert [(d.slug, d.version) for d in service.approved_documents(session)] == [("vpn-connect", 2)]
    assert [v.status for v in article.versions] == [KbVersionStatus.RETIRED, KbVersionStatus.APPROVED]


def test_retiring_removes_the_article_from_approved_documents_and_from_readers(session: Session,
                                                                             desk: Desk) -> None:
    article = publish(session, desk)
    alice = Principal.of(desk.alice)
    assert service.get(session, actor=alice, article_id=article.id).approved_version == 1
    workflow.retire(session, actor=Principal.of(desk.lena), article_id=article.id, reason="VPN replaced")
    assert article.status is KbArticleStatus.RETIRED
    assert service.approved_documents(session) == []
    with pytest.raises(NotFound):
        service.get(session, actor=alice, article_id=article.id)
    with pytest.raises(Conflict):
        workflow.retire(session, actor=Principal.of(desk.lena), article_id=article.id, reason="again")


def test_requester_sees_only_the_approved_version(session: Session, desk: Desk) -> None:
    article = publish(session, desk)
    service.add_version(session, actor=Principal.of(desk.carol), article_id=article.id,
                        data=KbVersionCreate(body="Secret draft."))
    alice = Principal.of(desk.alice)
    with pytest.raises(NotFound):
        service.get_version(session, actor=alice, article_id=article.id, version=2)
    with pytest.raises(PermissionDenied):
        service.get_versions(session, actor=alice, article_id=article.id)
    found = service.get(session, actor=alice, article_id=article.id)
    assert service.current_version(found, actor=alice).version == 1  # type: ignore[union-attr]
    rows, total = service.get_all(session, actor=alice, search="secret")
    assert (rows, total) == ([], 0)


def test_one_open_version_at_a_time(session: Session, desk: Desk) -> None:
    article = publish(session, desk)
    carol = Principal.of(desk.carol)
    service.add_version(session, actor=carol, article_id=article.id, data=KbVersionCreate(body="v2 text"))
    with pytest.raises(Conflict, match="still draft"):
        service.add_version(session, actor=carol, article_id=article.id, data=KbVersionCreate(body="v3 text"))


def test_diff_between_versions(session: Session, desk: Desk) -> None:
    article = publish(session, desk)
    carol = Principal.of(desk.carol)
    service.add_version(session, actor=carol, article_id=article.id, data=KbVersionCreate(
        title="Connect to the VPN", body=VPN_BODY.replace("Restart the laptop", "Reboot the laptop")))
    text = service.diff(session, actor=carol, article_id=article.id, from_version=1, to_version=2)
    assert "--- vpn-connect v1" in text and "+++ vpn-connect v2" in text
    assert "-1. Restart the laptop and try **Connect** again." in text
    assert "+1. Reboot the laptop and try **Connect** again." in text
    assert "+# Connect to the VPN" in text
    with pytest.raises(PermissionDenied):
        service.diff(session, actor=Principal.of(desk.alice), article_id=article.id, from_version=1, to_version=2)


def test_search_and_pagination(session: Session, desk: Desk) -> None:
    for n in range(5):
        publish(session, desk, slug=f"printer-{n}", title=f"Printer {n}", body=f"Printer fix number {n}.")
    publish(session, desk)
    lena = Principal.of(desk.lena)
    rows, total = service.get_all(session, actor=lena, search="printer", offset=1, limit=2)
    assert total == 5 and [a.slug for a in rows] == ["printer-1", "printer-2"]
    rows, total = service.get_all(session, actor=lena, search="okta verify")
    assert [a.slug for a in rows] == ["vpn-connect"]


def test_every_change_is_audited_with_before_and_after(session: Session, desk: Desk) -> None:
    article = publish(session, desk)
    workflow.retire(session, actor=Principal.of(desk.lena), article_id=article.id, reason="obsolete")
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "kb_article")
                             .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["kb.create", "kb.submit", "kb.approve", "kb.retire"]
    approve = events[2]
    assert approve.actor_name == "lena" and approve.before["approved_version"] is None
    assert approve.after["approved_version"] == 1
    assert events[3].after["reason"] == "obsolete" and events[3].before["status"] == "published"
