"""The per-ticket facts the KPI reports read (tickets/facts.py) stay right through replies, pauses, reopens,
merges, imports and triage, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.db import session_factory
from deskpilot.tickets import facts, service
from deskpilot.tickets.enums import Channel, MessageKind, Priority, TicketStatus
from deskpilot.tickets.history import HistoricalTicket, import_history
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import MessageCreate
from tests.conftest import FrozenClock
from tests.factories import Desk, make_desk, open_ticket

HOUR = 3600.0


def _reply(session: Session, desk: Desk, who: Principal, ticket: Ticket, *,
           kind: MessageKind = MessageKind.PUBLIC_REPLY) -> None:
    service.add_message(session, actor=who, ticket_id=ticket.id, data=MessageCreate(body="text", kind=kind))


def _stored(session: Session, ticket: Ticket) -> Ticket:
    """The ticket as the database has it (what the reports read)."""
    session.commit()
    session.expire_all()
    found = session.get(Ticket, ticket.id)
    assert found is not None
    return found


def test_agent_replies_count_public_replies_by_people_other_than_the_requester(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol, lena, alice = Principal.of(desk.carol), Principal.of(desk.lena), Principal.of(desk.alice)
    _reply(session, desk, carol, ticket)
    _reply(session, desk, alice, ticket)                                   # the requester's own words
    _reply(session, desk, carol, ticket, kind=MessageKind.INTERNAL_NOTE)  # not seen by the requester
    _reply(session, desk, lena, ticket)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED,
                          comment="Fixed: the VPN profile was outdated.")
    assert _stored(session, ticket).agent_replies == 3
    counted = session.scalar(select(func.count()).select_from(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.kind == MessageKind.PUBLIC_REPLY,
        TicketMessage.author_id != desk.alice.id))
    assert counted == 3


def test_replies_written_at_once_from_two_sessions_are_both_counted(session: Session, engine: Engine) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    with session_factory(engine)() as other:
        stale = other.get(Ticket, ticket.id)  # read before the first reply is stored, kept in memory
        other.commit()
        _reply(session, desk, Principal.of(desk.carol), ticket)
        session.commit()
        _reply(other, desk, Principal.of(desk.lena), stale)  # type: ignore[arg-type]
        other.commit()
    assert _stored(session, ticket).agent_replies == 2


def test_paused_seconds_add_up_every_wait_on_the_customer(session: Session, clock: FrozenClock) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol, alice = Principal.of(desk.carol), Principal.of(desk.alice)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=2)
    _reply(session, desk, alice, ticket)  # the requester answers: the clock runs again
    assert _stored(session, ticket).paused_seconds == pytest.approx(2 * HOUR)
    clock.advance(hours=1)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(minutes=30)
    assert _stored(session, ticket).paused_seconds == pytest.approx(2 * HOUR)  # still waiting: not yet counted
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    assert _stored(session, ticket).paused_seconds == pytest.approx(2.5 * HOUR)


def test_a_reopened_ticket_keeps_its_earlier_pauses_and_adds_later_ones(session: Session, clock: FrozenClock) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol, alice = Principal.of(desk.carol), Principal.of(desk.alice)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=1)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    service.change_status(session, actor=alice, ticket_id=ticket.id, target=TicketStatus.OPEN)
    reopened = _stored(session, ticket)
    assert (reopened.paused_seconds, reopened.reopen_count, reopened.resolved_at) == (pytest.approx(HOUR), 1, None)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(minutes=45)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    assert _stored(session, ticket).paused_seconds == pytest.approx(1.75 * HOUR)


def test_merging_closes_the_duplicates_pause_and_leaves_the_survivors_replies(session: Session,
                                                                             clock: FrozenClock) -> None:
    desk = make_desk(session)
    survivor = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    duplicate = open_ticket(session, desk, desk.bob, queue=desk.service_desk)
    carol = Principal.of(desk.carol)
    _reply(session, desk, carol, survivor)
    service.change_status(session, actor=carol, ticket_id=duplicate.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(minutes=20)
    service.merge(session, actor=carol, ticket_id=duplicate.id, into_ticket_id=survivor.id)
    assert _stored(session, survivor).agent_replies == 1  # the merge note is internal
    merged = _stored(session, duplicate)
    assert (merged.status, merged.paused_seconds) == (TicketStatus.MERGED, pytest.approx(20 * 60))


def test_an_imported_ticket_brings_its_replies_and_its_open_pause(session: Session) -> None:
    desk = make_desk(session)
    created = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    records = [
        HistoricalTicket("INC-1", "Printer jam", "Tray 2", "Hardware", desk.service_desk.id, Priority.P3,
                         Channel.EMAIL, TicketStatus.CLOSED, created, desk.alice.id, desk.carol.id,
                         created + timedelta(hours=1), created + timedelta(hours=3), "Cleared the jam."),
        # Imported as resolved while still waiting: the pause counts up to the resolution.
        HistoricalTicket("INC-2", "Access request", "", None, None, Priority.P3, Channel.PORTAL,
                         TicketStatus.WAITING_ON_CUSTOMER, created, desk.bob.id, desk.carol.id,
                         created + timedelta(hours=2), created + timedelta(hours=6), None),
    ]
    assert import_history(session, actor=Principal.of(desk.adam), records=records) == 2
    session.commit()
    found = {t.external_id: t for t in session.scalars(select(Ticket).where(Ticket.external_id.is_not(None)))}
    assert (found["INC-1"].agent_replies, found["INC-1"].paused_seconds) == (1, 0.0)
    assert (found["INC-2"].agent_replies, found["INC-2"].paused_seconds) == (0, pytest.approx(4 * HOUR))


def test_imported_tickets_keep_their_own_times_and_the_import_order(session: Session) -> None:
    desk = make_desk(session)
    created = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    records = [HistoricalTicket(f"INC-{n}", f"Printer jam {n}", "Tray 2", "Hardware", desk.service_desk.id,
                                Priority.P3, Channel.EMAIL, TicketStatus.CLOSED, created + timedelta(days=n),
                                desk.alice.id, desk.carol.id, created + timedelta(days=n, hours=1),
                                created + timedelta(days=n, hours=3), "Cleared the jam.") for n in (3, 1, 2)]
    assert import_history(session, actor=Principal.of(desk.adam), records=records) == 3
    session.commit()
    imported = list(session.scalars(select(Ticket).where(Ticket.external_id.is_not(None)).order_by(Ticket.id)))
    assert [t.external_id for t in imported] == ["INC-3", "INC-1", "INC-2"]
    assert [t.updated_at for t in imported] == [r.resolved_at for r in records]


def _triage(session: Session, ticket: Ticket | None, category: str | None, *, abstained: bool = False) -> AiDecision:
    decision = decisions.record_decision(
        session, kind=DecisionKind.TRIAGE, model_version="triage-category:v0001+triage-priority:none",
        input_redacted="VPN drops", outputs={"category": category, "priority": "P2", "queue_id": 7},
        confidence=0.8, abstained=abstained)
    if ticket is not None:
        facts.link_triage(session, decision_id=decision.id, ticket_id=ticket.id)
    return decision


def test_the_intake_triage_is_the_first_triage_decision_about_the_ticket(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    # Intake: triage runs before the ticket exists and is linked to it afterwards.
    intake = _triage(session, None, "Network")
    retriage = _triage(session, ticket, "Access", abstained=True)
    facts.link_triage(session, decision_id=intake.id, ticket_id=ticket.id)
    later = _triage(session, None, "Hardware")
    facts.link_triage(session, decision_id=later.id, ticket_id=ticket.id)
    stored = _stored(session, ticket)
    assert (stored.intake_triage_id, stored.intake_category, stored.intake_queue_id, stored.intake_priority,
            stored.intake_abstained) == (intake.id, "Network", 7, "P2", False)
    assert retriage.id > intake.id


def test_decisions_keep_their_category_and_feedback_keeps_the_decision_kind(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    decision = _triage(session, ticket, "Network")
    decision.outputs = {"category": "Access", "priority": "P3"}  # triage fills its outputs in after recording
    feedback = decisions.record_feedback(session, decision_id=decision.id, field="category",
                                         action=FeedbackAction.OVERRIDDEN, suggested_value="Access",
                                         final_value="Network", actor_id=desk.carol.id, actor_name="carol")
    session.commit()
    session.expire_all()
    assert session.get(AiDecision, decision.id).category == "Access"  # type: ignore[union-attr]
    assert feedback.decision_kind is DecisionKind.TRIAGE
