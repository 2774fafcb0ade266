"""`deskpilot connectors import`: users, then closed tickets, then published articles, page by page.

Each page is stored in its own transaction together with the cursor after it (`connector_cursors`), so the
cursor never runs ahead of what is stored: a crash or kill between pages repeats at most the page in flight,
and storing is idempotent (storing.py), so nothing is duplicated. When the ITSM keeps failing (a 429 storm
longer than the retry policy, an outage) the import stops after the last whole page and says so; running it
again resumes there.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.connectors import storing
from deskpilot.connectors.base import Connector
from deskpilot.connectors.models import ConnectorCursor
from deskpilot.connectors.records import Page
from deskpilot.connectors.storing import PageResult, Skipped, Target
from deskpilot.errors import ProviderError

STREAMS = ("users", "tickets", "articles")
UnitOfWork = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[str], None]


@dataclass
class StreamReport:
    pages: int = 0
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    comments: int = 0
    attachments: int = 0

    def count(self, page: Page[Any], result: PageResult) -> None:
        self.pages += 1
        self.read += len(page.items)
        self.added += result.added
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.comments += result.comments
        self.attachments += result.attachments


@dataclass
class ImportReport:
    streams: dict[str, StreamReport] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    stopped: str | None = None

    def skipped_by_reason(self) -> dict[str, list[Skipped]]:
        grouped: dict[str, list[Skipped]] = {}
        for item in self.skipped:
            grouped.setdefault(f"{item.kind}: {item.reason}", []).append(item)
        return grouped


def saved_cursor(session: Session, *, key: str, stream: str) -> str | None:
    """Where the import of `stream` from `key` stands (None: it has not stored a page yet)."""
    return session.scalar(select(ConnectorCursor.cursor).where(ConnectorCursor.connector == key,
                                                               ConnectorCursor.stream == stream))


def progress_of(session: Session, name: str) -> list[tuple[str, int]]:
    """The streams imported from connector `name` (its API or its export files) and their pages stored."""
    rows = session.execute(select(ConnectorCursor.stream, ConnectorCursor.pages).where(
        (ConnectorCursor.connector == name) | ConnectorCursor.connector.startswith(f"{name}-export:")))
    return [(stream, pages) for stream, pages in rows]


def save_cursor(session: Session, *, key: str, stream: str, cursor: str) -> None:
    """Move the cursor of `stream` from `key` to `cursor`, in the transaction that stored what it passed."""
    row = session.scalar(select(ConnectorCursor).where(ConnectorCursor.connector == key,
                                                       ConnectorCursor.stream == stream))
    if row is None:
        session.add(ConnectorCursor(connector=key, stream=stream, cursor=cursor, pages=1))
    else:
        row.cursor, row.pages = cursor, row.pages + 1
    session.flush()


def _fetch(connector: Connector, stream: str, cursor: str | None, limit: int) -> Page[Any]:
    if stream == "users":
        return connector.users_since(cursor, limit=limit)
    if stream == "tickets":
        return connector.tickets_since(cursor, limit=limit)
    return connector.articles_since(cursor, limit=limit)


def _store(session: Session, connector: Connector, stream: str, target: Target, page: Page[Any]) -> PageResult:
    if stream == "users":
        return storing.store_users(session, target=target, users=page.items)
    if stream == "tickets":
        return storing.store_tickets(session, target=target, tickets=page.items, read=connector.read_attachment)
    return storing.store_articles(session, target=target, articles=page.items)


def _import_stream(*, units: UnitOfWork, connector: Connector, target: Target, key: str, stream: str,
                   page_size: int, report: ImportReport, progress: Progress, from_start: bool) -> None:
    with units() as session:
        cursor = None if from_start else saved_cursor(session, key=key, stream=stream)
    totals = report.streams.setdefault(stream, StreamReport())
    while True:
        page = _fetch(connector, stream, cursor, page_size)
        with units() as session:
            result = _store(session, connector, stream, target, page)
            if page.cursor is not None:
                save_cursor(session, key=key, stream=stream, cursor=page.cursor)
        totals.count(page, result)
        report.skipped.extend(result.skipped)
        progress(f"{stream}: page {totals.pages}, {totals.read} read, {totals.added} added, "
                 f"{totals.unchanged} already here, {len(result.skipped)} skipped on this page")
        if not page.more:
            return
        if page.cursor == cursor and not page.items:
            raise ProviderError(f"{connector.name} answered an empty page that does not advance the {stream} "
                                "cursor; stopped to avoid looping.", retryable=False)
        cursor = page.cursor


def run_import(*, units: UnitOfWork, connector: Connector, target: Target, key: str, page_size: int = 100,
               streams: tuple[str, ...] = STREAMS, progress: Progress = lambda _: None,
               from_start: bool = False) -> ImportReport:
    """Import `streams` from `connector` into the desk; `key` names the cursors (the connector, or an export
    file). Stops at the first page the ITSM cannot give (report.stopped), everything before it stored.
    `from_start` reads everything again, for records skipped before (what is already here stays as it is)."""
    report = ImportReport()
    try:
        if "tickets" in streams:
            groups = {g.external_id: g.name for g in connector.groups()}
            with units() as session:
                target = replace(target, queues_by_group=storing.queues_by_group(session, groups))
        for stream in streams:
            _import_stream(units=units, connector=connector, target=target, key=key, stream=stream,
                           page_size=page_size, report=report, progress=progress, from_start=from_start)
    except ProviderError as exc:
        report.stopped = exc.message
    return report
