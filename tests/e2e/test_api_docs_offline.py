"""/docs renders the API in headless Chromium with every request off the server blocked (no CDN)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Route, expect


def test_api_docs_render_the_operations_without_reaching_the_internet(chromium: Browser, live_server: str) -> None:
    own_host = urlsplit(live_server).netloc
    blocked: list[str] = []

    def only_our_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = chromium.new_context(base_url=live_server)
    try:
        context.route("**/*", only_our_server)
        page = context.new_page()
        page.goto("/docs")
        expect(page.get_by_text("/api/v1/kb/articles/from-ticket/{ticket_id}")).to_be_visible(timeout=15_000)
        expect(page.locator(".opblock")).not_to_have_count(0)
        assert blocked == []
    finally:
        context.close()
