"""Questions not in English on both databases: answered in the requester's language from the article in it,
or from the English original with a notice in the requester's language; the language is kept on the
conversation and on the ticket a hand-off opens."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow, phrases
from deskpilot.conversations.state import ConversationState
from deskpilot.runtime import build_runtime, chat_assistant
from deskpilot.tickets.models import Ticket
from tests.conversations.conftest import ABSTAIN_BELOW, CHAT_ARTICLES, load_chat_kb
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState
GERMAN_VPN = "Wie verbinde ich mich auf meinem Windows-Laptop mit dem Firmen-VPN?"
SPANISH_OUTLOOK = "Outlook no recibe correos nuevos desde esta mañana"


def test_questions_in_german_and_spanish_are_answered_in_their_language_without_a_ticket(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    load_chat_kb(session, (*CHAT_ARTICLES, "vpn-connect-windows-de"))
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var", answer_abstain_below=ABSTAIN_BELOW)
    # Both embedders are loaded once per process: this runtime shares them with every other one.
    assistant = chat_assistant(build_runtime(settings), session)
    alice = Principal.of(desk.alice)

    german, _ = flow.start(session, actor=alice, assistant=assistant, body=GERMAN_VPN)
    answer = german.messages[-1]
    assert german.state is S.AWAITING_CONFIRMATION and german.ticket_id is None
    assert answer.citations[0]["slug"] == "vpn-connect-windows-de"
    assert answer.body.endswith(phrases.phrase("confirm", "de")) and "[vpn-connect-windows-de v1]" in answer.body
    assert german.facts["language"] == "de"
    flow.post(session, actor=alice, conversation_id=german.id, body="ja, danke", assistant=assistant)
    assert german.state is S.RESOLVED and german.ticket_id is None

    spanish, _ = flow.start(session, actor=alice, assistant=assistant, body=SPANISH_OUTLOOK)
    answer = spanish.messages[-1]
    assert spanish.state is S.AWAITING_CONFIRMATION and spanish.ticket_id is None
    assert answer.citations[0]["slug"] == "outlook-not-syncing"
    assert answer.body.startswith(phrases.phrase("article_in_english", "es"))
    assert answer.body.endswith(phrases.phrase("confirm", "es"))

    # Not solved: the walk through the article's steps is framed in Spanish too.
    flow.post(session, actor=alice, conversation_id=spanish.id, body="no", assistant=assistant)
    walk = spanish.messages[-1].body
    assert spanish.state is S.TROUBLESHOOTING and walk.startswith(phrases.phrase("not_solved_walk", "es"))
    assert "Paso 1 de " in walk and walk.endswith(phrases.phrase("step_question", "es"))
    flow.hand_off(session, actor=alice, conversation_id=spanish.id, assistant=assistant)
    ticket = session.get(Ticket, spanish.ticket_id)
    assert ticket is not None and ticket.language == "es"
    assert spanish.messages[-1].body.startswith(f"Ha pedido hablar con una persona: DP-{ticket.id}")
