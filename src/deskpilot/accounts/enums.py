"""The closed vocabularies of accounts."""

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"
    AUDITOR = "auditor"
