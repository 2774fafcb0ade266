"""AI drafts inside the shared mailbox, against a real Dovecot on both databases: the draft is appended to the
Drafts folder threaded on the requester's mail, the mail is tagged, and the draft an agent sends from the mail
client is recognised once on the next poll (on the ticket as the AI-assisted reply, judged accepted or edited)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import FeedbackAction
from deskpilot.channels.email import imap
from deskpilot.channels.email.enums import OutboundStatus
from deskpilot.channels.email.mailbox_drafts import DRAFT_HEADER, MailboxDrafts
from deskpilot.channels.email.models import OutboundMail
from deskpilot.config import Settings
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import load_embedder
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import Dovecot, mail
from tests.factories import make_desk
from tests.kb.conftest import publish


def _messages(dovecot: Dovecot, folder: str) -> list[tuple[bytes, bytes]]:
    """(flags, raw) of every message in `folder`."""
    client = dovecot.client()
    try:
        client.select(folder, readonly=True)
        _, found = client.uid("SEARCH", "ALL")
        result = []
        for uid in (found[0] or b"").split():
            _, data = client.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")
            result.append((data[0][0], data[0][1]))  # type: ignore[index]
        return result
    finally:
        client.logout()


def _sent_copy(draft_raw: bytes, body: str) -> bytes:
    """What a mail client stores in Sent after the agent sends the draft with `body` (headers kept)."""
    draft = message_from_bytes(draft_raw, policy=policy.default)
    sent = EmailMessage()
    for name in ("From", "To", "Subject", "In-Reply-To", "References", DRAFT_HEADER):
        sent[name] = draft[name]
    sent["Message-ID"] = "<sent-by-agent-1@desk.example>"
    sent.set_content(body)
    return sent.as_bytes()


def test_a_draft_waits_in_the_mailbox_and_the_sent_draft_is_recognised_once(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot, mail_triage: TriageEngine) -> None:
    with factory() as session:
        publish(session, make_desk(session))
        session.commit()
    mailbox = imap_settings.mail_mailboxes[0].model_copy(update={
        "drafts_folder": dovecot.new_folder(), "sent_folder": dovecot.new_folder()})
    settings = imap_settings.model_copy(update={"mail_mailboxes": [mailbox]})
    drafts = MailboxDrafts(settings, IndexHolder(settings.index_dir, load_embedder(settings.embedding_model)))
    dovecot.append(mailbox.folder, mail(subject="VPN does not connect", message_id="vpn@acme.example",
                                        body="The VPN does not connect on my Windows laptop, it shows an error."))

    assert not imap.poll_once(factory, settings=settings, triage=mail_triage, drafts=drafts).errors

    with factory() as session:
        ticket = session.scalars(select(Ticket)).one()
    [(flags, raw)] = _messages(dovecot, mailbox.drafts_folder)
    draft = message_from_bytes(raw, policy=policy.default)
    assert b"\\Draft" in flags
    assert draft["In-Reply-To"] == "<vpn@acme.example>" and f"[DP-{ticket.id}]" in draft["Subject"]
    assert draft["To"] == "jane@acme.example" and draft["From"] == settings.mail_address
    text = draft.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "[vpn-connect v1]" in text and "AI-assisted draft" in text
    [(inbox_flags, _)] = _messages(dovecot, mailbox.folder)
    assert f"DP-{ticket.id}".encode() in inbox_flags and b"Priority_" in inbox_flags

    edited = "Hello Jane, please restart the laptop and connect again. Regards, Carol"
    dovecot.append(mailbox.sent_folder, _sent_copy(raw, edited))
    for _ in range(2):  # the second pass finds nothing new
        assert not imap.poll_once(factory, settings=settings, triage=mail_triage, drafts=drafts).errors

    with factory() as session:
        replies = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
        assert [(m.body, m.ai_assisted) for m in replies] == [(edited, True)]
        outbound = session.scalars(select(OutboundMail).where(OutboundMail.status == OutboundStatus.SENT)).one()
        assert outbound.message_id == "sent-by-agent-1@desk.example", "kept so the requester's answer threads"
        feedback = session.scalars(select(AiFeedback)).one()
        assert feedback.action is FeedbackAction.EDITED and feedback.final_value == edited
        assert session.get(Ticket, ticket.id).first_responded_at is not None  # type: ignore[union-attr]


def test_without_a_drafts_folder_the_mailbox_is_only_read(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot, mail_triage: TriageEngine) -> None:
    drafts = MailboxDrafts(imap_settings, IndexHolder(imap_settings.index_dir,
                                                      load_embedder(imap_settings.embedding_model)))
    folder = imap_settings.mail_mailboxes[0].folder
    dovecot.append(folder, mail(message_id="plain@acme.example"))
    assert not imap.poll_once(factory, settings=imap_settings, triage=mail_triage, drafts=drafts).errors
    [(flags, _)] = _messages(dovecot, folder)
    assert b"DP-" not in flags
