"""Production settings refuse guessable secrets and plain http."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from deskpilot.config import Environment, Settings

HTTPS = "https://desk.northwind.example"


@pytest.mark.parametrize("weak", [
    "a" * 32,
    "0123456789abcdef" * 4,
    "x7Kp2mQ9" * 5,
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
    "Northwind-Deskpilot-Production-Key-2026!",
    "my-super-secret-value-for-the-service-desk",
])
def test_production_refuses_a_long_but_guessable_secret_and_says_how_to_make_one(weak: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment=Environment.PRODUCTION, secret_key=weak, base_url=HTTPS)
    assert "DESKPILOT_SECRET_KEY" in str(refused.value) and "secrets.token_urlsafe(48)" in str(refused.value)


def test_production_accepts_generated_secrets() -> None:
    for secret in (secrets.token_urlsafe(48), secrets.token_hex(32)):
        assert Settings(environment=Environment.PRODUCTION, secret_key=secret, base_url=HTTPS).uses_https


def test_production_refuses_a_plain_http_base_url() -> None:
    with pytest.raises(ValidationError, match="DESKPILOT_BASE_URL must start with https://"):
        Settings(environment=Environment.PRODUCTION, secret_key=secrets.token_urlsafe(48),
                 base_url="http://desk.northwind.example")


def test_development_keeps_its_defaults() -> None:
    assert not Settings(environment=Environment.DEV).uses_https


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies=["10.0.0.1", "10.1.0.0/16", "::1"]).trusted_proxies
    with pytest.raises(ValidationError, match="DESKPILOT_TRUSTED_PROXIES"):
        Settings(trusted_proxies=["proxy.internal"])
