"""PII redaction: what must never reach a model, an index or an AI log.

Detection is regex plus checksum, fast enough to run on every message: e-mail addresses, phone numbers
(international and local formats, with context so that ticket numbers, dates, versions and error codes
stay), payment cards (Luhn-checked), IBANs (mod-97 checked), IPv4/IPv6 addresses and passwords typed
into the text, employee and identity numbers (`pii_ids`), and people's names (`pii_names`: the words around a
name on every message; the desk's own people and a named-entity model through a `PeopleFinder` the caller
passes). Findings carry the type and the span in the input, never the value itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum

from deskpilot.triage.pii_ids import find_id_spans
from deskpilot.triage.pii_names import PeopleFinder, find_cued_name_spans
from deskpilot.triage.pii_phone import find_phone_spans


class PiiType(StrEnum):
    # Declaration order is precedence when two findings overlap: a password cue bounds its value
    # best, an e-mail address may contain digits that look like a phone number, and so on.
    PASSWORD = "password"
    EMAIL = "email"
    IBAN = "iban"
    CARD = "card"
    IP = "ip"
    ID = "id"
    PHONE = "phone"
    PERSON = "person"


ALL_PII_TYPES: frozenset[PiiType] = frozenset(PiiType)


def placeholder(kind: PiiType) -> str:
    """The text that replaces a finding of `kind`, e.g. "[EMAIL]"."""
    return f"[{kind.name}]"


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One piece of PII: its type and its [start, end) span in the text that was scanned."""

    type: PiiType
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Redaction:
    """The redacted text and what was removed from where (spans refer to the input text)."""

    text: str
    findings: list[PiiFinding]

    @property
    def types(self) -> set[PiiType]:
        """The kinds of PII that were found."""
        return {finding.type for finding in self.findings}


Span = tuple[int, int]

# Every pattern treats "]" before and "[" after a match like a letter: a placeholder stands where
# a glued token stood, so text that was not PII on the first pass must not become PII on the second.

_EMAIL = re.compile(
    r"(?<![\w.%+\]-])[\w.%+-]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w@[-])"
)
_CARD = re.compile(r"(?<![\w.,\]-])(?:\d{13,19}|\d{4}(?:[ -]\d{3,6}){2,4})(?![\w[-]|[.,]\d)")
# First digits of the payment networks (UATP, Mastercard, Amex/JCB/Diners, Visa, Maestro, Discover/
# UnionPay); Luhn alone passes one digit run in ten, and ports or serials must not become cards.
_CARD_NETWORK_DIGITS = frozenset("123456")
_IBAN = re.compile(
    r"(?<![\w\]-])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![\w[])",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\w.\]])(?:\d{1,3}\.){3}\d{1,3}(?![\w[]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.\]])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f.]{0,15}){2,8}(?:%\w+)?(?![\w:[])")

# Lengths of IBANs per country (ISO 13616 registry); a country not listed is checked by mod-97 only.
_COUNTRIES_BY_IBAN_LENGTH = {
    15: "NO",
    16: "BE",
    18: "DK FI FO GL NL",
    19: "MK SI",
    20: "AT BA EE KZ LT LU XK",
    21: "CH HR LI LV",
    22: "BG BH CR DE GB GE IE ME RS VA",
    23: "AE GI IL IQ TL",
    24: "AD CZ ES MD PK RO SA SE SK TN VG",
    25: "PT ST",
    26: "IS TR",
    27: "FR GR IT MC MR SM",
    28: "AL AZ BY CY DO GT HU LB PL SV",
    29: "BR EG PS QA UA",
    30: "JO KW MU",
    31: "MT SC",
    32: "LC",
}
_IBAN_LENGTHS = {
    country: length
    for length, countries in _COUNTRIES_BY_IBAN_LENGTH.items()
    for country in countries.split()
}

_PLACEHOLDERS = "|".join(kind.name for kind in PiiType)
_PASSWORD_WORDS = (
    r"pass(?:word|wort|code|phrase)?|passwd|pwd|pw|pin|kennwort|mot\s+de\s+passe|contrase[ñn]a|senha"
)
_PASSWORD_VALUE = (
    rf"(?!\[(?:{_PLACEHOLDERS})\])"
    r"(?P<value>\"[^\"\n]{1,128}\"|'[^'\n]{1,128}'|“[^”\n]{1,128}”|\S+?)"
    r"(?=[.,;]?(?:\s|$))"
)
_PASSWORD_PATTERNS = (
    # "password: x", "pwd = x", "new pass: x", "my password is Hunter2!", "Kennwort lautet x"
    re.compile(
        rf"\b(?:{_PASSWORD_WORDS})\b(?:[ \t]*[:=][ \t]*|[ \t]+(?:is|was|ist|lautet|est|es|é)"
        r"(?:[ \t]+(?:now|still|currently|set[ \t]+to|jetzt|noch|maintenant|ahora))?(?:[ \t]*:[ \t]*|[ \t]+))"
        + _PASSWORD_VALUE,
        re.IGNORECASE,
    ),
    # "changed my password to x", "reset the pwd to x"
    re.compile(
        r"\b(?:set|changed?|reset|updated?)[ \t]+(?:(?:my|the|his|her|your|our)[ \t]+)?"
        rf"(?:{_PASSWORD_WORDS})[ \t]+to[ \t]+" + _PASSWORD_VALUE,
        re.IGNORECASE,
    ),
)
# Words that follow "password is" in ordinary problem reports; they are states, not secrets.
_NOT_A_PASSWORD_TEXT = (
    "expired expiring wrong incorrect invalid locked blocked disabled not no never too very "
    "correct right the my a an being about going required needed missing changed reset forgotten "
    "lost weak strong same different case-sensitive empty blank ok okay fine working rejected "
    "unknown correctly also valid abgelaufen falsch gesperrt nicht kein ungültig korrekt richtig "
    "expiré incorrect bloqué pas vencida incorrecta bloqueada"
)
_NOT_A_PASSWORD = frozenset(_NOT_A_PASSWORD_TEXT.split())


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    iban = candidate.replace(" ", "").upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if not 15 <= len(iban) <= 34 or (expected is not None and len(iban) != expected):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _find_emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield match.span()


def _is_card_number(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and digits[0] in _CARD_NETWORK_DIGITS and _luhn_valid(digits)


def _card_within(text: str, start: int, end: int) -> Span | None:
    # A card may sit inside a longer run of digit groups ("ref 1234 4111 1111 1111 1111"); its
    # group-aligned parts are tried, earliest and longest first.
    groups = [(start + group.start(), start + group.end()) for group in re.finditer(r"\d+", text[start:end])]
    for first, (part_start, _) in enumerate(groups):
        for _, part_end in reversed(groups[first:]):
            if _is_card_number(text[part_start:part_end]):
                return part_start, part_end
    return None


def _find_cards(text: str) -> Iterator[Span]:
    position = 0
    while match := _CARD.search(text, position):
        found = _card_within(text, *match.span())
        position = found[1] if found else match.end()
        if found:
            yield found


def _find_ibans(text: str) -> Iterator[Span]:
    for match in _IBAN.finditer(text):
        candidate = match.group()
        # The spaced form may have swallowed a following four-letter word; drop groups until valid.
        while len(candidate) >= 15:
            if _iban_valid(candidate):
                yield match.start(), match.start() + len(candidate)
                break
            if " " not in candidate:
                break
            candidate = candidate.rsplit(" ", 1)[0]


def _is_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _find_ips(text: str) -> Iterator[Span]:
    for match in _IPV4.finditer(text):
        if _is_ip(match.group()):
            yield match.span()
    for match in _IPV6.finditer(text):
        # A sentence may end right after the address; "a::b"-like names (no digit) are code, not hosts.
        candidate = match.group().rstrip(".")
        if any(char.isdigit() for char in candidate) and _is_ip(candidate):
            yield match.start(), match.start() + len(candidate)


def _find_passwords(text: str) -> Iterator[Span]:
    for pattern in _PASSWORD_PATTERNS:
        for match in pattern.finditer(text):
            if match.group("value").lower() not in _NOT_A_PASSWORD:
                yield match.span("value")


_DETECTORS: dict[PiiType, Callable[[str], Iterator[Span]]] = {
    PiiType.PASSWORD: _find_passwords,
    PiiType.EMAIL: _find_emails,
    PiiType.IBAN: _find_ibans,
    PiiType.CARD: _find_cards,
    PiiType.IP: _find_ips,
    PiiType.ID: find_id_spans,
    PiiType.PHONE: find_phone_spans,
    PiiType.PERSON: find_cued_name_spans,
}


def _detector(kind: PiiType, people: PeopleFinder | None) -> Callable[[str], Iterator[Span]]:
    if kind is not PiiType.PERSON or people is None:
        return _DETECTORS[kind]

    def find_names(text: str) -> Iterator[Span]:
        yield from find_cued_name_spans(text)
        yield from people.find_people(text)

    return find_names


def _masked(text: str, start: int, end: int) -> str:
    # Same length, so spans stay valid; bracketed, so neighbours see the boundary a placeholder gives.
    width = end - start
    mask = "[" + "_" * (width - 2) + "]" if width > 1 else "_"
    return text[:start] + mask + text[end:]


def find_pii(text: str, *, enabled: Collection[PiiType] = ALL_PII_TYPES,
             people: PeopleFinder | None = None) -> list[PiiFinding]:
    """All non-overlapping PII findings of the `enabled` types in `text`, ordered by position. `people` finds
    names beyond the cued ones (the desk's users, a named-entity model).

    Types are detected in `PiiType` order, each on the text with the earlier findings masked, so that
    a phone number next to a card number is still seen on its own; within a type the longer span wins.
    """
    findings: list[PiiFinding] = []
    scanned = text
    for kind in PiiType:
        if kind not in enabled:
            continue
        for start, end in sorted(_detector(kind, people)(scanned), key=lambda span: span[0] - span[1]):
            if all(end <= kept.start or start >= kept.end for kept in findings):
                findings.append(PiiFinding(type=kind, start=start, end=end))
                scanned = _masked(scanned, start, end)
    return sorted(findings, key=lambda found: found.start)


def redact_pii(text: str, *, enabled: Collection[PiiType] = ALL_PII_TYPES,
               people: PeopleFinder | None = None) -> Redaction:
    """Replace every PII finding of the `enabled` types with its typed placeholder, e.g. "[CARD]" or "[PERSON]"."""
    findings = find_pii(text, enabled=enabled, people=people)
    pieces: list[str] = []
    cursor = 0
    for finding in findings:
        pieces.append(text[cursor : finding.start])
        pieces.append(placeholder(finding.type))
        cursor = finding.end
    pieces.append(text[cursor:])
    return Redaction(text="".join(pieces), findings=findings)
