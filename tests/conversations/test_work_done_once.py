"""A chat turn does its AI work once: one triage per question (the ticket it ends in reuses it), one retrieval,
one embedding of the question, and the ticket written once with its triaged fields."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.audit.models import AuditEvent
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow, intents
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.password_help import ResetIntent
from deskpilot.conversations.state import ConversationState
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import MODEL_ID, Vectors, load_embedder
from deskpilot.runtime import AiRuntime, chat_assistant, warm_answering
from deskpilot.triage.engine import TriageEngine
from tests.conversations.conftest import ABSTAIN_BELOW, load_chat_kb
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

UNANSWERED = "Jira shows error 500 when I open the sprint board"
PROBLEM = "My VPN does not connect from home"


class CountingEmbedder:
    """The real embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        self.real = load_embedder(MODEL_ID)
        self.model_id, self.dimension = self.real.model_id, self.real.dimension
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.texts.extend(texts)
        return self.real.encode(texts, batch_size=batch_size)


def _counted_assistant(session: Session, tmp_path: Path) -> tuple[flow.Assistant, CountingEmbedder]:
    load_chat_kb(session)
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var", answer_abstain_below=ABSTAIN_BELOW)
    embedder = CountingEmbedder()
    runtime = AiRuntime(settings=settings, embedder=embedder, kb=IndexHolder(settings.index_dir, embedder),
                        triage=TriageEngine(settings, embedder),
                        reset_intent=ResetIntent.embedded_by(embedder),
                        intents=intents.load_or_train(settings, embedder))
    assistant = chat_assistant(runtime, session)
    embedder.texts.clear()
    return assistant, embedder


def _triage_decisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AiDecision).where(AiDecision.kind == DecisionKind.TRIAGE)
                          ) or 0


def _ticket_writes(session: Session, ticket_id: int | None) -> list[str]:
    """The audit events that created or changed the ticket's fields (messages and notes are not counted)."""
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "ticket", AuditEvent.subject_id == str(ticket_id),
        AuditEvent.action.in_(("ticket.create", "ticket.update"))).order_by(AuditEvent.id)))


def test_a_chat_ending_in_a_ticket_after_the_steps_triages_once_and_writes_the_ticket_once(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant, embedder = _counted_assistant(session, tmp_path)
    alice = Principal.of(desk.alice)
    conversation, _ = flow.start(session, actor=alice, assistant=assistant, body=PROBLEM)
    assert embedder.texts.count(PROBLEM) == 1
    for _ in range(20):
        if conversation.state is ConversationState.TICKET_CREATED:
            break
        # The assistant asks before it opens a ticket: after a few failed steps, the requester says yes.
        reply = "yes" if conversation.state is ConversationState.OFFERING_TICKET else "no, still not working"
        flow.post(session, actor=alice, conversation_id=conversation.id, body=reply, assistant=assistant)
    session.commit()
    assert conversation.state is ConversationState.TICKET_CREATED
    assert _triage_decisions(session) == 1
    assert _ticket_writes(session, conversation.ticket_id) == ["ticket.create"]
    assert embedder.texts.count(PROBLEM) == 1


def test_a_question_no_article_answers_is_triaged_retrieved_and_embedded_once_before_its_ticket(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant, embedder = _counted_assistant(session, tmp_path)
    conversation: Conversation = flow.start(session, actor=Principal.of(desk.alice), assistant=assistant,
                                            body=UNANSWERED)[0]
    assert conversation.state is ConversationState.OFFERING_TICKET
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body="yes", assistant=assistant)
    session.commit()
    assert conversation.state is ConversationState.TICKET_CREATED
    assert _triage_decisions(session) == 1
    assert session.scalar(select(func.count()).select_from(AiDecision)
                          .where(AiDecision.kind == DecisionKind.ANSWER)) == 1
    assert _ticket_writes(session, conversation.ticket_id) == ["ticket.create"]
    # The runtime's one embedder serves triage too: the question once (for its intent, the reset offer and the
    # retrieval), triage's redacted ticket text once.
    triaged = session.scalars(select(AiDecision.input_redacted).where(AiDecision.kind == DecisionKind.TRIAGE)).one()
    assert embedder.texts == [UNANSWERED, triaged]


def test_the_second_question_on_an_article_does_not_embed_its_sentences_again(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant, embedder = _counted_assistant(session, tmp_path)
    question = "How do I add a printer?"
    flow.start(session, actor=Principal.of(desk.alice), assistant=assistant, body=question)
    first = set(embedder.texts)
    embedder.texts.clear()
    flow.start(session, actor=Principal.of(desk.bob), assistant=assistant, body="How can I add a printer to my laptop?")
    session.commit()
    assert len(first) > 3  # the question, its triage text and the answered article's sentences
    assert set(embedder.texts) & first <= {question}


def test_after_the_start_up_warm_up_a_first_answer_embeds_only_the_question_and_its_triage_text(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant, embedder = _counted_assistant(session, tmp_path)
    warm_answering(assistant.index)
    warmed = len(embedder.texts)
    embedder.texts.clear()

    conversation = flow.start(session, actor=Principal.of(desk.alice), assistant=assistant,
                              body="How do I add a printer?")[0]
    session.commit()

    assert conversation.state is ConversationState.AWAITING_CONFIRMATION  # answered from an article
    triaged = session.scalars(select(AiDecision.input_redacted).where(AiDecision.kind == DecisionKind.TRIAGE)).one()
    assert embedder.texts == ["How do I add a printer?", triaged]
    assert warmed > len(assistant.index.documents)  # the articles' sentences, embedded at start
