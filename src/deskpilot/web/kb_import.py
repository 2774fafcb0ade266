"""The KB import page: writers upload Markdown, HTML or CSV files and see what each file became (created,
updated, unchanged) or why it was skipped. The same import service, parsing and limits as
`POST /api/v1/kb/import` and `deskpilot kb import`, one file at a time (kb/file_import.py); the chat's index
picks up published articles at its next request."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from deskpilot.api.deps import SessionDep
from deskpilot.errors import DomainError
from deskpilot.kb.file_import import MAX_FILE_BYTES, FileReport, UploadedFile, import_files
from deskpilot.kb.schemas import MAX_IMPORT_FILES
from deskpilot.web.kb_forms import KB_PATH, KbFormViewer, KbViewer, can_edit
from deskpilot.web.templating import render
from deskpilot.web.viewer import PostedForm, Viewer

router = APIRouter(include_in_schema=False)
IMPORT = KB_PATH + "/import"


def _page(request: Request, viewer: Viewer, *, reports: list[FileReport] | None = None, problem: str | None = None,
          status_code: int = 200) -> Response:
    return render(request, "kb/import.html", {
        "reports": reports, "problem": problem, "can_edit": can_edit(viewer), "max_files": MAX_IMPORT_FILES,
        "may_publish": viewer.principal.role.value == "admin",
        "counts": {kind: sum(len(getattr(r, kind)) for r in reports or []) for kind in ("created", "updated",
                                                                                         "unchanged")},
        "skipped": sum(1 for r in reports or [] if r.skipped)}, viewer=viewer, section=KB_PATH,
        status_code=status_code)


@router.get(IMPORT)
def import_page(request: Request, viewer: KbViewer) -> Response:
    return _page(request, viewer)


@router.post(IMPORT)
def import_upload(request: Request, session: SessionDep, viewer: KbFormViewer, form: PostedForm,
                  approve: Annotated[bool, Form()] = False) -> Response:
    """Import each file; the report lists per file what it created, updated or left, or why it was skipped.
    The files are read from the form as posted: a browser sends an empty part when none was chosen."""
    uploads = [UploadedFile(PurePath(f.filename).name, f.file.read(MAX_FILE_BYTES + 1))
               for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    try:
        reports = import_files(session, actor=viewer.principal, uploads=uploads, approve=approve)
    except DomainError as exc:
        session.rollback()
        return _page(request, viewer, problem=exc.message, status_code=exc.status_code)
    return _page(request, viewer, reports=reports)
