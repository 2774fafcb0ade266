"""The judge of a replayed conversation (pure): the kind of handling it got and whether it was the expected one."""

from __future__ import annotations

from deskpilot.conversations.state import ConversationState, Owner, owner_of
from deskpilot.evaluation.conversations_baseline import predict
from deskpilot.evaluation.conversations_cases import ConversationCase, Handling
from deskpilot.evaluation.conversations_judge import Observation, Observed, ObservedMessage, judge
from deskpilot.evaluation.conversations_replay import ASSISTANT_STATES

VPN = frozenset({"vpn-connect-windows", "vpn-error-codes"})


def _case(expect: Handling, *turns: str, slugs: frozenset[str] = frozenset()) -> ConversationCase:
    return ConversationCase(id="c1", intent="test", expect=expect, turns=turns or ("hello",), slugs=slugs)


def _said(author: str, body: str, *cited: str) -> ObservedMessage:
    return ObservedMessage(author=author, body=body, cited=cited)


def _seen(state: str, *messages: ObservedMessage, ticket_id: int | None = None,
          before: frozenset[int] = frozenset(), after: frozenset[int] = frozenset()) -> Observation:
    return Observation(state=state, ticket_id=ticket_id, messages=messages, tickets_before=before,
                       tickets_after=after)


def test_an_answer_citing_an_acceptable_article_is_right_and_another_article_is_not() -> None:
    case = _case(Handling.ANSWER, "vpn down", slugs=VPN)
    right = judge(case, _seen("awaiting_confirmation", _said("requester", "vpn down"),
                              _said("assistant", "Open GlobalProtect ...", "vpn-error-codes", "printer-add")))
    wrong = judge(case, _seen("awaiting_confirmation", _said("requester", "vpn down"),
                              _said("assistant", "Add the printer ...", "printer-add")))
    assert (right.observed, right.right, right.answer_acceptable) == (Observed.ANSWER, True, True)
    assert (wrong.observed, wrong.right, wrong.answer_acceptable) == (Observed.ANSWER, False, False)
    assert "none of the acceptable articles" in wrong.reason


def test_the_last_cited_article_is_the_one_judged() -> None:
    case = _case(Handling.ANSWER, "vpn down", "I'm on a Mac", slugs=frozenset({"vpn-connect-macos"}))
    verdict = judge(case, _seen("awaiting_confirmation", _said("assistant", "Windows steps", "vpn-connect-windows"),
                                _said("assistant", "Mac steps", "vpn-connect-macos")))
    assert verdict.right and verdict.cited == ("vpn-connect-macos",)


def test_an_answer_with_a_ticket_is_a_ticket_not_an_answer() -> None:
    verdict = judge(_case(Handling.ANSWER, slugs=VPN),
                    _seen("ticket_created", _said("assistant", "steps", "vpn-error-codes"),
                          _said("system", "I opened ticket DP-9 for you"), ticket_id=9, after=frozenset({9})))
    assert (verdict.observed, verdict.right) == (Observed.NEW_TICKET, False)


def test_a_ticket_is_right_only_when_the_requester_asked_or_was_asked_first() -> None:
    case = _case(Handling.NEW_TICKET, "projector broken")
    unasked = _seen("ticket_created", _said("requester", "projector broken"),
                    _said("system", "I could not solve this here, so I opened ticket DP-4"), ticket_id=4)
    offered = _seen("ticket_created", _said("requester", "projector broken"),
                    _said("assistant", "I have no article for that. Shall I open a ticket for you?"),
                    _said("requester", "yes"), _said("system", "Opened DP-4."), ticket_id=4)
    requested = _seen("ticket_created", _said("requester", "please open a ticket: projector broken"),
                      _said("system", "Opened DP-4."), ticket_id=4)
    german = _seen("ticket_created", _said("requester", "Bitte ein Ticket eröffnen: Beamer kaputt"),
                   _said("system", "DP-4 wurde eröffnet."), ticket_id=4)
    assert not judge(case, unasked).right
    assert "without asking" in judge(case, unasked).reason
    assert judge(case, offered).right and judge(case, requested).right and judge(case, german).right


def test_a_question_quoted_from_an_article_after_the_ticket_does_not_count_as_asking() -> None:
    observed = _seen("ticket_created", _said("requester", "badge reader broken"),
                     _said("system", "Opened DP-7 for you."),
                     _said("assistant", "Want to add details to the ticket?"), ticket_id=7)
    assert not judge(_case(Handling.NEW_TICKET), observed).right


def test_status_needs_the_existing_ticket_named_and_no_new_one() -> None:
    case = _case(Handling.STATUS, "any update on DP-12?")
    named = _seen("assistant_answering", _said("requester", "any update on DP-12?"),
                  _said("assistant", "DP-12 is In progress with Carol; the SLA is due tomorrow 10:00."),
                  before=frozenset({12}), after=frozenset({12}))
    new_ticket = _seen("ticket_created", _said("requester", "any update on DP-12?"),
                       _said("system", "I opened ticket DP-13"), ticket_id=13, before=frozenset({12}),
                       after=frozenset({12, 13}))
    echoed = _seen("assistant_answering", _said("requester", "any update on DP-12?"),
                   _said("assistant", "Try restarting your laptop.", "slow-computer"), before=frozenset({12}))
    assert judge(case, named).right
    assert judge(case, new_ticket).observed is Observed.NEW_TICKET
    quoted = _seen("awaiting_confirmation",
                   _said("assistant", "About DP-12: restart the dock.", "monitor-docking-station"),
                   before=frozenset({12}))
    assert (judge(case, echoed).observed, judge(case, echoed).right) == (Observed.ANSWER, False)
    assert judge(case, quoted).observed is Observed.ANSWER


def test_a_handoff_is_judged_from_the_state() -> None:
    case = _case(Handling.HANDOFF, "real agent please")
    waiting = _seen("waiting_for_human", _said("system", "You asked for a person: DP-3 ..."), ticket_id=3)
    assert judge(case, waiting).right
    assert not judge(case, _seen("awaiting_confirmation", _said("assistant", "steps", "vpn-error-codes"))).right


def test_out_of_scope_and_small_talk_need_no_ticket_and_no_article() -> None:
    plain = _seen("assistant_answering", _said("assistant", "I can only help with IT. Want a person?"))
    cited = _seen("awaiting_confirmation", _said("assistant", "Book a Teams room ...", "teams-meeting-rooms"))
    for kind in (Handling.OUT_OF_SCOPE, Handling.SMALL_TALK):
        assert judge(_case(kind), plain).right
        assert not judge(_case(kind), cited).right


def test_self_service_is_the_reset_offer_or_the_password_article() -> None:
    case = _case(Handling.SELF_SERVICE, "forgot my password", slugs=frozenset({"password-reset-self-service"}))
    offer = _seen("self_service", _said("assistant", "I can reset the password of your own account right here"))
    article = _seen("resolved", _said("assistant", "Go to login ...", "password-reset-self-service"))
    other = _seen("awaiting_confirmation", _said("assistant", "VPN ...", "vpn-error-codes"))
    assert judge(case, offer).right and judge(case, article).right
    assert not judge(case, other).right


def test_an_api_failure_is_a_wrong_handling_with_its_reason() -> None:
    failed = Observation(state="", ticket_id=None, messages=(), error="POST /api/v1/conversations: 429 too many")
    verdict = judge(_case(Handling.SMALL_TALK), failed)
    assert (verdict.observed, verdict.right) == (Observed.ERROR, False)
    assert "429" in verdict.reason


def test_the_keyword_baseline_routes_by_fixed_word_lists() -> None:
    assert predict("real agent please") is Handling.HANDOFF
    assert predict("any update on DP-4?") is Handling.STATUS
    assert predict("hello") is Handling.SMALL_TALK
    assert predict("forgot my password") is Handling.SELF_SERVICE
    assert predict("vpn not connecting") is Handling.ANSWER
    assert predict("what's on the canteen menu") is Handling.OUT_OF_SCOPE


def test_the_replay_posts_on_in_every_state_the_assistant_owns_and_stops_in_no_other() -> None:
    # The device question (clarifying) and the ticket offer wait for the requester's answer: a script must go on.
    owned = {state.value for state in ConversationState if owner_of(state) is Owner.ASSISTANT}
    assert owned == ASSISTANT_STATES and {"clarifying", "offering_ticket"} <= ASSISTANT_STATES
