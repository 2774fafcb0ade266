"""With an https base URL the session cookie is Secure and every response carries Strict-Transport-Security."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, Desk
from tests.live_server import server_settings, serving


@pytest.fixture
def https_desk(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The app configured for https://desk.northwind.example (TLS ends at a proxy in front of it)."""
    with serving(server_settings(database_url, tmp_path / "var",
                                 base_url="https://desk.northwind.example")) as url:
        yield url


def test_behind_https_the_session_cookie_is_secure_and_responses_demand_https(https_desk: str, desk: Desk) -> None:
    with httpx.Client(base_url=https_desk, timeout=60) as browser:
        signed_in = browser.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
        page = browser.get("/sign-in")
    assert signed_in.status_code == 200
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("deskpilot_session=") and "secure" in cookie.lower()
    for response in (signed_in, page):
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_plain_http_desks_send_no_transport_security_header(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        assert "strict-transport-security" not in browser.get("/healthz").headers
