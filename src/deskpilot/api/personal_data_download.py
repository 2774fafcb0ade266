"""A person's archive as a download, for the API and the admin page alike: built in a private temporary
folder that is removed once the response is sent, so no copy of the personal data stays behind."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.privacy.export import export_person, find_person


def personal_data_download(session: Session, *, settings: Settings, actor: Principal, user_id: int) -> FileResponse:
    person = find_person(session, reference=str(user_id))
    folder = Path(tempfile.mkdtemp(prefix="deskpilot-export-"))
    try:
        summary = export_person(session, settings=settings, actor=actor, person=person,
                                output=folder / f"personal-data-{person.username}.zip")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(summary.path, media_type="application/zip", filename=summary.path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
