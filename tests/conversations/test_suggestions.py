"""Weak but present evidence, over demo articles about lost and new phones: the closest articles offered as
uncertain suggestions (cited, the most likely first), "no" walking the most likely one's steps, "yes" closing the
conversation, a status question read as one instead of a new search, a question outside the desk's domain still
getting no article; printer articles competing closely offered as a choice rather than walking the first one's
steps, and a confident answer's tied first articles too; and which candidates are shown."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.retrieval import ArticleHit, Evidence, SearchResult
from deskpilot.conversations import flow
from deskpilot.conversations.state import ConversationState
from deskpilot.conversations.suggestions import closest_articles, rivals, tied
from deskpilot.demo import KB_DIR
from deskpilot.demo.loader import LOADER
from deskpilot.kb import importer
from deskpilot.runtime import AiRuntime, chat_assistant
from tests.conversations.conftest import assistant_over, converse, load_chat_kb
from tests.factories import Desk, open_ticket
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState
PHONE_ARTICLES = ("mfa-lost-device", "laptop-lost-stolen", "mfa-new-phone", "vpn-connect-windows", "printer-add",
                  "password-reset-self-service")
WEAK_QUESTION = "lost my work phone on the train"
PRINTER_ARTICLES = ("printer-paper-jam", "printer-queue-stuck", "printer-add", "outlook-not-syncing",
                    "vpn-connect-windows", "password-reset-self-service")


@pytest.fixture
def phone_desk(session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> flow.Assistant:  # noqa: F811
    del desk, sla_24x7
    return assistant_over(session, ai_runtime, PHONE_ARTICLES)


def test_weak_evidence_offers_the_closest_articles_cited_and_labelled_uncertain(
        session: Session, desk: Desk, phone_desk: flow.Assistant) -> None:
    conversation = converse(session, desk, phone_desk, WEAK_QUESTION)
    reply = conversation.messages[-1]
    assert conversation.state is S.AWAITING_CONFIRMATION
    assert reply.body.startswith("I am not sure any approved article answers this exactly.")
    slugs = [c["slug"] for c in reply.citations]
    assert "mfa-lost-device" in slugs and "laptop-lost-stolen" in slugs
    assert conversation.facts["answer_slug"] == slugs[0]
    assert "1. " in reply.body and "ticket" in reply.body and "talk to a human" in reply.body
    assert conversation.ticket_id is None


def test_no_after_the_suggestions_walks_the_most_likely_articles_steps(
        session: Session, desk: Desk, phone_desk: flow.Assistant) -> None:
    conversation = converse(session, desk, phone_desk, WEAK_QUESTION, "no, still not working")
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.troubleshooting["slug"] == conversation.facts["answer_slug"]
    assert "Step 1 of" in conversation.messages[-1].body
    assert conversation.ticket_id is None


def test_yes_after_the_suggestions_closes_the_conversation_as_solved(
        session: Session, desk: Desk, phone_desk: flow.Assistant) -> None:
    conversation = converse(session, desk, phone_desk, WEAK_QUESTION, "yes, the first one")
    assert conversation.state is S.RESOLVED
    assert conversation.ticket_id is None


def test_a_status_question_instead_of_a_yes_or_no_gets_the_status_not_another_answer(
        session: Session, desk: Desk, phone_desk: flow.Assistant) -> None:
    earlier = open_ticket(session, desk, desk.alice, subject="Work phone lost")
    session.commit()
    conversation = converse(session, desk, phone_desk, WEAK_QUESTION,
                         f"actually I already have a ticket for this, DP-{earlier.id}, what's its status?")
    assert conversation.ticket_id is None and conversation.facts["status_ticket_ids"] == [earlier.id]
    assert f"DP-{earlier.id}" in conversation.messages[-1].body and not conversation.messages[-1].citations


def test_a_question_outside_the_desks_domain_gets_no_suggested_article(
        session: Session, desk: Desk, phone_desk: flow.Assistant) -> None:
    conversation = converse(session, desk, phone_desk, "which bakery near the station sells the best croissants")
    assert all(not m.citations for m in conversation.messages)
    assert conversation.ticket_id is None


def test_close_competing_articles_are_offered_as_a_choice_not_the_first_ones_steps(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    printers = assistant_over(session, ai_runtime, PRINTER_ARTICLES)
    # Evidence enough to walk an article's steps, but the stuck queue and adding a printer score within a hair.
    conversation = converse(session, desk, printers, "printer is not printing anything")
    reply = conversation.messages[-1]
    assert conversation.state is S.AWAITING_CONFIRMATION
    assert reply.body.startswith("I am not sure any approved article answers this exactly.")
    assert {"printer-queue-stuck", "printer-add"} <= {c["slug"] for c in reply.citations}
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body="no",
              assistant=printers)
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.troubleshooting["slug"] == conversation.facts["suggested"][0]
    assert conversation.ticket_id is None


def _hit(slug: str, score: float, named: float = 0.0) -> ArticleHit:
    return ArticleHit(KbDocument(slug=slug, version=1, title=slug, text=""), score, (), named=named)


def _result(cosine: float, *scores: float, named: tuple[float, ...] = ()) -> SearchResult:
    names = named or (0.0,) * len(scores)
    hits = [_hit(f"article-{n}", score, name) for n, (score, name) in enumerate(zip(scores, names, strict=True))]
    return SearchResult(hits, 0.2, np.zeros(3, dtype=np.float32), Evidence(cosine, 0.5, 0.53))


def test_only_articles_scored_near_the_top_one_are_suggested_and_only_above_the_floor() -> None:
    assert [d.slug for d in closest_articles(_result(0.47, 6.9, 6.7, 6.3), 0.44)] == [
        "article-0", "article-1", "article-2"]
    assert [d.slug for d in closest_articles(_result(0.47, 11.0, 6.4, 6.1), 0.44)] == ["article-0"]
    assert closest_articles(_result(0.40, 6.9, 6.7, 6.3), 0.44) == []
    assert closest_articles(SearchResult([], 0.0, np.zeros(3, dtype=np.float32)), 0.44) == []


def test_rivals_are_the_close_articles_only_when_two_or_more_compete() -> None:
    assert [d.slug for d in rivals(_result(0.6, 6.9, 6.7, 2.3))] == ["article-0", "article-1"]
    assert rivals(_result(0.6, 11.0, 6.4, 6.1)) == []
    assert rivals(SearchResult([], 0.0, np.zeros(3, dtype=np.float32))) == []


def test_under_the_floor_the_close_articles_are_suggested_when_the_question_names_one_of_them() -> None:
    named_third = _result(0.41, 7.1, 6.4, 6.4, named=(0.6, 0.0, 1.8))
    assert [d.slug for d in closest_articles(named_third, 0.44)] == ["article-0", "article-1", "article-2"]
    # A named article scored far under the top one is not among the close ones: nothing is suggested.
    assert closest_articles(_result(0.41, 9.0, 6.4, named=(0.0, 2.5)), 0.44) == []


def test_the_first_articles_tie_only_within_a_hairs_breadth_of_the_ranked_score() -> None:
    assert [d.slug for d in tied(_result(0.9, 6.142, 6.129, 5.0))] == ["article-0", "article-1"]
    assert tied(_result(0.9, 6.2, 6.1, 5.0)) == []
    assert tied(_result(0.9, 6.1)) == []


def test_a_confident_answer_whose_first_articles_tie_offers_them_as_a_choice(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    """Two approved articles with the same text tie exactly; on a desk that answers from 0.3 the question is
    confident (0.35 on this KB), so it would have been answered from whichever came first."""
    del sla_24x7
    printer = next(d for d in importer.read_folder(KB_DIR) if Path(d.source).stem == "printer-add")
    twin = dataclasses.replace(printer, slug="printer-add-twin", owner=None, queue=None)
    load_chat_kb(session)
    importer.import_documents(session, actor=LOADER, documents=[twin], approve=True)
    session.commit()
    assistant = chat_assistant(ai_runtime, session)
    twins = dataclasses.replace(assistant, settings=assistant.settings.model_copy(update={"answer_abstain_below": 0.3}))
    conversation = converse(session, desk, twins, "how do I add a printer?")
    reply = conversation.messages[-1]
    assert conversation.state is S.AWAITING_CONFIRMATION
    assert {c["slug"] for c in reply.citations} == {"printer-add", "printer-add-twin"}
    assert set(conversation.facts["suggested"]) == {"printer-add", "printer-add-twin"}
