"""Grounded answers use approved versions only, cite every sentence, and abstentions become gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.errors import PermissionDenied
from deskpilot.kb import service, workflow
from deskpilot.kb.answering import AnswerOutcome, answer_question, gap_clusters
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.models import KbGapQuestion
from deskpilot.kb.schemas import KbVersionCreate
from deskpilot.ml.embeddings import Embedder
from tests.factories import Desk
from tests.kb.conftest import demo_holder, write_article

ABSTAIN_BELOW = 0.5


@pytest.fixture
def holder(session: Session, desk: Desk, embedder: Embedder, demo_index: Path, tmp_path: Path) -> IndexHolder:
    """Eight demo articles approved as version 1, and an index of them under tmp_path."""
    return demo_holder(session, desk, embedder, demo_index, tmp_path)


def ask(session: Session, holder: IndexHolder, desk: Desk, question: str) -> AnswerOutcome:
    return answer_question(session, actor=Principal.of(desk.alice), index=holder.current(session),
                           question=question, abstain_below=ABSTAIN_BELOW)


def test_every_sentence_cites_an_approved_version(session: Session, desk: Desk, holder: IndexHolder) -> None:
    outcome = ask(session, holder, desk, "My mailbox is full")
    answer = outcome.answer
    assert not answer.abstained and answer.sentences
    approved = service.approved_versions(session)
    for sentence in answer.sentences:
        assert approved[sentence.slug] == sentence.version
        assert f"{sentence.text} {sentence.citation}" in answer.text
    assert [(s.slug, s.version) for s in outcome.sources] == [("mailbox-full", 1)]
    decision = session.get(AiDecision, outcome.decision_id)
    assert decision is not None and decision.kind is DecisionKind.ANSWER and not decision.abstained
    assert decision.sources == [{"slug": "mailbox-full", "version": 1}]
    assert outcome.gap_id is None


def test_out_of_scope_question_abstains_and_is_stored_redacted(session: Session, desk: Desk,
                                                               holder: IndexHolder) -> None:
    outcome = ask(session, holder, desk, "Can you book a table for four at an Italian restaurant tonight? "
                                         "Mail me at alice.private@example.org")
    assert outcome.answer.abstained and not outcome.answer.sentences and outcome.sources == []
    gap = session.get(KbGapQuestion, outcome.gap_id)
    assert gap is not None and gap.asked_by_id == desk.alice.id
    assert "[EMAIL]" in gap.question and "alice.private" not in gap.question
    decision = session.get(AiDecision, outcome.decision_id)
    assert decision is not None and decision.abstained and "alice.private" not in decision.input_redacted


def test_drafts_and_versions_in_review_are_never_used(session: Session, desk: Desk, holder: IndexHolder) -> None:
    carol = Principal.of(desk.carol)
    write_article(session, carol, slug="coffee-machine", title="Descale the coffee machine",
                  body="**Applies to:** the kitchen coffee machine.\n\n## Steps\n\n1. Pour the descaler into "
                       "the coffee machine tank.\n2. Run the descaling programme of the coffee machine.\n")
    mailbox = service.get_by_slug(session, actor=carol, slug="mailbox-full")
    service.add_version(session, actor=carol, article_id=mailbox.id, data=KbVersionCreate(
        body="**Applies to:** Outlook.\n\n## Steps\n\n1. Your mailbox is full: the quota is now 5 TB."))
    workflow.submit(session, actor=carol, article_id=mailbox.id, version=2)
    for question in ("How do I descale the coffee machine?", "My mailbox is full, what is my quota?"):
        outcome = ask(session, holder, desk, question)
        cited = {(s.slug, s.version) for s in outcome.answer.sentences}
        assert ("coffee-machine", 1) not in cited and ("mailbox-full", 2) not in cited
        assert "5 TB" not in outcome.answer.text and "descaler" not in outcome.answer.text
    assert "coffee-machine" not in holder.current(session).documents


def test_a_retired_article_is_no_longer_cited(session: Session, desk: Desk, holder: IndexHolder) -> None:
    question = "My mailbox is full"
    assert ask(session, holder, desk, question).answer.sentences[0].slug == "mailbox-full"
    article = service.get_by_slug(session, actor=Principal.of(desk.lena), slug="mailbox-full")
    workflow.retire(session, actor=Principal.of(desk.lena), article_id=article.id, reason="replaced")
    outcome = ask(session, holder, desk, question)
    assert all(s.slug != "mailbox-full" for s in outcome.answer.sentences)


def test_gaps_are_clustered_for_writers_only(session: Session, desk: Desk, holder: IndexHolder,
                                             embedder: Embedder) -> None:
    for question in ("How do I book a meeting room in the Munich office?",
                     "How can I reserve a meeting room in Munich?",
                     "Where do I order new business cards?"):
        assert ask(session, holder, desk, question).answer.abstained, question
    clusters = gap_clusters(session, actor=Principal.of(desk.lena), embedder=embedder)
    assert [c.gap.count for c in clusters] == [2, 1]
    assert all("meeting room" in q.question for q in clusters[0].questions)
    assert session.scalars(select(KbGapQuestion)).all()
    with pytest.raises(PermissionDenied):
        gap_clusters(session, actor=Principal.of(desk.alice), embedder=embedder)
