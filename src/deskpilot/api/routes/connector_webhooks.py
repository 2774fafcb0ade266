"""/api/v1/connectors/{name}/webhook: an ITSM tells deskpilot that tickets changed, and the overlay makes a pass
over that connection at once instead of waiting for the periodic job.

The ITSM's webhook (Zendesk webhooks, Jira automation's "Send web request", Freshservice's workflow webhook,
ServiceNow's outbound REST) sends the connection's `webhook_secret` in the `X-Deskpilot-Webhook-Token` header; the
body is not read, since the pass reads the changes itself from the cursor, so a forged or repeated call can only
cause a pass, and a pass never writes twice (connectors/overlay.py).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status
from pydantic import BaseModel

from deskpilot.api.deps import RuntimeDep, SettingsDep
from deskpilot.connectors.overlay_runner import overlay_once
from deskpilot.db import unit_of_work
from deskpilot.errors import NotFound, PermissionDenied

router = APIRouter(prefix="/api/v1/connectors", tags=["connectors"])
Name = Annotated[str, Path(pattern="^[a-z][a-z0-9_-]{0,63}$")]


class OverlayPassRead(BaseModel):
    connector: str
    read: int
    triaged: int
    notes: int
    feedback: int
    stopped: str | None


@router.post("/{name}/webhook", status_code=status.HTTP_202_ACCEPTED, operation_id="connector_webhook")
def connector_webhook(name: Name, request: Request, settings: SettingsDep, runtime: RuntimeDep,
                      token: Annotated[str, Header(alias="X-Deskpilot-Webhook-Token", max_length=200)] = ""
                      ) -> OverlayPassRead:
    """Make an overlay pass over connection `name` now; the connection's `webhook_secret` must be sent."""
    secret = settings.connectors.get(name, {}).get("webhook_secret", "")
    if not secret:
        raise NotFound(f"No connection {name!r} takes webhooks (set its webhook_secret in DESKPILOT_CONNECTORS).")
    if not hmac.compare_digest(secret.encode(), token.encode("utf-8", "replace")):
        raise PermissionDenied("The webhook token does not match the connection's webhook_secret.")
    writer = request.app.state.writer_session_factory
    report = overlay_once(settings=settings, runtime=runtime, units=lambda: unit_of_work(writer), name=name)
    return OverlayPassRead(connector=name, read=report.read, triaged=report.triaged, notes=report.notes,
                           feedback=report.feedback, stopped=report.stopped)
