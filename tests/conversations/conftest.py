"""Fixtures of the conversation tests: the personas, a small approved KB from the demo articles, its index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow
from deskpilot.conversations.flow import Assistant
from deskpilot.conversations.models import Conversation
from deskpilot.demo import KB_DIR
from deskpilot.demo.loader import LOADER
from deskpilot.kb import importer
from deskpilot.runtime import AiRuntime, build_runtime, chat_assistant
from tests.factories import Desk, make_desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this folder

CHAT_ARTICLES = ("vpn-connect-windows", "vpn-error-codes", "printer-add", "password-reset-self-service",
                 "outlook-not-syncing", "wifi-corporate-nw-corp")

# Six articles, two of them about the VPN, compete closely: the desk's threshold is set a little lower.
ABSTAIN_BELOW = 0.4


def load_chat_kb(session: Session, articles: tuple[str, ...] = CHAT_ARTICLES) -> None:
    """A few demo articles, approved (owners and queues of the demo organisation are left out)."""
    documents = [dataclasses.replace(d, owner=None, queue=None) for d in importer.read_folder(KB_DIR)
                 if Path(d.source).stem in articles]
    importer.import_documents(session, actor=LOADER, documents=documents, approve=True)


def assistant_over(session: Session, runtime: AiRuntime, articles: tuple[str, ...] = CHAT_ARTICLES) -> Assistant:
    """The session's runtime over these demo articles, approved and committed."""
    load_chat_kb(session, articles)
    session.commit()
    return chat_assistant(runtime, session)


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


@pytest.fixture
def assistant(session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> Assistant:  # noqa: F811
    """The assistant over the small approved KB, with SLA policies for every priority."""
    del desk, sla_24x7
    load_chat_kb(session)
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var", answer_abstain_below=ABSTAIN_BELOW)
    return chat_assistant(build_runtime(settings), session)


def converse(session: Session, desk: Desk, assistant: Assistant, *lines: str,
             client: dict[str, str] | None = None) -> Conversation:
    """Alice opens a conversation with the first line and sends the others one by one."""
    alice = Principal.of(desk.alice)
    conversation, _turn = flow.start(session, actor=alice, assistant=assistant, body=lines[0], client=client)
    for line in lines[1:]:
        flow.post(session, actor=alice, conversation_id=conversation.id, body=line, assistant=assistant)
    return conversation
