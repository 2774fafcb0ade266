"""The HTTP client every vendor connector is built on: authentication, retries, rate limits, vendor errors.

A request that meets 429 waits what `Retry-After` asks (seconds or an HTTP date), a 5xx or a dropped
connection waits a doubling backoff; both are bounded (`RetryPolicy`), so a storm ends in a retryable
`ProviderError` rather than an endless wait. 404 is `NotFound`; 401/403 and other refusals are
`ProviderError(retryable=False)` carrying the vendor's own message. The client counts what it retried, so an
import can report it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from deskpilot.errors import InvalidInput, NotFound, ProviderError

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` tries of one request; backoff doubles from `backoff_seconds`; no single wait
    (Retry-After included) longer than `max_wait_seconds`."""

    max_attempts: int = 8
    backoff_seconds: float = 0.5
    max_wait_seconds: float = 60.0


@dataclass
class RequestStats:
    requests: int = 0
    rate_limited: int = 0
    retried: int = 0


def basic_auth(username: str, password: str) -> httpx.Auth:
    return httpx.BasicAuth(username, password)


def bearer_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The wait a `Retry-After` header asks for: delta-seconds or an HTTP date (RFC 9110); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def vendor_message(response: httpx.Response) -> str:
    """The error text a vendor put in its body (Zendesk `error`/`description`, ServiceNow `error.message`, Jira
    `errorMessages`/`errors`, Freshservice `message`)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, Mapping):
        if body.get("errorMessages") or body.get("errors"):  # Jira: a list of messages and field errors
            messages = [str(m) for m in body.get("errorMessages") or []]
            fields = body.get("errors") if isinstance(body.get("errors"), Mapping) else {}
            messages += [f"{name}: {text}" for name, text in (fields or {}).items()]
            if messages:
                return "; ".join(messages)
        error = body.get("error")
        if isinstance(error, Mapping):
            parts = [str(error.get(key)) for key in ("message", "detail") if error.get(key)]
            return ": ".join(parts) or response.reason_phrase
        parts = [str(body.get(key)) for key in ("error", "description", "message") if body.get(key)]
        if parts:
            return ": ".join(parts)
    return response.reason_phrase


def require_config(vendor: str, config: Mapping[str, str], *keys: str) -> None:
    missing = [key for key in keys if not config.get(key)]
    if missing:
        raise InvalidInput(f"The {vendor} connector needs {', '.join(missing)} in its configuration "
                           f"(DESKPILOT_CONNECTORS='{{\"{vendor}\": {{...}}}}').")


class HttpClient:
    """One vendor's API at `base_url`, with its authentication; `sleep` is the clock of the waits."""

    def __init__(self, *, vendor: str, base_url: str, auth: httpx.Auth | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise InvalidInput(f"The {vendor} base URL must start with https:// (got {base_url!r}).")
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, auth=auth, timeout=timeout,
                                  headers={"Accept": "application/json", **(headers or {})},
                                  follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def _wait(self, seconds: float, why: str, attempt: int) -> None:
        if attempt >= self.retry.max_attempts:
            raise ProviderError(f"{self.vendor}: {why}, still after {attempt} attempts; run the import again "
                                "later (it resumes where it stopped).", retryable=True)
        if seconds > self.retry.max_wait_seconds:
            raise ProviderError(f"{self.vendor}: {why} and asks to wait {seconds:.0f} s, longer than "
                                f"{self.retry.max_wait_seconds:.0f} s; run the import again later.", retryable=True)
        self.stats.retried += 1
        log.info("%s: %s; retrying in %.1f s (attempt %d)", self.vendor, why, seconds, attempt + 1)
        self._sleep(seconds)

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None) -> httpx.Response:
        """The response of a successful request (2xx), after the retries the policy allows."""
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            backoff = min(self.retry.backoff_seconds * 2 ** (attempt - 1), self.retry.max_wait_seconds)
            try:
                response = self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                self._wait(backoff, f"{method} {url} failed ({type(exc).__name__})", attempt)
                continue
            if response.status_code == 429:
                self.stats.rate_limited += 1
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                self._wait(backoff if asked is None else asked, "rate limit reached (429)", attempt)
                continue
            if response.status_code in RETRYABLE_STATUS:
                self._wait(backoff, f"{method} {url} answered {response.status_code}", attempt)
                continue
            return self._checked(method, url, response)

    def _checked(self, method: str, url: str, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        message = vendor_message(response)
        if response.status_code == 404:
            raise NotFound(f"{self.vendor} has no {url} ({message}).")
        if response.status_code in (401, 403):
            raise ProviderError(f"{self.vendor} refused the credentials ({response.status_code}: {message}); "
                                "check the connector's configuration.", retryable=False)
        raise ProviderError(f"{self.vendor}: {method} {url} answered {response.status_code}: {message}",
                            retryable=False)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", url, params=params).json()

    def send_json(self, method: str, url: str, body: Any) -> Any:
        return self.request(method, url, json=body).json()

    def get_bytes(self, url: str) -> bytes:
        return self.request("GET", url).content
