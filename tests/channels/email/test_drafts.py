"""Drafts for e-mail tickets come from the grounded composer and answer the requester's latest mail."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.principal import Principal
from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.grounded import CitedSentence, GroundedAnswer
from deskpilot.channels.email.drafts import draft_for_ticket
from deskpilot.channels.email.smtp import receive
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import mail
from tests.factories import make_desk


class RecordingComposer(AnswerComposer):
    """The composer's contract without a KB index: one cited sentence, and the query it was asked."""

    def __init__(self) -> None:
        self.queries: list[RetrievalQuery] = []

    def answer(self, query: RetrievalQuery) -> GroundedAnswer:
        self.queries.append(query)
        cited = CitedSentence(text="Open the printer tray and remove the paper.", slug="printer-jam", version=2,
                              chunk_id="printer-jam-1")
        return GroundedAnswer(sentences=(cited,), confidence=0.9, abstained=False, text=cited.text)


def test_the_draft_answers_the_latest_mail_with_the_composers_cited_text(
        factory: sessionmaker[Session], mail_settings: Settings, mail_triage: TriageEngine) -> None:
    with unit_of_work(factory) as session:
        desk = make_desk(session)
    first = receive(factory, settings=mail_settings, triage=mail_triage,
                    raw=mail(sender="alice@northwind.example", message_id="d1@northwind.example"))
    follow_up = mail(sender="alice@northwind.example", in_reply_to="d1@northwind.example",
                     body="Now it also shows error E42.\n\nThanks,\nAlice")
    receive(factory, settings=mail_settings, triage=mail_triage, raw=follow_up)
    composer = RecordingComposer()

    with factory() as session:
        draft = draft_for_ticket(session, actor=Principal.of(desk.lena), ticket_id=first.ticket_id or 0,
                                 composer=composer)

    assert "Open the printer tray and remove the paper." in draft.text and "AI-assisted" in draft.text
    assert draft.answer.sentences[0].slug == "printer-jam"
    assert [q.text for q in composer.queries] == ["Now it also shows error E42."]
