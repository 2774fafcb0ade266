"""Tables of the connectors: where each import stands in each ITSM stream, and which desk record a vendor's is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime


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
