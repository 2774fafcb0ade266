"""Imports from a product's export file, for desks that cannot give API access.

An export becomes a read-only connector (`ExportDesk`) over the records in the file, paged by position, so
the import flow, its report and its idempotency are the same as over the API; the external ids are the
vendor's own, so importing the export and later the API adds nothing twice. Exports carry no file contents:
attachments are reported as skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from deskpilot.connectors.freshservice import export as freshservice_export
from deskpilot.connectors.jsm import export as jsm_export
from deskpilot.connectors.records import (
    CommentDraft,
    ExportRecords,
    ExternalArticle,
    ExternalAttachment,
    ExternalComment,
    ExternalGroup,
    ExternalTicket,
    ExternalUser,
    Page,
    TicketChanges,
    TicketDraft,
)
from deskpilot.connectors.servicenow import export as servicenow_export
from deskpilot.connectors.zendesk import export as zendesk_export
from deskpilot.errors import InvalidInput, NotFound, ProviderError

T = TypeVar("T")
MAX_EXPORT_BYTES = 2 * 1024 ** 3


def _page(records: Sequence[T], cursor: str | None, limit: int) -> Page[T]:
    start = int(cursor or 0)
    items = tuple(records[start:start + limit])
    return Page(items, str(start + len(items)), start + len(items) < len(records))


class ExportDesk:
    """The records of one export file behind the connector contract (reads only)."""

    def __init__(self, name: str, digest: str, records: ExportRecords) -> None:
        self.name = name
        self.digest = digest
        self.records = records

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        return _page(self.records.tickets, cursor, limit)

    def ticket(self, external_id: str) -> ExternalTicket:
        for ticket in self.records.tickets:
            if ticket.external_id == external_id:
                return ticket
        raise NotFound(f"The {self.name} export has no ticket {external_id}.")

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        raise ProviderError(f"the export holds no file contents ({attachment.filename}); import over the API "
                            "to bring attachments", retryable=False)

    def _read_only(self, doing: str) -> InvalidInput:
        return InvalidInput(f"An export of {self.name} is read-only, so it cannot {doing}; configure the API "
                            "connection to write back.")

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        raise self._read_only(f"create {draft.subject!r}")

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        raise self._read_only(f"change {external_id} ({changes})")

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        raise self._read_only(f"comment on {external_id} ({len(comment.body)} characters)")

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        return _page(self.records.articles, cursor, limit)

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        return _page(self.records.users, cursor, limit)

    def groups(self) -> tuple[ExternalGroup, ...]:
        return ()


PARSERS = {"zendesk": zendesk_export.parse, "servicenow": servicenow_export.parse, "jsm": jsm_export.parse,
           "freshservice": freshservice_export.parse}


def open_export(name: str, path: Path) -> ExportDesk:
    """The export at `path` of product `name`: Zendesk JSON (one object, an array or JSON lines); ServiceNow CSV
    or XML (by suffix); Jira Service Management and Freshservice CSV."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file.")
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_EXPORT_BYTES // 1024 ** 3} GiB; split the export.")
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if name not in PARSERS:
        raise InvalidInput(f"No export format is known for {name!r}; exports of zendesk (JSON), servicenow (CSV, "
                           "XML), jsm (CSV) and freshservice (CSV) can be imported.")
    return ExportDesk(name, digest, PARSERS[name](path.name, content))
