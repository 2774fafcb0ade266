"""The index learns from the desk's history: questions an article is known to have answered vote for it.

The question below says neither "VPN" nor "GlobalProtect", and retrieval alone ranks the guest Wi-Fi
article first. Other requesters asked nearly the same thing in a chat that had already said it was about
GlobalProtect on Windows, got the VPN article and confirmed it solved their problem; agents resolved
tickets like it by citing the VPN article. Those answers, and only confirmed ones, teach the index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import FeedbackAction
from deskpilot.kb import indexing, service, workflow
from deskpilot.kb.answering import answer_question
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import Embedder
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate
from tests.factories import Desk, open_ticket
from tests.kb.conftest import demo_holder

QUESTION = "I can't get on the network at home"
VPN = "vpn-connect-windows"
CHAT_CONTEXT = "user:I work from home with GlobalProtect VPN on a Windows laptop"
ASKED_BEFORE = ("I cannot get on the network from home", "I cannot get onto the network from home",
                "Cannot get on the network from home")
TICKET_SUBJECTS = ("Can't get on the network when working from home", *ASKED_BEFORE[::2])
RESOLVING_REPLY = f"Please reconnect GlobalProtect as described in [{VPN} v1]. I am resolving this ticket."
ABSTAIN_BELOW = 0.5


@pytest.fixture
def holder(session: Session, desk: Desk, embedder: Embedder, demo_index: Path, tmp_path: Path) -> IndexHolder:
    """The demo articles approved, and a holder that reads the history at every use."""
    return demo_holder(session, desk, embedder, demo_index, tmp_path, history_refresh_seconds=0)


def ranking(session: Session, holder: IndexHolder, question: str = QUESTION) -> list[str]:
    return [h.slug for h in HybridRetriever(holder.current(session)).search(RetrievalQuery(question), k=3).hits]


def answered_in_chat(session: Session, holder: IndexHolder, requester: User, question: str) -> int:
    """The chat's answer to `question` after the context turn; returns the answer decision's id."""
    outcome = answer_question(session, actor=Principal.of(requester), index=holder.current(session),
                              question=question, context=CHAT_CONTEXT, abstain_below=ABSTAIN_BELOW)
    assert not outcome.answer.abstained and outcome.sources[0].slug == VPN
    return outcome.decision_id


def feedback(session: Session, requester: User, decision_id: int, action: FeedbackAction) -> None:
    """What the chat records when the requester answers "Did this solve it?" with yes."""
    decisions.record_feedback(session, decision_id=decision_id, field="deflection", action=action,
                              suggested_value="answer", final_value="resolved by self-service",
                              actor_id=requester.id, actor_name=requester.username)


def confirmed_deflections(session: Session, holder: IndexHolder, desk: Desk) -> list[int]:
    ids = []
    for requester, question in zip((desk.alice, desk.bob, desk.alice), ASKED_BEFORE, strict=True):
        ids.append(answered_in_chat(session, holder, requester, question))
        feedback(session, requester, ids[-1], FeedbackAction.ACCEPTED)
    return ids


def test_confirmed_deflections_teach_the_index_to_rank_their_article_first(
        session: Session, desk: Desk, holder: IndexHolder, embedder: Embedder, tmp_path: Path) -> None:
    assert ranking(session, holder)[0] != VPN
    chunks_file = indexing.index_path(tmp_path) / "vectors" / "vectors.npy"
    written = chunks_file.stat().st_mtime_ns

    learned_from = confirmed_deflections(session, holder, desk)

    assert ranking(session, holder)[0] == VPN
    outcome = answer_question(session, actor=Principal.of(desk.bob), index=holder.current(session),
                              question=QUESTION, abstain_below=ABSTAIN_BELOW)
    decision = session.get(AiDecision, outcome.decision_id)
    assert decision is not None
    evidence = decision.explanation["evidence"]
    assert evidence["slug"] == VPN and evidence["history"] > 0
    assert {"bm25", "dense", "cosine"} <= set(evidence)
    assert sorted(evidence["past_questions"]) == sorted(f"deflection:{i}" for i in learned_from)
    # Learning wrote the history beside the index, not the articles' chunks again.
    holder.saved()
    assert chunks_file.stat().st_mtime_ns == written
    reloaded = KbIndex.load(indexing.index_path(tmp_path), embedder)
    assert set(reloaded.history.learned()) == {f"deflection:{i}" for i in learned_from}


def test_answers_the_requester_did_not_confirm_teach_nothing(session: Session, desk: Desk,
                                                             holder: IndexHolder) -> None:
    answered_in_chat(session, holder, desk.alice, ASKED_BEFORE[0])  # "no": the chat records no feedback
    rejected = answered_in_chat(session, holder, desk.bob, ASKED_BEFORE[1])
    feedback(session, desk.bob, rejected, FeedbackAction.REJECTED)
    assert len(holder.current(session).history) == 0
    assert ranking(session, holder)[0] != VPN


def test_a_retired_articles_history_is_forgotten(session: Session, desk: Desk, holder: IndexHolder) -> None:
    confirmed_deflections(session, holder, desk)
    assert ranking(session, holder)[0] == VPN
    lena = Principal.of(desk.lena)
    article = service.get_by_slug(session, actor=lena, slug=VPN)
    workflow.retire(session, actor=lena, article_id=article.id, reason="replaced by the Zscaler article")
    assert len(holder.current(session).history) == 0
    assert VPN not in ranking(session, holder)


def resolved_ticket(session: Session, desk: Desk, subject: str, reply: str,
                    kind: MessageKind = MessageKind.PUBLIC_REPLY) -> Ticket:
    """Alice's ticket; carol replies and resolves it."""
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=subject, description="")
    carol = Principal.of(desk.carol)
    tickets.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(body=reply, kind=kind))
    tickets.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED,
                          comment=None if kind is MessageKind.PUBLIC_REPLY else "Solved on the phone.")
    return ticket


def test_resolved_tickets_citing_an_article_teach_it(session: Session, desk: Desk, holder: IndexHolder) -> None:
    assert ranking(session, holder)[0] != VPN
    solved = [resolved_ticket(session, desk, subject, RESOLVING_REPLY) for subject in TICKET_SUBJECTS]
    resolved_ticket(session, desk, ASKED_BEFORE[1], RESOLVING_REPLY, kind=MessageKind.INTERNAL_NOTE)
    still_open = open_ticket(session, desk, desk.bob, queue=desk.service_desk, subject=ASKED_BEFORE[1])
    tickets.add_message(session, actor=Principal.of(desk.carol), ticket_id=still_open.id,
                        data=MessageCreate(body=RESOLVING_REPLY))

    assert holder.current(session).history.learned() == {f"ticket:{t.id}:{VPN}": VPN for t in solved}
    assert ranking(session, holder)[0] == VPN

    tickets.change_status(session, actor=Principal.of(desk.alice), ticket_id=solved[0].id,
                          target=TicketStatus.OPEN)  # it was not solved after all
    assert f"ticket:{solved[0].id}:{VPN}" not in holder.current(session).history


def test_each_sync_embeds_a_bounded_number_of_new_questions(session: Session, desk: Desk, holder: IndexHolder,
                                                            embedder: Embedder, demo_index: Path) -> None:
    confirmed_deflections(session, holder, desk)
    index = KbIndex.load(indexing.index_path(demo_index), embedder)
    assert indexing.learn(session, index=index, max_new=2) == indexing.HistoryChanges(2, 0, 1)
    assert indexing.learn(session, index=index, max_new=2) == indexing.HistoryChanges(1, 0, 0)
    assert not indexing.learn(session, index=index, max_new=2)
    assert len(index.history) == 3
