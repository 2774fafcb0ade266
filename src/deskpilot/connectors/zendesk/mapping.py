"""Zendesk Support and Help Center JSON ↔ the connector records: pure functions, called directly by tests.

Shapes follow the Zendesk API reference: a ticket's `description` is its first comment, so the comments of a
record are the ones after it (their attachments count, the first comment's too); audits carry `Change`
events, which become the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from deskpilot.connectors.records import (
    ExternalArticle,
    ExternalAttachment,
    ExternalComment,
    ExternalGroup,
    ExternalTicket,
    ExternalUser,
    HistoryEntry,
    TicketChanges,
    TicketDraft,
)
from deskpilot.connectors.values import iso_time, optional_id
from deskpilot.tickets.enums import Priority, TicketStatus

Raw = Mapping[str, Any]

STATUS = {"new": TicketStatus.NEW, "open": TicketStatus.OPEN, "pending": TicketStatus.WAITING_ON_CUSTOMER,
          "hold": TicketStatus.IN_PROGRESS, "solved": TicketStatus.RESOLVED, "closed": TicketStatus.CLOSED}
_VENDOR_STATUS = {TicketStatus.NEW: "new", TicketStatus.OPEN: "open", TicketStatus.IN_PROGRESS: "hold",
                  TicketStatus.WAITING_ON_CUSTOMER: "pending", TicketStatus.RESOLVED: "solved",
                  TicketStatus.CLOSED: "closed", TicketStatus.MERGED: "closed"}
PRIORITY = {"urgent": Priority.P1, "high": Priority.P2, "normal": Priority.P3, "low": Priority.P4}
_VENDOR_PRIORITY = {priority: vendor for vendor, priority in PRIORITY.items()}



def attachment_from_zendesk(raw: Raw) -> ExternalAttachment:
    return ExternalAttachment(external_id=str(raw["id"]), filename=raw["file_name"],
                              content_type=raw.get("content_type") or "application/octet-stream",
                              size=int(raw.get("size") or 0), url=raw["content_url"])


def comment_from_zendesk(raw: Raw) -> ExternalComment:
    return ExternalComment(external_id=str(raw["id"]), body=raw.get("plain_body") or raw.get("body") or "",
                           public=bool(raw.get("public", True)), author_id=optional_id(raw.get("author_id")),
                           created_at=iso_time(raw["created_at"]))


def history_from_audits(audits: Iterable[Raw]) -> tuple[HistoryEntry, ...]:
    return tuple(HistoryEntry(field=event["field_name"], old=_text(event.get("previous_value")),
                              new=_text(event.get("value")), actor_id=optional_id(audit.get("author_id")),
                              changed_at=iso_time(audit["created_at"]))
                 for audit in audits for event in audit.get("events", []) if event.get("type") == "Change")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def category_of(raw: Raw, category_field: str | None) -> str | None:
    """The ticket's category: the value of the custom field `category_field` (by id), else its `type`."""
    if category_field:
        for field in raw.get("custom_fields") or []:
            if str(field.get("id")) == category_field:
                return _text(field.get("value"))
        return None
    return raw.get("type")


def ticket_from_zendesk(raw: Raw, *, comments: Iterable[Raw] = (), audits: Iterable[Raw] = (),
                        category_field: str | None = None) -> ExternalTicket:
    """A ticket with the comments (`/tickets/{id}/comments`) and audits (`/tickets/{id}/audits`) read for it."""
    listed = list(comments)
    return ExternalTicket(
        external_id=str(raw["id"]), number=f"#{raw['id']}", subject=raw.get("subject") or raw.get("raw_subject") or "",
        description=raw.get("description") or "", status=STATUS[raw["status"]], vendor_status=raw["status"],
        priority=PRIORITY.get(raw.get("priority") or ""), category=category_of(raw, category_field),
        requester_id=optional_id(raw.get("requester_id")), assignee_id=optional_id(raw.get("assignee_id")),
        group_id=optional_id(raw.get("group_id")), created_at=iso_time(raw["created_at"]),
        updated_at=iso_time(raw["updated_at"]),
        url=raw.get("url") or "", comments=tuple(comment_from_zendesk(c) for c in listed[1:]),
        attachments=tuple(attachment_from_zendesk(a) for c in listed for a in c.get("attachments") or []),
        history=history_from_audits(audits))


def ticket_to_zendesk(draft: TicketDraft) -> dict[str, Any]:
    """The body of `POST /api/v2/tickets`: the description is the first comment."""
    body: dict[str, Any] = {"subject": draft.subject, "comment": {"body": draft.description}}
    if draft.requester_id:
        body["requester_id"] = int(draft.requester_id)
    if draft.priority:
        body["priority"] = _VENDOR_PRIORITY[draft.priority]
    if draft.category:
        body["type"] = draft.category
    if draft.group_id:
        body["group_id"] = int(draft.group_id)
    return {"ticket": body}


def changes_to_zendesk(changes: TicketChanges) -> dict[str, Any]:
    """The body of `PUT /api/v2/tickets/{id}`: only the fields that change."""
    fields: dict[str, Any] = {
        "status": _VENDOR_STATUS[changes.status] if changes.status else None,
        "priority": _VENDOR_PRIORITY[changes.priority] if changes.priority else None, "type": changes.category,
        "group_id": int(changes.group_id) if changes.group_id else None,
        "assignee_id": int(changes.assignee_id) if changes.assignee_id else None}
    return {"ticket": {name: value for name, value in fields.items() if value is not None}}


def comment_to_zendesk(body: str, *, public: bool) -> dict[str, Any]:
    """A comment is added by updating the ticket with a `comment` (public false: an internal note)."""
    return {"ticket": {"comment": {"body": body, "public": public}}}


def article_from_zendesk(raw: Raw) -> ExternalArticle:
    """A Help Center article; `body` stays HTML (the import turns it into the KB's text)."""
    return ExternalArticle(external_id=str(raw["id"]), title=raw["title"], body=raw.get("body") or "",
                           published=not raw.get("draft", False), url=raw.get("html_url") or "",
                           updated_at=iso_time(raw["updated_at"]), category=optional_id(raw.get("section_id")))


def user_from_zendesk(raw: Raw) -> ExternalUser:
    return ExternalUser(external_id=str(raw["id"]), email=raw.get("email") or "", name=raw.get("name") or "",
                        active=bool(raw.get("active", True)))


def groups_from_zendesk(groups: Iterable[Raw], memberships: Iterable[Raw]) -> tuple[ExternalGroup, ...]:
    members: dict[str, list[str]] = {}
    for membership in memberships:
        members.setdefault(str(membership["group_id"]), []).append(str(membership["user_id"]))
    return tuple(ExternalGroup(external_id=str(g["id"]), name=g["name"],
                               member_ids=tuple(members.get(str(g["id"]), []))) for g in groups if not g.get("deleted"))
