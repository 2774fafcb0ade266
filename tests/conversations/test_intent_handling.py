"""Each intent gets its handling in the chat, on both databases: small talk and out-of-scope requests open
nothing, a request for a person hands off at once, a status question lists only the asker's own tickets, and
a ticket is opened on request only after the requester said what is wrong."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import flow, status
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, ConversationState
from deskpilot.errors import RateLimited
from deskpilot.runtime import AiRuntime, chat_assistant
from deskpilot.tickets import requester_limits
from deskpilot.tickets.models import Ticket
from tests.conversations.conftest import assistant_over
from tests.factories import Desk, open_ticket
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState


@pytest.fixture
def assistant(session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> flow.Assistant:  # noqa: F811
    """The session's runtime over an empty KB: none of these handlings may reach the KB."""
    del desk, sla_24x7
    return chat_assistant(ai_runtime, session)


def _chat(session: Session, desk: Desk, assistant: flow.Assistant, *bodies: str) -> Conversation:
    alice = Principal.of(desk.alice)
    conversation, _ = flow.start(session, actor=alice, assistant=assistant, body=bodies[0])
    for body in bodies[1:]:
        flow.post(session, actor=alice, conversation_id=conversation.id, body=body, assistant=assistant)
    session.commit()
    return conversation


def _tickets(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def _last_reply(conversation: Conversation) -> str:
    return [m for m in conversation.messages if m.author_kind is not Author.REQUESTER][-1].body


@pytest.mark.parametrize(("body", "intent"), [("hi", "greeting"), ("thanks!", "thanks"),
                                               ("are you a bot?", "bot_question"), ("help", "capabilities"),
                                               ("am I chatting with a real person right now?", "bot_question")])
def test_small_talk_gets_a_brief_answer_no_article_and_no_ticket(session: Session, desk: Desk,
                                                                 assistant: flow.Assistant, body: str,
                                                                 intent: str) -> None:
    conversation = _chat(session, desk, assistant, body)
    assert conversation.facts["intent"] == intent and conversation.facts["intent_confidence"] > 0.5
    assert conversation.state is S.ASSISTANT_ANSWERING and conversation.ticket_id is None
    assert _tickets(session) == 0
    assert all(not m.citations for m in conversation.messages)


@pytest.mark.parametrize(("body", "intent", "reply"), [
    ("Vielen Dank für die schnelle Hilfe!", "thanks", "Gern geschehen"),
    ("Merci beaucoup pour votre aide !", "thanks", "Avec plaisir"),
    ("非常谢谢你", "thanks", "不客气"),
])
def test_small_talk_is_answered_in_the_requesters_language(session: Session, desk: Desk, assistant: flow.Assistant,
                                                           body: str, intent: str, reply: str) -> None:
    conversation = _chat(session, desk, assistant, body)
    assert conversation.facts["intent"] == intent
    assert _last_reply(conversation).startswith(reply) and _tickets(session) == 0


def test_out_of_scope_says_so_offers_a_person_and_opens_nothing(session: Session, desk: Desk,
                                                               assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "book a meeting room in the new building")
    assert conversation.facts["intent"] == "out_of_scope"
    assert "outside what the IT service desk handles" in _last_reply(conversation)
    assert "talk to a human" in _last_reply(conversation)
    assert conversation.state is S.ASSISTANT_ANSWERING and _tickets(session) == 0


@pytest.mark.parametrize("body", ["real agent please", "give me a person please", "I want a human"])
def test_a_request_for_a_person_hands_off_at_once(session: Session, desk: Desk, assistant: flow.Assistant,
                                                  body: str) -> None:
    conversation = _chat(session, desk, assistant, body)
    assert conversation.state is S.WAITING_FOR_HUMAN and conversation.ticket_id is not None
    assert f"DP-{conversation.ticket_id}" in _last_reply(conversation)


def test_a_request_for_a_person_instead_of_the_ticket_s_description_hands_off(session: Session, desk: Desk,
                                                              assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "I need to open an incident", "give me a person please")
    assert conversation.state is S.WAITING_FOR_HUMAN


def test_a_status_question_lists_only_the_asker_s_own_tickets(session: Session, desk: Desk,
                                                              assistant: flow.Assistant) -> None:
    mine = open_ticket(session, desk, desk.alice, subject="Laptop screen flickers")
    mine.assignee_id = desk.carol.id
    theirs = open_ticket(session, desk, desk.bob, subject="Bob's secret project")
    session.commit()
    conversation = _chat(session, desk, assistant, "what's the status of my incident?")
    reply = _last_reply(conversation)
    assert conversation.facts["intent"] == "ticket_status"
    assert conversation.facts["status_ticket_ids"] == [mine.id]
    assert f"DP-{mine.id}" in reply and "Laptop screen flickers" in reply and desk.carol.full_name in reply
    assert f"DP-{theirs.id}" not in reply and "secret" not in reply
    assert conversation.ticket_id is None and _tickets(session) == 2


def test_a_named_ticket_of_someone_else_is_not_shown(session: Session, desk: Desk,
                                                     assistant: flow.Assistant) -> None:
    theirs = open_ticket(session, desk, desk.bob, subject="Bob's secret project")
    session.commit()
    conversation = _chat(session, desk, assistant, f"any update on DP-{theirs.id}?")
    assert f"cannot find DP-{theirs.id}" in _last_reply(conversation)
    assert "secret" not in _last_reply(conversation) and conversation.facts["status_ticket_ids"] == []


def test_a_problem_report_naming_the_asker_s_ticket_gets_that_ticket_s_status(session: Session, desk: Desk,
                                                                            assistant: flow.Assistant) -> None:
    mine = open_ticket(session, desk, desk.alice, subject="Outlook crashes on start")
    session.commit()
    conversation = _chat(session, desk, assistant, f"DP-{mine.id} - is ANYONE working on this??? It's been three "
                                                   "days and Outlook still crashes every time I open it.")
    assert conversation.facts["intent"] == "ticket_status"
    assert conversation.facts["status_ticket_ids"] == [mine.id] and f"DP-{mine.id}" in _last_reply(conversation)
    assert conversation.ticket_id is None and _tickets(session) == 1


def test_a_ticket_s_description_that_names_an_earlier_ticket_opens_the_new_one(session: Session, desk: Desk,
                                                                             assistant: flow.Assistant) -> None:
    earlier = open_ticket(session, desk, desk.alice, subject="Label printer prints garbage")
    session.commit()
    conversation = _chat(session, desk, assistant, "I need to open an incident",
                         f"The same as DP-{earlier.id}: the label printer in the warehouse prints garbage again")
    assert conversation.state is S.TICKET_CREATED and conversation.ticket_id not in (None, earlier.id)
    assert _tickets(session) == 2


def test_a_question_about_a_ticket_then_its_number_gets_its_status(session: Session, desk: Desk,
                                                                  assistant: flow.Assistant) -> None:
    mine = open_ticket(session, desk, desk.alice, subject="Okta Verify reset")
    session.commit()
    conversation = _chat(session, desk, assistant, "I have a question about a ticket",
                         f"it's DP-{mine.id}, the one about Okta")
    assert conversation.facts["status_ticket_ids"] == [mine.id] and f"DP-{mine.id}" in _last_reply(conversation)
    assert conversation.ticket_id is None and _tickets(session) == 1


def test_a_number_that_names_no_ticket_of_the_asker_s_leaves_the_question_as_read(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    theirs = open_ticket(session, desk, desk.bob, subject="Bob's secret project")
    session.commit()
    conversation = _chat(session, desk, assistant, f"the printer #{theirs.id} on floor 3 jams every page")
    assert conversation.facts["intent"] != "ticket_status" and "status_ticket_ids" not in conversation.facts


def test_a_status_question_naming_an_open_ticket_by_its_subject_gets_its_status(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    mine = open_ticket(session, desk, desk.alice, subject="New project code for the Contoso rollout")
    open_ticket(session, desk, desk.alice, subject="Docking station does not charge the laptop")
    session.commit()
    alice = Principal.of(desk.alice)
    text = "Checking in on my project code request, has App Support created it yet?"
    assert status.names_open_ticket_by_subject(session, actor=alice, text=text)
    assert not status.names_open_ticket_by_subject(session, actor=alice, text="has my new request been checked?")
    conversation = _chat(session, desk, assistant, text)
    assert conversation.facts["intent"] == "ticket_status" and mine.id in conversation.facts["status_ticket_ids"]
    assert conversation.ticket_id is None and _tickets(session) == 2


def test_a_question_about_tickets_in_general_is_no_status_question(session: Session, desk: Desk,
                                                                   assistant: flow.Assistant) -> None:
    open_ticket(session, desk, desk.alice, subject="Laptop screen flickers")
    session.commit()
    for question in ("How long does it normally take for a P3 ticket to get fixed?",
                     "how are tickets prioritised? how long does a P3 take?"):
        conversation = _chat(session, desk, assistant, question)
        assert conversation.facts["intent"] != "ticket_status" and "status_ticket_ids" not in conversation.facts
    assert _chat(session, desk, assistant, "how long will my ticket take?").facts["intent"] == "ticket_status"


def test_a_status_question_without_tickets_says_so_and_offers_one(session: Session, desk: Desk,
                                                                  assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "is my ticket closed?")
    assert "no tickets" in _last_reply(conversation) and "open a ticket" in _last_reply(conversation)
    assert _tickets(session) == 0


def test_a_ticket_on_request_is_opened_only_after_asking_what_is_wrong(session: Session, desk: Desk,
                                                                       assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "I need to open an incident")
    assert "What is wrong?" in _last_reply(conversation) and _tickets(session) == 0
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
              body="The label printer in the warehouse prints garbage since this morning", assistant=assistant)
    session.commit()
    assert conversation.state is S.TICKET_CREATED and conversation.ticket_id is not None
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None and ticket.subject.startswith("The label printer in the warehouse")
    assert f"DP-{ticket.id}" in _last_reply(conversation)


def test_reporting_an_issue_without_asking_for_a_ticket_asks_what_is_wrong_then_whether_to_open_one(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "I want to report a problem",
                         "The badge reader at the side entrance beeps but never opens the door")
    assert conversation.state is S.OFFERING_TICKET and _tickets(session) == 0
    assert "Shall I open a ticket" in _last_reply(conversation)
    assert conversation.subject == "The badge reader at the side entrance beeps but never opens the door"
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body="yes please",
              assistant=assistant)
    session.commit()
    assert conversation.state is S.TICKET_CREATED and _tickets(session) == 1


def test_a_ticket_request_that_says_what_is_wrong_is_opened_at_once_with_the_problem_as_subject(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "I need to open a ticket, my monitor flickers")
    assert conversation.state is S.TICKET_CREATED and conversation.ticket_id is not None
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None and ticket.subject == "my monitor flickers"
    assert ticket.requester_id == desk.alice.id and conversation.facts["triage_decision_id"]
    assert f"DP-{ticket.id}" in _last_reply(conversation) and "What is wrong?" not in _last_reply(conversation)


def test_after_what_is_wrong_any_description_opens_the_ticket_even_one_read_as_not_it(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "Ich möchte ein Ticket aufmachen")
    assert "Was ist das Problem?" in _last_reply(conversation) and _tickets(session) == 0
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
              body="Die Kaffeemaschine im dritten Stock zeigt einen Netzwerkfehler", assistant=assistant)
    session.commit()
    assert conversation.state is S.TICKET_CREATED and _tickets(session) == 1
    assert "Ich habe das Ticket DP-" in _last_reply(conversation)


def test_a_question_about_opening_a_ticket_is_not_a_request_to_open_one(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    conversation = _chat(session, desk, assistant, "how do I open a ticket for a broken keyboard?")
    assert conversation.ticket_id is None and _tickets(session) == 0


def test_a_problem_with_nothing_to_search_on_gets_a_question_not_a_guessed_article(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant = assistant_over(session, ai_runtime, ("vpn-connect-windows", "printer-add"))
    conversation = _chat(session, desk, assistant, "ugh, it is broken again")
    assert conversation.facts["intent"] == "kb_question"
    assert "which app or device is it" in _last_reply(conversation)
    assert all(not m.citations for m in conversation.messages) and _tickets(session) == 0
    turn = flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
                     body="how do I add the printer on my floor?", assistant=assistant)
    assert any(c["slug"] == "printer-add" for m in turn.replies for c in m.citations)


def test_what_follows_a_vague_opening_is_searched_together_with_it(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant = assistant_over(session, ai_runtime, ("sharepoint-site-access", "shared-mailbox-access"))
    conversation = _chat(session, desk, assistant, "I need access")
    assert "which app or device is it" in _last_reply(conversation)
    turn = flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
                     body="for the finance team's shared mailbox", assistant=assistant)
    assert conversation.subject == "I need access for the finance team's shared mailbox"
    assert any(c["slug"] == "shared-mailbox-access" for m in turn.replies for c in m.citations)


def test_a_question_on_another_subject_mid_steps_leaves_the_walk_for_its_own_answer(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    assistant = assistant_over(session, ai_runtime, ("vpn-connect-windows", "out-of-office"))
    conversation = _chat(session, desk, assistant, "My VPN does not connect from home", "no")
    assert conversation.state is S.TROUBLESHOOTING
    turn = flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id,
                     body="ok thanks. also, how do I set up an automatic reply while I am on holiday?",
                     assistant=assistant)
    cited = {c["slug"] for m in turn.replies for c in m.citations}
    assert "out-of-office" in cited and "vpn-connect-windows" not in cited


def test_a_requester_past_the_hourly_conversation_limit_is_told_and_nothing_is_opened(
        session: Session, desk: Desk, assistant: flow.Assistant) -> None:
    limited = dataclasses.replace(assistant, settings=assistant.settings.model_copy(
        update={"requester_max_conversations_per_hour": 2}))
    _chat(session, desk, limited, "hi")
    _chat(session, desk, limited, "thanks")
    with pytest.raises(RateLimited, match="DESKPILOT_REQUESTER_MAX_CONVERSATIONS_PER_HOUR"):
        _chat(session, desk, limited, "hello again")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Conversation)) == 2
    requester_limits.lift(session, actor=Principal.of(desk.lena), requester_id=desk.alice.id, hours=1,
                          reason="Testing the chat with the desk")
    assert _chat(session, desk, limited, "hello again").facts["intent"] == "greeting"


def test_real_agent_please_mid_troubleshooting_hands_off_but_a_no_is_still_an_answer(
        session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> None:  # noqa: F811
    del sla_24x7
    # One article with steps keeps the index small.
    assistant = assistant_over(session, ai_runtime, ("vpn-connect-windows",))
    conversation = _chat(session, desk, assistant, "My VPN does not connect from home", "no")
    assert conversation.state is S.TROUBLESHOOTING
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body="real agent please",
              assistant=assistant)
    session.commit()
    assert conversation.state is S.WAITING_FOR_HUMAN and conversation.ticket_id is not None
