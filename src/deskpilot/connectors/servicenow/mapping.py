"""ServiceNow Table API JSON ↔ the connector records: pure functions, called directly by tests.

Records are read with `sysparm_display_value=false` and `sysparm_exclude_reference_link=true`, so references
are plain sys_ids and times are UTC `YYYY-MM-DD HH:MM:SS`. An incident's priority is ServiceNow's impact ×
urgency lookup, so the desk writes impact and urgency (the pair that yields the priority) rather than the
computed field. Journal entries (`sys_journal_field`) and audit rows (`sys_audit`) name their author by
user_name; the client resolves those to sys_ids (`authors`).
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
    TicketDraft,
)
from deskpilot.tickets.enums import Priority, TicketStatus

Raw = Mapping[str, Any]

STATE = {"1": TicketStatus.NEW, "2": TicketStatus.IN_PROGRESS, "3": TicketStatus.WAITING_ON_CUSTOMER,
         "6": TicketStatus.RESOLVED, "7": TicketStatus.CLOSED, "8": TicketStatus.CLOSED}
STATE_LABEL = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
_VENDOR_STATE = {TicketStatus.NEW: "1", TicketStatus.OPEN: "2", TicketStatus.IN_PROGRESS: "2",
                 TicketStatus.WAITING_ON_CUSTOMER: "3", TicketStatus.RESOLVED: "6", TicketStatus.CLOSED: "7",
                 TicketStatus.MERGED: "7"}
PRIORITY = {"1": Priority.P1, "2": Priority.P2, "3": Priority.P3, "4": Priority.P4, "5": Priority.P4}
# (impact, urgency) whose default priority lookup gives the desk's priority.
IMPACT_URGENCY = {Priority.P1: ("1", "1"), Priority.P2: ("1", "2"), Priority.P3: ("2", "2"),
                  Priority.P4: ("3", "3")}
PUBLISHED = "published"


def when(value: str) -> datetime:
    """A ServiceNow UTC time `YYYY-MM-DD HH:MM:SS`."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def glide_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping):  # a reference with its link, when the link was not excluded
        value = value.get("value")
    return str(value) if value else None


def comment_from_journal(raw: Raw, *, authors: Mapping[str, str] | None = None) -> ExternalComment:
    """A `sys_journal_field` row: `comments` are public (the caller sees them), `work_notes` internal."""
    author = raw.get("sys_created_by") or ""
    return ExternalComment(external_id=raw["sys_id"], body=raw.get("value") or "",
                           public=raw.get("element") == "comments",
                           author_id=(authors or {}).get(author, author) or None,
                           created_at=when(raw["sys_created_on"]))


def attachment_from_servicenow(raw: Raw) -> ExternalAttachment:
    """A row of the Attachment API (`/api/now/attachment`)."""
    return ExternalAttachment(external_id=raw["sys_id"], filename=raw["file_name"],
                              content_type=raw.get("content_type") or "application/octet-stream",
                              size=int(raw.get("size_bytes") or 0), url=raw["download_link"])


def history_from_audit(rows: Iterable[Raw], *, authors: Mapping[str, str] | None = None) -> tuple[HistoryEntry, ...]:
    return tuple(HistoryEntry(field=row["fieldname"], old=row.get("oldvalue") or None,
                              new=row.get("newvalue") or None,
                              actor_id=(authors or {}).get(row.get("user") or "", row.get("user")) or None,
                              changed_at=when(row["sys_created_on"]))
                 for row in rows)


def incident_url(instance: str, sys_id: str) -> str:
    return f"{instance.rstrip('/')}/nav_to.do?uri=incident.do?sys_id={sys_id}"


def ticket_from_servicenow(raw: Raw, *, instance: str, journal: Iterable[Raw] = (), attachments: Iterable[Raw] = (),
                           audit: Iterable[Raw] = (), authors: Mapping[str, str] | None = None) -> ExternalTicket:
    """An incident with its journal entries, attachments and audit rows."""
    state = str(raw.get("state") or raw.get("incident_state") or "1")
    comments = [comment_from_journal(j, authors=authors) for j in journal]
    if raw.get("close_notes"):  # the resolution the caller was given, kept on the incident rather than the journal
        closed = raw.get("resolved_at") or raw.get("closed_at") or raw["sys_updated_on"]
        comments.append(ExternalComment(external_id=f"{raw['sys_id']}:close_notes", body=raw["close_notes"],
                                        public=True, author_id=_ref(raw.get("assigned_to")), created_at=when(closed)))
    return ExternalTicket(
        external_id=raw["sys_id"], number=raw["number"], subject=raw.get("short_description") or "",
        description=raw.get("description") or "", status=STATE.get(state, TicketStatus.OPEN),
        vendor_status=STATE_LABEL.get(state, state), priority=PRIORITY.get(str(raw.get("priority") or "")),
        category=raw.get("category") or None, requester_id=_ref(raw.get("caller_id")),
        assignee_id=_ref(raw.get("assigned_to")), group_id=_ref(raw.get("assignment_group")),
        created_at=when(raw["sys_created_on"]), updated_at=when(raw["sys_updated_on"]),
        url=incident_url(instance, raw["sys_id"]),
        comments=tuple(comments),
        attachments=tuple(attachment_from_servicenow(a) for a in attachments),
        history=history_from_audit(audit, authors=authors))


def _impact_urgency(priority: Priority | None) -> dict[str, str]:
    if priority is None:
        return {}
    impact, urgency = IMPACT_URGENCY[priority]
    return {"impact": impact, "urgency": urgency}


def ticket_to_servicenow(draft: TicketDraft) -> dict[str, Any]:
    """The body of `POST /api/now/table/incident`."""
    fields: dict[str, Any] = {"short_description": draft.subject, "description": draft.description,
                              "caller_id": draft.requester_id, "category": draft.category,
                              "assignment_group": draft.group_id}
    return {k: v for k, v in fields.items() if v is not None} | _impact_urgency(draft.priority)


def changes_to_servicenow(changes: TicketChanges) -> dict[str, Any]:
    """The body of `PATCH /api/now/table/incident/{sys_id}`: only the fields that change."""
    fields: dict[str, Any] = {"state": _VENDOR_STATE[changes.status] if changes.status else None,
                              "category": changes.category, "assignment_group": changes.group_id,
                              "assigned_to": changes.assignee_id}
    return {k: v for k, v in fields.items() if v is not None} | _impact_urgency(changes.priority)


def comment_to_servicenow(body: str, *, public: bool) -> dict[str, str]:
    """Writing the journal field adds an entry: `comments` the caller sees, `work_notes` they do not."""
    return {"comments" if public else "work_notes": body}


def article_from_servicenow(raw: Raw, *, instance: str) -> ExternalArticle:
    """A `kb_knowledge` row; `text` stays HTML (the import turns it into the KB's text)."""
    return ExternalArticle(external_id=raw["sys_id"], title=raw.get("short_description") or raw["number"],
                           body=raw.get("text") or "", published=raw.get("workflow_state") == PUBLISHED,
                           url=f"{instance.rstrip('/')}/kb_view.do?sysparm_article={raw['number']}",
                           updated_at=when(raw["sys_updated_on"]), category=_ref(raw.get("kb_category")))


def user_from_servicenow(raw: Raw) -> ExternalUser:
    return ExternalUser(external_id=raw["sys_id"], email=raw.get("email") or "",
                        name=raw.get("name") or raw.get("user_name") or "",
                        active=str(raw.get("active", "true")).lower() == "true")


def groups_from_servicenow(groups: Iterable[Raw], members: Iterable[Raw]) -> tuple[ExternalGroup, ...]:
    """`sys_user_group` rows with their `sys_user_grmember` rows."""
    by_group: dict[str, list[str]] = {}
    for member in members:
        group, user = _ref(member.get("group")), _ref(member.get("user"))
        if group and user:
            by_group.setdefault(group, []).append(user)
    return tuple(ExternalGroup(external_id=g["sys_id"], name=g["name"], member_ids=tuple(by_group.get(g["sys_id"], [])))
                 for g in groups)
