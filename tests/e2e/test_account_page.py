"""A person manages their own API tokens on My account in headless Chromium: create, use, see last use, revoke."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import SignIn
from tests.factories import Desk


def test_a_person_creates_uses_and_revokes_an_api_token_on_my_account(signed_in: SignIn, desk: Desk,
                                                                       live_server: str, artifacts_dir: Path) -> None:
    del desk
    carol = signed_in("carol")
    carol.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    expect(carol.get_by_role("heading", name="My account")).to_be_visible()
    expect(carol.get_by_text("You have no API tokens.")).to_be_visible()
    carol.get_by_label("Name", exact=True).fill("ticket export script")
    carol.get_by_label("Valid for (days)").fill("30")
    carol.get_by_role("button", name="Create token").click()
    expect(carol.locator("#new-token")).to_contain_text("shown only this once")
    secret = carol.locator("#new-token-secret").inner_text().strip()
    carol.screenshot(path=str(artifacts_dir / "e2e-account-token-created.png"), full_page=True)
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as script:
        assert script.get("/api/v1/me").json()["username"] == "carol"
        carol.goto("/account")
        row = carol.get_by_role("row", name="ticket export script")
        expect(row).to_contain_text("active")
        expect(row).to_contain_text("just now")
        expect(carol.locator("#new-token-secret")).to_have_count(0)
        row.get_by_role("button", name="Revoke token ticket export script").click()
        expect(carol.get_by_role("status")).to_contain_text("The token was revoked")
        expect(carol.get_by_role("row", name="ticket export script")).to_contain_text("revoked")
        assert script.get("/api/v1/me").status_code == 401
