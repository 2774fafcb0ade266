"""The Freshservice connector over API v2: tickets with their conversations and activities, requesters and agents,
agent groups, and solution articles (categories → folders → articles).

Configuration: `domain` (`acme` for https://acme.freshservice.com) or `base_url`, and `api_key` (basic auth with
the key as user name and `X` as password, as the API reference says).

Lists page by `page` and `per_page` and name the next page in the `Link` header. The ticket list filters by
`updated_since` (to the second) but orders by creation, so the changed tickets are listed once per pass from the
cursor's second, sorted by (`updated_at`, `id`) here, the ones at or before the cursor dropped, and served page by
page: a ticket changed while the import runs comes again after the cursor rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from deskpilot.connectors import http
from deskpilot.connectors.freshservice import mapping
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
from deskpilot.errors import InvalidInput

Raw = dict[str, Any]
PAGE_SIZE = 100
EPOCH = "1970-01-01T00:00:00Z"
USER_KINDS = ("requesters", "agents")


def position(raw: Mapping[str, Any]) -> str:
    """A ticket's place in the order of changes: `updated_at|id` (the id zero-padded so text order is numeric)."""
    return f"{raw['updated_at']}|{int(raw['id']):012d}"


class FreshserviceConnector:
    """One Freshservice account."""

    name = "freshservice"

    def __init__(self, config: Mapping[str, str]) -> None:
        if not (config.get("base_url") or config.get("domain")):
            raise InvalidInput("The freshservice connector needs 'domain' (or 'base_url') in its configuration.")
        http.require_config("freshservice", config, "api_key")
        self.base_url = (config.get("base_url") or f"https://{config['domain']}.freshservice.com").rstrip("/")
        self.api = http.HttpClient(vendor="freshservice", base_url=self.base_url,
                                   auth=http.basic_auth(config["api_key"], "X"))
        self._listed: tuple[str, list[Raw]] | None = None

    def _pages(self, url: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[Raw]:
        """Every record of a paged list, following the `Link: <…>; rel="next"` header."""
        response = self.api.request("GET", url, params={"per_page": PAGE_SIZE, **(params or {})})
        while True:
            yield from response.json().get(key, [])
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            response = self.api.request("GET", following)

    def _full(self, raw: Raw) -> ExternalTicket:
        ticket_id = raw["id"]
        conversations = list(self._pages(f"/api/v2/tickets/{ticket_id}/conversations", "conversations"))
        activities = self.api.get_json(f"/api/v2/tickets/{ticket_id}/activities").get("activities", [])
        return mapping.ticket_from_freshservice(raw, base_url=self.base_url, conversations=conversations,
                                                activities=activities)

    def _changed(self, cursor: str | None) -> list[Raw]:
        """The tickets after `cursor` in order of change. One listing serves the pages of one pass (a ticket changed
        meanwhile comes again in the next pass, after the cursor), so an import lists the account once, not once
        per page; the pass's last page forgets it, so the next pass lists afresh."""
        start = cursor or ""
        if self._listed is None or start < self._listed[0]:
            stamp = cursor.partition("|")[0] if cursor else EPOCH
            listed = sorted((r for r in self._pages("/api/v2/tickets", "tickets", {"updated_since": stamp})
                             if position(r) > start), key=position)
            self._listed = (start, listed)
        return [r for r in self._listed[1] if position(r) > start]

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        changed = self._changed(cursor)
        page = changed[:limit]
        if len(changed) <= limit:
            self._listed = None
        return Page(tuple(self._full(r) for r in page), position(page[-1]) if page else cursor, len(changed) > limit)

    def _ticket_raw(self, external_id: str) -> Raw:
        if not external_id.isdigit():
            raise InvalidInput(f"A Freshservice ticket id is a number (got {external_id!r}).")
        raw: Raw = self.api.get_json(f"/api/v2/tickets/{external_id}")["ticket"]
        return raw

    def ticket(self, external_id: str) -> ExternalTicket:
        return self._full(self._ticket_raw(external_id))

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        return self.api.get_bytes(attachment.url)

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        created = self.api.send_json("POST", "/api/v2/tickets", mapping.ticket_to_freshservice(draft))
        return self.ticket(str(created["ticket"]["id"]))

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        if not external_id.isdigit():
            raise InvalidInput(f"A Freshservice ticket id is a number (got {external_id!r}).")
        self.api.send_json("PUT", f"/api/v2/tickets/{external_id}", mapping.changes_to_freshservice(changes))
        return self.ticket(external_id)

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        where, body = mapping.note_to_freshservice(comment.body, public=comment.public)
        made = self.api.send_json("POST", f"/api/v2/tickets/{external_id}/{where}", body)
        return mapping.comment_from_conversation(made["conversation"])

    def _folders(self) -> list[Raw]:
        return [folder for category in self._pages("/api/v2/solutions/categories", "categories")
                for folder in self._pages("/api/v2/solutions/folders", "folders", {"category_id": category["id"]})]

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        """One folder's articles per page (`limit` is the API's own page); the cursor counts the folders read.
        The last folder is read again on the next import (articles added there arrive; the import recognises the
        others), and changes in earlier folders arrive with `--from-start`."""
        del limit
        folders = self._folders()
        if not folders:
            return Page((), cursor or "0", False)
        index = min(int(cursor or 0), len(folders) - 1)
        articles = self._pages("/api/v2/solutions/articles", "articles", {"folder_id": folders[index]["id"]})
        return Page(tuple(mapping.article_from_freshservice(a, base_url=self.base_url) for a in articles),
                    str(index + 1) if index + 1 < len(folders) else str(index), index + 1 < len(folders))

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        """Requesters, then agents, a page of each list at a time; the cursor is `<list>:<page>`. The last page of
        agents is read again on the next import; people added to earlier pages arrive with `--from-start`."""
        kind, _, number = (cursor or "requesters:1").partition(":")
        if kind not in USER_KINDS or not number.isdigit():
            raise InvalidInput(f"freshservice: {cursor!r} is not a user cursor (`requesters:<page>`); import "
                               "again with --from-start.")
        size = max(1, min(limit, PAGE_SIZE))
        response = self.api.request("GET", f"/api/v2/{kind}", params={"per_page": size, "page": int(number)})
        users = tuple(mapping.user_from_freshservice(u) for u in response.json().get(kind, []))
        if response.links.get("next"):
            return Page(users, f"{kind}:{int(number) + 1}", True)
        if kind == "requesters":
            return Page(users, "agents:1", True)
        return Page(users, cursor or "agents:1", False)

    def groups(self) -> tuple[ExternalGroup, ...]:
        return mapping.groups_from_freshservice(self._pages("/api/v2/groups", "groups"))
