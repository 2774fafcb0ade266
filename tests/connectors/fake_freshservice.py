"""A Freshservice account for the tests, reproducing the documented API v2 shapes.

Basic auth with the API key as user name and `X` as password; 401 `{"code": "access_denied", "message": ...}`;
404 `{"code": "not_found", "message": ...}`; 429 with Retry-After; `page`/`per_page` (at most 100) with a
`Link: <…>; rel="next"` header; the ticket list filtered by `updated_since` and ordered by creation; replies and
notes as conversations; activities as sentences (" set Status as Closed"); solution categories, folders and
articles (status 1 draft, 2 published).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.connectors.vendor_server import FILES, SUBJECTS, Clock, Faults, basic_credentials, desk_rng

Raw = dict[str, Any]
API_KEY = "fs-key-345"
STATUS_WORD = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY_WORD = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FreshserviceAccount:
    """The account's records as Freshservice stores them."""

    def __init__(self) -> None:
        self.base = ""
        self.clock = Clock()
        self.ids = itertools.count(2001)
        self.tickets: dict[int, Raw] = {}
        self.conversations: dict[int, list[Raw]] = {}
        self.activities: dict[int, list[Raw]] = {}
        self.requesters: list[Raw] = []
        self.agents: list[Raw] = []
        self.groups: list[Raw] = []
        self.categories: list[Raw] = []
        self.folders: list[Raw] = []
        self.articles: list[Raw] = []
        self.files: dict[int, bytes] = {}
        self.faults = Faults(body={"code": "too_many_requests", "message": "You have exceeded the limit of "
                                                                          "requests per minute"})

    def add_person(self, kind: str, first: str, email: str) -> int:
        person_id = next(self.ids)
        record = {"id": person_id, "first_name": first, "last_name": "", "active": True,
                  "primary_email" if kind == "requester" else "email": email,
                  "created_at": _iso(self.clock.tick()), "updated_at": _iso(self.clock.now)}
        (self.requesters if kind == "requester" else self.agents).append(record)
        return person_id

    def _files(self, files: list[tuple[str, str, bytes]]) -> list[Raw]:
        made = []
        for name, content_type, content in files:
            file_id = next(self.ids)
            self.files[file_id] = content
            made.append({"id": file_id, "name": name, "content_type": content_type, "size": len(content),
                         "attachment_url": f"{self.base}/files/{file_id}", "created_at": _iso(self.clock.now)})
        return made

    def add_ticket(self, *, subject: str, description: str, requester_id: int | None, priority: int = 2,
                   category: str | None = None, group_id: int | None = None,
                   files: list[tuple[str, str, bytes]] = ()) -> int:  # type: ignore[assignment]
        ticket_id, now = next(self.ids), _iso(self.clock.tick())
        self.tickets[ticket_id] = {
            "id": ticket_id, "subject": subject, "description": f"<div>{description}</div>",
            "description_text": description, "status": 2, "priority": priority, "type": "Incident",
            "requester_id": requester_id, "responder_id": None, "group_id": group_id, "category": category,
            "source": 2, "attachments": self._files(list(files)), "created_at": now, "updated_at": now}
        self.conversations[ticket_id], self.activities[ticket_id] = [], []
        return ticket_id

    def converse(self, ticket_id: int, *, body: str, private: bool, user_id: int | None,
                 files: list[tuple[str, str, bytes]] = ()) -> Raw:  # type: ignore[assignment]
        now = _iso(self.clock.tick())
        made = {"id": next(self.ids), "user_id": user_id, "body": f"<div>{body}</div>", "body_text": body,
                "private": private, "incoming": False, "source": 2 if private else 0,
                "attachments": self._files(list(files)), "created_at": now, "updated_at": now}
        self.conversations[ticket_id].append(made)
        self.tickets[ticket_id]["updated_at"] = now
        return made

    def change(self, ticket_id: int, fields: Raw, actor_id: int | None = None) -> None:
        raw, now = self.tickets[ticket_id], _iso(self.clock.tick())
        words = {"status": ("Status", STATUS_WORD), "priority": ("Priority", PRIORITY_WORD)}
        said = [f" set {words[k][0]} as {words[k][1][v]}" if k in words else f" set {k} as {v}"
                for k, v in fields.items() if raw.get(k) != v]
        if said:
            self.activities[ticket_id].append({"actor": {"id": actor_id, "name": "Agent"}, "content": said[0],
                                               "sub_contents": said[1:], "created_at": now})
        raw.update(fields, updated_at=now)

    def generate(self, *, tickets: int = 300, articles: int = 40, seed: int = 21) -> None:
        """An account with history: requesters, agents in groups, mostly resolved/closed tickets with replies,
        notes and attachments (an .exe among them), a few open ones, published and draft articles."""
        rng = desk_rng(seed)
        requesters = [self.add_person("requester", f"Requester {n}", f"req{n}@northwind.example") for n in range(25)]
        agents = [self.add_person("agent", f"Agent {n}", f"agent{n}@northwind.example") for n in range(4)]
        self.add_person("requester", "No Mail", "")
        for n, name in enumerate(["Service Desk", "Network Ops"]):
            self.groups.append({"id": 700 + n, "name": name, "members": agents[n * 2:n * 2 + 2]})
        for n in range(tickets):
            category = rng.choice(sorted(SUBJECTS))
            requester = rng.choice(requesters)
            ticket_id = self.add_ticket(subject=f"{rng.choice(SUBJECTS[category])} ({n})",
                                        description=f"Since this morning: {category} problem number {n}.",
                                        requester_id=requester, priority=rng.choice([1, 2, 2, 3, 4]),
                                        category=category, group_id=700 + (category == "network"))
            agent = rng.choice(agents)
            self.converse(ticket_id, body="Could you send a screenshot?", private=False, user_id=agent)
            self.converse(ticket_id, body="Here it is.", private=False, user_id=requester,
                          files=[FILES[n % 3]] if n % 4 == 0 else [])
            self.converse(ticket_id, body="Checked the logs; known issue.", private=True, user_id=agent)
            self.change(ticket_id, {"status": 2 if n % 10 == 9 else rng.choice([4, 5]), "responder_id": agent},
                        actor_id=agent)
        self.categories = [{"id": 800, "name": "IT"}]
        self.folders = [{"id": 810 + n, "name": f"Folder {n}", "category_id": 800} for n in range(2)]
        for n in range(articles):
            category = sorted(SUBJECTS)[n % 4]
            self.articles.append({
                "id": next(self.ids), "title": f"How to fix {category} issue {n}", "folder_id": 810 + n % 2,
                "category_id": 800, "status": 1 if n % 8 == 7 else 2, "updated_at": _iso(self.clock.tick()),
                "description": f"<h2>Cause</h2><p>The {category} service {n} stalls.</p><ol><li>Restart it.</li>"
                               f"<li>Sign in again.</li></ol>"})


def _listing(records: list[Raw], request: Request, key: str) -> JSONResponse:
    size = min(int(request.query_params.get("per_page", 30)), 100)
    number = int(request.query_params.get("page", 1))
    page = records[(number - 1) * size:number * size]
    headers = {}
    if number * size < len(records):
        following = request.url.remove_query_params(["page"]).include_query_params(page=number + 1)
        headers["Link"] = f'<{following}>; rel="next"'
    return JSONResponse({key: page}, headers=headers)


def _not_found() -> JSONResponse:
    return JSONResponse({"code": "not_found", "message": "There is no record with the given id"}, status_code=404)


def build_app(account: FreshserviceAccount) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        throttled = account.faults.throttled()
        if throttled is not None:
            return throttled
        if not request.url.path.startswith("/files/") and basic_credentials(request) != (API_KEY, "X"):
            return JSONResponse({"code": "access_denied", "message": "You are not authorized to perform this "
                                                                     "action."}, status_code=401)
        response: Response = await call_next(request)
        return response

    @app.get("/api/v2/tickets")
    def tickets(request: Request) -> JSONResponse:
        account.faults.export_page()
        since = request.query_params.get("updated_since")
        listed = sorted(account.tickets.values(), key=lambda t: t["created_at"], reverse=True)
        if since:
            listed = [t for t in listed if t["updated_at"] >= since]
        return _listing(listed, request, "tickets")

    @app.get("/api/v2/tickets/{ticket_id}", response_model=None)
    def show(ticket_id: int) -> Raw | JSONResponse:
        return {"ticket": account.tickets[ticket_id]} if ticket_id in account.tickets else _not_found()

    @app.get("/api/v2/tickets/{ticket_id}/conversations", response_model=None)
    def conversations(ticket_id: int, request: Request) -> JSONResponse:
        if ticket_id not in account.tickets:
            return _not_found()
        return _listing(account.conversations[ticket_id], request, "conversations")

    @app.get("/api/v2/tickets/{ticket_id}/activities", response_model=None)
    def activities(ticket_id: int) -> Raw | JSONResponse:
        return {"activities": account.activities[ticket_id]} if ticket_id in account.tickets else _not_found()

    @app.post("/api/v2/tickets", status_code=201)
    async def create(request: Request) -> Raw:
        body = await request.json()
        ticket_id = account.add_ticket(subject=body["subject"], description=body["description"],
                                       requester_id=body.get("requester_id"), priority=body.get("priority", 2),
                                       category=body.get("category"), group_id=body.get("group_id"))
        return {"ticket": account.tickets[ticket_id]}

    @app.put("/api/v2/tickets/{ticket_id}", response_model=None)
    async def update(ticket_id: int, request: Request) -> Raw | JSONResponse:
        if ticket_id not in account.tickets:
            return _not_found()
        account.change(ticket_id, await request.json())
        return {"ticket": account.tickets[ticket_id]}

    @app.post("/api/v2/tickets/{ticket_id}/notes", status_code=201, response_model=None)
    async def note(ticket_id: int, request: Request) -> Raw | JSONResponse:
        if ticket_id not in account.tickets:
            return _not_found()
        body = await request.json()
        return {"conversation": account.converse(ticket_id, body=body["body"], private=body.get("private", True),
                                                 user_id=None)}

    @app.post("/api/v2/tickets/{ticket_id}/reply", status_code=201, response_model=None)
    async def reply(ticket_id: int, request: Request) -> Raw | JSONResponse:
        if ticket_id not in account.tickets:
            return _not_found()
        body = await request.json()
        return {"conversation": account.converse(ticket_id, body=body["body"], private=False, user_id=None)}

    @app.get("/api/v2/requesters")
    def requesters(request: Request) -> JSONResponse:
        return _listing(account.requesters, request, "requesters")

    @app.get("/api/v2/agents")
    def agents(request: Request) -> JSONResponse:
        return _listing(account.agents, request, "agents")

    @app.get("/api/v2/groups")
    def groups(request: Request) -> JSONResponse:
        return _listing(account.groups, request, "groups")

    @app.get("/api/v2/solutions/categories")
    def categories(request: Request) -> JSONResponse:
        return _listing(account.categories, request, "categories")

    @app.get("/api/v2/solutions/folders")
    def folders(request: Request, category_id: int) -> JSONResponse:
        return _listing([f for f in account.folders if f["category_id"] == category_id], request, "folders")

    @app.get("/api/v2/solutions/articles")
    def articles(request: Request, folder_id: int) -> JSONResponse:
        return _listing([a for a in account.articles if a["folder_id"] == folder_id], request, "articles")

    @app.get("/files/{file_id}", response_model=None)
    def download(file_id: int) -> Response:
        if file_id not in account.files:
            return _not_found()
        return Response(account.files[file_id], media_type="application/octet-stream")

    return app

