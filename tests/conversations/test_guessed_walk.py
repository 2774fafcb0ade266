"""Mid-steps of an article the assistant only guessed, the requester's next message may say what the problem
really is: when the KB answers that message on its own with an answer's confidence, the walk is left for the
answer. A walk the requester chose after an answer that did not help goes on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import flow
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import ConversationState
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import CHAT_ARTICLES, assistant_over
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState


def _start(session: Session, desk: Desk, assistant: flow.Assistant, *bodies: str) -> Conversation:
    alice = Principal.of(desk.alice)
    conversation, _ = flow.start(session, actor=alice, assistant=assistant, body=bodies[0])
    for body in bodies[1:]:
        flow.post(session, actor=alice, conversation_id=conversation.id, body=body, assistant=assistant)
    return conversation


def _cited(turn: flow.Turn) -> set[str]:
    return {c["slug"] for m in turn.replies for c in m.citations}


def test_a_guessed_walk_is_left_when_the_next_message_says_what_the_problem_is(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant = assistant_over(session, ai_runtime, (*CHAT_ARTICLES, "laptop-replacement", "purchase-order-receipt",
                                                     "software-licence-request"))
    conversation = _start(session, desk, assistant, "my laptop")
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.troubleshooting["slug"] == "laptop-replacement"
    assert conversation.facts.get("answer_slug") is None  # the walk is a guess, not an answer
    told = ("The courier brought it to my home instead of the IT bar and a purchase order e-mail asks me to confirm "
            "receipt")
    turn = flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body=told,
                     assistant=assistant)
    assert _cited(turn) == {"purchase-order-receipt"}
    assert conversation.state is S.AWAITING_CONFIRMATION


def test_the_walk_of_an_answer_that_did_not_help_goes_on_with_the_next_step(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant = assistant_over(session, ai_runtime, ("vpn-connect-windows", "out-of-office"))
    conversation = _start(session, desk, assistant, "My VPN does not connect from home", "no")
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.troubleshooting["slug"] == conversation.facts["answer_slug"] == "vpn-connect-windows"
    turn = flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
                     body="I set up automatic replies for my holiday earlier, then the VPN dropped",
                     assistant=assistant)
    assert _cited(turn) == {"vpn-connect-windows"} and conversation.state is S.TROUBLESHOOTING
