"""SLA clocks on real tickets with a controllable clock: business hours, pauses, breach and escalation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.tickets import service
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.escalation import sweep
from deskpilot.tickets.models import EscalationNotice
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.tickets.setup_schemas import EscalationLevelIn, EscalationTrigger
from tests.conftest import FrozenClock
from tests.factories import make_desk, make_queue, make_sla, make_team, open_ticket

# 2026-11-27 is a Friday; Berlin is UTC+1 in November, so 16:00 UTC is 17:00 local.
FRIDAY_5PM_BERLIN = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_due_times_follow_business_hours(session: Session, clock: FrozenClock) -> None:
    clock.now = FRIDAY_5PM_BERLIN
    desk = make_desk(session)
    make_sla(session, first_response=120, resolution=600)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    # 60 minutes on Friday until 18:00, the other 60 on Monday from 08:00 → Monday 09:00 Berlin = 08:00 UTC.
    assert ticket.first_response_due_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert ticket.resolution_due_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_waiting_on_customer_pauses_the_resolution_clock(session: Session, clock: FrozenClock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 Berlin
    desk = make_desk(session)
    make_sla(session, first_response=60, resolution=240)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol = Principal.of(desk.carol)
    service.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(body="Which laptop?"))
    clock.advance(minutes=60)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(minutes=120)
    report = sweep(session, now=clock.now)
    assert ticket.sla_state == "paused"
    assert report.breached == []
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.IN_PROGRESS)
    sweep(session, now=clock.now)
    # 60 minutes ran, 120 were paused: the 240-minute target is now due 120 minutes later than planned.
    assert ticket.resolution_due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_sweep_flags_near_breach_then_breach_and_escalates_once_per_level(session: Session,
                                                                        clock: FrozenClock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    desk = make_desk(session)
    leads = make_team(session, "Desk leads")
    queue = make_queue(session, "Escalating", make_team(session, "L2"), escalation=[
        EscalationLevelIn(level=1, trigger=EscalationTrigger.NEAR_BREACH, notify_team_id=leads.id),
        EscalationLevelIn(level=2, trigger=EscalationTrigger.BREACH, after_minutes=30, notify_role=Role.LEAD),
    ])
    make_sla(session, first_response=100, resolution=1000)
    ticket = open_ticket(session, desk, desk.alice, queue=queue)
    clock.advance(minutes=85)
    report = sweep(session, now=clock.now)
    assert report.near_breach == [ticket.id] and ticket.escalation_level == 1
    clock.advance(minutes=20)
    report = sweep(session, now=clock.now)
    assert report.breached == [ticket.id] and ticket.escalation_level == 1, "level 2 waits 30 min after breach"
    clock.advance(minutes=30)
    sweep(session, now=clock.now)
    sweep(session, now=clock.now)
    notices = session.scalars(select(EscalationNotice).order_by(EscalationNotice.level)).all()
    assert [(n.level, n.notify_team_id, n.notify_role) for n in notices] == [(1, leads.id, None), (2, None, "lead")]
    assert "first response breached" in notices[1].reason


def test_first_response_met_in_time_is_not_a_breach(session: Session, clock: FrozenClock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    desk = make_desk(session)
    make_sla(session, first_response=30, resolution=600)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    clock.advance(minutes=10)
    service.add_message(session, actor=Principal.of(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="On it"))
    clock.advance(minutes=60)
    report = sweep(session, now=clock.now)
    assert report.breached == [] and ticket.sla_state == "running"
