"""The e-mail channel's handling time reaches the KPI report through the report's figure seam (analytics reads
no channel table), in the API and on the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.models import InboundMail
from deskpilot.tickets import service as tickets
from deskpilot.tickets import work_time
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.schemas import MessageCreate
from tests.api.conftest import Clients
from tests.conftest import FrozenClock
from tests.factories import Desk, open_ticket


def _answered_mail(session: Session, desk: Desk, minutes: float) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    received = datetime.now(UTC)
    session.add(InboundMail(message_id=f"<{ticket.id}@example.org>", mailbox="INBOX", status=InboundStatus.PROCESSED,
                            raw_sha256="0" * 64, raw_size=1, raw_path="x", ticket_id=ticket.id, received_at=received,
                            first_response_at=received, first_response_minutes=minutes))


def test_the_kpi_report_keeps_the_e_mail_handling_time(clients: Clients, session: Session, desk: Desk) -> None:
    _answered_mail(session, desk, 30.0)
    _answered_mail(session, desk, 90.0)
    session.commit()
    response = clients["lena"].get("/api/v1/analytics/kpis")
    assert response.status_code == 200, response.text
    [kpi] = [k for k in response.json()["kpis"] if k["key"] == "email_first_response_minutes"]
    assert (kpi["value"], kpi["numerator"], kpi["denominator"]) == (60.0, 120.0, 2)


def _email_ticket_replied(session: Session, desk: Desk, clock: FrozenClock, *, minutes: float,
                          ai_assisted: bool) -> None:
    """An e-mail ticket that carol opens in the console and answers `minutes` later."""
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    ticket.channel = Channel.EMAIL
    carol = Principal.of(desk.carol)
    assert work_time.record_start(session, actor=carol, ticket_id=ticket.id) is not None
    clock.advance(minutes=minutes / 2)
    assert work_time.record_start(session, actor=carol, ticket_id=ticket.id) is None, "once between replies"
    assert work_time.record_start(session, actor=Principal.of(desk.audrey), ticket_id=ticket.id) is None
    clock.advance(minutes=minutes / 2)
    tickets.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(
        body="Restart the router, please.", kind=MessageKind.PUBLIC_REPLY, channel=Channel.EMAIL,
        ai_assisted=ai_assisted))
    clock.advance(minutes=60)


def test_agent_minutes_per_e_mail_with_and_without_an_ai_draft(clients: Clients, session: Session, desk: Desk,
                                                               clock: FrozenClock) -> None:
    clock.now = datetime.now(UTC) - timedelta(hours=5)
    _email_ticket_replied(session, desk, clock, minutes=4.5, ai_assisted=False)
    _email_ticket_replied(session, desk, clock, minutes=1.5, ai_assisted=True)
    _email_ticket_replied(session, desk, clock, minutes=1.0, ai_assisted=True)
    session.commit()
    kpis = {k["key"]: k for k in clients["lena"].get("/api/v1/analytics/kpis").json()["kpis"]}
    assert (kpis["email_agent_minutes"]["value"], kpis["email_agent_minutes"]["denominator"]) == (7.0 / 3, 3)
    assert kpis["email_agent_minutes_ai_draft"]["value"] == 1.25
    assert kpis["email_agent_minutes_no_draft"]["value"] == 4.5
