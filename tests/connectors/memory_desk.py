"""MemoryDesk: an ITSM held in memory as vendor JSON, behind the connector contract.

A real implementation of `Connector` for the tests (not a mock of ours): it keeps Zendesk-like records,
converts them with pure mapping functions (the convention every vendor connector follows in its
`mapping.py`), pages by an `updated_at|id` cursor and raises the desk's typed errors.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from deskpilot.connectors.records import (
    CommentDraft,
    ExternalArticle,
    ExternalAttachment,
    ExternalComment,
    ExternalGroup,
    ExternalTicket,
    ExternalUser,
    HistoryEntry,
    Page,
    TicketChanges,
    TicketDraft,
)
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.tickets.enums import Priority, TicketStatus

Raw = dict[str, Any]
_STATUS = {"new": TicketStatus.NEW, "open": TicketStatus.OPEN, "pending": TicketStatus.WAITING_ON_CUSTOMER,
           "hold": TicketStatus.IN_PROGRESS, "solved": TicketStatus.RESOLVED, "closed": TicketStatus.CLOSED}
_VENDOR_STATUS = {status: vendor for vendor, status in _STATUS.items()}
_PRIORITY = {"urgent": Priority.P1, "high": Priority.P2, "normal": Priority.P3, "low": Priority.P4}
_VENDOR_PRIORITY = {priority: vendor for vendor, priority in _PRIORITY.items()}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def comment_from_vendor(raw: Mapping[str, Any]) -> ExternalComment:
    return ExternalComment(external_id=str(raw["id"]), body=raw["body"], public=bool(raw["public"]),
                           author_id=str(raw["author_id"]) if raw.get("author_id") else None,
                           created_at=_when(raw["created_at"]))


def ticket_from_vendor(raw: Mapping[str, Any]) -> ExternalTicket:
    """A vendor ticket (with `comments`, `attachments` and `audits` side-loaded) in the desk's terms."""
    return ExternalTicket(
        external_id=str(raw["id"]), number=f"#{raw['id']}", subject=raw["subject"], description=raw["description"],
        status=_STATUS[raw["status"]], vendor_status=raw["status"], priority=_PRIORITY.get(raw.get("priority") or ""),
        category=raw.get("type"), requester_id=str(raw["requester_id"]) if raw.get("requester_id") else None,
        assignee_id=str(raw["assignee_id"]) if raw.get("assignee_id") else None,
        group_id=str(raw["group_id"]) if raw.get("group_id") else None, created_at=_when(raw["created_at"]),
        updated_at=_when(raw["updated_at"]), url=raw["url"],
        comments=tuple(comment_from_vendor(c) for c in raw.get("comments", [])),
        attachments=tuple(ExternalAttachment(external_id=str(a["id"]), filename=a["file_name"],
                                             content_type=a["content_type"], size=a["size"], url=a["content_url"])
                          for a in raw.get("attachments", [])),
        history=tuple(HistoryEntry(field=e["field_name"], old=e.get("previous_value"), new=e.get("value"),
                                   actor_id=str(a["author_id"]) if a.get("author_id") else None,
                                   changed_at=_when(a["created_at"]))
                      for a in raw.get("audits", []) for e in a["events"] if e["type"] == "Change"),
    )


def ticket_to_vendor(draft: TicketDraft) -> Raw:
    """The vendor's create payload for a draft."""
    body: Raw = {"subject": draft.subject, "comment": {"body": draft.description}}
    if draft.requester_id:
        body["requester_id"] = int(draft.requester_id)
    if draft.priority:
        body["priority"] = _VENDOR_PRIORITY[draft.priority]
    if draft.category:
        body["type"] = draft.category
    if draft.group_id:
        body["group_id"] = int(draft.group_id)
    return {"ticket": body}


def changes_to_vendor(changes: TicketChanges) -> Raw:
    """The vendor's update payload: only the fields that change."""
    fields: Raw = {"status": _VENDOR_STATUS[changes.status] if changes.status else None,
                   "priority": _VENDOR_PRIORITY[changes.priority] if changes.priority else None,
                   "type": changes.category,
                   "group_id": int(changes.group_id) if changes.group_id else None,
                   "assignee_id": int(changes.assignee_id) if changes.assignee_id else None}
    return {"ticket": {name: value for name, value in fields.items() if value is not None}}


class MemoryDesk:
    """The connector; `config` names the instance (`subdomain`) as a vendor connector's would."""

    name = "memorydesk"

    def __init__(self, config: Mapping[str, str]) -> None:
        if not config.get("subdomain"):
            raise InvalidInput("memorydesk needs a 'subdomain'.")
        self.base = f"https://{config['subdomain']}.memorydesk.example"
        self.tickets: dict[int, Raw] = {}
        self.articles: dict[int, Raw] = {}
        self.users: dict[int, Raw] = {}
        self.group_records: list[Raw] = []
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._clock = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def _tick(self) -> str:
        self._clock += timedelta(minutes=1)
        return self._clock.isoformat().replace("+00:00", "Z")

    @staticmethod
    def _page(records: Mapping[int, Raw], cursor: str | None, limit: int) -> tuple[list[Raw], str | None, bool]:
        ordered = sorted(records.values(), key=lambda r: (r["updated_at"], r["id"]))
        after = [r for r in ordered if cursor is None or f"{r['updated_at']}|{r['id']:08d}" > cursor]
        taken = after[:limit]
        last = f"{taken[-1]['updated_at']}|{taken[-1]['id']:08d}" if taken else cursor
        return taken, last, len(after) > limit

    def _raw_ticket(self, external_id: str) -> Raw:
        raw = self.tickets.get(int(external_id)) if external_id.isdigit() else None
        if raw is None:
            raise NotFound(f"memorydesk has no ticket {external_id}.")
        return raw

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        taken, last, more = self._page(self.tickets, cursor, limit)
        return Page(tuple(ticket_from_vendor(r) for r in taken), last, more)

    def ticket(self, external_id: str) -> ExternalTicket:
        return ticket_from_vendor(self._raw_ticket(external_id))

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        return self.files[attachment.url]

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        payload = ticket_to_vendor(draft)["ticket"]
        ticket_id, now = next(self._ids), self._tick()
        self.tickets[ticket_id] = {
            "id": ticket_id, "subject": payload["subject"], "description": payload["comment"]["body"], "status": "new",
            "priority": payload.get("priority"), "type": payload.get("type"),
            "requester_id": payload.get("requester_id"), "assignee_id": None, "group_id": payload.get("group_id"),
            "created_at": now, "updated_at": now, "url": f"{self.base}/api/v2/tickets/{ticket_id}.json",
            "comments": [], "attachments": [], "audits": []}
        return self.ticket(str(ticket_id))

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        raw, fields, now = self._raw_ticket(external_id), changes_to_vendor(changes)["ticket"], self._tick()
        events = [{"type": "Change", "field_name": name, "previous_value": raw.get(name), "value": value}
                  for name, value in fields.items()]
        raw["audits"].append({"author_id": None, "created_at": now, "events": events})
        raw.update(fields, updated_at=now)
        return self.ticket(external_id)

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        raw, now = self._raw_ticket(external_id), self._tick()
        record = {"id": next(self._ids), "body": comment.body, "public": comment.public, "author_id": None,
                  "created_at": now}
        raw["comments"].append(record)
        raw["updated_at"] = now
        return comment_from_vendor(record)

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        taken, last, more = self._page(self.articles, cursor, limit)
        return Page(tuple(ExternalArticle(external_id=str(r["id"]), title=r["title"], body=r["body"],
                                          published=not r["draft"], url=r["html_url"],
                                          updated_at=_when(r["updated_at"])) for r in taken), last, more)

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        taken, last, more = self._page(self.users, cursor, limit)
        return Page(tuple(ExternalUser(external_id=str(r["id"]), email=r["email"], name=r["name"],
                                       active=r["active"]) for r in taken), last, more)

    def groups(self) -> tuple[ExternalGroup, ...]:
        return tuple(ExternalGroup(external_id=str(g["id"]), name=g["name"],
                                   member_ids=tuple(str(m) for m in g["user_ids"])) for g in self.group_records)

    def add_article(self, title: str, body: str, *, draft: bool = False) -> None:
        article_id = next(self._ids)
        self.articles[article_id] = {"id": article_id, "title": title, "body": body, "draft": draft,
                                     "html_url": f"{self.base}/hc/articles/{article_id}",
                                     "updated_at": self._tick()}

    def attach(self, external_id: str, file_name: str, content: bytes) -> None:
        attachment_id = next(self._ids)
        url = f"{self.base}/attachments/{attachment_id}/{file_name}"
        self.files[url] = content
        self._raw_ticket(external_id)["attachments"].append({"id": attachment_id, "file_name": file_name,
                                                             "content_type": "application/octet-stream",
                                                             "size": len(content), "content_url": url})

    def add_user(self, name: str, email: str) -> None:
        user_id = next(self._ids)
        self.users[user_id] = {"id": user_id, "name": name, "email": email, "active": True,
                               "updated_at": self._tick()}


class HalfDesk:
    """A connector class that forgot most of the contract."""

    name = "halfdesk"

    def __init__(self, config: Mapping[str, str]) -> None:
        self.config = config

    def ticket(self, external_id: str) -> ExternalTicket:
        raise NotFound(f"halfdesk has no ticket {external_id}.")
