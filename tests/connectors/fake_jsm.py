"""A Jira Service Management site for the tests, reproducing the documented Jira Cloud, Service Desk and
Confluence API shapes.

Basic auth `email:api_token` or a bearer token; 401 as text ("Client must be authenticated ..."); 404
`{"errorMessages": [...], "errors": {}}`; 429 with Retry-After; JQL search (`/rest/api/3/search/jql`, the subset
`project = "X" [AND updated >= "yyyy/MM/dd HH:mm"] ORDER BY updated ASC, id ASC`, `nextPageToken`/`isLast`) with the
changelog expanded; v3 descriptions in Atlassian Document Format; request comments with `public`; transitions;
offset lists (`startAt`/`maxResults`, `isLast`) for groups and members, a plain array for users; Confluence v2
pages with `_links.next` cursors.
"""

from __future__ import annotations

import base64
import itertools
import re
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from deskpilot.connectors.jsm.mapping import adf, jira_time
from tests.connectors.vendor_server import FILES, SUBJECTS, Clock, Faults, basic_credentials, desk_rng

Raw = dict[str, Any]
EMAIL, TOKEN, OAUTH = "bot@northwind.example", "jsm-token-678", "jsm-oauth-901"
PROJECT, SPACE, DESK_ID, REQUEST_TYPE = "SD", "65540", "1", "10"
CATEGORY_FIELD, GROUP_FIELD = "customfield_10050", "customfield_10060"
STATUSES = {"Open": "new", "In Progress": "indeterminate", "Waiting for customer": "indeterminate",
            "Resolved": "done", "Closed": "done"}
_JQL = re.compile(r'^project = "(?P<project>\w+)"(?: AND updated >= "(?P<minute>[\d/ :]+)")? ORDER BY updated ASC, '
                  r"id ASC$")


def _shown(value: Any) -> str | None:
    """How the changelog shows a value: a status's or priority's name, a user's account id, else the text."""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("accountId") or value.get("value"))
    return None if value is None else str(value)


class JsmSite:
    """The site's records as Jira stores them."""

    def __init__(self) -> None:
        self.base = ""
        self.clock = Clock()
        self.ids = itertools.count(10001)
        self.issues: dict[str, Raw] = {}
        self.comments: dict[str, list[Raw]] = {}
        self.users: list[Raw] = []
        self.groups: list[Raw] = []
        self.members: dict[str, list[str]] = {}
        self.pages: list[Raw] = []
        self.files: dict[int, bytes] = {}
        self.faults = Faults(body={"errorMessages": ["Rate limit exceeded."], "errors": {}})

    def add_user(self, name: str, email: str, kind: str = "customer") -> str:
        account = f"5b10ac8d82e05b22cc7d{next(self.ids)}"
        user: Raw = {"accountId": account, "accountType": kind, "displayName": name, "active": True}
        if email:
            user["emailAddress"] = email
        self.users.append(user)
        return account

    def _person(self, account: str | None) -> Raw | None:
        return next(({"accountId": u["accountId"], "displayName": u["displayName"]} for u in self.users
                     if u["accountId"] == account), None)

    def add_issue(self, *, summary: str, description: str, reporter: str | None, priority: str = "Medium",
                  category: str | None = None, group: str | None = None) -> str:
        issue_id, now = str(next(self.ids)), jira_time(self.clock.tick())
        key = f"{PROJECT}-{len(self.issues) + 1}"
        self.issues[issue_id] = {"id": issue_id, "key": key, "self": f"{self.base}/rest/api/3/issue/{issue_id}",
                                 "fields": {
            "summary": summary, "description": adf(description), "issuetype": {"name": "Service Request"},
            "status": {"name": "Open", "statusCategory": {"key": "new"}}, "priority": {"name": priority},
            "reporter": self._person(reporter), "assignee": None, "created": now, "updated": now, "attachment": [],
            "labels": [], CATEGORY_FIELD: {"value": category} if category else None,
            GROUP_FIELD: [{"name": g["name"], "groupId": g["groupId"]} for g in self.groups if g["groupId"] == group]},
            "changelog": {"histories": []}}
        self.comments[issue_id] = []
        return issue_id

    def comment(self, issue_id: str, *, body: str, public: bool, author: str | None,
                files: list[tuple[str, str, bytes]] = ()) -> Raw:  # type: ignore[assignment]
        moment = self.clock.tick()
        fields = self.issues[issue_id]["fields"]
        for name, content_type, content in files:
            file_id = next(self.ids)
            self.files[file_id] = content
            fields["attachment"].append({"id": str(file_id), "filename": name, "mimeType": content_type,
                                         "size": len(content), "created": jira_time(moment),
                                         "content": f"{self.base}/rest/api/3/attachment/content/{file_id}"})
        made = {"id": str(next(self.ids)), "body": body, "public": public, "author": self._person(author),
                "created": {"iso8601": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                            "epochMillis": int(moment.timestamp() * 1000)}}
        self.comments[issue_id].append(made)
        fields["updated"] = jira_time(moment)
        return made

    def change(self, issue_id: str, values: Raw, author: str | None = None) -> None:
        issue, now = self.issues[issue_id], jira_time(self.clock.tick())
        items = []
        for name, value in values.items():
            old = issue["fields"].get(name)
            if old == value:
                continue
            items.append({"field": name, "fieldtype": "jira", "fromString": _shown(old), "toString": _shown(value)})
            issue["fields"][name] = value
        if items:
            issue["changelog"]["histories"].append({"id": str(next(self.ids)), "author": self._person(author),
                                                    "created": now, "items": items})
            issue["fields"]["updated"] = now

    def move(self, issue_id: str, status: str, author: str | None = None) -> None:
        self.change(issue_id, {"status": {"name": status, "statusCategory": {"key": STATUSES[status]}}}, author)

    def generate(self, *, tickets: int = 300, articles: int = 40, seed: int = 21) -> None:
        """A site with history: customers, agents in groups, mostly resolved/closed requests with comments and
        attachments (an .exe among them), a few open ones, current and draft knowledge-base pages."""
        rng = desk_rng(seed)
        customers = [self.add_user(f"Requester {n}", f"req{n}@northwind.example") for n in range(25)]
        agents = [self.add_user(f"Agent {n}", f"agent{n}@northwind.example", "atlassian") for n in range(4)]
        self.add_user("Hidden Mail", "")
        self.add_user("Automation", "", "app")
        for n, name in enumerate(["Service Desk", "Network Ops"]):
            group_id = f"0000-{n}"
            self.groups.append({"name": name, "groupId": group_id})
            self.members[group_id] = agents[n * 2:n * 2 + 2]
        for n in range(tickets):
            category = rng.choice(sorted(SUBJECTS))
            reporter = rng.choice(customers)
            issue_id = self.add_issue(summary=f"{rng.choice(SUBJECTS[category])} ({n})",
                                      description=f"Since this morning: {category} problem number {n}.",
                                      reporter=reporter, priority=rng.choice(["Low", "Medium", "Medium", "High",
                                                                              "Highest"]),
                                      category=category, group=f"0000-{int(category == 'network')}")
            agent = rng.choice(agents)
            self.comment(issue_id, body="Could you send a screenshot?", public=True, author=agent)
            self.comment(issue_id, body="Here it is.", public=True, author=reporter,
                         files=[FILES[n % 3]] if n % 4 == 0 else [])
            self.comment(issue_id, body="Checked the logs; known issue.", public=False, author=agent)
            self.change(issue_id, {"assignee": self._person(agent)}, agent)
            if n % 10 != 9:
                self.move(issue_id, rng.choice(["Resolved", "Closed"]), agent)
        for n in range(articles):
            category = sorted(SUBJECTS)[n % 4]
            page_id = str(next(self.ids))
            self.pages.append({"id": page_id, "status": "draft" if n % 8 == 7 else "current",
                               "title": f"How to fix {category} issue {n}", "spaceId": SPACE, "parentId": None,
                               "createdAt": self.clock.tick().isoformat(),
                               "version": {"number": 1, "createdAt": self.clock.now.isoformat()},
                               "body": {"storage": {"representation": "storage", "value":
                                        f"<h2>Cause</h2><p>The {category} service {n} stalls.</p><ol><li>Restart "
                                        "it.</li><li>Sign in again.</li></ol>"}},
                               "_links": {"webui": f"/spaces/KB/pages/{page_id}"}})


def _missing(what: str) -> JSONResponse:
    return JSONResponse({"errorMessages": [f"{what} does not exist or you do not have permission to see it."],
                         "errors": {}}, status_code=404)


def _offset(records: list[Any], request: Request) -> Raw:
    start = int(request.query_params.get("startAt", request.query_params.get("start", 0)))
    size = int(request.query_params.get("maxResults", request.query_params.get("limit", 50)))
    page = records[start:start + size]
    return {"startAt": start, "maxResults": size, "total": len(records), "isLast": start + size >= len(records),
            "values": page}


def build_app(site: JsmSite) -> FastAPI:
    app = FastAPI()

    def issue_of(key: str) -> Raw | None:
        return site.issues.get(key) or next((i for i in site.issues.values() if i["key"] == key), None)

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        throttled = site.faults.throttled()
        if throttled is not None:
            return throttled
        bearer = request.headers.get("Authorization") == f"Bearer {OAUTH}"
        if not bearer and basic_credentials(request) != (EMAIL, TOKEN):
            return PlainTextResponse("Client must be authenticated to access this resource.", status_code=401)
        response: Response = await call_next(request)
        return response

    @app.get("/rest/api/3/search/jql", response_model=None)
    def search(request: Request) -> Raw | JSONResponse:
        site.faults.export_page()
        query = request.query_params
        parsed = _JQL.match(query["jql"])
        if parsed is None:
            return JSONResponse({"errorMessages": [f"Error in the JQL Query: {query['jql']}"], "errors": {}},
                                status_code=400)
        listed = sorted((i for i in site.issues.values() if i["key"].startswith(f"{parsed['project']}-")),
                        key=lambda i: (i["fields"]["updated"], int(i["id"])))
        if parsed["minute"]:
            since = datetime.strptime(parsed["minute"], "%Y/%m/%d %H:%M").strftime("%Y-%m-%dT%H:%M")
            listed = [i for i in listed if i["fields"]["updated"][:16] >= since]
        start = int(base64.b64decode(query["nextPageToken"]).decode()) if "nextPageToken" in query else 0
        size = min(int(query.get("maxResults", 50)), 100)
        page = listed[start:start + size]
        last = start + size >= len(listed)
        body: Raw = {"issues": page, "isLast": last}
        if not last:
            body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        return body

    @app.get("/rest/api/3/issue/{key}", response_model=None)
    def show(key: str) -> Raw | JSONResponse:
        return issue_of(key) or _missing("Issue")

    @app.put("/rest/api/3/issue/{key}", response_model=None)
    async def edit(key: str, request: Request) -> Response:
        issue = issue_of(key)
        if issue is None:
            return _missing("Issue")
        fields = (await request.json())["fields"]
        if "assignee" in fields:
            fields["assignee"] = site._person(fields["assignee"]["accountId"])
        site.change(issue["id"], fields)
        return Response(status_code=204)

    @app.get("/rest/api/3/issue/{key}/transitions", response_model=None)
    def transitions(key: str) -> Raw | JSONResponse:
        if issue_of(key) is None:
            return _missing("Issue")
        return {"transitions": [{"id": str(n), "name": name, "to": {"name": name, "statusCategory": {"key": cat}}}
                                for n, (name, cat) in enumerate(STATUSES.items(), 11)]}

    @app.post("/rest/api/3/issue/{key}/transitions", response_model=None)
    async def transition(key: str, request: Request) -> Response:
        issue = issue_of(key)
        if issue is None:
            return _missing("Issue")
        chosen = int((await request.json())["transition"]["id"])
        site.move(issue["id"], list(STATUSES)[chosen - 11])
        return Response(status_code=204)

    @app.post("/rest/servicedeskapi/request", status_code=201, response_model=None)
    async def create(request: Request) -> Raw | JSONResponse:
        body = await request.json()
        if (body.get("serviceDeskId"), body.get("requestTypeId")) != (DESK_ID, REQUEST_TYPE):
            return JSONResponse({"errorMessage": "The request type is not valid.", "i18nErrorMessage": {}},
                                status_code=400)
        values = body["requestFieldValues"]
        issue_id = site.add_issue(summary=values["summary"], description=values.get("description", ""),
                                  reporter=body.get("raiseOnBehalfOf"))
        return {"issueId": issue_id, "issueKey": site.issues[issue_id]["key"], "requestTypeId": REQUEST_TYPE,
                "serviceDeskId": DESK_ID}

    @app.get("/rest/servicedeskapi/request/{key}/comment", response_model=None)
    def comments(key: str, request: Request) -> Raw | JSONResponse:
        issue = issue_of(key)
        if issue is None:
            return _missing("Request")
        listed = _offset(site.comments[issue["id"]], request)
        return {"start": listed["startAt"], "limit": listed["maxResults"], "size": len(listed["values"]),
                "isLastPage": listed["isLast"], "values": listed["values"]}

    @app.post("/rest/servicedeskapi/request/{key}/comment", status_code=201, response_model=None)
    async def add_comment(key: str, request: Request) -> Raw | JSONResponse:
        issue = issue_of(key)
        if issue is None:
            return _missing("Request")
        body = await request.json()
        return site.comment(issue["id"], body=body["body"], public=body.get("public", True),
                            author=None)

    @app.get("/rest/api/3/users/search")
    def users(request: Request) -> list[Raw]:
        listed: list[Raw] = _offset(site.users, request)["values"]
        return listed

    @app.get("/rest/api/3/group/bulk")
    def groups(request: Request) -> Raw:
        return _offset(site.groups, request)

    @app.get("/rest/api/3/group/member")
    def members(request: Request, groupId: str) -> Raw:  # noqa: N803 - the documented parameter's name
        return _offset([{"accountId": a} for a in site.members.get(groupId, [])], request)

    @app.get("/wiki/api/v2/spaces/{space}/pages")
    def pages(space: str, request: Request) -> Raw:
        start = int(request.query_params.get("cursor") or 0)
        size = int(request.query_params.get("limit", 25))
        listed = [p for p in site.pages if p["spaceId"] == space]
        page = listed[start:start + size]
        links: Raw = {"base": f"{site.base}/wiki"}
        if start + size < len(listed):
            links["next"] = f"/wiki/api/v2/spaces/{space}/pages?cursor={start + size}&limit={size}"
        return {"results": page, "_links": links}

    @app.get("/rest/api/3/attachment/content/{file_id}", response_model=None)
    def attachment(file_id: int) -> Response:
        if file_id not in site.files:
            return _missing("Attachment")
        return Response(site.files[file_id], media_type="application/octet-stream")

    return app
