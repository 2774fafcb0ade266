"""Versioned replay sets assembled from what the desk already confirmed, plus a lead's curated cases.

A build reads four kinds of approved case:
- resolved (or closed) tickets: the redacted subject + description → the final category, queue, priority;
- confirmed deflections and resolved tickets whose reply cites an article: question → article (kb.history);
- drafts an agent sent as they were or edited: question → the answer the agent approved;
- answers and drafts the governance board reviewed: correct ones as question → article, wrong or unsafe ones
  as negative cases (question → not that article);
- curated cases of the previous version (imported by a lead), carried over with their provenance.
Every build or import writes the next version; a version is never changed afterwards, so a replay run
names exactly what it replayed.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.errors import NotFound
from deskpilot.governance import reviews
from deskpilot.governance.curated import EXPORT_ONLY, FIELDS, parse_cases
from deskpilot.governance.enums import CaseKind, CaseSource, Verdict
from deskpilot.governance.models import ReplayCase, ReplaySet
from deskpilot.kb import history
from deskpilot.kb.service import approved_versions
from deskpilot.safe_csv import SafeCsvWriter
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Queue, Ticket
from deskpilot.triage.pii import redact_pii
from deskpilot.triage.similar import ticket_text

REPLY_FIELD = "reply"  # the feedback field of a sent draft (kb.drafts)
MAX_TICKETS = 5000


def latest(session: Session) -> ReplaySet | None:
    """The newest version, or None before the first build."""
    return session.scalars(select(ReplaySet).order_by(ReplaySet.version.desc()).limit(1)).first()


def get(session: Session, *, version: int | None = None) -> ReplaySet:
    """One version, or the newest; NotFound says how to make one."""
    found = latest(session) if version is None else session.scalars(
        select(ReplaySet).where(ReplaySet.version == version)).first()
    if found is None:
        which = "no replay set yet" if version is None else f"no replay set version {version}"
        raise NotFound(f"There is {which}; assemble one with `deskpilot replay build`.")
    return found


def get_all(session: Session) -> list[ReplaySet]:
    return list(session.scalars(select(ReplaySet).order_by(ReplaySet.version.desc())))


def build(session: Session, *, actor: Principal) -> ReplaySet:
    """Assemble the next version from the desk's history and the previous version's curated cases."""
    require(actor, Permission.AI_GOVERN)
    cases = [*_resolved_tickets(session), *_answered_questions(session), *_approved_drafts(session),
             *_reviewed(session), *_curated_of(latest(session))]
    return _store(session, actor=actor, cases=cases, provenance={"made_by": "build"})


def import_file(session: Session, *, actor: Principal, name: str, content: str) -> ReplaySet:
    """The next version: the newest version's cases plus the curated cases of a CSV/YAML file (all or none)."""
    require(actor, Permission.AI_GOVERN)
    parsed = parse_cases(name, content)
    previous = latest(session)
    cases = [_copy(case) for case in (previous.cases if previous else [])]
    cases += [ReplayCase(kind=c.kind, source=CaseSource.CURATED, source_ref=f"{name} line {c.line}"[:200],
                         question=redact_pii(c.question).text, expected=c.expected) for c in parsed]
    return _store(session, actor=actor, cases=cases, provenance={"made_by": "import", "file": name,
                                                                 "imported": len(parsed)})


def export_csv(replay_set: ReplaySet) -> Iterator[str]:
    """The set anonymised, in the import format: redacted questions and expectations, no record ids."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow([*FIELDS, *EXPORT_ONLY])
    for case in replay_set.cases:
        expected = case.expected
        writer.writerow([case.kind.value, redact_pii(case.question).text,
                         *(expected.get(f, "") for f in FIELDS[2:5]), expected.get("article", ""),
                         redact_pii(str(expected.get("answer", ""))).text, expected.get("wrong_article", ""),
                         case.source.value])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def counts(replay_set: ReplaySet) -> dict[str, int]:
    """Cases per source, for the provenance line of a version."""
    return dict(Counter(case.source.value for case in replay_set.cases))


def _store(session: Session, *, actor: Principal, cases: list[ReplayCase], provenance: dict[str, object]
           ) -> ReplaySet:
    version = (session.scalar(select(func.max(ReplaySet.version))) or 0) + 1
    replay_set = ReplaySet(version=version, created_by=actor.username, provenance={}, cases=cases)
    replay_set.provenance = {**provenance, "counts": counts(replay_set)}
    session.add(replay_set)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="replay_set.created",
                 subject_type="replay_set", subject_id=version, after=replay_set.provenance)
    return replay_set


def _copy(case: ReplayCase) -> ReplayCase:
    return ReplayCase(kind=case.kind, source=case.source, source_ref=case.source_ref, question=case.question,
                      expected=dict(case.expected))


def _curated_of(previous: ReplaySet | None) -> list[ReplayCase]:
    return [_copy(c) for c in (previous.cases if previous else []) if c.source == CaseSource.CURATED]


def _resolved_tickets(session: Session) -> list[ReplayCase]:
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.description, Ticket.category, Ticket.priority, Queue.name)
        .outerjoin(Queue, Queue.id == Ticket.queue_id)
        .where(Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED]), Ticket.category.is_not(None),
               Ticket.merged_into_id.is_(None))
        .order_by(Ticket.id.desc()).limit(MAX_TICKETS))
    return [ReplayCase(kind=CaseKind.TRIAGE, source=CaseSource.RESOLVED_TICKET, source_ref=f"ticket:{ticket_id}",
                       question=ticket_text(subject, description),
                       expected={"category": category, "queue": queue or "", "priority": priority.value})
            for ticket_id, subject, description, category, priority, queue in rows]


def _answered_questions(session: Session) -> list[ReplayCase]:
    answering = history.answering_articles(session, approved=approved_versions(session))
    found = history.answered_questions(session, answering=answering)
    return [ReplayCase(kind=CaseKind.ANSWER,
                       source=CaseSource.DEFLECTION if q.key.startswith("deflection:") else CaseSource.RESOLVED_TICKET,
                       source_ref=q.key[:200], question=q.question, expected={"article": q.slug})
            for q in found]


def _approved_drafts(session: Session) -> list[ReplayCase]:
    rows = session.execute(
        select(AiDecision.id, AiDecision.input_redacted, AiDecision.sources, AiFeedback.final_value)
        .join(AiFeedback, AiFeedback.decision_id == AiDecision.id)
        .where(AiDecision.kind == DecisionKind.DRAFT, AiFeedback.field == REPLY_FIELD,
               AiFeedback.action.in_([FeedbackAction.ACCEPTED, FeedbackAction.EDITED]))
        .order_by(AiFeedback.id.desc()).limit(MAX_TICKETS))
    cases = []
    for decision_id, question, sources, final in rows:
        if not question.strip() or not (final or "").strip():
            continue
        first = sources[0] if isinstance(sources, list) and sources and isinstance(sources[0], dict) else {}
        expected = {"answer": redact_pii(final or "").text}
        if isinstance(first.get("slug"), str):
            expected["article"] = first["slug"]
        cases.append(ReplayCase(kind=CaseKind.ANSWER, source=CaseSource.DRAFT, source_ref=f"decision:{decision_id}",
                                question=question, expected=expected))
    return cases


def _reviewed(session: Session) -> list[ReplayCase]:
    cases = []
    for item in reviews.reviewed_answers(session):
        expected = {"article": item.article} if item.verdict is Verdict.CORRECT else {"wrong_article": item.article}
        cases.append(ReplayCase(kind=CaseKind.ANSWER, source=CaseSource.REVIEW, source_ref=f"review:{item.id}",
                                question=item.question, expected=expected))
    return cases
