"""The closed vocabularies of tickets."""

from enum import StrEnum


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class Channel(StrEnum):
    PORTAL = "portal"
    CHAT = "chat"
    EMAIL = "email"
    API = "api"


class MessageKind(StrEnum):
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"


class Level(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
