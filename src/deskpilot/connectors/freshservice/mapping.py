"""Freshservice API v2 JSON ↔ the connector records: pure functions, called directly by tests.

Shapes follow the Freshservice API v2 reference: a ticket's `status` is 2 Open, 3 Pending, 4 Resolved, 5 Closed and
its `priority` 1 Low … 4 Urgent; conversations are replies (`private: false`) and notes (`private: true`);
activities are sentences such as " set Priority as High", which become the history; solution articles have
`status` 1 draft, 2 published.
"""

from __future__ import annotations

import re
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

STATUS = {2: TicketStatus.OPEN, 3: TicketStatus.WAITING_ON_CUSTOMER, 4: TicketStatus.RESOLVED, 5: TicketStatus.CLOSED}
STATUS_LABEL = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
_VENDOR_STATUS = {TicketStatus.NEW: 2, TicketStatus.OPEN: 2, TicketStatus.IN_PROGRESS: 2,
                  TicketStatus.WAITING_ON_CUSTOMER: 3, TicketStatus.RESOLVED: 4, TicketStatus.CLOSED: 5,
                  TicketStatus.MERGED: 5}
PRIORITY = {4: Priority.P1, 3: Priority.P2, 2: Priority.P3, 1: Priority.P4}
_VENDOR_PRIORITY = {priority: vendor for vendor, priority in PRIORITY.items()}
PUBLISHED = 2
_ACTIVITY = re.compile(r"^\s*set (?P<field>[\w ]+?) as (?P<value>.+?)\s*$", re.IGNORECASE)



def attachment_from_freshservice(raw: Raw) -> ExternalAttachment:
    return ExternalAttachment(external_id=str(raw["id"]), filename=raw["name"],
                              content_type=raw.get("content_type") or "application/octet-stream",
                              size=int(raw.get("size") or 0), url=raw["attachment_url"])


def comment_from_conversation(raw: Raw) -> ExternalComment:
    """A conversation: a reply or a public note is public, a private note is internal."""
    return ExternalComment(external_id=str(raw["id"]), body=raw.get("body_text") or raw.get("body") or "",
                           public=not raw.get("private", False), author_id=optional_id(raw.get("user_id")),
                           created_at=iso_time(raw["created_at"]))


def history_from_activities(activities: Iterable[Raw]) -> tuple[HistoryEntry, ...]:
    """The activities that set a field (`" set Status as Closed"`, also inside `sub_contents`)."""
    entries = []
    for activity in activities:
        lines = [activity.get("content") or "", *(activity.get("sub_contents") or [])]
        for line in lines:
            found = _ACTIVITY.match(str(line))
            if found:
                entries.append(HistoryEntry(field=found["field"].strip().lower(), old=None, new=found["value"],
                                            actor_id=optional_id((activity.get("actor") or {}).get("id")),
                                            changed_at=iso_time(activity["created_at"])))
    return tuple(entries)


def ticket_url(domain_url: str, ticket_id: Any) -> str:
    return f"{domain_url.rstrip('/')}/a/tickets/{ticket_id}"


def ticket_from_freshservice(raw: Raw, *, base_url: str, conversations: Iterable[Raw] = (),
                             activities: Iterable[Raw] = ()) -> ExternalTicket:
    """A ticket (`/api/v2/tickets/{id}`) with its conversations and activities; the ticket's own attachments
    and its conversations' count."""
    listed = list(conversations)
    status = int(raw["status"])
    return ExternalTicket(
        external_id=str(raw["id"]), number=f"#SR-{raw['id']}" if raw.get("type") == "Service Request"
        else f"#INC-{raw['id']}", subject=raw.get("subject") or "",
        description=raw.get("description_text") or raw.get("description") or "",
        status=STATUS.get(status, TicketStatus.OPEN), vendor_status=STATUS_LABEL.get(status, str(status)),
        priority=PRIORITY.get(int(raw.get("priority") or 0)), category=raw.get("category") or None,
        requester_id=optional_id(raw.get("requester_id")), assignee_id=optional_id(raw.get("responder_id")),
        group_id=optional_id(raw.get("group_id")), created_at=iso_time(raw["created_at"]),
        updated_at=iso_time(raw["updated_at"]),
        url=ticket_url(base_url, raw["id"]) if base_url else "",
        comments=tuple(comment_from_conversation(c) for c in listed),
        attachments=tuple(attachment_from_freshservice(a) for a in
                          [*(raw.get("attachments") or []), *(a for c in listed for a in c.get("attachments") or [])]),
        history=history_from_activities(activities))


def ticket_to_freshservice(draft: TicketDraft) -> dict[str, Any]:
    """The body of `POST /api/v2/tickets` (status Open; priority Medium when the draft names none)."""
    body: dict[str, Any] = {"subject": draft.subject, "description": draft.description, "status": 2,
                            "priority": _VENDOR_PRIORITY[draft.priority] if draft.priority else 2}
    if draft.requester_id:
        body["requester_id"] = int(draft.requester_id)
    if draft.category:
        body["category"] = draft.category
    if draft.group_id:
        body["group_id"] = int(draft.group_id)
    return body


def changes_to_freshservice(changes: TicketChanges) -> dict[str, Any]:
    """The body of `PUT /api/v2/tickets/{id}`: only the fields that change."""
    fields: dict[str, Any] = {
        "status": _VENDOR_STATUS[changes.status] if changes.status else None,
        "priority": _VENDOR_PRIORITY[changes.priority] if changes.priority else None, "category": changes.category,
        "group_id": int(changes.group_id) if changes.group_id else None,
        "responder_id": int(changes.assignee_id) if changes.assignee_id else None}
    return {k: v for k, v in fields.items() if v is not None}


def note_to_freshservice(body: str, *, public: bool) -> tuple[str, dict[str, Any]]:
    """Where and what to post: a reply the requester gets (`/reply`) or a private note (`/notes`)."""
    if public:
        return "reply", {"body": body}
    return "notes", {"body": body, "private": True}


def article_from_freshservice(raw: Raw, *, base_url: str) -> ExternalArticle:
    """A solution article; `description` stays HTML (the import turns it into the KB's text)."""
    return ExternalArticle(external_id=str(raw["id"]), title=raw.get("title") or "",
                           body=raw.get("description") or "", published=int(raw.get("status") or 1) == PUBLISHED,
                           url=f"{base_url.rstrip('/')}/support/solutions/articles/{raw['id']}",
                           updated_at=iso_time(raw["updated_at"]), category=optional_id(raw.get("folder_id")))


def user_from_freshservice(raw: Raw) -> ExternalUser:
    """A requester (`primary_email`) or an agent (`email`)."""
    name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    return ExternalUser(external_id=str(raw["id"]), email=raw.get("primary_email") or raw.get("email") or "",
                        name=name, active=bool(raw.get("active", True)))


def groups_from_freshservice(groups: Iterable[Raw]) -> tuple[ExternalGroup, ...]:
    """Agent groups with their `members` (agent ids)."""
    return tuple(ExternalGroup(external_id=str(g["id"]), name=g["name"],
                               member_ids=tuple(str(m) for m in g.get("members") or ())) for g in groups)
