"""Tables of the connectors: where each import stands in each ITSM stream, which desk record a vendor's is, and
what the overlay did with each ITSM ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.connectors.enums import OverlayState
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
