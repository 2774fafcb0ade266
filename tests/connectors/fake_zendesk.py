"""A Zendesk Support + Help Center server for the tests, reproducing the documented API v2 shapes.

Basic auth `email/token:api_token` or a bearer token; 401 `{"error": "Couldn't authenticate you"}`; 404
`{"error": "RecordNotFound", "description": "Not found"}`; 429 with Retry-After; the cursor-based
incremental ticket and user exports (`after_cursor`, `end_of_stream`); cursor pagination (`page[size]`,
`meta.has_more`, `links.next`) for comments, audits, groups and memberships; Help Center's time-based
incremental article export (`end_time`, `next_page`).
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.connectors.vendor_server import FILES, SUBJECTS, Clock, Faults, basic_credentials, desk_rng

Raw = dict[str, Any]
EMAIL, TOKEN, OAUTH = "admin@northwind.example", "zd-token-123", "zd-oauth-456"
CATEGORY_FIELD = 360001


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskDesk:
    """The desk's records as Zendesk stores them."""

    def __init__(self) -> None:
        self.base = ""
        self.clock = Clock()
        self.ids = itertools.count(1001)
        self.tickets: dict[int, Raw] = {}
        self.comments: dict[int, list[Raw]] = {}
        self.audits: dict[int, list[Raw]] = {}
        self.users: dict[int, Raw] = {}
        self.groups: list[Raw] = []
        self.memberships: list[Raw] = []
        self.articles: dict[int, Raw] = {}
        self.files: dict[int, bytes] = {}
        self.faults = Faults()

    def add_user(self, name: str, email: str, role: str = "end-user") -> int:
        user_id = next(self.ids)
        self.users[user_id] = {"id": user_id, "name": name, "email": email, "role": role, "active": True,
                               "url": f"{self.base}/api/v2/users/{user_id}.json",
                               "created_at": _iso(self.clock.tick()), "updated_at": _iso(self.clock.now)}
        return user_id

    def add_ticket(self, *, subject: str, body: str, requester_id: int | None, status: str = "new",
                   priority: str | None = None, category: str | None = None, group_id: int | None = None,
                   assignee_id: int | None = None, ticket_type: str | None = None) -> int:
        ticket_id, now = next(self.ids), _iso(self.clock.tick())
        self.tickets[ticket_id] = {
            "id": ticket_id, "url": f"{self.base}/api/v2/tickets/{ticket_id}.json", "subject": subject,
            "raw_subject": subject, "description": body, "status": status, "priority": priority, "type": ticket_type,
            "requester_id": requester_id, "submitter_id": requester_id, "assignee_id": assignee_id,
            "group_id": group_id, "tags": [], "custom_fields": [{"id": CATEGORY_FIELD, "value": category}],
            "via": {"channel": "web"}, "created_at": now, "updated_at": now}
        self.comments[ticket_id], self.audits[ticket_id] = [], []
        self.add_comment(ticket_id, body=body, public=True, author_id=requester_id, touch=False)
        return ticket_id

    def add_comment(self, ticket_id: int, *, body: str, public: bool, author_id: int | None,
                    files: list[tuple[str, str, bytes]] = (), touch: bool = True) -> Raw:  # type: ignore[assignment]
        now = _iso(self.clock.tick())
        attachments = []
        for name, content_type, content in files:
            file_id = next(self.ids)
            self.files[file_id] = content
            attachments.append({"id": file_id, "file_name": name, "content_type": content_type,
                                "size": len(content), "content_url": f"{self.base}/attachments/token/{file_id}/"
                                f"?name={name}"})
        comment = {"id": next(self.ids), "type": "Comment", "author_id": author_id, "body": body,
                   "html_body": f"<p>{body}</p>", "plain_body": body, "public": public,
                   "attachments": attachments, "created_at": now}
        self.comments[ticket_id].append(comment)
        if touch:
            self.tickets[ticket_id]["updated_at"] = now
        return comment

    def change(self, ticket_id: int, fields: Raw, author_id: int | None = None) -> Raw:
        raw, now = self.tickets[ticket_id], _iso(self.clock.tick())
        events = [{"id": next(self.ids), "type": "Change", "field_name": name, "previous_value": raw.get(name),
                   "value": value} for name, value in fields.items() if raw.get(name) != value]
        audit = {"id": next(self.ids), "ticket_id": ticket_id, "created_at": now, "author_id": author_id,
                 "events": events}
        self.audits[ticket_id].append(audit)
        raw.update(fields, updated_at=now)
        return audit

    def add_article(self, title: str, body: str, *, draft: bool = False) -> int:
        article_id = next(self.ids)
        self.articles[article_id] = {"id": article_id, "title": title, "body": body, "draft": draft,
                                     "locale": "en-us", "section_id": 42,
                                     "html_url": f"{self.base}/hc/en-us/articles/{article_id}",
                                     "updated_at": _iso(self.clock.tick())}
        return article_id

    def generate(self, *, tickets: int = 300, articles: int = 40, seed: int = 21) -> None:
        """A desk with history: requesters, agents in groups, mostly solved/closed tickets with comments and
        attachments (an .exe among them), a few open ones, published and draft articles."""
        rng = desk_rng(seed)
        requesters = [self.add_user(f"Requester {n}", f"req{n}@northwind.example") for n in range(25)]
        agents = [self.add_user(f"Agent {n}", f"agent{n}@northwind.example", "agent") for n in range(4)]
        self.add_user("No Mail", "", "end-user")
        for n, name in enumerate(["Service Desk", "Network Ops"]):
            self.groups.append({"id": 500 + n, "name": name, "deleted": False})
            self.memberships += [{"id": 600 + n * 10 + i, "user_id": a, "group_id": 500 + n}
                                 for i, a in enumerate(agents[n * 2:n * 2 + 2])]
        for n in range(tickets):
            category = rng.choice(sorted(SUBJECTS))
            ticket_id = self.add_ticket(subject=f"{rng.choice(SUBJECTS[category])} ({n})",
                                        body=f"Since this morning: {category} problem number {n}.",
                                        requester_id=rng.choice(requesters),
                                        priority=rng.choice(["low", "normal", "normal", "high", "urgent"]),
                                        category=category, group_id=500 + (category == "network"))
            agent = rng.choice(agents)
            self.add_comment(ticket_id, body="Could you send a screenshot?", public=True, author_id=agent)
            self.add_comment(ticket_id, body="Here it is.", public=True, author_id=self.tickets[ticket_id]
                             ["requester_id"], files=[FILES[n % 3]] if n % 4 == 0 else [])
            self.add_comment(ticket_id, body="Checked the logs; known issue.", public=False, author_id=agent)
            final = "open" if n % 10 == 9 else rng.choice(["solved", "closed"])
            self.change(ticket_id, {"status": final, "assignee_id": agent}, author_id=agent)
        for n in range(articles):
            category = sorted(SUBJECTS)[n % 4]
            self.add_article(f"How to fix {category} issue {n}",
                             f"<h2>Cause</h2><p>The {category} service {n} stalls.</p><ol><li>Restart it.</li>"
                             f"<li>Sign in again.</li></ol>", draft=n % 8 == 7)


def _cursor(raw: Raw) -> str:
    return base64.urlsafe_b64encode(f"{raw['updated_at']}|{raw['id']:012d}".encode()).decode()


def _position(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor.encode()).decode()


def _export(records: list[Raw], request: Request, key: str, desk: ZendeskDesk) -> Raw:
    query = request.query_params
    size = min(int(query.get("per_page", 1000)), 1000)
    ordered = sorted(records, key=lambda r: (r["updated_at"], r["id"]))
    if "cursor" in query:
        after = _position(query["cursor"])
        ordered = [r for r in ordered if f"{r['updated_at']}|{r['id']:012d}" > after]
    else:
        start = datetime.fromtimestamp(int(query.get("start_time", 0)), UTC)
        ordered = [r for r in ordered if datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")) >= start]
    page = ordered[:size]
    after_cursor = _cursor(page[-1]) if page else query.get("cursor") or _cursor({"updated_at": "", "id": 0})
    return {key: page, "after_cursor": after_cursor, "before_cursor": None,
            "after_url": f"{desk.base}{request.url.path}?cursor={after_cursor}", "end_of_stream": len(ordered) <= size}


def _listing(records: list[Raw], request: Request, key: str) -> Raw:
    size = int(request.query_params.get("page[size]", 100))
    start = int(request.query_params.get("page[after]", 0))
    page = records[start:start + size]
    more = start + size < len(records)
    url = str(request.url.remove_query_params(["page[after]"]).include_query_params(**{"page[after]": start + size}))
    return {key: page, "meta": {"has_more": more, "after_cursor": str(start + size) if more else None},
            "links": {"next": url if more else None}}


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404)


def build_app(desk: ZendeskDesk) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        throttled = desk.faults.throttled()
        if throttled is not None:
            return throttled
        if not request.url.path.startswith("/attachments/"):
            bearer = request.headers.get("Authorization") == f"Bearer {OAUTH}"
            if not bearer and basic_credentials(request) != (f"{EMAIL}/token", TOKEN):
                return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        response: Response = await call_next(request)
        return response

    @app.get("/api/v2/incremental/tickets/cursor.json")
    def ticket_export(request: Request) -> Raw:
        desk.faults.export_page()
        return _export(list(desk.tickets.values()), request, "tickets", desk)

    @app.get("/api/v2/incremental/users/cursor.json")
    def user_export(request: Request) -> Raw:
        return _export(list(desk.users.values()), request, "users", desk)

    @app.get("/api/v2/tickets/{ticket_id}.json", response_model=None)
    def show_ticket(ticket_id: int) -> Raw | JSONResponse:
        return {"ticket": desk.tickets[ticket_id]} if ticket_id in desk.tickets else _not_found()

    @app.get("/api/v2/tickets/{ticket_id}/comments.json", response_model=None)
    def comments(ticket_id: int, request: Request) -> Raw | JSONResponse:
        return _listing(desk.comments[ticket_id], request, "comments") if ticket_id in desk.tickets else _not_found()

    @app.get("/api/v2/tickets/{ticket_id}/audits.json", response_model=None)
    def audits(ticket_id: int, request: Request) -> Raw | JSONResponse:
        return _listing(desk.audits[ticket_id], request, "audits") if ticket_id in desk.tickets else _not_found()

    @app.post("/api/v2/tickets.json", status_code=201)
    async def create(request: Request) -> Raw:
        body = (await request.json())["ticket"]
        ticket_id = desk.add_ticket(subject=body["subject"], body=body["comment"]["body"],
                                    requester_id=body.get("requester_id"), priority=body.get("priority"),
                                    group_id=body.get("group_id"), ticket_type=body.get("type"))
        return {"ticket": desk.tickets[ticket_id]}

    @app.put("/api/v2/tickets/{ticket_id}.json", response_model=None)
    async def update(ticket_id: int, request: Request) -> Raw | JSONResponse:
        if ticket_id not in desk.tickets:
            return _not_found()
        body = dict((await request.json())["ticket"])
        comment = body.pop("comment", None)
        audit = desk.change(ticket_id, body)
        if comment:
            made = desk.add_comment(ticket_id, body=comment["body"], public=comment.get("public", True),
                                    author_id=None)
            audit["events"].append({k: made[k] for k in ("id", "type", "author_id", "body", "public",
                                                         "attachments")})
        return {"ticket": desk.tickets[ticket_id], "audit": audit}

    @app.get("/api/v2/groups.json")
    def groups(request: Request) -> Raw:
        return _listing(desk.groups, request, "groups")

    @app.get("/api/v2/group_memberships.json")
    def memberships(request: Request) -> Raw:
        return _listing(desk.memberships, request, "group_memberships")

    @app.get("/api/v2/help_center/incremental/articles.json")
    def article_export(request: Request) -> Raw:
        start = int(request.query_params.get("start_time", 0))
        ordered = sorted((a for a in desk.articles.values()
                          if datetime.fromisoformat(a["updated_at"].replace("Z", "+00:00")).timestamp() >= start),
                         key=lambda a: (a["updated_at"], a["id"]))
        page = ordered[:25]
        end = int(datetime.fromisoformat(page[-1]["updated_at"].replace("Z", "+00:00")).timestamp()) if page else start
        more = len(ordered) > 25
        return {"articles": page, "count": len(page), "end_time": end,
                "next_page": f"{desk.base}/api/v2/help_center/incremental/articles.json?start_time={end}" if more
                else None}

    @app.get("/attachments/token/{file_id}/", response_model=None)
    def attachment(file_id: int) -> Response:
        if file_id not in desk.files:
            return _not_found()
        return Response(desk.files[file_id], media_type="application/octet-stream")

    return app
