"""What the console's AI panel shows for a ticket: a thread summary, triage suggestions under the review gate,
similar resolved tickets, the probable major incident and KB articles (drafts: kb/drafts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.assist.chunking import split_sentences
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.config import Settings
from deskpilot.errors import DomainError
from deskpilot.governance.enums import AiMode
from deskpilot.tickets import service as tickets
from deskpilot.tickets.models import Queue, Ticket, TicketMessage


class Gate(StrEnum):
    """The review gate of one triage field: applied when confident, only suggested, or not shown."""

    AUTO = "auto-apply"
    SUGGEST = "suggest"
    OFF = "off"


def gate(settings: Settings, field: str) -> Gate:
    if field in {f.strip() for f in settings.triage_suggest_off.split(",")}:
        return Gate.OFF
    return Gate.AUTO if field in intake.auto_apply_fields(settings) else Gate.SUGGEST


@dataclass(frozen=True)
class Suggestion:
    field: str
    label: str
    value: str | None
    shown: str
    current: str
    gate: Gate

    @property
    def applied(self) -> bool:
        return self.value is not None and self.value == self.current


@dataclass(frozen=True)
class TriagePanel:
    decision_id: int
    confidence: float
    abstained: bool
    suggestions: list[Suggestion]
    similar: list[tuple[int, str]]
    major_incident: dict[str, Any] | None
    # Why: the cues behind the priority and the model's evidence for the category (triage's explanation).
    reasons: list[str]


def summary(ticket: Ticket, messages: list[TicketMessage]) -> list[str]:
    """An extractive summary: the request's first sentences, the latest reply each side, where it stands."""
    lines = [" ".join(split_sentences(ticket.description or ticket.subject)[:2]) or ticket.subject]
    public = [m for m in messages if m.kind == "public_reply"]
    theirs = [m for m in public if m.author_id == ticket.requester_id][1:]
    ours = [m for m in public if m.author_id != ticket.requester_id]
    if theirs:
        lines.append("Requester last wrote: " + " ".join(split_sentences(theirs[-1].body)[:1]))
    if ours:
        lines.append("Desk last replied: " + " ".join(split_sentences(ours[-1].body)[:1]))
    lines.append(f"{len(public)} public message(s); reopened {ticket.reopen_count} time(s).")
    return lines


def triage_panel(session: Session, *, actor: Principal, settings: Settings, ticket: Ticket) -> TriagePanel | None:
    """The latest triage decision on the ticket as suggestions, or None when it was never triaged."""
    decision = intake.latest_triage(session, ticket_id=ticket.id)
    # A triage an AI switch held back in shadow (or off) is recorded for the pilot report, never shown.
    if decision is None or decision.explanation.get("governance_mode") in (AiMode.SHADOW, AiMode.OFF):
        return None
    queue_names = {q.id: q.name for q in session.query(Queue).all()}
    out = decision.outputs
    raw = {"category": (out.get("category"), ticket.category),
           "queue": (out.get("queue_id"), ticket.queue_id), "priority": (out.get("priority"), ticket.priority)}
    suggestions = []
    for field, (value, current) in raw.items():
        field_gate = gate(settings, field)
        if field_gate is Gate.OFF or (field == "category" and decision.abstained):
            continue
        shown = queue_names.get(int(value), str(value)) if field == "queue" and value else str(value or "—")
        suggestions.append(Suggestion(field, field.title(), None if value is None else str(value), shown,
                                      "" if current is None else str(current), field_gate))
    why = decision.explanation
    reasons = [str(r) for r in why.get("reasons", [])] + [str(t) for t in why.get("top_terms", [])
                                                          if str(t).startswith(("closest:", "like the request"))]
    if why.get("priority_source"):
        reasons.append(f"priority: {why['priority_source']}")
    return TriagePanel(decision.id, decision.confidence, decision.abstained, suggestions,
                       _similar(session, actor, decision), why.get("major_incident"), reasons)


def _similar(session: Session, actor: Principal, decision: AiDecision) -> list[tuple[int, str]]:
    found = []
    for source in decision.sources[:5]:
        try:
            other = tickets.get(session, actor=actor, ticket_id=int(source["ticket_id"]))
        except DomainError:
            continue
        found.append((other.id, other.subject))
    return found


def kb_suggestions(index: KbIndex, ticket: Ticket) -> list[tuple[str, str, float]]:
    """The approved articles that best match the ticket: (citation, title, score)."""
    if not index.documents:
        return []
    result = HybridRetriever(index).search(RetrievalQuery.from_dialogue(ticket.description or ticket.subject,
                                                                        ticket.subject), k=3)
    return [(hit.document.citation, hit.document.title, hit.score) for hit in result.hits]
