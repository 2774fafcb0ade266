"""The Jira Service Management connector: the project's issues through JQL search (with the changelog), their
request comments through the Service Desk API, users and groups of the site, and the knowledge base's Confluence
space.

Configuration: `site` (`acme` for https://acme.atlassian.net) or `base_url`; `email` + `api_token` (basic auth)
or `oauth_token` (bearer); `project` (the service project's key). To create requests: `service_desk_id` and
`request_type_id`. Optional: `category_field` and `group_field` (custom field ids such as `customfield_10050`
holding the category and the assignment group; the issue type is the category without one), `kb_space_id` (the
Confluence space of the knowledge base) and `time_zone` (the integration user's Jira time zone, `UTC` unless said).

JQL compares times to the minute in the integration user's time zone, so a page of changed issues is searched
from the cursor's minute (`updated >= "yyyy/MM/dd HH:mm"`, ordered by `updated` and `id`) and the issues at or
before the cursor are dropped here: none is skipped, and one changed during the import moves behind the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskpilot.connectors import http
from deskpilot.connectors.jsm import mapping
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
from deskpilot.errors import InvalidInput, ProviderError

Raw = dict[str, Any]
PAGE_SIZE = 100
_ISSUE_KEY = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"


def position(raw: Mapping[str, Any]) -> str:
    """An issue's place in the order of changes: its `updated` in UTC and its id (zero-padded)."""
    return f"{mapping.jira_time(mapping.when(raw['fields']['updated']))}|{int(raw['id']):012d}"


def _check_issue(external_id: str) -> None:
    if not external_id or not all(c in _ISSUE_KEY for c in external_id.upper()):
        raise InvalidInput(f"A Jira issue is an id or a key such as SD-12 (got {external_id!r}).")


def _client(config: Mapping[str, str]) -> http.HttpClient:
    if not (config.get("base_url") or config.get("site")):
        raise InvalidInput("The jsm connector needs 'site' (or 'base_url') in its configuration.")
    base = config.get("base_url") or f"https://{config['site']}.atlassian.net"
    if config.get("oauth_token"):
        return http.HttpClient(vendor="jsm", base_url=base, headers=http.bearer_headers(config["oauth_token"]))
    http.require_config("jsm", config, "email", "api_token")
    return http.HttpClient(vendor="jsm", base_url=base, auth=http.basic_auth(config["email"], config["api_token"]))


class JsmConnector:
    """One Jira Service Management project on a Jira Cloud site."""

    name = "jsm"

    def __init__(self, config: Mapping[str, str]) -> None:
        self.api = _client(config)
        http.require_config("jsm", config, "project")
        self.project = config["project"]
        if not all(c in _ISSUE_KEY for c in self.project.upper()):
            raise InvalidInput(f"The jsm project is a project key such as SD (got {self.project!r}).")
        self.base_url = self.api.base_url
        self.service_desk_id = config.get("service_desk_id") or ""
        self.request_type_id = config.get("request_type_id") or ""
        self.category_field = config.get("category_field") or None
        self.group_field = config.get("group_field") or None
        self.kb_space_id = config.get("kb_space_id") or ""
        try:
            self.zone = ZoneInfo(config.get("time_zone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"The jsm time_zone {config.get('time_zone')!r} is not a time zone name such as "
                               "Europe/Berlin.") from exc

    def _fields(self) -> str:
        return ",".join([*mapping.FIELDS, *(f for f in (self.category_field, self.group_field) if f)])

    def _comments(self, issue_id: str) -> Iterator[Raw]:
        start = 0
        while True:
            body = self.api.get_json(f"/rest/servicedeskapi/request/{issue_id}/comment",
                                     {"start": start, "limit": PAGE_SIZE})
            yield from body.get("values", [])
            start += len(body.get("values", []))
            if body.get("isLastPage", True) or not body.get("values"):
                return

    def _full(self, raw: Raw) -> ExternalTicket:
        return mapping.ticket_from_jira(raw, base_url=self.base_url, comments=self._comments(str(raw["id"])),
                                        category_field=self.category_field, group_field=self.group_field)

    def _jql(self, cursor: str | None) -> str:
        scope = f'project = "{self.project}"'
        if cursor:
            minute = mapping.when(cursor.partition("|")[0]).astimezone(self.zone).strftime("%Y/%m/%d %H:%M")
            scope += f' AND updated >= "{minute}"'
        return f"{scope} ORDER BY updated ASC, id ASC"

    def tickets_since(self, cursor: str | None, *, limit: int) -> Page[ExternalTicket]:
        found: list[Raw] = []
        params: Raw = {"jql": self._jql(cursor), "fields": self._fields(), "expand": "changelog",
                       "maxResults": max(1, min(limit, PAGE_SIZE))}
        while True:
            body = self.api.get_json("/rest/api/3/search/jql", params)
            found += [r for r in body.get("issues", []) if not cursor or position(r) > cursor]
            following = body.get("nextPageToken")
            if len(found) > limit or not following or body.get("isLast", False):
                break
            params = params | {"nextPageToken": following}
        page = found[:limit]
        more = len(found) > limit or bool(following and not body.get("isLast", False))
        return Page(tuple(self._full(r) for r in page), position(page[-1]) if page else cursor, more)

    def _issue(self, external_id: str) -> Raw:
        _check_issue(external_id)
        raw: Raw = self.api.get_json(f"/rest/api/3/issue/{external_id}",
                                     {"fields": self._fields(), "expand": "changelog"})
        return raw

    def ticket(self, external_id: str) -> ExternalTicket:
        return self._full(self._issue(external_id))

    def read_attachment(self, attachment: ExternalAttachment) -> bytes:
        return self.api.get_bytes(attachment.url)

    def create_ticket(self, draft: TicketDraft) -> ExternalTicket:
        if not (self.service_desk_id and self.request_type_id):
            raise InvalidInput("To create requests the jsm connector needs service_desk_id and request_type_id in "
                               "its configuration.")
        created = self.api.send_json("POST", "/rest/servicedeskapi/request", mapping.request_to_jsm(
            service_desk_id=self.service_desk_id, request_type_id=self.request_type_id, summary=draft.subject,
            description=draft.description, requester_id=draft.requester_id))
        issue_id = str(created["issueId"])
        rest = TicketChanges(priority=draft.priority, category=draft.category, group_id=draft.group_id)
        return self.update_ticket(issue_id, rest) if rest != TicketChanges() else self.ticket(issue_id)

    def update_ticket(self, external_id: str, changes: TicketChanges) -> ExternalTicket:
        _check_issue(external_id)
        body = mapping.changes_to_jira(changes, category_field=self.category_field, group_field=self.group_field)
        if body["fields"]:
            self.api.request("PUT", f"/rest/api/3/issue/{external_id}", json=body)
        if changes.status:
            listed = self.api.get_json(f"/rest/api/3/issue/{external_id}/transitions").get("transitions", [])
            transition = mapping.transition_for(listed, changes.status)
            if transition is None:
                raise ProviderError(f"jsm: issue {external_id} has no transition to {changes.status} from its "
                                    "status; move it in Jira or add the transition to the workflow.", retryable=False)
            self.api.request("POST", f"/rest/api/3/issue/{external_id}/transitions",
                             json={"transition": {"id": transition}})
        return self.ticket(external_id)

    def add_comment(self, external_id: str, comment: CommentDraft) -> ExternalComment:
        _check_issue(external_id)
        made = self.api.send_json("POST", f"/rest/servicedeskapi/request/{external_id}/comment",
                                  mapping.comment_to_jsm(comment.body, public=comment.public))
        return mapping.comment_from_jsm(made)

    def articles_since(self, cursor: str | None, *, limit: int) -> Page[ExternalArticle]:
        """Pages of the knowledge base's space in Confluence's order; the cursor is Confluence's own. After the
        last page the cursor stays on it, so the next import reads it again (pages added since arrive; the
        import recognises the others); pages changed earlier in the space arrive with `--from-start`."""
        if not self.kb_space_id:
            return Page((), cursor or "", False)
        params: Raw = {"body-format": "storage", "limit": max(1, min(limit, 250)), "status": "current,draft"}
        if cursor:
            params["cursor"] = cursor
        body: Raw = self.api.get_json(f"/wiki/api/v2/spaces/{self.kb_space_id}/pages", params)
        articles = tuple(mapping.article_from_confluence(p, base_url=self.base_url) for p in body.get("results", []))
        following = ((body.get("_links") or {}).get("next") or "").partition("cursor=")[2].partition("&")[0]
        return Page(articles, following or cursor or "", bool(following))

    def users_since(self, cursor: str | None, *, limit: int) -> Page[ExternalUser]:
        """Customers and agents of the site by offset (the list only grows); apps are left out."""
        start = int(cursor or 0)
        size = max(1, min(limit, PAGE_SIZE))
        listed: list[Raw] = self.api.get_json("/rest/api/3/users/search", {"startAt": start, "maxResults": size})
        users = tuple(mapping.user_from_jira(u) for u in listed if u.get("accountType") != "app")
        return Page(users, str(start + len(listed)), len(listed) == size)

    def _paged(self, url: str, params: Mapping[str, Any]) -> Iterator[Raw]:
        start = 0
        while True:
            body = self.api.get_json(url, {**params, "startAt": start, "maxResults": PAGE_SIZE})
            yield from body.get("values", [])
            start += len(body.get("values", []))
            if body.get("isLast", True) or not body.get("values"):
                return

    def groups(self) -> tuple[ExternalGroup, ...]:
        return tuple(mapping.group_from_jira(g, self._paged("/rest/api/3/group/member", {"groupId": g["groupId"]}))
                     for g in self._paged("/rest/api/3/group/bulk", {}))

