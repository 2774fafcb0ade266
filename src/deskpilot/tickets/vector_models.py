"""The table of ticket vectors: each ticket's sentence vector, computed once (at triage) and read by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime


class TicketVector(Base):
    """The vector `model_id` gave a ticket's redacted text, and the hash of the ticket text it stands for.

    A vector whose `text_hash` no longer matches the ticket (its text was edited, erased or expired) is stale:
    readers embed the ticket again rather than use it, and erasure and retention delete it with the text."""

    __tablename__ = "ticket_vectors"
    __table_args__ = (UniqueConstraint("ticket_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
