"""What AI governance holds about a person: replay cases made from their tickets and chats (a redacted copy
of their question), and AI reviews they gave. Erasing empties the cases made from their records and scrubs
their identifiers from every other case and review."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.governance.models import AiReview, ReplayCase
from deskpilot.personal_data import ERASED, Change, Erasure, FunctionSource, Person, Section, columns
from deskpilot.tickets.models import Ticket


def _refs(session: Session, person: Person) -> set[str]:
    """The `source_ref`s of cases made from the person's tickets and from the answers given in their chats."""
    tickets = session.scalars(select(Ticket.id).where(Ticket.requester_id == person.user_id))
    decisions = session.scalars(select(ConversationMessage.decision_id).join(
        Conversation, Conversation.id == ConversationMessage.conversation_id).where(
        Conversation.requester_id == person.user_id, ConversationMessage.decision_id.is_not(None)))
    return ({f"ticket:{ticket}" for ticket in tickets} | {f"deflection:{decision}" for decision in decisions}
            | {f"decision:{decision}" for decision in decisions})


def collect(session: Session, *, person: Person) -> Section:
    cases = session.scalars(select(ReplayCase).where(ReplayCase.source_ref.in_(_refs(session, person)))
                            .order_by(ReplayCase.id))
    reviews = session.scalars(select(AiReview).where(AiReview.reviewer_id == person.user_id).order_by(AiReview.id))
    return Section(
        name="governance", description="Replay cases made from the person's requests (their redacted question "
        "and the outcome the desk confirmed) and AI reviews the person gave.",
        records={"replay_cases": [columns(case) for case in cases],
                 "ai_reviews": [columns(review) for review in reviews]})


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    refs = _refs(session, erasure.person)
    own = list(session.scalars(select(ReplayCase).where(ReplayCase.source_ref.in_(refs))))
    own_ids = {case.id for case in own}
    naming = [case for case in session.scalars(select(ReplayCase).where(ReplayCase.id.not_in(own_ids)))
              if erasure.mentions(case.question)]
    reviews = [review for review in session.scalars(select(AiReview))
               if any(erasure.mentions(text) for text in (review.question, review.output, review.note))]
    if apply:
        for case in own:
            case.question = ERASED
        for case in naming:
            case.question = erasure.scrub(case.question)
        for review in reviews:
            review.question, review.output = erasure.scrub(review.question), erasure.scrub(review.output)
            review.note = erasure.scrub(review.note)
        session.flush()
    return [Change("governance", "replay_cases", len(own), "question erased (the confirmed outcome kept)"),
            Change("governance", "replay_cases_naming", len(naming), "identifiers scrubbed"),
            Change("governance", "ai_reviews", len(reviews), "identifiers scrubbed")]


SOURCE = FunctionSource("governance", collect, eraser=erase)
