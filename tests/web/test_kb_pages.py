"""The knowledge-base pages: writers, approvers and auditors reach them as the API allows; every step goes
through the kb services (four eyes included), is audited, and a refusal is shown, not lost."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.models import KbArticle, KbGapQuestion
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient

BODY = "Open **Rooms** in Outlook.\n\n1. Pick a room\n2. Send the invite\n\n<script>alert(1)</script>"


def _fresh(session: Session) -> None:
    session.rollback()
    session.expire_all()


def _write(browser: PageClient, *, title: str = "Book a meeting room", body: str = BODY) -> str:
    """Create an article as the signed-in writer; returns its page's path."""
    created = browser.post_form("/kb", {"title": title, "body": body, "category": "Facilities",
                                        "change_note": "first version"}, from_page="/kb/new")
    assert created.status_code == 303, created.text
    return created.headers["location"].split("?")[0]


def _submit(browser: PageClient, article: str, version: int = 1) -> None:
    done = browser.post_form(f"{article}/versions/{version}/submit", {}, from_page=article)
    assert done.status_code == 303 and done.headers["location"].endswith("done=submitted")


def test_an_agent_writes_and_submits_and_a_lead_approves_with_a_note(browser: PageClient,
                                                                     second_browser: PageClient,
                                                                     session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    article = _write(browser)
    page = browser.get(article)
    assert "Edit draft" in page.text and "<strong>Rooms</strong>" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    _submit(browser, article)
    assert "Approve and publish" not in browser.get(article).text

    second_browser.sign_in("lena")
    waiting = second_browser.get("/kb").text.split('id="in-review-title"')[1].split("</section>")[0]
    assert f'href="{article}">Book a meeting room</a> v1 by carol' in waiting
    review = second_browser.get(article)
    assert "Approve and publish" in review.text and "first version" in review.text
    approved = second_browser.post_form(f"{article}/versions/1/approve", {"note": "clear steps"}, from_page=article)
    assert approved.headers["location"].endswith("done=approved")

    _fresh(session)
    stored = session.scalar(select(KbArticle).where(KbArticle.slug == "book-a-meeting-room"))
    assert stored is not None and stored.status is KbArticleStatus.PUBLISHED and stored.approved_version == 1
    assert stored.versions[0].review_note == "clear steps" and stored.versions[0].reviewer_name == "lena"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "kb_article")
                             .order_by(AuditEvent.id))
    assert list(actions) == ["kb.create", "kb.submit", "kb.approve"]
    listed = browser.get("/kb", params={"status": "published"})
    assert re.search(r"Book a meeting room.*?published", listed.text, re.S)


def test_a_lead_cannot_approve_their_own_article_and_is_told_why(browser: PageClient, session: Session,
                                                                 desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    article = _write(browser)
    _submit(browser, article)
    refused = browser.post_form(f"{article}/versions/1/approve", {}, from_page=article)
    assert refused.status_code == 403
    assert "another lead or an admin has to approve it" in refused.text
    _fresh(session)
    assert session.scalar(select(KbArticle.status)) is KbArticleStatus.DRAFT


def test_a_rejection_needs_a_comment_and_shows_it_to_the_author_who_edits_and_diffs(
        browser: PageClient, second_browser: PageClient, session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    article = _write(browser)
    _submit(browser, article)
    second_browser.sign_in("lena")
    blank = second_browser.post_form(f"{article}/versions/1/reject", {"reason": "  "}, from_page=article)
    assert blank.status_code == 422 and "Say why" in blank.text
    second_browser.post_form(f"{article}/versions/1/reject", {"reason": "Name the floor"}, from_page=article)

    assert "Sent back by lena: Name the floor" in browser.get(article).text
    edit_page = f"{article}/versions/1/edit"
    saved = browser.post_form(f"{article}/versions/1", {"title": "Book a meeting room",
                                                        "body": BODY + "\n\nRooms are on floor 3."},
                              from_page=edit_page)
    assert saved.status_code == 303
    _submit(browser, article)
    second_browser.post_form(f"{article}/versions/1/approve", {}, from_page=article)
    started = browser.post_form(f"{article}/versions", {"title": "Book a meeting room", "body": "Use the app."},
                                from_page=f"{article}/versions/new")
    assert started.headers["location"].endswith("done=versioned")
    diff = browser.get(f"{article}/diff", params={"from_version": 1, "to_version": 2})
    assert 'class="diff-added">+Use the app.' in diff.text
    assert 'class="diff-removed">-Rooms are on floor 3.' in diff.text
    _fresh(session)
    versions = session.scalars(select(KbArticle)).one().versions
    assert [v.status for v in versions] == [KbVersionStatus.APPROVED, KbVersionStatus.DRAFT]


def test_bad_editor_input_is_shown_beside_the_fields_and_kept(browser: PageClient, session: Session,
                                                              desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    refused = browser.post_form("/kb", {"title": "Printers", "slug": "Not A Slug", "body": "Some steps"},
                                from_page="/kb/new")
    assert refused.status_code == 422 and 'id="slug-error"' in refused.text and "Some steps" in refused.text
    _write(browser, title="Printers")
    taken = browser.post_form("/kb", {"title": "Printers", "body": "Again"}, from_page="/kb/new")
    assert taken.status_code == 409 and "add a version to it instead" in taken.text
    _fresh(session)
    assert session.scalar(select(KbArticle.title)) == "Printers"


def test_the_live_preview_is_rendered_and_sanitised_on_the_server(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    shown = browser.post_form("/kb/preview", {"body": "# Steps\n\n[x](javascript:alert(1)) <b>hi</b>"},
                              from_page="/kb/new")
    assert shown.status_code == 200 and "<h1>Steps</h1>" in shown.text
    assert "<a " not in shown.text and "&lt;b&gt;hi&lt;/b&gt;" in shown.text


@pytest.mark.parametrize("username", ["alice", "bob"])
def test_requesters_get_403_on_kb_pages_and_see_no_link(browser: PageClient, desk: Desk, username: str) -> None:
    del desk
    browser.sign_in(username)
    assert 'href="/kb"' not in browser.get("/account").text
    for path in ("/kb", "/kb/new", "/kb/gaps", "/kb/from-tickets"):
        assert browser.get(path).status_code == 403


def test_an_auditor_reads_the_knowledge_base_but_gets_no_write_controls(browser: PageClient,
                                                                         second_browser: PageClient,
                                                                         desk: Desk) -> None:
    del desk
    second_browser.sign_in("carol")
    article = _write(second_browser)
    browser.sign_in("audrey")
    assert 'href="/kb"' in browser.get("/account").text
    page = browser.get(article)
    assert page.status_code == 200 and "Submit for review" not in page.text and "Retire" not in page.text
    listing = browser.get("/kb").text
    assert "New article" not in listing and 'href="/api/v1/kb/export?format=csv"' in listing
    exported = browser.get("/api/v1/kb/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.text.startswith("doc_id,title,text")
    assert browser.get("/kb/new").status_code == 403
    assert browser.post_form("/kb", {"title": "x", "body": "y"}, from_page="/kb").status_code == 403


def test_a_resolved_ticket_becomes_a_draft_in_review_with_one_click(browser: PageClient, session: Session,
                                                                    desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Printer on floor 2 jams",
                         description="Paper jams, call me on +44 20 7946 0958")
    agent = desk.principal(desk.carol)
    tickets.add_message(session, actor=agent, ticket_id=ticket.id,
                        data=MessageCreate(body="Open tray 2. Remove the crumpled sheet. Close the tray."))
    tickets.change_status(session, actor=agent, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    session.commit()
    browser.sign_in("carol")
    listed = browser.get("/kb/from-tickets")
    assert f"DP-{ticket.id}" in listed.text and "Draft an article" in listed.text
    drafted = browser.post_form(f"/kb/from-tickets/{ticket.id}", {}, from_page="/kb/from-tickets")
    assert drafted.headers["location"].endswith("done=drafted")
    page = browser.get(drafted.headers["location"])
    assert "is in review" in page.text and "7946" not in page.text
    assert "Drafted" in browser.get("/kb/from-tickets").text
    again = browser.post_form(f"/kb/from-tickets/{ticket.id}", {}, from_page="/kb/from-tickets")
    assert again.status_code == 409 and "already drafted" in again.text


def test_an_unanswered_question_starts_a_prefilled_article_in_one_click(browser: PageClient, session: Session,
                                                                        desk: Desk) -> None:
    del desk
    session.add_all([KbGapQuestion(question="How do I book a parking space?", confidence=0.1),
                     KbGapQuestion(question="How do I book a parking space?", confidence=0.2)])
    session.commit()
    browser.sign_in("carol")
    gaps = browser.get("/kb/gaps")
    assert gaps.status_code == 200 and "Asked 2 times" in gaps.text
    start = re.search(r'href="(/kb/new\?[^"]+)"', gaps.text)
    assert start is not None
    editor = browser.get(start.group(1).replace("&amp;", "&"))
    assert 'value="How do I book a parking space?"' in editor.text
    assert "People ask: *How do I book a parking space?*" in editor.text
