"""Fixtures of the kb tests: the personas, a small article factory and an index of demo articles."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.demo import KB_DIR
from deskpilot.kb import importer, indexing, service, workflow
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.models import KbArticle
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.ml.embeddings import MODEL_ID, Embedder, load_embedder
from tests.api.conftest import clients, live_server  # noqa: F401 - the API tests of this folder use them
from tests.factories import Desk, make_desk

VPN_BODY = """**Applies to:** GlobalProtect on Windows laptops.
**Symptoms:** the VPN does not connect and shows an error.

## Steps

1. Restart the laptop and try **Connect** again.
2. Check that the portal address is `vpn.northwind.example`.
3. Sign in at the Okta page and approve the push in Okta Verify.

## If this did not help

Raise a ticket with a screenshot of the error.
"""


DEMO_SLUGS = ("vpn-error-codes", "vpn-connect-windows", "password-reset-self-service", "printer-queue-stuck",
              "mailbox-full", "wifi-guest-access", "mfa-new-phone", "teams-audio-video")


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    yield load_embedder(MODEL_ID)


def demo_documents() -> list[importer.ImportedDocument]:
    return [dataclasses.replace(doc, queue=None, owner=None)
            for slug in DEMO_SLUGS for doc in importer.read_folder(KB_DIR / f"{slug}.md")]


@pytest.fixture(scope="session")
def demo_index(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of the eight articles, embedded once per test session (the database holds the same text)."""
    index = KbIndex(embedder)
    index.add_documents(KbDocument(slug=d.slug, version=1, title=d.title, text=d.body,
                                   url=service.document_url(d.slug, 1)) for d in demo_documents())
    directory = tmp_path_factory.mktemp("kb-index")
    indexing.save(index, directory)
    return directory


def demo_holder(session: Session, desk: Desk, embedder: Embedder, demo_index: Path, index_dir: Path,
                **options: float) -> IndexHolder:
    """Eight demo articles approved as version 1, and a holder of an index of them under `index_dir`."""
    importer.import_documents(session, actor=Principal.of(desk.adam), documents=demo_documents(), approve=True)
    shutil.copytree(indexing.index_path(demo_index), indexing.index_path(index_dir))
    return IndexHolder(index_dir, embedder, **options)


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


def write_article(session: Session, author: Principal, *, slug: str = "vpn-connect", title: str = "Connect to VPN",
                  body: str = VPN_BODY) -> KbArticle:
    return service.create(session, actor=author, data=KbArticleCreate(slug=slug, title=title, body=body,
                                                                      tags=["vpn"]))


def publish(session: Session, desk: Desk, *, slug: str = "vpn-connect", title: str = "Connect to VPN",
            body: str = VPN_BODY) -> KbArticle:
    """An article written by carol (agent) and approved by lena (lead)."""
    article = write_article(session, Principal.of(desk.carol), slug=slug, title=title, body=body)
    workflow.submit(session, actor=Principal.of(desk.carol), article_id=article.id, version=1)
    workflow.approve(session, actor=Principal.of(desk.lena), article_id=article.id, version=1)
    return article
