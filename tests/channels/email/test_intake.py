"""Intake rules on both databases: who a mail is from, where it threads, what is ignored or flagged."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot import content_store
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.channels.email import intake
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.intake import IntakeOutcome, MailSource, ingest
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.smtp import receive
from deskpilot.channels.email.store import read_raw
from deskpilot.config import Settings, UnknownSender
from deskpilot.db import unit_of_work
from deskpilot.tickets import attachments as ticket_files
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import CORPUS, assert_attachments_on_their_tickets, mail
from tests.factories import make_desk


def test_unknown_senders_get_a_requester_account(factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    result = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(sender="New.Person@Acme.example"))
    with factory() as session:
        user = session.scalars(select(User).where(User.email == "new.person@acme.example")).one()
        ticket = session.get(Ticket, result.ticket_id)
        assert (user.username, user.role, user.password_hash) == ("new.person", Role.REQUESTER, None)
        assert ticket is not None and ticket.requester_id == user.id


def test_with_the_fallback_policy_unknown_senders_are_filed_under_the_fallback_user(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        desk = make_desk(session)
    strict = mail_settings.model_copy(update={"mail_unknown_sender": UnknownSender.FALLBACK,
                                              "mail_fallback_requester": "bob"})
    unset = strict.model_copy(update={"mail_fallback_requester": ""})

    filed = receive(factory, settings=strict, triage=mail_triage, raw=mail(sender="stranger@internet.example"))
    refused = receive(factory, settings=unset, triage=mail_triage, raw=mail(sender="other@internet.example"))

    with factory() as session:
        assert session.get(Ticket, filed.ticket_id).requester_id == desk.bob.id  # type: ignore[union-attr]
        flagged = session.get(InboundMail, refused.inbound_id)
        assert flagged is not None and flagged.status is InboundStatus.FAILED_INTAKE
        assert "DESKPILOT_MAIL_FALLBACK_REQUESTER" in (flagged.error or "")
        assert session.scalars(select(User).where(User.email.like("%internet.example"))).all() == []


def test_a_subject_tag_threads_for_the_requester_but_not_for_a_stranger(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        make_desk(session)
    first = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(sender="alice@northwind.example"))
    tag = f"Re: [DP-{first.ticket_id}] more details"

    own = receive(factory, settings=mail_settings, triage=mail_triage,
                  raw=mail(sender="alice@northwind.example", subject=tag))
    other = receive(factory, settings=mail_settings, triage=mail_triage,
                    raw=mail(sender="bob@northwind.example", subject=tag))

    assert (own.outcome, own.ticket_id) == (IntakeOutcome.THREADED, first.ticket_id)
    assert other.outcome is IntakeOutcome.TICKET_CREATED and other.ticket_id != first.ticket_id


def test_an_outlook_reply_without_references_threads_by_its_thread_index_for_the_requester_only(
        factory: sessionmaker[Session], mail_settings: Settings, mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        make_desk(session)
    root = bytes(range(22))
    first = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(
        sender="alice@northwind.example", extra=f"Thread-Index: {base64.b64encode(root).decode()}"))
    reply_index = base64.b64encode(root + b"\x01\x02\x03\x04\x05").decode()
    own = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(
        sender="alice@northwind.example", subject="RE: printer", extra=f"Thread-Index: {reply_index}"))
    other = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(
        sender="bob@northwind.example", subject="RE: printer", extra=f"Thread-Index: {reply_index}"))
    broken = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(
        sender="alice@northwind.example", subject="RE: printer", extra="Thread-Index: not base64 at all!"))

    assert (own.outcome, own.ticket_id) == (IntakeOutcome.THREADED, first.ticket_id)
    assert other.outcome is IntakeOutcome.TICKET_CREATED, "a copied Thread-Index threads for no stranger"
    assert broken.outcome is IntakeOutcome.TICKET_CREATED


def test_a_colleague_replying_on_the_thread_becomes_an_attributed_internal_note(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        make_desk(session)
    first = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(sender="alice@northwind.example",
                                                               message_id="t1@northwind.example"))
    receive(factory, settings=mail_settings, triage=mail_triage,
            raw=mail(sender="bob@northwind.example", body="Same for me.", in_reply_to="t1@northwind.example"))
    with factory() as session:
        note = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == first.ticket_id)).one()
        assert note.kind is MessageKind.INTERNAL_NOTE
        assert note.body == "E-mail from Jane Doe <bob@northwind.example>:\n\nSame for me."


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        desk = make_desk(session)
    first = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(sender="alice@northwind.example",
                                                               message_id="c1@northwind.example"))
    with unit_of_work(factory) as session:
        for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            tickets.change_status(session, actor=Principal.of(desk.lena), ticket_id=first.ticket_id or 0,
                                  target=status)
    again = receive(factory, settings=mail_settings, triage=mail_triage, raw=mail(sender="alice@northwind.example",
                                                               in_reply_to="c1@northwind.example"))
    with factory() as session:
        follow_up = session.get(Ticket, again.ticket_id)
        assert follow_up is not None and follow_up.id != first.ticket_id
        assert follow_up.description.startswith(f"Follow-up to DP-{first.ticket_id}, which is closed.")


@pytest.mark.parametrize("name", ["auto_reply_ooo.eml", "bounce_dsn.eml", "precedence_bulk.eml"])
def test_auto_replies_are_kept_but_open_no_ticket_and_get_no_acknowledgement(
        factory: sessionmaker[Session], mail_settings: Settings, name: str,
        mail_triage: TriageEngine) -> None:
    result = receive(factory, settings=mail_settings, triage=mail_triage, raw=(CORPUS / name).read_bytes())
    assert result.outcome is IntakeOutcome.IGNORED
    with factory() as session:
        row = session.scalars(select(InboundMail)).one()
        assert row.status is InboundStatus.IGNORED_AUTOREPLY and row.error and row.ticket_id is None
        assert session.scalars(select(Ticket)).all() == [] and session.scalars(select(OutboundMail)).all() == []


def test_the_whole_corpus_is_taken_without_a_crash_and_every_mail_is_recorded(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    paths = sorted(CORPUS.glob("*.eml"))
    results = [receive(factory, settings=mail_settings, triage=mail_triage, raw=p.read_bytes()) for p in paths]
    with factory() as session:
        mails = session.scalars(select(InboundMail)).all()
        assert len(mails) == len(paths)
        assert_attachments_on_their_tickets(session, mails, mail_settings.data_dir)
    assert {r.outcome for r in results} <= {IntakeOutcome.TICKET_CREATED, IntakeOutcome.IGNORED,
                                            IntakeOutcome.FAILED, IntakeOutcome.THREADED}


def test_a_20_mb_attachment_is_skipped_but_the_raw_mail_is_kept(
        factory: sessionmaker[Session], mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "jane@acme.example", "Dump", "<big@acme.example>"
    message.set_content("Crash dump attached.")
    message.add_attachment(bytes(20 * 1024 * 1024), maintype="application", subtype="octet-stream",
                           filename="crash.dmp")
    message.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="form.pdf")
    raw = message.as_bytes()

    result = receive(factory, settings=mail_settings, triage=mail_triage, raw=raw)

    with factory() as session:
        row = session.get(InboundMail, result.inbound_id)
        assert row is not None and read_raw(mail_settings.mail_dir, row.raw_path) == raw
        big, small = row.attachments
        assert (big["filename"], big["stored"], big["size"]) == ("crash.dmp", False, 20 * 1024 * 1024)
        assert content_store.read(mail_settings.mail_dir / small["path"]) == b"%PDF-1.4 tiny"
        requester = Principal.of(session.scalars(select(User).where(User.email == "jane@acme.example")).one())
        shown = ticket_files.visible(session, actor=requester, ticket_id=result.ticket_id)
        assert [(a.filename, a.sniffed_type) for a in shown] == [("form.pdf", "application/pdf")]
        download = ticket_files.download(session, actor=requester, data_dir=mail_settings.data_dir,
                                         ticket_id=result.ticket_id, attachment_id=shown[0].id, inline=True)
        assert download.content == b"%PDF-1.4 tiny" and download.media_type == "application/pdf"


def test_a_mail_whose_text_is_only_in_an_attachment_opens_a_ticket_with_that_text(
        factory: sessionmaker[Session], mail_settings: Settings, mail_triage: TriageEngine) -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "jane@acme.example", "Log", "<log@acme.example>"
    message.add_attachment(b"VPN client log: error 809 at 09:14", maintype="text", subtype="plain",
                           filename="vpn.log")
    result = receive(factory, settings=mail_settings, triage=mail_triage, raw=message.as_bytes())
    with factory() as session:
        ticket = session.get(Ticket, result.ticket_id)
        assert ticket is not None and ticket.description == "VPN client log: error 809 at 09:14"


def test_a_parser_failure_is_recorded_for_agents_and_never_lost(
        factory: sessionmaker[Session], mail_settings: Settings, monkeypatch: pytest.MonkeyPatch,
        mail_triage: TriageEngine) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("parser bug")

    monkeypatch.setattr(intake, "parse_mail", broken)
    with unit_of_work(factory) as session:
        first = ingest(session, settings=mail_settings, triage=mail_triage, raw=mail(),
                       source=MailSource("support", 9, 1))
    with unit_of_work(factory) as session:
        assert ingest(session, settings=mail_settings, triage=mail_triage, raw=mail(),
                      source=MailSource("support", 9, 1)).outcome is IntakeOutcome.DUPLICATE
    with factory() as session:
        row = session.get(InboundMail, first.inbound_id)
        assert row is not None and row.status is InboundStatus.FAILED_PARSE and row.error == "ValueError: parser bug"
        assert (mail_settings.mail_dir / row.raw_path).exists()
