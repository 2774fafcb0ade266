"""A reply that reports the fix and thanks closes the walk or the answer as solved, in the desk's languages; a
thanks beside a failure or a question does not. Over the demo VPN articles with the real intent model."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import flow, phrases
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import reports_failure, reports_fix
from deskpilot.conversations.state import ConversationState
from deskpilot.runtime import AiRuntime
from tests.conversations.conftest import assistant_over, converse
from tests.factories import Desk
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

S = ConversationState
ARTICLES = ("vpn-connect-windows", "vpn-connect-macos", "vpn-mobile-devices", "vpn-error-codes", "printer-add")
CLIENT = {"os": "Windows 10/11", "browser": "Chrome 120", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120"}


@pytest.fixture
def vpn_desk(session: Session, desk: Desk, ai_runtime: AiRuntime, sla_24x7: None) -> flow.Assistant:  # noqa: F811
    del desk, sla_24x7
    return assistant_over(session, ai_runtime, ARTICLES)


def _walking(session: Session, desk: Desk, assistant: flow.Assistant) -> Conversation:
    conversation = converse(session, desk, assistant, "My VPN won't connect", "Windows", client=CLIENT)
    assert conversation.state is S.TROUBLESHOOTING
    return conversation


def _say(session: Session, desk: Desk, assistant: flow.Assistant, conversation: Conversation, line: str) -> None:
    flow.post(session, actor=Principal.of(desk.alice), conversation_id=conversation.id, body=line,
              assistant=assistant)


def test_failures_are_read_in_long_messages_and_clauses_split_at_punctuation() -> None:
    assert reports_failure("rebooted, no change. thanks")
    assert reports_failure("thanks, but Outlook won't open now")
    assert reports_failure("neu gestartet, immer noch kein Netz, danke")
    assert not reports_failure("cleared it and it prints again, thanks")
    assert not reports_failure("好了，没问题了，谢谢")
    assert phrases.clauses("did it. works now, thank you!") == ["did it", "works now", "thank you"]
    assert phrases.clauses("好了，谢谢") == ["好了", "谢谢"]


@pytest.mark.parametrize("line", ["did that, it connects now. thanks", "hat jetzt geklappt, danke",
                                  "ok reinstalled it and now it works, much appreciated"])
def test_a_thanking_report_of_the_fix_closes_the_walk_as_solved(
        session: Session, desk: Desk, vpn_desk: flow.Assistant, line: str) -> None:
    conversation = _walking(session, desk, vpn_desk)
    _say(session, desk, vpn_desk, conversation, line)
    assert conversation.state is S.RESOLVED and conversation.resolution is Resolution.SELF_SERVICE
    assert conversation.ticket_id is None


def test_a_thanks_beside_a_failure_is_the_steps_result(session: Session, desk: Desk,
                                                        vpn_desk: flow.Assistant) -> None:
    conversation = _walking(session, desk, vpn_desk)
    _say(session, desk, vpn_desk, conversation, "restarted the laptop, no change. thanks")
    assert conversation.state is S.TROUBLESHOOTING
    assert [t["result"] for t in conversation.troubleshooting["tried"]] == ["restarted the laptop, no change. thanks"]


def test_a_short_question_after_a_thanks_asks_on_instead_of_closing(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = _walking(session, desk, vpn_desk)
    _say(session, desk, vpn_desk, conversation, "thanks, how do I add a printer?")
    assert conversation.state is not S.RESOLVED
    assert conversation.messages[-1].citations[0]["slug"] == "printer-add"


def test_a_thanking_report_after_an_answer_closes_it_instead_of_being_searched(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    conversation = converse(session, desk, vpn_desk,
                            "Which GlobalProtect VPN error messages are there and how do I fix them?", client=CLIENT)
    assert conversation.state is S.AWAITING_CONFIRMATION
    _say(session, desk, vpn_desk, conversation, "found mine in the list and fixed it, thank you!")
    assert conversation.state is S.RESOLVED and conversation.resolution is Resolution.SELF_SERVICE


def test_while_a_ticket_is_offered_a_report_of_the_fix_closes_as_solved_and_a_yes_still_opens_it(
        session: Session, desk: Desk, vpn_desk: flow.Assistant) -> None:
    failed = ("My VPN won't connect", "Windows", "no", "still not working", "that did not help either")
    conversation = converse(session, desk, vpn_desk, *failed, client=CLIENT)
    assert conversation.state is S.OFFERING_TICKET
    _say(session, desk, vpn_desk, conversation, "never mind, it works now")
    assert conversation.state is S.RESOLVED and conversation.ticket_id is None

    conversation = converse(session, desk, vpn_desk, *failed, client=CLIENT)
    _say(session, desk, vpn_desk, conversation, "restarted the router and it connects now, thanks")
    assert conversation.state is S.RESOLVED and conversation.ticket_id is None

    conversation = converse(session, desk, vpn_desk, *failed, client=CLIENT)
    _say(session, desk, vpn_desk, conversation, "yes please")
    assert conversation.state is S.TICKET_CREATED and conversation.ticket_id is not None


def test_a_report_of_the_fix_is_told_from_a_bare_yes() -> None:
    assert reports_fix("never mind, it works now") and reports_fix("fixed it myself, thanks")
    assert reports_fix("hat geklappt") and reports_fix("ya funciona")
    assert not reports_fix("yes please") and not reports_fix("ok thanks")
    assert not reports_fix("it worked for a minute, now it fails again")
