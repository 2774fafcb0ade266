"""Help articles are shown as HTML rendered from their Markdown, never as raw Markdown, and never with a script."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.kb import service, workflow
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.web.article_html import article_html
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient

HOSTILE = """# Reset your password

<script>alert("stolen")</script>

1. Open the [self-service page](https://id.northwind.example/reset).
2. Do **not** click [this](javascript:alert(1)) or [that](JAVASCRIPT:alert(2)).

<img src=x onerror="alert(3)">
"""


def test_article_markdown_is_rendered_and_script_and_javascript_links_are_neutralised() -> None:
    html = str(article_html(HOSTILE))
    assert "<h1>Reset your password</h1>" in html and "<strong>not</strong>" in html
    assert '<a href="https://id.northwind.example/reset">self-service page</a>' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html.lower()
    assert "[this](javascript:alert(1))" in html  # left as the text the author wrote, not a link


def _publish_hostile_article(session: Session, desk: Desk) -> None:
    article = service.create(session, actor=Principal.of(desk.carol), data=KbArticleCreate(
        slug="password-reset", title="Reset your password", body=HOSTILE, tags=["password"]))
    workflow.submit(session, actor=Principal.of(desk.carol), article_id=article.id, version=1)
    workflow.approve(session, actor=Principal.of(desk.lena), article_id=article.id, version=1)
    session.commit()


def _assert_rendered_safely(page: httpx.Response) -> None:
    assert page.status_code == 200, page.text
    assert "<h1>Reset your password</h1>" in page.text and "# Reset your password" not in page.text
    assert "<li>Open the" in page.text
    assert '<script>alert("stolen")' not in page.text and "&lt;script&gt;" in page.text
    assert 'href="javascript' not in page.text.lower() and "<img src=x" not in page.text


def test_a_cited_article_page_shows_sanitised_html_not_raw_markdown(browser: PageClient, session: Session,
                                                                    desk: Desk) -> None:
    _publish_hostile_article(session, desk)
    browser.sign_in("alice")
    _assert_rendered_safely(browser.get("/chat/sources/password-reset?version=1"))


def test_the_console_links_a_matching_article_to_its_rendered_page(browser: PageClient, session: Session,
                                                                   desk: Desk) -> None:
    _publish_hostile_article(session, desk)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Reset my password",
                         description="I forgot my password and need to reset it on the self-service page.")
    session.commit()
    browser.sign_in("carol")
    page = browser.get(f"/console/tickets/{ticket.id}")
    link = '<a href="/chat/sources/password-reset?version=1">Reset your password</a>'
    assert page.status_code == 200 and link in page.text, page.text
    _assert_rendered_safely(browser.get("/chat/sources/password-reset?version=1"))
