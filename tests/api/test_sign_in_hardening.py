"""Sign-in over real HTTP: no user enumeration by timing, rate limits per account and per client, and
X-Forwarded-For believed only from a configured proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from deskpilot.accounts.login import client_address
from tests.factories import PASSWORD, Desk
from tests.live_server import server_settings, serving


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the server makes (the real one runs; its hash is noted)."""
    seen: list[str] = []
    real = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str | bytes) -> Any:  # noqa: A002 - argon2's name
        seen.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return seen


@pytest.fixture
def behind_proxy(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A server that believes X-Forwarded-For from 127.0.0.1 (a reverse proxy on the same host)."""
    with serving(server_settings(database_url, tmp_path / "var", trusted_proxies=["127.0.0.1/32"])) as url:
        yield url


def _login(browser: httpx.Client, username: str, password: str, **headers: str) -> int:
    return browser.post("/api/v1/auth/login", json={"username": username, "password": password},
                        headers=headers).status_code


def test_unknown_and_inactive_users_cost_the_same_password_verification_as_known_ones(
        live_server: str, desk: Desk, session: Session, verifications: list[str]) -> None:
    desk.dave.is_active = False
    session.commit()
    counts = []
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        for username in ("alice", "nobody-at-all", "dave"):
            before = len(verifications)
            assert _login(browser, username, "Wrong-password-1") == 401
            counts.append(len(verifications) - before)
    assert counts == [1, 1, 1]


def test_spraying_one_account_from_twenty_addresses_is_rate_limited(behind_proxy: str, desk: Desk) -> None:
    with httpx.Client(base_url=behind_proxy, timeout=60) as browser:
        codes = [_login(browser, "bob", f"Wrong-password-{n}", **{"X-Forwarded-For": f"203.0.113.{n}"})
                 for n in range(1, 21)]
        assert codes == [401] * 5 + [429] * 15
        assert _login(browser, "bob", PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}) == 429
        assert _login(browser, "carol", PASSWORD, **{"X-Forwarded-For": "203.0.113.1"}) == 200


def test_one_client_trying_many_accounts_is_rate_limited_despite_a_forged_forwarded_for(
        live_server: str, desk: Desk) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        codes = [_login(browser, f"user{n}", "Wrong-password-1", **{"X-Forwarded-For": f"203.0.113.{n}"})
                 for n in range(1, 21)]
    assert codes == [401] * 15 + [429] * 5


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("198.51.100.9", "203.0.113.5", "198.51.100.9"),  # not a proxy: its header is ignored
    ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
    ("10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.3", "203.0.113.5"),  # the client may forge the left part
    ("10.0.0.2", "not-an-address", "10.0.0.2"),
    ("10.0.0.2", None, "10.0.0.2"),
])
def test_forwarded_for_counts_only_from_a_trusted_proxy(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, ["10.0.0.0/24"]) == expected
