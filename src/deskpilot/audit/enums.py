"""The closed vocabularies of AI decision records."""

from enum import StrEnum


class DecisionKind(StrEnum):
    TRIAGE = "triage"
    ANSWER = "answer"
    DRAFT = "draft"
    SUMMARY = "summary"


class FeedbackAction(StrEnum):
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"
    OVERRIDDEN = "overridden"
