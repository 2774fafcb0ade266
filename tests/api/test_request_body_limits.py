"""JSON bodies are bounded in depth and size before any route parses them: clear 422/413, no traceback."""

from __future__ import annotations

import logging

import pytest

from deskpilot.api.body_limits import MAX_JSON_BYTES, json_depth_exceeds
from tests.api.conftest import Clients


def test_deeply_nested_json_is_refused_with_422_without_logging_a_traceback(
        clients: Clients, caplog: pytest.LogCaptureFixture) -> None:
    alice = clients["alice"]
    nested = "[" * 800 + "]" * 800
    with caplog.at_level(logging.WARNING):
        response = alice.post("/api/v1/tickets", content=f'{{"subject": "x", "description": {nested}}}',
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input" and "deeper than 64" in response.json()["message"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert alice.get("/api/v1/me").status_code == 200


def test_a_json_body_over_the_size_limit_is_refused_with_413(clients: Clients) -> None:
    big = {"subject": "x", "description": "a" * (MAX_JSON_BYTES + 1)}
    response = clients["alice"].post("/api/v1/tickets", json=big)
    assert (response.status_code, response.json()["error"]) == (413, "too_large")


def test_nesting_inside_strings_does_not_count_as_depth() -> None:
    assert not json_depth_exceeds(b'{"subject": "[[[[[[[[[[\\"{{{{{{{{{", "x": [[1]]}', 3)
    assert json_depth_exceeds(b'{"a": [[[1]]]}', 3)
    assert not json_depth_exceeds(b'"\\"' * 100_000, 3)
