"""Turning one received mail into a ticket or a message on one, exactly once.

`ingest` runs inside the caller's transaction: the `InboundMail` row (unique by Message-ID + body and by
mailbox position), the ticket write, the acknowledgement in the outbox and the mailbox cursor are
committed together or not at all. The row is inserted first, so two pollers racing for the same mail
collide on the unique key before either touches a ticket. A redelivered mail is recognised and skipped.

Unknown senders: by default the desk creates a requester account for the address (no password; they
can be invited to the portal later), so every mail gets a ticket its sender can follow. With
`mail_unknown_sender=fallback` the mail is filed under the `mail_fallback_requester` account instead,
for desks that must not create accounts from the internet.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.channels.base import IntakeOutcome, IntakeResult
from deskpilot.channels.email import outbound
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.models import InboundMail, MailboxCursor
from deskpilot.channels.email.parse import ParsedMail, parse_mail
from deskpilot.channels.email.requesters import requester_for
from deskpilot.channels.email.store import link_to_ticket, store_attachments, store_raw
from deskpilot.channels.email.threads import thread_target
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import DomainError
from deskpilot.intake import open_ticket
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.file_types import sniff
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate, TicketCreate
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
INTAKE = Principal.system("mail-intake")
_MAX_STORED_TEXT = 1_000_000


@dataclass(frozen=True, slots=True)
class MailSource:
    """Where a mail came from: an IMAP mailbox position, or a listener (no UID)."""

    mailbox: str
    uidvalidity: int = 0
    uid: int | None = None


def ingest(session: Session, *, settings: Settings, triage: TriageEngine, raw: bytes, source: MailSource,
           envelope_sender: str | None = None) -> IntakeResult:
    """Take one mail into the desk inside the caller's transaction; safe to call again with the same mail.

    `envelope_sender` is the SMTP `MAIL FROM` when the mail came through the listener (None from IMAP).

    Database errors propagate (the caller rolls back and the mail is taken again on the next run);
    anything wrong with the mail itself is recorded on its `InboundMail` row for agents to see.
    """
    if _known_position(session, source):
        return IntakeResult(IntakeOutcome.DUPLICATE)
    try:
        parsed = parse_mail(raw, max_attachment_bytes=settings.mail_max_attachment_bytes,
                            own_domains=frozenset({settings.mail_domain}), envelope_sender=envelope_sender)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the mail: it is kept and flagged
        log.exception("could not parse a mail from %s", source.mailbox)
        return _record_unparseable(session, settings=settings, raw=raw, source=source, error=exc)
    inbound = _claim(session, settings=settings, raw=raw, parsed=parsed, source=source)
    if inbound is None:
        advance_cursor(session, source)
        return IntakeResult(IntakeOutcome.DUPLICATE)
    result = _file(session, settings=settings, triage=triage, parsed=parsed, inbound=inbound)
    advance_cursor(session, source)
    return result


def _known_position(session: Session, source: MailSource) -> bool:
    if source.uid is None:
        return False
    return session.scalar(select(InboundMail.id).where(
        InboundMail.mailbox == source.mailbox, InboundMail.uidvalidity == source.uidvalidity,
        InboundMail.uid == source.uid)) is not None


def _claim(session: Session, *, settings: Settings, raw: bytes, parsed: ParsedMail,
           source: MailSource) -> InboundMail | None:
    """Insert the mail's row, or None when another run (or mailbox) already has this mail.

    The same mail is the same Message-ID with the same body (or the same bytes). A different mail that
    reuses a Message-ID is taken as a new one, linked to the first mail that had the id.
    """
    same_id = session.execute(select(InboundMail.id, InboundMail.body_sha256, InboundMail.raw_sha256)
                              .where(InboundMail.message_id == parsed.message_id).order_by(InboundMail.id)).all()
    if any(parsed.body_sha256 == body or parsed.raw_sha256 == whole for _, body, whole in same_id):
        return None
    first = same_id[0][0] if same_id else None
    if first is not None:
        log.warning("mail from %s reuses Message-ID %s of inbound mail %s with another body; taken as a new "
                    "mail and linked to it", parsed.from_address, parsed.message_id, first)
    inbound = InboundMail(
        message_id=parsed.message_id, message_id_synthesised=parsed.message_id_synthesised,
        body_sha256=parsed.body_sha256, reuses_message_id_of=first,
        mailbox=source.mailbox, uidvalidity=source.uidvalidity, uid=source.uid,
        status=InboundStatus.PROCESSED, from_address=parsed.from_address[:320], subject=parsed.subject[:998],
        in_reply_to=parsed.in_reply_to[0] if parsed.in_reply_to else None, references=list(parsed.references),
        thread_index_root=parsed.thread_index_root,
        body_text=parsed.text[:_MAX_STORED_TEXT], raw_sha256=parsed.raw_sha256, raw_size=len(raw),
        raw_path=store_raw(settings.mail_dir, raw, parsed.raw_sha256),
        attachments=store_attachments(settings.mail_dir, parsed.attachments), received_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(inbound)
            session.flush()
    except IntegrityError:
        log.info("mail %s was taken by another run; skipped", parsed.message_id)
        return None
    return inbound


def _file(session: Session, *, settings: Settings, triage: TriageEngine, parsed: ParsedMail,
          inbound: InboundMail) -> IntakeResult:
    if parsed.auto_reply:
        inbound.status, inbound.error = InboundStatus.IGNORED_AUTOREPLY, parsed.auto_reply
        session.flush()
        return IntakeResult(IntakeOutcome.IGNORED, inbound.id)
    try:
        with session.begin_nested():
            ticket, message = _to_ticket(session, settings=settings, triage=triage, parsed=parsed)
    except DomainError as exc:
        inbound.status, inbound.error = InboundStatus.FAILED_INTAKE, exc.message
        session.flush()
        log.warning("mail %s could not be filed: %s", parsed.message_id, exc.message)
        return IntakeResult(IntakeOutcome.FAILED, inbound.id)
    inbound.ticket_id, inbound.ticket_message_id = ticket.id, message.id if message else None
    session.flush()
    link_to_ticket(session, inbound, internal=message is not None and message.kind is MessageKind.INTERNAL_NOTE)
    if message is None:
        if parsed.no_acknowledgement is not None:
            log.info("mail %s opened DP-%s without an acknowledgement: %s", parsed.message_id, ticket.id,
                     parsed.no_acknowledgement)
        elif settings.mail_acknowledge:
            outbound.queue_acknowledgement(session, settings=settings, ticket_id=ticket.id)
        return IntakeResult(IntakeOutcome.TICKET_CREATED, inbound.id, ticket.id)
    return IntakeResult(IntakeOutcome.THREADED, inbound.id, ticket.id)


def _to_ticket(session: Session, *, settings: Settings, triage: TriageEngine, parsed: ParsedMail
               ) -> tuple[Ticket, TicketMessage | None]:
    """The ticket the mail lands on, and the message added (None when the mail opened the ticket)."""
    sender = requester_for(session, settings=settings, address=parsed.from_address, name=parsed.from_name)
    target = thread_target(session, parsed=parsed, sender=sender)
    if target is not None and target.status not in (TicketStatus.CLOSED, TicketStatus.MERGED):
        return target, _append(session, ticket=target, sender=sender, parsed=parsed)
    follow_up = f"Follow-up to DP-{target.id}, which is {target.status}.\n\n" if target is not None else ""
    ticket, _triage = open_ticket(session, actor=INTAKE, settings=settings, triage=triage, data=TicketCreate(
        subject=(" ".join(parsed.subject.split()) or "(no subject)")[:300],
        description=(follow_up + _readable_body(parsed))[:MAX_BODY], channel=Channel.EMAIL, requester_id=sender.id))
    return ticket, None


def _readable_body(parsed: ParsedMail) -> str:
    """The mail's text; when it has none, the text of its plain-text attachments, else a pointer to the files
    (shown and downloadable on the ticket), so no ticket opens with an empty description."""
    if parsed.clean_text:
        return parsed.clean_text
    texts = [a.content.decode("utf-8", "replace") for a in parsed.attachments
             if a.content is not None and a.content_type == "text/plain" and sniff(a.content) == "text/plain"]
    if any(t.strip() for t in texts):
        return "\n\n".join(t.strip() for t in texts if t.strip())
    names = ", ".join(a.filename for a in parsed.attachments)
    return f"(no text; see the attachments of the mail: {names})" if names else "(the mail had no text)"


def _append(session: Session, *, ticket: Ticket, sender: User, parsed: ParsedMail) -> TicketMessage:
    body = _readable_body(parsed)
    if sender.id == ticket.requester_id:
        data = MessageCreate(body=body[:MAX_BODY], kind=MessageKind.PUBLIC_REPLY, channel=Channel.EMAIL)
        return tickets.add_message(session, actor=Principal.of(sender), ticket_id=ticket.id, data=data)
    # Someone else on the thread (a colleague in Cc, an agent from their own mailbox): agents see it as a
    # note, attributed, and the requester's view does not change behind their back.
    attributed = f"E-mail from {parsed.from_name or sender.full_name} <{parsed.from_address}>:\n\n{body}"
    note = MessageCreate(body=attributed[:MAX_BODY], kind=MessageKind.INTERNAL_NOTE, channel=Channel.EMAIL)
    return tickets.add_message(session, actor=INTAKE, ticket_id=ticket.id, data=note)


def _record_unparseable(session: Session, *, settings: Settings, raw: bytes, source: MailSource,
                        error: Exception) -> IntakeResult:
    digest = hashlib.sha256(raw).hexdigest()
    message_id = f"{digest[:40]}@unparsed.invalid"
    existing = session.scalar(select(InboundMail.id).where(InboundMail.message_id == message_id))
    if existing is None:
        inbound = InboundMail(
            message_id=message_id, message_id_synthesised=True, body_sha256=digest, mailbox=source.mailbox,
            uidvalidity=source.uidvalidity, uid=source.uid, status=InboundStatus.FAILED_PARSE,
            error=f"{type(error).__name__}: {error}"[:2000], raw_sha256=digest, raw_size=len(raw),
            raw_path=store_raw(settings.mail_dir, raw, digest), received_at=utcnow())
        session.add(inbound)
        session.flush()
        existing = inbound.id
    advance_cursor(session, source)
    return IntakeResult(IntakeOutcome.FAILED, existing)


def advance_cursor(session: Session, source: MailSource) -> None:
    if source.uid is None:
        return
    cursor = session.scalar(select(MailboxCursor).where(MailboxCursor.mailbox == source.mailbox,
                                                        MailboxCursor.uidvalidity == source.uidvalidity))
    if cursor is None:
        session.add(MailboxCursor(mailbox=source.mailbox, uidvalidity=source.uidvalidity, last_uid=source.uid))
    else:
        cursor.last_uid = max(cursor.last_uid, source.uid)
    session.flush()


def last_uid(session: Session, *, mailbox: str, uidvalidity: int) -> int:
    """The highest UID of `mailbox` already taken (0 when none, or when UIDVALIDITY changed)."""
    value = session.scalar(select(func.max(MailboxCursor.last_uid)).where(
        MailboxCursor.mailbox == mailbox, MailboxCursor.uidvalidity == uidvalidity))
    return int(value or 0)
