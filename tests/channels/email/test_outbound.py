"""The outbox: acknowledgements and agents' replies reach an SMTP server, threaded, retried, never dropped."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.principal import Principal
from deskpilot.channels.email import delivery, outbound
from deskpilot.channels.email.enums import OutboundKind, OutboundStatus
from deskpilot.channels.email.intake import IntakeOutcome, MailSource, ingest
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.smtp import receive, start_listener
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.mailserver.smtp import SmtpTransport
from deskpilot.tickets import service as tickets
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import SmtpSink, free_port, mail
from tests.conftest import FrozenClock
from tests.factories import make_desk


def _transport(sink: SmtpSink) -> SmtpTransport:
    return SmtpTransport(host=sink.host, port=sink.port, timeout=10)


def _ingest(factory: sessionmaker[Session], settings: Settings, mail_triage: TriageEngine, raw: bytes) -> int:
    result = receive(factory, settings=settings, triage=mail_triage, raw=raw)
    assert result.ticket_id is not None, result
    return result.ticket_id


def test_an_agents_approved_reply_arrives_with_correct_threading_headers(
        factory: sessionmaker[Session], mail_settings: Settings, smtp_sink: SmtpSink, clock: FrozenClock,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        desk = make_desk(session)
    question = mail(sender="alice@northwind.example", message_id="q1@northwind.example")
    ticket_id = _ingest(factory, mail_settings, mail_triage, question)
    clock.advance(minutes=42)

    with unit_of_work(factory) as session:
        outbound.send_reply(session, settings=mail_settings, actor=Principal.of(desk.lena), ticket_id=ticket_id,
                            body="Please power-cycle the printer and try again.")
    report = delivery.deliver_due(factory, settings=mail_settings, transport=_transport(smtp_sink))

    assert report.sent == 2
    ack, reply = smtp_sink.received
    assert reply["To"] == "alice@northwind.example"
    assert reply["Subject"] == f"Re: Printer on floor 3 is jammed [DP-{ticket_id}]"
    assert reply["In-Reply-To"] == "<q1@northwind.example>"
    assert reply["References"].split() == ["<q1@northwind.example>", ack["Message-ID"]]
    assert reply["Message-ID"].endswith("@desk.example>") and reply["Auto-Submitted"] == "no"
    assert ack["Auto-Submitted"] == "auto-replied" and f"DP-{ticket_id}" in ack.get_content()
    assert "power-cycle" in reply.get_content()
    with factory() as session:
        inbound = session.scalars(select(InboundMail)).one()
        assert inbound.first_response_minutes == 42.0

    answer = mail(sender="alice@northwind.example", subject=f"Re: {reply['Subject']}", body="Done, it prints.",
                  in_reply_to=reply["Message-ID"].strip("<>"))
    assert receive(factory, settings=mail_settings, triage=mail_triage, raw=answer).ticket_id == ticket_id


def test_an_unreachable_server_is_retried_with_backoff_and_the_mail_is_never_dropped(
        factory: sessionmaker[Session], mail_settings: Settings, smtp_sink: SmtpSink, clock: FrozenClock,
        mail_triage: TriageEngine) -> None:
    _ingest(factory, mail_settings, mail_triage, mail())
    down = SmtpTransport(host="127.0.0.1", port=free_port(), timeout=5)

    first = delivery.deliver_due(factory, settings=mail_settings, transport=down)
    early = delivery.deliver_due(factory, settings=mail_settings, transport=down)
    clock.advance(seconds=61)
    second = delivery.deliver_due(factory, settings=mail_settings, transport=down)
    with factory() as session:
        queued = session.scalars(select(OutboundMail)).one()
        assert (queued.status, queued.attempts) == (OutboundStatus.QUEUED, 2)
        assert queued.next_attempt_at == clock.now + timedelta(seconds=120)
    clock.advance(seconds=121)
    smtp_sink.refuse = True
    third = delivery.deliver_due(factory, settings=mail_settings, transport=_transport(smtp_sink))

    assert (first.retrying, early.retrying + early.sent, second.retrying, third.failed) == (1, 0, 1, 1)
    with unit_of_work(factory) as session:
        failed = session.scalars(select(OutboundMail)).one()
        assert failed.status is OutboundStatus.FAILED and "451" in (failed.last_error or "")
        assert delivery.retry_failed(session) == 1
    smtp_sink.refuse = False
    assert delivery.deliver_due(factory, settings=mail_settings, transport=_transport(smtp_sink)).sent == 1
    assert len(smtp_sink.received) == 1


def test_replies_written_in_the_console_are_queued_once_and_history_is_never_sent(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        desk = make_desk(session)
    ticket_id = _ingest(factory, mail_settings, mail_triage, mail(sender="bob@northwind.example"))
    with unit_of_work(factory) as session:
        tickets.add_message(session, actor=Principal.of(desk.lena), ticket_id=ticket_id,
                            data=MessageCreate(body="Which printer model is it?"))
        tickets.add_message(session, actor=Principal.of(desk.lena), ticket_id=ticket_id,
                            data=MessageCreate(body="internal: check the spooler", kind="internal_note"))

    with unit_of_work(factory) as session:
        assert outbound.queue_pending_replies(session, settings=mail_settings) == 1
    with unit_of_work(factory) as session:
        assert outbound.queue_pending_replies(session, settings=mail_settings) == 0
        replies = session.scalars(select(OutboundMail).where(OutboundMail.kind == OutboundKind.REPLY)).all()
        assert [r.body for r in replies] == ["Which printer model is it?"]
        assert replies[0].to_address == "bob@northwind.example"


def test_acknowledgements_can_be_turned_off(factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    quiet = mail_settings.model_copy(update={"mail_acknowledge": False})
    _ingest(factory, quiet, mail_triage, mail())
    with factory() as session:
        assert session.scalars(select(OutboundMail)).all() == []


@pytest.mark.parametrize("subject", ["Re: RE: AW: Printer [DP-7]", "Printer"])
def test_reply_subjects_carry_one_prefix_and_one_tag(subject: str) -> None:
    assert outbound.reply_subject(subject, 7) == "Re: Printer [DP-7]"


def test_the_smtp_listener_turns_a_delivered_mail_into_a_ticket(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    port = free_port()
    controller = start_listener(factory, settings=mail_settings, triage=mail_triage, host="127.0.0.1", port=port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("jane@acme.example", ["servicedesk@desk.example"], mail(message_id="smtp1@acme.example"))
            client.sendmail("jane@acme.example", ["servicedesk@desk.example"], mail(message_id="smtp1@acme.example"))
    finally:
        controller.stop()
    with factory() as session:
        assert [t.subject for t in session.scalars(select(Ticket))] == ["Printer on floor 3 is jammed"]
        assert session.scalars(select(InboundMail.mailbox)).all() == ["smtp"]
    with unit_of_work(factory) as session:
        again = ingest(session, settings=mail_settings, triage=mail_triage, raw=mail(message_id="smtp1@acme.example"),
                       source=MailSource("support", 1, 1))
    assert again.outcome is IntakeOutcome.DUPLICATE
