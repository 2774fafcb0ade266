"""What the audit log and the AI decision records hold about a person: events they caused, events and AI
decisions about the records the other owners listed as theirs (`Section.subjects`), and feedback they gave.
Erasing empties the AI's inputs about them, scrubs its outputs and the feedback, and redacts the audit events
about them or naming them (`audit/redaction.py`), so the chain still verifies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from deskpilot.audit import redaction
from deskpilot.audit.chain import canonical
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.keyring import current_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.verification import keyed_hash
from deskpilot.personal_data import ERASED, Change, Erasure, Person, Section, columns


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
        .order_by(AuditEvent.chain, AuditEvent.seq))
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


def erase(session: Session, *, erasure: Erasure, subjects: set[tuple[str, str]], apply: bool,
          reason: str) -> list[Change]:
    """Erase the person from the AI decision records and redact the audit events about or naming them."""
    person = erasure.person
    decision_ids = [int(subject_id) for kind, subject_id in subjects if kind == "ai_decision"]
    about = list(session.scalars(select(AiDecision).where(or_(
        AiDecision.id.in_(decision_ids), _about(AiDecision.subject_type, AiDecision.subject_id, subjects)))))
    about_ids = {decision.id for decision in about}
    naming = [decision for decision in session.scalars(select(AiDecision).where(AiDecision.id.not_in(about_ids)))
              if erasure.mentions(decision.input_redacted) or erasure.mentions(canonical(
                  [decision.outputs, decision.sources, decision.explanation]))]
    feedback = [item for item in session.scalars(select(AiFeedback)) if item.decision_id in about_ids
                or item.actor_id == person.user_id
                or erasure.mentions(canonical([item.suggested_value, item.final_value, item.reason]))]
    about_events = set(session.scalars(select(AuditEvent.id).where(or_(
        AuditEvent.actor_id == person.user_id, _about(AuditEvent.subject_type, AuditEvent.subject_id, subjects)))))
    sealed = select(AuditEvent).where(AuditEvent.seq > 0).order_by(AuditEvent.chain, AuditEvent.seq)
    events = [event for event in session.scalars(sealed)
              if redaction.redaction_record(event) is None and not event.action.startswith("privacy.erasure")
              and (event.id in about_events or erasure.mentions(
                  canonical([event.actor_name, event.before, event.after])))]
    key = current_keyring().key
    # A row that does not verify is left as it is: redacting it would seal whatever was done to it.
    sealable = [event for event in events if keyed_hash(event, key) == event.hash]
    if apply:
        for decision in about:
            decision.input_redacted = ERASED
        for decision in [*about, *naming]:
            decision.input_redacted = erasure.scrub(decision.input_redacted)
            decision.outputs = erasure.scrub_json(decision.outputs)
            decision.sources = erasure.scrub_json(decision.sources)
            decision.explanation = erasure.scrub_json(decision.explanation)
        for item in feedback:
            item.suggested_value = None if item.suggested_value is None else erasure.scrub(item.suggested_value)
            item.final_value = None if item.final_value is None else erasure.scrub(item.final_value)
            item.reason = None if item.reason is None else erasure.scrub(item.reason)
        if sealable:
            redaction.allow_redaction(session)
        for event in sealable:
            pseudonym = erasure.pseudonym if erasure.mentions(event.actor_name) else None
            redaction.redact(event, key=key, reason=reason, actor_name=pseudonym)
        session.flush()
    return [Change("audit", "ai_decisions", len(about), "input erased, outputs scrubbed"),
            Change("audit", "ai_decisions_naming", len(naming), "identifiers scrubbed"),
            Change("audit", "ai_feedback", len(feedback), "identifiers scrubbed"),
            Change("audit", "audit_events", len(sealable), "payload redacted (original hash kept, chain verifies)"),
            Change("audit", "audit_events_not_verifying", len(events) - len(sealable),
                   "left as they are: they fail `deskpilot audit verify` or predate the keyed chain")]
