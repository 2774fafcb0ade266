"""Factories and the test personas.

alice and bob are requesters; carol is an agent on the Service Desk team (queue "Service Desk L1");
dave is an agent on Network Ops (queue "Network"); lena is a lead; adam an admin; audrey an auditor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import Team, User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import TeamCreate, UserCreate
from deskpilot.tickets import service as tickets
from deskpilot.tickets import setup
from deskpilot.tickets.models import Queue, Ticket
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.tickets.setup_schemas import CalendarCreate, EscalationLevelIn, QueueCreate, SlaPolicyCreate

PASSWORD = "Correct-Horse-42"
SYSTEM = Principal.system("tests")
BERLIN_HOURS = {"timezone": "Europe/Berlin",
                "hours": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": ["2026-12-25", "2026-12-26"]}


def make_team(session: Session, name: str) -> Team:
    return accounts.create_team(session, actor=SYSTEM, data=TeamCreate(name=name))


def make_user(session: Session, username: str, role: Role, teams: list[Team] | None = None) -> User:
    return accounts.create(session, actor=SYSTEM, data=UserCreate(
        username=username, email=f"{username}@northwind.example", full_name=username.title(), role=role,
        password=PASSWORD, team_ids=[t.id for t in teams or []]))


def make_queue(session: Session, name: str, team: Team | None, escalation: list[EscalationLevelIn] | None = None
               ) -> Queue:
    return setup.create_queue(session, actor=SYSTEM, data=QueueCreate(
        name=name, team_id=team.id if team else None, escalation_levels=escalation or []))


def make_sla(session: Session, *, first_response: int = 60, resolution: int = 480, priority: str = "P3",
             definition: dict[str, object] | None = None, queue: Queue | None = None) -> None:
    calendar = setup.create_calendar(session, actor=SYSTEM, data=CalendarCreate(
        name=f"cal-{priority}-{queue.id if queue else 'all'}", definition=definition or BERLIN_HOURS))
    setup.create_policy(session, actor=SYSTEM, data=SlaPolicyCreate(
        name=f"{priority} policy", priority=priority, first_response_minutes=first_response,  # type: ignore[arg-type]
        resolution_minutes=resolution, calendar_id=calendar.id, queue_id=queue.id if queue else None))


@dataclass
class Desk:
    alice: User
    bob: User
    carol: User
    dave: User
    lena: User
    adam: User
    audrey: User
    service_desk: Queue
    network: Queue

    def principal(self, user: User) -> Principal:
        return Principal.of(user)


def make_desk(session: Session) -> Desk:
    """The personas, two teams and their queues."""
    sd_team, net_team = make_team(session, "Service Desk"), make_team(session, "Network Ops")
    desk = Desk(
        alice=make_user(session, "alice", Role.REQUESTER), bob=make_user(session, "bob", Role.REQUESTER),
        carol=make_user(session, "carol", Role.AGENT, [sd_team]),
        dave=make_user(session, "dave", Role.AGENT, [net_team]),
        lena=make_user(session, "lena", Role.LEAD, [sd_team]), adam=make_user(session, "adam", Role.ADMIN),
        audrey=make_user(session, "audrey", Role.AUDITOR),
        service_desk=make_queue(session, "Service Desk L1", sd_team), network=make_queue(session, "Network", net_team),
    )
    session.flush()
    return desk


def open_ticket(session: Session, desk: Desk, requester: User, *, queue: Queue | None = None,
                subject: str = "VPN drops every few minutes", description: str = "Since this morning.") -> Ticket:
    ticket = tickets.create(session, actor=Principal.of(requester), data=TicketCreate(subject=subject,
                                                                                      description=description))
    if queue is not None:
        ticket.queue_id = queue.id
        session.flush()
    return ticket
