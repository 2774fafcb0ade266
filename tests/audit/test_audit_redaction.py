"""Redacting a row's payload for an erasure keeps the chain verifiable, and a redacted row is as tamper-evident
as any other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import redaction
from deskpilot.audit import service as audit
from deskpilot.audit.keyring import current_keyring
from deskpilot.audit.models import AuditEvent


def _record(session: Session, n: int) -> None:
    for i in range(n):
        audit.record(session, actor_id=7, actor_name="zorana", action="ticket.update", subject_type="ticket",
                     subject_id=i, before={"description": "old"}, after={"description": f"call +1 555 0142 {i}"})
    session.commit()


def test_a_redacted_row_keeps_its_hash_the_chain_verifies_and_an_edit_of_it_is_caught(session: Session) -> None:
    _record(session, 3)
    key = current_keyring().key
    middle = session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    original_hash = middle.hash
    redaction.allow_redaction(session)
    assert redaction.redact(middle, key=key, reason="erasure of user 7", actor_name="erased-7")
    assert not redaction.redact(middle, key=key, reason="again"), "a redacted row is not redacted twice"
    session.commit()
    _record(session, 1)
    stored = session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    assert stored.hash == original_hash and stored.before is None and stored.actor_name == "erased-7"
    assert "0142" not in str(stored.after)
    assert audit.verify(session).ok
    redaction.allow_redaction(session)
    stored.actor_name = "zorana"
    session.commit()
    problems = audit.verify(session).problems
    assert [problem.seq for problem in problems] == [2]
