"""Real servers for the connection tests: an SMTP server that wants a sign-in (aiosmtpd with AUTH on
loopback), beside the suite's Dovecot and slapd."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.live_server import _free_port

SMTP_USER, SMTP_PASSWORD = "desk-relay", "relay-secret-9"


class _Accept:
    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        return "250 OK"


def _authenticate(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
    del mechanism
    right = isinstance(data, LoginPassword) and (data.login, data.password) == (SMTP_USER.encode(),
                                                                              SMTP_PASSWORD.encode())
    return AuthResult(success=right, handled=False)


@pytest.fixture
def smtp_with_login() -> Iterator[int]:
    """The port of an SMTP server on 127.0.0.1 that accepts SMTP_USER / SMTP_PASSWORD (no TLS: loopback)."""
    port = _free_port()
    controller = Controller(_Accept(), hostname="127.0.0.1", port=port, authenticator=_authenticate,
                            auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()
