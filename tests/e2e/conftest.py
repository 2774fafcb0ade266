"""Headless Chromium (Debian's, driven by Python Playwright) against the real server.

`playwright install` downloads browsers and cannot work here; the system Chromium is used instead and is
installed with apt on first use when missing.
"""

from __future__ import annotations

import shutil
import subprocess
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.factories import PASSWORD
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of the tests in this folder
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this folder

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _install_chromium() -> str:
    """Install Debian's chromium with apt; returns what went wrong, or "" on success."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this machine"
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            return f"`{' '.join(command)}` exited with {result.returncode}: {result.stderr.strip()[-1500:]}"
    return "" if CHROMIUM.exists() else f"apt-get finished but {CHROMIUM} is still missing"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The system Chromium, installed on first use (about a minute) when missing."""
    if not CHROMIUM.exists():
        problem = _install_chromium()
        if problem:
            pytest.fail(f"The browser tests need Chromium at {CHROMIUM} and it could not be installed: {problem}. "
                        "Install it with `apt-get install -y chromium` (as root) and run the tests again.")
    return CHROMIUM


@pytest.fixture(scope="session")
def chromium(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


SignIn = Callable[..., Page]


@contextmanager
def browser_sessions(chromium: Browser, base_url: str) -> Iterator[SignIn]:
    """Sign personas in through the sign-in page of the server at `base_url`, each in a fresh browser context."""
    contexts: list[BrowserContext] = []

    def sign_in(username: str, *, viewport: dict[str, int] = DESKTOP, javascript: bool = True) -> Page:
        context = chromium.new_context(base_url=base_url, viewport=viewport, java_script_enabled=javascript,
                                       is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
        contexts.append(context)
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as")).to_be_visible()
        return page

    try:
        yield sign_in
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def signed_in(chromium: Browser, live_server: str) -> Iterator[SignIn]:  # noqa: F811 - the fixture imported above
    """Open a fresh browser context of the given size and sign a persona in through the sign-in page."""
    with browser_sessions(chromium, live_server) as sign_in:
        yield sign_in


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser journey exercises the pages, not the database: each runs on one database kind, SQLite or
    PostgreSQL by a stable hash of its name, so the browser suite covers both kinds at half the cost (the API,
    page and service tests run everything on both)."""
    here = Path(__file__).parent
    kinds = ("sqlite", "postgresql")
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("database_url") if callspec is not None else None
        if kind is None or here not in Path(str(item.path)).parents:
            keep.append(item)
            continue
        chosen = kinds[zlib.crc32(item.nodeid.split("[", 1)[0].encode()) % 2]
        (keep if kind == chosen else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
