"""Two-way sync against the Zendesk fake: open tickets linked with their comments, changes carried both ways, each
rule of docs/connectors.md (one-sided change, owner wins, no status regression, append-only comments), no echo."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.connectors.models import SyncLink
from deskpilot.connectors.sync import changed_in_desk
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, Priority, TicketStatus
from deskpilot.tickets.schemas import MessageCreate, TicketUpdate
from tests.connectors.desks import run, zendesk_desk
from tests.connectors.sync_desk import SyncedDesk, conflicts, linked_ticket, quiet, thread
from tests.factories import make_desk

PUBLIC, INTERNAL = MessageKind.PUBLIC_REPLY.value, MessageKind.INTERNAL_NOTE.value


def test_zendesk_tickets_stay_in_step_both_ways_by_the_stated_rules_without_echoes(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    people = make_desk(session)
    session.commit()
    lena = Principal.of(people.lena)
    with zendesk_desk(tickets=10, articles=0) as desk:
        zd = desk.state
        zd.groups.append({"id": 511, "name": "Network", "deleted": False})
        carol = zd.add_user("Carol", "carol@northwind.example", "agent")
        requester = next(u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"])
        made = zd.add_ticket(subject="VPN drops every hour", body="Since 9 this morning.", requester_id=requester,
                             priority="normal", group_id=511)
        zd.add_comment(made, body="Which client version?", public=True, author_id=carol)
        zd.add_comment(made, body="Probably the MTU.", public=False, author_id=carol)
        synced = SyncedDesk(engine, desk.connector(), tmp_path)

        first = synced.sync()
        ticket = linked_ticket(session, "zendesk", made)
        linked = (ticket.status, ticket.priority, ticket.queue_id, thread(session, ticket.id))
        still = synced.sync()

        tickets.update(session, actor=lena, ticket_id=ticket.id, data=TicketUpdate(priority=Priority.P2))
        tickets.assign(session, actor=lena, ticket_id=ticket.id, assignee_id=people.carol.id)
        tickets.add_message(session, actor=lena, ticket_id=ticket.id,
                            data=MessageCreate(body="Please update the client to 5.2.", kind=MessageKind.PUBLIC_REPLY))
        tickets.add_message(session, actor=lena, ticket_id=ticket.id,
                            data=MessageCreate(body="Escalate if it persists.", kind=MessageKind.INTERNAL_NOTE))
        session.commit()
        pushed = synced.sync()
        after_push = dict(zd.tickets[made])
        written = [(c["body"], c["public"]) for c in zd.comments[made][-2:]]
        echo = synced.sync()

        zd.add_comment(made, body="Updated, it still drops.", public=True, author_id=requester)
        zd.change(made, {"status": "pending"}, author_id=carol)
        pulled = synced.sync()
        ticket = linked_ticket(session, "zendesk", made)
        status_after_pull = ticket.status

        tickets.update(session, actor=lena, ticket_id=ticket.id, data=TicketUpdate(priority=Priority.P1))
        session.commit()
        zd.change(made, {"priority": "low"}, author_id=carol)
        clash = synced.sync()
        zd.change(made, {"status": "new"}, author_id=carol)
        backwards = synced.sync()
        last = synced.sync()

    ticket = linked_ticket(session, "zendesk", made)
    network = people.network.id
    assert first.linked == 2 and (first.to_itsm, first.comments_out) == (0, 0), "one open ticket made, one generated"
    assert linked == (TicketStatus.NEW, Priority.P3, network, [
        (PUBLIC, "Since 9 this morning."), (PUBLIC, "Which client version?"), (INTERNAL, "Probably the MTU.")])
    assert quiet(still), "a pass with nothing changed writes nothing"

    assert (pushed.to_itsm, pushed.comments_out) == (3, 2), "priority, assignee, status; a reply and a note"
    assert (after_push["priority"], after_push["assignee_id"], after_push["status"]) == ("high", carol, "open")
    assert written == [
        ("Please update the client to 5.2.", True), ("Escalate if it persists.", False)]
    assert quiet(echo), "the sync's own writes never come back"

    assert (pulled.to_desk, pulled.comments_in, status_after_pull) == (1, 1, TicketStatus.WAITING_ON_CUSTOMER)
    assert (clash.conflicts, backwards.conflicts) == (1, 1) and quiet(last)
    assert ticket.priority is Priority.P4 and zd.tickets[made]["priority"] == "low", "the ITSM owns priority"
    assert ticket.status is TicketStatus.WAITING_ON_CUSTOMER and zd.tickets[made]["status"] == "new"
    assert conflicts(session, ticket.id) == [("priority", "P4", "P1", "deskpilot", "owner"),
                                             ("status", "waiting_on_customer", "new", "itsm", "no_regression")]
    bodies = [body for _, body in thread(session, ticket.id)]
    assert len(bodies) == len(set(bodies)) == 6, "each comment once in the desk"
    assert len([c["body"] for c in zd.comments[made]]) == len({c["body"] for c in zd.comments[made]}) == 6
    audited = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(ticket.id))).all()
    assert audited.count("ticket.sync_conflict") == 2
    link = session.scalars(select(SyncLink).where(SyncLink.ticket_id == ticket.id)).one()
    assert link.versions["priority"] == 3 and link.versions["category"] == 1
    assert changed_in_desk(session, "zendesk") == [], "no ticket is left to bring into step"


def test_a_ticket_imported_closed_and_reopened_in_zendesk_is_linked_without_duplicating_its_comments(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    make_desk(session)
    session.commit()
    with zendesk_desk(tickets=12, articles=0) as desk:
        zd = desk.state
        run(engine, desk.connector(), tmp_path)
        solved = next(t for t, raw in zd.tickets.items() if raw["status"] == "solved")
        closed = next(t for t, raw in zd.tickets.items() if raw["status"] == "closed")
        before = {t: thread(session, linked_ticket(session, "zendesk", t).id) for t in (solved, closed)}
        for ticket_id in (solved, closed):
            zd.change(ticket_id, {"status": "open"})
            zd.add_comment(ticket_id, body="It is back.", public=True, author_id=zd.tickets[ticket_id]["requester_id"])
        synced = SyncedDesk(engine, desk.connector(), tmp_path)
        first = synced.sync()
        again = synced.sync()

    reopened, refused = linked_ticket(session, "zendesk", solved), linked_ticket(session, "zendesk", closed)
    assert first.linked == 3 and first.comments_in == 2 and quiet(again), "two reopened, one open from the start"
    assert thread(session, reopened.id) == [*before[solved], (PUBLIC, "It is back.")]
    assert thread(session, refused.id) == [*before[closed], (PUBLIC, "It is back.")], "no comment lost or doubled"
    assert reopened.status is TicketStatus.OPEN, "reopening a resolved ticket is no regression"
    assert refused.status is TicketStatus.CLOSED
    assert conflicts(session, refused.id) == [("status", "closed", "open", "itsm", "no_regression")]


def test_while_itsm_write_back_is_not_auto_the_sync_is_one_way_and_the_desks_changes_wait(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    people = make_desk(session)
    session.commit()
    adam, lena = Principal.of(people.adam), Principal.of(people.lena)
    with zendesk_desk(tickets=2, articles=0) as desk:
        zd = desk.state
        requester = next(u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"])
        made = zd.add_ticket(subject="Teams has no sound", body="Since the update.", requester_id=requester)
        synced = SyncedDesk(engine, desk.connector(), tmp_path)
        synced.sync()
        ticket_id = linked_ticket(session, "zendesk", made).id
        switches.set_mode(session, actor=adam, capability=Capability.ITSM_WRITE_BACK, new_mode=AiMode.SHADOW,
                          scope="channel:zendesk", reason="cut-over rehearsal")
        tickets.update(session, actor=lena, ticket_id=ticket_id, data=TicketUpdate(priority=Priority.P2))
        tickets.add_message(session, actor=lena, ticket_id=ticket_id,
                            data=MessageCreate(body="Which headset?", kind=MessageKind.PUBLIC_REPLY))
        session.commit()
        zd.add_comment(made, body="A Jabra one.", public=True, author_id=requester)
        held = synced.sync()
        untouched = (zd.tickets[made]["priority"], [c["body"] for c in zd.comments[made]])
        switches.set_mode(session, actor=adam, capability=Capability.ITSM_WRITE_BACK, new_mode=AiMode.AUTO,
                          scope="channel:zendesk", reason="cut-over")
        session.commit()
        released = synced.sync()

    assert (held.held, held.comments_in, held.to_itsm, held.comments_out) == (3, 1, 0, 0), (
        "priority, status (the reply opened the ticket) and the reply wait; the ITSM's comment comes in")
    assert untouched == (None, ["Since the update.", "A Jabra one."]), "nothing was written to Zendesk"
    assert (released.to_itsm, released.comments_out, released.held) == (2, 1, 0)
    assert (zd.tickets[made]["priority"], zd.tickets[made]["status"]) == ("high", "open")
    assert [c["body"] for c in zd.comments[made]][-1] == "Which headset?"
