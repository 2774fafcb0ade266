"""Ugly real-world mails delivered through the real SMTP listener: none lost, refused or misread."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.models import User
from deskpilot.channels.email import imap
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.smtp import start_listener
from deskpilot.config import Settings
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import CORPUS, Dovecot, assert_attachments_on_their_tickets, free_port

UGLY = Path(__file__).parent / "ugly"
DESK = "servicedesk@desk.example"


class Listener:
    """The desk's SMTP listener on a free loopback port, and a client that delivers fixture mails."""

    def __init__(self, port: int) -> None:
        self.port = port

    def deliver(self, name: str | Path, *, envelope_from: str = "jane@acme.example", prefix: bytes = b"") -> None:
        raw = prefix + (UGLY / name).read_bytes()
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.sendmail(envelope_from, [DESK], raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


@pytest.fixture
def listener(factory: sessionmaker[Session], mail_settings: Settings, mail_triage: TriageEngine) -> Iterator[Listener]:
    port = free_port()
    controller = start_listener(factory, settings=mail_settings, triage=mail_triage, host="127.0.0.1", port=port)
    try:
        yield Listener(port)
    finally:
        controller.stop()


def _tickets(factory: sessionmaker[Session]) -> dict[str, Ticket]:
    with factory() as session:
        return {t.subject: t for t in session.scalars(select(Ticket))}


def test_a_different_mail_reusing_a_message_id_is_kept_linked_and_logged_while_a_redelivery_is_not(
        factory: sessionmaker[Session], listener: Listener, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="deskpilot.channels.email.intake"):
        listener.deliver("reused_id_first.eml")
        listener.deliver("reused_id_second.eml", envelope_from="omar@acme.example")
        listener.deliver("reused_id_first.eml", prefix=b"Received: from relay2.acme.example by mx.desk.example\n")

    with factory() as session:
        first, second = session.scalars(select(InboundMail).order_by(InboundMail.id)).all()
        assert first.message_id == second.message_id == "template-1@mailer.acme.example"
        assert (first.reuses_message_id_of, second.reuses_message_id_of) == (None, first.id)
        assert first.ticket_id is not None and second.ticket_id not in (None, first.ticket_id)
        assert len(session.scalars(select(OutboundMail)).all()) == 2
    assert sorted(_tickets(factory)) == ["Badge does not open the garage", "VPN drops every hour"]
    assert [r.getMessage() for r in caplog.records if "reuses Message-ID" in r.getMessage()] == [
        f"mail from omar@acme.example reuses Message-ID template-1@mailer.acme.example of inbound mail "
        f"{first.id} with another body; taken as a new mail and linked to it"]


def test_the_imap_poller_keeps_different_mails_sharing_a_message_id_and_takes_a_redelivery_once(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot, mail_triage: TriageEngine) -> None:
    folder = imap_settings.mail_mailboxes[0].folder
    first, second = (UGLY / "reused_id_first.eml").read_bytes(), (UGLY / "reused_id_second.eml").read_bytes()
    dovecot.append(folder, first, second, b"Received: from relay2.acme.example by mx.desk.example\n" + first,
                   (UGLY / "bom_before_from.eml").read_bytes())

    report = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)

    assert not report.errors
    assert sorted(_tickets(factory)) == ["Badge does not open the garage", "Outlook keeps asking for my password",
                                         "VPN drops every hour"]
    with factory() as session:
        rows = session.scalars(select(InboundMail).order_by(InboundMail.id)).all()
        assert [(r.uid, r.reuses_message_id_of) for r in rows] == [(1, None), (2, rows[0].id), (4, None)]


def test_an_outlook_html_reply_with_lines_over_1000_bytes_is_accepted(
        factory: sessionmaker[Session], listener: Listener) -> None:
    listener.deliver("outlook_long_html_line.eml")

    ticket = _tickets(factory)["RE: Laptop will not dock"]
    assert ticket.description.startswith("The laptop still will not dock after the driver update.")
    assert "word149" in ticket.description


def test_a_mail_over_the_size_limit_is_refused_with_552_and_a_smaller_one_with_long_lines_is_not(
        factory: sessionmaker[Session], mail_settings: Settings, mail_triage: TriageEngine) -> None:
    port = free_port()
    small = mail_settings.model_copy(update={"mail_max_message_bytes": 64 * 1024})
    controller = start_listener(factory, settings=small, triage=mail_triage, host="127.0.0.1", port=port)
    head = b"From: jane@acme.example\r\nSubject: big\r\nMessage-ID: <big@acme.example>\r\n\r\n"
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail("jane@acme.example", [DESK], head + b"x" * 40_000 + b"\r\n")
            with pytest.raises(smtplib.SMTPSenderRefused) as announced:
                client.sendmail("jane@acme.example", [DESK], head + b"x" * 70_000 + b"\r\n")
            client.mail("jane@acme.example")  # a client that does not announce the size
            client.rcpt(DESK)
            one_long_line = client.data(head + b"x" * 70_000 + b"\r\n")
            client.mail("jane@acme.example")
            client.rcpt(DESK)
            many_lines = client.data(head + (b"x" * 900 + b"\r\n") * 80)
    finally:
        controller.stop()
    assert (announced.value.smtp_code, one_long_line[0], many_lines[0]) == (552, 552, 552)
    with factory() as session:
        assert len(session.scalars(select(InboundMail)).all()) == 1


@pytest.mark.parametrize(("name", "envelope_from", "reason"), [
    ("icloud_vacation.eml", "", "x-apple-action header"),
    ("exchange_oof.eml", "piet@contoso.example", "X-Auto-Response-Suppress: All"),
    ("plain_from_null_sender.eml", "", "empty envelope sender (MAIL FROM:<>): a bounce or auto-reply"),
])
def test_vendor_auto_replies_and_null_sender_mail_open_no_ticket_and_get_no_acknowledgement(
        factory: sessionmaker[Session], listener: Listener, name: str, envelope_from: str, reason: str) -> None:
    listener.deliver(name, envelope_from=envelope_from)

    with factory() as session:
        row = session.scalars(select(InboundMail)).one()
        assert (row.status, row.error, row.ticket_id) == (InboundStatus.IGNORED_AUTOREPLY, reason, None)
        assert session.scalars(select(OutboundMail)).all() == []
    assert _tickets(factory) == {}


@pytest.mark.parametrize(("name", "subject"), [
    ("noreply_alert.eml", "Disk almost full on fileserver-2"),
    ("list_post.eml", "Wifi in building B is slow"),
])
def test_no_reply_and_list_senders_get_a_ticket_but_never_an_acknowledgement(
        factory: sessionmaker[Session], listener: Listener, name: str, subject: str) -> None:
    listener.deliver(name, envelope_from="bounces@monitor.acme.example")

    assert list(_tickets(factory)) == [subject]
    with factory() as session:
        assert session.scalars(select(OutboundMail)).all() == []


@pytest.mark.parametrize(("name", "sender", "subject", "description"), [
    ("multipart_without_boundaries.eml", "jane@acme.example", "Cannot print from SAP",
     "Printing from SAP fails with spool error 42.\nIt started after the weekend."),
    ("duplicated_content_type.eml", "jane@acme.example", "Scanner offline", "The scanner on floor 2 shows offline."),
    ("bom_before_from.eml", "kai@acme.example", "Outlook keeps asking for my password",
     "Outlook asks for my password every ten minutes."),
    ("reply_german_gmail_wrapped.eml", "jane@acme.example", "Drucker im 3. Stock",
     "Der Drucker zieht kein Papier ein."),
    ("reply_outlook_german.eml", "jane@acme.example", "AW: Drucker", "Der Drucker zieht kein Papier ein."),
    ("reply_french.eml", "jane@acme.example", "Imprimante", "L'imprimante n'accepte plus le papier."),
    ("reply_spanish.eml", "jane@acme.example", "Impresora", "La impresora no toma el papel."),
    ("reply_dutch.eml", "jane@acme.example", "Printer", "De printer pakt geen papier."),
])
def test_broken_mime_a_bom_and_foreign_quote_headers_still_give_the_sender_and_the_readable_text(
        factory: sessionmaker[Session], listener: Listener, name: str, sender: str, subject: str,
        description: str) -> None:
    listener.deliver(name)

    ticket = _tickets(factory)[subject]
    assert ticket.description == description
    with factory() as session:
        requester = session.get(User, ticket.requester_id)
        assert requester is not None and requester.email == sender


def test_every_ugly_mail_through_smtp_is_kept_and_every_attachment_is_downloadable_from_its_ticket(
        factory: sessionmaker[Session], listener: Listener, mail_settings: Settings) -> None:
    names = [*sorted(UGLY.glob("*.eml")), *sorted(CORPUS.glob("*.eml"))]
    for path in names:
        listener.deliver(path)  # a refusal raises here
    with factory() as session:
        mails = session.scalars(select(InboundMail)).all()
        assert len(mails) == len(names), "no mail lost"
        assert_attachments_on_their_tickets(session, mails, mail_settings.data_dir)
