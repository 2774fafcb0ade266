"""/healthz (the process answers) and /readyz (the database answers and is migrated)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        message = f"database not ready: {exc.__class__.__name__}; run `deskpilot init`"
        return JSONResponse({"status": "unavailable", "error": "not_ready", "message": message}, status_code=503)
    return JSONResponse({"status": "ready", "schema_revision": revision})
