"""The e-mail channel's handling time reaches the KPI report through the report's figure seam (analytics reads
no channel table), in the API and on the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from deskpilot.channels.email.models import InboundMail, InboundStatus
from tests.api.conftest import Clients
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
