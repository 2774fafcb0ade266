"""What the audit log and the AI decision records hold about a person: events they caused, events and AI
decisions about the records the other owners listed as theirs (`Section.subjects`), and feedback they gave."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.models import AuditEvent
from deskpilot.personal_data import Person, Section, columns


def _about(type_column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
           id_column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
           subjects: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    by_type: dict[str, list[str]] = defaultdict(list)
    for subject_type, subject_id in subjects:
        by_type[subject_type].append(subject_id)
    if not by_type:
        return false()
    return or_(*(and_(type_column == kind, id_column.in_(ids)) for kind, ids in sorted(by_type.items())))


def collect(session: Session, *, person: Person, subjects: set[tuple[str, str]]) -> Section:
    events = session.scalars(select(AuditEvent).where(or_(
        AuditEvent.actor_id == person.user_id, _about(AuditEvent.subject_type, AuditEvent.subject_id, subjects)))
        .order_by(AuditEvent.seq))
    decision_ids = [int(subject_id) for kind, subject_id in subjects if kind == "ai_decision"]
    decisions = list(session.scalars(select(AiDecision).where(or_(
        AiDecision.id.in_(decision_ids), _about(AiDecision.subject_type, AiDecision.subject_id, subjects)))
        .order_by(AiDecision.id)))
    feedback = session.scalars(select(AiFeedback).where(or_(
        AiFeedback.actor_id == person.user_id, AiFeedback.decision_id.in_([d.id for d in decisions])))
        .order_by(AiFeedback.id))
    return Section(
        name="audit", description="Audit log events the person caused or that concern their records (with the "
        "values before and after), the AI's decisions about their requests (the redacted input, the model "
        "version, the sources and the confidence), and the feedback on those decisions.",
        records={"audit_events": [columns(event) for event in events],
                 "ai_decisions": [columns(decision) for decision in decisions],
                 "ai_feedback": [columns(item) for item in feedback]})
