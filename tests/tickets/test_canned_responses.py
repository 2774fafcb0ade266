"""Canned responses on a real database: managed by leads and admins (validated, audited), offered per queue,
filled in for a ticket by plain substitution."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from deskpilot.tickets import canned
from deskpilot.tickets.canned_schemas import CannedResponseWrite
from tests.factories import make_desk, open_ticket

GREETING = ("Hello {{requester.first_name}},\n\nabout {{ ticket.ref }} ({{ticket.subject}}): {{queue.name}}.\n"
            "{{agent.name}}")


def test_a_response_is_filled_in_for_the_ticket_and_values_are_never_expanded(session: Session) -> None:
    desk = make_desk(session)
    desk.alice.full_name = "Alice {{ticket.ref}} Liddell"
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Mailbox full")
    response = canned.create(session, actor=Principal.of(desk.lena), data=CannedResponseWrite(
        title="Greeting", body=GREETING))
    text = canned.fill(session, actor=Principal.of(desk.carol), response_id=response.id, ticket_id=ticket.id)
    assert text == f"Hello Alice,\n\nabout DP-{ticket.id} (Mailbox full): Service Desk L1.\nCarol"
    desk.alice.full_name = "{{ticket.ref}}"
    again = canned.fill(session, actor=Principal.of(desk.carol), response_id=response.id, ticket_id=ticket.id)
    assert again.startswith("Hello {{ticket.ref}},")


def test_responses_are_offered_per_queue_and_another_queues_one_is_refused(session: Session) -> None:
    desk = make_desk(session)
    lena = Principal.of(desk.lena)
    everywhere = canned.create(session, actor=lena, data=CannedResponseWrite(title="Thanks", body="Thanks!"))
    network = canned.create(session, actor=lena, data=CannedResponseWrite(
        title="VPN steps", body="Reconnect the VPN.", queue_id=desk.network.id))
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol = Principal.of(desk.carol)
    assert [r.id for r in canned.for_ticket(session, actor=carol, ticket=ticket)] == [everywhere.id]
    assert [r.id for r in canned.get_all(session, actor=carol, queue_id=desk.network.id)] == [everywhere.id,
                                                                                              network.id]
    with pytest.raises(InvalidInput, match="another queue"):
        canned.fill(session, actor=carol, response_id=network.id, ticket_id=ticket.id)


def test_create_update_delete_are_validated_and_audited(session: Session) -> None:
    desk = make_desk(session)
    adam = Principal.of(desk.adam)
    response = canned.create(session, actor=adam, data=CannedResponseWrite(title="Reset", body="Use the portal."))
    with pytest.raises(InvalidInput, match=r"Unknown placeholder \{\{requester.nme\}\}"):
        canned.create(session, actor=adam, data=CannedResponseWrite(title="Typo", body="Hi {{requester.nme}}"))
    with pytest.raises(Conflict):
        canned.create(session, actor=adam, data=CannedResponseWrite(title="Reset", body="Again"))
    with pytest.raises(InvalidInput, match="No queue"):
        canned.create(session, actor=adam, data=CannedResponseWrite(title="Lost", body="x", queue_id=999_999))
    canned.update(session, actor=adam, response_id=response.id, data=CannedResponseWrite(
        title="Reset password", body="Use the portal, {{requester.name}}.", queue_id=desk.service_desk.id))
    assert (response.title, response.queue_id) == ("Reset password", desk.service_desk.id)
    canned.delete(session, actor=adam, response_id=response.id)
    with pytest.raises(NotFound):
        canned.get(session, actor=adam, response_id=response.id)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "canned_response")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["canned_response.create", "canned_response.update", "canned_response.delete"]


def test_agents_use_but_do_not_manage_and_requesters_do_neither(session: Session) -> None:
    desk = make_desk(session)
    response = canned.create(session, actor=Principal.of(desk.lena), data=CannedResponseWrite(title="T", body="B"))
    ticket = open_ticket(session, desk, desk.alice, queue=desk.network)
    data = CannedResponseWrite(title="Mine", body="B")
    for who in (desk.carol, desk.audrey, desk.alice):
        with pytest.raises(PermissionDenied):
            canned.create(session, actor=Principal.of(who), data=data)
    with pytest.raises(PermissionDenied):
        canned.get_all(session, actor=Principal.of(desk.alice))
    assert canned.get_all(session, actor=Principal.of(desk.audrey)) == [response]
    with pytest.raises(NotFound):  # carol's team does not work the Network queue
        canned.fill(session, actor=Principal.of(desk.carol), response_id=response.id, ticket_id=ticket.id)
    with pytest.raises(PermissionDenied):  # an auditor reads every ticket but replies to none
        canned.fill(session, actor=Principal.of(desk.audrey), response_id=response.id, ticket_id=ticket.id)
