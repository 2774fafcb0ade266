"""Strict-Transport-Security on every response when the desk is served over https (`DESKPILOT_BASE_URL`).

Browsers that saw it once refuse plain http to the site for a year, so a session cookie cannot be
downgraded to an unencrypted request. TLS usually ends at a reverse proxy, so the header is set from the
configured public URL, not from the scheme of the connection the app sees.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ONE_YEAR = 365 * 24 * 3600


class StrictTransportSecurity:
    """ASGI middleware adding `Strict-Transport-Security: max-age=...; includeSubDomains` to HTTP responses."""

    def __init__(self, app: ASGIApp, *, max_age: int = ONE_YEAR) -> None:
        self.app = app
        self.value = f"max-age={max_age}; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = self.value
            await send(message)

        await self.app(scope, receive, send_with_header)
