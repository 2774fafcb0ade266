"""The chat flow on both databases with a small approved KB: deflection, troubleshooting, tickets with context,
hand-off and hand-back, idempotent retries, access rules and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow, service
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationState
from deskpilot.demo import KB_DIR
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.runtime import build_runtime, chat_assistant
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from tests.conversations.conftest import load_chat_kb
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState
VPN_QUESTION = "How do I connect to the company VPN on Windows?"
PROBLEM = "My VPN does not connect from home"
UNANSWERED = "Jira shows error 500 when I open the sprint board"
CLIENT = {"os": "Windows 10/11", "browser": "Chrome 120", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}


def _start(session: Session, desk: Desk, assistant: flow.Assistant, body: str) -> Conversation:
    conversation, _turn = flow.start(session, actor=Principal.of(desk.alice), assistant=assistant, body=body,
                                     client=CLIENT)
    return conversation


def _say(session: Session, desk: Desk, assistant: flow.Assistant, conversation: Conversation, body: str,
         key: str | None = None) -> flow.Turn:
    return flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body=body,
                     assistant=assistant, idempotency_key=key)


def _walk_steps_until_offer(session: Session, desk: Desk, assistant: flow.Assistant,
                            conversation: Conversation) -> int:
    for failed in range(20):
        if conversation.state is S.OFFERING_TICKET:
            return failed
        _say(session, desk, assistant, conversation, "Still not working")
    pytest.fail("the steps never ended in a ticket offer")


def test_vpn_question_is_answered_with_sources_and_yes_is_a_recorded_deflection(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, VPN_QUESTION)
    assert conversation.state is S.AWAITING_CONFIRMATION
    answer = conversation.messages[-1]
    assert answer.author_kind is Author.ASSISTANT and answer.ai_assisted
    assert answer.body.endswith(flow.CONFIRM)
    assert answer.citations and answer.citations[0]["slug"].startswith("vpn-")
    assert f"[{answer.citations[0]['slug']} v1]" in answer.body
    assert conversation.messages[0].body == service.SCOPE_STATEMENT
    recorded = decisions.for_subject(session, subject_type="conversation", subject_id=conversation.id)
    assert {d.kind for d in recorded} == {DecisionKind.TRIAGE, DecisionKind.ANSWER}

    _say(session, desk, assistant, conversation, "yes, thanks")
    assert conversation.state is S.RESOLVED and conversation.resolution is Resolution.SELF_SERVICE
    assert conversation.ticket_id is None
    feedback = decisions.get(session, decision_id=answer.decision_id or 0).feedback
    assert [(f.field, f.action) for f in feedback] == [("deflection", FeedbackAction.ACCEPTED)]
    assert "How did we do?" in conversation.messages[-1].body

    service.rate(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, score=5, comment="quick")
    assert (conversation.csat_score, conversation.csat_comment) == (5, "quick")
    with pytest.raises(Conflict, match="rated already"):
        service.rate(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, score=1)


def test_when_the_answer_s_own_steps_solve_it_the_deflection_is_recorded_too(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, VPN_QUESTION)
    answer = conversation.messages[-1]
    _say(session, desk, assistant, conversation, "no")
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.troubleshooting["slug"] == answer.citations[0]["slug"]
    _say(session, desk, assistant, conversation, "yes, that fixed it")
    assert conversation.state is S.RESOLVED and conversation.resolution is Resolution.SELF_SERVICE
    feedback = decisions.get(session, decision_id=answer.decision_id or 0).feedback
    assert [(f.field, f.action, f.final_value) for f in feedback] == [
        ("deflection", FeedbackAction.ACCEPTED, "resolved by the article's steps")]


def test_no_loops_after_resolution_the_assistant_says_nothing_more(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, VPN_QUESTION)
    _say(session, desk, assistant, conversation, "yes")
    count = len(conversation.messages)
    with pytest.raises(Conflict, match="has ended"):
        _say(session, desk, assistant, conversation, "yes")
    with pytest.raises(Conflict):
        flow.hand_off(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, assistant=assistant)
    assert len(conversation.messages) == count


def test_a_problem_that_survives_the_steps_becomes_a_ticket_with_the_full_context(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, PROBLEM)
    if conversation.state is S.AWAITING_CONFIRMATION:
        _say(session, desk, assistant, conversation, "no")
    assert conversation.state is S.TROUBLESHOOTING
    first_step = conversation.messages[-1]
    assert "Step 1 of " in first_step.body and first_step.citations
    failed = _walk_steps_until_offer(session, desk, assistant, conversation)
    assert failed == assistant.settings.troubleshoot_offer_after
    assert conversation.ticket_id is None
    _say(session, desk, assistant, conversation, "Yes, open a ticket")

    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None and ticket.channel is Channel.CHAT and ticket.requester_id == desk.alice.id
    walk = conversation.troubleshooting
    assert "AI summary (AI-assisted" in ticket.description and PROBLEM in ticket.description
    assert f"Steps already tried ({assistant.settings.troubleshoot_offer_after})" in ticket.description
    assert f"[{walk['slug']} v{walk['version']}, step 1] → result: “Still not working”" in ticket.description
    assert "Client: Windows 10/11 / Chrome 120" in ticket.description
    assert "Transcript:" in ticket.description and "Requester: " + PROBLEM in ticket.description
    note = session.scalar(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id,
                                                      TicketMessage.kind == MessageKind.INTERNAL_NOTE))
    assert note is not None and note.ai_assisted
    assert "Suggested SLA: P" in note.body and "priority P" in note.body and "queue Service Desk L1" in note.body
    told = conversation.messages[-1]
    assert told.author_kind is Author.SYSTEM and f"DP-{ticket.id}" in told.body
    assert "You can expect a first reply by" in told.body
    kinds = {d.kind for d in decisions.for_subject(session, subject_type="conversation", subject_id=conversation.id)}
    assert DecisionKind.SUMMARY in kinds


def test_talk_to_a_human_mid_troubleshooting_keeps_every_message_for_the_agent(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, PROBLEM)
    _say(session, desk, assistant, conversation, "no")
    _say(session, desk, assistant, conversation, "talk to a human please")
    assert conversation.state is S.WAITING_FOR_HUMAN and conversation.ticket_id is not None
    assert "You asked for a person" in conversation.messages[-1].body

    # Known bug: messages written while waiting for the agent are lost. Here they stay, and reach the ticket.
    turn = _say(session, desk, assistant, conversation, "I am at home, error code 'Gateway Berlin'")
    assert turn.replies == []
    mirrored = session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == conversation.ticket_id))
    assert "I am at home, error code 'Gateway Berlin'" in list(mirrored)

    carol = Principal.of(desk.carol)
    assert conversation in service.get_all(session, actor=carol, states=service.WAITING)
    service.join(session, actor=carol, conversation_id=conversation.id)
    assert conversation.state is S.WITH_HUMAN and conversation.owner_agent_id == desk.carol.id
    assert session.get(Ticket, conversation.ticket_id).assignee_id == desk.carol.id  # type: ignore[union-attr]

    # Known bug: the bot talks over the agent. Here the requester's words go to the agent only.
    assert _say(session, desk, assistant, conversation, "How do I add a printer?").replies == []
    reply = flow.post(session, actor=carol, conversation_id=conversation.id, body="Let me look at the gateway.",
                      assistant=assistant)
    assert reply.message.author_kind is Author.AGENT and not reply.message.ai_assisted

    service.hand_back(session, actor=carol, conversation_id=conversation.id)
    assert conversation.state is S.ASSISTANT_ANSWERING and conversation.owner_agent_id is None
    resumed = _say(session, desk, assistant, conversation, "How do I add a printer?")
    assert resumed.replies and resumed.replies[0].author_kind is Author.ASSISTANT


def test_a_second_agent_cannot_take_over_and_other_queues_do_not_see_it(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, PROBLEM)
    flow.hand_off(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, assistant=assistant)
    service.join(session, actor=Principal.of(desk.carol), conversation_id=conversation.id)
    with pytest.raises(Conflict, match="exactly one person"):
        service.join(session, actor=Principal.of(desk.lena), conversation_id=conversation.id)
    with pytest.raises(NotFound):
        service.join(session, actor=Principal.of(desk.dave), conversation_id=conversation.id)
    with pytest.raises(NotFound):
        service.get(session, actor=Principal.of(desk.bob), conversation_id=conversation.id)
    with pytest.raises(Conflict, match="Only the agent who owns"):
        service.hand_back(session, actor=Principal.of(desk.lena), conversation_id=conversation.id)


def test_a_retried_post_with_the_same_key_is_stored_once(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, VPN_QUESTION)
    first = _say(session, desk, assistant, conversation, "no", key="k-1")
    again = _say(session, desk, assistant, conversation, "no", key="k-1")
    assert again.replayed and again.message.id == first.message.id
    assert [r.id for r in again.replies] == [r.id for r in first.replies]
    stored = session.scalars(select(ConversationMessage).where(ConversationMessage.conversation_id == conversation.id,
                                                               ConversationMessage.author_kind == Author.REQUESTER))
    assert [m.body for m in stored] == [VPN_QUESTION, "no"]


@pytest.mark.parametrize(("body", "problem"), [("   ", "Write a message"), ("x" * 100_000, "too long"),
                                               ("a\x00b", "NUL")])
def test_bad_messages_are_refused_with_a_reason(session: Session, desk: Desk, assistant: flow.Assistant,
                                                body: str, problem: str) -> None:
    conversation = _start(session, desk, assistant, VPN_QUESTION)
    with pytest.raises(InvalidInput, match=problem):
        _say(session, desk, assistant, conversation, body)


def test_html_is_stored_as_text_and_an_unknown_conversation_is_not_found(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _start(session, desk, assistant, "<script>alert(1)</script> my printer is broken")
    assert conversation.messages[1].body == "<script>alert(1)</script> my printer is broken"
    with pytest.raises(NotFound):
        _say(session, desk, assistant, Conversation(id=999_999), "hello")


def test_on_the_whole_demo_kb_a_clear_topic_gets_steps_and_an_unknown_one_a_ticket(
        session: Session, desk: Desk, tmp_path: Path, sla_24x7: None) -> None:  # noqa: F811
    """Several VPN articles compete, so the answer's confidence is low; the question is still on topic. An IT
    question no article answers becomes a ticket; a kitchen question is out of scope and opens nothing."""
    del sla_24x7
    load_chat_kb(session, tuple(p.stem for p in KB_DIR.glob("*.md")))
    session.commit()
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "var")
    assistant = chat_assistant(build_runtime(settings), session)
    vpn = _start(session, desk, assistant, PROBLEM)
    assert vpn.state in (S.AWAITING_CONFIRMATION, S.CLARIFYING, S.TROUBLESHOOTING)
    assert vpn.ticket_id is None
    unknown = _start(session, desk, assistant, UNANSWERED)
    assert unknown.state is S.OFFERING_TICKET and unknown.ticket_id is None
    _say(session, desk, assistant, unknown, "yes")
    assert unknown.state is S.TICKET_CREATED and unknown.ticket_id is not None
    coffee = _start(session, desk, assistant, "How do I descale the coffee machine in the kitchen?")
    assert coffee.state is S.ASSISTANT_ANSWERING and coffee.ticket_id is None
    assert coffee.facts["intent"] == "out_of_scope"
