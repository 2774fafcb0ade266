"""Troubleshooting like a good colleague: ask which device when the best articles differ by it, go straight to
the step that covers a typed error message, skip what the requester already tried, stop after a few failed
steps to offer a ticket or more steps, and ask before opening any ticket.

The walk lives in `conversation.troubleshooting`: the article being walked (`slug`, `version`, `title`,
`steps`), the step numbers still to ask (`queue`), the one asked now (`current`), and across articles the steps
tried with their results (`tried`) and those skipped because the requester had done them already (`skipped`).
What the requester told about the problem (device, error shown, what they did) is kept in
`conversation.facts["requester_said"]` for the next turns and the ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.audit import decisions
from deskpilot.audit.enums import FeedbackAction
from deskpilot.conversations import closing, error_messages, facets, handoff, phrases, service, status
from deskpilot.conversations import state as machine
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import Reply, classify, reports_fix, wants_ticket
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Speaker
from deskpilot.conversations.steps import covers_action, numbered_steps, section, tried_actions
from deskpilot.kb.history import DEFLECTION_FIELD
from deskpilot.kb.service import document_url

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

S, E = ConversationState, ConversationEvent
ASSISTANT = Speaker(Author.ASSISTANT)
SYSTEM = Speaker(Author.SYSTEM)
STATES = frozenset({S.CLARIFYING, S.TROUBLESHOOTING, S.OFFERING_TICKET})
STEPS_MIN_COVERAGE = 0.75  # share of the question's content words in the article, to try its steps
SAID = "requester_said"
ERROR_TOPIC_ARTICLES = 2  # the rest of a message quoting an error must not point confidently past these
_CONTINUE = ("continue", "next step", "keep going", "go on", "more steps", "another step", "weiter", "continuar",
             "siguiente", "继续")
_TICKET = ("ticket", "open one", "open it")


def language(conversation: Conversation) -> str:
    """The language the conversation is held in (the requester's, detected per question; English at first)."""
    return str(conversation.facts.get("language") or phrases.ENGLISH)


def citation(slug: str, version: int, title: str) -> dict[str, Any]:
    return {"citation": f"[{slug} v{version}]", "slug": slug, "version": version, "title": title,
            "url": document_url(slug, version)}


def remember(conversation: Conversation, text: str) -> dict[str, Any]:
    """Keep what the requester says about the problem: device (facet values), error shown, actions done."""
    said = dict(conversation.facts.get(SAID, {}))
    said.update(facets.stated_values(text))
    error = error_messages.typed_error(text)
    if error:
        said["errors"] = list(dict.fromkeys([*said.get("errors", []), error]))
    tried = tried_actions(text)
    if tried:
        said["tried"] = sorted({*said.get("tried", []), *tried})
        said["tried_notes"] = [*said.get("tried_notes", []), text[:200]]
    conversation.facts = conversation.facts | {SAID: said}
    return said


def best_article_with_steps(result: SearchResult, abstain_below: float) -> str | None:
    """The top-ranked article that has numbered steps, when the evidence is weak but not absent.

    Weak but present: the calibrated confidence is at least half the answer threshold, or the top article
    is on the question's topic even though several articles on it compete, which is what pulls the
    confidence down ("my VPN does not connect from home" against five VPN articles on the demo KB: 0.23):
    close in meaning (cosine at the retriever's evidence floor), holding most of the question's words, or named
    by the question's rare words in its title and tags (`assist/naming.py`: a room's HDMI input names the
    meeting-room article, tagged hdmi and meeting-room, at a cosine of 0.25).
    `result` is the search the abstained answer ran (top 3), not a second one. The evidence is the text's first
    article's (`SearchResult.text_top`); the article walked is the first in the ranking with steps.
    """
    evidence, top = result.evidence, result.text_top
    on_topic = evidence is not None and (evidence.on_topic or evidence.coverage >= STEPS_MIN_COVERAGE
                                         or (top is not None and top.named_by_question))
    if result.confidence < abstain_below / 2 and not on_topic:
        return None
    for hit in result.hits:
        if numbered_steps(hit.document.text):
            return hit.slug
    return None


def clarify(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant, question: str,
            result: SearchResult) -> bool:
    """Ask ONE question when the best articles differ by a fact the requester has not told (Windows or macOS?).

    Not when the search is confident in a first article that names no such fact: it applies whatever the device
    ("vpn connects but internal sites do not load" is the VPN error article's step, per-device articles rank
    behind it). Unsure searches still ask: the answer narrows them down. The articles are read in the order of
    their text alone (`assist.titles`): a per-device title must not decide which device is asked about."""
    said = remember(conversation, question)
    if not machine.can(conversation.state, E.CLARIFY):
        return False
    ranked = sorted(result.hits, key=lambda hit: -hit.text_score)
    if ranked and result.confidence >= assistant.settings.answer_abstain_below \
            and not facets.title_values(ranked[0].document.title):
        return False
    documents = assistant.index.documents
    offer = facets.clarification(question, [h.document for h in ranked], documents.values(), said)
    if offer is None:
        return False
    options = {value: slug for value, slug in offer.options.items() if numbered_steps(documents[slug].text)}
    if len(options) < 2:
        return False
    conversation.facts = conversation.facts | {"clarify": {"facet": offer.facet, "options": options}}
    service.transition(session, conversation, E.CLARIFY, actor=actor)
    # The question cites the articles it chooses between: the requester can open one, and the record says which.
    cited = [citation(slug, documents[slug].version, documents[slug].title) for slug in options.values()]
    service.say(session, conversation, ASSISTANT,
                phrases.phrase("which_device", language(conversation), options=" \u00b7 ".join(options)),
                citations=cited)
    return True


def matched_error(assistant: Assistant, text: str) -> error_messages.ErrorMatch | None:
    """The article step covering an error message or code in `text`, unless the rest of the requester's words
    point confidently to other articles: "no internet via LAN in meeting room 2.11" quotes the Wi-Fi article's
    "No internet" but is about the network port. The rest's search must have evidence (confidence at least half
    the answer threshold, as for trying an article's steps: "it says" has none) and leave the matched article
    out of its first `ERROR_TOPIC_ARTICLES`, as close articles quote the same message ("Gateway Berlin" finds the
    VPN connect article, which quotes "Gateway Berlin: Authentication failed", then the error article). A code
    is exact: always kept."""
    match = error_messages.match_step(text, assistant.index.documents.values())
    if match is None or match.by_code:
        return match
    rest = error_messages.rest_of(text, match)
    if not rest:
        return match
    search = HybridRetriever(assistant.index).search(RetrievalQuery.from_dialogue(rest, ""),
                                                     k=ERROR_TOPIC_ARTICLES, language=phrases.ENGLISH)
    elsewhere = (search.confidence >= assistant.settings.answer_abstain_below / 2
                 and match.document.slug not in {hit.slug for hit in search.hits})
    return None if elsewhere else match


def start_from_error(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                     text: str) -> bool:
    """When `text` names an error message or code an article step covers, walk that step first."""
    match = matched_error(assistant, text)
    if match is None or not machine.can(conversation.state, _walk_event(conversation)):
        return False
    remember(conversation, text)
    said = conversation.facts[SAID]
    said["errors"] = list(dict.fromkeys([*said.get("errors", []), match.error]))
    conversation.facts = conversation.facts | {SAID: said}
    document = match.document
    _new_walk(session, conversation, actor, document.slug, [match.number],
              opening=f"The message \u201c{match.error}\u201d is covered by \u201c{document.title}\u201d.",
              assistant=assistant)
    return True


def start_steps(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                slug: str, *, opening: str = "") -> None:
    count = len(numbered_steps(assistant.index.documents[slug].text))
    _new_walk(session, conversation, actor, slug, list(range(1, count + 1)), opening=opening, assistant=assistant)


def _walk_event(conversation: Conversation) -> ConversationEvent:
    return E.TROUBLESHOOT if conversation.state in (S.ASSISTANT_ANSWERING, S.AWAITING_CONFIRMATION, S.CLARIFYING) \
        else E.STEP_DONE


def _new_walk(session: Session, conversation: Conversation, actor: Principal, slug: str, queue: list[int], *,
              opening: str, assistant: Assistant) -> None:
    document = assistant.index.documents[slug]
    earlier = conversation.troubleshooting
    causes = [c for c in earlier.get("causes", []) if c["slug"] != slug]
    # The article's own cause and what to do when its steps fail, for the ticket if it comes to that.
    causes.append({"slug": slug, "version": document.version, "cause": section(document.text, "Cause"),
                   "next": section(document.text, "If this did not help")})
    conversation.troubleshooting = {
        "slug": slug, "version": document.version, "title": document.title, "steps": numbered_steps(document.text),
        "queue": queue, "current": None, "failed_since_offer": earlier.get("failed_since_offer", 0),
        "tried": earlier.get("tried", []), "skipped": earlier.get("skipped", []), "causes": causes}
    service.transition(session, conversation, _walk_event(conversation), actor=actor)
    if not ask_step(session, conversation, opening=opening):
        offer_ticket(session, conversation, actor, reason=_exhausted(conversation), code=R.STEPS_EXHAUSTED,
                     opening=f"{opening} You have already tried every step of \u201c{document.title}\u201d.")


def ask_step(session: Session, conversation: Conversation, *, opening: str = "") -> bool:
    """Ask the next step not already done by the requester; False when none is left."""
    walk = dict(conversation.troubleshooting)
    done = set(conversation.facts.get(SAID, {}).get("tried", []))
    queue, skipped = list(walk["queue"]), list(walk["skipped"])
    notes: list[str] = []
    while queue:
        number = queue.pop(0)
        step = walk["steps"][number - 1]
        action = covers_action(step, done)
        if action is None:
            walk.update(queue=queue, current=number, skipped=skipped)
            conversation.troubleshooting = walk
            cited = citation(walk["slug"], walk["version"], walk["title"])
            head = " ".join(part for part in (opening, *notes) if part)
            spoken = language(conversation)
            body = phrases.phrase("step", spoken, number=number, total=len(walk["steps"]), title=walk["title"],
                                  step=step, citation=cited["citation"])
            service.say(session, conversation, ASSISTANT,
                        f"{head}\n\n{body}\n\n{phrases.phrase('step_question', spoken)}".lstrip(), citations=[cited])
            return True
        skipped.append({"slug": walk["slug"], "version": walk["version"], "number": number, "step": step,
                        "because": f"the requester already did it ({action})"})
        notes.append(phrases.phrase("skipped_step", language(conversation), action=action, number=number))
    walk.update(queue=queue, current=None, skipped=skipped)
    conversation.troubleshooting = walk
    return False


def on_message(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
               text: str) -> str | None:
    """The requester's reply while clarifying, walking steps or deciding on a ticket offer.

    Returns the text when it is a new question for the answering flow (the state is then back at answering).
    """
    if conversation.state is S.CLARIFYING:
        return _after_clarify(session, conversation, actor, assistant, text)
    if conversation.state is S.OFFERING_TICKET:
        return _after_offer(session, conversation, actor, assistant, text)
    _after_step(session, conversation, actor, assistant, text)
    return None


def _after_clarify(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                   text: str) -> str | None:
    asked = conversation.facts["clarify"]
    offer = facets.Clarification(asked["facet"], dict(asked["options"]))
    value = facets.chosen(text, offer)
    said = remember(conversation, text)
    if value is None and start_from_error(session, conversation, actor, assistant, text):
        return None
    if value is None and classify(text) is Reply.OTHER and len(text.split()) > 3:
        service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
        return text
    chosen = value or next(iter(offer.options))
    conversation.facts = conversation.facts | {SAID: said | {offer.facet: chosen}}
    slug = offer.options[chosen]
    start_steps(session, conversation, actor, assistant, slug,
                opening=phrases.phrase("device_chosen", language(conversation), chosen=chosen,
                                       title=assistant.index.documents[slug].title))
    return None


def _after_step(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                text: str) -> None:
    walk = dict(conversation.troubleshooting)
    if closing.reply(assistant, text) is Reply.YES:
        if walk.get("slug") == conversation.facts.get("answer_slug"):
            confirm_deflection(session, conversation, actor, "resolved by the article's steps")
        resolve(session, conversation, actor, "Great, the steps solved it.")
        return
    number = walk.get("current")
    if number:
        walk["tried"] = [*walk["tried"], {"slug": walk["slug"], "version": walk["version"], "number": number,
                                          "step": walk["steps"][number - 1], "result": text[:500]}]
    walk["failed_since_offer"] = walk.get("failed_since_offer", 0) + 1
    conversation.troubleshooting = walk
    remember(conversation, text)
    match = matched_error(assistant, text)
    if match is not None and (match.document.slug, match.number) not in _asked(walk):
        start_from_error(session, conversation, actor, assistant, text)
        return
    remaining = [n for n in walk["queue"] if covers_action(walk["steps"][n - 1], set(
        conversation.facts.get(SAID, {}).get("tried", []))) is None]
    if not remaining:
        offer_ticket(session, conversation, actor, reason=_exhausted(conversation), code=R.STEPS_EXHAUSTED,
                     opening=phrases.phrase("last_step", language(conversation), title=walk["title"]))
    elif walk["failed_since_offer"] >= assistant.settings.troubleshoot_offer_after:
        tried = walk["failed_since_offer"]
        offer_ticket(session, conversation, actor, code=R.STEPS_FAILED, can_continue=True,
                     reason=f"{tried} steps of \u201c{walk['title']}\u201d did not help; the requester chose a ticket "
                            f"rather than the {len(remaining)} step(s) left.",
                     opening=phrases.phrase("steps_failed", language(conversation), count=tried))
    else:
        service.transition(session, conversation, E.STEP_DONE, actor=actor)
        ask_step(session, conversation)


def _asked(walk: dict[str, Any]) -> set[tuple[str, int]]:
    return {(t["slug"], t["number"]) for t in walk.get("tried", [])}


def _exhausted(conversation: Conversation) -> str:
    walk = conversation.troubleshooting
    return (f"All {len(walk.get('tried', []))} steps suggested (the last from \u201c{walk.get('title')}\u201d) were "
            "tried without success.")


def offer_ticket(session: Session, conversation: Conversation, actor: Principal, *, reason: str, code: R,
                 opening: str = "", can_continue: bool = False) -> None:
    """Ask before opening a ticket: yes opens it, no does not (and "continue" walks on when steps remain), and
    "never mind, it works now" closes the conversation as solved."""
    conversation.facts = conversation.facts | {"ticket_offer": {"reason": reason, "code": code.value,
                                                                "can_continue": can_continue}}
    service.transition(session, conversation, E.OFFER_TICKET, actor=actor)
    spoken = language(conversation)
    choice = phrases.phrase("offer_choice_continue" if can_continue else "offer_choice", spoken)
    service.say(session, conversation, ASSISTANT,
                f"{opening} {phrases.phrase('offer_ticket', spoken)} {choice}".lstrip())


def _after_offer(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                 text: str) -> str | None:
    offer = conversation.facts["ticket_offer"]
    lowered, reply = text.lower(), classify(text)
    # "never mind, it works now" or "cleared it, thanks" is no yes to the ticket: the problem is gone.
    if not wants_ticket(text) and (reports_fix(text) or (reply is Reply.OTHER
                                                         and closing.reply(assistant, text) is Reply.YES)):
        resolve(session, conversation, actor, "Great, so it works now: no ticket needed.")
        return None
    # "open it" takes the offer; a message about a ticket the requester already has ("what about DP-12?") does not.
    if reply is Reply.YES or (any(word in lowered for word in _TICKET) and status.named_ticket(text) is None):
        open_ticket(session, conversation, actor, assistant, reason=offer["reason"], code=R(offer["code"]))
        return None
    if start_from_error(session, conversation, actor, assistant, text):
        return None
    if offer["can_continue"] and (reply is Reply.NO or any(word in lowered for word in _CONTINUE)):
        walk = dict(conversation.troubleshooting) | {"failed_since_offer": 0}
        conversation.troubleshooting = walk
        service.transition(session, conversation, E.STEP_DONE, actor=actor)
        if not ask_step(session, conversation, opening="All right, let us go on."):
            offer_ticket(session, conversation, actor, reason=_exhausted(conversation), code=R.STEPS_EXHAUSTED,
                         opening="No step is left that you have not tried.")
        return None
    service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
    if reply is Reply.NO:
        service.say(session, conversation, ASSISTANT, "All right, I have not opened a ticket. Ask me something "
                    "else, or write \u201ctalk to a human\u201d to reach a person.")
        return None
    return text


def open_ticket(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant, *,
                reason: str, code: R) -> None:
    handed = handoff.open_ticket(session, conversation=conversation, requester=actor, settings=assistant.settings,
                                 triage=assistant.triage, reason=reason, code=code)
    conversation.resolution = Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=actor)
    spoken = language(conversation)
    carried = phrases.phrase("carried_tried" if conversation.troubleshooting.get("tried") else "carried_said", spoken)
    service.say(session, conversation, SYSTEM, phrases.phrase("ticket_with_context", spoken, ticket=handed.ticket.id,
                                                              carried=carried, promise=handoff.promise(handed.ticket)))


def confirm_deflection(session: Session, conversation: Conversation, actor: Principal, how: str) -> None:
    """The answer's article solved it: feedback on the answer decision (the KB learns the question from it)."""
    decision_id = conversation.facts.get("answer_decision_id")
    if decision_id:
        decisions.record_feedback(session, decision_id=int(decision_id), field=DEFLECTION_FIELD,
                                  action=FeedbackAction.ACCEPTED, suggested_value="answer", final_value=how,
                                  actor_id=actor.user_id, actor_name=actor.username)


def solved_message(opening: str) -> str:
    """What the assistant says when it closes a conversation as solved."""
    return f"{opening} I have closed this conversation as solved."


def resolve(session: Session, conversation: Conversation, actor: Principal, opening: str) -> None:
    conversation.resolution = Resolution.SELF_SERVICE
    service.say(session, conversation, ASSISTANT, solved_message(opening))
    service.transition(session, conversation, E.SOLVED, actor=actor)
    service.ask_for_rating(session, conversation)
