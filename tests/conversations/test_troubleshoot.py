"""Troubleshooting like a good colleague, on both databases, over the demo VPN articles: the device question,
a typed error sent to the step that covers it, steps the requester already did skipped, a ticket offered after
three failed steps (and opened only on yes), and a ticket whose summary an agent can act on."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.retrieval import ArticleHit, Evidence, SearchResult
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind
from deskpilot.conversations import flow, troubleshoot
from deskpilot.conversations.handoff import HandoffReason
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import ConversationState
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from tests.conversations.conftest import assistant_over, converse
from tests.factories import Desk, open_ticket
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState
VPN_ARTICLES = ("vpn-connect-windows", "vpn-connect-macos", "vpn-mobile-devices", "vpn-error-codes", "printer-add",
                "password-reset-self-service")
CLIENT = {"os": "Windows 10/11", "browser": "Chrome 120", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}


@pytest.fixture
def vpn_desk(session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> flow.Assistant:  # noqa: F811
    """The session's assistant over the demo's VPN articles for Windows, macOS and phones, and the error codes."""
    del desk, sla_24x7
    return assistant_over(session, ai_runtime, VPN_ARTICLES)


def _chat(session: Session, desk: Desk, assistant: flow.Assistant, *lines: str) -> Conversation:
    return converse(session, desk, assistant, *lines, client=CLIENT)


def _last(conversation: Conversation) -> str:
    return conversation.messages[-1].body


def test_the_assistant_asks_which_device_and_walks_the_macos_article_skipping_what_was_done(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "My VPN won't connect")
    assert conversation.state is S.CLARIFYING and conversation.ticket_id is None
    assert "Which device" in _last(conversation)
    assert all(option in _last(conversation) for option in ("Windows", "macOS", "Phone or tablet"))
    assert "Step" not in _last(conversation)
    # The question cites the articles it chooses between (so the record says which ones).
    assert {"vpn-connect-windows", "vpn-connect-macos"} <= {c["slug"] for c in conversation.messages[-1].citations}

    _chat_more(session, desk, vpn_desk, conversation, "It's a MacBook, and I already checked that GlobalProtect is "
                                                      "installed")
    assert conversation.state is S.TROUBLESHOOTING
    assert conversation.facts["requester_said"]["device"] == "macOS"
    walk = conversation.troubleshooting
    assert walk["slug"] == "vpn-connect-macos" and walk["current"] == 2
    assert [(s["number"], s["slug"]) for s in walk["skipped"]] == [(1, "vpn-connect-macos")]
    assert "skipped step 1" in _last(conversation) and "Step 2 of 7" in _last(conversation)
    assert conversation.messages[-1].citations[0]["slug"] == "vpn-connect-macos"


def test_no_device_question_when_the_search_is_sure_of_an_article_for_every_device(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    """The error article applies on every device: the per-device articles ranked behind it change nothing."""
    conversation = _chat(session, desk, vpn_desk,
                         "Which GlobalProtect VPN error messages are there and how do I fix them?")
    assert conversation.state is S.AWAITING_CONFIRMATION
    assert [c["slug"] for c in conversation.messages[-1].citations] == ["vpn-error-codes"]
    assert "Which device" not in _last(conversation)


def test_a_device_the_requester_volunteers_is_not_asked_again(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "My VPN won't connect on my Mac")
    assert conversation.state is not S.CLARIFYING
    assert conversation.facts["requester_said"]["device"] == "macOS"
    cited = conversation.messages[-1].citations or conversation.messages[-2].citations
    assert cited[0]["slug"] == "vpn-connect-macos"


def test_a_typed_error_goes_to_the_error_code_step_and_a_new_error_is_read_not_counted(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "Gateway Berlin: Authentication failed")
    walk = conversation.troubleshooting
    assert conversation.state is S.TROUBLESHOOTING
    assert (walk["slug"], walk["current"]) == ("vpn-error-codes", 1)
    assert "\u201cAuthentication failed\u201d is covered by" in _last(conversation)

    _chat_more(session, desk, vpn_desk, conversation, 'still not working, now it says "Portal address not valid"')
    walk = conversation.troubleshooting
    assert (walk["slug"], walk["current"]) == ("vpn-error-codes", 5)
    assert conversation.facts["requester_said"]["errors"] == ["Authentication failed", "Portal address not valid"]
    assert [t["result"] for t in walk["tried"]] == ['still not working, now it says "Portal address not valid"']


def test_after_three_failed_steps_a_ticket_is_offered_and_continue_walks_on(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "My VPN won't connect", "Windows", "no", "still not working",
                         "that did not help either")
    assert conversation.state is S.OFFERING_TICKET and conversation.ticket_id is None
    assert "tried 3 steps" in _last(conversation) and "Shall I open a ticket" in _last(conversation)

    _chat_more(session, desk, vpn_desk, conversation, "Continue with the next step")
    assert conversation.state is S.TROUBLESHOOTING and conversation.troubleshooting["current"] == 4
    _chat_more(session, desk, vpn_desk, conversation, "talk to a human")
    assert conversation.state is S.WAITING_FOR_HUMAN and conversation.ticket_id is not None


def test_no_to_the_ticket_offer_opens_nothing(session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "Jira shows error 500 when I open the sprint board")
    assert conversation.state is S.OFFERING_TICKET and conversation.ticket_id is None
    _chat_more(session, desk, vpn_desk, conversation, "no")
    assert conversation.state is S.ASSISTANT_ANSWERING and conversation.ticket_id is None
    assert session.scalar(select(Ticket).where(Ticket.requester_id == desk.alice.id)) is None


def test_a_status_question_instead_of_an_answer_to_the_offer_gets_the_status_not_a_new_ticket(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    earlier = open_ticket(session, desk, desk.alice, subject="Jira sprint board broken")
    conversation = _chat(session, desk, vpn_desk, "Jira shows error 500 when I open the sprint board")
    assert conversation.state is S.OFFERING_TICKET
    _chat_more(session, desk, vpn_desk, conversation, f"oh wait, I already opened a ticket for that, DP-{earlier.id}. "
                                                      "Where is it at?")
    assert conversation.ticket_id is None and conversation.facts["status_ticket_ids"] == [earlier.id]
    assert f"DP-{earlier.id}" in _last(conversation)
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_please_open_a_ticket_mid_walk_opens_one_at_once(session: Session, desk: Desk,
                                                          vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "My VPN won't connect")
    assert conversation.state is S.CLARIFYING
    _chat_more(session, desk, vpn_desk, conversation, "no luck, please open a ticket for me")
    assert conversation.state is S.TICKET_CREATED and conversation.ticket_id is not None


def test_the_ticket_carries_cause_fix_diagnostics_and_cited_steps(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _chat(session, desk, vpn_desk, "My VPN won't connect", "macOS",
                         "Gateway Berlin: Authentication failed", "no", "yes")
    assert conversation.state is S.TICKET_CREATED
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None
    text = ticket.description
    assert "Device (requester said): macOS" in text
    assert "Error shown (requester typed): \u201cAuthentication failed\u201d" in text
    assert "[vpn-connect-macos v1, step 1] → result: \u201cGateway Berlin: Authentication failed\u201d" in text
    assert "[vpn-error-codes v1, step 1] → result: \u201cno\u201d" in text
    assert "Probable cause [vpn-error-codes v1]: Most failures are caused by an expired password" in text
    assert "Suggested next step [vpn-error-codes v1]: Collect the logs" in text
    assert "Client: Windows 10/11 / Chrome 120" in text
    note = session.scalar(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id,
                                                      TicketMessage.kind == MessageKind.INTERNAL_NOTE))
    assert note is not None and "Probable cause [vpn-error-codes v1]" in note.body
    summary = next(d for d in decisions.for_subject(session, subject_type="conversation", subject_id=conversation.id)
                   if d.kind is DecisionKind.SUMMARY)
    assert summary.outputs["reason_code"] == HandoffReason.STEPS_EXHAUSTED.value
    assert summary.outputs["steps_tried"] == 2


def _chat_more(session: Session, desk: Desk, assistant: flow.Assistant, conversation: Conversation,
               line: str) -> None:
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body=line,
              assistant=assistant)


def _weak_search(named: float) -> SearchResult:
    article = KbDocument(slug="teams-meeting-rooms", version=1, title="Meeting rooms",
                         text="## Steps\n\n1. Plug the cable in.\n2. Press Share.\n")
    return SearchResult([ArticleHit(article, 11.0, (), named=named)], 0.13, np.zeros(3, dtype=np.float32),
                        Evidence(cosine=0.25, coverage=0.7, floor=0.53))


def test_an_article_named_by_the_questions_rare_title_words_has_its_steps_tried_despite_a_low_cosine() -> None:
    assert troubleshoot.best_article_with_steps(_weak_search(named=1.9), 0.5) == "teams-meeting-rooms"
    assert troubleshoot.best_article_with_steps(_weak_search(named=0.8), 0.5) is None
