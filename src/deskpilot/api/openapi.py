"""The OpenAPI document and its docs page: every operation declares the errors the API can answer with.

The error statuses come from the shared handlers (api/errors.py) and the cross-cutting limits
(authentication, rate limits, request size, transient database failures), not from any one route, so
they are added here to every operation instead of being repeated on each route. Swagger UI is served
from the `swagger-ui-bundle-v2` package so /docs works without reaching a CDN.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from swagger_ui_bundle import swagger_ui_path

DOCS_ASSETS = "/docs/assets"
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer"}}}


class ErrorRead(BaseModel):
    """The body of every error response; `message` says what went wrong and what to do."""

    error: str
    message: str


ERROR_RESPONSES: dict[str, str] = {
    "401": "Not signed in: send a session cookie or `Authorization: Bearer <token>`.",
    "403": "Signed in, but your role or team may not do this.",
    "404": "No such record, or not one you may see.",
    "409": "Conflicts with the current state or with existing data; nothing was saved.",
    "413": "The request body, or a file in it, is too large.",
    "422": "The request is not valid; `message` names the fields.",
    "429": "Too many requests; wait for `Retry-After` seconds.",
    "503": "Temporarily unavailable (a busy database or a model); retry after `Retry-After` seconds.",
}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting `model` as the JSON body of a route that reads its body itself."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(value) for value in node] if isinstance(node, list) else node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


def _error_response(status: str, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorRead"}}}}
    if status in ("429", "503"):
        response["headers"] = _RETRY_AFTER
    return response


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the error responses on every operation and FastAPI's unused validation shapes gone."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorRead"] = ErrorRead.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                if status != "413" or "requestBody" in operation:
                    responses[status] = _error_response(status, description)
    return schema


def install(app: FastAPI) -> None:
    """Generate the documented schema once, and serve Swagger UI from the installed package at /docs."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")
