"""The analytics area's tables and the indexes the KPI dashboard needs on the tables it reads.

The indexes are declared here, by the queries that need them (see benchmarks/kpi_scale.py), rather than
beside the tables: they exist for these queries, and go with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.audit.decisions_models import AiDecision
from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime
from deskpilot.tickets.models import Ticket, TicketMessage

# Backlog and ageing: open statuses over all time, without a full scan.
Index("ix_tickets_status_created", Ticket.status, Ticket.created_at)
# First-contact resolution counts agent replies per ticket from the index alone.
Index("ix_ticket_messages_ticket_kind", TicketMessage.ticket_id, TicketMessage.kind, TicketMessage.author_id)
# The first triage decision of each ticket (triage accuracy) and decisions of one kind in a period (drift).
Index("ix_ai_decisions_subject_kind", AiDecision.subject_type, AiDecision.subject_id, AiDecision.kind, AiDecision.id)
Index("ix_ai_decisions_kind_created", AiDecision.kind, AiDecision.created_at)


class SavedQueueView(Base):
    """A named set of console queue filters a staff member saved for themselves."""

    __tablename__ = "saved_queue_views"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
