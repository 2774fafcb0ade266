"""`http.request`: call an allow-listed host (Settings.runbook_http_allowed_hosts); no redirects followed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from deskpilot.errors import InvalidInput, PermissionDenied, ProviderError
from deskpilot.runbooks.actions.base import Action, ActionContext, ActionInputs, PlannedChange, StepResult

_READ_ONLY = ("GET", "HEAD")
_MAX_BODY = 4000


class HttpInputs(ActionInputs):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=8, max_length=2000)
    json_body: dict[str, Any] | None = None
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host or url.userinfo:
            raise ValueError("must be an http(s) URL with a host and no user name or password")
        return value


def allowed(url: str, hosts: list[str]) -> bool:
    """Whether the URL's host (and port, when the list names one) is on the allow-list."""
    parsed = httpx.URL(url)
    host = parsed.host.lower()
    with_port = f"{host}:{parsed.port}" if parsed.port else host
    return any(entry.lower() in (host, with_port) for entry in hosts)


class HttpRequest(Action[HttpInputs]):
    name: ClassVar[str] = "http.request"
    input_model = HttpInputs

    def might_change(self, raw_inputs: Mapping[str, Any]) -> bool:
        return str(raw_inputs.get("method", "GET")).upper() not in _READ_ONLY

    def _check(self, ctx: ActionContext, inputs: HttpInputs) -> None:
        if not allowed(inputs.url, ctx.settings.runbook_http_allowed_hosts):
            raise PermissionDenied(f"{httpx.URL(inputs.url).host} is not in DESKPILOT_RUNBOOK_HTTP_ALLOWED_HOSTS.")

    def plan(self, ctx: ActionContext, inputs: HttpInputs) -> PlannedChange:
        self._check(ctx, inputs)
        return PlannedChange(f"Send {inputs.method} {inputs.url}.", {}, {"method": inputs.method, "url": inputs.url},
                             changes=inputs.method not in _READ_ONLY)

    def execute(self, ctx: ActionContext, inputs: HttpInputs) -> StepResult:
        self._check(ctx, inputs)
        timeout = min(ctx.remaining(), ctx.settings.runbook_step_timeout_seconds)
        try:
            response = httpx.request(inputs.method, inputs.url, json=inputs.json_body, timeout=timeout,
                                     follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{inputs.method} {inputs.url} timed out.", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{inputs.method} {inputs.url} failed: {exc}", retryable=True) from exc
        if response.status_code not in inputs.expect_status:
            raise InvalidInput(f"{inputs.method} {inputs.url} answered {response.status_code}, expected one of "
                               f"{inputs.expect_status}.")
        return StepResult(f"{inputs.method} {inputs.url}: {response.status_code}",
                          {"status": response.status_code, "body": response.text[:_MAX_BODY]})
