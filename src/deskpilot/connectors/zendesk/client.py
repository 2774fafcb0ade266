"""The Zendesk connector: Support tickets through the cursor-based incremental export, their comments and audits,
users (incremental export), groups, and Help Center articles (incremental, time-based).

Configuration: `subdomain` (or `base_url`), and either `email` + `api_token` (basic auth as `email/token`) or
`oauth_token` (bearer). `category_field`: the id of the custom field holding the desk's category (default: the
ticket's type).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
from deskpilot.connectors.zendesk import mapping
from deskpilot.errors import InvalidInput, ProviderError

Raw = dict[str, Any]
PAGE_SIZE = 100


def _client(config: Mapping[str, str]) -> http.HttpClient:
    if not (config.get("base_url") or config.get("subdomain")):
        raise InvalidInput("The zendesk connector needs 'subdomain' (or 'base_url') in its configuration.")
    base = config.get("base_url") or f"https://{config['subdomain']}.zendesk.com"
    if config.get("oauth_token"):
        return http.HttpClient(vendor="zendesk", base_url=base, headers=http.bearer_headers(config["oauth_token"]))
    http.require_config("zendesk", config, "email", "api_token")
    return http.HttpClient(vendor="zendesk", base_url=base,
                           auth=http.basic_auth(f"{config['email']}/token", config["api_token"]))


class ZendeskConnector:
    """Zendesk Support + Help Center over the REST API v2."""

    name = "zendesk"

    def __init__(self, config: Mapping[str, str]) -> None:
        self.api = _client(config)
        self.category_field = config.get("category_field") or None

    def _cursor_pages(self, url: str, key: str) -> Iterator[Raw]:
        """Every record of a cursor-paginated list (`page[size]`, `meta.has_more`, `links.next`)."""
        body: Raw = self.api.get_json(url, {"page[size]": PAGE_SIZE})
        yield from body.get(key, [])
        while body.get("meta", {}).get("has_more") and body.get("links", {}).get("next"):
            body = self.api.get_json(body["links"]["next"])
            yield from body.get(key, [])

    def _full(self, raw: Raw) -> ExternalTicket:
        ticket_id = raw["id"]
        return mapping.ticket_from_zendesk(
            raw, comments=self._cursor_pages(f"/api/v2/tickets/{ticket_id}/comments.json", "comments"),
            audits=self._cursor_pages(f"/api/v2/tickets/{ticket_id}/audits.json", "audits"),
            category_field=self.category_field)

    def _export(self, url: str, key: str, cursor: str | None, limit: int) -> tuple[list[Raw], str | None, bool]:
        params: Raw = {"per_page": limit} | ({"cursor": cursor} if cursor else {"start_time": 0})
        body: Raw = self.api.get_json(url, params)
        return body.get(key, []), body.get("after_cursor") or cursor, not body.get("end_of_stream", True)

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        raws, after, more = self._export("/api/v2/incremental/tickets/cursor.json", "tickets", cursor, limit)
        return Page(tuple(self._full(r) for r in raws if r.get("status") != "deleted"), after, more)

    def ticket(self, external_id: str) -> ExternalTicket:
        if not external_id.isdigit():
            raise InvalidInput(f"A Zendesk ticket id is a number (got {external_id!r}).")
        return self._full(self.api.get_json(f"/api/v2/tickets/{external_id}.json")["ticket"])

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        return self.api.get_bytes(attachment.url)

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        created = self.api.send_json("POST", "/api/v2/tickets.json", mapping.ticket_to_zendesk(draft))
        return self.ticket(str(created["ticket"]["id"]))

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        self.api.send_json("PUT", f"/api/v2/tickets/{external_id}.json", mapping.changes_to_zendesk(changes))
        return self.ticket(external_id)

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        body = self.api.send_json("PUT", f"/api/v2/tickets/{external_id}.json",
                                  mapping.comment_to_zendesk(comment.body, public=comment.public))
        audit = body.get("audit") or {}
        for event in audit.get("events", []):
            if event.get("type") == "Comment":
                return mapping.comment_from_zendesk(event | {"created_at": audit["created_at"]})
        raise ProviderError("zendesk: the update carried no comment event in its audit.", retryable=False)

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        """Help Center's incremental export is time-based: an article changed in the second of `end_time` comes
        again on the next page (the import recognises it), none is skipped. `limit` is the API's own page."""
        del limit
        body: Raw = self.api.get_json("/api/v2/help_center/incremental/articles.json",
                                      {"start_time": cursor or "0"})
        articles = tuple(mapping.article_from_zendesk(a) for a in body.get("articles", []))
        end = body.get("end_time")
        return Page(articles, str(end) if end is not None else cursor, bool(body.get("next_page")))

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        raws, after, more = self._export("/api/v2/incremental/users/cursor.json", "users", cursor, limit)
        return Page(tuple(mapping.user_from_zendesk(r) for r in raws), after, more)

    def groups(self) -> tuple[ExternalGroup, ...]:
        return mapping.groups_from_zendesk(self._cursor_pages("/api/v2/groups.json", "groups"),
                                           self._cursor_pages("/api/v2/group_memberships.json", "group_memberships"))
