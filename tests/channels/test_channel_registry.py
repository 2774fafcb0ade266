"""Channels are found through the `deskpilot.channels` entry points and reached through one contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.base import Channel, InboundMessage, IntakeOutcome
from deskpilot.channels.email.enums import OutboundKind
from deskpilot.channels.email.models import OutboundMail
from deskpilot.channels.registry import get_channel, load_channels
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import mail
from tests.entry_points import install
from tests.factories import make_desk


def test_the_email_channel_is_found_through_its_entry_point(deskpilot_entry_points: Path) -> None:
    channel = get_channel("email")

    assert isinstance(channel, Channel)
    assert (channel.name, channel.ticket_channel) == ("email", TicketChannel.EMAIL)
    assert "email" in load_channels()


def test_an_unknown_channel_is_a_clear_error_naming_the_installed_ones(deskpilot_entry_points: Path) -> None:
    with pytest.raises(InvalidInput, match="There is no channel 'teams'; installed: .*email"):
        get_channel("teams")


def test_an_entry_point_naming_something_that_is_not_a_channel_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    install(monkeypatch, tmp_path / "plugin", "deskpilot-test-channels",
            {"deskpilot.channels": {"sms": "deskpilot.channels.email.channel:EmailChannel"}})

    with pytest.raises(TypeError, match="must name a Channel class called 'sms'"):
        load_channels()


def test_a_mail_received_through_the_channel_contract_opens_one_ticket_and_a_reply_goes_to_the_outbox(
        deskpilot_entry_points: Path, session: Session, mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    desk = make_desk(session)
    channel = get_channel("email")
    message = InboundMessage(source="support", content=mail(subject="Monitor flickers"), position="7:42")

    first = channel.receive(session, settings=mail_settings, triage=mail_triage, message=message)
    again = channel.receive(session, settings=mail_settings, triage=mail_triage, message=message)
    assert first.ticket_id is not None
    channel.send_reply(session, settings=mail_settings, actor=Principal.of(desk.carol), ticket_id=first.ticket_id,
                       body="Which cable connects the monitor?")

    assert (first.outcome, again.outcome) == (IntakeOutcome.TICKET_CREATED, IntakeOutcome.DUPLICATE)
    assert session.scalars(select(Ticket.subject)).all() == ["Monitor flickers"]
    kinds = session.scalars(select(OutboundMail.kind).order_by(OutboundMail.id)).all()
    assert kinds == [OutboundKind.ACKNOWLEDGEMENT, OutboundKind.REPLY]


def test_a_reply_through_the_channel_keeps_the_tickets_permission_checks(
        deskpilot_entry_points: Path, session: Session, mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    desk = make_desk(session)
    channel = get_channel("email")
    received = channel.receive(session, settings=mail_settings, triage=mail_triage,
                               message=InboundMessage("support", mail()))
    assert received.ticket_id is not None

    with pytest.raises(NotFound, match="that you can see"):
        channel.send_reply(session, settings=mail_settings, actor=Principal.of(desk.bob),
                           ticket_id=received.ticket_id, body="I am not on this ticket")
    assert session.scalars(select(OutboundMail.kind)).all() == [OutboundKind.ACKNOWLEDGEMENT]


def test_an_email_position_that_is_not_uidvalidity_and_uid_is_refused(deskpilot_entry_points: Path,
                                                                      session: Session,
                                                                      mail_settings: Settings,
        mail_triage: TriageEngine) -> None:
    message = InboundMessage(source="support", content=mail(), position="latest")

    with pytest.raises(InvalidInput, match="'uidvalidity:uid'"):
        get_channel("email").receive(session, settings=mail_settings, triage=mail_triage, message=message)
