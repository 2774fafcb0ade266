"""Client diagnostics from a User-Agent header: operating system and browser. Pure functions."""

from __future__ import annotations

import re

_OS = (("Windows 10/11", re.compile(r"Windows NT 10")), ("Windows", re.compile(r"Windows")),
       ("iOS", re.compile(r"iPhone|iPad")), ("Android", re.compile(r"Android")),
       ("ChromeOS", re.compile(r"CrOS")), ("macOS", re.compile(r"Mac OS X|Macintosh")),
       ("Linux", re.compile(r"Linux|X11")))
_BROWSERS = (("Edge", re.compile(r"Edg/(\d+)")), ("Opera", re.compile(r"OPR/(\d+)")),
             ("Firefox", re.compile(r"Firefox/(\d+)")), ("Chrome", re.compile(r"(?:Chrome|Chromium)/(\d+)")),
             ("Safari", re.compile(r"Version/(\d+)[\d.]* .*Safari/")))
MAX_AGENT = 512


def client_info(user_agent: str | None) -> dict[str, str]:
    """{"os", "browser", "user_agent"} as far as the header tells; empty when there is no header."""
    if not user_agent:
        return {}
    agent = user_agent[:MAX_AGENT]
    system = next((name for name, pattern in _OS if pattern.search(agent)), "unknown")
    browser = "unknown"
    for name, pattern in _BROWSERS:
        found = pattern.search(agent)
        if found:
            browser = f"{name} {found.group(1)}"
            break
    return {"os": system, "browser": browser, "user_agent": agent}
