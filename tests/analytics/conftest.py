"""A constructed desk history with hand-computed KPIs (see test_kpi_arithmetic.py for the arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets import facts
from deskpilot.tickets import service as tickets
from deskpilot.tickets.calendar import BusinessCalendar
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate
from tests.conftest import FrozenClock
from tests.factories import Desk, make_desk, make_sla

MODEL = "triage-category:v0001+triage-priority:none"


@dataclass
class History:
    desk: Desk
    t1: Ticket
    t2: Ticket
    t3: Ticket
    t4: Ticket


def _reply(session: Session, actor: Principal, ticket: Ticket, body: str = "reply") -> None:
    tickets.add_message(session, actor=actor, ticket_id=ticket.id, data=MessageCreate(body=body))


def _triage(session: Session, ticket: Ticket, *, category: str | None, priority: str, queue_id: int,
            abstained: bool = False) -> int:
    decision = decisions.record_decision(
        session, kind=DecisionKind.TRIAGE, model_version=MODEL, input_redacted=ticket.subject,
        outputs={"category": category, "priority": priority, "queue_id": queue_id}, confidence=0.9 if not abstained
        else 0.2, abstained=abstained)
    facts.link_triage(session, decision_id=decision.id, ticket_id=ticket.id)
    return decision.id


def _draft(session: Session, ticket: Ticket) -> int:
    return decisions.record_decision(session, kind=DecisionKind.DRAFT, model_version="kb-hybrid/test",
                                     input_redacted=ticket.subject, outputs={"text": "draft"}, confidence=0.8,
                                     abstained=False, subject_type="ticket", subject_id=ticket.id).id


def _feedback(session: Session, decision_id: int, field: str, action: FeedbackAction) -> None:
    decisions.record_feedback(session, decision_id=decision_id, field=field, action=action, suggested_value="x",
                              final_value="y", actor_id=None, actor_name="test")


@pytest.fixture
def history(session: Session, clock: FrozenClock) -> History:
    """Four tickets opened Mon 2026-11-23 09:00 UTC on a 24x7 SLA (first reply 60 min, resolution 24 h), and
    one duplicate merged away. The clock ends Tue 2026-11-24 12:00."""
    desk = make_desk(session)
    make_sla(session, priority="P3", first_response=60, resolution=1440,
             definition=BusinessCalendar.always_open().to_dict())
    alice, carol, lena = (Principal.of(u) for u in (desk.alice, desk.carol, desk.lena))

    def new(channel: Channel = Channel.PORTAL) -> Ticket:
        ticket = tickets.create(session, actor=alice, data=TicketCreate(subject="Laptop broken", channel=channel))
        return ticket

    t1, t2, t3, t4, dup = new(), new(), new(), new(Channel.EMAIL), new()
    for ticket in (t1, t2, t3, dup):
        tickets.update(session, actor=lena, ticket_id=ticket.id,
                       data=TicketUpdate(queue_id=desk.service_desk.id, category="Hardware"))
    tickets.update(session, actor=lena, ticket_id=t4.id, data=TicketUpdate(queue_id=desk.network.id))
    triage = {t1.id: _triage(session, t1, category="Hardware", priority="P3", queue_id=desk.service_desk.id),
              t2.id: _triage(session, t2, category="Access", priority="P2", queue_id=desk.service_desk.id),
              t3.id: _triage(session, t3, category=None, priority="P3", queue_id=desk.service_desk.id,
                             abstained=True)}
    _triage(session, t1, category="Storage", priority="P1", queue_id=desk.network.id)  # a later re-triage
    tickets.merge(session, actor=carol, ticket_id=dup.id, into_ticket_id=t1.id)
    _feedback(session, triage[t1.id], "category", FeedbackAction.ACCEPTED)
    _feedback(session, triage[t2.id], "category", FeedbackAction.OVERRIDDEN)
    _feedback(session, _draft(session, t1), "reply", FeedbackAction.EDITED)
    _feedback(session, _draft(session, t2), "reply", FeedbackAction.REJECTED)

    clock.advance(minutes=30)   # 09:30
    _reply(session, carol, t1)
    clock.advance(minutes=30)   # 10:00
    _reply(session, carol, t2)
    tickets.change_status(session, actor=carol, ticket_id=t2.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=1)      # 11:00
    _reply(session, carol, t3)
    clock.advance(hours=1)      # 12:00
    tickets.change_status(session, actor=carol, ticket_id=t3.id, target=TicketStatus.RESOLVED)
    clock.advance(hours=1)      # 13:00
    tickets.change_status(session, actor=carol, ticket_id=t1.id, target=TicketStatus.RESOLVED)
    tickets.change_status(session, actor=alice, ticket_id=t1.id, target=TicketStatus.CLOSED)
    tickets.change_status(session, actor=alice, ticket_id=t3.id, target=TicketStatus.OPEN)
    clock.advance(hours=1)      # 14:00
    tickets.add_message(session, actor=alice, ticket_id=t2.id,
                        data=MessageCreate(body="still broken", kind=MessageKind.PUBLIC_REPLY))
    clock.advance(hours=1)      # 15:00
    _reply(session, carol, t2)
    tickets.change_status(session, actor=carol, ticket_id=t3.id, target=TicketStatus.RESOLVED)
    clock.advance(hours=2)      # 17:00
    tickets.change_status(session, actor=carol, ticket_id=t2.id, target=TicketStatus.RESOLVED)
    clock.advance(hours=19)     # Tue 12:00
    session.commit()
    return History(desk, t1, t2, t3, t4)
