"""A keyword router, THE BASELINE of `deskpilot eval conversations`: it predicts the kind of handling from
the opening message with fixed word lists, first rule wins. It is deliberately transparent and simple, so the
real assistant has something honest to beat; it is never used to answer anyone.

It predicts the kind only, not the article: an `answer` prediction counts as right whatever article would
follow, which flatters the baseline.
"""

from __future__ import annotations

import re

from deskpilot.evaluation.conversations_cases import Handling

_PATTERNS: tuple[tuple[Handling, str], ...] = (
    (Handling.HANDOFF, r"\b(human|person|agent|someone|somebody|operator|technician|mensch|mitarbeiter|personne|"
                       r"humain|persona|humano)\b|人工|真人"),
    (Handling.STATUS, r"\bDP-\d+\b|\bstatus\b|\bupdate on\b|\bany news\b|\bmy (ticket|incident|request)\b|"
                      r"\bstand\b|\bétat\b|\bestado\b|进度|状态"),
    (Handling.SMALL_TALK, r"^\W*(hi|hello|hey|hallo|bonjour|hola|thanks?|thank you|danke|merci|gracias|bye|"
                          r"good (morning|afternoon|evening)|你好|谢谢)\W*$|\bare you (a )?(bot|robot|human)\b|"
                          r"\bwhat can you do\b"),
    (Handling.SELF_SERVICE, r"\bpassword\b|\bpasswort\b|mot de passe|contraseña|密码|\blocked\b|\bunlock\b|"
                            r"\bgesperrt\b|\bbloqu"),
    (Handling.NEW_TICKET, r"\b(ticket|incident|case)\b"),
    (Handling.ANSWER, r"\b(vpn|wi-?fi|wlan|outlook|e-?mail|mail|printer|print|drucker|imprimante|impresora|teams|"
                      r"laptop|computer|pc|monitor|dock|screen|okta|mfa|onedrive|sharepoint|drive|folder|access|"
                      r"install|software|licen[cs]e|workday|timecard|bitlocker|update|network|internet|phishing|"
                      r"scan|scanner|calendar|mailbox|headset|camera|microphone|slow|certificate|account)\b"),
)
_RULES = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _PATTERNS)


def predict(message: str) -> Handling:
    """The handling the keyword rules give `message` (out_of_scope when no rule matches)."""
    for kind, pattern in _RULES:
        if pattern.search(message):
            return kind
    return Handling.OUT_OF_SCOPE
