"""Draft replies to tickets cite approved versions only, even from an index that fell behind the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.errors import PermissionDenied
from deskpilot.kb import drafts, service, workflow
from deskpilot.kb.indexing import IndexHolder
from deskpilot.ml.embeddings import Embedder
from tests.factories import Desk, open_ticket
from tests.kb.conftest import demo_holder


@pytest.fixture
def holder(session: Session, desk: Desk, embedder: Embedder, demo_index: Path, tmp_path: Path) -> IndexHolder:
    return demo_holder(session, desk, embedder, demo_index, tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment=Environment.TEST, data_dir=tmp_path)


def test_a_draft_cites_approved_versions_and_is_recorded_about_the_ticket(
        session: Session, desk: Desk, holder: IndexHolder, settings: Settings) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="My mailbox is full",
                         description="Outlook says my mailbox is full and I cannot send mail.")
    draft = drafts.create(session, actor=Principal.of(desk.carol), settings=settings,
                          index=holder.current(session), ticket_id=ticket.id)
    approved = service.approved_versions(session)
    assert not draft.abstained and draft.sources
    assert all(approved[s["slug"]] == s["version"] for s in draft.sources)
    assert (draft.subject_type, draft.subject_id) == ("ticket", str(ticket.id))


def test_a_draft_from_an_index_that_fell_behind_never_cites_a_retired_article(
        session: Session, desk: Desk, holder: IndexHolder, settings: Settings) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="My mailbox is full",
                         description="Outlook says my mailbox is full and I cannot send mail.")
    index = holder.current(session)
    article = service.get_by_slug(session, actor=Principal.of(desk.lena), slug="mailbox-full")
    workflow.retire(session, actor=Principal.of(desk.lena), article_id=article.id, reason="replaced")
    draft = drafts.create(session, actor=Principal.of(desk.carol), settings=settings, index=index,
                          ticket_id=ticket.id)
    assert all(s["slug"] != "mailbox-full" for s in draft.sources)
    assert "mailbox-full" not in draft.outputs["text"]


def test_an_agent_outside_the_ticket_s_team_cannot_draft_a_reply(session: Session, desk: Desk,
                                                                 holder: IndexHolder, settings: Settings) -> None:
    ticket = open_ticket(session, desk, desk.dave, queue=desk.service_desk)
    with pytest.raises(PermissionDenied):
        drafts.create(session, actor=Principal.of(desk.dave), settings=settings, index=holder.current(session),
                      ticket_id=ticket.id)
