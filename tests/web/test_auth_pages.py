"""Sign-in, sign-out and the guard on every page, over real HTTP."""

from __future__ import annotations

from deskpilot.api.deps import SESSION_COOKIE
from tests.factories import Desk
from tests.web.conftest import PageClient, csrf_token


def test_signing_in_sets_the_session_cookie_and_lands_a_requester_on_my_tickets(browser: PageClient,
                                                                                desk: Desk) -> None:
    del desk
    response = browser.sign_in("alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    page = browser.get("/tickets")
    assert page.status_code == 200
    assert "Signed in as <strong>Alice</strong>" in page.text
    assert "Talk to a human" in page.text


def test_staff_land_on_the_queue_without_the_requester_links(browser: PageClient, desk: Desk) -> None:
    del desk
    assert browser.sign_in("carol").headers["location"] == "/queue"
    page = browser.get("/queue")
    assert page.status_code == 200
    assert 'href="/queue" aria-current="page"' in page.text
    assert "Talk to a human</a>" not in page.text.split("<main")[0]


def test_anonymous_visitors_are_sent_to_sign_in_and_back_afterwards(browser: PageClient, desk: Desk) -> None:
    del desk
    response = browser.get("/tickets/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Ftickets%2Fnew"
    form = browser.get("/sign-in?next=/tickets/new")
    signed_in = browser.post("/sign-in", data={"username": "alice", "password": "Correct-Horse-42",
                                               "next": "/tickets/new", "csrf_token": csrf_token(form.text)})
    assert signed_in.headers["location"] == "/tickets/new"


def test_sign_in_never_redirects_to_another_site(browser: PageClient, desk: Desk) -> None:
    del desk
    form = browser.get("/sign-in")
    response = browser.post("/sign-in", data={"username": "alice", "password": "Correct-Horse-42",
                                              "next": "//evil.example/x", "csrf_token": csrf_token(form.text)})
    assert response.headers["location"] == "/tickets"


def test_a_wrong_password_is_explained_and_repeated_failures_are_rate_limited(browser: PageClient,
                                                                             desk: Desk) -> None:
    del desk
    first = browser.sign_in("alice", password="wrong")
    assert first.status_code == 401
    assert "Could not sign you in." in first.text and "Unknown username or wrong password." in first.text
    assert 'value="alice"' in first.text  # the username is kept, the password is not
    for _ in range(4):
        browser.sign_in("alice", password="wrong")
    limited = browser.sign_in("alice")
    assert limited.status_code == 429
    assert "Too many failed sign-in attempts. Wait a minute and try again." in limited.text
    assert SESSION_COOKIE not in limited.headers.get("set-cookie", "")


def test_the_sign_in_form_refuses_a_post_without_its_token(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.get("/sign-in")
    response = browser.post("/sign-in", data={"username": "alice", "password": "Correct-Horse-42"})
    assert response.status_code == 403
    assert "security token is missing or out of date" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_signing_out_ends_the_session(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    response = browser.post_form("/sign-out", {}, from_page="/tickets")
    assert response.status_code == 303
    assert browser.get("/sign-in?signed_out=1").text.count("You are signed out.") == 1
    assert browser.get("/tickets").status_code == 303
