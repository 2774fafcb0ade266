"""The closed vocabularies of conversations."""

from enum import StrEnum


class Resolution(StrEnum):
    SELF_SERVICE = "self_service"   # the assistant's answer or steps solved it: a deflection
    AGENT = "agent"                 # a person solved it in the chat
    WITHDRAWN = "withdrawn"         # the requester ended it without a solution
    TICKET = "ticket"               # it continues as a ticket
    AUTOMATED = "automated"         # an approved runbook the requester ran through the assistant solved it
