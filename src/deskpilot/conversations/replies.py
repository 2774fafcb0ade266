"""What a short chat reply means: yes, no, a request for a person, or something else. Pure functions."""

from __future__ import annotations

import re
from enum import StrEnum

_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# English, then German, French, Spanish and Chinese (written without spaces, so whole short replies).
_YES = {"yes", "yeah", "yep", "yup", "y", "ok", "okay", "solved", "fixed", "works", "worked", "perfect", "great",
        "thanks", "thank", "resolved", "sorted",
        "ja", "jawohl", "danke", "gelöst", "funktioniert", "oui", "merci", "résolu", "si", "sí", "gracias",
        "resuelto", "是", "是的", "好的", "谢谢", "解决了", "可以了"}
_NO = {"no", "nope", "n", "nah", "not", "didn't", "didnt", "doesn't", "doesnt", "still", "failed", "fails",
       "nein", "nicht", "immer", "non", "pas", "toujours", "todavía", "sigue", "否", "不", "没有", "不行", "还是不行"}
_YES_PHRASES = ("that fixed it", "it works", "it worked", "that worked", "problem solved", "all good",
                "that solved it", "yes it did", "it is fixed", "it's fixed")
_NO_PHRASES = ("didn't help", "did not help", "didn't work", "did not work", "not working", "still not",
               "still broken", "doesn't work", "does not work", "no luck", "not solved", "still the same",
               "same problem", "still failing")
_HUMAN = re.compile(r"\b(talk|speak|chat|connect|put me through)\b.{0,20}\b(human|person|agent|someone|somebody|"
                    r"technician|people|staff|service desk)\b|^\s*(human|agent|operator|a person)\W*$"
                    r"|\breal (person|human)\b", re.IGNORECASE)
# An explicit request for a ticket, in the languages the chat speaks ("please open a ticket for me").
_TICKET = re.compile(r"\b(open|create|raise|log|file|make|start)\b.{0,25}\b(ticket|incident)\b|\bticket,? please\b"
                     r"|\bticket\b.{0,20}\b(er)?öffnen\b|\bouvrir un ticket\b|\babrir (un|una) (ticket|incidencia)\b"
                     r"|开工单|提交工单", re.IGNORECASE)
SHORT_REPLY_WORDS = 8


class Reply(StrEnum):
    YES = "yes"
    NO = "no"
    OTHER = "other"


def wants_human(text: str) -> bool:
    """Whether the requester asks for a person ("talk to a human", "agent please", ...)."""
    return bool(_HUMAN.search(text))


def wants_ticket(text: str) -> bool:
    """Whether the requester asks in so many words for a ticket to be opened."""
    return bool(_TICKET.search(text))


def classify(text: str) -> Reply:
    """YES or NO for an answer to "did this solve it?"; OTHER for anything longer or unclear (a new question)."""
    lowered = text.lower().strip()
    if any(p in lowered for p in _NO_PHRASES):
        return Reply.NO
    if any(p in lowered for p in _YES_PHRASES):
        return Reply.YES
    words = _WORDS.findall(lowered)
    if not words or len(words) > SHORT_REPLY_WORDS:
        return Reply.OTHER
    if words[0] in _NO or any(w in _NO for w in words):
        return Reply.NO
    if words[0] in _YES:
        return Reply.YES
    return Reply.OTHER
