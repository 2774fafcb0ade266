"""The contract of an ITSM connector, registered in the `deskpilot.connectors` entry point group.

An entry point names a connector class: it has a `name` equal to the entry point's name and is built from
its configuration (`Connector(config)`, a mapping of strings such as base URL and credentials, which the
class validates). The connector is the real HTTP client: it handles authentication, pagination, rate limits
(429 and Retry-After) and retries, and raises `ProviderError` (with `retryable`) when the ITSM fails. Vendor
JSON becomes the records of `connectors/records.py` through pure mapping functions (see there).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from deskpilot.connectors.records import (
    CommentDraft,
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


@runtime_checkable
class Connector(Protocol):
    """One ITSM instance: read tickets, articles, users and groups since a cursor; write tickets back."""

    @property
    def name(self) -> str: ...

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        """Tickets created or changed after `cursor` (None: from the beginning), with their comments,
        attachments and history, oldest change first, at most `limit`."""

    def ticket(self, external_id: str) -> ExternalTicket:
        """One ticket with its comments, attachments and history; NotFound when the ITSM has none."""

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        """The bytes of an attachment listed on a ticket."""

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        """Create a ticket in the ITSM and return it as stored there."""

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        """Change the given fields (None leaves a field alone) and return the ticket as stored."""

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        """Add a public comment or an internal work note to a ticket."""

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        """Knowledge articles created or changed after `cursor`, published or not (the record says)."""

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        """Users (requesters and agents) created or changed after `cursor`, to map onto the desk's accounts."""

    def groups(self) -> tuple[ExternalGroup, ...]:
        """Every assignment group with its members, to map onto the desk's teams and queues."""

