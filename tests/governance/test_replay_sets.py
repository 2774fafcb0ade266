"""Replay sets: assembled from what the desk confirmed, versioned with provenance, curated cases imported
from CSV/YAML all-or-nothing with the line at fault, and exported anonymised."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions import record_decision, record_feedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.governance import replay_sets
from deskpilot.governance.enums import CaseKind, CaseSource
from deskpilot.governance.models import ReplaySet
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from tests.factories import make_user
from tests.governance.conftest import resolved_history

CURATED_CSV = """kind,question,category,queue,priority,article,answer
triage,My laptop screen flickers since this morning,Hardware,,P3,,
answer,How do I connect to the VPN from home?,,,,vpn-setup,
"""
CURATED_YAML = """
- question: Please reset the password of ops@northwind.example
  category: Access
  priority: P2
- kind: answer
  question: Where is the printer driver?
  answer: Install it from the Software Center.
"""


def test_build_assembles_resolved_tickets_and_approved_drafts_redacted(session: Session) -> None:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    tickets = resolved_history(session)
    tickets[0].description += " Call me at jo.doe@northwind.example"
    session.add(Ticket(subject="still open", description="", category="Hardware", status=TicketStatus.OPEN,
                       requester_id=tickets[0].requester_id))
    draft = record_decision(session, kind=DecisionKind.DRAFT, model_version="kb", input_redacted="VPN drops hourly",
                            outputs={"text": "Reinstall the client."}, confidence=0.8, abstained=False,
                            sources=[{"slug": "vpn-setup", "version": 1}], subject_type="ticket", subject_id=1)
    record_feedback(session, decision_id=draft.id, field="reply", action=FeedbackAction.EDITED,
                    suggested_value="Reinstall the client.", final_value="Reinstall the VPN client and reboot.",
                    actor_id=None, actor_name="carol")
    session.commit()

    built = replay_sets.build(session, actor=lead)
    session.commit()

    triage = [c for c in built.cases if c.kind == CaseKind.TRIAGE]
    assert len(triage) == len(tickets)  # the open ticket is not an approved case
    first = next(c for c in triage if c.source_ref == f"ticket:{tickets[0].id}")
    assert first.expected == {"category": tickets[0].category, "queue": "", "priority": tickets[0].priority.value}
    assert "jo.doe@northwind.example" not in first.question and "[EMAIL]" in first.question
    drafts = [c for c in built.cases if c.source == CaseSource.DRAFT]
    assert [(d.question, d.expected) for d in drafts] == [
        ("VPN drops hourly", {"answer": "Reinstall the VPN client and reboot.", "article": "vpn-setup"})]
    assert built.version == 1 and built.provenance["counts"] == {"resolved_ticket": len(tickets), "draft": 1}
    assert replay_sets.build(session, actor=lead).version == 2


def test_curated_cases_import_as_a_new_version_and_survive_the_next_build(session: Session) -> None:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    resolved_history(session)
    replay_sets.build(session, actor=lead)
    imported = replay_sets.import_file(session, actor=lead, name="cases.csv", content=CURATED_CSV)
    imported = replay_sets.import_file(session, actor=lead, name="more.yaml", content=CURATED_YAML)
    session.commit()

    curated = [c for c in imported.cases if c.source == CaseSource.CURATED]
    assert [c.source_ref for c in curated] == ["cases.csv line 2", "cases.csv line 3", "more.yaml line 2",
                                               "more.yaml line 5"]
    assert curated[1].expected == {"article": "vpn-setup"} and curated[1].kind == CaseKind.ANSWER
    assert "ops@northwind.example" not in curated[2].question
    rebuilt = replay_sets.build(session, actor=lead)
    assert rebuilt.version == 4
    assert [c.source_ref for c in rebuilt.cases if c.source == CaseSource.CURATED] == [c.source_ref for c in curated]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("cases.csv", "question,category\nfine,Hardware\n,Hardware\n", "cases.csv line 3: the question is empty"),
    ("cases.csv", "question,category,colour\nx,Hardware,red\n", "line 1"),
    ("cases.csv", "question,category,priority\nx,Hardware,P9\n", "cases.csv line 2: priority 'P9'"),
    ("cases.yaml", "- question: x\n  category: Hardware\n- question: y\n", "cases.yaml line 3"),
    ("cases.yaml", "- question: x\n  category: [unclosed\n", "cases.yaml line 3: not valid YAML"),
    ("cases.txt", "question\nx\n", ".csv, .yaml or .yml"),
])
def test_a_bad_curated_file_names_the_line_and_imports_nothing(session: Session, name: str, content: str,
                                                               message: str) -> None:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace("[", r"\[")):
        replay_sets.import_file(session, actor=lead, name=name, content=content)
    assert session.scalar(select(func.count()).select_from(ReplaySet)) == 0


def test_export_is_anonymised_and_imports_again(session: Session) -> None:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    tickets = resolved_history(session)
    tickets[1].subject = "Badge for visitor +49 170 1234567 at desk"
    session.commit()
    built = replay_sets.build(session, actor=lead)
    exported = "".join(replay_sets.export_csv(built))
    assert "1234567" not in exported and f"ticket:{tickets[1].id}" not in exported
    again = replay_sets.import_file(session, actor=lead, name="export.csv", content=exported)
    assert len(again.cases) == 2 * len(built.cases)


def test_agents_may_not_build_replay_sets(session: Session) -> None:
    agent = Principal.of(make_user(session, "carol", Role.AGENT))
    with pytest.raises(PermissionDenied):
        replay_sets.build(session, actor=agent)
