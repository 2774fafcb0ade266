"""The administrator's connections page: saving SMTP keeps the password write-only (never in the page), the
test button's fragment says what failed and what to do, and only administrators reach the page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.audit import service as audit
from tests.factories import Desk
from tests.governance.connection_servers import SMTP_PASSWORD, SMTP_USER, smtp_with_login  # noqa: F401 - fixture
from tests.web.conftest import PageClient

PAGE = "/admin/connections"


def test_an_admin_saves_and_tests_the_smtp_server(browser: PageClient, session: Session, desk: Desk,
                                                  smtp_with_login: int) -> None:  # noqa: F811
    del desk
    browser.sign_in("adam")
    page = browser.get(PAGE)
    assert page.status_code == 200 and "Outgoing mail (SMTP)" in page.text and "Add a mailbox" in page.text
    typed = {"mail_smtp_host": "127.0.0.1", "mail_smtp_port": str(smtp_with_login), "mail_smtp_username": SMTP_USER,
             "mail_smtp_password": "wrong"}
    wrong = browser.post_form(f"{PAGE}/smtp/test", typed, from_page=PAGE)
    assert wrong.status_code == 200 and "Failed." in wrong.text and "Check the user name and password" in wrong.text
    right = browser.post_form(f"{PAGE}/smtp/test", typed | {"mail_smtp_password": SMTP_PASSWORD}, from_page=PAGE)
    assert "Connected." in right.text and "nothing was sent" in right.text

    bad = browser.post_form(f"{PAGE}/smtp", typed | {"mail_smtp_port": "0"}, from_page=PAGE)
    assert bad.status_code == 422 and "mail_smtp_port" in bad.text
    saved = browser.post_form(f"{PAGE}/smtp", typed | {"mail_smtp_password": SMTP_PASSWORD}, from_page=PAGE)
    assert saved.status_code == 303
    page = browser.get(PAGE)
    assert SMTP_PASSWORD not in page.text and "set — leave blank to keep it" in page.text
    assert f'value="{smtp_with_login}"' in page.text
    kept = browser.post_form(f"{PAGE}/smtp/test", {}, from_page=PAGE)
    assert "Connected." in kept.text
    session.rollback()
    assert {e.subject_id for e in audit.get_all(session, action="connection.changed")[0]} >= {
        "mail_smtp_host", "mail_smtp_password"}


def test_only_admins_reach_the_connections(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    assert browser.get(PAGE).status_code == 403
    assert browser.post_form(f"{PAGE}/smtp/test", {}, from_page="/queue").status_code == 403
