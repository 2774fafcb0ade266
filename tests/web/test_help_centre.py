"""The help centre: every signed-in role and (when the desk allows it) anonymous visitors browse approved
articles by category, search them with the chat's retrieval, and say whether one helped, which the KPI report
counts. Drafts and retired articles never show."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.kb_kpis import help_centre_helpful
from deskpilot.clock import utcnow
from deskpilot.kb import service as kb
from deskpilot.kb.models import KbArticleFeedback
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import load_chat_kb
from tests.factories import Desk
from tests.live_server import server_settings, serving
from tests.web.conftest import PageClient, csrf_token

ARTICLES = ("vpn-connect-windows", "printer-add", "outlook-not-syncing")


def _kb(session: Session, desk: Desk) -> None:
    load_chat_kb(session, ARTICLES)
    kb.create(session, actor=desk.principal(desk.carol), data=KbArticleCreate(
        slug="unpublished-draft", title="Unpublished draft", body="Not approved yet", category="Hardware"))
    session.commit()


def test_a_requester_browses_searches_reads_and_rates_an_article_and_the_kpis_count_it(
        browser: PageClient, session: Session, desk: Desk) -> None:
    _kb(session, desk)
    browser.sign_in("alice")
    home = browser.get("/help")
    assert home.status_code == 200 and 'href="/help"' in home.text.split('aria-label="Main"')[1]
    assert "Unpublished draft" not in home.text
    assert "Network &amp; VPN" in home.text
    category = browser.get("/help", params={"category": "Network & VPN"})
    assert "Connect to the company VPN on Windows" in category.text and "Unpublished draft" not in category.text

    found = browser.get("/help", params={"q": "my VPN keeps disconnecting"})
    first = found.text.split('class="ticket-list help-results"')[1]
    assert first.index("/help/articles/vpn-connect-windows") < first.index("</li>")

    page = browser.get("/help/articles/vpn-connect-windows")
    assert page.status_code == 200 and "<ol>" in page.text and "Was this helpful?" in page.text
    assert 'href="/chat"' in page.text and 'href="/tickets/new"' in page.text
    voted = browser.post("/help/articles/vpn-connect-windows/feedback",
                         data={"helpful": "yes", "csrf_token": csrf_token(page.text)})
    assert voted.status_code == 303
    assert "glad it helped" in browser.get(voted.headers["location"]).text
    assert browser.get("/help/articles/unpublished-draft").status_code == 404

    session.rollback()
    helpful = help_centre_helpful(session, KpiFilter.of(now=utcnow()))
    assert (helpful.value, helpful.numerator, helpful.denominator) == (1.0, 1, 1)


def test_a_forged_helpful_vote_is_refused(browser: PageClient, session: Session, desk: Desk) -> None:
    _kb(session, desk)
    browser.sign_in("bob")
    refused = browser.post("/help/articles/vpn-connect-windows/feedback", data={"helpful": "yes",
                                                                                "csrf_token": "forged"})
    assert refused.status_code == 403
    session.rollback()
    assert session.scalar(select(KbArticleFeedback.id)) is None


def test_anonymous_visitors_read_the_help_centre_only_when_the_desk_allows_it(
        live_server: str, database_url: str, tmp_path: Path, ai_runtime: AiRuntime, session: Session,
        desk: Desk) -> None:
    _kb(session, desk)
    with httpx.Client(base_url=live_server) as visitor:
        refused = visitor.get("/help")
        assert refused.status_code == 303 and refused.headers["location"] == "/sign-in?next=%2Fhelp"

    public = server_settings(database_url, tmp_path / "var", help_centre_public=True)
    with serving(public, ai_runtime) as url, httpx.Client(base_url=url) as visitor:
        page = visitor.get("/help/articles/printer-add")
        assert page.status_code == 200 and "Sign in to ask the assistant" in page.text
        voted = visitor.post("/help/articles/printer-add/feedback",
                             data={"helpful": "no", "csrf_token": csrf_token(page.text)})
        assert voted.status_code == 303
        assert visitor.get("/help/articles/unpublished-draft").status_code == 404
    session.rollback()
    stored = session.scalars(select(KbArticleFeedback)).one()
    assert (stored.helpful, stored.user_id) == (False, None)
