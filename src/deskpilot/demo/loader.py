"""Loads the Northwind demo (seed.yaml, tickets.csv) through the services. Safe to run twice."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import Team, User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import TeamCreate, UserCreate
from deskpilot.clock import utcnow
from deskpilot.demo import KB_DIR, SEED_YAML, TICKETS_CSV, chats, exchanges
from deskpilot.kb.importer import import_documents, read_folder
from deskpilot.runbooks import builtin
from deskpilot.runbooks import service as runbooks
from deskpilot.runbooks.enums import VersionStatus
from deskpilot.tickets import setup
from deskpilot.tickets.enums import Channel, Priority, TicketStatus
from deskpilot.tickets.history import HistoricalTicket, import_history
from deskpilot.tickets.models import BusinessCalendarRecord, Queue
from deskpilot.tickets.setup_schemas import CalendarCreate, EscalationLevelIn, QueueCreate, SlaPolicyCreate
from deskpilot.triage import categories
from deskpilot.triage.taxonomy_schemas import CategoryCreate

log = logging.getLogger(__name__)
LOADER = Principal.system("demo-loader")
# The leads of the Service Desk and of IAM sign off the shipped runbooks (password reset, unlock, groups).
RUNBOOK_APPROVERS = ("maria.lopez", "priya.raman")


@dataclass
class DemoSummary:
    users: int
    tickets: int
    password: str
    logins: list[tuple[str, str]]


def read_seed() -> dict[str, Any]:
    with SEED_YAML.open(encoding="utf-8") as handle:
        seed: dict[str, Any] = yaml.safe_load(handle)
    return seed


def _by_name(session: Session, model: type[Any], name: str) -> Any:
    return session.scalar(select(model).where(model.name == name))


def _load_org(session: Session, seed: dict[str, Any]) -> None:
    for cal in seed["calendars"]:
        if not _by_name(session, BusinessCalendarRecord, cal["name"]):
            setup.create_calendar(session, actor=LOADER, data=CalendarCreate(name=cal["name"],
                                                                             definition=cal["definition"]))
    for team in seed["teams"]:
        if not _by_name(session, Team, team["name"]):
            accounts.create_team(session, actor=LOADER, data=TeamCreate(name=team["name"],
                                                                        description=team["description"]))
    for queue in seed["queues"]:
        if not _by_name(session, Queue, queue["name"]):
            setup.create_queue(session, actor=LOADER, data=_queue(session, queue))


def _load_categories(session: Session, seed: dict[str, Any]) -> None:
    known = {c.name for c in categories.get_all(session, active_only=False)}
    for category in seed["categories"]:
        if category["name"] not in known:
            queue = _by_name(session, Queue, category["default_queue"])
            categories.create(session, actor=LOADER, data=CategoryCreate(
                name=category["name"], description=category["description"],
                examples=category.get("examples", []), default_queue_id=queue.id))


def _team_id(session: Session, name: str | None) -> int | None:
    return _by_name(session, Team, name).id if name else None


def _queue(session: Session, queue: dict[str, Any]) -> QueueCreate:
    levels = [EscalationLevelIn(level=lvl["level"], trigger=lvl["trigger"], after_minutes=lvl["after_minutes"],
                                notify_team_id=_team_id(session, lvl.get("notify_team")),
                                notify_role=lvl.get("notify_role"))
              for lvl in queue["escalation_levels"]]
    return QueueCreate(name=queue["name"], description=queue["description"],
                       team_id=_team_id(session, queue["team"]), escalation_levels=levels)


def _load_people(session: Session, seed: dict[str, Any]) -> int:
    added = 0
    for user in seed["users"]:
        if accounts.get_by_username(session, username=user["username"]):
            continue
        accounts.create(session, actor=LOADER, data=UserCreate(
            username=user["username"], email=user["email"], full_name=user["full_name"], role=user["role"],
            password=seed["demo_password"], is_vip=user.get("is_vip", False),
            team_ids=[_team_id(session, t) or 0 for t in user["teams"]]))
        added += 1
    calendars = {c.name: c.id for c in session.scalars(select(BusinessCalendarRecord))}
    if not setup.get_policies(session, actor=LOADER):
        for policy in seed["sla_policies"]:
            setup.create_policy(session, actor=LOADER, data=SlaPolicyCreate(
                name=policy["name"], priority=policy["priority"], calendar_id=calendars[policy["calendar"]],
                first_response_minutes=policy["first_response_minutes"],
                resolution_minutes=policy["resolution_minutes"], near_breach_ratio=policy["near_breach_ratio"]))
    return added


def _historical(row: dict[str, str], users: dict[str, int], queues: dict[str, int]) -> HistoricalTicket:
    created = utcnow() - timedelta(days=int(row["created_days_ago"]), hours=int(row["external_id"][-3:]) % 9)
    hours = row["resolved_after_hours"]
    resolved = created + timedelta(hours=float(hours)) if hours else None
    requester, assignee = users[row["requester"]], users.get(row["assignee"])
    replies, reopens = exchanges.story(row["external_id"], requester_id=requester, assignee_id=assignee,
                                       created=created, resolved=resolved)
    return HistoricalTicket(
        external_id=row["external_id"], subject=row["subject"][:300], description=row["description"],
        category=row["category"], queue_id=queues[row["queue"]], priority=Priority(row["priority"]),
        channel=Channel(row["channel"]), status=TicketStatus(row["status"]), created_at=created,
        requester_id=requester, assignee_id=assignee,
        first_responded_at=created + timedelta(minutes=20) if row["assignee"] else None,
        resolved_at=resolved, resolution=row["resolution"] or None, replies=replies, reopens=reopens)


def _load_tickets(session: Session) -> int:
    users = {u.username: u.id for u in session.scalars(select(User))}
    queues = {q.name: q.id for q in session.scalars(select(Queue))}
    with TICKETS_CSV.open(newline="", encoding="utf-8") as handle:
        records = [_historical(row, users, queues) for row in csv.DictReader(handle)]
    return import_history(session, actor=LOADER, records=records)


def _approve_runbooks(session: Session, approvers: tuple[str, ...]) -> int:
    """Install the shipped runbooks and approve each new version as the demo's leads (two distinct people, as
    high-risk runbooks need; the loader, their author, may not approve). Returns the versions approved."""
    leads = [Principal.of(session.scalars(select(User).where(User.username == name)).one()) for name in approvers]
    added = builtin.install(session, actor=LOADER)
    names = {r.id: r.name for r in runbooks.get_all(session)}
    for version in added:
        for lead in leads:
            if version.status is VersionStatus.DRAFT:
                runbooks.approve(session, actor=lead, name=names[version.runbook_id], version=version.version,
                                 reviewed_hash=version.content_hash)
    return sum(1 for version in added if version.status is VersionStatus.APPROVED)


def load_demo(session: Session, *, with_history: bool = True) -> DemoSummary:
    """Put the whole demo organisation and its history into the database (existing rows are kept). Without
    the history it is the desk on its first day: people, taxonomy and KB, no tickets."""
    seed = read_seed()
    _load_org(session, seed)
    _load_categories(session, seed)
    users = _load_people(session, seed)
    tickets = _load_tickets(session) if with_history else 0
    kb = import_documents(session, actor=LOADER, documents=read_folder(KB_DIR), approve=True)  # approved v1
    if with_history:
        chats.load_chats(session, actor=LOADER)
    _approve_runbooks(session, RUNBOOK_APPROVERS)
    log.info("demo loaded: %d users, %d tickets, %d KB articles", users, tickets, len(kb.created))
    logins = [(u["username"], u["role"]) for u in seed["users"]]
    return DemoSummary(users=users, tickets=tickets, password=seed["demo_password"], logins=logins)
