"""Zendesk's JSON export: tickets (with `comments`, and `audits` when present), users and Help Center articles,
as JSON lines (the admin export), one array, or one object `{"tickets": [...], "users": [...], "articles": [...]}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from deskpilot.connectors.records import ExportRecords
from deskpilot.connectors.zendesk import mapping
from deskpilot.errors import InvalidInput

Raw = Mapping[str, Any]


def _objects(source: str, text: str) -> Iterator[tuple[str, Raw]]:
    """Each JSON object of the file with where it is (for error messages)."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, list):
        yield from ((f"{source} item {n}", item) for n, item in enumerate(whole, 1))
        return
    if isinstance(whole, dict):
        if any(key in whole for key in ("tickets", "users", "articles")):
            for key in ("users", "tickets", "articles"):
                yield from ((f"{source} {key}[{n}]", item) for n, item in enumerate(whole.get(key) or [], 1))
        else:
            yield source, whole
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{source} line {number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{source} line {number}: not JSON ({exc.msg}); nothing was imported.") from exc


def parse(source: str, content: bytes) -> ExportRecords:
    """The records of a Zendesk JSON export; InvalidInput naming the first record it cannot read."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text (byte {exc.start}).") from exc
    tickets, users, articles = [], [], []
    for where, raw in _objects(source, text):
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{where}: expected a JSON object.")
        try:
            if "subject" in raw and "status" in raw:
                tickets.append(mapping.ticket_from_zendesk(raw, comments=raw.get("comments") or [],
                                                           audits=raw.get("audits") or []))
            elif "title" in raw and ("draft" in raw or "html_url" in raw):
                articles.append(mapping.article_from_zendesk(raw))
            elif "email" in raw and "name" in raw:
                users.append(mapping.user_from_zendesk(raw))
            else:
                raise InvalidInput(f"{where}: neither a ticket, a user nor an article (keys: "
                                   f"{', '.join(sorted(raw)[:8])}).")
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"{where}: cannot read it as Zendesk JSON ({type(exc).__name__}: {exc}); "
                               "nothing was imported.") from exc
    if not (tickets or users or articles):
        raise InvalidInput(f"{source}: no tickets, users or articles found.")
    return ExportRecords(tickets=tuple(tickets), articles=tuple(articles), users=tuple(users))
