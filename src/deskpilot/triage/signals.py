"""Impact × urgency signals read from a ticket's words and its context, and the priority they suggest.

Impact says how many people or how much of the business is hit ("all users", "production",
"customers affected"); urgency says how soon it hurts ("cannot work", "before 3pm", "asap"). Outages and
security incidents raise both. Phrases that deny urgency ("not urgent", "no rush") are removed first so
that their "urgent" does not count. The priority comes from the desk's impact × urgency matrix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from deskpilot.tickets.enums import Level, Priority
from deskpilot.tickets.priority import DEFAULT_MATRIX, priority_for
from deskpilot.triage.models import Criticality

# With this many affected users (a portal form field) the impact is high without any wording.
WIDE_IMPACT_USERS = 10
_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
_BY_RANK = {rank: level for level, rank in _RANK.items()}


@dataclass(frozen=True, slots=True)
class ImpactUrgency:
    """How wide (impact) and how pressing (urgency) an issue is, and the cues that said so."""

    impact: Level
    urgency: Level
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Cue:
    reason: str
    impact: Level | None
    urgency: Level | None
    pattern: re.Pattern[str]


def _cue(reason: str, impact: Level | None, urgency: Level | None, pattern: str) -> _Cue:
    return _Cue(reason, impact, urgency, re.compile(pattern, re.IGNORECASE))


_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_CLOCK = r"\d{1,2}(?::\d\d)?\s*(?:am|pm|h|uhr)|\d{1,2}:\d\d"
_CUES = (
    _cue(
        "wide impact",
        Level.HIGH,
        None,
        r"\b(?:everyone|everybody|all (?:users|staff|employees|colleagues|of us|agents|branches|sites)"
        r"|(?:whole|entire) (?:[a-z]+ )?(?:office|company|team|department|floor|building|site|organi[sz]ation|org)"
        r"|(?:company|organi[sz]ation|site|enterprise)[- ]wide"
        r"|customers? (?:are |were )?(?:affected|impacted)"
        r"|customer[- ]facing|production|prod (?:is |went )?down|nobody can|no one can"
        r"|alle (?:mitarbeiter|benutzer|nutzer|kollegen)|ganze[nr]? (?:büro|abteilung|firma|team)"
        r"|niemand kann|tout le monde|tous les utilisateurs|todos los usuarios|toda la oficina"
        r"|nadie puede)\b",
    ),
    _cue(
        "several people affected",
        Level.MEDIUM,
        None,
        r"\b(?:(?:several|multiple|many|some|a few|other) (?:users|people|colleagues|staff|of us|employees)"
        r"|(?:my|our|the) (?:team|department)|colleagues (?:too|as well|also)"
        r"|mehrere (?:benutzer|kollegen))\b",
    ),
    _cue(
        "outage",
        Level.MEDIUM,
        Level.HIGH,
        r"\b(?:outage|(?:is|are|was|were|went|goes|been|seems|appears) (?:completely |totally )?down"
        r"|down for (?:everyone|all|hours)|not working for anyone"
        r"|(?:is|are|went|seems) (?:unavailable|offline)"
        r"|(?:system|service|server|site|database|network|application|website|portal|e-?mail|vpn|wi-?fi) "
        r"(?:is |are )?(?:unavailable|unreachable|offline)|ausfall|störung|panne|caída)\b",
    ),
    _cue(
        "requester cannot work",
        None,
        Level.HIGH,
        r"\b(?:can ?not|can't|cannot|unable to|not able to) (?:work|do (?:my|any) work|log ?in at all)"
        r"|\b(?:nobody|no one|none of us) (?:can|is able to) (?:work|log ?in|do (?:any|their) work)"
        r"|\b(?:kann nicht arbeiten|completely blocked)\b",
    ),
    _cue(
        "urgent or same-day deadline",
        None,
        Level.HIGH,
        rf"\b(?:urgent|urgently|asap|as soon as possible|immediately|emergency|critical|right now"
        rf"|(?:by|until|before|for) (?:today|tonight|noon|lunch|end of (?:the )?day|eod|{_CLOCK})"
        r"|dringend|sofort|urgente|inmediatamente|imm[ée]diatement)\b",
    ),
    _cue(
        "deadline soon",
        None,
        Level.MEDIUM,
        rf"\b(?:deadline|(?:by|until|before) (?:tomorrow|{_WEEKDAY}|the end of the week|eow|next week)"
        r"|tomorrow morning|this week|soon|blocking|bis morgen|demain|mañana)\b",
    ),
    _cue(
        "security incident",
        Level.HIGH,
        Level.HIGH,
        r"\b(?:ransomware|breach|data leak|leaked data|files (?:are |got |were )?encrypted|ransom"
        r"|malware (?:is )?spreading|we (?:have been|were|got) hacked)\b",
    ),
    _cue(
        "security risk",
        Level.MEDIUM,
        Level.HIGH,
        r"\b(?:phishing|phish|suspicious (?:link|e-?mail|login|attachment)|clicked (?:on )?(?:a|the) link"
        r"|stolen|lost (?:my |the |a )?(?:laptop|phone|notebook|device|badge)|compromised|hacked|malware"
        r"|virus|trojan|gestohlen|vol[ée])\b",
    ),
)
_NO_RUSH = re.compile(
    r"\b(?:(?:not|isn't|is not|nothing) (?:very |that |so |too )?(?:urgent|critical)|no rush|no hurry"
    r"|low priority|whenever (?:you|it's|convenient)|when you have (?:a moment|time)|nicht dringend"
    r"|keine eile|pas urgent|sin prisa|no es urgente)\b",
    re.IGNORECASE,
)


def _raise(current: Level, proposed: Level | None) -> Level:
    if proposed is None:
        return current
    return proposed if _RANK[proposed] > _RANK[current] else current


def assess_impact_urgency(
    text: str, *, requester_is_vip: bool = False, affected_users: int | None = None,
    stated_impact: Level | None = None, stated_urgency: Level | None = None,
) -> ImpactUrgency:
    """Impact and urgency from `text` (normalised subject + body) and the requester's context.

    A VIP requester raises urgency by one level; `affected_users` (when a form asked) sets a floor
    for impact; so do the impact and urgency the requester chose on a form (`stated_*`).
    """
    reasons: list[str] = []
    no_rush = _NO_RUSH.search(text)
    if no_rush:
        reasons.append(f"requester says it can wait: '{no_rush.group().lower()}'")
        text = _NO_RUSH.sub(" ", text)
    impact, urgency = Level.LOW, Level.LOW
    for cue in _CUES:
        match = cue.pattern.search(text)
        if match:
            impact, urgency = _raise(impact, cue.impact), _raise(urgency, cue.urgency)
            reasons.append(f"{cue.reason}: '{match.group().lower()}'")
    if affected_users is not None and affected_users >= 2:
        floor = Level.HIGH if affected_users >= WIDE_IMPACT_USERS else Level.MEDIUM
        impact = _raise(impact, floor)
        reasons.append(f"{affected_users} users affected")
    for what, stated in (("impact", stated_impact), ("urgency", stated_urgency)):
        if stated is not None and stated is not Level.LOW:
            reasons.append(f"requester chose {what} {stated.value} on the form")
    impact, urgency = _raise(impact, stated_impact), _raise(urgency, stated_urgency)
    if requester_is_vip:
        urgency = _BY_RANK[min(_RANK[urgency] + 1, _RANK[Level.HIGH])]
        reasons.append("VIP requester")
    return ImpactUrgency(impact=impact, urgency=urgency, reasons=reasons)


def with_service_criticality(signals: ImpactUrgency, *, service: str, criticality: Criticality) -> ImpactUrgency:
    """The signals once the service a request is about is known: a `high`-criticality service makes the impact
    at least medium; a `critical` one raises it one level (and at least to medium); `standard` changes nothing."""
    if criticality is Criticality.STANDARD:
        return signals
    impact = _raise(signals.impact, Level.MEDIUM)
    if criticality is Criticality.CRITICAL:
        impact = _raise(impact, _BY_RANK[min(_RANK[signals.impact] + 1, _RANK[Level.HIGH])])
    reason = f"{criticality.value}-criticality service: {service}"
    return ImpactUrgency(impact=impact, urgency=signals.urgency, reasons=[*signals.reasons, reason])


def suggest_priority(
    signals: ImpactUrgency, *, matrix: Mapping[tuple[Level, Level], Priority] = DEFAULT_MATRIX
) -> Priority:
    """The priority `matrix` (by default the ITIL one: high/high is P1) gives for the signals."""
    return priority_for(signals.impact, signals.urgency, matrix)
