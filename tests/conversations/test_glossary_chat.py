"""Questions in German and Spanish reach the right English article through the chat on both databases among
neighbouring articles (three Wi-Fi networks, a shared drive and its quota, printer queue, paper jam and adding a
printer), with the multilingual ranking and the IT glossary's English rendering together; a question the KB does not
cover still gets no article. The German question's article wins only with the glossary (without it the paper-jam
article does) and by a clear margin (3.55 against 2.80). "Wie richte ich Okta Verify als neuer Mitarbeiter ein?",
asked here before, passed on one machine and came out a tie with the new-phone article (3.881 against 3.877) on the
next with the same code: a test must not rest on a tie. (Chinese is tested on the search,
`tests/assist/test_cross_language.py`: in this test runtime, without a trained triage model, the Chinese questions
tried were read as asking for ticket status.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow
from deskpilot.runtime import build_runtime, chat_assistant
from tests.conversations.conftest import load_chat_kb
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

ARTICLES = ("wifi-guest-access", "wifi-roaming-nw-roam", "wifi-corporate-nw-corp", "shared-drive-access",
            "storage-quota-shared-drive", "admin-rights-request", "mfa-enrol-okta-verify", "mfa-new-phone",
            "mfa-lost-device", "printer-paper-jam", "printer-queue-stuck", "printer-add")
QUESTIONS = {
    "Mein Druckauftrag hängt in der Warteschlange": "printer-queue-stuck",
    "¿Cómo consigo acceso a la carpeta compartida de mi departamento?": "shared-drive-access",
}


@pytest.fixture
def assistant_for(session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> flow.Assistant:  # noqa: F811
    del sla_24x7, desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var")
    return chat_assistant(build_runtime(settings), session)


def test_questions_in_other_languages_reach_the_right_english_article(
        session: Session, desk: Desk, assistant_for: flow.Assistant) -> None:
    alice = Principal.of(desk.alice)
    for question, slug in QUESTIONS.items():
        conversation, _ = flow.start(session, actor=alice, assistant=assistant_for, body=question)
        cited = [c["slug"] for c in conversation.messages[-1].citations]
        assert cited[:1] == [slug], (question, conversation.messages[-1].body)
        assert conversation.ticket_id is None


def test_an_off_topic_question_in_another_language_gets_no_article(
        session: Session, desk: Desk, assistant_for: flow.Assistant) -> None:
    off_topic, _ = flow.start(session, actor=Principal.of(desk.alice), assistant=assistant_for,
                              body="¿Qué hay de comer hoy en el comedor?")
    assert [c for m in off_topic.messages for c in m.citations] == []
