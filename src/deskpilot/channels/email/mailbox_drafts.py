"""AI drafts inside the shared mailbox, for agents who live in their mail client.

For each new mail from a requester, a grounded draft reply (approved articles only, cited) is appended to the
mailbox's Drafts folder over IMAP, threaded onto the mail, and the mail is tagged with IMAP keywords (ticket,
category, priority). When an agent sends such a draft from the client, the copy in the Sent folder is found
on the next poll: it lands on the ticket as the desk's AI-assisted reply (not sent again), and the draft's
decision gets feedback — accepted when sent as drafted, edited otherwise.
"""

from __future__ import annotations

import imaplib
import logging
import re
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.channels.base import IntakeOutcome, IntakeResult
from deskpilot.channels.email.enums import OutboundKind, OutboundStatus
from deskpilot.channels.email.intake import MailSource, advance_cursor, last_uid
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.outbound import new_message_id, record_first_response, reply_subject
from deskpilot.clock import utcnow
from deskpilot.config import MailboxSettings, Settings
from deskpilot.db import unit_of_work
from deskpilot.kb import drafts
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.service import document_url
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate

log = logging.getLogger(__name__)
DRAFT_HEADER = "X-Deskpilot-Draft"
TICKET_HEADER = "X-Deskpilot-Ticket"
FOOTER = "-- \nAI-assisted draft by deskpilot from approved articles: check it before you send."
SENDER = Principal.system("mailbox-drafts")
_NOT_ATOM = re.compile(r"[^A-Za-z0-9_.-]+")


def keywords(ticket: Ticket) -> list[str]:
    """IMAP keywords for a filed mail (atoms only): the ticket, its category and its priority."""
    words = [f"DP-{ticket.id}", f"Priority_{ticket.priority}"]
    if ticket.category:
        words.append("Category_" + _NOT_ATOM.sub("_", ticket.category).strip("_")[:60])
    return words


def draft_message(settings: Settings, *, ticket: Ticket, inbound: InboundMail, draft: AiDecision) -> EmailMessage:
    """The draft as a mail: from the desk to the requester, threaded on their mail, sources in the footer."""
    message = EmailMessage()
    message["From"] = settings.mail_address
    message["To"] = inbound.from_address
    message["Subject"] = reply_subject(ticket.subject, ticket.id)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{new_message_id(settings, ticket.id)}>"
    message["In-Reply-To"] = f"<{inbound.message_id}>"
    message["References"] = " ".join(f"<{ref}>" for ref in [*inbound.references, inbound.message_id][-20:])
    message[DRAFT_HEADER] = str(draft.id)
    message[TICKET_HEADER] = f"DP-{ticket.id}"
    sources = [f"{s['citation']} {document_url(s['slug'], s['version'])}" for s in draft.sources or []]
    footer = FOOTER + ("\nSources:\n" + "\n".join(sources) if sources else "\nNo approved article answers it.")
    message.set_content(f"{draft.outputs.get('text', '')}\n\n{footer}\n")
    return message


def without_footer(text: str) -> str:
    """What the agent sent, without our footer and anything quoted below it."""
    return text.split("-- \nAI-assisted draft", 1)[0].split("\n-- \n", 1)[0].strip()


@dataclass(frozen=True)
class MailboxDrafts:
    """Drafts and tags for the mailboxes that name a `drafts_folder`; the KB index comes from the AI runtime."""

    settings: Settings
    kb: IndexHolder

    def after_mail(self, factory: sessionmaker[Session], client: imaplib.IMAP4, mailbox: MailboxSettings,
                   uid: int, result: IntakeResult) -> None:
        """Tag a filed mail and append a draft reply to it when it came from the ticket's requester."""
        if not mailbox.drafts_folder or result.ticket_id is None or result.inbound_id is None \
                or result.outcome not in (IntakeOutcome.TICKET_CREATED, IntakeOutcome.THREADED):
            return
        with unit_of_work(factory) as session:
            inbound, ticket = session.get(InboundMail, result.inbound_id), session.get(Ticket, result.ticket_id)
            if inbound is None or ticket is None or not _from_requester(session, inbound, ticket):
                return
            decision = drafts.compose(session, settings=self.settings, index=self.kb.current(session), ticket=ticket,
                                      question=inbound.body_text or None)
            message, words = draft_message(self.settings, ticket=ticket, inbound=inbound, draft=decision), \
                keywords(ticket)
        status, answer = client.append(mailbox.drafts_folder, r"(\Draft)", imaplib.Time2Internaldate(time.time()),
                                       message.as_bytes())
        if status != "OK":
            log.warning("%s: the draft for DP-%s was not stored in %s: %s", mailbox.name, ticket.id,
                        mailbox.drafts_folder, answer)
        client.uid("STORE", str(uid), "+FLAGS", f"({' '.join(words)})")

    def recognise_sent(self, factory: sessionmaker[Session], client: imaplib.IMAP4, mailbox: MailboxSettings) -> int:
        """Find our drafts the agents sent (in `sent_folder`) since the last pass; returns how many were new."""
        if not mailbox.drafts_folder or not mailbox.sent_folder:
            return 0
        status, data = client.select(_quoted(mailbox.sent_folder), readonly=True)
        if status != "OK":
            log.info("%s: no sent folder %r to look for sent drafts in", mailbox.name, mailbox.sent_folder)
            return 0
        uidvalidity = _uidvalidity(client)
        cursor = f"{mailbox.name}:sent"[:64]
        with factory() as session:
            start = last_uid(session, mailbox=cursor, uidvalidity=uidvalidity)
        _, found = client.uid("SEARCH", f"UID {start + 1}:*", "HEADER", DRAFT_HEADER, '""')
        recognised = 0
        for uid in sorted(int(u) for u in (found[0] or b"").split() if int(u) > start):
            _, fetched = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            with unit_of_work(factory) as session:
                if isinstance(raw, bytes) and _record_sent(session, raw):
                    recognised += 1
                advance_cursor(session, MailSource(cursor, uidvalidity, uid))
        return recognised


def _from_requester(session: Session, inbound: InboundMail, ticket: Ticket) -> bool:
    if inbound.ticket_message_id is None:
        return True  # the mail opened the ticket
    message = tickets.get_messages(session, actor=SENDER, ticket_id=ticket.id)
    return any(m.id == inbound.ticket_message_id and m.kind is MessageKind.PUBLIC_REPLY for m in message)


def _record_sent(session: Session, raw: bytes) -> bool:
    """Put a sent draft on its ticket once (keyed by its Message-ID) and judge the draft by what was sent."""
    sent = message_from_bytes(raw, policy=policy.default)
    message_id = str(sent.get("Message-ID", "")).strip().strip("<>")
    draft_id = str(sent.get(DRAFT_HEADER, "")).strip()
    if not message_id or not draft_id.isdigit() or session.scalar(
            select(OutboundMail.id).where(OutboundMail.message_id == message_id)) is not None:
        return False
    draft = session.get(AiDecision, int(draft_id))
    if draft is None or draft.kind is not DecisionKind.DRAFT or draft.subject_type != "ticket" \
            or draft.subject_id is None:
        log.warning("sent mail %s names draft %s, which is not a ticket draft; ignored", message_id, draft_id)
        return False
    body = sent.get_body(preferencelist=("plain",))
    text = without_footer(body.get_content() if isinstance(body, EmailMessage) else "")
    ticket_id = int(draft.subject_id)
    reply = tickets.add_message(session, actor=SENDER, ticket_id=ticket_id, data=MessageCreate(
        body=(text or "(empty reply)")[:MAX_BODY], kind=MessageKind.PUBLIC_REPLY, channel=Channel.EMAIL,
        ai_assisted=True))
    session.add(OutboundMail(
        kind=OutboundKind.REPLY, status=OutboundStatus.SENT, ticket_id=ticket_id, ticket_message_id=reply.id,
        message_id=message_id[:255], in_reply_to=str(sent.get("In-Reply-To", "")).strip("<> ")[:255] or None,
        references=[], from_address=str(sent.get("From", ""))[:320], to_address=str(sent.get("To", ""))[:320],
        subject=str(sent.get("Subject", ""))[:998], body=text, sent_at=utcnow(), next_attempt_at=utcnow()))
    record_first_response(session, ticket_id=ticket_id, at=reply.created_at)
    drafts.judge_sent(session, draft=draft, text=text, actor=SENDER)
    session.flush()
    return True


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(client: imaplib.IMAP4) -> int:
    _, data = client.response("UIDVALIDITY")
    return int(data[0]) if data and data[0] else 0
