"""A local OAuth2 authorization server for the XOAUTH2 tests: the refresh-token grant (RFC 6749 §6) and token
introspection (RFC 7662), which Dovecot's oauth2 passdb calls to validate each bearer token. It stands in for
Entra ID or Google in the tests only; the mail client and Dovecot are the real parts under test."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CLIENT_ID, REFRESH_TOKEN = "deskpilot-mail", "refresh-0123"


@dataclass
class Provider:
    url: str = ""
    username: str = ""
    issued: set[str] = field(default_factory=set)
    refreshes: int = 0
    introspections: int = 0


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/token":
                self._token(form)
            elif self.path == "/introspect":
                provider.introspections += 1
                active = form.get("token") in provider.issued
                self._send(200, {"active": True, "username": provider.username} if active else {"active": False})
            else:
                self._send(404, {"error": "not_found"})

        def _token(self, form: dict[str, str]) -> None:
            if form.get("grant_type") != "refresh_token" or form.get("client_id") != CLIENT_ID \
                    or form.get("refresh_token") != REFRESH_TOKEN:
                self._send(400, {"error": "invalid_grant", "error_description": "refresh token revoked"})
                return
            provider.refreshes += 1
            token = f"access-{secrets.token_hex(8)}"
            provider.issued.add(token)
            self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            return

    return Handler


@contextmanager
def oauth_provider(username: str) -> Iterator[Provider]:
    provider = Provider(username=username)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
