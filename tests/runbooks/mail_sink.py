"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives: where one-time codes arrive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.live_server import _free_port


class Sink:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"

    def last_code(self) -> str:
        """The one-time code in the newest mail."""
        body = self.mails[-1].get_payload(decode=True).decode()
        found = re.search(r"code to reset your password is (\d{6})", body)
        assert found, body
        return found.group(1)


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler, port = Sink(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()
