"""The closed vocabularies of the e-mail channel."""

from enum import StrEnum


class InboundStatus(StrEnum):
    PROCESSED = "processed"
    IGNORED_AUTOREPLY = "ignored_autoreply"
    FAILED_PARSE = "failed_parse"
    FAILED_INTAKE = "failed_intake"
    DISCARDED = "discarded"


UNFILED = (InboundStatus.FAILED_PARSE, InboundStatus.FAILED_INTAKE, InboundStatus.IGNORED_AUTOREPLY)


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutboundKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    REPLY = "reply"
