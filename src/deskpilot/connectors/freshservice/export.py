"""Freshservice's ticket export (Tickets → Export, CSV): one row per ticket with `Ticket Id`, `Subject`,
`Description`, `Status`, `Priority` as words, `Requester Email`, `Category`, `Created Date`, `Last Updated Time`.

The export's ticket ids are the API's (a prefix such as `INC-` is dropped), so the API import later adds nothing
twice; requesters are matched by e-mail; the export carries no conversations or files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from deskpilot.connectors.freshservice import mapping
from deskpilot.connectors.records import ExportRecords, ExternalUser
from deskpilot.errors import InvalidInput

REQUIRED = ("Ticket Id", "Subject", "Status", "Created Date")
_STATUS = {label.lower(): code for code, label in mapping.STATUS_LABEL.items()}
_PRIORITY = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S", "%a, %d %b, %Y %I:%M %p")


def _iso(value: str) -> str:
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), layout).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
    raise ValueError(f"unknown date {value!r}")


def ticket_from_csv_row(row: Mapping[str, str]) -> tuple[dict[str, Any], ExternalUser | None]:
    """A row as the API's ticket shape (the requester's e-mail as their id), with that requester."""
    number = "".join(c for c in row["Ticket Id"] if c.isdigit())
    if not number:
        raise ValueError(f"Ticket Id {row['Ticket Id']!r} has no number")
    status = (row.get("Status") or "").strip().lower()
    if status not in _STATUS:
        raise ValueError(f"unknown Status {row.get('Status')!r} (Open, Pending, Resolved or Closed)")
    email = (row.get("Requester Email") or "").strip()
    changed = row.get("Last Updated Time") or row.get("Closed Date") or row.get("Resolved Date") or row["Created Date"]
    raw = {"id": int(number), "subject": row["Subject"], "description_text": row.get("Description") or "",
           "status": _STATUS[status], "priority": _PRIORITY.get((row.get("Priority") or "").strip().lower(), 0),
           "category": (row.get("Category") or "").strip() or None, "requester_id": email or None,
           "created_at": _iso(row["Created Date"]), "updated_at": _iso(changed)}
    requester = ExternalUser(external_id=email, email=email, name=row.get("Requester Name") or email) if email \
        else None
    return raw, requester


def parse(source: str, content: bytes) -> ExportRecords:
    """The tickets of a Freshservice CSV export; InvalidInput naming the first row it cannot read."""
    if not source.lower().endswith(".csv"):
        raise InvalidInput(f"{source}: a Freshservice export is the ticket list's CSV (.csv).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text (byte {exc.start}).") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{source}: the export lacks the column(s) {', '.join(missing)}; export the tickets "
                           f"with at least {', '.join(REQUIRED)}.")
    tickets, users = [], {}
    for row in reader:
        try:
            raw, requester = ticket_from_csv_row(row)
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"{source} row {reader.line_num}: {exc}; nothing was imported.") from exc
        tickets.append(mapping.ticket_from_freshservice(raw, base_url=""))
        if requester:
            users[requester.external_id] = requester
    if not tickets:
        raise InvalidInput(f"{source}: no tickets found.")
    return ExportRecords(tickets=tuple(tickets), users=tuple(users.values()))
