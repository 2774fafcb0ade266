"""The indexes the KPI dashboard needs on the tables it reads (analytics owns no table: it is a read model).

The indexes are declared here, by the queries that need them (see benchmarks/kpi_scale.py), rather than
beside the tables: they exist for these queries, and go with them. Migration 0010 also gives PostgreSQL
statistics on the day and week of creation of tickets, feedback and decisions (SQLAlchemy has no construct
for them), so that it hashes the trends' and drift's groups rather than sorting every row.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.tickets.models import Ticket, TicketMessage

# Backlog and ageing: open statuses over all time, without a full scan.
Index("ix_tickets_status_created", Ticket.status, Ticket.created_at)
# Agent replies of a ticket, decisions of one kind about a subject (a ticket's triage decisions) and decisions
# of one kind in a period, from migration 0007. Since 0010 the KPI queries read per-ticket facts instead
# (tickets/facts.py); these still serve the per-ticket and per-kind lookups.
Index("ix_ticket_messages_ticket_kind", TicketMessage.ticket_id, TicketMessage.kind, TicketMessage.author_id)
Index("ix_ai_decisions_subject_kind", AiDecision.subject_type, AiDecision.subject_id, AiDecision.kind, AiDecision.id)
Index("ix_ai_decisions_kind_created", AiDecision.kind, AiDecision.created_at)
# Drift reads a period of one model's triage decisions from the index alone (migration 0010).
Index("ix_ai_decisions_triage_created", AiDecision.created_at, AiDecision.model_version, AiDecision.category,
      AiDecision.abstained, AiDecision.confidence, postgresql_where=text("kind = 'triage'"),
      sqlite_where=text("kind = 'triage'"))
# Feedback rates, drafts used and the trends read a period of feedback from the index alone (migration 0010).
Index("ix_ai_feedback_created_kind", AiFeedback.created_at, AiFeedback.decision_kind, AiFeedback.action,
      AiFeedback.field, AiFeedback.decision_id)

