"""An administrator answers a request of access in headless Chromium: the person's archive downloads."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import SignIn
from tests.factories import Desk, open_ticket


def test_an_admin_downloads_everything_the_desk_holds_about_a_requester(
        signed_in: SignIn, desk: Desk, session: Session, artifacts_dir: Path, tmp_path: Path) -> None:
    open_ticket(session, desk, desk.alice, description="ALICE-E2E-MARKER: the docking station is dead")
    session.commit()
    adam = signed_in("adam")
    adam.goto(f"/admin/users/{desk.alice.id}")
    expect(adam.get_by_role("heading", name="Personal data")).to_be_visible()
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-personal-data.png"), full_page=True)
    with adam.expect_download() as waiting:
        adam.get_by_role("button", name="Download personal data").click()
    download = waiting.value
    assert download.suggested_filename == "personal-data-alice.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(saved)
    assert json.loads(archive.read("manifest.json"))["person"]["username"] == "alice"
    assert "ALICE-E2E-MARKER" in archive.read("tickets/tickets.json").decode() + archive.read(
        "tickets/messages.json").decode()
