"""Tables of the connectors: where each import stands in each ITSM stream, which desk record a vendor's is, what
the overlay did with each ITSM ticket, and how the two-way sync keeps linked tickets in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.connectors.enums import OverlayState, SyncDirection, SyncRule, SyncSide
from deskpilot.db import Base, UtcDateTime, enum_column


class ConnectorCursor(Base):
    """The opaque position after the last page of `stream` (tickets, articles, users) whose records are stored.

    It is written in the same transaction as that page's records, so it can never run ahead of them."""

    __tablename__ = "connector_cursors"
    __table_args__ = (UniqueConstraint("connector", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ConnectorLink(Base):
    """A vendor record (a user) and the desk record it became, so later pages refer to the same one."""

    __tablename__ = "connector_links"
    __table_args__ = (UniqueConstraint("connector", "kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(120))
    local_id: Mapped[int] = mapped_column(Integer)


class OverlayTicket(Base):
    """One ITSM ticket the overlay triaged: at most one row per ticket, committed before anything is written to the
    ITSM, so a ticket is triaged and noted once however often it comes back (its own note brings it back).

    `suggested` holds the triage (category, priority, group); `kept` the values the ticket had after the write-back,
    so a later change by an agent is seen as a difference from them and becomes feedback on the triage decision."""

    __tablename__ = "connector_overlay_tickets"
    __table_args__ = (UniqueConstraint("connector", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(64))
    state: Mapped[OverlayState] = mapped_column(enum_column(OverlayState, "overlay_state"))
    decision_id: Mapped[int | None] = mapped_column(Integer, default=None)
    note_id: Mapped[str | None] = mapped_column(String(120), default=None)
    suggested: Mapped[dict[str, Any]] = mapped_column(JSON)
    kept: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SyncLink(Base):
    """One ITSM ticket kept in step with one desk ticket by the two-way sync (connectors/sync.py).

    `desk` and `itsm` hold each side's value of every synced field as it was when the two sides were last in step,
    each in its own side's terms (a vendor's user and group ids on the ITSM's side), so a side changed a field since
    then exactly when its value differs from its own base, and a write made by the sync becomes the other side's
    base instead of a change seen on the next pass. `versions` counts each field's changes; `pending` holds the
    desk values being written to the ITSM, so a crash between the write and its commit is recognised."""

    __tablename__ = "connector_sync_links"
    __table_args__ = (UniqueConstraint("connector", "external_id"), UniqueConstraint("ticket_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500), default="")
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    desk: Mapped[dict[str, Any]] = mapped_column(JSON)
    itsm: Mapped[dict[str, Any]] = mapped_column(JSON)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    pending: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncComment(Base):
    """A comment present on both sides: the desk message and the ITSM comment it is. A desk message being written to
    the ITSM has its row (with `external_id` None) committed first, so it is written once and never read back as new.
    """

    __tablename__ = "connector_sync_comments"
    __table_args__ = (UniqueConstraint("link_id", "external_id"), UniqueConstraint("message_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("connector_sync_links.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"))
    external_id: Mapped[str | None] = mapped_column(String(120), default=None)
    direction: Mapped[SyncDirection] = mapped_column(enum_column(SyncDirection, "sync_direction"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncConflict(Base):
    """A value the sync did not keep: both sides changed a field (the owner's value won) or a status change was
    refused as a regression. Kept for the agents (the ticket page) and the audit trail."""

    __tablename__ = "connector_sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("connector_sync_links.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    kept: Mapped[str | None] = mapped_column(String(200), default=None)
    lost: Mapped[str | None] = mapped_column(String(200), default=None)
    lost_side: Mapped[SyncSide] = mapped_column(enum_column(SyncSide, "sync_side"))
    rule: Mapped[SyncRule] = mapped_column(enum_column(SyncRule, "sync_rule"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
