"""Jira's CSV export of the issue navigator ("Export Excel CSV (all fields)"): one row per issue, repeated columns
for comments (`date;accountId;body`) and attachments (`date;accountId;name;url`), dates as `03/Mar/25 8:40 AM`.

Include `Issue id` (all fields exports do) to share ids with the API import. The export names the reporter by
account id without an e-mail, so tickets of reporters the desk has not linked need `--fallback-requester`, and
it says nothing of whether a comment was internal: comments are kept as internal notes (staff-only).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from deskpilot.connectors.jsm import mapping
from deskpilot.connectors.records import ExportRecords, ExternalTicket
from deskpilot.errors import InvalidInput

REQUIRED = ("Summary", "Issue key", "Issue id", "Status", "Created")
_CATEGORY = {"to do": "new", "in progress": "indeterminate", "done": "done"}
_TIME_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f%z")


def jira_csv_time(value: str) -> str:
    """A CSV date (`03/Mar/25 8:40 AM`, taken as UTC) as the API's timestamp."""
    text = value.strip()
    for layout in _TIME_FORMATS:
        try:
            moment = datetime.strptime(text, layout)
        except ValueError:
            continue
        return mapping.jira_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    raise ValueError(f"unknown date {value!r}")


def issue_from_csv_row(cells: dict[str, list[str]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A row (each column's values, repeated columns together) as the API's issue shape and request comments."""
    def one(column: str) -> str:
        return next((v for v in cells.get(column, []) if v.strip()), "").strip()

    created = jira_csv_time(one("Created"))
    updated = jira_csv_time(one("Updated") or one("Resolved") or one("Created"))
    category = _CATEGORY.get(one("Status Category").lower(), "")
    comments = []
    for number, cell in enumerate(v for v in cells.get("Comment", []) if v.strip()):
        stamp, _, rest = cell.partition(";")
        author, _, body = rest.partition(";")
        comments.append({"id": f"{one('Issue id')}:comment:{number}", "body": body, "public": False,
                         "author": {"accountId": author} if author else None,
                         "created": {"iso8601": jira_csv_time(stamp)}})
    raw = {"id": one("Issue id"), "key": one("Issue key"), "fields": {
        "summary": one("Summary"), "description": one("Description"), "issuetype": {"name": one("Issue Type")},
        "status": {"name": one("Status"), "statusCategory": {"key": category}},
        "priority": {"name": one("Priority")} if one("Priority") else None,
        "reporter": {"accountId": one("Reporter Id")} if one("Reporter Id") else None,
        "assignee": {"accountId": one("Assignee Id")} if one("Assignee Id") else None,
        "created": created, "updated": updated, "attachment": []}}
    return raw, comments


def parse(source: str, content: bytes) -> ExportRecords:
    """The issues of a Jira CSV export; InvalidInput naming the first row it cannot read."""
    if not source.lower().endswith(".csv"):
        raise InvalidInput(f"{source}: a Jira Service Management export is the issue navigator's CSV (.csv).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text (byte {exc.start}).") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(f"{source}: the export lacks the column(s) {', '.join(missing)}; export the issues "
                           "with \"Export Excel CSV (all fields)\".")
    tickets: list[ExternalTicket] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        cells: dict[str, list[str]] = {}
        for column, value in zip(header, row, strict=False):
            cells.setdefault(column, []).append(value)
        try:
            raw, comments = issue_from_csv_row(cells)
            if not raw["id"].isdigit():
                raise ValueError(f"Issue id {raw['id']!r} is not a number")
            tickets.append(mapping.ticket_from_jira(raw, base_url="", comments=comments))
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"{source} row {reader.line_num}: {exc}; nothing was imported.") from exc
    if not tickets:
        raise InvalidInput(f"{source}: no issues found.")
    return ExportRecords(tickets=tuple(tickets))
