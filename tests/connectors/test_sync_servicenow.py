"""Two-way sync against the ServiceNow fake, with deskpilot owning priority: journal entries both ways, a state the
desk has no word for (its `open` is ServiceNow's In Progress) that never echoes, and a conflict the desk wins."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.connectors.sync_rules import Ownership
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, Priority, TicketStatus
from deskpilot.tickets.schemas import MessageCreate, TicketUpdate
from tests.connectors.desks import servicenow_desk
from tests.connectors.sync_desk import SyncedDesk, conflicts, linked_ticket, quiet, thread
from tests.factories import make_desk


def _journal(instance: object, sys_id: str) -> list[tuple[str, str]]:
    rows = instance.tables["sys_journal_field"]  # type: ignore[attr-defined]
    return [(j["element"], j["value"]) for j in rows if j["element_id"] == sys_id]


def test_servicenow_incidents_stay_in_step_and_the_field_deskpilot_owns_wins_a_conflict(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    people = make_desk(session)
    session.commit()
    lena = Principal.of(people.lena)
    with servicenow_desk(incidents=10, articles=0) as desk:
        sn = desk.state
        carol = sn.add_user("carol", "Carol", "carol@northwind.example")
        caller = next(u for u in sn.tables["sys_user"] if u["user_name"] == "caller3")
        network = next(g["sys_id"] for g in sn.tables["sys_user_group"] if g["name"] == "Network")
        incident = sn.add_incident({"short_description": "Printer offline", "description": "Floor 3 printer.",
                                    "caller_id": caller["sys_id"], "assignment_group": network}, by="caller3")
        sn.update(incident, {"comments": "It shows error 49."}, by="caller3")
        synced = SyncedDesk(engine, desk.connector(), tmp_path, Ownership(deskpilot=frozenset({"priority"})))

        first = synced.sync()
        ticket = linked_ticket(session, "servicenow", incident["sys_id"])
        tickets.assign(session, actor=lena, ticket_id=ticket.id, assignee_id=people.carol.id)
        tickets.add_message(session, actor=lena, ticket_id=ticket.id, data=MessageCreate(
            body="A technician is on the way.", kind=MessageKind.PUBLIC_REPLY))
        tickets.add_message(session, actor=lena, ticket_id=ticket.id, data=MessageCreate(
            body="Fuser unit may be worn.", kind=MessageKind.INTERNAL_NOTE))
        session.commit()
        pushed = synced.sync()
        state_after_push = (incident["state"], incident["assigned_to"])
        echo = synced.sync()

        sn.update(incident, {"work_notes": "Toner replaced, fuser ordered."}, by="agent0")
        pulled = synced.sync()
        ticket = linked_ticket(session, "servicenow", incident["sys_id"])
        tickets.update(session, actor=lena, ticket_id=ticket.id, data=TicketUpdate(priority=Priority.P1))
        session.commit()
        sn.update(incident, {"impact": "3", "urgency": "3"}, by="agent0")
        clash = synced.sync()
        last = synced.sync()

    ticket = linked_ticket(session, "servicenow", incident["sys_id"])
    assert first.linked == 2 and thread(session, ticket.id)[:2] == [
        ("public_reply", "Floor 3 printer."), ("public_reply", "It shows error 49.")]
    assert (pushed.to_itsm, pushed.comments_out) == (2, 2) and state_after_push == ("2", carol)
    assert quiet(echo), "ServiceNow stores the desk's open as In Progress; that is not read back as a change"
    assert (pulled.comments_in, thread(session, ticket.id)[-1]) == (1, ("internal_note",
                                                                        "Toner replaced, fuser ordered."))
    assert clash.conflicts == 1 and clash.to_itsm == 1 and quiet(last)
    assert ticket.priority is Priority.P1 and (incident["impact"], incident["urgency"], incident["priority"]) == (
        "1", "1", "1"), "deskpilot owns priority: its value is written over the ITSM's"
    assert ticket.status is TicketStatus.OPEN
    assert conflicts(session, ticket.id) == [("priority", "P1", "P4", "itsm", "owner")]
    assert _journal(sn, incident["sys_id"]) == [
        ("comments", "It shows error 49."), ("comments", "A technician is on the way."),
        ("work_notes", "Fuser unit may be worn."), ("work_notes", "Toner replaced, fuser ordered.")]
