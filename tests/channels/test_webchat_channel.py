"""The web chat is a channel like e-mail: found through its entry point, its pages are its transport, and an
agent's reply through the contract lands on the ticket and is told in the chat it came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.base import Channel, InboundMessage
from deskpilot.channels.registry import get_channel
from deskpilot.config import Settings
from deskpilot.conversations import service as conversations
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.tickets.enums import MessageKind
from deskpilot.triage.engine import TriageEngine
from tests.factories import make_desk, open_ticket


def test_the_web_chat_is_found_through_its_entry_point(deskpilot_entry_points: Path) -> None:
    channel = get_channel("webchat")
    assert isinstance(channel, Channel)
    assert (channel.name, channel.ticket_channel) == ("webchat", TicketChannel.CHAT)


def test_a_reply_through_the_contract_lands_on_the_ticket_and_is_told_in_the_chat(
        deskpilot_entry_points: Path, session: Session, mail_settings: Settings) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    conversation = conversations.create(session, actor=Principal.of(desk.alice))
    conversation.ticket_id = ticket.id
    session.flush()
    channel = get_channel("webchat")

    channel.send_reply(session, settings=mail_settings, actor=Principal.of(desk.carol), ticket_id=ticket.id,
                       body="Please restart the VPN client.")
    with pytest.raises(NotFound):
        channel.send_reply(session, settings=mail_settings, actor=Principal.of(desk.bob), ticket_id=ticket.id,
                           body="I am not on this ticket")

    session.refresh(ticket)
    assert [(m.kind, m.channel, m.body) for m in ticket.messages if m.kind is MessageKind.PUBLIC_REPLY] == [
        (MessageKind.PUBLIC_REPLY, TicketChannel.CHAT, "Please restart the VPN client.")]
    assert conversation.messages[-1].body.endswith(f"replied on DP-{ticket.id}: Please restart the VPN client.")


def test_a_message_handed_to_the_web_chat_says_where_it_goes(deskpilot_entry_points: Path, session: Session,
                                                             mail_settings: Settings,
                                                             mail_triage: TriageEngine) -> None:
    with pytest.raises(InvalidInput, match=r"on its page \(/chat\)"):
        get_channel("webchat").receive(session, settings=mail_settings, triage=mail_triage,
                                       message=InboundMessage("room", b"hello"))
