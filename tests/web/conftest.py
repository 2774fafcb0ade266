"""Page tests: browsers simulated with httpx against the real server, signing in through the sign-in form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from deskpilot.tickets.calendar import BusinessCalendar
from tests.factories import PASSWORD, Desk, make_sla
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of the tests in this folder

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class PageClient(httpx.Client):
    """A cookie-keeping client that signs in like a person does: load the form, post it."""

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        form = self.get("/sign-in")
        return self.post("/sign-in", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(form.text)})

    def post_form(self, path: str, data: dict[str, str], *, from_page: str = "/tickets") -> httpx.Response:
        """Post a form with the session's CSRF token, as read from `from_page`."""
        page = self.get(from_page)
        return self.post(path, data={"csrf_token": csrf_token(page.text), **data})


@pytest.fixture
def browser(live_server: str) -> Iterator[PageClient]:  # noqa: F811 - the fixture imported above
    with PageClient(base_url=live_server, timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
def second_browser(live_server: str) -> Iterator[PageClient]:  # noqa: F811 - the fixture imported above
    with PageClient(base_url=live_server, timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
def sla_24x7(session: Session, desk: Desk) -> None:  # noqa: F811 - the fixture imported above
    """Desk-wide policies for every priority on a 24x7 calendar, so due times follow the wall clock."""
    del desk
    targets = {"P1": (15, 240), "P2": (30, 480), "P3": (60, 1440), "P4": (240, 4320)}
    for priority, (first, resolution) in targets.items():
        make_sla(session, priority=priority, first_response=first, resolution=resolution,
                 definition=BusinessCalendar.always_open().to_dict())
    session.commit()
