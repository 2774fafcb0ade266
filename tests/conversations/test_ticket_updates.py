"""An agent's reply and status changes on a chat's ticket reach the chat, over the real API on both databases:
told once, and a reply the agent wrote in the chat itself is not repeated; once the requester has left the
chat, replies go out by e-mail through the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.email import outbound
from deskpilot.channels.email.models import OutboundMail
from deskpilot.conversations import flow, service
from deskpilot.runtime import AiRuntime
from deskpilot.tickets import service as tickets
from deskpilot.tickets.schemas import MessageCreate
from tests.api.conftest import Clients, clients  # noqa: F401 - fixture of the tests in this file
from tests.conversations.conftest import assistant_over, load_chat_kb
from tests.factories import Desk
from tests.live_server import live_server  # noqa: F401 - fixture of the tests in this file


def test_an_agent_reply_and_the_resolution_on_the_ticket_appear_in_the_linked_chat_once(
        clients: Clients, session: Session, desk: Desk, sla_24x7: None) -> None:  # noqa: F811
    del desk, sla_24x7
    load_chat_kb(session)
    session.commit()
    alice, carol = clients["alice"], clients["carol"]
    conversation = alice.post("/api/v1/conversations", json={"message": "talk to a human"}).json()
    path = f"/api/v1/conversations/{conversation['id']}"
    ticket_id = alice.get(path).json()["ticket_id"]
    assert ticket_id is not None

    assert carol.post(f"{path}/messages", json={"body": "Hi Alice, which office are you in?"}).status_code == 201
    reply = carol.post(f"/api/v1/tickets/{ticket_id}/messages",
                       json={"body": "The Berlin gateway was restarted, please try again.", "kind": "public_reply"})
    assert reply.status_code == 201
    carol.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "gateway log checked", "kind": "internal_note"})
    assert carol.post(f"/api/v1/tickets/{ticket_id}/resolve").status_code == 200

    bodies = [m["body"] for m in alice.get(path).json()["messages"]]
    told = [b for b in bodies if f"DP-{ticket_id}" in b and "replied" in b]
    assert len(told) == 1 and told[0].endswith(f"from the service desk replied on DP-{ticket_id}: The Berlin gateway "
                                               "was restarted, please try again.")
    assert bodies.count("Hi Alice, which office are you in?") == 1
    assert not any("gateway log checked" in b for b in bodies)
    assert sum(f"DP-{ticket_id} has been resolved" in b for b in bodies) == 1


def test_replies_after_the_requester_left_the_chat_are_e_mailed_once(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    alice, carol = Principal.of(desk.alice), Principal.of(desk.carol)
    assistant = assistant_over(session, ai_runtime)
    conversation, _turn = flow.start(session, actor=alice, assistant=assistant, body="talk to a human")
    ticket_id = conversation.ticket_id
    assert ticket_id is not None

    tickets.add_message(session, actor=carol, ticket_id=ticket_id, data=MessageCreate(body="Looking at it now."))
    assert outbound.queue_pending_replies(session, settings=ai_runtime.settings) == 0  # she is still in the chat
    service.close(session, actor=alice, conversation_id=conversation.id)
    tickets.add_message(session, actor=carol, ticket_id=ticket_id, data=MessageCreate(body="Fixed: try again."))
    assert outbound.queue_pending_replies(session, settings=ai_runtime.settings) == 1
    assert outbound.queue_pending_replies(session, settings=ai_runtime.settings) == 0
    mail = session.scalars(select(OutboundMail)).one()
    assert (mail.to_address, mail.body, mail.ticket_id) == (desk.alice.email, "Fixed: try again.", ticket_id)
