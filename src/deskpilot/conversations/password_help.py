"""Self-service password reset inside the chat: offer → one-time code → new password → approved runbook.

The chat text can at most lead to an OFFER. What runs is always the approved `password-reset` runbook, on
the signed-in requester's OWN directory account, after the code sent to their e-mail on file came back
(`runbooks/self_service.py` holds those rules). The new password never travels as a chat message: it is
set through its own form field / API call, and the one-time code is stored masked in the transcript.

The offer is made when triage names a password intent (`password_reset`, `account_locked`) with enough
confidence, or when the question is close in meaning to a request to reset one's own password or unlock
one's own account (cosine similarity of sentence vectors to the examples below, against
`DESKPILOT_SELF_SERVICE_MIN_CONFIDENCE`). Desks whose categories are broader ("Access") still get it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.conversations import attachments, service
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Speaker
from deskpilot.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.runbooks import self_service
from deskpilot.runbooks import service as runbooks
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.mailer import Mailer, mailer_for
from deskpilot.runbooks.steps import DirectoryFactory

S, E = ConversationState, ConversationEvent
ASSISTANT = Speaker(Author.ASSISTANT)
CODE = re.compile(r"^\s*(\d{6})\s*$")
MASKED_CODE = "(one-time code entered)"
# A word with lower case, upper case and a digit is what a password policy asks for: a question that offers the
# reset ("set it to Hunter2-Hunter2") keeps it out of the facts the fallback answer reads.
PASSWORD_LIKE = re.compile(r"(?=\S*\d)(?=\S*[a-z])(?=\S*[A-Z])\S{8,}")
MASKED_PASSWORD = "(hidden)"
START_WORDS = re.compile(r"\b(yes|yep|yeah|ok|okay|sure|please|reset|start|go ahead|do it|unlock)\b", re.IGNORECASE)
DECLINE_WORDS = re.compile(r"\b(no|nope|not now|don't|do not|cancel|stop)\b", re.IGNORECASE)

EXAMPLES = (
    "I forgot my password",
    "please reset my password",
    "I need a new password",
    "my password expired and I cannot log in",
    "my account is locked",
    "I am locked out of my account",
    "I typed the wrong password too many times and now I am locked out",
    "unlock my account please",
    "I can't sign in, it says my password is wrong",
    "how can I change my password",
)


@dataclass(frozen=True)
class Tools:
    """What the reset needs beyond the database: the code mailer and (in tests) a directory factory."""

    settings: Settings
    reset_intent: ResetIntent
    mailer: Mailer | None = None
    directory_factory: DirectoryFactory | None = None

    def send_with(self) -> Mailer:
        return self.mailer or mailer_for(self.settings)


@dataclass(frozen=True)
class ResetIntent:
    """The reset examples' vectors, embedded once when the AI runtime is built."""

    examples: Vectors

    @classmethod
    def embedded_by(cls, embedder: Embedder) -> ResetIntent:
        return cls(embedder.encode(list(EXAMPLES)))

    def confidence(self, question_vector: Vectors) -> float:
        """How close the question is to asking for one's own password reset or unlock (max cosine, 0–1)."""
        return float(max(0.0, float(np.max(self.examples @ np.asarray(question_vector).reshape(-1)))))


def _available(session: Session, settings: Settings, actor: Principal) -> bool:
    """Whether the approved runbook is there and has a password to reset: the LDAP directory's when one is
    configured, else deskpilot's own sign-in password (not when the desk signs in only through single sign-on)."""
    if actor.role is not Role.REQUESTER or actor.user_id is None:
        return False
    if not settings.ldap_url and not settings.local_passwords:
        return False
    try:
        runbooks.runnable_version(session, name=self_service.RUNBOOK)
    except (NotFound, PermissionDenied):
        return False
    return True


def offer(session: Session, conversation: Conversation, actor: Principal, tools: Tools, question: str, *,
          question_vector: Vectors, intent: str | None, intent_score: float) -> bool:
    """Offer the reset when it fits and is available; True when offered (the assistant then waits)."""
    settings = tools.settings
    triage_says = self_service.should_offer(intent=intent, confidence=intent_score, settings=settings)
    if not triage_says and tools.reset_intent.confidence(question_vector) < settings.self_service_min_confidence:
        return False
    if not _available(session, settings, actor):
        return False
    if switches.mode(session, Capability.SELF_SERVICE_ACTIONS, channel=conversation.channel,
                     queue=conversation.facts.get("queue")) is not AiMode.AUTO:
        return False  # an AI switch holds self-service actions back: the question gets the usual help instead
    kept = PASSWORD_LIKE.sub(MASKED_PASSWORD, question[:2000])
    conversation.facts = conversation.facts | {"self_service": {"stage": "offered", "question": kept}}
    service.transition(session, conversation, E.OFFER_SELF_SERVICE, actor=actor)
    service.say(session, conversation, ASSISTANT,
                "This sounds like a password problem. I can reset the password of your own account right here: "
                "I send a one-time code to the e-mail address we have on file, you type it here, and then you "
                "choose a new password. Shall I send the code? Answer yes, or no to get help another way.")
    return True


def stored_text(conversation: Conversation, text: str) -> str:
    """What the transcript keeps of the requester's message: a one-time code is never stored."""
    if conversation.state is S.SELF_SERVICE and _stage(conversation) == "code_sent" and CODE.match(text):
        return MASKED_CODE
    return text


def _stage(conversation: Conversation) -> str:
    return str(conversation.facts.get("self_service", {}).get("stage", ""))


def _set(conversation: Conversation, **values: object) -> None:
    conversation.facts = conversation.facts | {"self_service": conversation.facts.get("self_service", {}) | values}


def on_message(session: Session, conversation: Conversation, actor: Principal, tools: Tools, text: str) -> str | None:
    """Handle one requester message while self-service runs; returns a question to answer from the KB instead."""
    stage = _stage(conversation)
    if stage == "offered":
        if DECLINE_WORDS.search(text) and not START_WORDS.search(text.replace("no problem", "")):
            return _decline(session, conversation, actor)
        if START_WORDS.search(text):
            _send_code(session, conversation, actor, tools)
            return None
        service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
        return text
    if stage == "code_sent":
        _check_code(session, conversation, actor, tools, text)
        return None
    if stage == "verified":
        if DECLINE_WORDS.search(text):
            return _decline(session, conversation, actor)
        service.say(session, conversation, ASSISTANT, "For your safety, do not type the new password into the "
                    "chat: use the \u201cNew password\u201d field below. If you want to stop, say so or end the "
                    "conversation.")
        return None
    service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
    return text


def _decline(session: Session, conversation: Conversation, actor: Principal) -> str:
    question = str(conversation.facts.get("self_service", {}).get("question", ""))
    _set(conversation, stage="declined")
    service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
    return question


def _send_code(session: Session, conversation: Conversation, actor: Principal, tools: Tools) -> None:
    try:
        with session.begin_nested():  # a code that could not be sent leaves no request behind
            challenge = self_service.start(session, settings=tools.settings, requester=actor,
                                           mailer=tools.send_with(), conversation_ref=f"conversation:{conversation.id}",
                                           ticket_id=conversation.ticket_id)
    except DomainError as exc:
        _set(conversation, stage="unavailable")
        service.say(session, conversation, ASSISTANT, f"I could not start the reset: {exc.message} Say "
                    "\u201ctalk to a human\u201d and a person from the service desk will help you.")
        return
    _set(conversation, stage="code_sent", request_id=challenge.request_id)
    service.say(session, conversation, ASSISTANT,
                f"I sent a 6-digit code to {challenge.sent_to}. Type it here; it is valid for "
                f"{challenge.expires_in_minutes} minutes. Nothing changes until you have entered it.")


def _check_code(session: Session, conversation: Conversation, actor: Principal, tools: Tools, text: str) -> None:
    found = CODE.match(text)
    if found is None:
        service.say(session, conversation, ASSISTANT, "Please type the 6-digit code from the e-mail, and nothing "
                    "else. If it did not arrive, say \u201ctalk to a human\u201d.")
        return
    request_id = int(conversation.facts["self_service"]["request_id"])
    try:
        # Not in a savepoint: a wrong code must count as an attempt even though it is refused.
        self_service.verify(session, settings=tools.settings, requester=actor, request_id=request_id,
                            code=found.group(1))
    except InvalidInput as exc:
        restart = self_service.is_failed(session, request_id=request_id)
        if restart:
            _set(conversation, stage="offered")
        service.say(session, conversation, ASSISTANT,
                    exc.message + (" Answer yes and I will send one." if restart else ""))
        return
    _set(conversation, stage="verified")
    policy = tools.settings
    service.say(session, conversation, ASSISTANT,
                "Thank you, the code is right. Now choose your new password in the \u201cNew password\u201d field "
                f"below (not in the chat): at least {policy.password_min_length} characters, with at least "
                f"{policy.password_min_classes} of lower case, upper case, digits and symbols, and not your user "
                "name.")


def awaiting_password(conversation: Conversation) -> bool:
    """Whether the page should show the new-password field."""
    return conversation.state is S.SELF_SERVICE and _stage(conversation) == "verified"


def set_password(session: Session, *, actor: Principal, conversation_id: int, new_password: str,
                 tools: Tools) -> Conversation:
    """Run the approved reset with the new password; the conversation ends solved, or goes to a person."""
    conversation = service.get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.requester_id != actor.user_id:
        raise NotFound(f"No conversation #{conversation_id} of yours.")
    if not awaiting_password(conversation):
        raise InvalidInput("This conversation is not waiting for a new password; enter the e-mailed code first.")
    request_id = int(conversation.facts["self_service"]["request_id"])
    run = self_service.reset_password(session, settings=tools.settings, requester=actor, request_id=request_id,
                                      new_password=new_password, directory_factory=tools.directory_factory)
    _set(conversation, stage="done", run_id=run.id, automated=run.status is RunStatus.SUCCEEDED)
    conversation.ticket_id = conversation.ticket_id or run.ticket_id
    attachments.link_to_ticket(session, conversation)
    if run.status is RunStatus.SUCCEEDED:
        conversation.resolution = Resolution.AUTOMATED
        # Without LDAP the reset password is this desk's own sign-in, and the reset signed the person out everywhere.
        own_account = tools.directory_factory is None and not tools.settings.ldap_url
        signed_out = ("For your safety you are now signed out everywhere, here too: sign in again with the new "
                      "password." if own_account else "Sign in with the new one now; other devices will ask for it "
                      "too.")
        service.say(session, conversation, ASSISTANT,
                    f"Done: your password has been reset (recorded on DP-{run.ticket_id}). {signed_out} If you did "
                    "not ask for this, tell the service desk at once.")
        service.transition(session, conversation, E.SOLVED, actor=actor)
        service.ask_for_rating(session, conversation)
        return conversation
    conversation.resolution = Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=actor)
    service.say(session, conversation, Speaker(Author.SYSTEM),
                f"The automatic reset did not succeed and nothing was changed. DP-{run.ticket_id} is with the "
                "service desk; a person will reply here and on the ticket.")
    return conversation
