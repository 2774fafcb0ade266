"""Fixtures of the kb tests: the personas and a small article factory."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.kb import service, workflow
from deskpilot.kb.models import KbArticle
from deskpilot.kb.schemas import KbArticleCreate
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
