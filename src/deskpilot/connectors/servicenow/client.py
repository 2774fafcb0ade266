"""The ServiceNow connector over the Table API: incident, sys_journal_field, sys_audit, the Attachment API,
kb_knowledge, sys_user, sys_user_group and sys_user_grmember, with basic auth (or an OAuth bearer token).

Configuration: `instance` (`https://acme.service-now.com`), `username` + `password`, or `oauth_token`.

Changed records are read by keyset: `sys_updated_on` and `sys_id` after the cursor, ordered by both, so a
record changed while the import runs moves behind the cursor instead of shifting an offset past one not yet
read. `sysparm_offset`/`sysparm_limit` page the lists that only grow (an incident's journal, audit, files).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from deskpilot.connectors import http
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
from deskpilot.connectors.servicenow import mapping
from deskpilot.errors import InvalidInput, NotFound

Raw = dict[str, Any]
PAGE_SIZE = 100
_READ = {"sysparm_display_value": "false", "sysparm_exclude_reference_link": "true"}


def changed_after(cursor: str | None) -> str:
    """The encoded query of records changed after `cursor` (`sys_updated_on|sys_id`), oldest change first."""
    order = "ORDERBYsys_updated_on^ORDERBYsys_id"
    if not cursor:
        return order
    stamp, _, sys_id = cursor.partition("|")
    return f"sys_updated_on>{stamp}^NQsys_updated_on={stamp}^sys_id>{sys_id}^{order}"


def _position(raw: Raw) -> str:
    return f"{raw['sys_updated_on']}|{raw['sys_id']}"


class ServiceNowConnector:
    """One ServiceNow instance."""

    name = "servicenow"

    def __init__(self, config: Mapping[str, str]) -> None:
        http.require_config("servicenow", config, "instance")
        self.instance = config["instance"].rstrip("/")
        if config.get("oauth_token"):
            self.api = http.HttpClient(vendor="servicenow", base_url=self.instance,
                                       headers=http.bearer_headers(config["oauth_token"]))
        else:
            http.require_config("servicenow", config, "username", "password")
            self.api = http.HttpClient(vendor="servicenow", base_url=self.instance,
                                       auth=http.basic_auth(config["username"], config["password"]))
        self._sys_ids: dict[str, str] = {}

    def _table(self, table: str, query: str, *, limit: int, offset: int = 0) -> tuple[list[Raw], int]:
        response = self.api.request("GET", f"/api/now/table/{table}", params=_READ | {
            "sysparm_query": query, "sysparm_limit": limit, "sysparm_offset": offset})
        total = int(response.headers.get("X-Total-Count", "0"))
        return list(response.json()["result"]), total

    def _all(self, table: str, query: str) -> Iterator[Raw]:
        offset = 0
        while True:
            rows, total = self._table(table, query, limit=PAGE_SIZE, offset=offset)
            yield from rows
            offset += len(rows)
            if not rows or offset >= total:
                return

    def _changed(self, table: str, cursor: str | None, limit: int) -> tuple[list[Raw], str | None, bool]:
        rows, total = self._table(table, changed_after(cursor), limit=limit)
        return rows, _position(rows[-1]) if rows else cursor, total > len(rows)

    def _authors(self, names: Iterable[str]) -> dict[str, str]:
        """sys_ids of the user_names that wrote journal entries and audit rows (cached per connector)."""
        wanted = sorted({n for n in names if n and n not in self._sys_ids})
        if wanted:
            for user in self._all("sys_user", f"user_nameIN{','.join(wanted)}"):
                self._sys_ids[user["user_name"]] = user["sys_id"]
        return self._sys_ids

    def _full(self, raw: Raw) -> ExternalTicket:
        sys_id = raw["sys_id"]
        journal = list(self._all("sys_journal_field", f"element_id={sys_id}^elementINcomments,work_notes"
                                                      "^ORDERBYsys_created_on^ORDERBYsys_id"))
        audit = list(self._all("sys_audit", f"tablename=incident^documentkey={sys_id}"
                                            "^ORDERBYsys_created_on^ORDERBYsys_id"))
        files = self.api.get_json("/api/now/attachment", {
            "sysparm_query": f"table_name=incident^table_sys_id={sys_id}"})["result"]
        authors = self._authors([j.get("sys_created_by", "") for j in journal] + [a.get("user", "") for a in audit])
        return mapping.ticket_from_servicenow(raw, instance=self.instance, journal=journal, attachments=files,
                                              audit=audit, authors=authors)

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        rows, after, more = self._changed("incident", cursor, limit)
        return Page(tuple(self._full(r) for r in rows), after, more)

    def _incident(self, sys_id: str) -> Raw:
        if not sys_id.isalnum():
            raise InvalidInput(f"A ServiceNow sys_id is letters and digits (got {sys_id!r}).")
        result: Raw = self.api.get_json(f"/api/now/table/incident/{sys_id}", _READ)["result"]
        return result

    def ticket(self, external_id: str) -> ExternalTicket:
        return self._full(self._incident(external_id))

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        return self.api.get_bytes(attachment.url)

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        created = self.api.send_json("POST", "/api/now/table/incident", mapping.ticket_to_servicenow(draft))
        return self.ticket(created["result"]["sys_id"])

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        self.api.send_json("PATCH", f"/api/now/table/incident/{external_id}", mapping.changes_to_servicenow(changes))
        return self.ticket(external_id)

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        self.api.send_json("PATCH", f"/api/now/table/incident/{external_id}",
                           mapping.comment_to_servicenow(comment.body, public=comment.public))
        element = "comments" if comment.public else "work_notes"
        rows, _ = self._table("sys_journal_field", f"element_id={external_id}^element={element}"
                                                   "^ORDERBYDESCsys_created_on^ORDERBYDESCsys_id", limit=1)
        if not rows:
            raise NotFound(f"servicenow kept no {element} entry on incident {external_id}.")
        return mapping.comment_from_journal(rows[0], authors=self._authors([rows[0].get("sys_created_by", "")]))

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        rows, after, more = self._changed("kb_knowledge", cursor, limit)
        return Page(tuple(mapping.article_from_servicenow(r, instance=self.instance) for r in rows), after, more)

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        rows, after, more = self._changed("sys_user", cursor, limit)
        return Page(tuple(mapping.user_from_servicenow(r) for r in rows), after, more)

    def groups(self) -> tuple[ExternalGroup, ...]:
        return mapping.groups_from_servicenow(self._all("sys_user_group", "active=true^ORDERBYname"),
                                              self._all("sys_user_grmember", "ORDERBYsys_id"))
