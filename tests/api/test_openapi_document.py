"""The OpenAPI document declares, on every operation, the error statuses the API answers with, and their body."""

from __future__ import annotations

import httpx

from tests.api.conftest import Clients

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorRead"}


def test_every_operation_documents_its_error_statuses_with_the_error_body(live_server: str) -> None:
    schema = httpx.get(f"{live_server}/openapi.json", timeout=30).json()
    operations = [(f"{method.upper()} {path}", op) for path, item in schema["paths"].items()
                  for method, op in item.items()]
    assert len(operations) > 70
    undocumented = []
    for name, op in operations:
        expected = {"401", "403", "404", "409", "422", "429", "503"} | ({"413"} if "requestBody" in op else set())
        for status in expected:
            content = op["responses"].get(status, {}).get("content", {}).get("application/json", {})
            if content.get("schema") != ERROR_SCHEMA:
                undocumented.append(f"{name} {status}")
    assert undocumented == []
    assert set(schema["components"]["schemas"]["ErrorRead"]["required"]) == {"error", "message"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_a_real_error_body_has_the_documented_shape(clients: Clients) -> None:
    for response in (clients["anonymous"].get("/api/v1/kb/articles"), clients["alice"].get("/api/v1/audit/export"),
                     clients["carol"].get("/api/v1/kb/articles/999999"),
                     clients["carol"].post("/api/v1/kb/articles", json={"slug": "Bad Slug"})):
        body = response.json()
        assert response.status_code in (401, 403, 404, 422)
        assert isinstance(body["error"], str) and isinstance(body["message"], str)
