"""Tables of the tickets area: queues, SLA policies and calendars, escalation paths, tickets, messages, and the
queue views staff save for themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.sealed_storage import SealedText
from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority, TicketStatus


class BusinessCalendarRecord(Base):
    """A named business-hours calendar; `definition` is the dict form of tickets.calendar.BusinessCalendar."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    escalation_levels: Mapped[list[EscalationLevel]] = relationship(
        back_populates="queue", order_by="EscalationLevel.level", cascade="all, delete-orphan")


class EscalationLevel(Base):
    """One step of a queue's escalation path: when the SLA clock reaches `trigger`, notify someone."""

    __tablename__ = "escalation_levels"
    __table_args__ = (UniqueConstraint("queue_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(20))
    after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    notify_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    notify_role: Mapped[str | None] = mapped_column(String(32), default=None)
    queue: Mapped[Queue] = relationship(back_populates="escalation_levels")


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("priority", "queue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), default=None)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    near_breach_ratio: Mapped[float] = mapped_column(default=0.8)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue_status", "queue_id", "status"),
        Index("ix_tickets_requester", "requester_id"),
        Index("ix_tickets_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(SealedText)
    description: Mapped[str] = mapped_column(SealedText, default="")
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus, "ticket_status"),
                                                 default=TicketStatus.NEW)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), default=Priority.P3)
    impact: Mapped[Level] = mapped_column(enum_column(Level, "level"), default=Level.MEDIUM)
    urgency: Mapped[Level] = mapped_column(enum_column(Level, "level"), default=Level.MEDIUM)
    category: Mapped[str | None] = mapped_column(String(120), default=None)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), default=None)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"), default=Channel.PORTAL)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    external_id: Mapped[str | None] = mapped_column(String(120), default=None, index=True)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"),
                                                      default=None)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    first_responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    sla_state: Mapped[str] = mapped_column(String(20), default="running")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Facts kept up to date on write by tickets/facts.py, so that the KPI reports aggregate one row per ticket
    # instead of counting each ticket's messages, pauses and AI decisions (see docs/benchmarks.md).
    agent_replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # A copy of the decision's id like the values beside it (no foreign key: nothing here may hold up
    # deleting a decision, and a foreign key would have rebuilt this table on SQLite).
    intake_triage_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # The language the requester wrote in (detected), so the agent replies in it.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    intake_category: Mapped[str | None] = mapped_column(String(120), default=None)
    intake_queue_id: Mapped[int | None] = mapped_column(Integer, default=None)
    intake_priority: Mapped[str | None] = mapped_column(String(32), default=None)
    intake_abstained: Mapped[bool | None] = mapped_column(Boolean, default=None)
    messages: Mapped[list[TicketMessage]] = relationship(back_populates="ticket", order_by="TicketMessage.id",
                                                         cascade="all, delete-orphan")
    pauses: Mapped[list[SlaPause]] = relationship(order_by="SlaPause.id", cascade="all, delete-orphan")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    body: Mapped[str] = mapped_column(SealedText)
    ai_assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class SlaPause(Base):
    """A stretch of time the SLA clock did not run (waiting on the customer)."""

    __tablename__ = "sla_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    paused_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class EscalationNotice(Base):
    """A notification raised by the SLA sweep: which ticket reached which level and whom it tells."""

    __tablename__ = "escalation_notices"
    __table_args__ = (UniqueConstraint("ticket_id", "level", "trigger"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(20))
    notify_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    notify_role: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SavedQueueView(Base):
    """A named set of console queue filters a staff member saved for themselves."""

    __tablename__ = "saved_queue_views"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TicketAttachment(Base):
    """A file on a ticket (from an e-mail, the portal, the console or the API), kept in DATA_DIR under its
    SHA-256. `internal` files (on an internal note) are shown to staff only, like the note. A file sent in a
    chat before any ticket exists has only its `conversation_id`; the ticket the chat opens takes it."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True,
                                                  default=None)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"),
                                                        index=True, default=None)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"),
                                                   default=None)
    filename: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    sniffed_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TicketWorkStart(Base):
    """An agent opened a ticket to work on it (the console records it once per agent between replies), so the
    minutes from opening to replying can be measured: the desk's "agent minutes per e-mail"."""

    __tablename__ = "ticket_work_starts"
    __table_args__ = (Index("ix_ticket_work_starts_ticket_agent", "ticket_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
