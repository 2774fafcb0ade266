"""A desk where two people left traces everywhere: the portal (with a file), the chat, e-mail (with an
attachment, through the real e-mail intake), the KB; each trace carries a marker naming its owner."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.channels.email.smtp import receive
from deskpilot.config import Environment, Settings
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationState, Owner
from deskpilot.db import session_factory, unit_of_work
from deskpilot.kb.models import KbGapQuestion
from deskpilot.ml.embeddings import load_embedder
from deskpilot.tickets import attachments
from deskpilot.tickets.attachments import Upload
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.triage.engine import TriageEngine
from tests.entry_points import deskpilot_entry_points  # noqa: F401 - the e-mail source is an entry point
from tests.factories import Desk, make_desk, open_ticket


@dataclass(frozen=True)
class Traces:
    desk: Desk
    settings: Settings
    factory: sessionmaker[Session]


# A full name, a phone number and an employee number of each persona, unique to these tests.
IDENTITIES = {"alice": ("Zorana Quillfeather", "+1 555 0142 7731", "EMP-58213"),
              "bob": ("Brannock Oduya", "+1 555 0199 2264", "EMP-77104")}


def markers(name: str) -> dict[str, str]:
    """One unique string per place a person's data lands."""
    return {place: f"{name.upper()}-{place.upper()}-MARKER-7f3a" for place in
            ("portal", "file", "chat", "mail", "mail-file", "gap")}


def identity(name: str) -> dict[str, str]:
    """The person's own identifiers: name, e-mail, phone and employee number."""
    full_name, phone, employee = IDENTITIES[name]
    return {"name": full_name, "email": f"{name}@northwind.example", "phone": phone, "employee": employee}


@pytest.fixture
def privacy_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var",
                    mail_address="servicedesk@desk.example")


@pytest.fixture
def traces(session: Session, engine: Engine, privacy_settings: Settings) -> Traces:
    session.close()
    factory = session_factory(engine)
    with unit_of_work(factory) as work:
        desk = make_desk(work)
        for person in (desk.alice, desk.bob):
            person.full_name = IDENTITIES[person.username][0]
            _leave_traces(work, privacy_settings, desk, person)
    triage = TriageEngine(privacy_settings, load_embedder(privacy_settings.embedding_model))
    for person in (desk.alice, desk.bob):
        receive(factory, settings=privacy_settings, triage=triage, raw=_mail(person))
    return Traces(desk=desk, settings=privacy_settings, factory=factory)


def _leave_traces(session: Session, settings: Settings, desk: Desk, person: User) -> None:
    mark, me = markers(person.username), identity(person.username)
    ticket = open_ticket(session, desk, person, description=f"My laptop {mark['portal']}. I am {me['name']}, "
                         f"employee {me['employee']}, call me on {me['phone']}")
    attachments.add(session, actor=Principal.of(person), data_dir=settings.data_dir, max_bytes=1 << 20,
                    ticket_id=ticket.id, upload=Upload("notes.txt", "text/plain", mark["file"].encode()),
                    channel=TicketChannel.PORTAL)
    chat = Conversation(requester_id=person.id, channel=TicketChannel.CHAT, state=ConversationState.RESOLVED,
                        owner_kind=Owner.ASSISTANT, subject="Printer")
    session.add(chat)
    session.flush()
    session.add(ConversationMessage(conversation_id=chat.id, author_kind=Author.REQUESTER, author_id=person.id,
                                    body=f"The printer jams {mark['chat']}, phone {me['phone']}"))
    session.add(KbGapQuestion(question=f"How do I book {mark['gap']}?", asked_by_id=person.id))
    session.flush()


def _mail(person: User) -> bytes:
    mark, me = markers(person.username), identity(person.username)
    message = EmailMessage()
    message["From"] = f"{person.full_name} <{person.email}>"
    message["To"] = "servicedesk@desk.example"
    message["Subject"] = "Outlook keeps asking for my password"
    message["Message-ID"] = f"<{person.username}-1@northwind.example>"
    message.set_content(f"Since this morning. {mark['mail']}\n-- \n{me['name']}, {me['employee']}, {me['phone']}")
    message.add_attachment(mark["mail-file"].encode(), maintype="text", subtype="plain", filename="log.txt")
    return message.as_bytes()
