"""Employee and identity numbers for the PII redactor.

An ID is a token with digits that the words just before it name as a person's number ("employee number
483920", "Personalnummer: A-20931", "SSN 123-45-6789"), or one in a shape that only people numbers have
(an "EMP" prefix, the US social security 3-2-4 pattern). Ticket, order and asset numbers keep their digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_CUES = (
    r"employee[ \t]*(?:number|no|nr|num|id|#)|emp[ \t]*(?:no|nr|id|#)|employee|staff[ \t]*(?:number|no|id)|"
    r"personnel[ \t]*(?:number|no|id)|personal[ \t]*(?:number|no)|payroll[ \t]*(?:number|no|id)|"
    r"badge[ \t]*(?:number|no|id)|personalnummer|personal-?nr|mitarbeiter-?(?:nummer|nr|id)|"
    r"matricule|num[ée]ro[ \t]+d['’][ \t]*employ[ée]|n[úu]mero[ \t]+de[ \t]+empleado|"
    r"social[ \t]+security[ \t]*(?:number|no)?|ssn|national[ \t]+(?:id|insurance)[ \t]*(?:number|no)?|"
    r"passport[ \t]*(?:number|no|nr)?|tax[ \t]*(?:id|number)|id[ \t]*card[ \t]*(?:number|no)?"
)
# The cue, an optional "is"/":"/"#", then one token holding at least three digits (not a placeholder).
_CUED = re.compile(
    rf"\b(?:{_CUES})\.?(?:[ \t]*(?:is|ist|est|es|:|#|=)[ \t]*|[ \t]+)"
    r"(?P<value>(?![\[_])[A-Za-z]{0,4}[-/]?(?=(?:[-/]?[A-Za-z0-9]){3,20}\b)(?:[A-Za-z0-9]+[-/]?)*[A-Za-z0-9])"
    r"(?![\w[@])",
    re.IGNORECASE,
)
_PREFIXED = re.compile(r"(?<![\w\]-])(?:EMP|EMPL|EID)[-_]?\d{4,10}(?![\w[])", re.IGNORECASE)
_SSN = re.compile(r"(?<![\w\]-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w[]|-\d)")


def find_id_spans(text: str) -> Iterator[tuple[int, int]]:
    """The [start, end) spans of employee, staff and national identity numbers in `text`."""
    for match in _CUED.finditer(text):
        if sum(char.isdigit() for char in match.group("value")) >= 3:
            yield match.span("value")
    for pattern in (_PREFIXED, _SSN):
        for match in pattern.finditer(text):
            yield match.span()
