"""POST /api/v1/users/{id}/personal-data over real HTTP: admins get the archive, every other role 403."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket


def test_an_admin_downloads_a_persons_archive_and_no_other_role_can(
        clients: Clients, session: Session, desk: Desk) -> None:
    open_ticket(session, desk, desk.alice, description="ALICE-API-MARKER on my docking station")
    open_ticket(session, desk, desk.bob, description="BOB-API-MARKER on his keyboard")
    session.commit()
    url = f"/api/v1/users/{desk.alice.id}/personal-data"
    got = clients["adam"].post(url)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert 'filename="personal-data-alice.zip"' in got.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    text = "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert "ALICE-API-MARKER" in text and "BOB-API-MARKER" not in text
    for name in ("alice", "bob", "carol", "lena", "audrey"):
        refused = clients[name].post(url)
        assert refused.status_code == 403, (name, refused.text)
    assert clients["anonymous"].post(url).status_code == 401
    missing = clients["adam"].post("/api/v1/users/999999/personal-data")
    assert missing.status_code == 404 and "999999" in missing.json()["message"]
