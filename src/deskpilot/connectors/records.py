"""What a connector reads from and writes to an ITSM, in the desk's terms.

Each connector converts vendor JSON to and from these records with pure functions in its own
`mapping.py` (`ticket_from_<vendor>(raw) -> ExternalTicket`, `ticket_to_<vendor>(draft) -> dict`, ...),
which tests call directly with the vendor's documented payloads. Identifiers stay the vendor's strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from deskpilot.tickets.enums import Priority, TicketStatus

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Records after a cursor, oldest change first, and the cursor to resume after them.

    The caller stores `cursor` only once it has committed `items`, so a crash repeats a page rather than
    skipping one; `cursor` is opaque (a timestamp, a page token) and None only before anything was read.
    """

    items: tuple[T, ...]
    cursor: str | None
    more: bool = False


@dataclass(frozen=True)
class ExternalUser:
    external_id: str
    email: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class ExternalGroup:
    """An assignment group (ServiceNow), team (JSM), group (Zendesk, Freshservice)."""

    external_id: str
    name: str
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExternalComment:
    external_id: str
    body: str
    public: bool
    author_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class ExternalAttachment:
    """An attachment's description; `Connector.read_attachment` fetches its bytes."""

    external_id: str
    filename: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class HistoryEntry:
    """One change of one field of a ticket, as the ITSM's audit trail recorded it."""

    field: str
    old: str | None
    new: str | None
    actor_id: str | None
    changed_at: datetime


@dataclass(frozen=True)
class ExternalTicket:
    """A ticket with everything the desk learns from: comments, attachments and its history.

    `status` and `priority` are mapped to the desk's vocabulary; `vendor_status` keeps the ITSM's own word
    so a write-back can preserve states the desk has no name for.
    """

    external_id: str
    number: str
    subject: str
    description: str
    status: TicketStatus
    vendor_status: str
    priority: Priority | None
    category: str | None
    requester_id: str | None
    assignee_id: str | None
    group_id: str | None
    created_at: datetime
    updated_at: datetime
    url: str
    comments: tuple[ExternalComment, ...] = ()
    attachments: tuple[ExternalAttachment, ...] = ()
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class ExternalArticle:
    external_id: str
    title: str
    body: str
    published: bool
    url: str
    updated_at: datetime
    category: str | None = None


@dataclass(frozen=True)
class TicketDraft:
    """A ticket to create in the ITSM."""

    subject: str
    description: str
    requester_id: str | None = None
    priority: Priority | None = None
    category: str | None = None
    group_id: str | None = None


@dataclass(frozen=True)
class TicketChanges:
    """Fields to change on an ITSM ticket; None leaves a field as it is."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    category: str | None = None
    group_id: str | None = None
    assignee_id: str | None = None


@dataclass(frozen=True)
class CommentDraft:
    """A comment to add: public (the requester sees it) or an internal work note."""

    body: str
    public: bool = False


@dataclass(frozen=True)
class ExportRecords:
    """What a product's export file holds, in the desk's terms (see connectors/exports.py)."""

    tickets: tuple[ExternalTicket, ...] = ()
    articles: tuple[ExternalArticle, ...] = ()
    users: tuple[ExternalUser, ...] = ()
