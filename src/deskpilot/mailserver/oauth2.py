"""OAuth2 sign-in for mail servers (SASL XOAUTH2, as Microsoft 365 and Gmail require).

Access tokens come from the refresh-token grant (RFC 6749 §6) at the provider's token endpoint and are kept
until a minute before they expire; a rotated refresh token replaces the configured one for the life of the
process. One token source per OAuth2 client per process, so the poller and the sender share a token.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from deskpilot.config import OAuth2Client
from deskpilot.errors import ProviderError

_EARLY_SECONDS = 60.0
_TIMEOUT_SECONDS = 20.0


def xoauth2(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64, which the IMAP and SMTP clients add)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"


@dataclass
class TokenSource:
    """The current access token of one OAuth2 client, refreshed when it is about to expire."""

    client: OAuth2Client
    _token: str = ""
    _expires_at: float = 0.0
    _refresh_token: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def access_token(self) -> str:
        with self._lock:
            if not self._token or time.monotonic() >= self._expires_at - _EARLY_SECONDS:
                self._refresh()
            return self._token

    def _refresh(self) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token or self.client.refresh_token,
                "client_id": self.client.client_id}
        if self.client.client_secret:
            form["client_secret"] = self.client.client_secret
        if self.client.scope:
            form["scope"] = self.client.scope
        try:
            response = httpx.post(self.client.token_url, data=form, timeout=_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise ProviderError(f"OAuth2 token endpoint {self.client.token_url} unreachable: {exc}",
                                retryable=True) from exc
        body = _json(response)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            reason = body.get("error_description") or body.get("error") or response.text[:200]
            raise ProviderError(
                f"OAuth2 token refresh at {self.client.token_url} failed ({response.status_code}: {reason}); check "
                "the client id, client secret and refresh token, or sign the mailbox in again to get a new "
                "refresh token.", retryable=response.status_code >= 500)
        self._token = str(body["access_token"])
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) or (
            isinstance(lifetime, str) and lifetime.isdigit()) else 3600.0
        self._expires_at = time.monotonic() + seconds
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        parsed = response.json()
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


_SOURCES: dict[tuple[str, str, str], TokenSource] = {}
_SOURCES_LOCK = threading.Lock()


def token_source(client: OAuth2Client) -> TokenSource:
    """The process's token source for this client (one per token endpoint, client id and refresh token)."""
    key = (client.token_url, client.client_id, client.refresh_token)
    with _SOURCES_LOCK:
        return _SOURCES.setdefault(key, TokenSource(client))


def forget_tokens() -> None:
    """Drop every cached token (after the mail credentials change)."""
    with _SOURCES_LOCK:
        _SOURCES.clear()
