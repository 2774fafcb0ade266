"""A ServiceNow instance for the tests, reproducing the documented Table and Attachment API shapes.

Basic auth (or a bearer token); `{"error": {"message", "detail"}, "status": "failure"}` errors (401, 404,
429 with Retry-After); `{"result": ...}` bodies; encoded queries (`=`, `!=`, `>`, `>=`, `<`, `IN`, `^`, `^NQ`,
`ORDERBY`, `ORDERBYDESC`); `sysparm_offset`/`sysparm_limit` with `X-Total-Count` and a `Link` header;
incident priority from the default impact × urgency lookup; journal fields written through `comments` and
`work_notes`; every field change audited in `sys_audit`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.connectors.vendor_server import FILES, SUBJECTS, Clock, Faults, basic_credentials, desk_rng

Raw = dict[str, Any]
USERNAME, PASSWORD, OAUTH = "integration", "sn-pass-789", "sn-oauth-012"
LOOKUP = {("1", "1"): "1", ("1", "2"): "2", ("2", "1"): "2", ("2", "2"): "3", ("1", "3"): "3", ("3", "1"): "3",
          ("2", "3"): "4", ("3", "2"): "4", ("3", "3"): "5"}
_CONDITION = re.compile(r"^(\w+?)(IN|!=|>=|<=|=|>|<)(.*)$")
JOURNAL_FIELDS = ("comments", "work_notes")


def _error(status: int, message: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "detail": detail}, "status": "failure"}, status_code=status)


def _test(field: str, op: str, value: str) -> Callable[[Raw], bool]:
    def check(row: Raw) -> bool:
        have = str(row.get(field) or "")
        return {"=": have == value, "!=": have != value, ">": have > value, ">=": have >= value,
                "<": have < value, "<=": have <= value, "IN": have in value.split(",")}[op]
    return check


def parse_query(query: str) -> tuple[list[list[Callable[[Raw], bool]]], list[tuple[str, bool]]]:
    """OR-ed groups of AND-ed conditions, and the order (field, descending)."""
    groups: list[list[Callable[[Raw], bool]]] = [[]]
    order: list[tuple[str, bool]] = []
    for term in filter(None, query.split("^")):
        if term.startswith("NQ"):
            groups.append([])
            term = term[2:]
        if term.startswith("ORDERBYDESC"):
            order.append((term[11:], True))
        elif term.startswith("ORDERBY"):
            order.append((term[7:], False))
        else:
            match = _CONDITION.match(term)
            if match is None:
                raise ValueError(f"unsupported condition {term!r}")
            groups[-1].append(_test(*match.groups()))
    return groups, order


def select(rows: list[Raw], query: str) -> list[Raw]:
    groups, order = parse_query(query)
    found = [r for r in rows if any(all(c(r) for c in group) for group in groups)]
    for field, descending in reversed(order):
        found.sort(key=lambda r, f=field: str(r.get(f) or ""), reverse=descending)  # type: ignore[misc]
    return found


class ServiceNowInstance:
    """The instance's tables as rows of strings."""

    def __init__(self) -> None:
        self.base = ""
        self.clock = Clock()
        self.serial = itertools.count(1)
        self.tables: dict[str, list[Raw]] = {name: [] for name in (
            "incident", "sys_user", "sys_user_group", "sys_user_grmember", "sys_journal_field", "sys_audit",
            "kb_knowledge", "sys_attachment")}
        self.files: dict[str, bytes] = {}
        self.faults = Faults(body={"error": {"message": "Rate limit exceeded", "detail": "Too many requests"},
                                   "status": "failure"})

    def sys_id(self) -> str:
        return hashlib.md5(f"sn-{next(self.serial)}".encode()).hexdigest()  # noqa: S324 - an id, not a secret

    def stamp(self) -> str:
        return self.clock.tick().strftime("%Y-%m-%d %H:%M:%S")

    def insert(self, table: str, fields: Raw) -> Raw:
        now = self.stamp()
        row = {"sys_id": self.sys_id(), "sys_created_on": now, "sys_updated_on": now, "sys_created_by": "admin",
               **fields}
        self.tables[table].append(row)
        return row

    def find(self, table: str, sys_id: str) -> Raw | None:
        return next((r for r in self.tables[table] if r["sys_id"] == sys_id), None)

    def add_user(self, user_name: str, name: str, email: str) -> str:
        return str(self.insert("sys_user", {"user_name": user_name, "name": name, "email": email,
                                            "active": "true"})["sys_id"])

    def add_incident(self, fields: Raw, *, by: str = "admin") -> Raw:
        number = f"INC{10000 + len(self.tables['incident']):07d}"
        impact, urgency = fields.pop("impact", "2"), fields.pop("urgency", "2")
        row = self.insert("incident", {"number": number, "state": "1", "impact": impact, "urgency": urgency,
                                       "priority": LOOKUP[(impact, urgency)], "category": "inquiry",
                                       "caller_id": "", "assigned_to": "", "assignment_group": "",
                                       "description": "", **fields})
        row["sys_created_by"] = by
        return row

    def update(self, incident: Raw, fields: Raw, *, by: str = "admin") -> None:
        now = self.stamp()
        for element in JOURNAL_FIELDS:
            if fields.get(element):
                self.tables["sys_journal_field"].append({
                    "sys_id": self.sys_id(), "element": element, "element_id": incident["sys_id"], "name": "incident",
                    "value": fields.pop(element), "sys_created_on": now, "sys_created_by": by})
        changed = dict(fields)
        if "impact" in fields or "urgency" in fields:
            changed["priority"] = LOOKUP[(fields.get("impact", incident["impact"]),
                                          fields.get("urgency", incident["urgency"]))]
        for name, value in changed.items():
            if incident.get(name) != value:
                self.tables["sys_audit"].append({
                    "sys_id": self.sys_id(), "tablename": "incident", "documentkey": incident["sys_id"],
                    "fieldname": name, "oldvalue": incident.get(name) or "", "newvalue": value, "user": by,
                    "sys_created_on": now})
        incident.update(changed, sys_updated_on=now)

    def attach(self, incident: Raw, name: str, content_type: str, content: bytes) -> None:
        sys_id = self.sys_id()
        self.files[sys_id] = content
        self.tables["sys_attachment"].append({
            "sys_id": sys_id, "file_name": name, "content_type": content_type, "size_bytes": str(len(content)),
            "table_name": "incident", "table_sys_id": incident["sys_id"],
            "download_link": f"{self.base}/api/now/attachment/{sys_id}/file"})

    def generate(self, *, incidents: int = 300, articles: int = 40, seed: int = 29) -> None:
        rng = desk_rng(seed)
        callers = [(f"caller{n}", self.add_user(f"caller{n}", f"Caller {n}", f"caller{n}@northwind.example"))
                   for n in range(25)]
        agents = [(f"agent{n}", self.add_user(f"agent{n}", f"Agent {n}", f"agent{n}@northwind.example"))
                  for n in range(4)]
        groups = [self.insert("sys_user_group", {"name": name, "active": "true"})["sys_id"]
                  for name in ("Service Desk", "Network")]
        for n, (_, agent) in enumerate(agents):
            self.insert("sys_user_grmember", {"user": agent, "group": groups[n % 2]})
        for n in range(incidents):
            category = rng.choice(sorted(SUBJECTS))
            caller_name, caller = rng.choice(callers)
            agent_name, agent = rng.choice(agents)
            impact, urgency = rng.choice(sorted(LOOKUP))
            incident = self.add_incident({"short_description": f"{rng.choice(SUBJECTS[category])} ({n})",
                                          "description": f"Since this morning: {category} problem number {n}.",
                                          "caller_id": caller, "category": category, "impact": impact,
                                          "urgency": urgency, "assignment_group": groups[category == "network"]},
                                         by=caller_name)
            self.update(incident, {"state": "2", "assigned_to": agent, "comments": "Could you send a screenshot?"},
                        by=agent_name)
            self.update(incident, {"comments": "Here it is."}, by=caller_name)
            if n % 4 == 0:
                self.attach(incident, *FILES[n % 3])
            final = "2" if n % 10 == 9 else rng.choice(["6", "7"])
            self.update(incident, {"work_notes": "Checked the logs; known issue.", "state": final,
                                   "close_notes": "Restarted the service." if final != "2" else ""}, by=agent_name)
        for n in range(articles):
            category = sorted(SUBJECTS)[n % 4]
            self.insert("kb_knowledge", {
                "number": f"KB{10000 + n:07d}", "short_description": f"How to fix {category} issue {n}",
                "text": f"<h2>Cause</h2><p>The {category} service {n} stalls.</p><ol><li>Restart it.</li></ol>",
                "workflow_state": "draft" if n % 8 == 7 else "published", "kb_category": ""})


def build_app(instance: ServiceNowInstance) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        throttled = instance.faults.throttled()
        if throttled is not None:
            return throttled
        bearer = request.headers.get("Authorization") == f"Bearer {OAUTH}"
        if not bearer and basic_credentials(request) != (USERNAME, PASSWORD):
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        response: Response = await call_next(request)
        return response

    def listing(table: str, request: Request) -> Response:
        query = request.query_params.get("sysparm_query", "")
        limit = int(request.query_params.get("sysparm_limit", 10000))
        offset = int(request.query_params.get("sysparm_offset", 0))
        if table == "incident" and "ORDERBYsys_updated_on" in query:
            instance.faults.export_page()
        found = select(instance.tables[table], query)
        page = found[offset:offset + limit]
        url = f"{instance.base}{request.url.path}?sysparm_limit={limit}"
        links = [f'<{url}&sysparm_offset=0>;rel="first"']
        if offset + limit < len(found):
            links.append(f'<{url}&sysparm_offset={offset + limit}>;rel="next"')
        return JSONResponse({"result": page}, headers={"X-Total-Count": str(len(found)), "Link": ",".join(links)})

    @app.get("/api/now/table/{table}")
    def table_list(table: str, request: Request) -> Response:
        if table not in instance.tables:
            return _error(400, "Invalid table", f"Table {table} does not exist")
        return listing(table, request)

    @app.get("/api/now/table/{table}/{sys_id}")
    def table_get(table: str, sys_id: str) -> Response:
        row = instance.find(table, sys_id) if table in instance.tables else None
        if row is None:
            return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        return JSONResponse({"result": row})

    @app.post("/api/now/table/incident", status_code=201)
    async def create(request: Request) -> Raw:
        return {"result": instance.add_incident(dict(await request.json()))}

    @app.patch("/api/now/table/incident/{sys_id}")
    async def update(sys_id: str, request: Request) -> Response:
        row = instance.find("incident", sys_id)
        if row is None:
            return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        instance.update(row, dict(await request.json()))
        return JSONResponse({"result": row})

    @app.get("/api/now/attachment")
    def attachments(request: Request) -> Response:
        return listing("sys_attachment", request)

    @app.get("/api/now/attachment/{sys_id}/file")
    def attachment_file(sys_id: str) -> Response:
        if sys_id not in instance.files:
            return _error(404, "No Record found", "Attachment not found")
        return Response(instance.files[sys_id], media_type="application/octet-stream")

    return app
