"""Tables of the e-mail channel: every mail received, where each mailbox was read up to, the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.channels.email.enums import InboundStatus, OutboundKind, OutboundStatus
from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.sealed_storage import SealedText


class InboundMail(Base):
    """One received mail, kept whole (raw bytes on disk, by hash) with what became of it.

    Unique by Message-ID and body digest (so the same mail from two mailboxes or the SMTP listener is taken
    once, while a different mail that reuses a Message-ID is kept and linked to the first one with that id)
    and by mailbox position (so a re-poll of the same UID is recognised before parsing).
    """

    __tablename__ = "inbound_mails"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbound_mails_mailbox_position"),
        UniqueConstraint("message_id", "body_sha256", name="uq_inbound_mails_message_id_body"),
        Index("ix_inbound_mails_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255))
    body_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The first mail received with the same Message-ID but another body, when this one reuses it.
    reuses_message_id_of: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_mails.id", ondelete="SET NULL"), default=None)
    message_id_synthesised: Mapped[bool] = mapped_column(default=False)
    mailbox: Mapped[str] = mapped_column(String(64))
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[InboundStatus] = mapped_column(enum_column(InboundStatus, "inbound_status"))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(SealedText, default="")
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Outlook's conversation (the first 22 bytes of Thread-Index, hex), for replies that drop References.
    thread_index_root: Mapped[str | None] = mapped_column(String(44), default=None, index=True)
    body_text: Mapped[str] = mapped_column(SealedText, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(Integer)
    raw_path: Mapped[str] = mapped_column(String(300))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), default=None,
                                                  index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="SET NULL"), default=None)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Handling time for the KPIs: from this mail's arrival to the desk's first reply after it.
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    first_response_minutes: Mapped[float | None] = mapped_column(default=None)


class MailboxCursor(Base):
    """The highest UID taken from a mailbox (per UIDVALIDITY), advanced in the same transaction as the
    mail, so a restarted poller starts exactly where the last committed mail left off."""

    __tablename__ = "mailbox_cursors"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", name="uq_mailbox_cursors_mailbox_validity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(64))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class OutboundMail(Base):
    """A mail the desk sends; queued in the transaction that decided to send it, never dropped."""

    __tablename__ = "outbound_mails"
    __table_args__ = (Index("ix_outbound_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboundKind] = mapped_column(enum_column(OutboundKind, "outbound_kind"))
    status: Mapped[OutboundStatus] = mapped_column(enum_column(OutboundStatus, "outbound_status"),
                                                   default=OutboundStatus.QUEUED)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="SET NULL"), default=None, unique=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    from_address: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(SealedText)
    body: Mapped[str] = mapped_column(SealedText)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
