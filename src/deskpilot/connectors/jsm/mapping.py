"""Jira Service Management JSON ↔ the connector records: pure functions, called directly by tests.

Shapes follow the Jira Cloud platform REST API v3 (issues with `fields` and an expanded `changelog`), the Service
Desk API (`/rest/servicedeskapi`: requests and their comments, which say whether the customer sees them) and the
Confluence REST API v2 (the pages of the knowledge base's space). A v3 description is an Atlassian Document Format
tree; its text is what the desk keeps. Statuses are the workflow's own names, so the desk reads the name first
and falls back to its status category (`new`, `indeterminate`, `done`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
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
)
from deskpilot.tickets.enums import Priority, TicketStatus

Raw = Mapping[str, Any]

STATUS_NAME = {"open": TicketStatus.OPEN, "new": TicketStatus.NEW, "waiting for support": TicketStatus.OPEN,
               "in progress": TicketStatus.IN_PROGRESS, "work in progress": TicketStatus.IN_PROGRESS,
               "pending": TicketStatus.WAITING_ON_CUSTOMER, "waiting for customer": TicketStatus.WAITING_ON_CUSTOMER,
               "resolved": TicketStatus.RESOLVED, "done": TicketStatus.RESOLVED, "closed": TicketStatus.CLOSED,
               "canceled": TicketStatus.CLOSED, "cancelled": TicketStatus.CLOSED}
STATUS_CATEGORY = {"new": TicketStatus.NEW, "indeterminate": TicketStatus.IN_PROGRESS, "done": TicketStatus.RESOLVED}
# The status a transition should lead to, by the desk's status: the workflow's name, else its category.
TRANSITION_TARGET = {TicketStatus.NEW: ("open", "new"), TicketStatus.OPEN: ("open", "new"),
                     TicketStatus.IN_PROGRESS: ("in progress", "indeterminate"),
                     TicketStatus.WAITING_ON_CUSTOMER: ("waiting for customer", "indeterminate"),
                     TicketStatus.RESOLVED: ("resolved", "done"), TicketStatus.CLOSED: ("closed", "done"),
                     TicketStatus.MERGED: ("closed", "done")}
PRIORITY = {"highest": Priority.P1, "high": Priority.P2, "medium": Priority.P3, "low": Priority.P4,
            "lowest": Priority.P4}
VENDOR_PRIORITY = {Priority.P1: "Highest", Priority.P2: "High", Priority.P3: "Medium", Priority.P4: "Low"}
FIELDS = ("summary", "description", "status", "priority", "issuetype", "reporter", "assignee", "created", "updated",
          "attachment", "labels")


def when(value: str) -> datetime:
    """A Jira timestamp: `2025-03-03T08:00:01.000+0000` (or any ISO 8601 form), in UTC."""
    for layout in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, layout).astimezone(UTC)
        except ValueError:
            continue
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def jira_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def adf_text(node: Any) -> str:
    """The text of an Atlassian Document Format tree (blocks on their own lines), or a plain string as it is."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if not isinstance(node, Mapping):
        return ""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    if node.get("type") == "hardBreak":
        return "\n"
    inner = [adf_text(child) for child in node.get("content") or []]
    joiner = "\n" if node.get("type") in ("doc", "bulletList", "orderedList", "listItem", "table", "tableRow") else ""
    return joiner.join(part for part in inner if part or joiner == "")


def adf(text: str) -> dict[str, Any]:
    """A plain text as an Atlassian Document Format document, one paragraph per line."""
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")]}


def _account(value: Any) -> str | None:
    return str(value["accountId"]) if isinstance(value, Mapping) and value.get("accountId") else None


def status_of(raw: Raw) -> TicketStatus:
    name = str(raw.get("name") or "").lower()
    category = str((raw.get("statusCategory") or {}).get("key") or "")
    return STATUS_NAME.get(name) or STATUS_CATEGORY.get(category, TicketStatus.OPEN)


def field_text(value: Any) -> str | None:
    """A custom field's value as text: a select option (`value`), a group (`name`), the first of a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("value") or value.get("name")
    return None if value in (None, "") else str(value)


def group_of(value: Any) -> str | None:
    """A group picker's group id (the first of a multi-group picker)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        return str(value.get("groupId") or value.get("name") or "") or None
    return None


def attachment_from_jira(raw: Raw) -> ExternalAttachment:
    return ExternalAttachment(external_id=str(raw["id"]), filename=raw["filename"],
                              content_type=raw.get("mimeType") or "application/octet-stream",
                              size=int(raw.get("size") or 0), url=raw["content"])


def comment_from_jsm(raw: Raw) -> ExternalComment:
    """A request comment of the Service Desk API: `public` says whether the customer sees it."""
    created = raw.get("created")
    stamp = created.get("iso8601") if isinstance(created, Mapping) else created
    return ExternalComment(external_id=str(raw["id"]), body=adf_text(raw.get("body")),
                           public=bool(raw.get("public", True)), author_id=_account(raw.get("author")),
                           created_at=when(str(stamp)))


def history_from_changelog(histories: Iterable[Raw]) -> tuple[HistoryEntry, ...]:
    return tuple(HistoryEntry(field=str(item["field"]).lower(), old=item.get("fromString"), new=item.get("toString"),
                              actor_id=_account(history.get("author")), changed_at=when(history["created"]))
                 for history in histories for item in history.get("items") or [])


def ticket_from_jira(raw: Raw, *, base_url: str, comments: Iterable[Raw] = (), category_field: str | None = None,
                     group_field: str | None = None) -> ExternalTicket:
    """An issue (with `changelog` expanded) and its request comments."""
    fields = raw["fields"]
    status = fields.get("status") or {}
    category = field_text(fields.get(category_field)) if category_field else field_text(fields.get("issuetype"))
    return ExternalTicket(
        external_id=str(raw["id"]), number=raw["key"], subject=fields.get("summary") or "",
        description=adf_text(fields.get("description")), status=status_of(status),
        vendor_status=str(status.get("name") or ""), priority=PRIORITY.get(str(field_text(fields.get("priority")) or "")
                                                                           .lower()),
        category=category, requester_id=_account(fields.get("reporter")), assignee_id=_account(fields.get("assignee")),
        group_id=group_of(fields.get(group_field)) if group_field else None, created_at=when(fields["created"]),
        updated_at=when(fields["updated"]), url=f"{base_url.rstrip('/')}/browse/{raw['key']}" if base_url else "",
        comments=tuple(comment_from_jsm(c) for c in comments),
        attachments=tuple(attachment_from_jira(a) for a in fields.get("attachment") or []),
        history=history_from_changelog((raw.get("changelog") or {}).get("histories") or []))


def request_to_jsm(*, service_desk_id: str, request_type_id: str, summary: str, description: str,
                   requester_id: str | None) -> dict[str, Any]:
    """The body of `POST /rest/servicedeskapi/request` (a customer request of the given type)."""
    body: dict[str, Any] = {"serviceDeskId": service_desk_id, "requestTypeId": request_type_id,
                            "requestFieldValues": {"summary": summary, "description": description}}
    if requester_id:
        body["raiseOnBehalfOf"] = requester_id
    return body


def changes_to_jira(changes: TicketChanges, *, category_field: str | None = None,
                    group_field: str | None = None) -> dict[str, Any]:
    """The body of `PUT /rest/api/3/issue/{id}` for the fields that change (the status moves by a transition)."""
    fields: dict[str, Any] = {}
    if changes.priority:
        fields["priority"] = {"name": VENDOR_PRIORITY[changes.priority]}
    if changes.assignee_id:
        fields["assignee"] = {"accountId": changes.assignee_id}
    if changes.category and category_field:
        fields[category_field] = {"value": changes.category}
    if changes.group_id and group_field:
        fields[group_field] = [{"groupId": changes.group_id}]
    return {"fields": fields}


def transition_for(transitions: Iterable[Raw], status: TicketStatus) -> str | None:
    """The id of the transition that leads to `status`: by the target's name, else by its status category."""
    name, category = TRANSITION_TARGET[status]
    listed = list(transitions)
    for transition in listed:
        if str((transition.get("to") or {}).get("name") or "").lower() == name:
            return str(transition["id"])
    for transition in listed:
        if str(((transition.get("to") or {}).get("statusCategory") or {}).get("key") or "") == category:
            return str(transition["id"])
    return None


def comment_to_jsm(body: str, *, public: bool) -> dict[str, Any]:
    """The body of `POST /rest/servicedeskapi/request/{id}/comment`: internal unless `public`."""
    return {"body": body, "public": public}


def article_from_confluence(raw: Raw, *, base_url: str) -> ExternalArticle:
    """A page of the knowledge base's space (`body-format=storage`); `current` pages are published."""
    version = raw.get("version") or {}
    webui = (raw.get("_links") or {}).get("webui") or f"/pages/{raw['id']}"
    return ExternalArticle(external_id=str(raw["id"]), title=raw.get("title") or "",
                           body=((raw.get("body") or {}).get("storage") or {}).get("value") or "",
                           published=raw.get("status") == "current", url=f"{base_url.rstrip('/')}/wiki{webui}",
                           updated_at=when(version.get("createdAt") or raw["createdAt"]),
                           category=str(raw["parentId"]) if raw.get("parentId") else None)


def user_from_jira(raw: Raw) -> ExternalUser:
    """A user of `/rest/api/3/users/search`; `emailAddress` is absent when the person's privacy settings hide it."""
    return ExternalUser(external_id=str(raw["accountId"]), email=raw.get("emailAddress") or "",
                        name=raw.get("displayName") or "", active=bool(raw.get("active", True)))


def group_from_jira(raw: Raw, members: Iterable[Raw]) -> ExternalGroup:
    return ExternalGroup(external_id=str(raw["groupId"]), name=raw["name"],
                         member_ids=tuple(str(m["accountId"]) for m in members))
