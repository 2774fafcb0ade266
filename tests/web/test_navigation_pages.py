"""Every link the menu shows a role opens for that role: no menu entry leads to a refusal."""

from __future__ import annotations

import re

import pytest

from tests.factories import Desk
from tests.web.conftest import PageClient

_LINK = re.compile(r'<a href="([^"]+)"')


@pytest.mark.parametrize("username", ["alice", "carol", "lena", "adam", "audrey"])
def test_every_menu_link_opens_for_the_role_that_sees_it(browser: PageClient, desk: Desk, username: str) -> None:
    del desk
    browser.sign_in(username)
    menu = browser.get("/account").text.split('aria-label="Main"')[1].split("</nav>")[0]
    links = _LINK.findall(menu)
    assert links, "the menu is empty"
    refused = {href: status for href in links if (status := browser.get(href).status_code) != 200}
    assert not refused, f"{username} sees links that do not open: {refused}"
