"""A question the KB may answer: triage it, offer the self-service reset, match a typed error to its step, search
an English question with its typos' corrections beside it (`spelling.py`), ask which device when the best articles
differ by it, answer with sources and ask "did this solve it?" (or offer the first articles as a choice when they
tie), or walk the steps of an article that may fit, or offer the closest articles as uncertain suggestions
(`suggestions.py`), or offer a ticket when nothing fits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.search_result import SearchResult
from deskpilot.audit import decisions
from deskpilot.conversations import (
    closing,
    password_help,
    phrases,
    routing,
    service,
    spelling,
    suggestions,
    troubleshoot,
)
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.intents import IntentReading
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import Reply, is_question, without_acknowledgement
from deskpilot.conversations.state import Author, ConversationEvent, Speaker
from deskpilot.governance import switches
from deskpilot.governance.enums import Capability
from deskpilot.kb.answering import answer_question
from deskpilot.ml.embeddings import Vectors

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

E = ConversationEvent
ASSISTANT = Speaker(Author.ASSISTANT)
CONTEXT_TURNS = 6


def _context(conversation: Conversation) -> str:
    """Earlier turns, newest first, in the retriever's `role:text || ...` form (agents count as agents)."""
    turns = [m for m in conversation.messages if m.author_kind is not Author.SYSTEM][:-1]
    parts = [f"{'user' if m.author_kind is Author.REQUESTER else 'agent'}:{m.body.replace('||', '|')[:500]}"
             for m in reversed(turns[-CONTEXT_TURNS:])]
    return " || ".join(parts)


def answer(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
           question: str, *, offer_self_service: bool = True, question_vector: Vectors | None = None,
           reading: IntentReading | None = None) -> None:
    if not conversation.subject:
        conversation.subject = " ".join(question.split())[:300]
    previous_language = conversation.facts.get("language")
    intent, intent_score = routing.triage_onto(session, conversation, assistant.triage, question, assistant.settings)
    language = phrases.requester_language(question, previous_language)
    conversation.facts = conversation.facts | {"language": language}
    if reading is not None and reading.intent in routing.SELF_SERVICE_INTENTS:
        intent, intent_score = routing.SELF_SERVICE_INTENTS[reading.intent], reading.confidence
    # Embedded once per question; the reset offer and the retrieval use this vector.
    vector = question_vector if question_vector is not None else assistant.index.embedder.encode(
        [question.strip()])[0]
    offer = offer_self_service and routing.may_offer_self_service(reading)
    if offer and password_help.offer(session, conversation, actor, assistant.tools(), question,
                                     question_vector=vector, intent=intent, intent_score=intent_score):
        return
    if troubleshoot.start_from_error(session, conversation, actor, assistant, question):
        return
    index = search_index(assistant.index, language)
    # Typos are read in English only: a word of another language is not a typo of the KB's English words.
    searched = (spelling.with_corrections(question, spelling.vocabulary_of(index)) if language == phrases.ENGLISH
                else question)
    own_vector = vector if index is assistant.index and searched == question else None
    context = _context(conversation)
    if context and _stands_alone(index, searched, own_vector, language, assistant.settings.answer_abstain_below):
        context = ""
    outcome = answer_question(session, actor=actor, index=index, question=searched,
                              context=context, abstain_below=assistant.settings.answer_abstain_below,
                              rephraser=assistant.rephraser, language=language, question_vector=own_vector)
    decisions.attach_subject(session, decision_id=outcome.decision_id, subject_type="conversation",
                             subject_id=conversation.id)
    if switches.withheld(session, Capability.CHAT_DEFLECTION, decision_id=outcome.decision_id,
                         channel=conversation.channel, queue=conversation.facts.get("queue")):
        troubleshoot.open_ticket(session, conversation, actor, assistant, reason=switches.WITHHELD_REASON,
                                 code=R.OTHER)
        return
    if troubleshoot.clarify(session, conversation, actor, assistant, question, outcome.search):
        return
    answered = outcome.answer
    if not answered.abstained:
        tie = suggestions.tied(outcome.search)
        if tie:
            suggestions.suggest(session, conversation, actor, tie, decision_id=outcome.decision_id,
                                confidence=answered.confidence)
            return
        citations = [troubleshoot.citation(d.slug, d.version, d.title) for d in outcome.sources]
        text = f"{_language_notice(outcome.sources[0], language)}{answered.text}"
        service.say(session, conversation, ASSISTANT, f"{text}\n\n{phrases.phrase('confirm', language)}",
                    citations=citations,
                    confidence=answered.confidence, decision_id=outcome.decision_id)
        conversation.facts = conversation.facts | {"answer_decision_id": outcome.decision_id,
                                                   "answer_slug": outcome.sources[0].slug,
                                                   "answer_citations": list(answered.citations),
                                                   "suggested": []}
        service.transition(session, conversation, E.ANSWERED, actor=actor)
        return
    slug = troubleshoot.best_article_with_steps(outcome.search, assistant.settings.answer_abstain_below)
    closest = (suggestions.rivals(outcome.search) if slug
               else suggestions.closest_articles(outcome.search, index.tuning.suggestion_floor))
    if closest:
        suggestions.suggest(session, conversation, actor, closest, decision_id=outcome.decision_id,
                            confidence=answered.confidence)
        return
    if slug is None:
        troubleshoot.offer_ticket(session, conversation, actor, opening=phrases.phrase("no_article", language),
                                  reason="The assistant found no approved article that answers it.",
                                  code=R.NO_ARTICLE)
        return
    service.say(session, conversation, ASSISTANT, phrases.phrase("may_fit", language),
                confidence=answered.confidence, decision_id=outcome.decision_id)
    troubleshoot.start_steps(session, conversation, actor, assistant, slug)


def _stands_alone(index: KbIndex, question: str, vector: Vectors | None, language: str, abstain_below: float) -> bool:
    """Whether the KB has evidence for the question on its own: a new question after an answer ("and how do I
    scan to email?") is then searched without the earlier turns, which would pull it back to the article already
    given. The bar is the one for trying an article's steps (`troubleshoot.best_article_with_steps`): confidence
    at least half the answer threshold, or a top article close in meaning. Not the answer threshold itself: a
    how-to the KB answers with several close articles ("how do I set an out of office?": 0.34 on the demo KB)
    is a question of its own all the same. A follow-up that needs the earlier turns ("on my Mac": 0.01) has
    no evidence alone and keeps them."""
    return _has_evidence(_search_alone(index, question, vector, language), abstain_below)


def _search_alone(index: KbIndex, question: str, vector: Vectors | None, language: str) -> SearchResult:
    return HybridRetriever(index).search(RetrievalQuery.from_dialogue(question, ""), k=2, utterance_vector=vector,
                                         language=language)


def _has_evidence(result: SearchResult, abstain_below: float) -> bool:
    on_topic = result.evidence is not None and result.evidence.on_topic
    return result.confidence >= abstain_below / 2 or on_topic


def asks_something_else(assistant: Assistant, conversation: Conversation, text: str) -> str | None:
    """Mid-steps, a question on another subject ("thanks! also, how do I share my calendar?"): the question
    without the thanks in front of it, when it reads as a question, the KB has evidence for it on its own (the
    bar of `_stands_alone`) and its best article is not the one being walked. A question about the step
    ("where is the gear icon?") has no evidence of its own or leads back to the walked article: it stays the
    step's result. None when the message is not such a question."""
    question = without_acknowledgement(text)
    if not is_question(question) or closing.reply(assistant, text) is not Reply.OTHER:
        return None
    language = phrases.requester_language(question, conversation.facts.get("language"))
    result = _search_alone(search_index(assistant.index, language), question, None, language)
    walked = conversation.troubleshooting.get("slug")
    if not result.hits or result.hits[0].slug == walked:
        return None
    return question if _has_evidence(result, assistant.settings.answer_abstain_below) else None


def says_what_it_is(assistant: Assistant, conversation: Conversation, text: str) -> str | None:
    """Mid-steps of an article the assistant only guessed ("acrobat" walked Company Portal's install steps), a
    message that tells what the problem really is ("it says Unlicensed product when I open it"): the message,
    when it is neither a yes or no to the step (nor a thanking report of the fix, `closing.py`) nor a question
    (`asks_something_else` reads those), the KB answers it on its own with the confidence of an answer
    (`answer_abstain_below`) and its best article is not the one being walked. The bar is the answer's, not
    `_stands_alone`'s half of it: a step's result ("it says access denied when I click Install") also has words
    of its own, and only a clear answer elsewhere outweighs the step it reports on. A walk the requester chose
    after an answer that did not help is theirs to finish, so only a walk of an article never given as the answer
    is left. None when the message is not such a description."""
    walked = conversation.troubleshooting.get("slug")
    if walked == conversation.facts.get("answer_slug") or closing.reply(assistant, text) is not Reply.OTHER:
        return None
    description = without_acknowledgement(text)
    if is_question(description):
        return None
    language = phrases.requester_language(description, conversation.facts.get("language"))
    result = _search_alone(search_index(assistant.index, language), description, None, language)
    if not result.hits or result.hits[0].slug == walked:
        return None
    return description if result.confidence >= assistant.settings.answer_abstain_below else None


def search_index(index: KbIndex, language: str) -> KbIndex:
    """A question not in English is searched with the multilingual embedder (when the runtime has one)."""
    return (index.cross_lingual() or index) if language != phrases.ENGLISH else index


def _language_notice(document: KbDocument, language: str) -> str:
    """Said before an answer from an article not in the requester's language (the English original)."""
    if document.language == language:
        return ""
    notice = phrases.phrase("article_in_english", language)
    return f"{notice}\n\n" if notice else ""
