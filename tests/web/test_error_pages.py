"""Page routes answer errors with HTML; the API keeps its JSON error contract."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from deskpilot.api.app import create_app
from deskpilot.config import Environment, Settings
from tests.factories import Desk
from tests.web.conftest import PageClient


def test_unknown_pages_get_an_html_404_with_a_way_on(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("alice")
    for path in ("/no-such-page", "/tickets/abc", "/static/missing.css"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Page not found" in response.text and "Talk to a human" in response.text


def test_the_api_keeps_answering_errors_in_json(live_server: str, desk: Desk) -> None:
    del desk
    with httpx.Client(base_url=live_server, timeout=60) as client:
        missing = client.get("/api/v1/nothing-here")
        anonymous = client.get("/api/v1/tickets/1")
    assert missing.status_code == 404 and missing.json() == {"error": "not_found", "message": "Not Found"}
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_authenticated"


def test_pages_carry_security_headers_and_load_only_local_assets(browser: PageClient) -> None:
    page = browser.get("/sign-in")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "https://" not in page.text.split("</head>")[0]
    assert browser.get("/static/htmx.min.js").status_code == 200
    assert "Zero-Clause BSD" in browser.get("/static/htmx.LICENSE.txt").text


def test_an_unexpected_failure_is_an_html_500_on_pages_and_json_on_the_api(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", environment=Environment.TEST))

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        page, api = client.get("/boom"), client.get("/api/v1/boom")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text and "a bug" not in page.text
    assert api.status_code == 500 and api.json()["error"] == "internal_error"
