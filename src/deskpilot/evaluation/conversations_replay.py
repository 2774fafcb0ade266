"""Replays the cases through a desk's real HTTP API, as a fresh requester each, and collects what it saw.

Only the public REST API is used (an admin's token creates the requesters and their tokens; each requester
opens the set-up ticket of a status case and then talks to `/api/v1/conversations`), so the same replay
runs against the throw-away demo desk or any running desk.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from deskpilot.errors import InvalidInput
from deskpilot.evaluation.conversations_baseline import predict
from deskpilot.evaluation.conversations_cases import TICKET_PLACEHOLDER, ConversationCase, Handling
from deskpilot.evaluation.conversations_judge import Observation, ObservedMessage, Verdict, judge

# The states in which the assistant owns the conversation (`conversations/state.py`): the replay goes on posting.
ASSISTANT_STATES = frozenset({"assistant_answering", "awaiting_confirmation", "clarifying", "troubleshooting",
                              "offering_ticket", "self_service"})
TIMEOUT_SECONDS = 120.0


class ApiFailure(Exception):
    """A call to the desk's API did not succeed; the message names the call and the desk's reason."""


@dataclass(frozen=True)
class CaseResult:
    case: ConversationCase
    verdict: Verdict
    baseline: Handling
    turn_ms: tuple[float, ...]


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise ApiFailure(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                         f"{str(detail)[:300]}")
    return response.json()


def sign_in(base_url: str, *, username: str, password: str) -> str:
    """An API token for `username`, from a password sign-in (the session cookie issues the token)."""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS) as client:
        try:
            _checked(client.post("/api/v1/auth/login", json={"username": username, "password": password}))
            issued = _checked(client.post("/api/v1/users/me/tokens", json={"name": "eval conversations",
                                                                           "expires_in_days": 1}))
        except ApiFailure as exc:
            raise InvalidInput(f"cannot sign in to {base_url} as {username}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise InvalidInput(f"cannot reach {base_url}: {exc}") from exc
    return str(issued["token"])


class DeskApi:
    """The desk's REST API, driven by an admin token that creates one requester per case."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS)
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.run = secrets.token_hex(3)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, token: dict[str, str], body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            return _checked(self.client.request(method, path, headers=token, json=body, params=params))
        except httpx.HTTPError as exc:
            raise ApiFailure(f"{method} {path}: {exc}") from exc

    def new_requester(self, number: int) -> dict[str, str]:
        """A fresh requester (so per-requester limits never bite) and the headers of their API token."""
        username = f"eval-{self.run}-{number:04d}"
        user = self._call("POST", "/api/v1/users", self.admin, {
            "username": username, "email": f"{username}@northwind.example",
            "full_name": f"Eval Requester {number}", "role": "requester"})
        issued = self._call("POST", f"/api/v1/users/{user['id']}/tokens", self.admin,
                            {"name": "eval conversations", "expires_in_days": 1})
        return {"Authorization": f"Bearer {issued['token']}"}

    def tickets_of(self, token: dict[str, str]) -> frozenset[int]:
        page = self._call("GET", "/api/v1/tickets", token, params={"limit": 200})
        return frozenset(int(t["id"]) for t in page["items"])

    def open_ticket(self, token: dict[str, str], subject: str) -> int:
        ticket = self._call("POST", "/api/v1/tickets", token, {"subject": subject, "description": subject,
                                                               "channel": "portal"})
        return int(ticket["id"])

    def converse(self, token: dict[str, str], turns: list[str], timings: list[float]) -> dict[str, Any]:
        """Post the turns while the assistant owns the conversation; the final transcript."""
        started = time.perf_counter()
        transcript: dict[str, Any] = self._call("POST", "/api/v1/conversations", token, {"message": turns[0]})
        timings.append((time.perf_counter() - started) * 1000)
        for body in turns[1:]:
            if transcript["state"] not in ASSISTANT_STATES:
                break
            started = time.perf_counter()
            self._call("POST", f"/api/v1/conversations/{transcript['id']}/messages", token, {"body": body})
            timings.append((time.perf_counter() - started) * 1000)
            transcript = self._call("GET", f"/api/v1/conversations/{transcript['id']}", token)
        return transcript


def _observation(transcript: dict[str, Any], before: frozenset[int], after: frozenset[int]) -> Observation:
    messages = tuple(ObservedMessage(author=m["author_kind"], body=m["body"],
                                     cited=tuple(c["slug"] for c in m["citations"]))
                     for m in transcript["messages"])
    return Observation(state=transcript["state"], ticket_id=transcript["ticket_id"], messages=messages,
                       tickets_before=before, tickets_after=after)


def replay_case(api: DeskApi, case: ConversationCase, number: int) -> CaseResult:
    """Run one case as a fresh requester and judge it; an API failure is a wrong handling with its reason."""
    timings: list[float] = []
    before: frozenset[int] = frozenset()
    try:
        token = api.new_requester(number)
        turns = list(case.turns)
        if case.ticket_subject is not None:
            ticket_id = api.open_ticket(token, case.ticket_subject)
            turns = [t.replace(TICKET_PLACEHOLDER, str(ticket_id)) for t in turns]
        before = api.tickets_of(token)
        transcript = api.converse(token, turns, timings)
        observation = _observation(transcript, before, api.tickets_of(token))
    except ApiFailure as exc:
        observation = Observation(state="", ticket_id=None, messages=(), tickets_before=before, error=str(exc))
    return CaseResult(case=case, verdict=judge(case, observation), baseline=predict(case.turns[0]),
                      turn_ms=tuple(timings))


def replay(base_url: str, admin_token: str, cases: list[ConversationCase],
           progress: Callable[[int, int, CaseResult], None]) -> list[CaseResult]:
    """Replay every case in order through the desk at `base_url`; `progress(n, total, result)` after each."""
    api = DeskApi(base_url, admin_token)
    results: list[CaseResult] = []
    try:
        for number, case in enumerate(cases, start=1):
            results.append(replay_case(api, case, number))
            progress(number, len(cases), results[-1])
    finally:
        api.close()
    return results
