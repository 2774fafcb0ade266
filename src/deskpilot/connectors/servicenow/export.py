"""ServiceNow's list exports: CSV (display values) and XML (the unload format, stored values).

CSV columns are field names (`number`, `short_description`, `state`, ...); states and priorities come as their
labels (`Closed`, `4 - Low`) and references as display names, so a caller is matched by the `caller_id.email`
column when the export has it. Include `sys_id` in the export to share ids with the API import. The XML holds
the records of every table exported (`incident`, `sys_journal_field`, `sys_user`, `kb_knowledge`).
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deskpilot.connectors.records import ExportRecords, ExternalUser
from deskpilot.connectors.servicenow import mapping
from deskpilot.errors import InvalidInput

Raw = dict[str, Any]
REQUIRED = ("number", "short_description", "state")
_LABEL_STATE = {label.lower(): code for code, label in mapping.STATE_LABEL.items()}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S")


def _glide(value: str) -> str:
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), layout).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
    raise ValueError(f"unknown time {value!r}")


def _state(value: str) -> str:
    text = value.strip()
    return text if text.isdigit() else _LABEL_STATE.get(text.lower(), "2")


def incident_from_csv_row(row: Mapping[str, str]) -> tuple[Raw, ExternalUser | None]:
    """An incident row of the CSV export as the Table API shape, with the caller when the row names an e-mail."""
    opened = row.get("sys_created_on") or row.get("opened_at") or ""
    changed = row.get("sys_updated_on") or row.get("closed_at") or row.get("resolved_at") or opened
    email = (row.get("caller_id.email") or "").strip()
    raw: Raw = {
        "sys_id": (row.get("sys_id") or row["number"]).strip(), "number": row["number"].strip(),
        "short_description": row["short_description"], "description": row.get("description") or "",
        "state": _state(row["state"]), "priority": (row.get("priority") or "").strip()[:1],
        "category": row.get("category") or None, "caller_id": email or None,
        "sys_created_on": _glide(opened), "sys_updated_on": _glide(changed),
        "close_notes": row.get("close_notes") or ""}
    caller = ExternalUser(external_id=email, email=email, name=row.get("caller_id") or email) if email else None
    return raw, caller


def _csv(source: str, text: str) -> ExportRecords:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{source}: the export lacks the column(s) {', '.join(missing)}; export the incident "
                           f"list with at least {', '.join(REQUIRED)} and sys_created_on.")
    tickets, users = [], {}
    for row in reader:
        where = f"{source} row {reader.line_num}"
        try:
            raw, caller = incident_from_csv_row(row)
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"{where}: {exc}; nothing was imported.") from exc
        notes = (row.get("comments_and_work_notes") or "").strip()
        journal = [{"sys_id": f"{raw['sys_id']}:journal", "element": "work_notes", "value": notes,
                    "sys_created_on": raw["sys_updated_on"]}] if notes else []
        tickets.append(mapping.ticket_from_servicenow(raw, instance="", journal=journal))
        if caller:
            users[caller.external_id] = caller
    return ExportRecords(tickets=tuple(tickets), users=tuple(users.values()))


def _rows(root: ElementTree.Element, table: str) -> list[Raw]:
    return [{field.tag: field.text or "" for field in record} for record in root if record.tag == table]


def _xml(source: str, content: bytes) -> ExportRecords:
    if b"<!DOCTYPE" in content[:4096].upper():
        raise InvalidInput(f"{source}: XML with a DOCTYPE is refused (ServiceNow exports have none).")
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise InvalidInput(f"{source}: not well-formed XML ({exc}).") from exc
    journal: dict[str, list[Raw]] = {}
    for entry in sorted(_rows(root, "sys_journal_field"), key=lambda j: (j.get("sys_created_on", ""), j["sys_id"])):
        journal.setdefault(entry.get("element_id", ""), []).append(entry)
    try:
        tickets = tuple(mapping.ticket_from_servicenow(raw, instance="", journal=journal.get(raw["sys_id"], []))
                        for raw in _rows(root, "incident"))
        articles = tuple(mapping.article_from_servicenow(raw, instance="") for raw in _rows(root, "kb_knowledge"))
        users = tuple(mapping.user_from_servicenow(raw) for raw in _rows(root, "sys_user"))
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"{source}: a record cannot be read ({type(exc).__name__}: {exc}); nothing was "
                           "imported.") from exc
    return ExportRecords(tickets=tickets, articles=articles, users=users)


def parse(source: str, content: bytes) -> ExportRecords:
    """The records of a ServiceNow CSV or XML export (by the file's suffix)."""
    if source.lower().endswith(".xml"):
        records = _xml(source, content)
    elif source.lower().endswith(".csv"):
        try:
            records = _csv(source, content.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{source}: not UTF-8 text (byte {exc.start}).") from exc
    else:
        raise InvalidInput(f"{source}: a ServiceNow export is .csv or .xml.")
    if not (records.tickets or records.articles or records.users):
        raise InvalidInput(f"{source}: no incidents, articles or users found.")
    return records
