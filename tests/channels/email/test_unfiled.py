"""Unfiled mail in the API and the console: agents see why, and file, attach or discard it; requesters cannot."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import User
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.intake import MailSource, ingest
from deskpilot.channels.email.models import InboundMail
from deskpilot.config import Settings, UnknownSender
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import mail
from tests.factories import SYSTEM, Desk, open_ticket
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of this test
from tests.web.conftest import PageClient, csrf_token


def _client(session: Session, base_url: str, user: User) -> httpx.Client:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=user.id, name="test")
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def _unfiled_mails(session: Session, settings: Settings, triage: TriageEngine, count: int) -> list[int]:
    strict = settings.model_copy(update={"mail_unknown_sender": UnknownSender.FALLBACK})
    return [ingest(session, settings=strict, triage=triage,
                   raw=mail(sender=f"stranger{n}@internet.example", subject=f"Help {n}"),
                   source=MailSource("smtp")).inbound_id or 0 for n in range(count)]


def test_agents_see_unfiled_mail_with_the_reason_and_file_attach_or_discard_it(
        session: Session, live_server: str, desk: Desk, mail_settings: Settings,  # noqa: F811
        mail_triage: TriageEngine) -> None:
    filed_id, attached_id, discarded_id = _unfiled_mails(session, mail_settings, mail_triage, 3)
    target = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol, alice = _client(session, live_server, desk.carol), _client(session, live_server, desk.alice)
    session.commit()

    listed = carol.get("/api/v1/mail/unfiled")
    assert listed.status_code == 200, listed.text
    assert [(m["id"], m["status"]) for m in listed.json()] == [
        (discarded_id, "failed_intake"), (attached_id, "failed_intake"), (filed_id, "failed_intake")]
    assert "DESKPILOT_MAIL_FALLBACK_REQUESTER" in listed.json()[0]["reason"]
    assert alice.get("/api/v1/mail/unfiled").status_code == 403

    filed = carol.post(f"/api/v1/mail/unfiled/{filed_id}/file", json={"requester_id": desk.bob.id})
    attached = carol.post(f"/api/v1/mail/unfiled/{attached_id}/attach", json={"ticket_id": target.id})
    discarded = carol.post(f"/api/v1/mail/unfiled/{discarded_id}/discard")
    again = carol.post(f"/api/v1/mail/unfiled/{discarded_id}/discard")

    assert [r.status_code for r in (filed, attached, discarded, again)] == [200, 200, 200, 409]
    assert carol.get("/api/v1/mail/unfiled").json() == []
    session.expire_all()
    new_ticket = session.get(Ticket, filed.json()["ticket_id"])
    assert new_ticket is not None and (new_ticket.subject, new_ticket.requester_id) == ("Help 0", desk.bob.id)
    note = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == target.id)).one()
    assert note.kind is MessageKind.INTERNAL_NOTE and "stranger1@internet.example" in note.body
    assert session.get(InboundMail, discarded_id).status is InboundStatus.DISCARDED  # type: ignore[union-attr]


def test_the_console_shows_unfiled_mail_with_the_reason_and_its_forms_file_and_discard_it(
        session: Session, live_server: str, desk: Desk, mail_settings: Settings,  # noqa: F811
        mail_triage: TriageEngine) -> None:
    filed_id, discarded_id = _unfiled_mails(session, mail_settings, mail_triage, 2)
    session.commit()
    with PageClient(base_url=live_server, timeout=30) as agent, PageClient(base_url=live_server, timeout=30) as alice:
        agent.sign_in("carol")
        alice.sign_in("alice")
        page = agent.get("/console/mail")
        assert page.status_code == 200 and "DESKPILOT_MAIL_FALLBACK_REQUESTER" in page.text and "Help 1" in page.text
        assert 'href="/console/mail"' in page.text.split('aria-label="Main"')[1].split("</nav>")[0]
        assert alice.get("/console/mail").status_code == 403
        assert 'href="/console/mail"' not in alice.get("/tickets").text

        token = csrf_token(page.text)
        filed = agent.post(f"/console/mail/{filed_id}/file", data={"csrf_token": token,
                                                                  "requester_id": str(desk.bob.id)})
        discarded = agent.post(f"/console/mail/{discarded_id}/discard", data={"csrf_token": token})
        forged = agent.post(f"/console/mail/{filed_id}/discard", data={"csrf_token": "forged"})

        assert (filed.status_code, discarded.status_code, forged.status_code) == (303, 303, 403)
        assert (filed.headers["location"].startswith("/console/tickets/"), discarded.headers["location"]) == (
            True, "/console/mail")
        assert "No unfiled mail." in agent.get("/console/mail").text
    session.expire_all()
    assert session.get(InboundMail, filed_id).status is InboundStatus.PROCESSED  # type: ignore[union-attr]
    assert session.get(InboundMail, discarded_id).status is InboundStatus.DISCARDED  # type: ignore[union-attr]
