"""The KB import page: a writer uploads files and sees per file what was created, updated or left unchanged,
and which file was skipped and why; the good files are kept. Requesters cannot reach it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from deskpilot.kb.models import KbArticle, KbVersionStatus
from tests.factories import Desk
from tests.web.conftest import PageClient, csrf_token

ROOMS = b"---\ntitle: Book a meeting room\ncategory: Facilities\n---\nOpen **Rooms** in Outlook and pick a room.\n"
CSV = b"doc_id,title,text\nprinter-jam,Clear a printer jam,Open tray 2 and pull the paper out gently.\n"


def _upload(browser: PageClient, files: list[tuple[str, bytes]]) -> str:
    token = csrf_token(browser.get("/kb/import").text)
    done = browser.post("/kb/import", data={"csrf_token": token},
                        files=[("files", (name, content, "text/plain")) for name, content in files])
    assert done.status_code == 200, done.text
    return done.text


def test_an_agent_imports_files_and_sees_what_each_became(browser: PageClient, session: Session, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    assert 'href="/kb/import"' in browser.get("/kb").text
    page = _upload(browser, [("meeting-rooms.md", ROOMS), ("printers.csv", CSV), ("notes.docx", b"PK\x03\x04"),
                             ("latin.md", "caf\xe9".encode("latin-1"))])
    assert "2 created, 0 updated, 0 unchanged, 2 files skipped." in page
    assert "created <a" in page and "meeting-rooms" in page and "printer-jam" in page
    assert "<strong>Skipped:</strong> unsupported file type .docx" in page
    assert "<strong>Skipped:</strong> not UTF-8 text" in page

    again = _upload(browser, [("meeting-rooms.md", ROOMS)])
    assert "0 created, 0 updated, 1 unchanged." in again
    session.rollback()
    articles = {a.slug: a for a in session.scalars(select(KbArticle))}
    assert set(articles) == {"meeting-rooms", "printer-jam"}
    assert articles["printer-jam"].versions[-1].status is KbVersionStatus.DRAFT
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "kb.import")).first() is not None


def test_no_files_is_refused_on_the_page_and_requesters_cannot_import(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    token = csrf_token(browser.get("/kb/import").text)
    empty = browser.post("/kb/import", data={"csrf_token": token}, files=[("files", ("", b"", "text/plain"))])
    assert empty.status_code == 422 and "Choose at least one file" in empty.text
    refused = browser.post("/kb/import", data={"csrf_token": token, "approve": "true"},
                           files=[("files", ("rooms.md", ROOMS, "text/plain"))])
    assert refused.status_code == 403 and "only admins may do it" in refused.text
    browser.cookies.clear()
    browser.sign_in("alice")
    assert browser.get("/kb/import").status_code == 403
