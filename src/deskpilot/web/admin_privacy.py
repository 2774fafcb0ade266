"""The admin's "Download personal data" on a user's page: the same export as the API and the CLI."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from deskpilot.api.deps import IdPath, SessionDep, SettingsDep
from deskpilot.api.personal_data_download import personal_data_download
from deskpilot.web.admin_forms import AdminFormViewer

router = APIRouter(include_in_schema=False)


@router.post("/admin/users/{user_id}/personal-data")
def download_personal_data(user_id: IdPath, session: SessionDep, settings: SettingsDep,
                           viewer: AdminFormViewer) -> FileResponse:
    return personal_data_download(session, settings=settings, actor=viewer.principal, user_id=user_id)
