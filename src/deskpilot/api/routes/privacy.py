"""/api/v1/users/{id}/personal-data: a person's right of access, for admins (every export audited)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from deskpilot.accounts.permissions import Permission, require
from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep, SettingsDep
from deskpilot.api.personal_data_download import personal_data_download

router = APIRouter(prefix="/api/v1/users", tags=["privacy"])


@router.post("/{user_id}/personal-data", operation_id="export_personal_data", response_class=FileResponse,
             responses={200: {"content": {"application/zip": {}}}})
def export_personal_data(user_id: IdPath, session: SessionDep, settings: SettingsDep,
                         actor: CurrentPrincipal) -> FileResponse:
    """Everything the desk holds about the user (account, tickets, chats, e-mails with attachments, AI
    decisions, audit events) as a ZIP archive with a README and a manifest of checksums."""
    require(actor, Permission.PRIVACY_MANAGE)
    return personal_data_download(session, settings=settings, actor=actor, user_id=user_id)
