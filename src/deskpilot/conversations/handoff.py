"""A ticket that carries the whole conversation on: summary, triage, SLA, steps tried, diagnostics, probable
cause and fix from similar resolved tickets, and the transcript. Everything the assistant says is cited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.conversations import attachments, phrases, service
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Speaker
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate, TicketCreate
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.service import TriageOutcome

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

ASSISTANT = Principal.system("assistant")
SUMMARY_MODEL = "conversation-summary/extractive-1"
SUBJECT_CHARS = 120


class HandoffReason(StrEnum):
    """Why the assistant handed a conversation to the desk, as a code the KPI dashboard can count."""

    REQUESTER_ASKED = "requester_asked"           # "talk to a human"
    NO_ARTICLE = "no_article"                     # no approved article answers the question
    ANSWER_DID_NOT_HELP = "answer_did_not_help"   # the answer did not solve it and its article has no steps
    STEPS_EXHAUSTED = "steps_exhausted"           # every troubleshooting step was tried without success
    STEPS_FAILED = "steps_failed"                 # several steps failed and the requester chose a ticket
    OTHER = "other"


# Hand-offs recorded before codes were stored carry only the sentence: the hand-off KPIs read those old
# records' code back from the start of the words (the steps reason goes on with an article title).
_REASON_PATTERNS = (
    (re.compile(r"the requester asked to talk to a person", re.IGNORECASE), HandoffReason.REQUESTER_ASKED),
    (re.compile(r"the assistant found no approved article", re.IGNORECASE), HandoffReason.NO_ARTICLE),
    (re.compile(r"the suggested answer did not help", re.IGNORECASE), HandoffReason.ANSWER_DID_NOT_HELP),
    (re.compile(r"all \d+ steps? of .* tried without success", re.IGNORECASE | re.DOTALL),
     HandoffReason.STEPS_EXHAUSTED),
)


def reason_code(reason: str) -> HandoffReason:
    """The code of a hand-off reason recorded as a sentence only (before codes); OTHER for other wording."""
    for pattern, code in _REASON_PATTERNS:
        if pattern.match(reason.strip()):
            return code
    return HandoffReason.OTHER


@dataclass(frozen=True)
class HandedOver:
    ticket: Ticket
    triage: TriageOutcome


def format_when(moment: datetime | None) -> str:
    """"Tue 24 Nov 2026, 10:00 UTC": unambiguous without knowing the reader's time zone."""
    return moment.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC") if moment else "not set"


def promise(ticket: Ticket) -> str:
    """When the requester can expect a reply and a resolution, from the ticket's SLA."""
    if ticket.first_response_due_at is None:
        return "The service desk will reply as soon as possible."
    said = f"You can expect a first reply by {format_when(ticket.first_response_due_at)}"
    if ticket.resolution_due_at is not None:
        said += f" and a resolution by {format_when(ticket.resolution_due_at)}"
    return said + "."


def _author(session: Session, message: ConversationMessage) -> str:
    if message.author_kind is Author.REQUESTER:
        return "Requester"
    if message.author_kind is Author.AGENT:
        user = session.get(User, message.author_id) if message.author_id else None
        return f"Agent {user.full_name or user.username}" if user else "Agent"
    return "Assistant (AI-assisted)" if message.author_kind is Author.ASSISTANT else "System (AI-assisted)"


def transcript(session: Session, conversation: Conversation) -> str:
    """Every message, oldest first, each with its time, author and (for machine text) its sources."""
    lines = []
    for message in conversation.messages:
        sources = " ".join(c["citation"] for c in message.citations)
        suffix = f" (sources: {sources})" if sources else ""
        lines.append(f"[{message.created_at.strftime('%H:%M')}] {_author(session, message)}: {message.body}{suffix}")
    return "\n".join(lines)


def _steps_tried(conversation: Conversation) -> list[str]:
    walk = conversation.troubleshooting
    lines = [f"{n}. {t['step']} [{t['slug']} v{t['version']}, step {t['number']}] → result: \u201c{t['result']}\u201d"
             for n, t in enumerate(walk.get("tried", []), start=1)]
    lines += [f"Skipped: {s['step']} [{s['slug']} v{s['version']}, step {s['number']}], because {s['because']}"
              for s in walk.get("skipped", [])]
    return lines


def _diagnostics(conversation: Conversation) -> list[str]:
    """What the requester told (device, errors shown, what they had done), then what the browser sent."""
    said = conversation.facts.get("requester_said", {})
    lines = [f"{facet.capitalize()} (requester said): {said[facet]}" for facet in ("device", "office") if facet in said]
    lines += [f"Error shown (requester typed): \u201c{error}\u201d" for error in said.get("errors", [])]
    lines += [f"Already done (requester said): \u201c{note}\u201d" for note in said.get("tried_notes", [])]
    client = conversation.client
    lines.append(f"Client: {client.get('os', 'unknown')} / {client.get('browser', 'unknown')} "
                 f"(User-Agent: {client.get('user_agent', 'not sent')})")
    lines += [f"Asked \u201c{a['question']}\u201d, answered \u201c{a['answer']}\u201d"
              for a in conversation.facts.get("answers", [])]
    return lines


def _articles_say(conversation: Conversation) -> list[str]:
    """Probable cause and next fix from the articles whose steps failed, each cited."""
    lines = []
    for source in conversation.troubleshooting.get("causes", []):
        cited = f"[{source['slug']} v{source['version']}]"
        if source.get("cause"):
            lines.append(f"Probable cause {cited}: {source['cause']}")
        if source.get("next"):
            lines.append(f"Suggested next step {cited}: {source['next']}")
    return lines


def summary(conversation: Conversation, *, reason: str) -> str:
    """What an agent needs first: the AI summary, the steps tried with their results, the diagnostics."""
    first = conversation.subject or "(no question asked)"
    suggested = conversation.facts.get("answer_citations") or []
    text = (f"AI summary (AI-assisted, from chat conversation #{conversation.id}): the requester asked "
            f"\u201c{first}\u201d. {reason}")
    if suggested:
        text += f" The assistant suggested {', '.join(suggested)}, which did not solve it."
    steps = _steps_tried(conversation)
    tried = len(conversation.troubleshooting.get("tried", []))
    parts = [text, "", f"Steps already tried ({tried}):", *(steps or ["none"]), "",
             "Diagnostics gathered:", *_diagnostics(conversation)]
    causes = _articles_say(conversation)
    if causes:
        parts += ["", "From the articles tried:", *causes]
    return "\n".join(parts)


def description(session: Session, conversation: Conversation, *, reason: str) -> str:
    """The ticket text: the summary, then the transcript (cut from the top if it would not fit)."""
    head = summary(conversation, reason=reason) + "\n\nTranscript:\n"
    text = transcript(session, conversation)
    room = MAX_BODY - len(head) - 40
    if len(text) > room:
        text = "[earlier turns omitted]\n" + text[-room:]
    return head + text


def _context_note(outcome: TriageOutcome) -> str:
    """The staff-only note: triage, SLA and escalation path, and cause/fix from similar resolved tickets."""
    result, sla = outcome.result, outcome.sla
    lines = [f"AI hand-off context (AI-assisted, triage decision #{outcome.decision_id}, model "
             f"{outcome.model_version}):",
             f"Category: {result.category or 'not sure (human triage)'} (confidence {result.confidence:.2f}); "
             f"priority {result.priority}; queue {outcome.queue or 'none'}.",
             f"Suggested SLA: {sla.policy or 'no policy'}: first response by {format_when(sla.first_response_due_at)}, "
             f"resolution by {format_when(sla.resolution_due_at)}. {sla.reason}"]
    if sla.escalation_path:
        lines.append("Escalation path: " + "; ".join(
            f"level {s.level} at {s.trigger} +{s.after_minutes} min → {s.notify}" for s in sla.escalation_path))
    solved = [s for s in outcome.similar if s.resolution]
    if solved:
        best = solved[0]
        lines.append(f"Probable cause and suggested fix from a similar resolved ticket [DP-{best.ticket_id}] "
                     f"(similarity {best.score:.2f}, "
                     f"\u201c{best.subject}\u201d): {best.resolution}")
        lines += [f"Also similar: [DP-{s.ticket_id}] \u201c{s.subject}\u201d ({s.score:.2f}): {s.resolution}"
                  for s in solved[1:3]]
    else:
        lines.append("No similar resolved ticket was found, so no cause or fix is suggested.")
    if outcome.major_incident:
        lines.append(f"Possible major incident: similar open tickets "
                     f"{', '.join(f'DP-{t}' for t in outcome.major_incident.similar_open_ticket_ids)}.")
    return "\n".join(lines)


def open_ticket(session: Session, *, conversation: Conversation, requester: Principal, settings: Settings,
                triage: TriageEngine, reason: str, code: HandoffReason) -> HandedOver:
    """Create the ticket through intake (it gets its SLA) with the full context on it.

    The conversation's question was triaged when it was asked: that decision becomes the ticket's triage
    (nothing is triaged twice); only a conversation without a question is triaged here. The summary decision
    records `reason` for people and its `code` for the hand-off KPIs: the decision is the one record of a
    hand-off that later turns do not overwrite.
    """
    subject = (conversation.subject or "Chat conversation")[:SUBJECT_CHARS]
    data = TicketCreate(subject=subject, description=description(session, conversation, reason=reason),
                        channel=Channel.CHAT)
    asked = conversation.facts.get("triage_decision_id")
    triaged = intake.recorded_triage(session, decision_id=int(asked)) if asked else None
    ticket, outcome = intake.open_ticket(session, actor=requester, data=data, settings=settings, triage=triage,
                                         triaged=triaged, requester_text=conversation.subject or "")
    note = f"{summary(conversation, reason=reason)}\n\n{_context_note(outcome)}"
    tickets.add_message(session, actor=ASSISTANT, ticket_id=ticket.id,
                        data=MessageCreate(body=note, kind=MessageKind.INTERNAL_NOTE, channel=Channel.CHAT,
                                           ai_assisted=True))
    walk = conversation.troubleshooting
    sources = ([{"slug": walk["slug"], "version": walk["version"]}] if walk.get("slug") else []) + [
        {"ticket_id": s.ticket_id, "score": s.score} for s in outcome.similar if s.resolution]
    decision = decisions.record_decision(
        session, kind=DecisionKind.SUMMARY, model_version=SUMMARY_MODEL, input_redacted=outcome.result.redacted_text,
        outputs={"ticket_id": ticket.id, "reason": reason, "reason_code": code.value,
                 "steps_tried": len(walk.get("tried", []))},
        confidence=outcome.result.confidence, abstained=False, sources=sources,
        explanation={"conversation_id": conversation.id})
    decisions.attach_subject(session, decision_id=decision.id, subject_type="conversation",
                             subject_id=conversation.id)
    conversation.ticket_id = ticket.id
    attachments.link_to_ticket(session, conversation)
    ticket.language = conversation.facts.get("language")
    return HandedOver(ticket=ticket, triage=outcome)


def to_person(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant) -> None:
    """"Talk to a human": a ticket is opened (or the linked one kept) and the conversation waits for a person."""
    if conversation.state in (ConversationState.WAITING_FOR_HUMAN, ConversationState.WITH_HUMAN):
        service.say(session, conversation, Speaker(Author.SYSTEM), "A person already has your conversation; your "
                    "messages are kept and shown to them.")
        return
    if conversation.ticket_id is None:
        ticket = open_ticket(session, conversation=conversation, requester=actor, settings=assistant.settings,
                             triage=assistant.triage, reason="The requester asked to talk to a person.",
                             code=HandoffReason.REQUESTER_ASKED).ticket
    else:
        ticket = tickets.get(session, actor=actor, ticket_id=conversation.ticket_id)
    service.transition(session, conversation, ConversationEvent.HANDOFF, actor=actor)
    service.say(session, conversation, Speaker(Author.SYSTEM), phrases.phrase(
        "handed_off", conversation.facts.get("language", phrases.ENGLISH), ticket=ticket.id,
        promise=promise(ticket)))
